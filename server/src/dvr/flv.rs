//! A recording as an FLV file (FLV 10.1 §E.2-E.4): the header, an `onMetaData` whose
//! `duration` and `filesize` are written back when the file ends (as SRS's DVR does, so that
//! players can seek), then each tag with its time from the file's first frame.
//!
//! The tag bodies are the stream's own, made once for every RTMP and HTTP-FLV player
//! ([`crate::flv::body`]); only the tag header is the file's.

use super::{Container, Fixup};
use crate::flv;
use bytes::Bytes;
use weir_amf0::Value;
use weir_flv::{FlvWriter, TagType};
use weir_hub::{Entry, Stream};
use weir_media::{MediaPacket, Metadata, Timestamp};
use weir_transcode::{Want, each_as};

/// The AMF0 name of the value written back at the end, before its 8-byte number.
const DURATION: &[u8] = b"\x00\x08duration\x00";
const FILESIZE: &[u8] = b"\x00\x08filesize\x00";
/// FLV 10.1 §E.2: byte 4 of the header flags the tracks (4: audio, 1: video).
const FLAGS_OFFSET: u64 = 4;

pub struct FlvFile {
    /// Bytes written so far: where the next one goes.
    position: u64,
    /// Where `duration`'s and `filesize`'s numbers are, once the metadata is written.
    duration_at: Option<u64>,
    filesize_at: Option<u64>,
    /// The file's first frame's time: tags count from it.
    base: Option<Timestamp>,
    last: Timestamp,
    audio: bool,
    video: bool,
}

impl FlvFile {
    pub fn new() -> Self {
        FlvFile {
            position: 0,
            duration_at: None,
            filesize_at: None,
            base: None,
            last: Timestamp::default(),
            audio: false,
            video: false,
        }
    }

    fn push(&mut self, bytes: Bytes, out: &mut Vec<Bytes>) {
        self.position += bytes.len() as u64;
        out.push(bytes);
    }

    /// A script tag of `metadata` (the publisher's, without its own `duration` and
    /// `filesize`, which would be wrong for a file), with ours first when `placeholders`.
    fn metadata_tag(metadata: &Metadata, placeholders: bool, time: u32) -> Option<Bytes> {
        let mut entries = match weir_flv::metadata_value(metadata) {
            Value::EcmaArray(entries) => entries,
            _ => Vec::new(),
        };
        entries.retain(|(k, _)| k != "duration" && k != "filesize");
        if placeholders {
            entries.insert(0, ("filesize".into(), Value::Number(0.0)));
            entries.insert(0, ("duration".into(), Value::Number(0.0)));
        }
        flv::metadata_tag(Value::EcmaArray(entries), time).ok()
    }
}

/// Where `name`'s number starts in `bytes`, a tag.
fn number_at(bytes: &[u8], name: &[u8]) -> Option<usize> {
    bytes
        .windows(name.len())
        .position(|w| w == name)
        .map(|at| at + name.len())
}

impl Container for FlvFile {
    fn start(&mut self, metadata: Option<&Metadata>, out: &mut Vec<Bytes>) {
        let header = FlvWriter::new(true, true).header_bytes();
        self.push(header, out);
        let empty = Metadata::default();
        if let Some(tag) = Self::metadata_tag(metadata.unwrap_or(&empty), true, 0) {
            let at = self.position;
            self.duration_at = number_at(&tag, DURATION).map(|n| at + n as u64);
            self.filesize_at = number_at(&tag, FILESIZE).map(|n| at + n as u64);
            self.push(tag, out);
        }
    }

    fn metadata(&mut self, metadata: &Metadata, out: &mut Vec<Bytes>) {
        if let Some(tag) = Self::metadata_tag(metadata, false, flv::timestamp(self.last)) {
            self.push(tag, out);
        }
    }

    fn media(
        &mut self,
        stream: &Stream,
        entry: &std::sync::Arc<Entry<MediaPacket>>,
        out: &mut Vec<Bytes>,
    ) {
        each_as(stream, entry, Want::Aac, |media| {
            let Some(body) = flv::body(media) else { return };
            if media.is_frame() {
                self.base.get_or_insert(media.time);
            }
            // Configurations before the first frame are at 0; nothing goes before it.
            let since = Timestamp(self.base.map_or(0, |base| (media.time.0 - base.0).max(0)));
            self.last = self.last.max(since);
            let (kind, audio) = match media.is_video() {
                true => (TagType::Video, false),
                false => (TagType::Audio, true),
            };
            let time = flv::timestamp(since);
            if let Ok(tag) = FlvWriter::tag(kind, time, body.payload()) {
                self.audio |= audio;
                self.video |= !audio;
                self.push(tag, out);
            }
        });
    }

    fn finish(&mut self, _out: &mut Vec<Bytes>) -> Vec<Fixup> {
        let mut fixups = vec![Fixup {
            offset: FLAGS_OFFSET,
            bytes: vec![u8::from(self.audio) << 2 | u8::from(self.video)],
        }];
        if let Some(at) = self.duration_at {
            let seconds = self.last.as_secs_f64();
            fixups.push(Fixup {
                offset: at,
                bytes: seconds.to_be_bytes().to_vec(),
            });
        }
        if let Some(at) = self.filesize_at {
            fixups.push(Fixup {
                offset: at,
                bytes: (self.position as f64).to_be_bytes().to_vec(),
            });
        }
        fixups
    }
}
