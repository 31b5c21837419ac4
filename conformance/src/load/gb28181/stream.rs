//! One simulated device's media, without IO: frames in, PS (`weir_mpegps::Muxer`, one chunk of
//! packs per frame) cut into RTP packets (RFC 3550; payload type 96, the 90 kHz clock, payloads
//! of at most [`MAX_PAYLOAD`] bytes, the marker on a frame's last packet), clean or broken on
//! purpose the way some cameras break it ([`Mangle`]).

use bytes::Bytes;
use weir_media::{Frame, Output, TrackConfig};
use weir_mpegps::{Muxer, mangle};
use weir_rtp::packet::{HeaderExtension, RtpPacket};

/// The payload type GB28181 devices send PS with (GB/T 28181-2016 Annex C: dynamic, 96 "PS").
pub const PAYLOAD_TYPE: u8 = 96;
/// The most PS bytes in one RTP packet.
pub const MAX_PAYLOAD: usize = 1400;

/// A fault made on purpose: the PS ones are `weir_mpegps::mangle`'s, the RTP ones ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mangle {
    /// Every pack start code cut across two RTP packets (`00 00 | 01 BA`).
    SplitStartCodes,
    /// Five zero bytes before every pack header.
    ZeroStuffing,
    /// Every video PES split in four, the later ones without PTS.
    SplitPes,
    /// Every program stream map's length 3 short.
    BrokenPsmLength,
    /// No program stream map at all.
    NoPsm,
    /// The marker bits of pack and system headers cleared.
    ClearedMarkers,
    /// Junk bytes (a TS-looking packet, then 0xFF) before every 25th frame's packs.
    Junk,
    /// Every 30th frame's packs lost whole.
    LostPacks,
    /// An RTP header extension (RFC 3550 §5.3.1) on every packet.
    HeaderExtension,
    /// Every 40th RTP packet lost (its sequence number skipped).
    RtpLoss,
    /// Every 20th frame sent under another SSRC (the server should drop it).
    WrongSsrc,
}

impl Mangle {
    /// Every fault, with the name `--mangle` takes.
    pub const ALL: [(&'static str, Mangle); 11] = [
        ("split-start-codes", Mangle::SplitStartCodes),
        ("zero-stuffing", Mangle::ZeroStuffing),
        ("split-pes", Mangle::SplitPes),
        ("broken-psm-length", Mangle::BrokenPsmLength),
        ("no-psm", Mangle::NoPsm),
        ("cleared-markers", Mangle::ClearedMarkers),
        ("junk", Mangle::Junk),
        ("lost-packs", Mangle::LostPacks),
        ("header-extension", Mangle::HeaderExtension),
        ("rtp-loss", Mangle::RtpLoss),
        ("wrong-ssrc", Mangle::WrongSsrc),
    ];

    /// The fault `--mangle NAME` names.
    pub fn parse(name: &str) -> Result<Mangle, String> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
                format!("no mangle {name:?}; one of {}", names.join(", "))
            })
    }

    /// Whether the fault loses frames on purpose (the others lose none: the demuxer skips
    /// junk to the next pack header and loses nothing).
    pub fn loses_frames(self) -> bool {
        matches!(
            self,
            Mangle::LostPacks | Mangle::RtpLoss | Mangle::WrongSsrc
        )
    }
}

/// One device's stream: its muxer, RTP sequence and fault.
#[derive(Debug)]
pub struct DeviceStream {
    muxer: Muxer,
    ssrc: u32,
    sequence: u16,
    mangle: Option<Mangle>,
    frames: u64,
    packets: u64,
}

impl DeviceStream {
    /// A stream of `ssrc` carrying the tracks of `configs`.
    pub fn new(ssrc: u32, configs: &[TrackConfig], mangle: Option<Mangle>) -> Result<Self, String> {
        let mut muxer = Muxer::default();
        for c in configs {
            muxer.handle_config(c).map_err(|e| e.to_string())?;
        }
        Ok(DeviceStream {
            muxer,
            ssrc,
            // A start that wraps soon, so that long runs cross the wrap.
            sequence: 65_000,
            mangle,
            frames: 0,
            packets: 0,
        })
    }

