//! The RTMP prober: a blocking connection driving our client machine ([`conn`]), the media it
//! publishes and compares ([`media`]), the live-only rules ([`rules`]) and the cases, one file
//! per area ([`cases`]).

pub mod cases;
pub mod conn;
pub mod media;
pub mod rules;
