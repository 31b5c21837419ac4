//! PES packets (13818-1 §2.4.3.6-§2.4.3.7): the packet start code, `stream_id`,
//! `PES_packet_length`, and the optional header with PTS and DTS, read and written.

use crate::rules::{PES_HEADER, PES_START_CODE};
use weir_media::Violation;

/// `stream_id` values (13818-1 Table 2-22).
pub mod stream_id {
    /// 0xBC: `program_stream_map`.
    pub const PROGRAM_STREAM_MAP: u8 = 0xbc;
    /// 0xBD: `private_stream_1` (Opus, AC-3, subtitles, ...).
    pub const PRIVATE_STREAM_1: u8 = 0xbd;
    /// 0xBE: `padding_stream`.
    pub const PADDING: u8 = 0xbe;
    /// 0xBF: `private_stream_2` (no optional PES header).
    pub const PRIVATE_STREAM_2: u8 = 0xbf;
    /// The first of 32 MPEG audio stream ids (0xC0-0xDF).
    pub const AUDIO: u8 = 0xc0;
    /// The first of 16 video stream ids (0xE0-0xEF).
    pub const VIDEO: u8 = 0xe0;

    /// Whether packets of this stream carry the optional PES header (the `stream_id`s that
    /// §2.4.3.6 lists apart, from program_stream_map to program_stream_directory, do not).
    pub fn has_optional_header(id: u8) -> bool {
        !matches!(id, 0xbc | 0xbe | 0xbf | 0xf0 | 0xf1 | 0xf2 | 0xf8 | 0xff)
    }
}

/// Bytes before the optional header: start code prefix, `stream_id`, `PES_packet_length`.
pub const FIXED_LEN: usize = 6;
/// The most `PES_packet_length` can say.
pub const MAX_PACKET_LENGTH: usize = 0xffff;

/// A PES header, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PesHeader {
    /// `stream_id` (Table 2-22): what kind of stream the packet belongs to.
    pub stream_id: u8,
    /// `PES_packet_length`: bytes after this field; 0 is "unbounded" (video only).
    pub packet_length: u16,
    /// `data_alignment_indicator`: an access unit starts right after the header.
    pub data_alignment: bool,
    /// 33-bit presentation timestamp.
    pub pts: Option<u64>,
    /// 33-bit decoding timestamp (present only with a PTS).
    pub dts: Option<u64>,
    /// Bytes of header before the payload.
    pub header_len: usize,
}

/// Reads a 5-byte PTS or DTS field: 4-bit prefix, 33 bits split 3/15/15 by marker bits.
/// Returns the value and whether prefix and markers were right.
pub fn read_timestamp(b: &[u8; 5], prefix: u8) -> (u64, bool) {
    let value = (u64::from(b[0] >> 1) & 0x07) << 30
        | u64::from(b[1]) << 22
        | (u64::from(b[2]) >> 1) << 15
        | u64::from(b[3]) << 7
        | u64::from(b[4]) >> 1;
    let ok = b[0] >> 4 == prefix && b[0] & 1 == 1 && b[2] & 1 == 1 && b[4] & 1 == 1;
    (value, ok)
}

/// Writes a PTS or DTS field with its 4-bit `prefix` (0b0010 PTS only, 0b0011 PTS with DTS,
/// 0b0001 DTS) and marker bits; `value` is taken modulo 2^33.
pub fn write_timestamp(prefix: u8, value: u64, out: &mut Vec<u8>) {
    let v = value & ((1 << 33) - 1);
    out.extend_from_slice(&[
        prefix << 4 | ((v >> 29) as u8 & 0x0e) | 1,
        (v >> 22) as u8,
        ((v >> 14) as u8 & 0xfe) | 1,
        (v >> 7) as u8,
        ((v << 1) as u8) | 1,
    ]);
}