    /// The SSRC the device registered.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// One frame as the RTP packets to send (none when the fault loses it).
    pub fn frame(&mut self, frame: &Frame) -> Result<Vec<RtpPacket>, String> {
        self.muxer.handle_frame(frame).map_err(|e| e.to_string())?;
        let mut ps = Vec::new();
        while let Some(output) = self.muxer.poll_output() {
            if let Output::Transmit(bytes) = output {
                ps.extend_from_slice(&bytes);
            }
        }
        let n = self.frames;
        self.frames += 1;
        let mut cuts = Vec::new();
        let ps = match self.mangle {
            Some(Mangle::SplitStartCodes) => {
                // The chunk starts with its pack: cut into that start code too.
                cuts.push(2);
                cuts.extend(mangle::start_code_cuts(&ps));
                ps
            }
            Some(Mangle::ZeroStuffing) => [&[0u8; 5][..], &ps].concat(),
            Some(Mangle::SplitPes) => mangle::split_pes(&ps, 4, false),
            Some(Mangle::BrokenPsmLength) => mangle::psm_length(&ps, -3),
            Some(Mangle::NoPsm) => mangle::without_psm(&ps),
            Some(Mangle::ClearedMarkers) => mangle::clear_markers(&ps),
            Some(Mangle::Junk) if n % 25 == 24 => {
                let junk = [&b"\x47\x40\x11garbage"[..], &[0xff; 300]].concat();
                mangle::junk_before_packs(&ps, &junk, |i| i == 0)
            }
            Some(Mangle::LostPacks) if n % 30 == 29 => mangle::drop_packs(&ps, |_| true),
            _ => ps,
        };
        let ssrc = match self.mangle {
            Some(Mangle::WrongSsrc) if n % 20 == 19 => self.ssrc ^ 0x5a5a_5a5a,
            _ => self.ssrc,
        };
        let timestamp = frame.pts.0 as u32;
        let payloads = cut(&ps, &cuts);
        let last = payloads.len().saturating_sub(1);
        let mut packets = Vec::with_capacity(payloads.len());
        for (i, payload) in payloads.into_iter().enumerate() {
            let packet = RtpPacket {
                marker: i == last,
                payload_type: PAYLOAD_TYPE,
                sequence: self.sequence,
                timestamp,
                ssrc,
                csrcs: Vec::new(),
                extension: (self.mangle == Some(Mangle::HeaderExtension)).then(|| {
                    HeaderExtension {
                        profile: 0xabac,
                        data: Bytes::from_static(&[0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1]),
                    }
                }),
                payload,
                padding: 0,
            };
            self.sequence = self.sequence.wrapping_add(1);
            self.packets += 1;
            if self.mangle == Some(Mangle::RtpLoss) && self.packets.is_multiple_of(40) {
                continue;
            }
            packets.push(packet);
        }
        Ok(packets)
    }
}

/// `ps` cut at `cuts` (sorted offsets) and wherever a piece would pass [`MAX_PAYLOAD`].
fn cut(ps: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let ps = Bytes::copy_from_slice(ps);
    let mut out = Vec::new();
    let mut at = 0;
    let mut forced = cuts
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < ps.len())
        .peekable();
    while at < ps.len() {
        let mut end = (at + MAX_PAYLOAD).min(ps.len());
        while forced.peek().is_some_and(|&c| c <= at) {
            forced.next();
        }
        if let Some(&c) = forced.peek()
            && c < end
        {
            end = c;
        }
        out.push(ps.slice(at..end));
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_cut_at_the_bound_and_at_the_cuts_asked() {
        let ps = vec![7u8; 3000];
        let lens = |cuts: &[usize]| cut(&ps, cuts).iter().map(Bytes::len).collect::<Vec<_>>();
        assert_eq!(lens(&[]), [1400, 1400, 200]);
        assert_eq!(lens(&[2, 1500]), [2, 1400, 98, 1400, 100]);
        assert_eq!(lens(&[0, 3000, 9999]), [1400, 1400, 200]);
        assert!(cut(&[], &[]).is_empty());
    }

    #[test]
    fn every_mangle_name_parses_back() {
        for (name, m) in Mangle::ALL {
            assert_eq!(Mangle::parse(name), Ok(m));
        }
        assert!(
            Mangle::parse("nope")
                .unwrap_err()
                .contains("split-start-codes")
        );
    }
}
