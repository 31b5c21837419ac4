//! A recording as a progressive MP4 file (ISO/IEC 14496-12), written by `weir_mp4`'s
//! [`Mp4Writer`]: `ftyp` and the `mdat` as frames come, the `moov` and the `mdat`'s size when
//! the file ends. Opus stays Opus (MP4 carries it, RFC 7845's mapping in "Encapsulation of
//! Opus in ISO Base Media File Format"); a codec MP4 does not carry is left out, said once.

use super::{Container, Fixup};
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::Arc;
use tracing::{debug, warn};
use weir_hub::{Entry, Stream};
use weir_media::{MediaPacket, Metadata, Track};
use weir_mp4::Mp4Writer;

pub struct Mp4File {
    writer: Mp4Writer,
    /// Tracks left out (a codec MP4 files from Weir do not carry): said once each.
    left_out: HashSet<Track>,
}

impl Mp4File {
    pub fn new() -> Self {
        Mp4File {
            writer: Mp4Writer::new(),
            left_out: HashSet::new(),
        }
    }

    fn drain(&mut self, out: &mut Vec<Bytes>) {
        while let Some(bytes) = self.writer.poll_output() {
            out.push(bytes);
        }
    }
}

impl Container for Mp4File {
    fn start(&mut self, _metadata: Option<&Metadata>, _out: &mut Vec<Bytes>) {}

    fn metadata(&mut self, _metadata: &Metadata, _out: &mut Vec<Bytes>) {}

    fn media(&mut self, _stream: &Stream, entry: &Arc<Entry<MediaPacket>>, out: &mut Vec<Bytes>) {
        let track = entry.value.track();
        let result = match &entry.value {
            MediaPacket::Config(config) => self.writer.handle_config(config),
            MediaPacket::Frame(frame) if !self.left_out.contains(&track) => {
                self.writer.handle_frame(frame)
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            if self.left_out.insert(track) {
                warn!(error = %e, "track left out of the MP4 recording");
            } else {
                debug!(error = %e, "frame left out of the MP4 recording");
            }
        } else if matches!(entry.value, MediaPacket::Config(_)) {
            self.left_out.remove(&track);
        }
        self.drain(out);
    }

    fn finish(&mut self, out: &mut Vec<Bytes>) -> Vec<Fixup> {
        self.drain(out);
        let end = self.writer.finish();
        self.drain(out);
        out.push(end.moov);
        vec![Fixup {
            offset: end.mdat_size_offset,
            bytes: end.mdat_size.to_vec(),
        }]
    }
}
