//! Uncut UDP GSO runs. A sender using Linux's UDP segmentation offload (`UDP_SEGMENT`) hands
//! the kernel one buffer of several datagrams of one size (the last may be shorter), which the
//! kernel or the network card cuts on the way out; a capture taken on the sending host (on
//! loopback, or above a card that segments) holds the buffer uncut, as one datagram. Weir's
//! own WebRTC server sends its players' RTP this way, so a capture of them on the server's
//! host is full of such runs, mixing streams (a video packet, then an audio packet shorter
//! than it). An RTP packet does not carry its length (RFC 3550 §5.1), so a run is recognised
//! by the header that starts its second packet — in the clear in SRTP too (RFC 3711 §3.1):
//! version 2 and either the first packet's SSRC with the next sequence number, or the SSRC of
//! another stream the flow carries. `weir check` cuts runs with [`split`] before it decrypts
//! or reads a WebRTC flow's packets.

use bytes::Bytes;

use crate::packet::{FIXED_HEADER_LEN, Peek};

/// The packets of `datagram` when it is an uncut GSO run of two RTP (or SRTP) packets or more:
/// each of the run's size but the last, which may be shorter. `known`: the SSRCs of the other
/// streams the flow carries (in this direction). `None` for anything else, RTCP included (its
/// packets carry their lengths; a compound packet is one datagram).
pub fn split(datagram: &Bytes, known: &[u32]) -> Option<Vec<Bytes>> {
    let first = Peek::of(datagram)?;
    let next = first.sequence.wrapping_add(1);
    let header_at = |at: usize| Peek::of(&datagram[at..]);
    let len = datagram.len();
    let size = (FIXED_HEADER_LEN + 1..len).find(|&at| match header_at(at) {
        Some(p) if p.ssrc == first.ssrc => p.sequence == next,
        Some(p) => known.contains(&p.ssrc),
        None => false,
    })?;
    // Every later packet starts an RTP header at a multiple of the size, of its own stream or
    // another the flow carries, and holds at least that header.
    let whole = (size..len)
        .step_by(size)
        .all(|at| header_at(at).is_some_and(|p| p.ssrc == first.ssrc || known.contains(&p.ssrc)));
    whole.then(|| {
        (0..len)
            .step_by(size)
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
        let cut = split(&Bytes::from(run), &[]).expect("a run");
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
        let cut = split(&Bytes::from(run.clone()), &[0x0c81]).expect("a run");
        let sizes: Vec<usize> = cut.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [111, 39]);
        // An SSRC the flow has not carried does not start a packet.
        assert_eq!(split(&Bytes::from(run), &[0x1234]), None);
    }

    #[test]
    fn one_packet_or_other_datagrams_are_not_runs() {
        let one = Bytes::from(packet(1, 7, 1200, 0));
        assert_eq!(split(&one, &[7, 8]), None);
        // The next header names another SSRC, or skips a sequence number.
        let other_ssrc = [packet(1, 7, 100, 0), packet(2, 8, 100, 0)].concat();
        assert_eq!(split(&Bytes::from(other_ssrc), &[]), None);
        let skipped = [packet(1, 7, 100, 0), packet(3, 7, 100, 0)].concat();
        assert_eq!(split(&Bytes::from(skipped), &[]), None);
        // A receiver report (payload type 201) whose bytes happen to look like a run.
        let mut rtcp = [packet(1, 7, 100, 0), packet(2, 7, 100, 0)].concat();
        rtcp[1] = 201;
        assert_eq!(split(&Bytes::from(rtcp), &[7, 8]), None);
        // A tail too short for a header is not a packet.
        let mut short_tail = [packet(1, 7, 100, 0), packet(2, 7, 100, 0)].concat();
        short_tail.extend_from_slice(&[0x80, 96, 0, 3]);
        assert_eq!(split(&Bytes::from(short_tail), &[7, 8]), None);
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
            if let Some(run) = split(&Bytes::from(bytes.clone()), &[0x8080_8080, 0]) {
                assert_eq!(run.concat(), bytes);
            }
        }
    }
}
