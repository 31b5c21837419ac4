//! Building and checking C1/S1 and C2/S2, the same way for both roles: a [`Side`] says which
//! key and version one end uses.

use super::digest::{
    DIGEST_LEN, FLASH_MEDIA_SERVER_FULL_KEY, FLASH_MEDIA_SERVER_KEY, FLASH_PLAYER_FULL_KEY,
    FLASH_PLAYER_KEY, find_digest, imprint_digest, reply_key, reply_signed, sign_reply,
};
use super::{HandshakeKind, PACKET_LEN};
use crate::rules::{HANDSHAKE_DIGEST, HANDSHAKE_ECHO};
use rand_core::RngCore;
use weir_media::Violation;

/// Where the random bytes of C1/S1 start (after time and version/zero, RTMP 1.0 §5.2.3).
const RANDOM_OFFSET: usize = 8;

/// One end of the handshake.
pub(super) struct Side {
    /// Signs this side's C1/S1 in the complex handshake.
    packet1_key: &'static [u8],
    /// Keys (through the peer's digest) this side's C2/S2 in the complex handshake.
    packet2_key: &'static [u8],
    /// Bytes 4-7 of a complex C1/S1.
    version: [u8; 4],
    packet1: &'static str,
    packet2: &'static str,
}

pub(super) static CLIENT: Side = Side {
    packet1_key: FLASH_PLAYER_KEY,
    packet2_key: &FLASH_PLAYER_FULL_KEY,
    // Flash Player 9.0.124.2, the version FFmpeg's client announces too.
    version: [9, 0, 124, 2],
    packet1: "C1",
    packet2: "C2",
};

pub(super) static SERVER: Side = Side {
    packet1_key: FLASH_MEDIA_SERVER_KEY,
    packet2_key: &FLASH_MEDIA_SERVER_FULL_KEY,
    // FMS 3.5.1.1: FFmpeg's player checks byte 4 >= 3 before it verifies a complex S2.
    version: [3, 5, 1, 1],
    packet1: "S1",
    packet2: "S2",
};

/// How a C2/S2 answered the packet it replies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reply {
    /// It echoes the random bytes (RTMP 1.0 §5.2.4).
    Echo,
    /// It ends with the complex handshake's digest keyed from the answered packet's digest.
    Digest,
}

impl Side {
    /// This side's C1/S1: `time`, then zero (simple) or our version (complex), then random
    /// bytes, with the digest imprinted when complex.
    pub(super) fn packet1(
        &self,
        kind: HandshakeKind,
        time: u32,
        rng: &mut dyn RngCore,
    ) -> Box<[u8; PACKET_LEN]> {
        let mut packet = Box::new([0u8; PACKET_LEN]);
        rng.fill_bytes(&mut packet[RANDOM_OFFSET..]);
        packet[..4].copy_from_slice(&time.to_be_bytes());
        if let HandshakeKind::Complex { scheme } = kind {
            packet[4..8].copy_from_slice(&self.version);
            imprint_digest(&mut packet, scheme, self.packet1_key);
        }
        packet
    }

    /// Recognises the handshake of a C1/S1 this side sent. A non-zero version field announces
    /// the complex handshake; without a valid digest the packet counts as simple and the
    /// violation (offset relative to the packet) says so.
    pub(super) fn kind_of(&self, packet: &[u8; PACKET_LEN]) -> (HandshakeKind, Option<Violation>) {
        let version = &packet[4..8];
        if version == [0; 4] {
            return (HandshakeKind::Simple, None);
        }
        if let Some(scheme) = find_digest(packet, self.packet1_key) {
            return (HandshakeKind::Complex { scheme }, None);
        }
        let name = self.packet1;
        let detail = format!(
            "{name} announces a complex handshake (version {}.{}.{}.{}) but no HMAC-SHA256 digest \
             validates in scheme 0 or 1; treating it as simple (where bytes 4-7 are zero, RTMP \
             1.0 §5.2.3)",
            version[0], version[1], version[2], version[3]
        );
        (
            HandshakeKind::Simple,
            Some(Violation::new(&HANDSHAKE_DIGEST, 4, detail)),
        )
    }

