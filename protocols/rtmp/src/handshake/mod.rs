//! The handshake (RTMP 1.0 §5.2), simple and complex, both roles.
//!
//! Each side sends a version byte (C0/S0), a 1536-byte packet with its time and random bytes
//! (C1/S1) and a 1536-byte answer to the peer's packet (C2/S2). The simple handshake (§5.2.3-4)
//! answers by echoing the peer's random bytes. The complex handshake of Flash Player 9+ and FMS 3
//! (not in the spec) puts a version in bytes 4-7 and an HMAC-SHA256 digest inside C1/S1, and
//! answers with a packet whose last 32 bytes are keyed from the peer's digest ([`digest`]).
//!
//! [`ServerHandshake`] and [`ClientHandshake`] are sans-IO sub-machines the RTMP sessions drive;
//! [`find_digest`], [`check_c2`] and [`check_s2`] are pure functions for recorded sessions.

mod client;
pub mod digest;
mod incoming;
mod packet;
mod server;

pub use client::ClientHandshake;
pub use digest::{
    DigestScheme, FLASH_MEDIA_SERVER_FULL_KEY, FLASH_MEDIA_SERVER_KEY, FLASH_PLAYER_FULL_KEY,
    FLASH_PLAYER_KEY, find_digest,
};
pub use packet::{Reply, check_c2, check_s2};
/// The randomness trait the machines take, re-exported so drivers (and the fuzz targets) need
/// no direct dependency on `rand_core`.
pub use rand_core::RngCore;
pub use server::ServerHandshake;

use crate::Error;
use std::collections::VecDeque;
use weir_media::{Output, Rule, Violation};

/// The only version RTMP 1.0 defines for C0 and S0 (§5.2.2).
pub const RTMP_VERSION: u8 = 3;
/// Size of C1, S1, C2 and S2 (RTMP 1.0 §5.2.3).
pub const PACKET_LEN: usize = 1536;
/// C0 + C1 + C2 (or S0 + S1 + S2): everything one side sends before chunks start.
pub const HANDSHAKE_LEN: usize = 1 + 2 * PACKET_LEN;

/// How a side's first packet (C1/S1) is built, or was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeKind {
    /// RTMP 1.0 §5.2: zero version field, replies echo the peer's random bytes.
    Simple,
    /// FMS / Flash Player 9+: a version in bytes 4-7 and a digest placed by `scheme`.
    Complex {
        /// Which half of the packet holds the digest and the offset bytes that place it.
        scheme: DigestScheme,
    },
}

/// What a [`ClientHandshake`] sends: `Complex` imitates Flash Player 9.0.124.2, as FFmpeg does.
pub type ClientKind = HandshakeKind;

/// What the machine learnt about the peer once the handshake completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeInfo {
    /// The peer's handshake: `Complex` only when its digest validated.
    pub kind: HandshakeKind,
    /// Bytes 4-7 of C1/S1: zero in the simple handshake, the peer's software version otherwise.
    pub peer_version: [u8; 4],
    /// Bytes 0-3 of C1/S1, the peer's epoch in milliseconds (RTMP 1.0 §5.2.3).
    pub peer_time: u32,
}

impl HandshakeInfo {
    fn new(kind: HandshakeKind, peer_packet1: &[u8; PACKET_LEN]) -> Self {
        let [t0, t1, t2, t3, v0, v1, v2, v3, ..] = *peer_packet1;
        HandshakeInfo {
            kind,
            peer_version: [v0, v1, v2, v3],
            peer_time: u32::from_be_bytes([t0, t1, t2, t3]),
        }
    }
}

/// Checks C0 or S0 (RTMP 1.0 §5.2.2). Anything but 3 is fatal: the rest of the stream would be
/// encrypted or not RTMP at all, so the error names what the byte most likely means.
fn check_version(version: u8, rule: &'static Rule, packet: &str) -> Result<(), Error> {
    let meaning = match version {
        RTMP_VERSION => return Ok(()),
        6 => "RTMPE (encrypted RTMP) is not supported",
        8 => "RTMPE with XTEA-encrypted signatures is not supported",
        9 => "RTMPE with Blowfish-encrypted signatures is not supported",
        0..=2 => "versions before 3 are obsolete and not supported",
        0x16 => "this is a TLS record: RTMPS sent to a plain RTMP endpoint",
        b'G' | b'P' | b'H' => "this looks like HTTP, not RTMP",
        _ => "unknown version, only 3 is defined",
    };
    Err(Error::rule(
        rule,
        0,
        format!("{packet} version {version}: {meaning}"),
    ))
}

/// Queues a violation found in a C1/S1 or C2/S2, moving its offset from the packet into the
/// stream.
fn queue_violation(
    outputs: &mut VecDeque<Output<HandshakeInfo>>,
    violation: Option<Violation>,
    packet_offset: u64,
) {
    if let Some(mut violation) = violation {
        violation.offset += packet_offset;
        outputs.push_back(Output::Violation(violation));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::HANDSHAKE_VERSION;

    #[test]
    fn version_3_is_the_only_accepted_one() {
        assert!(check_version(3, &HANDSHAKE_VERSION, "C0").is_ok());
        for version in [0, 1, 2, 4, 6, 8, 9, 0x16, b'G', 0xFF] {
            let error = check_version(version, &HANDSHAKE_VERSION, "C0").unwrap_err();
            assert_eq!(error.rule, Some(&HANDSHAKE_VERSION));
            assert_eq!(error.offset, 0);
            assert!(
                error.detail.starts_with(&format!("C0 version {version}: ")),
                "{error}"
            );
        }
    }

    #[test]
    fn version_errors_say_what_the_byte_means() {
        let detail = |v| {
            check_version(v, &HANDSHAKE_VERSION, "C0")
                .unwrap_err()
                .detail
        };
        assert_eq!(
            detail(6),
            "C0 version 6: RTMPE (encrypted RTMP) is not supported"
        );
        assert!(detail(8).contains("XTEA"));
        assert!(detail(9).contains("Blowfish"));
        assert!(detail(0x16).contains("TLS"));
        assert!(detail(b'G').contains("HTTP"));
        assert_eq!(
            detail(0xFF),
            "C0 version 255: unknown version, only 3 is defined"
        );
    }

    #[test]
    fn info_reads_time_and_version() {
        let mut packet = [0u8; PACKET_LEN];
        packet[..8].copy_from_slice(&[0x00, 0x07, 0x6b, 0x26, 0x80, 0x00, 0x03, 0x02]);
        let info = HandshakeInfo::new(HandshakeKind::Simple, &packet);
        assert_eq!(info.peer_time, 0x00076b26);
        assert_eq!(info.peer_version, [0x80, 0, 3, 2]);
    }
}
