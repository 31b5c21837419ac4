//! What flows through the hub: media packets in the media model, metadata, and the
//! publisher's comings and goings.

use std::sync::{Arc, OnceLock};
use weir_amf0::Value;
use weir_flv::media::write_packet;
use weir_media::MediaKind;
use weir_media::MediaPacket;
use weir_rtmp::chunk::SharedBody;

/// One entry of a stream's ring. Cloning clones `Arc`s and `Bytes` handles, never payloads.
#[derive(Debug, Clone)]
pub enum Item {
    /// `onMetaData`, as the publisher sent it.
    Metadata {
        timestamp: u32,
        value: Arc<Value>,
    },
    Media(Arc<MediaItem>),
    /// A publisher started (`true`) or stopped (`false`) publishing the stream.
    Publisher(bool),
}

impl Item {
    /// The media payload's size (0 for metadata and notices, which are small).
    pub fn payload_len(&self) -> usize {
        match self {
            Item::Media(media) => media.payload_len(),
            _ => 0,
        }
    }
}

/// A decoder configuration, frame or end of sequence, with its message timestamp (ms).
#[derive(Debug)]
pub struct MediaItem {
    pub timestamp: u32,
    pub packet: MediaPacket,
    /// The packet as an FLV tag body (also the RTMP message body), written once for all RTMP
    /// and HTTP-FLV subscribers, and chunked once for all RTMP players.
    flv: OnceLock<Option<SharedBody>>,
}

impl MediaItem {
    pub fn new(timestamp: u32, packet: MediaPacket) -> Self {
        MediaItem {
            timestamp,
            packet,
            flv: OnceLock::new(),
        }
    }

    pub fn is_video(&self) -> bool {
        self.packet.track().kind == MediaKind::Video
    }

    /// A video keyframe: where a subscriber may start or resume.
    pub fn is_keyframe(&self) -> bool {
        matches!(&self.packet, MediaPacket::Frame(f) if f.keyframe && self.is_video())
    }

    pub fn payload_len(&self) -> usize {
        match &self.packet {
            MediaPacket::Config(c) => c.data.len(),
            MediaPacket::Frame(f) => f.data.len(),
            MediaPacket::EndOfSequence { .. } => 0,
        }
    }

    /// The FLV tag body (also the RTMP message body), or `None` for a packet FLV cannot carry.
    pub fn flv_body(&self) -> Option<&SharedBody> {
        self.flv
            .get_or_init(|| write_packet(&self.packet).ok().map(SharedBody::new))
            .as_ref()
    }
}

impl MediaItem {
    /// A frame, not a configuration or end of sequence.
    pub fn is_frame(&self) -> bool {
        matches!(self.packet, MediaPacket::Frame(_))
    }
}
