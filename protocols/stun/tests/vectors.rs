//! RFC 5769's test vectors (the bytes in `$WEIR_CORPUS/stun/rfc5769/`, see its README):
//! integrity and fingerprint verify with the RFC's credentials, a wrong password fails, and
//! writing the same attributes with the same transaction id gives the vector's bytes back.

use weir_stun::{
    Attribute, Builder, Credentials, IntegrityCheck, Message, MessageType, verify_integrity,
};
use weir_testkit::corpus;

/// RFC 5769 §2: the short-term password of §2.1-§2.3.
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

/// RFC 5769 §2.4's long-term credentials: the username is six katakana characters (U+30DE
/// U+30C8 U+30EA U+30C3 U+30AF U+30B9), the password "The<U+00AD>M<U+00AA>tr<U+2168>" after
/// SASLprep, "TheMatrIX".
fn long_term() -> Credentials {
    Credentials::LongTerm {
        username: "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}".into(),
        realm: "example.org".into(),
        password: "TheMatrIX".into(),
    }
}

fn short_term(password: &str) -> Credentials {
    Credentials::ShortTerm {
        password: password.into(),
    }
}

fn parse_clean(bytes: &[u8]) -> Message {
    let mut violations = Vec::new();
    let message = Message::parse_datagram(bytes, &mut violations).unwrap();
    assert_eq!(violations, [], "a vector breaks no rule");
    message
}

fn verified(bytes: &[u8], credentials: &Credentials) -> IntegrityCheck {
    let mut violations = Vec::new();
    let check = verify_integrity(bytes, credentials, &mut violations);
    assert_eq!(check.sha1 == Some(false), !violations.is_empty());
    check
}

/// Rewrites `message`'s attributes up to its MESSAGE-INTEGRITY with `padding`, then the
/// integrity with `key` and, if the message had one, the fingerprint.
fn rewrite(message: &Message, padding: u8, key: &[u8]) -> Vec<u8> {
    let mut b = Builder::new(message.message_type, message.transaction_id).padding(padding);
    for a in &message.attributes {
        match a {
            Attribute::MessageIntegrity(_) => b = b.message_integrity(key),
            Attribute::Fingerprint(_) => b = b.fingerprint(),
            other => b = b.attribute(other),
        }
    }
    b.build()
}

#[test]
fn the_sample_request_verifies_and_is_rewritten_byte_for_byte() {
    let bytes = corpus::read("stun/rfc5769/sample_request.bin");
    let m = parse_clean(&bytes);
    assert_eq!(m.message_type, MessageType::BINDING_REQUEST);
    assert_eq!(m.username(), Some("evtj:h6vY"));
    assert!(m.attributes.contains(&Attribute::Priority(0x6e00_01ff)));
    assert!(
        m.attributes
            .contains(&Attribute::IceControlled(0x932f_f9b1_5126_3b36))
    );
    assert!(
        m.attributes
            .contains(&Attribute::Software("STUN test client".into()))
    );
    assert_eq!(verified(&bytes, &short_term(PASSWORD)).sha1, Some(true));
    assert_eq!(verified(&bytes, &short_term("wrong")).sha1, Some(false));
    // The vector pads USERNAME with spaces (RFC 5769 §2.1); written so, the bytes are equal.
    assert_eq!(rewrite(&m, b' ', PASSWORD.as_bytes()), bytes);
    // With zero padding only the padding, the HMAC and the CRC change.
    let zero = rewrite(&m, 0, PASSWORD.as_bytes());
    assert_eq!(zero.len(), bytes.len());
    assert_eq!(parse_clean(&zero).attributes.len(), m.attributes.len());
    assert_eq!(verified(&zero, &short_term(PASSWORD)).sha1, Some(true));
}

#[test]
fn the_sample_responses_carry_the_rfcs_addresses() {
    for (file, addr) in [
        ("stun/rfc5769/sample_ipv4_response.bin", "192.0.2.1:32853"),
        (
            "stun/rfc5769/sample_ipv6_response.bin",
            "[2001:db8:1234:5678:11:2233:4455:6677]:32853",
        ),
    ] {
        let bytes = corpus::read(file);
        let m = parse_clean(&bytes);
        assert_eq!(m.message_type, MessageType::BINDING_SUCCESS);
        assert_eq!(m.mapped_address(), Some(addr.parse().unwrap()), "{file}");
        assert!(
            m.attributes
                .contains(&Attribute::Software("test vector".into()))
        );
        assert_eq!(
            verified(&bytes, &short_term(PASSWORD)).sha1,
            Some(true),
            "{file}"
        );
        // SOFTWARE "test vector" is padded with a space (RFC 5769 §2.2, §2.3).
        assert_eq!(rewrite(&m, b' ', PASSWORD.as_bytes()), bytes, "{file}");
    }
}

#[test]
fn the_long_term_request_verifies_with_the_md5_key() {
    let bytes = corpus::read("stun/rfc5769/sample_request_long_term_auth.bin");
    let m = parse_clean(&bytes);
    assert_eq!(
        m.username(),
        Some("\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}")
    );
    assert!(
        m.attributes
            .contains(&Attribute::Realm("example.org".into()))
    );
    assert!(
        m.attributes
            .contains(&Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA".into()))
    );
    assert!(!m.has(weir_stun::attribute::types::FINGERPRINT));
    assert_eq!(verified(&bytes, &long_term()).sha1, Some(true));
    // This vector pads with zeros: the default writer gives it back.
    let key = long_term().key(weir_stun::PasswordAlgorithm::MD5);
    assert_eq!(rewrite(&m, 0, &key), bytes);
    assert_eq!(m.to_bytes(), bytes);
}

#[test]
fn sha256_integrity_written_by_the_builder_verifies() {
    let credentials = long_term();
    let key = credentials.key(weir_stun::PasswordAlgorithm::SHA256);
    let m = Message::new(
        MessageType::BINDING_REQUEST,
        weir_stun::TransactionId([3; 12]),
    );
    let bytes = Builder::new(m.message_type, m.transaction_id)
        .attribute(&Attribute::Userhash(credentials.userhash().unwrap()))
        .attribute(&Attribute::Realm("example.org".into()))
        .attribute(&Attribute::PasswordAlgorithm(
            weir_stun::PasswordAlgorithm {
                algorithm: weir_stun::PasswordAlgorithm::SHA256,
                parameters: Default::default(),
            },
        ))
        .message_integrity(&key)
        .message_integrity_sha256(&key)
        .fingerprint()
        .build();
    parse_clean(&bytes);
    assert_eq!(
        verified(&bytes, &credentials),
        IntegrityCheck {
            sha1: Some(true),
            sha256: Some(true)
        }
    );
}
