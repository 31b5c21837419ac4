//! Opus in transport streams (Opus-in-TS, see [`crate::rules`]): the `opus_control_header`
//! before each access unit, and the `channel_config_code` of the `opus_audio_descriptor`
//! (DVB extension descriptor 0x80) mapped to and from an [`OpusHead`].

use crate::rules::OPUS_CONTROL;
use weir_media::Violation;
use weir_media::opus::{ChannelMapping, OpusHead};

/// The DVB extension tag of the `opus_audio_descriptor`.
pub const DESCRIPTOR_EXTENSION_TAG: u8 = 0x80;

/// An `opus_control_header`, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlHeader {
    /// `au_size`: bytes of the Opus packet that follows.
    pub au_size: usize,
    /// Samples (at 48 kHz) to drop from the start of the decoded access unit, when present.
    pub start_trim: Option<u16>,
    /// Samples (at 48 kHz) to drop from the end of the decoded access unit, when present.
    pub end_trim: Option<u16>,
    /// Bytes of the header itself.
    pub len: usize,
}

impl ControlHeader {
    /// Reads the header at the start of `data`; offsets count from `data[0]`.
    pub fn parse(data: &[u8]) -> Result<Self, Violation> {
        let bad = |at: usize, detail: &str| Violation::new(&OPUS_CONTROL, at as u64, detail);
        let [b0, b1, ..] = data else {
            return Err(bad(0, "access unit too short for an opus_control_header"));
        };
        if *b0 != 0x7f || b1 & 0xe0 != 0xe0 {
            return Err(bad(0, "no control_header_prefix 0x3ff"));
        }
        let (start_flag, end_flag, ext_flag) = (b1 & 0x10 != 0, b1 & 0x08 != 0, b1 & 0x04 != 0);
        let mut at = 2;
        let mut au_size = 0usize;
        loop {
            let byte = *data.get(at).ok_or_else(|| bad(at, "au_size cut short"))?;
            at += 1;
            au_size += usize::from(byte);
            if byte != 0xff {
                break;
            }
        }
        let mut trim = |present: bool| -> Result<Option<u16>, Violation> {
            if !present {
                return Ok(None);
            }
            let b = data
                .get(at..at + 2)
                .ok_or_else(|| bad(at, "trim field cut short"))?;
            at += 2;
            Ok(Some(u16::from_be_bytes([b[0], b[1]]) & 0x1fff))
        };
        let start_trim = trim(start_flag)?;
        let end_trim = trim(end_flag)?;
        if ext_flag {
            let len = *data
                .get(at)
                .ok_or_else(|| bad(at, "control_extension_length cut short"))?;
            at += 1 + usize::from(len);
            if at > data.len() {
                return Err(bad(at, "control extension runs past the PES"));
            }
        }
        Ok(ControlHeader {
            au_size,
            start_trim,
            end_trim,
            len: at,
        })
    }

    /// Appends a header for an access unit of `au_size` bytes, without trims or extension.
    pub fn write(au_size: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&[0x7f, 0xe0]);
        out.resize(out.len() + au_size / 255, 0xff);
        out.push((au_size % 255) as u8);
    }
}

/// Streams, coupled streams and Vorbis-order channel mapping for 3 to 8 channels (mapping
/// family 1), indexed by channel count minus 3.
const SURROUND: [(u8, u8, &[u8]); 6] = [
    (2, 1, &[0, 2, 1]),
    (2, 2, &[0, 1, 2, 3]),
    (3, 2, &[0, 4, 1, 2, 3]),
    (4, 2, &[0, 4, 1, 2, 3, 5]),
    (4, 3, &[0, 4, 1, 2, 3, 5, 6]),
    (5, 3, &[0, 6, 1, 2, 3, 4, 5, 7]),
];

/// The identification header a `channel_config_code` stands for (0x00 dual mono, 0x01-0x08
/// that many channels in Vorbis order); `None` for the extended (0x80) and reserved codes.
/// TS carries no pre-skip in the descriptor (trims travel in the control headers), so the
/// head's pre-skip is 0.
pub fn head_for_channel_config(code: u8) -> Option<OpusHead> {
    let (channels, mapping) = match code {
        0 => (
            2,
            ChannelMapping::Table {
                family: 255,
                streams: 2,
                coupled: 0,
                mapping: vec![0, 1],
            },
        ),
        1 | 2 => (code, ChannelMapping::MonoOrStereo),
        3..=8 => {
            let (streams, coupled, mapping) = SURROUND[usize::from(code - 3)];
            (
                code,
                ChannelMapping::Table {
                    family: 1,
                    streams,
                    coupled,
                    mapping: mapping.to_vec(),
                },
            )
        }
        _ => return None,
    };
    Some(OpusHead {
        version: 1,
        channels,
        pre_skip: 0,
        input_sample_rate: 48_000,
        output_gain: 0,
        mapping,
    })
}

/// The `channel_config_code` for a head, if TS can signal its mapping without the extended
/// form.
pub fn channel_config_code(head: &OpusHead) -> Option<u8> {
    (0..=8).find(|&code| {
        head_for_channel_config(code)
            .is_some_and(|h| h.channels == head.channels && h.mapping == head.mapping)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_header_round_trip() {
        for size in [0, 1, 254, 255, 256, 1000] {
            let mut out = Vec::new();
            ControlHeader::write(size, &mut out);
            let h = ControlHeader::parse(&out).unwrap();
            assert_eq!((h.au_size, h.len, h.start_trim), (size, out.len(), None));
        }
    }

    #[test]
    fn trims_and_extension() {
        let data = [0x7f, 0xfc, 0x10, 0xe1, 0x38, 0x00, 0x20, 2, 9, 9, 0xaa];
        let h = ControlHeader::parse(&data).unwrap();
        assert_eq!(h.au_size, 16);
        assert_eq!(
            (h.start_trim, h.end_trim, h.len),
            (Some(0x138), Some(0x20), 10)
        );
        assert!(ControlHeader::parse(&data[..8]).is_err());
        assert!(ControlHeader::parse(&[0x7f, 0xe0, 0xff]).is_err());
        assert!(ControlHeader::parse(&[0x47, 0xe0, 1]).is_err());
    }

    #[test]
    fn channel_codes_map_both_ways() {
        for code in 0..=8 {
            let head = head_for_channel_config(code).unwrap();
            assert_eq!(channel_config_code(&head), Some(code));
            let bytes = head.to_bytes().unwrap();
            assert_eq!(OpusHead::parse(&bytes).unwrap(), head);
        }
        assert!(head_for_channel_config(0x80).is_none());
    }
}