impl PesHeader {
    /// How many bytes of a PES packet beginning with `data` the header takes, or `None` if
    /// `data` is too short to tell (the header may span transport packets).
    pub fn len_needed(data: &[u8]) -> Option<usize> {
        if data.len() < FIXED_LEN {
            return None;
        }
        if !stream_id::has_optional_header(data[3]) {
            return Some(FIXED_LEN);
        }
        data.get(8).map(|&n| FIXED_LEN + 3 + usize::from(n))
    }

    /// Reads the header at the start of a PES packet; `data` holds at least
    /// [`Self::len_needed`] bytes. A header that cannot be read is an error; fields that break
    /// a rule but can be read come back with violations (offsets count from `data[0]`):
    /// timestamps with a wrong prefix or marker bit are still used, `PTS_DTS_flags` 01 is
    /// read as no timestamps.
    pub fn parse(data: &[u8], violations: &mut Vec<Violation>) -> Result<Self, Violation> {
        if data.len() < FIXED_LEN || data[..3] != [0, 0, 1] {
            let got = &data[..data.len().min(3)];
            return Err(Violation::new(
                &PES_START_CODE,
                0,
                format!("PES packet starts with {got:02x?}, not 00 00 01"),
            ));
        }
        let stream_id = data[3];
        let packet_length = u16::from_be_bytes([data[4], data[5]]);
        let mut header = PesHeader {
            stream_id,
            packet_length,
            data_alignment: false,
            pts: None,
            dts: None,
            header_len: FIXED_LEN,
        };
        if !stream_id::has_optional_header(stream_id) {
            return Ok(header);
        }
        let bad = |offset: u64, detail: String| Violation::new(&PES_HEADER, offset, detail);
        let Some(&[flags1, flags2, data_len]) = data.get(6..9) else {
            return Err(bad(
                6,
                "PES header cut short before PES_header_data_length".into(),
            ));
        };
        let header_len = FIXED_LEN + 3 + usize::from(data_len);
        if packet_length != 0 && header_len > FIXED_LEN + usize::from(packet_length) {
            return Err(bad(
                8,
                format!(
                    "PES_header_data_length {data_len} runs past PES_packet_length {packet_length}"
                ),
            ));
        }
        let Some(fields) = data.get(9..header_len) else {
            return Err(bad(8, "PES header cut short".into()));
        };
        if flags1 >> 6 != 0b10 {
            violations.push(bad(
                6,
                format!(
                    "the optional PES header starts with bits {:02b}, not 10",
                    flags1 >> 6
                ),
            ));
        }
        header.data_alignment = flags1 & 0x04 != 0;
        header.header_len = header_len;
        let pts_dts = flags2 >> 6;
        let needed = match pts_dts {
            0b10 => 5,
            0b11 => 10,
            0b01 => {
                violations.push(bad(
                    7,
                    "PTS_DTS_flags is 01 (forbidden); timestamps ignored".into(),
                ));
                0
            }
            _ => 0,
        };
        if fields.len() < needed {
            return Err(bad(
                8,
                format!(
                    "PES_header_data_length {data_len} leaves no room for the PTS/DTS its flags announce"
                ),
            ));
        }
        if needed >= 5 {
            let prefix = if needed == 10 { 0b0011 } else { 0b0010 };
            let (pts, ok) = read_timestamp(fields[..5].try_into().expect("5 bytes"), prefix);
            if !ok {
                violations.push(bad(9, "PTS prefix or marker bits wrong".into()));
            }
            header.pts = Some(pts);
        }
        if needed == 10 {
            let (dts, ok) = read_timestamp(fields[5..10].try_into().expect("5 bytes"), 0b0001);
            if !ok {
                violations.push(bad(14, "DTS prefix or marker bits wrong".into()));
            }
            header.dts = Some(dts);
        }
        Ok(header)
    }

