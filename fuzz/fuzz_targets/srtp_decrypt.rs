//! SRTP and SRTCP decryption of arbitrary datagrams under fixed keys, and the key-log parser
//! on the same bytes as text.
//!
//! Input: one selector byte (bits 0-1: the profile; bit 2: SRTCP), then datagrams, each
//! behind a 16-bit big-endian length (the last may be cut short), all through one context so
//! the rollover counter and replay windows carry over. The keys are those of the RFC vectors
//! (RFC 3711 B.3's master key for AES-CM, RFC 7714 §16's session keys for AES-GCM), so the
//! vector packets seeded by ci/fuzz authenticate and mutations reach past the tag check.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_rtp::srtp::keylog::KeyLog;
use weir_rtp::srtp::{Context, MasterKey, Profile, SessionKeys};

fn context(profile: Profile) -> Context {
    if profile.is_aead() {
        let keys = SessionKeys {
            encryption: (0..profile.key_len() as u8).collect(),
            authentication: Vec::new(),
            salt: b"Quid pro quo".to_vec(),
        };
        Context::with_session_keys(profile, keys.clone(), keys)
    } else {
        let key = [
            0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde,
            0x41, 0x39,
        ];
        let salt = [
            0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
        ];
        Context::new(&MasterKey::new(profile, &key, &salt).expect("the profile's lengths"))
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = KeyLog::parse(&String::from_utf8_lossy(data));
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(selector & 3)];
    let rtcp = selector & 4 != 0;
    let mut context = context(profile);
    while !rest.is_empty() {
        let len = match rest {
            [high, low, ..] => usize::from(u16::from_be_bytes([*high, *low])),
            _ => 0,
        };
        let body = &rest[2.min(rest.len())..];
        let (datagram, next) = body.split_at(len.min(body.len()));
        rest = next;
        if rtcp {
            if let Ok(clear) = context.decrypt_rtcp(datagram) {
                assert!(clear.len() < datagram.len());
            }
        } else if let Ok(packet) = context.decrypt_rtp(&Bytes::copy_from_slice(datagram)) {
            assert!(packet.len() < datagram.len());
        }
    }
});
