//! SRT (Secure Reliable Transport) in live mode, sans-IO, after the SRT internet-draft
//! (draft-sharabayko-srt-01, "the draft" in this crate) and what libsrt 1.5 does on the wire.
//!
//! - [`seq`]: 31-bit packet sequence numbers, 26-bit message numbers and 32-bit timestamps,
//!   all with wrap-around arithmetic (draft §3.1);
//! - [`receive_buffer`]: the receiver's packets by sequence number within the flow window,
//!   gaps found, handed on at their play time or dropped as too late; [`tsbpd`]: the play
//!   times (time base, 32-bit wrap, drift); [`send_buffer`]: the sender's packets kept for
//!   retransmission until acknowledged or too old;
//! - [`loss_list`]: lost packets as merged, bounded ranges (the receiver's NAKs, the
//!   sender's retransmissions); [`rtt`]: the smoothed round-trip time;
//! - [`rules`]: the rule catalog.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod loss_list;
pub mod receive_buffer;
pub mod rtt;
pub mod rules;
pub mod send_buffer;
pub mod seq;
pub mod tsbpd;

pub use seq::{MsgNumber, SeqNumber, Timestamp};
