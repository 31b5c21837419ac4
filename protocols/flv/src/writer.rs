//! `FlvWriter`: FLV file bytes – the header and PreviousTagSize0, then each tag as its
//! header, body and PreviousTagSize (FLV 10.1 §E.2-§E.3).

use crate::Error;
use crate::header::FileHeader;
use crate::tag::{TagHeader, TagType};
use bytes::{BufMut, Bytes, BytesMut};

/// Writes an FLV stream. The first tag's bytes begin with the file header, so that an
/// HTTP-FLV response is just the concatenation of what this returns.
#[derive(Debug, Clone)]
pub struct FlvWriter {
    header: FileHeader,
    header_written: bool,
}

impl FlvWriter {
    /// A writer whose file header announces the given track kinds (version 1, 9-byte header).
    pub fn new(has_audio: bool, has_video: bool) -> Self {
        FlvWriter {
            header: FileHeader::new(has_audio, has_video),
            header_written: false,
        }
    }

    /// The file header and PreviousTagSize0 (13 bytes); marks them as written.
    pub fn header_bytes(&mut self) -> Bytes {
        let mut out = BytesMut::with_capacity(FileHeader::LEN + 4);
        self.put_header(&mut out);
        out.freeze()
    }

    fn put_header(&mut self, out: &mut BytesMut) {
        self.header.write(out);
        out.put_u32(0);
        self.header_written = true;
    }

    /// One tag: its 11-byte header, `body` and its PreviousTagSize – preceded by the file
    /// header if it was not written yet.
    pub fn write_tag(
        &mut self,
        tag_type: TagType,
        timestamp_ms: u32,
        body: &[u8],
    ) -> Result<Bytes, Error> {
        let tag = Self::tag(tag_type, timestamp_ms, body)?;
        if self.header_written {
            return Ok(tag);
        }
        let mut out = BytesMut::with_capacity(FileHeader::LEN + 4 + tag.len());
        self.put_header(&mut out);
        out.put_slice(&tag);
        Ok(out.freeze())
    }

    /// One tag after the file header: the same bytes in every file it goes into, so that a
    /// server makes each tag once for all its HTTP-FLV players.
    pub fn tag(tag_type: TagType, timestamp_ms: u32, body: &[u8]) -> Result<Bytes, Error> {
        let size = u32::try_from(body.len())
            .ok()
            .filter(|&n| n <= 0xff_ffff)
            .ok_or_else(|| {
                Error::usage(format!(
                    "a tag body of {} bytes does not fit in 24 bits",
                    body.len()
                ))
            })?;
        let mut out = BytesMut::with_capacity(TagHeader::LEN + body.len() + 4);
        TagHeader::new(tag_type, timestamp_ms, size).write(&mut out)?;
        out.put_slice(body);
        out.put_u32(TagHeader::LEN as u32 + size);
        Ok(out.freeze())
    }
}
