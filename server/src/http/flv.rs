//! HTTP-FLV: the live stream as an FLV file (FLV 10.1 §E.2-E.4, with E-RTMP's codecs), which
//! flv.js, mpegts.js, FFmpeg and VLC play.

use super::live::Format;
use crate::clients::ClientKind;
use crate::hub::Item;
use bytes::BytesMut;
use tracing::warn;
use weir_flv::{FlvWriter, TagType};

pub struct Flv(FlvWriter);

impl Format for Flv {
    const CONTENT_TYPE: &'static str = "video/x-flv";
    const KIND: ClientKind = ClientKind::FlvPlay;

    fn new() -> Self {
        Flv(FlvWriter::new(true, true))
    }

    fn start(&mut self, out: &mut BytesMut) {
        out.extend_from_slice(&self.0.header_bytes());
    }

    fn write(&mut self, item: Item, out: &mut BytesMut) {
        write(&mut self.0, item, out)
    }
}

/// Appends an item to the FLV file as a tag (nothing for notices).
fn write(writer: &mut FlvWriter, item: Item, out: &mut BytesMut) {
    let tag = match item {
        Item::Media(media) => {
            let Some(body) = media.flv_body() else { return };
            let tag_type = if media.is_video() {
                TagType::Video
            } else {
                TagType::Audio
            };
            writer.write_tag(tag_type, media.timestamp, body.payload())
        }
        Item::Metadata { timestamp, value } => {
            let mut body = Vec::new();
            let values = [weir_amf0::Value::string("onMetaData"), (*value).clone()];
            weir_amf0::encode_all(&values, &mut body);
            writer.write_tag(TagType::Script, timestamp, &body)
        }
        Item::Publisher(_) => return,
    };
    match tag {
        Ok(tag) => out.extend_from_slice(&tag),
        Err(e) => warn!(error = %e, "tag not written"),
    }
}
