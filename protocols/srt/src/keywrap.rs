//! AES key wrap (RFC 3394 §2.2.1, §2.2.2) of the stream encrypting keys with the key
//! encrypting key (draft-sharabayko-srt-01 §6.2.1, §6.3.1), and the unwrap's integrity check
//! (RFC 3394 §2.2.3): with a wrong passphrase the check fails, which is how a bad secret is
//! found (libsrt's `SRT_KM_S_BADSECRET`).

use weir_media::Error;

use crate::cipher::Aes;
use crate::kdf::Kek;
use crate::rules::{CRYPTO_UNWRAP, KM_LENGTH};

/// The default initial value of RFC 3394 §2.2.3.1: the integrity check value.
pub const DEFAULT_IV: [u8; 8] = [0xa6; 8];

/// Wraps `keys` (a multiple of 8 bytes, at least 16) with `kek`: 8 more bytes come out.
/// `None` when `keys` has no such length.
pub fn wrap(kek: &Kek, keys: &[u8]) -> Option<Vec<u8>> {
    if keys.len() < 16 || !keys.len().is_multiple_of(8) {
        return None;
    }
    let aes = Aes::new(kek.as_bytes())?;
    let n = keys.len() / 8;
    let mut a = DEFAULT_IV;
    let mut r: Vec<[u8; 8]> = keys.chunks_exact(8).map(to_half).collect();
    for j in 0..6 {
        for (i, ri) in r.iter_mut().enumerate() {
            let mut block = join(&a, ri);
            aes.encrypt_block(&mut block);
            let t = (n * j + i + 1) as u64;
            a = xor_t(to_half(&block[..8]), t);
            *ri = to_half(&block[8..]);
        }
    }
    let mut out = Vec::with_capacity(keys.len() + 8);
    out.extend_from_slice(&a);
    r.iter().for_each(|ri| out.extend_from_slice(ri));
    Some(out)
}

/// Unwraps `wrapped` (8 bytes more than the keys) with `kek`, checking the integrity value:
/// an error naming `srt.crypto.unwrap-integrity` when it does not match (a wrong passphrase),
/// `srt.km.length` when `wrapped` is not 24 or more bytes in 8-byte blocks.
pub fn unwrap(kek: &Kek, wrapped: &[u8]) -> Result<Vec<u8>, Error> {
    if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
        return Err(Error::rule(
            &KM_LENGTH,
            0,
            format!(
                "the wrapped keys are {} bytes, not 8-byte blocks of 24 or more",
                wrapped.len()
            ),
        ));
    }
    let Some(aes) = Aes::new(kek.as_bytes()) else {
        return Err(Error::usage("a KEK of 16, 24 or 32 bytes"));
    };
    let n = wrapped.len() / 8 - 1;
    let mut a = to_half(&wrapped[..8]);
    let mut r: Vec<[u8; 8]> = wrapped[8..].chunks_exact(8).map(to_half).collect();
    for j in (0..6).rev() {
        for (i, ri) in r.iter_mut().enumerate().rev() {
            let t = (n * j + i + 1) as u64;
            let mut block = join(&xor_t(a, t), ri);
            aes.decrypt_block(&mut block);
            a = to_half(&block[..8]);
            *ri = to_half(&block[8..]);
        }
    }
    if a != DEFAULT_IV {
        return Err(Error::rule(
            &CRYPTO_UNWRAP,
            0,
            "the unwrapped integrity value is not A6A6A6A6A6A6A6A6: wrong passphrase (bad secret)",
        ));
    }
    Ok(r.concat())
}

fn to_half(bytes: &[u8]) -> [u8; 8] {
    let mut half = [0; 8];
    half.copy_from_slice(bytes);
    half
}

fn join(a: &[u8; 8], r: &[u8; 8]) -> [u8; 16] {
    let mut block = [0; 16];
    block[..8].copy_from_slice(a);
    block[8..].copy_from_slice(r);
    block
}

fn xor_t(a: [u8; 8], t: u64) -> [u8; 8] {
    (u64::from_be_bytes(a) ^ t).to_be_bytes()
}
