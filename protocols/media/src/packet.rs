//! What one ingest hands the hub and one delivery takes from it: a track's decoder
//! configuration, a frame, or the end of a track's sequence.

use crate::{Codec, Frame, Timestamp, Track, TrackConfig};

/// One unit of a track's media, in the order the publisher sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaPacket {
    /// A decoder configuration (FLV sequence header, E-RTMP SequenceStart, a TS PMT change).
    Config(TrackConfig),
    /// One access unit.
    Frame(Frame),
    /// The end of a track's sequence (AVC end of sequence, E-RTMP SequenceEnd).
    EndOfSequence {
        /// The track that ends.
        track: Track,
        /// Its codec.
        codec: Codec,
    },
}

impl MediaPacket {
    /// The track the packet belongs to.
    pub fn track(&self) -> Track {
        match self {
            MediaPacket::Config(c) => c.track,
            MediaPacket::Frame(f) => f.track,
            MediaPacket::EndOfSequence { track, .. } => *track,
        }
    }

    /// The codec of the packet's track.
    pub fn codec(&self) -> Codec {
        match self {
            MediaPacket::Config(c) => c.codec,
            MediaPacket::Frame(f) => f.codec,
            MediaPacket::EndOfSequence { codec, .. } => *codec,
        }
    }

    /// The payload's size in bytes (0 for an end of sequence).
    pub fn len(&self) -> usize {
        match self {
            MediaPacket::Config(c) => c.data.len(),
            MediaPacket::Frame(f) => f.data.len(),
            MediaPacket::EndOfSequence { .. } => 0,
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A video keyframe: where a player may start or resume.
    pub fn is_video_keyframe(&self) -> bool {
        matches!(self, MediaPacket::Frame(f) if f.keyframe && f.track.kind == crate::MediaKind::Video)
    }

    /// The frame's decode time; `None` for configurations and ends of sequence, which take the
    /// time of the frames around them.
    pub fn dts(&self) -> Option<Timestamp> {
        match self {
            MediaPacket::Frame(f) => Some(f.dts),
            _ => None,
        }
    }
}
