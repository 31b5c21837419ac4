//! RTP and RTCP (RFC 3550), sans-IO.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod depacketizer;
pub mod extension;
pub mod format;
pub mod framing;
pub mod packet;
pub mod packetizer;
pub mod payload;
pub mod rtcp;
pub mod rules;
pub mod stats;

pub use depacketizer::{Depacketizer, Event, Limits};
pub use format::{Encoding, Format};
pub use packet::{HeaderExtension, RtpPacket};
pub use weir_media::Error;
