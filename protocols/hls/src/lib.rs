//! HLS (RFC 8216), sans-IO: the playlist model, which writes itself (`Display`), and the
//! rules the crate checks in [`rules::CATALOG`].

pub mod error;
pub mod playlist;
pub mod rules;

pub use error::Error;
pub use playlist::{
    AttributeList, AttributeValue, ByteRange, IFrameVariant, Key, KeyMethod, Map, MasterPlaylist,
    MediaPlaylist, MediaType, Playlist, PlaylistType, Rendition, Resolution, Segment, Start,
    Variant,
};
