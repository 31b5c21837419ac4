//! The SRTP protection profiles Weir decrypts and their key derivation (RFC 3711 §4.3): from
//! one master key and master salt (what DTLS-SRTP exports per direction, RFC 5764 §4.2) to the
//! session keys of SRTP and of SRTCP.
//!
//! The pseudo-random function is AES in counter mode keyed with the master key (§4.3.3; the
//! AES-256 one of RFC 6188 §7 for AEAD_AES_256_GCM). With a key derivation rate of 0, which
//! DTLS-SRTP always uses, the input block for label `l` is the master salt, the label XORed into
//! its octet 7, then two zero octets for the block counter (§4.3.1):
//!
//! ```text
//! octets   0 .. 6      7          8 .. 13      14 15
//!          salt      salt ^ l     salt         block counter, from 0
//! ```
//!
//! The AEAD profiles' 12-octet salt is padded with two zero octets on the right to the 14 the
//! PRF takes (RFC 7714 §12 keeps RFC 3711's KDF).

use aes::cipher::{KeyIvInit, StreamCipher};
use aes::{Aes128, Aes256};
use weir_media::Error;

/// AES-CTR with a 128-bit big-endian counter, as SRTP's AES-CM is (RFC 3711 §4.1.1).
type Ctr128 = ctr::Ctr128BE<Aes128>;
type Ctr256 = ctr::Ctr128BE<Aes256>;

/// The length of HMAC-SHA1's session authentication key (RFC 3711 §4.2.1, §8.2: n_a = 160).
pub const AUTH_KEY_LEN: usize = 20;
/// The length of an SRTCP authentication tag with HMAC-SHA1, in both AES-CM profiles
/// (RFC 5764 §4.1.2: the `_32` profile shortens the SRTP tag only).
pub const SRTCP_HMAC_TAG_LEN: usize = 10;
/// The length of an AES-GCM authentication tag (RFC 7714 §14.2: 16 octets).
pub const GCM_TAG_LEN: usize = 16;

/// A protection profile: the cipher, the authentication and their key sizes (RFC 3711 §8.2,
/// RFC 4568 §6.2, RFC 5764 §4.1.2, RFC 7714 §14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// AES_CM_128_HMAC_SHA1_80 (DTLS-SRTP's SRTP_AES128_CM_HMAC_SHA1_80): AES-128 in counter
    /// mode, an 80-bit HMAC-SHA1 tag.
    AesCm128HmacSha1_80,
    /// AES_CM_128_HMAC_SHA1_32: the same with a 32-bit SRTP tag (SRTCP's stays 80 bits).
    AesCm128HmacSha1_32,
    /// AEAD_AES_128_GCM (RFC 7714): AES-128-GCM, a 16-octet tag.
    AeadAes128Gcm,
    /// AEAD_AES_256_GCM (RFC 7714): AES-256-GCM, a 16-octet tag.
    AeadAes256Gcm,
}

impl Profile {
    /// Every profile, in the order of their names below.
    pub const ALL: [Profile; 4] = [
        Profile::AesCm128HmacSha1_80,
        Profile::AesCm128HmacSha1_32,
        Profile::AeadAes128Gcm,
        Profile::AeadAes256Gcm,
    ];

    /// The profile's name as SDES (RFC 4568 §6.2) and RFC 7714 §14.2 spell it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Profile::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Profile::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Profile::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }

    /// The profile a name (as [`Profile::name`] gives it) names.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the profile is one of RFC 7714's AEAD (AES-GCM) ones.
    pub fn is_aead(self) -> bool {
        matches!(self, Profile::AeadAes128Gcm | Profile::AeadAes256Gcm)
    }

    /// The master (and session) key length in octets.
    pub fn key_len(self) -> usize {
        match self {
            Profile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// The master (and session) salt length in octets: 112 bits for AES-CM (RFC 3711 §8.2),
    /// 96 for AES-GCM (RFC 7714 §14.2).
    pub fn salt_len(self) -> usize {
        if self.is_aead() { 12 } else { 14 }
    }

    /// The length of the authentication tag ending an SRTP packet.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Profile::AesCm128HmacSha1_80 => 10,
            Profile::AesCm128HmacSha1_32 => 4,
            _ => GCM_TAG_LEN,
        }
    }

    /// The length of the authentication tag of an SRTCP packet.
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_aead() {
            GCM_TAG_LEN
        } else {
            SRTCP_HMAC_TAG_LEN
        }
    }
}

/// One direction's master key and master salt, as DTLS-SRTP exports them (RFC 5764 §4.2) or
/// the key log carries them. Its `Debug` output names the profile only.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    profile: Profile,
    key: Vec<u8>,
    salt: Vec<u8>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.profile.name())
    }
}

impl MasterKey {
    /// A master key of `profile`; an error (breaking no rule: the caller's) when a length is
    /// not the profile's.
    pub fn new(profile: Profile, key: &[u8], salt: &[u8]) -> Result<MasterKey, Error> {
        if key.len() != profile.key_len() || salt.len() != profile.salt_len() {
            return Err(Error::usage(format!(
                "{} takes a {}-octet master key and a {}-octet master salt, not {} and {}",
                profile.name(),
                profile.key_len(),
                profile.salt_len(),
                key.len(),
                salt.len()
            )));
        }
        Ok(MasterKey {
            profile,
            key: key.to_vec(),
            salt: salt.to_vec(),
        })
    }

    /// The profile the key is for.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The master key's octets.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The master salt's octets.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }
}

/// The labels of RFC 3711 §4.3.1 (and §4.3.2 for SRTCP).
#[derive(Debug, Clone, Copy)]
enum Label {
    Encryption = 0,
    Authentication = 1,
    Salt = 2,
}

