//! The system header (13818-1 §2.5.3.5-§2.5.3.6): `system_header_start_code` 0x000001BB,
//! `header_length`, the stream's bounds (rate, audio and video streams, flags) and one
//! three-byte entry per elementary stream with its P-STD buffer bound.

use crate::rules::{SYSTEM_HEADER_LENGTH, SYSTEM_HEADER_MARKER, SYSTEM_HEADER_STREAM_ID};
use weir_media::Violation;

/// The four bytes that begin a system header.
pub const SYSTEM_HEADER_START_CODE: [u8; 4] = [0, 0, 1, 0xbb];
/// Bytes of a system header before its stream entries.
pub const FIXED_LEN: usize = 12;

/// One stream entry: the P-STD buffer a stream needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamBound {
    /// `stream_id` (0xB8 all audio, 0xB9 all video, or one stream).
    pub stream_id: u8,
    /// `P-STD_buffer_bound_scale`: 1 counts the bound in 1024-byte units, 0 in 128-byte units.
    pub scale_1024: bool,
    /// `P-STD_buffer_size_bound`: 13 bits.
    pub size_bound: u16,
}

/// A system header, read or to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemHeader {
    /// `rate_bound`: 22 bits, at least any pack's `program_mux_rate`.
    pub rate_bound: u32,
    /// `audio_bound`: audio streams, 0..=32.
    pub audio_bound: u8,
    /// `fixed_flag`: constant bit rate.
    pub fixed: bool,
    /// `CSPS_flag`: constrained parameters.
    pub csps: bool,
    /// `system_audio_lock_flag`.
    pub audio_lock: bool,
    /// `system_video_lock_flag`.
    pub video_lock: bool,
    /// `video_bound`: video streams, 0..=16.
    pub video_bound: u8,
    /// `packet_rate_restriction_flag`.
    pub packet_rate_restriction: bool,
    /// The stream entries.
    pub streams: Vec<StreamBound>,
}

impl SystemHeader {
    /// Reads a whole system header packet (`data` is its `6 + header_length` bytes). Fields
    /// missing are an error; broken markers, entries not starting '11', a length that is not
    /// whole entries and stream ids below 0xBC (other than 0xB8/0xB9) are violations.
    pub fn parse(data: &[u8], violations: &mut Vec<Violation>) -> Result<Self, Violation> {
        if data.len() < FIXED_LEN || data[..4] != SYSTEM_HEADER_START_CODE {
            return Err(Violation::new(
                &SYSTEM_HEADER_LENGTH,
                4,
                format!(
                    "a {}-byte system header is shorter than its {FIXED_LEN} fixed bytes",
                    data.len()
                ),
            ));
        }
        let b = data;
        let marker = |violations: &mut Vec<Violation>, ok: bool, at: u64, what: &str| {
            if !ok {
                violations.push(Violation::new(
                    &SYSTEM_HEADER_MARKER,
                    at,
                    format!("the marker bit {what} is 0"),
                ));
            }
        };
        marker(violations, b[6] & 0x80 != 0, 6, "before rate_bound");
        marker(violations, b[8] & 1 != 0, 8, "after rate_bound");
        marker(violations, b[10] & 0x20 != 0, 10, "before video_bound");
        let entries = &b[FIXED_LEN..];
        if !entries.len().is_multiple_of(3) {
            violations.push(Violation::new(
                &SYSTEM_HEADER_LENGTH,
                4,
                format!(
                    "header_length {} leaves {} bytes after the fixed fields: not whole 3-byte entries",
                    b.len() - 6,
                    entries.len()
                ),
            ));
        }
        let mut streams = Vec::with_capacity(entries.len() / 3);
        for (i, e) in entries.chunks_exact(3).enumerate() {
            let at = (FIXED_LEN + 3 * i) as u64;
            if e[1] >> 6 != 0b11 {
                violations.push(Violation::new(
                    &SYSTEM_HEADER_LENGTH,
                    at + 1,
                    "a stream entry's bits after stream_id are not '11'",
                ));
            }
            if e[0] < 0xbc && e[0] != 0xb8 && e[0] != 0xb9 {
                violations.push(Violation::new(
                    &SYSTEM_HEADER_STREAM_ID,
                    at,
                    format!("stream entry for stream_id {:#04x}", e[0]),
                ));
            }
            streams.push(StreamBound {
                stream_id: e[0],
                scale_1024: e[1] & 0x20 != 0,
                size_bound: u16::from(e[1] & 0x1f) << 8 | u16::from(e[2]),
            });
        }
        Ok(SystemHeader {
            rate_bound: u32::from(b[6] & 0x7f) << 15 | u32::from(b[7]) << 7 | u32::from(b[8] >> 1),
            audio_bound: b[9] >> 2,
            fixed: b[9] & 2 != 0,
            csps: b[9] & 1 != 0,
            audio_lock: b[10] & 0x80 != 0,
            video_lock: b[10] & 0x40 != 0,
            video_bound: b[10] & 0x1f,
            packet_rate_restriction: b[11] & 0x80 != 0,
            streams,
        })
    }

    /// Appends the system header with marker bits and reserved bits set; fields are cut to
    /// their widths. Returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> usize {
        let len = FIXED_LEN + 3 * self.streams.len();
        let r = self.rate_bound & 0x3f_ffff;
        out.extend_from_slice(&SYSTEM_HEADER_START_CODE);
        out.extend_from_slice(&((len - 6) as u16).to_be_bytes());
        out.extend_from_slice(&[
            0x80 | (r >> 15) as u8,
            (r >> 7) as u8,
            ((r << 1) as u8) | 1,
            (self.audio_bound & 0x3f) << 2 | u8::from(self.fixed) << 1 | u8::from(self.csps),
            u8::from(self.audio_lock) << 7
                | u8::from(self.video_lock) << 6
                | 0x20
                | (self.video_bound & 0x1f),
            u8::from(self.packet_rate_restriction) << 7 | 0x7f,
        ]);
        for s in &self.streams {
            out.extend_from_slice(&[
                s.stream_id,
                0xc0 | u8::from(s.scale_1024) << 5 | (s.size_bound >> 8) as u8 & 0x1f,
                s.size_bound as u8,
            ]);
        }
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bound() -> impl Strategy<Value = StreamBound> {
        (0xbcu8..=0xff, any::<bool>(), 0u16..0x2000).prop_map(
            |(stream_id, scale_1024, size_bound)| StreamBound {
                stream_id,
                scale_1024,
                size_bound,
            },
        )
    }

    proptest! {
        #[test]
        fn written_system_headers_read_back(rate_bound in 0u32..1 << 22, audio_bound in 0u8..64,
                flags in any::<[bool; 5]>(), video_bound in 0u8..32,
                streams in proptest::collection::vec(bound(), 0..6)) {
            let h = SystemHeader { rate_bound, audio_bound, fixed: flags[0], csps: flags[1],
                audio_lock: flags[2], video_lock: flags[3], video_bound,
                packet_rate_restriction: flags[4], streams };
            let mut out = Vec::new();
            let n = h.write(&mut out);
            prop_assert_eq!(n, out.len());
            let mut v = Vec::new();
            prop_assert_eq!(SystemHeader::parse(&out, &mut v).unwrap(), h);
            prop_assert!(v.is_empty());
            // Canonical: what was read writes back to the same bytes.
            let mut again = Vec::new();
            SystemHeader::parse(&out, &mut v).unwrap().write(&mut again);
            prop_assert_eq!(again, out);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = SystemHeader::parse(&data, &mut Vec::new());
        }
    }
}
