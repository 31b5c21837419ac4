//! Telling STUN from the other protocols on one WebRTC port (RFC 7983 §7, updated by
//! RFC 9443 §3): the first byte of a datagram says which protocol it is, and a STUN message
//! is then confirmed by its magic cookie and length.
//!
//! ```text
//!   0..=3    STUN            16..=19   ZRTP          20..=63   DTLS
//!  64..=79   TURN channel   128..=191  RTP / RTCP   192..=255  QUIC (RFC 9443)
//! ```

use crate::header::{HEADER_LEN, MAGIC_COOKIE};

/// What a datagram on a multiplexed port is, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// 0-3: STUN (or classic STUN).
    Stun,
    /// 16-19: ZRTP.
    Zrtp,
    /// 20-63: DTLS records (20-25 in use, the rest reserved for DTLS; DTLS 1.3's unified
    /// header starts 0b001).
    Dtls,
    /// 64-79: TURN ChannelData.
    TurnChannel,
    /// 128-191: RTP or RTCP (version 2).
    Rtp,
    /// 192-255: QUIC (RFC 9443).
    Quic,
    /// Empty, or a first byte no protocol of the scheme owns (4-15, 80-127).
    Unknown,
}

/// The protocol a datagram belongs to, by RFC 7983's first-byte ranges.
pub fn classify(datagram: &[u8]) -> Kind {
    match datagram.first() {
        Some(0..=3) => Kind::Stun,
        Some(16..=19) => Kind::Zrtp,
        Some(20..=63) => Kind::Dtls,
        Some(64..=79) => Kind::TurnChannel,
        Some(128..=191) => Kind::Rtp,
        Some(192..=255) => Kind::Quic,
        _ => Kind::Unknown,
    }
}

/// Whether a datagram is an RFC 5389/8489 STUN message: first byte 0-3, the magic cookie,
/// and a length field that is a multiple of 4 and matches the datagram.
pub fn is_stun(datagram: &[u8]) -> bool {
    datagram.len() >= HEADER_LEN
        && classify(datagram) == Kind::Stun
        && datagram[4..8] == MAGIC_COOKIE.to_be_bytes()
        && {
            let length = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
            length % 4 == 0 && HEADER_LEN + length == datagram.len()
        }
}

/// Whether a datagram looks like a classic RFC 3489 message: a Binding or Shared Secret
/// request or response (types 0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112), no magic
/// cookie, and a length that matches the datagram.
pub fn is_classic_stun(datagram: &[u8]) -> bool {
    datagram.len() >= HEADER_LEN
        && matches!(
            u16::from_be_bytes([datagram[0], datagram[1]]),
            0x0001 | 0x0101 | 0x0111 | 0x0002 | 0x0102 | 0x0112
        )
        && datagram[4..8] != MAGIC_COOKIE.to_be_bytes()
        && HEADER_LEN + usize::from(u16::from_be_bytes([datagram[2], datagram[3]]))
            == datagram.len()
}

/// The local ufrag a connectivity check is addressed to: the part of its USERNAME before the
/// colon (RFC 8445 §7.2.2: "ours:theirs" from the receiver's point of view). A server with one
/// port for every session routes by it; it walks the attributes (RFC 8489 §14) without
/// building the message, and is `None` for anything that is not a STUN message with a
/// USERNAME in UTF-8.
pub fn local_ufrag(datagram: &[u8]) -> Option<&str> {
    if !is_stun(datagram) {
        return None;
    }
    let mut at = HEADER_LEN;
    while at + 4 <= datagram.len() {
        let typ = u16::from_be_bytes([datagram[at], datagram[at + 1]]);
        let len = usize::from(u16::from_be_bytes([datagram[at + 2], datagram[at + 3]]));
        let value = datagram.get(at + 4..at + 4 + len)?;
        if typ == crate::attribute::types::USERNAME {
            let username = std::str::from_utf8(value).ok()?;
            return username.split(':').next();
        }
        at += 4 + len.next_multiple_of(4);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attribute, Builder, MessageType, TransactionId};

    #[test]
    fn a_check_names_its_receiver_by_the_first_half_of_username() {
        let request = Builder::new(MessageType::BINDING_REQUEST, TransactionId([7; 12]))
            .attribute(&Attribute::Username("ours1234:theirs".into()))
            .message_integrity(b"password")
            .fingerprint()
            .build();
        assert_eq!(local_ufrag(&request), Some("ours1234"));
        assert_eq!(local_ufrag(&request[..30]), None, "cut short: not STUN");
        let no_username = Builder::new(MessageType::BINDING_REQUEST, TransactionId([7; 12]))
            .fingerprint()
            .build();
        assert_eq!(local_ufrag(&no_username), None);
        assert_eq!(local_ufrag(&[0x80, 0x60, 0, 1]), None, "RTP is not STUN");
    }

    #[test]
    fn first_bytes_pick_the_protocol() {
        let table = [
            (0u8, Kind::Stun),
            (3, Kind::Stun),
            (4, Kind::Unknown),
            (16, Kind::Zrtp),
            (20, Kind::Dtls),
            (22, Kind::Dtls),
            (0x2f, Kind::Dtls),
            (63, Kind::Dtls),
            (64, Kind::TurnChannel),
            (79, Kind::TurnChannel),
            (80, Kind::Unknown),
            (127, Kind::Unknown),
            (128, Kind::Rtp),
            (191, Kind::Rtp),
            (192, Kind::Quic),
        ];
        for (byte, kind) in table {
            assert_eq!(classify(&[byte, 0, 0]), kind, "first byte {byte}");
        }
        assert_eq!(classify(&[]), Kind::Unknown);
    }

    #[test]
    fn stun_needs_the_cookie_and_a_length_that_fits() {
        let mut m = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
        m.extend([9; 12]);
        assert!(is_stun(&m));
        assert!(!is_stun(&m[..19]));
        let mut long = m.clone();
        long.extend([0; 4]);
        assert!(!is_stun(&long), "the length field says 0, 4 bytes follow");
        long[3] = 4;
        assert!(is_stun(&long));
        let mut classic = m.clone();
        classic[4] = 0x20;
        assert!(!is_stun(&classic) && is_classic_stun(&classic));
        assert!(!is_classic_stun(&m));
    }
}