    /// This side's C2/S2 answering `peer_packet1`. When both sides are complex it is random
    /// bytes signed with a key derived from the peer's digest; otherwise it echoes the peer's
    /// time and random bytes with `time2` (RTMP 1.0 §5.2.4).
    pub(super) fn packet2(
        &self,
        peer_packet1: &[u8; PACKET_LEN],
        peer_kind: HandshakeKind,
        own_kind: HandshakeKind,
        time2: u32,
        rng: &mut dyn RngCore,
    ) -> Box<[u8; PACKET_LEN]> {
        let mut packet = Box::new(*peer_packet1);
        match (peer_kind, own_kind) {
            (HandshakeKind::Complex { scheme }, HandshakeKind::Complex { .. }) => {
                rng.fill_bytes(&mut packet[..]);
                let key = reply_key(self.packet2_key, scheme.digest_of(peer_packet1));
                sign_reply(&mut packet, &key);
            }
            _ => packet[4..8].copy_from_slice(&time2.to_be_bytes()),
        }
        packet
    }
}

/// Checks a recorded C2 against the S1 it answers: it must echo S1's random bytes or, when S1
/// carries a valid complex digest, may instead carry the complex C2 digest. A violation's
/// offset is relative to the start of C2.
pub fn check_c2(s1: &[u8], c2: &[u8]) -> Result<Reply, Violation> {
    check_reply(&SERVER, &CLIENT, s1, c2)
}

/// Checks a recorded S2 against the C1 it answers, like [`check_c2`] the other way round.
pub fn check_s2(c1: &[u8], s2: &[u8]) -> Result<Reply, Violation> {
    check_reply(&CLIENT, &SERVER, c1, s2)
}

