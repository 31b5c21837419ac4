//! FLV files and tags, legacy and Enhanced RTMP codecs (Adobe FLV 10.1 Annex E, Veovera
//! Enhanced RTMP v2), sans-IO.
//!
//! - [`header`] and [`tag`]: the file header and the 11-byte tag header;
//! - [`FlvReader`] / [`FlvWriter`]: a streaming file reader and a writer;
//! - [`audio`], [`video`], [`script`]: tag bodies, legacy and enhanced;
//! - [`media`]: the bridge between tag bodies (RTMP messages, FLV tags) and `weir_media` frames.

pub mod audio;
mod cursor;
pub mod enhanced;
mod error;
pub mod media;
pub mod rules;
pub mod video;

pub use error::Error;
pub use media::{MediaPacket, read_audio, read_video, write_packet};
