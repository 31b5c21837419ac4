//! HLS (RFC 8216), sans-IO: the playlist model, which writes itself (`Display`), and the
//! parser the conformance side uses.
//!
//! - [`parse`] reads media and master playlists into the [`playlist`] model, with errors and
//!   violations naming rules of [`rules::CATALOG`] and the line they were found on;
//!   [`check_reload`] compares two loads of a live playlist;
//! - the model writes itself back (`Display`): parsing the text gives `p.normalized()`.

pub mod error;
pub mod playlist;
pub mod rules;

pub use error::Error;
pub use playlist::parse::{Limits, Parsed, parse};
pub use playlist::reload::check_reload;
pub use playlist::{
    AttributeList, AttributeValue, ByteRange, IFrameVariant, Key, KeyMethod, Map, MasterPlaylist,
    MediaPlaylist, MediaType, Playlist, PlaylistType, Rendition, Resolution, Segment, Start,
    Variant,
};
