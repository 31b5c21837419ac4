//! The error type of this crate, shared with the other protocol crates.
//!
//! `offset` is the byte offset of the problem: in the file stream for [`crate::FlvReader`],
//! within the tag body for the audio, video and script parsers (add [`crate::Tag::offset`]
//! plus the 11-byte tag header to place it in a file).

pub use weir_media::Error;
