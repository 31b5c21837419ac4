//! FLV files and tags, legacy and Enhanced RTMP codecs (Adobe FLV 10.1 Annex E, Veovera
//! Enhanced RTMP v2), sans-IO.
//!
//! - [`header`] and [`tag`]: the file header and the 11-byte tag header;
//! - [`FlvReader`] / [`FlvWriter`]: a streaming file reader and a writer;
//! - [`audio`], [`video`], [`script`]: tag bodies, legacy and enhanced;
//! - [`media`]: the bridge between tag bodies (RTMP messages, FLV tags) and `weir_media` frames.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audio;
pub mod enhanced;
mod error;
pub mod header;
pub mod media;
mod reader;
pub mod rules;
pub mod script;
pub mod tag;
pub mod video;
mod writer;

pub use error::Error;
pub use header::FileHeader;
pub use media::{read_audio, read_video, write_packet};
pub use reader::{FlvReader, Tag, read_tags};
pub use script::{ScriptData, metadata_of, metadata_value};
pub use tag::{TagHeader, TagType};
pub use writer::FlvWriter;
