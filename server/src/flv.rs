//! The FLV encoding of hub entries, shared by RTMP and HTTP-FLV players: an audio or video
//! tag body (FLV 10.1 §E.4.2-E.4.3, Enhanced RTMP v2; also the RTMP message body), made once
//! per entry and chunked once for all RTMP players; the whole tag, made once for all HTTP-FLV
//! players; the publisher's metadata as a script tag (HTTP-FLV, DVR); and the 32-bit
//! millisecond timestamps they carry.

use bytes::Bytes;
use weir_flv::media::write_packet;
use weir_flv::{FlvWriter, TagType};
use weir_hub::{Entry, Slot};
use weir_media::{MediaPacket, Timestamp};
use weir_rtmp::chunk::SharedBody;

/// Each media entry's tag body, `None` for a packet FLV cannot carry.
static BODY: Slot<Option<SharedBody>> = Slot::new();

/// The tag body of `media` (also the RTMP message body, with its chunks).
pub fn body(media: &Entry<MediaPacket>) -> Option<&SharedBody> {
    BODY.get_or_init(media, || {
        write_packet(&media.value).ok().map(SharedBody::new)
    })
    .as_ref()
}

/// Each media entry's whole FLV tag (header, body, PreviousTagSize), `None` for a packet FLV
/// cannot carry.
static TAG: Slot<Option<Bytes>> = Slot::new();

/// The FLV tag of `media`: the same bytes for every HTTP-FLV player.
pub fn tag(media: &Entry<MediaPacket>) -> Option<&Bytes> {
    TAG.get_or_init(media, || {
        let body = body(media)?;
        let kind = if media.is_video() {
            TagType::Video
        } else {
            TagType::Audio
        };
        FlvWriter::tag(kind, timestamp(media.time), body.payload()).ok()
    })
    .as_ref()
}

/// An `onMetaData` script tag of `value` at `timestamp_ms` (FLV 10.1 §E.4.4), as HTTP-FLV
/// players and DVR files carry the publisher's metadata.
pub fn metadata_tag(value: weir_amf0::Value, timestamp_ms: u32) -> Result<Bytes, weir_flv::Error> {
    let body = weir_flv::ScriptData::on_meta_data(value).to_bytes();
    FlvWriter::tag(TagType::Script, timestamp_ms, &body)
}

/// A time of the stream's timeline as FLV and RTMP carry it: milliseconds modulo 2^32.
pub fn timestamp(time: Timestamp) -> u32 {
    time.as_millis() as u32
}
