//! RTP and RTCP (RFC 3550), sans-IO: packets and their statistics, RTCP, RTP over TCP, and
//! the payload formats of every codec Weir carries, both ways.
//!
//! - [`packet`]: the RTP header (RFC 3550 §5.1), parsed as A.1 validates it and written back
//!   exactly; [`extension`]: its RFC 8285 elements and the values WebRTC puts there;
//! - [`stats`]: per-source reception statistics (RFC 3550 A.1, A.3, A.8): loss, duplicates,
//!   reordering, jitter, report blocks;
//! - [`rtcp`]: compound RTCP (§6) — SR, RR, SDES, BYE, APP, RFC 4585/5104 feedback, REMB,
//!   transport-wide CC —, reduced-size (RFC 5506), and RFC 5761 §4's RTP/RTCP demultiplexing;
//! - [`framing`]: RTP over TCP (RFC 4571), a [`weir_media::Machine`]; [`gso`]: a captured
//!   datagram that is an uncut UDP GSO run of RTP packets, cut back into them;
//! - [`format`](mod@format): a payload format as SDP names it (rtpmap, fmtp, static types);
//! - [`payload`]: one file per format — H.264, H.265, VP8, VP9, AV1, Opus, AAC, G.711,
//!   MPEG-TS, MPEG-PS — behind two traits;
//! - [`depacketizer`]: one stream's packets in arrival order → whole frames (reordering healed
//!   within a window, a frame with a loss dropped and reported); [`packetizer`]: frames →
//!   packets;
//! - [`behaviour`]: both directions of a session judged together: NACKs answered by
//!   retransmissions, PLI/FIR by keyframes, transport-wide CC feedback true to what was sent;
//! - [`srtp`]: SRTP and SRTCP decryption (RFC 3711, RFC 7714) with keys from Weir's key log;
//! - [`rules`]: the rule catalog.
//!
//! ```text
//! let packet = RtpPacket::parse(&datagram)?;             // or rtcp::parse when rtcp::is_rtcp
//! reception.on_packet(now, packet.sequence, packet.timestamp);
//! depacketizer.push(now, offset, packet);
//! while let Some(out) = depacketizer.poll_output() { /* Unit, Lost, Dropped, Violation */ }
//! packetizer.packetize(&media_packet, &mut packets)?;   // the other way
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod behaviour;
pub mod depacketizer;
pub mod extension;
pub mod format;
pub mod framing;
pub mod gso;
pub mod packet;
pub mod packetizer;
pub mod payload;
pub mod rtcp;
pub mod rules;
pub mod srtp;
pub mod stats;

pub use depacketizer::{Depacketizer, Event, Limits};
pub use format::{Encoding, Format};
pub use packet::{HeaderExtension, Peek, RtpPacket};
pub use weir_media::Error;
