//! The digests of the complex handshake (Flash Player 9+ / FMS 3; not in RTMP 1.0).
//!
//! C1 and S1 hide a 32-byte HMAC-SHA256 digest of the other 1504 bytes. Four bytes at a fixed
//! position (8 in scheme 0, 772 in scheme 1) decide where: their sum modulo 728, plus the
//! position after them. C1 is keyed by the first 30 bytes of the Flash Player key, S1 by the
//! first 36 of the FMS key. C2/S2 end with HMAC-SHA256 of their first 1504 bytes, keyed by
//! HMAC-SHA256(full key, the peer's C1/S1 digest): a proof of having read the peer's packet.

use super::PACKET_LEN;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Length of an HMAC-SHA256 digest.
pub const DIGEST_LEN: usize = 32;
/// How many positions the digest can take inside its half of the packet.
const DIGEST_POSITIONS: usize = 728;
/// Where the signed part of a C2/S2 ends and its trailing digest starts.
const REPLY_SIGNED_LEN: usize = PACKET_LEN - DIGEST_LEN;

/// The 32 bytes both well-known keys end with; only the full keys sign C2/S2.
const KEY_TAIL: [u8; 32] = [
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
];

const fn full_key<const N: usize>(text: &[u8]) -> [u8; N] {
    let mut key = [0u8; N];
    let mut i = 0;
    while i < text.len() {
        key[i] = text[i];
        i += 1;
    }
    while i < N {
        key[i] = KEY_TAIL[i - text.len()];
        i += 1;
    }
    key
}

/// "Genuine Adobe Flash Player 001" followed by the key tail: keys the C2 digest.
pub static FLASH_PLAYER_FULL_KEY: [u8; 62] = full_key(b"Genuine Adobe Flash Player 001");
/// "Genuine Adobe Flash Media Server 001" followed by the key tail: keys the S2 digest.
pub static FLASH_MEDIA_SERVER_FULL_KEY: [u8; 68] =
    full_key(b"Genuine Adobe Flash Media Server 001");
/// The text part of the Flash Player key (30 bytes): keys the C1 digest.
pub static FLASH_PLAYER_KEY: &[u8] = FLASH_PLAYER_FULL_KEY.split_at(30).0;
/// The text part of the FMS key (36 bytes): keys the S1 digest.
pub static FLASH_MEDIA_SERVER_KEY: &[u8] = FLASH_MEDIA_SERVER_FULL_KEY.split_at(36).0;

/// Where the four bytes that place the digest sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestScheme {
    /// Offset bytes at 8..12, digest in 12..772 (Flash Player 9 style; FFmpeg's client).
    Scheme0,
    /// Offset bytes at 772..776, digest in 776..1536 (Flash Player 10's client).
    Scheme1,
}

impl DigestScheme {
    /// Schemes in the order a receiver tries them.
    pub const ALL: [DigestScheme; 2] = [DigestScheme::Scheme0, DigestScheme::Scheme1];

    fn offset_field(self) -> usize {
        match self {
            DigestScheme::Scheme0 => 8,
            DigestScheme::Scheme1 => 772,
        }
    }

    /// Byte offset of the digest in a C1/S1 laid out in this scheme (at most 1503, so the
    /// digest always fits).
    pub fn digest_offset(self, packet: &[u8; PACKET_LEN]) -> usize {
        let field = self.offset_field();
        let sum: usize = packet[field..field + 4]
            .iter()
            .map(|&b| usize::from(b))
            .sum();
        sum % DIGEST_POSITIONS + field + 4
    }

    /// The digest bytes a C1/S1 carries in this scheme (valid or not).
    pub fn digest_of(self, packet: &[u8; PACKET_LEN]) -> &[u8; DIGEST_LEN] {
        let (_, from) = packet.split_at(self.digest_offset(packet));
        from.first_chunk().unwrap_or(&[0; DIGEST_LEN])
    }
}

/// HMAC-SHA256 of the whole packet minus the 32 bytes at `offset`.
fn packet_digest(packet: &[u8; PACKET_LEN], offset: usize, key: &[u8]) -> [u8; DIGEST_LEN] {
    let (before, rest) = packet.split_at(offset);
    let after = rest.get(DIGEST_LEN..).unwrap_or_default();
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(before);
    mac.update(after);
    mac.finalize().into_bytes().into()
}

/// Which scheme's digest in `packet` (a C1 or S1, exactly 1536 bytes) validates with `key`
/// ([`FLASH_PLAYER_KEY`] for C1, [`FLASH_MEDIA_SERVER_KEY`] for S1); scheme 0 is tried first.
pub fn find_digest(packet: &[u8], key: &[u8]) -> Option<DigestScheme> {
    let packet: &[u8; PACKET_LEN] = packet.try_into().ok()?;
    DigestScheme::ALL.into_iter().find(|scheme| {
        let offset = scheme.digest_offset(packet);
        packet_digest(packet, offset, key) == *scheme.digest_of(packet)
    })
}

