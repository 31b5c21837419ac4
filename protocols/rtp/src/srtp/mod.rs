//! SRTP and SRTCP decryption (RFC 3711; RFC 7714 for AES-GCM), sans-IO, for reading captures of
//! WebRTC sessions whose keys were logged — issue 12's key log.
//!
//! - [`kdf`]: the protection profiles, master keys, and the key derivation (RFC 3711 §4.3);
//! - [`context`]: one direction's receiver context — rollover counters, replay windows,
//!   decryption and authentication of SRTP and SRTCP;
//! - [`keylog`]: the key-log text format, its parser, writer and lookup by address.
//!
//! ```text
//! let log = KeyLog::parse(&text)?;
//! let key = log.lookup(source, destination)?;           // the sender's master key
//! let context = contexts.entry(key).or_insert_with(|| Context::new(key));
//! if rtcp::is_rtcp(&datagram) { context.decrypt_rtcp(&datagram)? }  // clear RTCP bytes
//! else { context.decrypt_rtp(&datagram)? }                           // the clear RtpPacket
//! ```

pub mod context;
pub mod kdf;
pub mod keylog;

pub use context::Context;
pub use kdf::{MasterKey, Profile, SessionKeys};
pub use keylog::KeyLog;

#[cfg(test)]
mod tests;