/// Checks `reply` (sent by `replier`) against `sent` (`sender`'s C1/S1).
fn check_reply(
    sender: &Side,
    replier: &Side,
    sent: &[u8],
    reply: &[u8],
) -> Result<Reply, Violation> {
    let (name, answered) = (replier.packet2, sender.packet1);
    let (Ok(sent), Ok(reply)) = (
        <&[u8; PACKET_LEN]>::try_from(sent),
        <&[u8; PACKET_LEN]>::try_from(reply),
    ) else {
        let detail = format!(
            "{answered} and {name} are {PACKET_LEN} bytes, got {} and {}",
            sent.len(),
            reply.len()
        );
        return Err(Violation::new(&HANDSHAKE_ECHO, 0, detail));
    };
    let Some(first_difference) = sent[RANDOM_OFFSET..]
        .iter()
        .zip(&reply[RANDOM_OFFSET..])
        .position(|(a, b)| a != b)
    else {
        return Ok(Reply::Echo);
    };
    if let (HandshakeKind::Complex { scheme }, _) = sender.kind_of(sent) {
        let key = reply_key(replier.packet2_key, scheme.digest_of(sent));
        if reply_signed(reply, &key) {
            return Ok(Reply::Digest);
        }
        let detail = format!(
            "{name} neither echoes the random bytes of {answered} nor ends with the complex \
             handshake digest keyed from {answered}'s digest"
        );
        return Err(Violation::new(
            &HANDSHAKE_ECHO,
            (PACKET_LEN - DIGEST_LEN) as u64,
            detail,
        ));
    }
    let offset = RANDOM_OFFSET + first_difference;
    let detail = format!(
        "{name} does not echo the random bytes of {answered}: they differ from byte {offset} of {name} on"
    );
    Err(Violation::new(&HANDSHAKE_ECHO, offset as u64, detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::DigestScheme;

    /// A deterministic stand-in for randomness: counts up from a seed.
    struct Counter(u8);

    impl RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            for byte in dst {
                self.0 = self.0.wrapping_mul(33).wrapping_add(7);
                *byte = self.0;
            }
        }
    }

    const COMPLEX0: HandshakeKind = HandshakeKind::Complex {
        scheme: DigestScheme::Scheme0,
    };
    const COMPLEX1: HandshakeKind = HandshakeKind::Complex {
        scheme: DigestScheme::Scheme1,
    };

    #[test]
    fn simple_packet1_has_time_zero_and_random() {
        let packet = CLIENT.packet1(HandshakeKind::Simple, 0x01020304, &mut Counter(1));
        assert_eq!(packet[..8], [1, 2, 3, 4, 0, 0, 0, 0]);
        assert_ne!(packet[8..40], [0; 32]);
        assert_eq!(CLIENT.kind_of(&packet), (HandshakeKind::Simple, None));
    }

    #[test]
    fn complex_packet1_is_recognised_in_its_scheme() {
        for (side, kind) in [
            (&CLIENT, COMPLEX0),
            (&CLIENT, COMPLEX1),
            (&SERVER, COMPLEX0),
            (&SERVER, COMPLEX1),
        ] {
            let packet = side.packet1(kind, 5, &mut Counter(2));
            assert_eq!(packet[4..8], side.version);
            assert_eq!(side.kind_of(&packet), (kind, None));
        }
    }

    #[test]
    fn announced_complex_without_digest_is_a_digest_violation() {
        let mut packet = CLIENT.packet1(COMPLEX0, 5, &mut Counter(3));
        packet[100] ^= 0xFF;
        let (kind, violation) = CLIENT.kind_of(&packet);
        assert_eq!(kind, HandshakeKind::Simple);
        let violation = violation.expect("digest violation");
        assert_eq!(violation.rule, &HANDSHAKE_DIGEST);
        assert_eq!(violation.offset, 4);
        assert!(
            violation
                .detail
                .starts_with("C1 announces a complex handshake (version 9.0.124.2)")
        );
    }

    #[test]
    fn replies_echo_or_sign_as_the_kinds_require() {
        let c1 = CLIENT.packet1(COMPLEX1, 77, &mut Counter(4));
        let signed = SERVER.packet2(&c1, COMPLEX1, COMPLEX1, 9, &mut Counter(5));
        assert_eq!(check_s2(&c1[..], &signed[..]), Ok(Reply::Digest));
        let echo = SERVER.packet2(&c1, COMPLEX1, HandshakeKind::Simple, 9, &mut Counter(5));
        assert_eq!(echo[..8], [0, 0, 0, 77, 0, 0, 0, 9]);
        assert_eq!(check_s2(&c1[..], &echo[..]), Ok(Reply::Echo));
    }

    #[test]
    fn a_reply_that_neither_echoes_nor_signs_is_an_echo_violation() {
        let s1 = SERVER.packet1(HandshakeKind::Simple, 1, &mut Counter(6));
        let mut c2 = CLIENT.packet2(
            &s1,
            HandshakeKind::Simple,
            HandshakeKind::Simple,
            2,
            &mut Counter(7),
        );
        c2[1000] ^= 1;
        let violation = check_c2(&s1[..], &c2[..]).unwrap_err();
        assert_eq!((violation.rule, violation.offset), (&HANDSHAKE_ECHO, 1000));

        let s1 = SERVER.packet1(COMPLEX0, 1, &mut Counter(6));
        let mut c2 = CLIENT.packet2(&s1, COMPLEX0, COMPLEX0, 2, &mut Counter(7));
        assert_eq!(check_c2(&s1[..], &c2[..]), Ok(Reply::Digest));
        c2[0] ^= 1;
        let violation = check_c2(&s1[..], &c2[..]).unwrap_err();
        assert_eq!((violation.rule, violation.offset), (&HANDSHAKE_ECHO, 1504));
    }

    #[test]
    fn a_reply_of_the_wrong_size_is_a_violation_not_a_panic() {
        let violation = check_c2(&[0; PACKET_LEN], &[0; 10]).unwrap_err();
        assert_eq!(
            violation.detail,
            "S1 and C2 are 1536 bytes, got 1536 and 10"
        );
    }
}
