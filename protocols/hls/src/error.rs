//! The error type of this crate, shared with the other protocol crates.
//!
//! For the playlist parser, `offset` is the byte offset of the start of the offending line and
//! `detail` begins with its 1-based line number.

pub use weir_media::Error;
