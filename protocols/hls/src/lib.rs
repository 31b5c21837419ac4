//! HLS (RFC 8216), sans-IO: the segmenter and the live media playlist the server drives, and
//! the playlist parser the conformance side uses.
//!
//! - [`Segmenter`] is fed [`weir_media::Frame`]s and says where segments end;
//! - [`LivePlaylist`] lists them over a sliding window and writes the media playlist;
//! - [`parse`] reads media and master playlists into the [`playlist`] model, with errors and
//!   violations naming rules of [`rules::CATALOG`] and the line they were found on;
//!   [`check_reload`] compares two loads of a live playlist;
//! - the model writes itself back (`Display`): parsing the text gives `p.normalized()`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod live;
pub mod playlist;
pub mod rules;
pub mod segmenter;

pub use error::Error;
pub use live::{LivePlaylist, LivePlaylistConfig, PlaylistEntry};
pub use playlist::parse::{Limits, Parsed, parse};
pub use playlist::reload::check_reload;
pub use playlist::{
    AttributeList, AttributeValue, ByteRange, IFrameVariant, Key, KeyMethod, Map, MasterPlaylist,
    MediaPlaylist, MediaType, Playlist, PlaylistType, Rendition, Resolution, Segment, Start,
    Variant,
};
pub use segmenter::{Placement, SegmentSpan, Segmenter, SegmenterConfig};