/// The session keys of one of SRTP or SRTCP in one direction (RFC 3711 §4.3). Its `Debug`
/// output shows no key.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// The session encryption key k_e (as long as the master key).
    pub encryption: Vec<u8>,
    /// The session authentication key k_a (HMAC-SHA1 profiles: 20 octets; AEAD: empty).
    pub authentication: Vec<u8>,
    /// The session salt k_s (as long as the master salt).
    pub salt: Vec<u8>,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(..)")
    }
}

impl SessionKeys {
    /// The SRTP session keys (labels 0x00, 0x01, 0x02; RFC 3711 §4.3.1).
    pub fn srtp(master: &MasterKey) -> SessionKeys {
        SessionKeys::derive(master, 0)
    }

    /// The SRTCP session keys (labels 0x03, 0x04, 0x05; RFC 3711 §4.3.2).
    pub fn srtcp(master: &MasterKey) -> SessionKeys {
        SessionKeys::derive(master, 3)
    }

    fn derive(master: &MasterKey, base: u8) -> SessionKeys {
        let profile = master.profile;
        let prf =
            |label: Label, len: usize| prf(&master.key, &master.salt, base + label as u8, len);
        SessionKeys {
            encryption: prf(Label::Encryption, profile.key_len()),
            authentication: match profile.is_aead() {
                true => Vec::new(),
                false => prf(Label::Authentication, AUTH_KEY_LEN),
            },
            salt: prf(Label::Salt, profile.salt_len()),
        }
    }
}

/// The key derivation PRF (RFC 3711 §4.3.1, §4.3.3) with a key derivation rate of 0: the first
/// `len` octets of the AES-CM keystream under `master_key` (16 or 32 octets) from the input
/// block `master_salt ^ label`.
///
/// # Panics
/// On a master key that is neither 16 nor 32 octets or a salt longer than 14 (a [`MasterKey`]
/// never holds either).
pub fn prf(master_key: &[u8], master_salt: &[u8], label: u8, len: usize) -> Vec<u8> {
    let mut block = [0u8; 16];
    block[..master_salt.len()].copy_from_slice(master_salt);
    block[7] ^= label;
    let mut out = vec![0u8; len];
    aes_cm(master_key, &block, &mut out);
    out
}

/// XORs `data` with the AES-CM keystream under `key` (16 or 32 octets) from counter block `iv`
/// (RFC 3711 §4.1.1): encryption and decryption alike.
///
/// # Panics
/// On a key that is neither 16 nor 32 octets.
pub fn aes_cm(key: &[u8], iv: &[u8; 16], data: &mut [u8]) {
    match key.len() {
        16 => Ctr128::new_from_slices(key, iv)
            .expect("a 16-octet key")
            .apply_keystream(data),
        32 => Ctr256::new_from_slices(key, iv)
            .expect("a 32-octet key")
            .apply_keystream(data),
        n => panic!("AES-CM takes a 16- or 32-octet key, not {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex with white space between groups, as the RFCs print it.
    fn hex(s: &str) -> Vec<u8> {
        crate::srtp::keylog::hex(&s.split_whitespace().collect::<String>()).unwrap()
    }

    /// RFC 3711 Appendix B.3: the session keys of master key E1F97A0D... and master salt
    /// 0EC675AD... (key derivation rate 0).
    #[test]
    fn derives_the_rfc3711_b3_session_keys() {
        let master = MasterKey::new(
            Profile::AesCm128HmacSha1_80,
            &hex("E1F97A0D3E018BE0D64FA32C06DE4139"),
            &hex("0EC675AD498AFEEBB6960B3AABE6"),
        )
        .unwrap();
        let keys = SessionKeys::srtp(&master);
        assert_eq!(keys.encryption, hex("C61E7A93744F39EE10734AFE3FF7A087"));
        assert_eq!(keys.salt, hex("30CBBC08863D8C85D49DB34A9AE1"));
        // B.3 lists 94 octets of auth key; HMAC-SHA1 takes the first 20.
        assert_eq!(
            keys.authentication,
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
        let long = prf(master.key(), master.salt(), 1, 94);
        assert_eq!(
            long,
            hex(
                "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
                 E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
                 6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"
            )
        );
    }

    /// RFC 3711 Appendix B.2: the AES-CM keystream of session key 2B7E1516..., salt
    /// F0F1...FCFD, SSRC 0, index 0 — its first three blocks and the last three of the
    /// 65282-block segment.
    #[test]
    fn produces_the_rfc3711_b2_keystream() {
        let key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
        let iv: [u8; 16] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000").try_into().unwrap();
        let mut stream = vec![0u8; 65282 * 16];
        aes_cm(&key, &iv, &mut stream);
        assert_eq!(
            stream[..48],
            hex(
                "E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB
                 41E95B3BB0A2E8DD477901E4FCA894C0"
            )
        );
        assert_eq!(
            stream[stream.len() - 48..],
            hex(
                "EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE
                 6A2CC3787889374FBEB4C81B17BA6C44"
            )
        );
    }

    #[test]
    fn a_master_key_of_the_wrong_length_is_refused() {
        for profile in Profile::ALL {
            let key = vec![0; profile.key_len()];
            let salt = vec![0; profile.salt_len()];
            assert!(MasterKey::new(profile, &key, &salt).is_ok());
            assert!(MasterKey::new(profile, &key[1..], &salt).is_err());
            assert!(MasterKey::new(profile, &key, &salt[1..]).is_err());
            assert_eq!(Profile::from_name(profile.name()), Some(profile));
        }
    }
}
