//! HTTP-FLV: the live stream as an FLV file (FLV 10.1 §E.2-E.4, with E-RTMP's codecs), which
//! flv.js, mpegts.js, FFmpeg and VLC play.

use super::live::Format;
use crate::clients::ClientKind;
use crate::flv;
use bytes::Bytes;
use std::sync::Arc;
use tracing::warn;
use weir_flv::{FlvWriter, ScriptData, TagType};
use weir_hub::{Item, Stream};

pub struct Flv(FlvWriter);

impl Format for Flv {
    const CONTENT_TYPE: &'static str = "video/x-flv";
    const KIND: ClientKind = ClientKind::FlvPlay;

    fn new(_stream: &Arc<Stream>) -> Self {
        Flv(FlvWriter::new(true, true))
    }

    fn start(&mut self, out: &mut Vec<Bytes>) {
        out.push(self.0.header_bytes());
    }

    /// A media tag is the stream's, shared by every player ([`flv::tag`]); metadata is
    /// written per player (it is rare).
    fn write(&mut self, item: Item, out: &mut Vec<Bytes>) {
        match item {
            Item::Media(media) => out.extend(flv::tag(&media).cloned()),
            Item::Metadata(metadata) => {
                let value = weir_flv::metadata_value(&metadata.value);
                let body = ScriptData::on_meta_data(value).to_bytes();
                match FlvWriter::tag(TagType::Script, flv::timestamp(metadata.time), &body) {
                    Ok(tag) => out.push(tag),
                    Err(e) => warn!(error = %e, "metadata tag not written"),
                }
            }
            Item::Publisher(_) => {}
        }
    }
}
