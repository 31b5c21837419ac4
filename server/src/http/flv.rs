//! HTTP-FLV: the live stream as an FLV file (FLV 10.1 §E.2-E.4, with E-RTMP's codecs), which
//! flv.js, mpegts.js, FFmpeg and VLC play.

use super::live::Format;
use crate::clients::ClientKind;
use crate::flv;
use bytes::Bytes;
use std::sync::Arc;
use tracing::warn;
use weir_flv::FlvWriter;
use weir_hub::{Item, Stream};
use weir_transcode::{Want, each_as};

pub struct Flv {
    writer: FlvWriter,
    stream: Arc<Stream>,
}

impl Format for Flv {
    const CONTENT_TYPE: &'static str = "video/x-flv";
    const KIND: ClientKind = ClientKind::FlvPlay;
    const EXTENSION: &'static str = "flv";

    fn new(stream: &Arc<Stream>) -> Self {
        Flv {
            writer: FlvWriter::new(true, true),
            stream: stream.clone(),
        }
    }

    fn start(&mut self, out: &mut Vec<Bytes>) {
        out.push(self.writer.header_bytes());
    }

    /// A media tag is the stream's, shared by every player ([`flv::tag`]), Opus audio as the
    /// stream's AAC (transcoded once); metadata is written per player (it is rare).
    fn write(&mut self, item: Item, out: &mut Vec<Bytes>) {
        match item {
            Item::Media(media) => each_as(&self.stream, &media, Want::Aac, |media| {
                out.extend(flv::tag(media).cloned())
            }),
            Item::Metadata(metadata) => {
                let value = weir_flv::metadata_value(&metadata.value);
                match flv::metadata_tag(value, flv::timestamp(metadata.time)) {
                    Ok(tag) => out.push(tag),
                    Err(e) => warn!(error = %e, "metadata tag not written"),
                }
            }
            Item::Publisher(_) => {}
        }
    }
}