/// Writes the digest of a C1/S1 whose other 1504 bytes are final.
pub(super) fn imprint_digest(packet: &mut [u8; PACKET_LEN], scheme: DigestScheme, key: &[u8]) {
    let offset = scheme.digest_offset(packet);
    let digest = packet_digest(packet, offset, key);
    packet[offset..offset + DIGEST_LEN].copy_from_slice(&digest);
}

/// The key that signs a C2/S2: HMAC-SHA256(`full_key`, the digest of the packet answered).
pub(super) fn reply_key(full_key: &[u8], peer_digest: &[u8; DIGEST_LEN]) -> [u8; DIGEST_LEN] {
    let mut mac = HmacSha256::new_from_slice(full_key).expect("HMAC takes keys of any length");
    mac.update(peer_digest);
    mac.finalize().into_bytes().into()
}

fn reply_digest(packet: &[u8; PACKET_LEN], key: &[u8; DIGEST_LEN]) -> [u8; DIGEST_LEN] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(&packet[..REPLY_SIGNED_LEN]);
    mac.finalize().into_bytes().into()
}

/// Signs a C2/S2: its last 32 bytes become the digest of the 1504 before them.
pub(super) fn sign_reply(packet: &mut [u8; PACKET_LEN], key: &[u8; DIGEST_LEN]) {
    let digest = reply_digest(packet, key);
    packet[REPLY_SIGNED_LEN..].copy_from_slice(&digest);
}

/// Whether a C2/S2 ends with the digest `key` gives its first 1504 bytes.
pub(super) fn reply_signed(packet: &[u8; PACKET_LEN], key: &[u8; DIGEST_LEN]) -> bool {
    reply_digest(packet, key) == packet[REPLY_SIGNED_LEN..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_published_lengths_and_text() {
        assert_eq!(FLASH_PLAYER_KEY, b"Genuine Adobe Flash Player 001");
        assert_eq!(
            FLASH_MEDIA_SERVER_KEY,
            b"Genuine Adobe Flash Media Server 001"
        );
        assert_eq!(FLASH_PLAYER_FULL_KEY[30..], KEY_TAIL);
        assert_eq!(FLASH_MEDIA_SERVER_FULL_KEY[36..], KEY_TAIL);
        assert_eq!(FLASH_MEDIA_SERVER_FULL_KEY[67], 0xAE);
    }

    #[test]
    fn digest_offsets_follow_the_offset_bytes() {
        let mut packet = [0u8; PACKET_LEN];
        assert_eq!(DigestScheme::Scheme0.digest_offset(&packet), 12);
        assert_eq!(DigestScheme::Scheme1.digest_offset(&packet), 776);
        packet[8..12].copy_from_slice(&[0xFF; 4]); // 1020 % 728 = 292
        packet[772..776].copy_from_slice(&[0xFF; 4]);
        assert_eq!(DigestScheme::Scheme0.digest_offset(&packet), 292 + 12);
        assert_eq!(DigestScheme::Scheme1.digest_offset(&packet), 292 + 776);
        packet[8..12].copy_from_slice(&[0xB5, 0xB5, 0xB5, 0xB8]); // 727: the last position
        assert_eq!(DigestScheme::Scheme0.digest_offset(&packet), 739);
    }

    #[test]
    fn imprinted_digest_is_found_in_its_scheme_only_with_its_key() {
        for scheme in DigestScheme::ALL {
            let mut packet = [0u8; PACKET_LEN];
            for (i, byte) in packet.iter_mut().enumerate() {
                *byte = (i * 7 % 251) as u8;
            }
            imprint_digest(&mut packet, scheme, FLASH_PLAYER_KEY);
            assert_eq!(find_digest(&packet, FLASH_PLAYER_KEY), Some(scheme));
            assert_eq!(find_digest(&packet, FLASH_MEDIA_SERVER_KEY), None);
            packet[0] ^= 1;
            assert_eq!(find_digest(&packet, FLASH_PLAYER_KEY), None);
        }
    }

    #[test]
    fn find_digest_wants_a_whole_packet() {
        assert_eq!(find_digest(&[0u8; 1535], FLASH_PLAYER_KEY), None);
        assert_eq!(find_digest(&[], FLASH_PLAYER_KEY), None);
    }

    #[test]
    fn signed_reply_verifies_only_with_its_key() {
        let mut packet = [0x5Au8; PACKET_LEN];
        let key = reply_key(&FLASH_MEDIA_SERVER_FULL_KEY, &[1; DIGEST_LEN]);
        sign_reply(&mut packet, &key);
        assert!(reply_signed(&packet, &key));
        assert!(!reply_signed(
            &packet,
            &reply_key(&FLASH_MEDIA_SERVER_FULL_KEY, &[2; 32])
        ));
    }
}
