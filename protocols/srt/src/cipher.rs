//! AES for SRT: one expanded key of 128, 192 or 256 bits, the block operations the key wrap
//! ([`crate::keywrap`]) uses, and the AES-CTR payload encryption of data packets
//! (draft-sharabayko-srt-01 §6.1.2, §6.2.2, §6.3.2).
//!
//! The counter block is built exactly as libsrt builds it (`hcrypt_SetCtrIV`):
//!
//! ```text
//! bytes   0 ..  9   10 .. 13          14 .. 15
//!         0         packet index      block counter (from 0)
//!     XOR salt[0 .. 13]  (the 112 most significant bits of the salt; salt[14..15] unused)
//! ```
//!
//! The packet index is the data packet's 31-bit sequence number, big-endian. (The draft's
//! §6.2.2 formula shows the index shifted left by 2 bytes more; libsrt, and so every peer,
//! does as above.) AES-CTR keeps the length, so the payload is processed in place.

use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, InnerIvInit, KeyInit, StreamCipher};
use aes::{Aes128, Aes192, Aes256};
use ctr::{CtrCore, flavors};

use crate::km::KeyLength;
use crate::seq::SeqNumber;

/// The counter-block size, the AES block size.
pub const BLOCK_LEN: usize = 16;
/// The salt bytes XORed into the counter block (112 bits).
pub const NONCE_LEN: usize = 14;

/// Runs `$body` with `$c` bound to the expanded key, whatever its size.
macro_rules! each_key_size {
    ($aes:expr, $c:ident => $body:expr) => {
        match $aes {
            Aes::Aes128($c) => $body,
            Aes::Aes192($c) => $body,
            Aes::Aes256($c) => $body,
        }
    };
}

/// One expanded AES key. Its round keys never appear in `Debug` output.
#[derive(Clone)]
pub enum Aes {
    /// AES-128.
    Aes128(Box<Aes128>),
    /// AES-192.
    Aes192(Box<Aes192>),
    /// AES-256.
    Aes256(Box<Aes256>),
}

impl std::fmt::Debug for Aes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Aes({:?})", self.key_length())
    }
}

impl Aes {
    /// The cipher for a 16-, 24- or 32-byte key; `None` for any other length.
    pub fn new(key: &[u8]) -> Option<Aes> {
        Some(match KeyLength::from_bytes(key.len())? {
            KeyLength::Aes128 => Aes::Aes128(Box::new(Aes128::new_from_slice(key).ok()?)),
            KeyLength::Aes192 => Aes::Aes192(Box::new(Aes192::new_from_slice(key).ok()?)),
            KeyLength::Aes256 => Aes::Aes256(Box::new(Aes256::new_from_slice(key).ok()?)),
        })
    }

    /// The key's length.
    pub fn key_length(&self) -> KeyLength {
        match self {
            Aes::Aes128(_) => KeyLength::Aes128,
            Aes::Aes192(_) => KeyLength::Aes192,
            Aes::Aes256(_) => KeyLength::Aes256,
        }
    }

    /// Encrypts one block in place.
    pub fn encrypt_block(&self, block: &mut [u8; BLOCK_LEN]) {
        let mut b = aes::Block::from(*block);
        each_key_size!(self, c => c.encrypt_block(&mut b));
        block.copy_from_slice(&b);
    }

    /// Decrypts one block in place.
    pub fn decrypt_block(&self, block: &mut [u8; BLOCK_LEN]) {
        let mut b = aes::Block::from(*block);
        each_key_size!(self, c => c.decrypt_block(&mut b));
        block.copy_from_slice(&b);
    }

    /// Encrypts or decrypts (the same operation) a data packet's payload in place: AES-CTR
    /// from the counter block of `salt` and `seq` ([`counter_block`]).
    pub fn apply_ctr(&self, salt: &[u8], seq: SeqNumber, payload: &mut [u8]) {
        let iv = aes::Block::from(counter_block(salt, seq));
        each_key_size!(self, c => ctr128(CtrCore::inner_iv_init((**c).clone(), &iv), payload));
    }
}

/// Runs a 128-bit big-endian counter over `payload`. The 16-bit block counter of a packet
/// never carries into the packet index: 65536 blocks are far more than a datagram.
fn ctr128<C>(core: CtrCore<C, flavors::Ctr128BE>, payload: &mut [u8])
where
    C: aes::cipher::BlockCipherEncrypt
        + aes::cipher::BlockSizeUser<BlockSize = aes::cipher::consts::U16>,
{
    let mut stream = aes::cipher::StreamCipherCoreWrapper::from_core(core);
    stream.apply_keystream(payload);
}

/// The first counter block for the packet with sequence number `seq` (see the
/// [module docs](self)). A salt shorter than 14 bytes XORs what it has.
pub fn counter_block(salt: &[u8], seq: SeqNumber) -> [u8; BLOCK_LEN] {
    let mut block = [0; BLOCK_LEN];
    block[10..14].copy_from_slice(&seq.get().to_be_bytes());
    for (b, s) in block.iter_mut().zip(salt.iter().take(NONCE_LEN)) {
        *b ^= s;
    }
    block
}
