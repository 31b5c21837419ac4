//! HTTP-FLV: the live stream as an FLV file (FLV 10.1 §E.2-E.4, with E-RTMP's codecs), which
//! flv.js, mpegts.js, FFmpeg and VLC play.

use super::live::Format;
use crate::clients::ClientKind;
use crate::flv;
use bytes::BytesMut;
use tracing::warn;
use weir_flv::{FlvWriter, ScriptData, TagType};
use weir_hub::Item;

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
            let Some(body) = flv::body(&media) else {
                return;
            };
            let tag_type = if media.is_video() {
                TagType::Video
            } else {
                TagType::Audio
            };
            writer.write_tag(tag_type, flv::timestamp(media.time), body.payload())
        }
        Item::Metadata(metadata) => {
            let value = weir_flv::metadata_value(&metadata.value);
            let body = ScriptData::on_meta_data(value).to_bytes();
            writer.write_tag(TagType::Script, flv::timestamp(metadata.time), &body)
        }
        Item::Publisher(_) => return,
    };
    match tag {
        Ok(tag) => out.extend_from_slice(&tag),
        Err(e) => warn!(error = %e, "tag not written"),
    }
}
