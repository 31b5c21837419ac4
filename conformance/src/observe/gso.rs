//! Uncut UDP GSO runs. A sender using Linux's UDP segmentation offload (`UDP_SEGMENT`) hands
//! the kernel one buffer of several datagrams of one size (the last may be shorter), which the
//! kernel or the network card cuts on the way out; a capture taken on the sending host (on
//! loopback, or above a card that segments) holds the buffer uncut, as one datagram. Weir's
//! own WebRTC server sends its players' RTP this way, so a capture of them on the server's
//! host is full of such runs, mixing streams (a video packet, then an audio packet shorter
//! than it). An RTP packet does not carry its length (RFC 3550 §5.1), so a run is recognised
//! by the header that starts its second packet — in the clear in SRTP too (RFC 3711 §3.1):
//! version 2 and either the first packet's SSRC with the next sequence number, or the SSRC of
//! another stream the flow has carried.

use bytes::Bytes;
use weir_rtp::rtcp;

/// The fixed RTP header (RFC 3550 §5.1).
const HEADER: usize = 12;

/// The packets of `datagram` when it is an uncut GSO run of two RTP (or SRTP) packets or more:
/// each of the run's size but the last, which may be shorter. `known` says whether an SSRC is
/// one the flow has carried (in this direction). `None` for anything else, RTCP included (its
/// packets carry their lengths; a compound packet is one datagram).
pub(crate) fn rtp_run(datagram: &Bytes, known: impl Fn(u32) -> bool) -> Option<Vec<Bytes>> {
    let len = datagram.len();
    if len < 2 * HEADER + 2 || rtcp::is_rtcp(datagram) || datagram[0] >> 6 != 2 {
        return None;
    }
    let ssrc_at = |at: usize| {
        u32::from_be_bytes([
            datagram[at + 8],
            datagram[at + 9],
            datagram[at + 10],
            datagram[at + 11],
        ])
    };
    let (first, seq) = (ssrc_at(0), u16::from_be_bytes([datagram[2], datagram[3]]));
    let next = seq.wrapping_add(1).to_be_bytes();
    let starts_packet = |at: usize| {
        datagram[at] >> 6 == 2 && {
            let ssrc = ssrc_at(at);
            (ssrc == first && datagram[at + 2..at + 4] == next) || (ssrc != first && known(ssrc))
        }
    };
    let size = (HEADER + 1..=len - HEADER).find(|&at| starts_packet(at))?;
    // Every packet of the run starts an RTP header at a multiple of the size (of its own
    // stream or another the flow carries), and the last one holds a whole header.
    let starts = (0..len).step_by(size);
    let whole = starts.clone().skip(1).all(|at| {
        len - at >= HEADER && datagram[at] >> 6 == 2 && {
            let ssrc = ssrc_at(at);
            ssrc == first || known(ssrc)
        }
    });
    whole.then(|| {
        starts
            .map(|at| datagram.slice(at..(at + size).min(len)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RTP packet of `len` bytes: version 2, payload type 96, `seq`, `ssrc`, and a payload
    /// of `fill` (standing in for ciphertext).
    fn packet(seq: u16, ssrc: u32, len: usize, fill: u8) -> Vec<u8> {
        let mut p = vec![0x80, 96];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0x30, 0x39]);
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.resize(len, fill);
        p
    }

    #[test]
    fn a_run_is_cut_at_its_size_and_its_last_packet_may_be_shorter() {
        let run = [
            packet(65535, 7, 200, 0xAA),
            packet(0, 7, 200, 0xBB),
            packet(1, 7, 150, 0xCC),
        ]
        .concat();
        let cut = rtp_run(&Bytes::from(run), |_| false).expect("a run");
        let sizes: Vec<usize> = cut.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [200, 200, 150]);
        assert_eq!(cut[2][..4], [0x80, 96, 0, 1]);
    }

    #[test]
    fn a_run_may_mix_streams_the_flow_has_carried() {
        // A video packet, then a shorter audio packet (as Weir's server joined them).
        let run = [
            packet(17964, 0x78f6, 111, 0xAA),
            packet(24211, 0x0c81, 39, 0xBB),
        ]
        .concat();
        let cut = rtp_run(&Bytes::from(run.clone()), |ssrc| ssrc == 0x0c81).expect("a run");
        let sizes: Vec<usize> = cut.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [111, 39]);
        // An SSRC the flow has not carried does not start a packet.
        assert_eq!(rtp_run(&Bytes::from(run), |ssrc| ssrc == 0x1234), None);
    }

    #[test]
    fn one_packet_or_other_datagrams_are_not_runs() {
        let one = Bytes::from(packet(1, 7, 1200, 0));
        assert_eq!(rtp_run(&one, |_| true), None);
        // The next header names another SSRC, or skips a sequence number.
        let other_ssrc = [packet(1, 7, 100, 0), packet(2, 8, 100, 0)].concat();
        assert_eq!(rtp_run(&Bytes::from(other_ssrc), |_| false), None);
        let skipped = [packet(1, 7, 100, 0), packet(3, 7, 100, 0)].concat();
        assert_eq!(rtp_run(&Bytes::from(skipped), |_| false), None);
        // A receiver report (payload type 201) whose bytes happen to look like a run.
        let mut rtcp = [packet(1, 7, 100, 0), packet(2, 7, 100, 0)].concat();
        rtcp[1] = 201;
        assert_eq!(rtp_run(&Bytes::from(rtcp), |_| true), None);
        // A tail too short for a header is not a packet.
        let mut short_tail = [packet(1, 7, 100, 0), packet(2, 7, 100, 0)].concat();
        short_tail.extend_from_slice(&[0x80, 96, 0, 3]);
        assert_eq!(rtp_run(&Bytes::from(short_tail), |_| true), None);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..600 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Mostly RTP-looking first bytes, so that the search runs.
                    if state.is_multiple_of(3) {
                        0x80
                    } else {
                        state as u8
                    }
                })
                .collect();
            if let Some(run) = rtp_run(&Bytes::from(bytes.clone()), |ssrc| ssrc.is_multiple_of(2)) {
                assert_eq!(run.concat(), bytes);
            }
        }
    }
}
