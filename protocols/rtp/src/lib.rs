//! RTP and RTCP (RFC 3550), sans-IO.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod packet;
pub mod rules;

pub use packet::{HeaderExtension, RtpPacket};
pub use weir_media::Error;
