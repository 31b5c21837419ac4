//! What flows through the hub: media packets and metadata of the media model, each with its
//! time on the stream's timeline and the cache slots of the delivery formats, and the
//! publisher's comings and goings.

use crate::slots::Slots;
use std::sync::Arc;
use weir_media::{MediaKind, MediaPacket, Metadata, Timestamp};

/// One entry of a stream's ring. Cloning clones `Arc`s, never payloads.
#[derive(Debug, Clone)]
pub enum Item {
    /// A decoder configuration, frame or end of sequence.
    Media(Arc<Entry<MediaPacket>>),
    /// The stream's metadata, as the publisher last announced it.
    Metadata(Arc<Entry<Metadata>>),
    /// A publisher started (`true`) or stopped (`false`) publishing the stream.
    Publisher(bool),
}

impl Item {
    /// A media item at `time`.
    pub fn media(time: Timestamp, packet: MediaPacket) -> Item {
        Item::Media(Arc::new(Entry::new(time, packet)))
    }

    /// A metadata item at `time`.
    pub fn metadata(time: Timestamp, metadata: Metadata) -> Item {
        Item::Metadata(Arc::new(Entry::new(time, metadata)))
    }

    /// The media payload's size (0 for metadata and notices, which are small).
    pub fn payload_len(&self) -> usize {
        match self {
            Item::Media(media) => media.value.len(),
            _ => 0,
        }
    }
}

/// A value on the stream's timeline, with the cache slots in which each delivery format keeps
/// its encoding of it (made once, shared by all of that format's players).
#[derive(Debug)]
pub struct Entry<T> {
    /// Its time on the stream's timeline (a frame's is its decode time).
    pub time: Timestamp,
    /// The packet or metadata.
    pub value: T,
    slots: Slots,
}

impl<T> Entry<T> {
    /// `value` at `time`, with empty slots.
    pub fn new(time: Timestamp, value: T) -> Self {
        Entry {
            time,
            value,
            slots: Slots::default(),
        }
    }

    /// The delivery formats' caches (see [`Slot`](crate::Slot)).
    pub fn slots(&self) -> &Slots {
        &self.slots
    }
}

impl Entry<MediaPacket> {
    /// On a video track.
    pub fn is_video(&self) -> bool {
        self.value.track().kind == MediaKind::Video
    }

    /// A video keyframe: where a subscriber may start or resume.
    pub fn is_keyframe(&self) -> bool {
        self.value.is_video_keyframe()
    }

    /// A frame, not a configuration or end of sequence.
    pub fn is_frame(&self) -> bool {
        matches!(self.value, MediaPacket::Frame(_))
    }
}