    /// Appends a PES header: `stream_id`, `PES_packet_length` for `payload_len` bytes of
    /// payload (0, unbounded, when `payload_len` is `None` or too long to say), and the
    /// optional header with `data_alignment_indicator` set, the PTS, and the DTS when it
    /// differs from the PTS. Returns the header length.
    pub fn write(
        stream_id: u8,
        pts: u64,
        dts: Option<u64>,
        payload_len: Option<usize>,
        out: &mut Vec<u8>,
    ) -> usize {
        let dts = dts.filter(|&d| d != pts);
        let data_len: usize = if dts.is_some() { 10 } else { 5 };
        let length = payload_len
            .map(|n| n + 3 + data_len)
            .filter(|&n| n <= MAX_PACKET_LENGTH)
            .unwrap_or(0);
        out.extend_from_slice(&[0, 0, 1, stream_id]);
        out.extend_from_slice(&(length as u16).to_be_bytes());
        out.push(0x84); // '10', not scrambled, no priority, data_alignment_indicator
        out.push(if dts.is_some() { 0xc0 } else { 0x80 });
        out.push(data_len as u8);
        match dts {
            Some(dts) => {
                write_timestamp(0b0011, pts, out);
                write_timestamp(0b0001, dts, out);
            }
            None => write_timestamp(0b0010, pts, out),
        }
        FIXED_LEN + 3 + data_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn written_headers_read_back(pts in 0u64..1 << 33, dts in proptest::option::of(0u64..1 << 33),
                                     len in proptest::option::of(0usize..70_000), video: bool) {
            let id = if video { stream_id::VIDEO } else { stream_id::AUDIO };
            let mut out = Vec::new();
            let n = PesHeader::write(id, pts, dts, len, &mut out);
            prop_assert_eq!(n, out.len());
            prop_assert_eq!(PesHeader::len_needed(&out), Some(n));
            let mut violations = Vec::new();
            let h = PesHeader::parse(&out, &mut violations).unwrap();
            prop_assert!(violations.is_empty());
            prop_assert_eq!(h.pts, Some(pts));
            prop_assert_eq!(h.dts, dts.filter(|&d| d != pts));
            prop_assert!(h.data_alignment);
            prop_assert_eq!(h.header_len, n);
            let expected = len.map(|l| l + n - 6).filter(|&l| l <= 0xffff).unwrap_or(0);
            prop_assert_eq!(usize::from(h.packet_length), expected);
        }

        #[test]
        fn no_panic_on_arbitrary_headers(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut v = Vec::new();
            if PesHeader::len_needed(&data).is_some_and(|n| n <= data.len()) {
                let _ = PesHeader::parse(&data, &mut v);
            }
            let _ = PesHeader::parse(&data, &mut v);
        }
    }

    #[test]
    fn forbidden_flags_and_bad_markers_are_violations() {
        let mut out = Vec::new();
        PesHeader::write(0xe0, 1234, None, None, &mut out);
        out[7] = 0x40; // PTS_DTS_flags 01
        let mut v = Vec::new();
        let h = PesHeader::parse(&out, &mut v).unwrap();
        assert_eq!(h.pts, None);
        assert_eq!(v[0].rule.id, "mpegts.pes.header");
        let mut out = Vec::new();
        PesHeader::write(0xe0, 1234, None, None, &mut out);
        out[13] &= 0xfe;
        let mut v = Vec::new();
        assert_eq!(PesHeader::parse(&out, &mut v).unwrap().pts, Some(1234));
        assert_eq!(v.len(), 1);
        assert_eq!(
            PesHeader::parse(&[0, 0, 2, 0xe0, 0, 0], &mut v)
                .unwrap_err()
                .rule
                .id,
            "mpegts.pes.start-code"
        );
    }

    #[test]
    fn padding_streams_have_no_optional_header() {
        let data = [0, 0, 1, stream_id::PADDING, 0, 2, 0xff, 0xff];
        assert_eq!(PesHeader::len_needed(&data), Some(6));
        let h = PesHeader::parse(&data, &mut Vec::new()).unwrap();
        assert_eq!((h.header_len, h.pts), (6, None));
    }
}
