//! MPEG audio frame headers (ISO/IEC 11172-3 §2.4.1.3, ISO/IEC 13818-3 §2.4.1.3 for the
//! lower sampling frequencies, and the MPEG-2.5 extension): enough to cut a stream of MP3
//! frames (an MPEG-TS PES payload of stream_type 0x03/0x04, an HTTP `.mp3` body) into frames
//! and time them, and to stand in for the configuration record MP3 does not have
//! ([`MpaHeader::record`]).

use crate::Error;
use crate::rules::MPA_HEADER;
use bytes::Bytes;

/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 4;

/// One MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MpaHeader {
    /// 1 (MPEG-1), 2 (MPEG-2 LSF) or 25 (MPEG-2.5).
    pub version: u8,
    /// 1, 2 or 3.
    pub layer: u8,
    /// Bits per second; 0 for the free format.
    pub bitrate: u32,
    /// Samples per second.
    pub sample_rate: u32,
    /// `padding_bit`: the frame has one extra slot (a byte; 4 bytes in layer I).
    pub padding: bool,
    /// Mode 3 is single channel.
    pub mono: bool,
}

const BITRATES_V1: [[u16; 15]; 3] = [
    [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ],
    [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ],
    [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ],
];
const BITRATES_V2: [[u16; 15]; 2] = [
    [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
const SAMPLE_RATES: [u32; 3] = [44_100, 48_000, 32_000];

impl MpaHeader {
    /// Reads the header at the start of `data` (4 bytes needed).
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let bad = |detail: String| Error::rule(&MPA_HEADER, 0, detail);
        let Some(&[b0, b1, b2, b3]) = data.get(..HEADER_LEN) else {
            return Err(bad(format!("{} bytes, a frame header needs 4", data.len())));
        };
        if b0 != 0xff || b1 & 0xe0 != 0xe0 {
            return Err(bad(format!("no syncword: {b0:02x} {b1:02x}")));
        }
        let version = match (b1 >> 3) & 3 {
            0 => 25,
            2 => 2,
            3 => 1,
            _ => return Err(bad("version bits 01 are reserved".into())),
        };
        let layer = match (b1 >> 1) & 3 {
            1 => 3,
            2 => 2,
            3 => 1,
            _ => return Err(bad("layer bits 00 are reserved".into())),
        };
        let bitrate_index = usize::from(b2 >> 4);
        if bitrate_index == 15 {
            return Err(bad("bitrate_index 15 is forbidden".into()));
        }
        let sampling_index = usize::from((b2 >> 2) & 3);
        if sampling_index == 3 {
            return Err(bad("sampling_frequency 11 is reserved".into()));
        }
        let kbps = if version == 1 {
            BITRATES_V1[usize::from(layer - 1)][bitrate_index]
        } else {
            BITRATES_V2[usize::from(layer != 1)][bitrate_index]
        };
        let divisor = match version {
            1 => 1,
            2 => 2,
            _ => 4,
        };
        Ok(MpaHeader {
            version,
            layer,
            bitrate: u32::from(kbps) * 1000,
            sample_rate: SAMPLE_RATES[sampling_index] / divisor,
            padding: b2 & 0x02 != 0,
            mono: b3 >> 6 == 3,
        })
    }

    /// Channels a decoder outputs: 1 for mode 3 (single channel), else 2.
    pub fn channels(&self) -> u8 {
        if self.mono { 1 } else { 2 }
    }

    /// The configuration of an MP3 track, which has no record of its own: the first frame's
    /// header with only the fields every frame of the stream repeats (ID, layer, sampling
    /// frequency, mode), the rest zero (bitrate index 0, no padding, no CRC, no mode
    /// extension), so that a frame of another bitrate or padding is the same configuration and
    /// a change of rate or channels is a new one. It parses back as a free-format header.
    pub fn record(frame: &[u8]) -> Result<Bytes, Error> {
        Self::parse(frame)?;
        Ok(Bytes::copy_from_slice(&[
            0xff,
            frame[1] | 0x01,
            frame[2] & 0x0c,
            frame[3] & 0xc0,
        ]))
    }

    /// Samples per channel in one frame.
    pub fn samples(&self) -> u32 {
        match (self.layer, self.version) {
            (1, _) => 384,
            (3, 2 | 25) => 576,
            _ => 1152,
        }
    }

    /// The frame's length in bytes, header included; `None` for the free format.
    pub fn frame_len(&self) -> Option<usize> {
        if self.bitrate == 0 {
            return None;
        }
        let len = if self.layer == 1 {
            (12 * self.bitrate / self.sample_rate + u32::from(self.padding)) * 4
        } else {
            self.samples() / 8 * self.bitrate / self.sample_rate + u32::from(self.padding)
        };
        Some(len as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_headers() {
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes.
        let h = MpaHeader::parse(&[0xff, 0xfb, 0x90, 0x64]).unwrap();
        assert_eq!(
            (h.version, h.layer, h.bitrate, h.sample_rate),
            (1, 3, 128_000, 44_100)
        );
        assert_eq!((h.frame_len(), h.samples()), (Some(417), 1152));
        // MPEG-2 layer III, 64 kbit/s, 24 kHz, padded: 72 * 64000 / 24000 + 1 = 193.
        let h = MpaHeader::parse(&[0xff, 0xf3, 0x86, 0xc4]).unwrap();
        assert_eq!(
            (h.version, h.sample_rate, h.frame_len(), h.mono),
            (2, 24_000, Some(193), true)
        );
        assert_eq!(h.samples(), 576);
        // MPEG-1 layer II, 192 kbit/s, 48 kHz: 576 bytes.
        let h = MpaHeader::parse(&[0xff, 0xfd, 0xa4, 0x00]).unwrap();
        assert_eq!((h.layer, h.frame_len()), (2, Some(576)));
        // Layer I, 32 kHz, 384 kbit/s: 12 * 384000 / 32000 * 4 = 576.
        let h = MpaHeader::parse(&[0xff, 0xff, 0xc8, 0x00]).unwrap();
        assert_eq!((h.layer, h.frame_len(), h.samples()), (1, Some(576), 384));
    }

    #[test]
    fn reserved_values_are_errors() {
        for bad in [
            [0xff, 0xeb, 0x90, 0],
            [0xff, 0xf9, 0x90, 0],
            [0xff, 0xfb, 0xf0, 0],
            [0xff, 0xfb, 0x9c, 0],
            [0xfe, 0xfb, 0x90, 0],
        ] {
            assert_eq!(
                MpaHeader::parse(&bad).unwrap_err().rule_id(),
                "media.mpa.header"
            );
        }
        assert!(MpaHeader::parse(&[0xff]).is_err());
        assert!(MpaHeader::record(&[0xff, 0xfb]).is_err());
    }

    #[test]
    fn the_record_keeps_rate_and_mode_only() {
        // MPEG-1 layer III 128 kbit/s 44.1 kHz padded, joint stereo with mode extension 2,
        // CRC-protected: the record is the same as for any other bitrate of that stream.
        let a = MpaHeader::record(&[0xff, 0xfa, 0x92, 0x64, 0x00]).unwrap();
        let b = MpaHeader::record(&[0xff, 0xfb, 0x50, 0x44]).unwrap();
        assert_eq!((&a[..], &a), (&[0xff, 0xfb, 0x00, 0x40][..], &b));
        let h = MpaHeader::parse(&a).unwrap();
        assert_eq!(
            (h.sample_rate, h.channels(), h.frame_len()),
            (44_100, 2, None)
        );
        // MPEG-2, 24 kHz, single channel.
        let h = MpaHeader::parse(&MpaHeader::record(&[0xff, 0xf3, 0x86, 0xc4]).unwrap()).unwrap();
        assert_eq!((h.version, h.sample_rate, h.channels()), (2, 24_000, 1));
    }
}
