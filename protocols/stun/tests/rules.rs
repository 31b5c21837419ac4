//! Every rule of the catalog fires on an input made to break it, and the table names every
//! rule, so no rule is one nothing can trigger.

use weir_media::Violation;
use weir_stun::attribute::types;
use weir_stun::{
    Attribute, Builder, Credentials, ErrorCode, Message, MessageType, TransactionId, ice, rules,
    verify_integrity,
};

const ID: TransactionId = TransactionId([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

fn request() -> Builder {
    Builder::new(MessageType::BINDING_REQUEST, ID)
}

/// A message of `typ` with one attribute of `attr_type` and raw `value`.
fn with_raw(typ: MessageType, attr_type: u16, value: &[u8]) -> Vec<u8> {
    Builder::new(typ, ID)
        .attribute(&Attribute::Other {
            typ: attr_type,
            value: bytes::Bytes::copy_from_slice(value),
        })
        .build()
}

/// The rule ids `bytes` breaks when parsed as a datagram (the error's rule last).
fn parse(bytes: &[u8]) -> Vec<&'static str> {
    let mut violations = Vec::new();
    let result = Message::parse_datagram(bytes, &mut violations);
    let mut ids: Vec<_> = violations.iter().map(|v| v.rule.id).collect();
    if let Err(e) = result {
        ids.push(e.rule_id());
    }
    ids
}

fn ids(violations: &[Violation]) -> Vec<&'static str> {
    violations.iter().map(|v| v.rule.id).collect()
}

/// The ICE rules `b`'s message breaks as a connectivity check.
fn ice_check(b: Builder) -> Vec<&'static str> {
    let mut violations = Vec::new();
    let message = Message::parse_datagram(&b.build(), &mut violations).unwrap();
    ice::check(&message, true, 0, &mut violations);
    ids(&violations)
}

fn ice_ok() -> Builder {
    request()
        .attribute(&Attribute::Username("a:b".into()))
        .attribute(&Attribute::Priority(1))
}

