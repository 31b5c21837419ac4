//! The media model every Weir protocol speaks: [`Frame`]s, codec identifiers and codec
//! configurations, plus the two shapes every sans-IO machine shares ([`Output`] and
//! [`rule::Rule`]/[`rule::Violation`]).
//!
//! Every ingest turns its protocol into `Frame`s; every delivery turns `Frame`s into its
//! protocol (see DESIGN.md, "Media model").

pub mod frame;
pub mod machine;
pub mod rule;
pub mod rules;

pub use frame::{Codec, Frame, MediaKind, Timestamp, Track, TrackConfig};
pub use machine::Output;
pub use rule::{Level, Rule, Violation};
