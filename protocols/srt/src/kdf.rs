//! The key encrypting key (KEK) from a passphrase (draft-sharabayko-srt-01 §6.1.4):
//! PBKDF2 (RFC 8018 §5.2) with HMAC-SHA1, 2048 iterations, as long as the stream encrypting
//! keys, salted with the last 8 bytes of the Key Material salt (libsrt takes the low 64 bits,
//! `LSB(64, Salt)`, of its 128-bit salt; with a shorter salt, all of it).

use std::fmt;

use sha1::Sha1;
use weir_media::Error;

use crate::km::KeyLength;
use crate::rules::CRYPTO_PASSPHRASE_LENGTH;

/// PBKDF2 iterations (draft §6.1.4, libsrt's `HAICRYPT_PBKDF2_ITER_CNT`).
pub const ITERATIONS: u32 = 2048;
/// How many bytes at the end of the salt go into PBKDF2 (libsrt's `HAICRYPT_PBKDF2_SALT_LEN`).
pub const PBKDF2_SALT_LEN: usize = 8;
/// The shortest passphrase libsrt accepts.
pub const PASSPHRASE_MIN: usize = 10;
/// The longest passphrase libsrt accepts.
pub const PASSPHRASE_MAX: usize = 79;

/// A passphrase of an accepted length. Its bytes never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(Vec<u8>);

impl Passphrase {
    /// The passphrase, if it is 10 to 79 bytes long (rule `srt.crypto.passphrase-length`).
    pub fn new(passphrase: impl AsRef<[u8]>) -> Result<Self, Error> {
        let bytes = passphrase.as_ref();
        if !(PASSPHRASE_MIN..=PASSPHRASE_MAX).contains(&bytes.len()) {
            return Err(Error::rule(
                &CRYPTO_PASSPHRASE_LENGTH,
                0,
                format!(
                    "the passphrase is {} bytes, not {PASSPHRASE_MIN} to {PASSPHRASE_MAX}",
                    bytes.len()
                ),
            ));
        }
        Ok(Passphrase(bytes.to_vec()))
    }

    /// The passphrase's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The KEK for a Key Material message's `salt` and `key_length` (draft §6.1.4).
    pub fn kek(&self, salt: &[u8], key_length: KeyLength) -> Kek {
        let pbkdf2_salt = &salt[salt.len().saturating_sub(PBKDF2_SALT_LEN)..];
        let mut key = [0; 32];
        let key_slice = &mut key[..key_length.bytes()];
        pbkdf2_hmac_sha1(&self.0, pbkdf2_salt, ITERATIONS, key_slice);
        Kek { key, key_length }
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Passphrase({} bytes)", self.0.len())
    }
}

/// PBKDF2-HMAC-SHA1 (RFC 8018 §5.2) filling `out`, for any salt and iteration count: the
/// primitive under [`Passphrase::kek`], public for its RFC 6070 test vectors.
pub fn pbkdf2_hmac_sha1(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, out);
}

/// A key encrypting key: wraps and unwraps the stream encrypting keys (RFC 3394, see
/// [`crate::keywrap`]). Its bytes never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Kek {
    key: [u8; 32],
    key_length: KeyLength,
}

impl Kek {
    /// A KEK from raw bytes (16, 24 or 32 of them), for pre-shared keys and tests.
    pub fn from_bytes(bytes: &[u8]) -> Option<Kek> {
        let key_length = KeyLength::from_bytes(bytes.len())?;
        let mut key = [0; 32];
        key[..bytes.len()].copy_from_slice(bytes);
        Some(Kek { key, key_length })
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.key[..self.key_length.bytes()]
    }

    /// The key's length.
    pub fn key_length(&self) -> KeyLength {
        self.key_length
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kek({:?})", self.key_length)
    }
}
