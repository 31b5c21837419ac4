//! RTMP as sans-IO machines: the handshake (simple and complex), the chunk stream in both
//! directions, the message layer, and the client and server sessions built on them.
//!
//! Spec: Adobe "Real-Time Messaging Protocol (RTMP) specification" 1.0 (2012), AMF0, and
//! Enhanced RTMP v2. The rule catalog is [`rules::CATALOG`]. [`url::RtmpUrl`] splits the
//! `rtmp://` URLs clients are given.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chunk;
pub mod error;
pub mod handshake;
pub mod message;
pub mod rules;
pub mod session;
pub mod url;

pub use error::Error;
