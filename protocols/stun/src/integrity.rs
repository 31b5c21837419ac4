//! MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5), MESSAGE-INTEGRITY-SHA256 (§14.6) and
//! FINGERPRINT (CRC-32 XOR 0x5354554E, §14.7), computed over the message bytes before the
//! attribute with the header's length field set as if the message ended right after it.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// What FINGERPRINT's CRC-32 is XORed with: "STUN" in ASCII.
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// The length field a covering attribute at `attribute_offset` (from the message start)
/// with a value of `value_len` bytes makes the header carry.
fn adjusted_length(attribute_offset: usize, value_len: usize) -> [u8; 2] {
    ((attribute_offset - crate::header::HEADER_LEN + 4 + value_len) as u16).to_be_bytes()
}

/// The input of the covering attribute at `attribute_offset` of `message`: the bytes before
/// it with the length field adjusted.
fn covered(message: &[u8], attribute_offset: usize, value_len: usize) -> Vec<u8> {
    let mut bytes = message[..attribute_offset].to_vec();
    bytes[2..4].copy_from_slice(&adjusted_length(attribute_offset, value_len));
    bytes
}

/// HMAC-SHA1 for a MESSAGE-INTEGRITY attribute at `attribute_offset` of `message` (which
/// must hold at least the bytes before it).
pub fn hmac_sha1(key: &[u8], message: &[u8], attribute_offset: usize) -> [u8; 20] {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&covered(message, attribute_offset, 20));
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 for a MESSAGE-INTEGRITY-SHA256 attribute of `value_len` bytes (16 to 32, the
/// HMAC truncated) at `attribute_offset` of `message`.
pub fn hmac_sha256(
    key: &[u8],
    message: &[u8],
    attribute_offset: usize,
    value_len: usize,
) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&covered(message, attribute_offset, value_len));
    mac.finalize().into_bytes()[..value_len.min(32)].to_vec()
}

/// The FINGERPRINT value for the attribute at `attribute_offset` of `message`.
pub fn fingerprint(message: &[u8], attribute_offset: usize) -> u32 {
    crc32fast::hash(&covered(message, attribute_offset, 4)) ^ FINGERPRINT_XOR
}
