//! Playlists (RFC 8216 §4): one model for the writer and the parser.
//!
//! - [`media`] and [`master`]: the two kinds of playlist (§4.3.3, §4.3.4);
//! - [`attributes`]: attribute lists (§4.2); [`date_time`]: EXT-X-PROGRAM-DATE-TIME values;
//! - [`write`](mod@write): playlist text from the model; [`parse`]: the model, and the rules broken,
//!   from playlist text; [`reload`]: two loads of a live playlist compared.

pub mod attributes;
pub mod date_time;
pub mod master;
pub mod media;
pub mod parse;
pub mod reload;
mod tags;
pub mod write;

pub use attributes::{AttributeList, AttributeValue, Resolution};
pub use master::{IFrameVariant, MasterPlaylist, MediaType, Rendition, Variant};
pub use media::{ByteRange, Key, KeyMethod, Map, MediaPlaylist, PlaylistType, Segment, Start};

/// A playlist is a media playlist or a master playlist, never both (RFC 8216 §4.1).
#[derive(Debug, Clone, PartialEq)]
pub enum Playlist {
    /// A playlist of segments (§4.3.3).
    Media(MediaPlaylist),
    /// A playlist of variant streams and renditions (§4.3.4).
    Master(MasterPlaylist),
}
