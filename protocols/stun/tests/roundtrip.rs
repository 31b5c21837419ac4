//! Property tests: a message written then parsed gives back its attributes, parsed then
//! written gives back its bytes (zero padding is canonical), integrity and fingerprint the
//! builder writes verify, and STUN over TCP gives the same messages however it is split.

use proptest::prelude::*;
use std::net::{IpAddr, SocketAddr};
use weir_stun::{
    Attribute, Builder, Class, Credentials, ErrorCode, Message, MessageType, Method, Stream,
    TransactionId, verify_integrity,
};

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(a, p)| SocketAddr::new(IpAddr::from(a), p)),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(a, p)| SocketAddr::new(IpAddr::from(a), p)),
    ]
}

fn attribute() -> impl Strategy<Value = Attribute> {
    prop_oneof![
        addr().prop_map(Attribute::MappedAddress),
        addr().prop_map(Attribute::XorMappedAddress),
        addr().prop_map(Attribute::AlternateServer),
        text(40).prop_map(Attribute::Username),
        text(40).prop_map(Attribute::Realm),
        text(40).prop_map(Attribute::Nonce),
        text(40).prop_map(Attribute::Software),
        any::<[u8; 32]>().prop_map(Attribute::Userhash),
        (3u8..=6, 0u8..=99, text(20)).prop_map(|(class, number, reason)| {
            Attribute::ErrorCode(ErrorCode {
                class,
                number,
                reason,
            })
        }),
        proptest::collection::vec(any::<u16>(), 0..6).prop_map(Attribute::UnknownAttributes),
        any::<u32>().prop_map(Attribute::Priority),
        Just(Attribute::UseCandidate),
        any::<u64>().prop_map(Attribute::IceControlled),
        any::<u64>().prop_map(Attribute::IceControlling),
        // Comprehension-optional types this crate does not decode (above ICE-CONTROLLING).
        (
            0xc000u16..=0xffff,
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(typ, value)| Attribute::Other {
                typ,
                value: value.into(),
            }),
    ]
}

fn message_type() -> impl Strategy<Value = MessageType> {
    (0u16..4, prop_oneof![Just(1u16), 3u16..=4, 6u16..=0xc])
        .prop_map(|(class, method)| MessageType::new(Class::from_bits(class), Method(method)))
}

fn message() -> impl Strategy<Value = Message> {
    (
        message_type(),
        any::<[u8; 12]>(),
        proptest::collection::vec(attribute(), 0..8),
    )
        .prop_map(|(message_type, id, attributes)| {
            let mut m = Message::new(message_type, TransactionId(id));
            if m.message_type.class == Class::ErrorResponse {
                m.attributes
                    .push(Attribute::ErrorCode(ErrorCode::new(400, "bad")));
            }
            m.attributes.extend(attributes);
            m
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn written_messages_parse_back_equal_and_rewrite_to_the_same_bytes(m in message()) {
        let bytes = m.to_bytes();
        let mut violations = Vec::new();
        let parsed = Message::parse_datagram(&bytes, &mut violations).unwrap();
        prop_assert_eq!(&parsed, &m);
        prop_assert_eq!(parsed.to_bytes(), bytes);
    }

    #[test]
    fn integrity_and_fingerprint_written_by_the_builder_verify(
        m in message(),
        password in "[ -~]{1,20}",
    ) {
        let mut b = Builder::new(m.message_type, m.transaction_id);
        for a in &m.attributes {
            b = b.attribute(a);
        }
        let bytes = b
            .message_integrity(password.as_bytes())
            .message_integrity_sha256(password.as_bytes())
            .fingerprint()
            .build();
        let mut violations = Vec::new();
        Message::parse_datagram(&bytes, &mut violations).unwrap();
        let check = verify_integrity(&bytes, &Credentials::ShortTerm { password }, &mut violations);
        prop_assert_eq!((check.sha1, check.sha256), (Some(true), Some(true)));
        let unexpected: Vec<_> = violations
            .iter()
            .filter(|v| !v.rule.id.starts_with("stun.text") && !v.rule.id.starts_with("stun.username"))
            .collect();
        prop_assert!(unexpected.is_empty(), "{:?}", unexpected);
    }

    #[test]
    fn messages_over_tcp_are_the_same_however_the_stream_is_split(
        messages in proptest::collection::vec(message(), 1..5),
        framed in any::<bool>(),
        seed in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut stream = Vec::new();
        for m in &messages {
            let bytes = m.to_bytes();
            if framed {
                stream.extend((bytes.len() as u16).to_be_bytes());
            }
            stream.extend(bytes);
        }
        let cuts = weir_testkit::split::cuts(&seed, stream.len());
        weir_testkit::split::check(Stream::default, &stream, &cuts);
    }
}
