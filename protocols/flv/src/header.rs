//! The FLV file header (FLV 10.1 §E.2): signature "FLV", version, type flags, data offset.

use crate::{Error, rules};
use bytes::{BufMut, BytesMut};
use weir_media::Violation;

/// The 9-byte header that starts every FLV file. `PreviousTagSize0` (always 0) follows it
/// at `data_offset`; [`crate::FlvReader`] and [`crate::FlvWriter`] handle that field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileHeader {
    /// 1 for every FLV file.
    pub version: u8,
    /// TypeFlags: bit 2 audio present, bit 0 video present, the rest reserved (0).
    pub type_flags: u8,
    /// The length of this header in bytes: 9 for version 1. Bytes beyond the first 9 are
    /// skipped by the reader.
    pub data_offset: u32,
}

impl FileHeader {
    /// Bytes in a version 1 header: signature (3), version, TypeFlags and DataOffset (4).
    pub const LEN: usize = 9;
    const AUDIO: u8 = 0x04;
    const VIDEO: u8 = 0x01;

    /// A version 1 header announcing the given track kinds.
    pub fn new(has_audio: bool, has_video: bool) -> Self {
        let type_flags =
            if has_audio { Self::AUDIO } else { 0 } | if has_video { Self::VIDEO } else { 0 };
        FileHeader {
            version: 1,
            type_flags,
            data_offset: Self::LEN as u32,
        }
    }

    /// TypeFlagsAudio: the file announces audio tags.
    pub fn has_audio(&self) -> bool {
        self.type_flags & Self::AUDIO != 0
    }

    /// TypeFlagsVideo: the file announces video tags.
    pub fn has_video(&self) -> bool {
        self.type_flags & Self::VIDEO != 0
    }

    /// Parses the first 9 bytes of `input` (offsets in errors are within `input`). A wrong
    /// signature or a data offset below 9 makes the input unreadable as FLV; a wrong version
    /// or reserved bits are left to [`FileHeader::violations`].
    pub fn parse(input: &[u8]) -> Result<FileHeader, Error> {
        let Some(bytes) = input.first_chunk::<{ Self::LEN }>() else {
            return Err(Error::rule(
                &rules::HEADER_SIGNATURE,
                0,
                format!("{} bytes, a header needs 9", input.len()),
            ));
        };
        if &bytes[..3] != b"FLV" {
            return Err(Error::rule(
                &rules::HEADER_SIGNATURE,
                0,
                format!(
                    "signature {:?}, expected \"FLV\"",
                    bytes[..3].escape_ascii().to_string()
                ),
            ));
        }
        let data_offset = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]);
        if data_offset < Self::LEN as u32 {
            return Err(Error::rule(
                &rules::HEADER_DATA_OFFSET,
                5,
                format!("DataOffset {data_offset} is below 9"),
            ));
        }
        Ok(FileHeader {
            version: bytes[3],
            type_flags: bytes[4],
            data_offset,
        })
    }

    /// Requirements this header breaks without being unreadable; offsets within the header.
    pub fn violations(&self) -> Vec<Violation> {
        let mut found = Vec::new();
        if self.version != 1 {
            found.push(Violation::new(
                &rules::HEADER_VERSION,
                3,
                format!("version {}", self.version),
            ));
        }
        if self.type_flags & !(Self::AUDIO | Self::VIDEO) != 0 {
            found.push(Violation::new(
                &rules::HEADER_RESERVED,
                4,
                format!("TypeFlags {:#04x}", self.type_flags),
            ));
        }
        found
    }

    /// Appends the 9 header bytes (callers pad up to `data_offset` if they chose more).
    pub fn write(&self, out: &mut BytesMut) {
        out.put_slice(b"FLV");
        out.put_u8(self.version);
        out.put_u8(self.type_flags);
        out.put_u32(self.data_offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn audio_and_video_header() {
        let h = FileHeader::parse(b"FLV\x01\x05\x00\x00\x00\x09").unwrap();
        assert_eq!(h, FileHeader::new(true, true));
        assert!(h.has_audio() && h.has_video() && h.violations().is_empty());
    }

    #[test]
    fn bad_headers_name_their_rule() {
        let e = FileHeader::parse(b"FLX\x01\x05\x00\x00\x00\x09").unwrap_err();
        assert_eq!(e.rule.unwrap().id, "flv.header.signature");
        let e = FileHeader::parse(b"FLV\x01\x05\x00\x00\x00\x08").unwrap_err();
        assert_eq!(
            (e.rule.unwrap().id, e.offset),
            ("flv.header.data-offset", 5)
        );
        let v = FileHeader::parse(b"FLV\x02\x0d\x00\x00\x00\x09")
            .unwrap()
            .violations();
        let ids: Vec<_> = v.iter().map(|v| v.rule.id).collect();
        assert_eq!(ids, ["flv.header.version", "flv.header.reserved"]);
    }

    proptest! {
        #[test]
        fn round_trip(version: u8, type_flags: u8, data_offset in 9u32..) {
            let header = FileHeader { version, type_flags, data_offset };
            let mut out = BytesMut::new();
            header.write(&mut out);
            prop_assert_eq!(FileHeader::parse(&out).unwrap(), header);
        }

        #[test]
        fn no_panic(input: Vec<u8>) {
            let _ = FileHeader::parse(&input).map(|h| h.violations());
        }
    }
}
