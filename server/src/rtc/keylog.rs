//! The SRTP key log (`rtc.keylog = "FILE"`): for each WebRTC session, the SRTP master keys and
//! salts both sides send with, one line appended when DTLS has exported them, so that
//! `weir check --keylog FILE` can decrypt a capture of the session — what `SSLKEYLOGFILE` is to
//! TLS. Anyone holding the file can read the media: it is off unless configured.
//!
//! str0m keeps its keys to itself; what it cannot hide is its key derivation (RFC 3711 §4.3),
//! which runs AES on the master key through the crypto provider. A provider that watches that
//! call ([`provider`]) sees each master key, and in the call's first block (label 0, counter 0)
//! the master salt as it is. str0m derives the receiving context first, then the sending one
//! (its `Session::set_keying_material`): the first key seen is the peer's, the second ours.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use str0m::config::CryptoProvider;
use str0m::crypto::{
    SrtpProvider, SupportedAeadAes128Gcm, SupportedAeadAes256Gcm, SupportedAes128CmSha1_80,
};
use weir_rtp::srtp::keylog::Entry;
use weir_rtp::srtp::{MasterKey, Profile};

/// The key derivations seen on this thread while [`watch`] runs: master key and first block.
type Seen = Vec<(Vec<u8>, [u8; 16])>;

thread_local! {
    static SEEN: RefCell<Option<Seen>> = const { RefCell::new(None) };
}

/// str0m's SRTP provider with its key derivation watched.
#[derive(Debug)]
struct Watching(&'static dyn SrtpProvider);

impl SrtpProvider for Watching {
    fn aes_128_cm_sha1_80(&self) -> &'static dyn SupportedAes128CmSha1_80 {
        self.0.aes_128_cm_sha1_80()
    }

    fn aead_aes_128_gcm(&self) -> &'static dyn SupportedAeadAes128Gcm {
        self.0.aead_aes_128_gcm()
    }

    fn aead_aes_256_gcm(&self) -> &'static dyn SupportedAeadAes256Gcm {
        self.0.aead_aes_256_gcm()
    }

    fn srtp_aes_128_ecb_round(&self, key: &[u8], input: &[u8], output: &mut [u8]) {
        note(key, input);
        self.0.srtp_aes_128_ecb_round(key, input, output)
    }

    fn srtp_aes_256_ecb_round(&self, key: &[u8], input: &[u8], output: &mut [u8]) {
        note(key, input);
        self.0.srtp_aes_256_ecb_round(key, input, output)
    }
}

/// The first derivation block of each master key, while someone watches.
fn note(key: &[u8], input: &[u8]) {
    SEEN.with(|seen| {
        if let Some(seen) = seen.borrow_mut().as_mut()
            && let Ok(block) = <[u8; 16]>::try_from(input.get(..16).unwrap_or_default())
            && !seen.iter().any(|(k, _)| k == key)
        {
            seen.push((key.to_vec(), block));
        }
    });
}

/// str0m's crypto provider, its SRTP key derivation watched.
pub fn provider() -> Arc<CryptoProvider> {
    static WATCHING: OnceLock<&'static Watching> = OnceLock::new();
    let mut provider = str0m::crypto::from_feature_flags();
    let inner = provider.srtp_provider;
    provider.srtp_provider = *WATCHING.get_or_init(|| Box::leak(Box::new(Watching(inner))));
    Arc::new(provider)
}

/// Runs `f` (a call into str0m), adding to `seen` the master keys it derived from.
pub fn watch<T>(seen: &mut Seen, f: impl FnOnce() -> T) -> T {
    SEEN.with(|s| *s.borrow_mut() = Some(std::mem::take(seen)));
    let out = f();
    *seen = SEEN.with(|s| s.borrow_mut().take()).unwrap_or_default();
    out
}

/// The master key and salt a first derivation block gives. AES-256 keys are
/// AEAD_AES_256_GCM's (str0m's only 256-bit profile); a 128-bit key with a 12-byte salt (the
/// block's bytes 12 and 13 zero) is AEAD_AES_128_GCM's, with a 14-byte salt
/// AES_CM_128_HMAC_SHA1_80's. (A 14-byte salt ending in two zero bytes reads as GCM's: one
/// session in 65,536; the checker's tag check tells.)
fn master(key: &[u8], block: &[u8; 16]) -> Option<MasterKey> {
    let profile = match (key.len(), &block[12..14]) {
        (32, _) => Profile::AeadAes256Gcm,
        (_, [0, 0]) => Profile::AeadAes128Gcm,
        _ => Profile::AesCm128HmacSha1_80,
    };
    MasterKey::new(profile, key, &block[..profile.salt_len()]).ok()
}

/// The key log line of a session with the peer at `peer`, us at `us`, once both keys are
/// seen (weir-rtp's [`Entry`]: the DTLS client first, us when `we_are_client`).
pub fn line(seen: &Seen, peer: SocketAddr, us: SocketAddr, we_are_client: bool) -> Option<String> {
    let [(peer_key, peer_block), (our_key, our_block), ..] = seen.as_slice() else {
        return None;
    };
    let (theirs, ours) = (master(peer_key, peer_block)?, master(our_key, our_block)?);
    let entry = match we_are_client {
        true => Entry {
            client: us,
            server: peer,
            client_key: ours,
            server_key: theirs,
        },
        false => Entry {
            client: peer,
            server: us,
            client_key: theirs,
            server_key: ours,
        },
    };
    Some(entry.to_line() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_block_of_each_key_gives_its_salt_and_profile() {
        let mut block = [0u8; 16];
        block[..14].copy_from_slice(&[7; 14]);
        let cm = master(&[1; 16], &block).unwrap();
        assert_eq!(
            (cm.profile(), cm.salt()),
            (Profile::AesCm128HmacSha1_80, &[7u8; 14][..])
        );
        let mut gcm_block = [0u8; 16];
        gcm_block[..12].copy_from_slice(&[9; 12]);
        let gcm = master(&[1; 16], &gcm_block).unwrap();
        assert_eq!(
            (gcm.profile(), gcm.salt()),
            (Profile::AeadAes128Gcm, &[9u8; 12][..])
        );
        let big = master(&[1; 32], &block).unwrap();
        assert_eq!(big.profile(), Profile::AeadAes256Gcm);
    }

    #[test]
    fn watching_notes_each_master_key_once_and_only_while_watched() {
        let provider = provider();
        let srtp = provider.srtp_provider;
        let mut out = [0u8; 32];
        srtp.srtp_aes_128_ecb_round(&[1; 16], &[2; 16], &mut out);
        let mut seen = Vec::new();
        watch(&mut seen, || {
            srtp.srtp_aes_128_ecb_round(&[3; 16], &[4; 16], &mut out);
            srtp.srtp_aes_128_ecb_round(&[3; 16], &[5; 16], &mut out);
        });
        watch(&mut seen, || {
            srtp.srtp_aes_128_ecb_round(&[6; 16], &[7; 16], &mut out)
        });
        assert_eq!(seen, vec![(vec![3; 16], [4; 16]), (vec![6; 16], [7; 16])]);
        let client: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let server: SocketAddr = "10.0.0.2:8000".parse().unwrap();
        let line = line(&seen, client, server, false).unwrap();
        assert!(line.starts_with("SRTP AES_CM_128_HMAC_SHA1_80 10.0.0.1:5000 10.0.0.2:8000 0303"));
    }
}
