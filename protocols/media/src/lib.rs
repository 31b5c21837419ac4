//! The media model every Weir protocol speaks: [`Frame`]s, codec identifiers and codec
//! configurations, plus the two shapes every sans-IO machine shares ([`Output`] and
//! [`rule::Rule`]/[`rule::Violation`]).
//!
//! Every ingest turns its protocol into `Frame`s; every delivery turns `Frame`s into its
//! protocol (see DESIGN.md, "Media model").
//!
//! The codec modules parse and write what travels beside the frames: decoder configuration
//! records ([`avc`], [`hevc`]), AV1's sequence header ([`av1`]), the AAC [`aac::AudioSpecificConfig`] and its [`adts`] framing,
//! the [`opus::OpusHead`], MPEG audio frame headers ([`mpa`], MP3's stand-in record), and NAL
//! unit framing ([`nal`]). [`CodecConfig`] is the one entry point for consumers; [`Announcer`]
//! makes the configurations of codecs without a sequence header (MP3, G.711) from frames.
//! Every parser takes hostile input: it fails with a [`Error`] naming a rule of
//! [`rules::CATALOG`], never panics, and allocates no more than its input.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aac;
pub mod access_unit;
pub mod adts;
pub mod announce;
pub mod av1;
pub mod avc;
pub mod bits;
pub mod config;
pub mod error;
pub mod frame;
pub mod h26x;
pub mod hevc;
pub mod machine;
pub mod metadata;
pub mod mpa;
pub mod nal;
pub mod opus;
pub mod packet;
pub mod reader;
pub mod rule;
pub mod rules;
pub mod wrap;

pub use aac::AudioSpecificConfig;
pub use adts::AdtsHeader;
pub use announce::Announcer;
pub use avc::{AvcDecoderConfig, Sps};
pub use config::{CodecConfig, ConfigSummary};
pub use error::Error;
pub use frame::{Codec, Frame, MediaKind, Timestamp, Track, TrackConfig};
pub use h26x::FrameRate;
pub use hevc::{HevcDecoderConfig, HevcSps};
pub use machine::{Machine, Output};
pub use metadata::{MetaValue, Metadata};
pub use mpa::MpaHeader;
pub use opus::OpusHead;
pub use packet::MediaPacket;
pub use reader::Reader;
pub use rule::{Level, Rule, Violation};
pub use wrap::Unwrapper;