#[test]
fn every_rule_fires_on_an_input_that_breaks_it() {
    let mut zero_bits = request().build();
    zero_bits[0] = 0x40;
    let mut not_multiple = request().build();
    not_multiple[3] = 2;
    not_multiple.extend([0, 0]);
    let mut long = request().build();
    long.extend([0; 4]);
    let mut classic = request().build();
    classic[4] = 0;
    let mut truncated = with_raw(MessageType::BINDING_REQUEST, 0x8030, &[1; 8]);
    truncated[22..24].copy_from_slice(&12u16.to_be_bytes());
    let mut unpadded = with_raw(MessageType::BINDING_REQUEST, 0x8030, &[1; 3]);
    unpadded.pop();
    unpadded[3] -= 1;
    let mut bad_integrity = request()
        .attribute(&Attribute::Username("a:b".into()))
        .message_integrity(b"right")
        .build();
    let mut fingerprint_wrong = request().fingerprint().build();
    *fingerprint_wrong.last_mut().unwrap() ^= 1;
    let integrity_violations = |bytes: &mut Vec<u8>| {
        let mut v = Vec::new();
        verify_integrity(
            bytes,
            &Credentials::ShortTerm {
                password: "wrong".into(),
            },
            &mut v,
        );
        ids(&v)
    };
    let transaction = {
        let mut t = weir_stun::Transactions::default();
        let request = Message::new(MessageType::BINDING_REQUEST, ID);
        t.request(&request);
        let mut v = Vec::new();
        let other = Message::new(MessageType::BINDING_SUCCESS, TransactionId([0; 12]));
        t.response(&other, 0, &mut v);
        ids(&v)
    };

    let table: Vec<(&str, Vec<&str>)> = vec![
        ("stun.header.zero-bits", parse(&zero_bits)),
        ("stun.header.length", parse(&not_multiple)),
        ("stun.header.length", parse(&long)),
        ("stun.header.length", parse(&request().build()[..19])),
        ("stun.header.magic-cookie", parse(&classic)),
        (
            "stun.header.method",
            parse(
                &Builder::new(
                    MessageType::new(weir_stun::Class::Request, weir_stun::Method(0x0ff)),
                    ID,
                )
                .build(),
            ),
        ),
        ("stun.attribute.truncated", parse(&truncated)),
        ("stun.attribute.padding", parse(&unpadded)),
        (
            "stun.attribute.value",
            parse(&with_raw(
                MessageType::BINDING_REQUEST,
                types::PRIORITY,
                &[1; 3],
            )),
        ),
        (
            "stun.attribute.unknown-comprehension-required",
            parse(&with_raw(MessageType::BINDING_REQUEST, 0x7777, &[])),
        ),
        (
            "stun.address.family",
            parse(&with_raw(
                MessageType::BINDING_SUCCESS,
                types::XOR_MAPPED_ADDRESS,
                &[0, 3, 0, 1, 1, 2, 3, 4],
            )),
        ),
        (
            "stun.username.length",
            parse(
                &request()
                    .attribute(&Attribute::Username("u".repeat(509)))
                    .build(),
            ),
        ),
        (
            "stun.text.length",
            parse(
                &request()
                    .attribute(&Attribute::Software("s".repeat(128)))
                    .build(),
            ),
        ),
        (
            "stun.error-code.range",
            parse(
                &Builder::new(MessageType::BINDING_ERROR, ID)
                    .attribute(&Attribute::ErrorCode(ErrorCode::new(799, "no")))
                    .build(),
            ),
        ),
        (
            "stun.error-code.present",
            parse(&Builder::new(MessageType::BINDING_ERROR, ID).build()),
        ),
        (
            "stun.error-code.present",
            parse(
                &Builder::new(MessageType::BINDING_ERROR, ID)
                    .attribute(&Attribute::ErrorCode(ErrorCode::new(420, "unknown")))
                    .build(),
            ),
        ),
        (
            "stun.integrity.position",
            parse(
                &request()
                    .message_integrity(b"k")
                    .attribute(&Attribute::Software("late".into()))
                    .build(),
            ),
        ),
        (
            "stun.integrity.value",
            integrity_violations(&mut bad_integrity),
        ),
        (
            "stun.fingerprint.last",
            parse(
                &request()
                    .fingerprint()
                    .attribute(&Attribute::Software("late".into()))
                    .build(),
            ),
        ),
        ("stun.fingerprint.value", parse(&fingerprint_wrong)),
        (
            "stun.ice.priority",
            ice_check(
                request()
                    .attribute(&Attribute::Username("a:b".into()))
                    .attribute(&Attribute::IceControlling(1))
                    .message_integrity(b"k"),
            ),
        ),
        ("stun.ice.role", ice_check(ice_ok().message_integrity(b"k"))),
        (
            "stun.ice.role",
            ice_check(
                ice_ok()
                    .attribute(&Attribute::IceControlling(1))
                    .attribute(&Attribute::IceControlled(1))
                    .message_integrity(b"k"),
            ),
        ),
        (
            "stun.ice.use-candidate",
            ice_check(
                ice_ok()
                    .attribute(&Attribute::IceControlled(1))
                    .attribute(&Attribute::UseCandidate)
                    .message_integrity(b"k"),
            ),
        ),
        (
            "stun.ice.credentials",
            ice_check(ice_ok().attribute(&Attribute::IceControlling(1))),
        ),
        ("stun.transaction.match", transaction),
    ];
    weir_testkit::rule_table::check(rules::CATALOG, &table);
    // And a check that breaks nothing breaks nothing.
    assert_eq!(
        ice_check(
            ice_ok()
                .attribute(&Attribute::IceControlling(1))
                .attribute(&Attribute::UseCandidate)
                .message_integrity(b"k")
                .fingerprint()
        ),
        Vec::<&str>::new()
    );
}
