//! SRT (Secure Reliable Transport) in live mode, sans-IO, after the SRT internet-draft
//! (draft-sharabayko-srt-01, "the draft" in this crate) and what libsrt 1.5 does on the wire.
//!
//! - [`seq`]: 31-bit packet sequence numbers, 26-bit message numbers and 32-bit timestamps,
//!   all with wrap-around arithmetic (draft §3.1);
//! - [`streamid`]: the stream id of the handshake's SID extension, in libsrt's `#!::` syntax
//!   and the forms SRS accepts, as vhost/app/stream, mode and parameters;
//! - [`rules`]: the rule catalog.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod rules;
pub mod seq;
pub mod streamid;

pub use seq::{MsgNumber, SeqNumber, Timestamp};
