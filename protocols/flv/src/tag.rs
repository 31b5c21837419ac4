//! The 11-byte FLV tag header (FLV 10.1 §E.4.1).

use crate::{Error, rules};
use bytes::{BufMut, BytesMut};
use weir_media::Violation;

/// TagType: what the tag body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagType {
    /// 8: an audio tag (see [`crate::audio`]).
    Audio,
    /// 9: a video tag (see [`crate::video`]).
    Video,
    /// Script data: AMF0 name and values (see [`crate::script`]).
    Script,
    /// A value FLV does not define (5 bits); readers skip such tags.
    Other(u8),
}

impl TagType {
    fn from_bits(v: u8) -> Self {
        match v {
            8 => TagType::Audio,
            9 => TagType::Video,
            18 => TagType::Script,
            other => TagType::Other(other),
        }
    }

    /// The 5-bit TagType value.
    pub fn value(self) -> u8 {
        match self {
            TagType::Audio => 8,
            TagType::Video => 9,
            TagType::Script => 18,
            TagType::Other(v) => v & 0x1f,
        }
    }
}

/// One tag header. The body (`data_size` bytes) follows it, then the 4-byte PreviousTagSize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagHeader {
    /// The two reserved bits before the filter bit; 0.
    pub reserved: u8,
    /// The body is encrypted or otherwise filtered (an EncryptionTagHeader precedes it).
    pub filter: bool,
    /// TagType (5 bits): what the body holds.
    pub tag_type: TagType,
    /// Body length in bytes (24 bits).
    pub data_size: u32,
    /// Milliseconds: the 24-bit Timestamp with TimestampExtended as its upper 8 bits.
    pub timestamp: u32,
    /// Always 0 (24 bits).
    pub stream_id: u32,
}

impl TagHeader {
    /// Bytes in a tag header.
    pub const LEN: usize = 11;

    /// A header for an unfiltered tag of `tag_type`.
    pub fn new(tag_type: TagType, timestamp: u32, data_size: u32) -> Self {
        TagHeader {
            reserved: 0,
            filter: false,
            tag_type,
            data_size,
            timestamp,
            stream_id: 0,
        }
    }

    /// Parses the first 11 bytes of `input`; offsets in errors are within `input`.
    pub fn parse(input: &[u8]) -> Result<TagHeader, Error> {
        let Some(b) = input.first_chunk::<{ Self::LEN }>() else {
            return Err(Error::rule(
                &rules::TAG_TRUNCATED,
                0,
                format!("{} bytes, a tag header needs 11", input.len()),
            ));
        };
        Ok(TagHeader {
            reserved: b[0] >> 6,
            filter: b[0] & 0x20 != 0,
            tag_type: TagType::from_bits(b[0] & 0x1f),
            data_size: u32::from_be_bytes([0, b[1], b[2], b[3]]),
            timestamp: u32::from_be_bytes([b[7], b[4], b[5], b[6]]),
            stream_id: u32::from_be_bytes([0, b[8], b[9], b[10]]),
        })
    }

    /// Requirements this header breaks without being unreadable; offsets within the header.
    pub fn violations(&self) -> Vec<Violation> {
        let mut found = Vec::new();
        if self.reserved != 0 {
            found.push(Violation::new(
                &rules::TAG_RESERVED,
                0,
                format!("reserved bits {:#b}", self.reserved),
            ));
        }
        if let TagType::Other(v) = self.tag_type {
            found.push(Violation::new(&rules::TAG_TYPE, 0, format!("TagType {v}")));
        }
        if self.stream_id != 0 {
            found.push(Violation::new(
                &rules::TAG_STREAM_ID,
                8,
                format!("StreamID {}", self.stream_id),
            ));
        }
        found
    }

    /// Appends the 11 header bytes.
    pub fn write(&self, out: &mut BytesMut) -> Result<(), Error> {
        if self.data_size > 0xff_ffff || self.stream_id > 0xff_ffff {
            return Err(Error::usage(format!(
                "DataSize {} or StreamID {} beyond 24 bits",
                self.data_size, self.stream_id
            )));
        }
        out.put_u8((self.reserved & 3) << 6 | u8::from(self.filter) << 5 | self.tag_type.value());
        put_u24(out, self.data_size);
        put_u24(out, self.timestamp & 0xff_ffff);
        out.put_u8((self.timestamp >> 24) as u8);
        put_u24(out, self.stream_id);
        Ok(())
    }
}

/// Writes `v` as a big-endian 24-bit field; callers check the range first.
pub(crate) fn put_u24(out: &mut bytes::BytesMut, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn extended_timestamp_is_the_upper_byte() {
        let h = TagHeader::parse(&[9, 0, 0, 5, 0x12, 0x34, 0x56, 0x78, 0, 0, 0]).unwrap();
        assert_eq!(h, TagHeader::new(TagType::Video, 0x7812_3456, 5));
        assert!(h.violations().is_empty());
    }

    #[test]
    fn bad_type_and_stream_id_are_violations() {
        let h = TagHeader::parse(&[0xc7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).unwrap();
        let ids: Vec<_> = h.violations().iter().map(|v| v.rule.id).collect();
        assert_eq!(
            ids,
            ["flv.tag.reserved", "flv.tag.type", "flv.tag.stream-id"]
        );
    }

    fn tag_type() -> impl Strategy<Value = TagType> {
        (0u8..32).prop_map(TagType::from_bits)
    }

    proptest! {
        #[test]
        fn round_trip(reserved in 0u8..4, filter: bool, tag_type in tag_type(), data_size in 0u32..1 << 24,
                      timestamp: u32, stream_id in 0u32..1 << 24) {
            let header = TagHeader { reserved, filter, tag_type, data_size, timestamp, stream_id };
            let mut out = BytesMut::new();
            header.write(&mut out).unwrap();
            prop_assert_eq!(out.len(), TagHeader::LEN);
            prop_assert_eq!(TagHeader::parse(&out).unwrap(), header);
        }

        #[test]
        fn no_panic(input: Vec<u8>) {
            let _ = TagHeader::parse(&input).map(|h| h.violations());
        }
    }
}
