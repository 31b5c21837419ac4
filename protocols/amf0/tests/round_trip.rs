//! Property tests: every value survives encode then decode; any byte string decodes or fails
//! cleanly; every proper prefix of an encoding is a truncation error within the prefix.
//!
//! Values are compared through their `Debug` text, which is NaN-aware (NaN prints as NaN) and
//! still tells -0.0 from 0.0.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use weir_amf0::{Limits, Value, amf3, decode, decode_all, encode, encode_all, rules};

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        proptest::num::f64::ANY,
        Just(f64::NAN),
        Just(-0.0),
        Just(f64::INFINITY)
    ]
}

fn text() -> impl Strategy<Value = String> + Clone {
    ".{0,12}"
}

/// AMF3 names that may appear where the empty name ends a list.
fn member_name() -> impl Strategy<Value = String> + Clone {
    ".{1,8}"
}

fn amf3_value() -> impl Strategy<Value = amf3::Value> {
    let leaf = prop_oneof![
        Just(amf3::Value::Undefined),
        Just(amf3::Value::Null),
        any::<bool>().prop_map(amf3::Value::Boolean),
        (-(1i32 << 28)..(1 << 28)).prop_map(amf3::Value::Integer),
        number().prop_map(amf3::Value::Double),
        text().prop_map(amf3::Value::String),
        text().prop_map(amf3::Value::XmlDocument),
        text().prop_map(amf3::Value::Xml),
        number().prop_map(amf3::Value::Date),
        vec(any::<u8>(), 0..16).prop_map(amf3::Value::ByteArray),
        (any::<bool>(), vec(any::<i32>(), 0..4)).prop_map(|(fixed, v)| amf3::Value::Vector {
            fixed,
            items: amf3::Vector::Int(v)
        }),
        (any::<bool>(), vec(any::<u32>(), 0..4)).prop_map(|(fixed, v)| amf3::Value::Vector {
            fixed,
            items: amf3::Vector::Uint(v)
        }),
        (any::<bool>(), vec(number(), 0..4)).prop_map(|(fixed, v)| amf3::Value::Vector {
            fixed,
            items: amf3::Vector::Double(v)
        }),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        // Inside a container, object-table slot 0 always exists: the outermost container.
        let item = prop_oneof![5 => inner, 1 => Just(amf3::Value::Reference(0))];
        let members = vec((member_name(), item.clone()), 0..4);
        prop_oneof![
            (members.clone(), vec(item.clone(), 0..4))
                .prop_map(|(associative, dense)| amf3::Value::Array { associative, dense }),
            (any::<bool>(), text(), vec(item.clone(), 0..4)).prop_map(|(fixed, class, items)| {
                amf3::Value::Vector {
                    fixed,
                    items: amf3::Vector::Object { class, items },
                }
            }),
            (0..3usize, item.clone()).prop_map(|(n, body)| amf3::Value::Externalized {
                class: format!(
                    "flex.messaging.io.{}",
                    ["ArrayCollection", "ArrayList", "ObjectProxy"][n]
                ),
                body: Box::new(body),
            }),
            (any::<bool>(), vec((item.clone(), item.clone()), 0..4))
                .prop_map(|(weak_keys, entries)| amf3::Value::Dictionary { weak_keys, entries }),
            (text(), vec((text(), item), 0..4), option::of(members)).prop_map(
                |(class, sealed, dynamic)| amf3::Value::Object(amf3::Object {
                    class,
                    sealed,
                    dynamic
                })
            ),
        ]
    })
}

fn amf0_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        number().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        text().prop_map(Value::String),
        text().prop_map(Value::LongString),
        text().prop_map(Value::XmlDocument),
        Just(Value::Null),
        Just(Value::Undefined),
        Just(Value::Unsupported),
        (number(), any::<i16>()).prop_map(|(millis, timezone)| Value::Date { millis, timezone }),
        amf3_value().prop_map(Value::Amf3),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        // Inside a container, reference 0 always points to an earlier complex value.
        let item = prop_oneof![5 => inner, 1 => Just(Value::Reference(0))];
        let properties = vec((text(), item.clone()), 0..4);
        prop_oneof![
            properties.clone().prop_map(Value::Object),
            properties.clone().prop_map(Value::EcmaArray),
            vec(item, 0..4).prop_map(Value::StrictArray),
            (text(), properties)
                .prop_map(|(class, properties)| Value::TypedObject { class, properties }),
        ]
    })
}

fn same<T: std::fmt::Debug>(a: &T, b: &T) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// Bytes biased towards markers and length bytes, to get past the first field.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => 0x00u8..=0x12,
        1 => Just(0xFF),
        1 => Just(0x80),
        1 => any::<u8>(),
    ];
    vec(byte, 0..512)
}

fn is_truncation(err: &weir_amf0::Error) -> bool {
    err.rule_id() == rules::LENGTH_TRUNCATED.id || err.rule_id() == rules::AMF3_LENGTH_TRUNCATED.id
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn amf0_round_trip(value in amf0_value()) {
        let mut bytes = Vec::new();
        encode(&value, &mut bytes);
        let (decoded, used) = decode(&bytes, &Limits::default()).unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert!(same(&decoded, &value), "{decoded:?} != {value:?}");
    }

    #[test]
    fn amf0_message_round_trip(values in vec(amf0_value(), 0..5)) {
        let mut bytes = Vec::new();
        encode_all(&values, &mut bytes);
        let decoded = decode_all(&bytes, &Limits::default()).unwrap();
        prop_assert!(same(&decoded, &values), "{decoded:?} != {values:?}");
    }

    #[test]
    fn amf3_round_trip(value in amf3_value()) {
        let mut bytes = Vec::new();
        amf3::encode(&value, &mut bytes);
        let (decoded, used) = amf3::decode(&bytes, &Limits::default()).unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert!(same(&decoded, &value), "{decoded:?} != {value:?}");
    }

    #[test]
    fn every_prefix_is_a_truncation_within_it(value in amf0_value()) {
        let mut bytes = Vec::new();
        encode(&value, &mut bytes);
        for cut in 0..bytes.len() {
            let err = decode(&bytes[..cut], &Limits::default()).unwrap_err();
            prop_assert!(is_truncation(&err), "cut {}: {}", cut, err);
            prop_assert!(err.offset <= cut as u64, "cut {}: {}", cut, err);
        }
    }

    #[test]
    fn hostile_bytes_decode_or_fail_cleanly(bytes in hostile_bytes()) {
        let limits = Limits::default();
        if let Ok((value, used)) = decode(&bytes, &limits) {
            prop_assert!(used <= bytes.len());
            // What decodes re-encodes to something that decodes to the same value.
            let mut again = Vec::new();
            encode(&value, &mut again);
            let (back, _) = decode(&again, &limits).unwrap();
            prop_assert!(same(&back, &value));
        }
        if let Err(err) = decode_all(&bytes, &limits) {
            prop_assert!(err.offset <= bytes.len() as u64, "{}", err);
        }
        let _ = amf3::decode(&bytes, &limits);
    }
}

/// Lossy decoding reads each byte that is not UTF-8 as '?', reports it once at its offset,
/// and leaves every other check as strict as `decode_all`.
#[test]
fn lossy_decoding_repairs_strings_and_reports_each_bad_byte() {
    use weir_amf0::{Limits, Value, decode_all, decode_all_lossy};
    let limits = Limits::default();
    // AMF0 "a\xffb", then AMF3 (0x11) string "\xfex" inline and again by reference 0.
    let input = [
        0x02, 0x00, 0x03, b'a', 0xff, b'b', //
        0x11, 0x06, 0x05, 0xfe, b'x', //
        0x11, 0x06, 0x00,
    ];
    let strict = decode_all(&input, &limits).unwrap_err();
    assert_eq!((strict.rule_id(), strict.offset), ("amf0.string.utf8", 4));

    let (values, repairs) = decode_all_lossy(&input, &limits).unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(values[0], Value::String("a?b".into()));
    assert_eq!(values[1].as_str(), Some("?x"));
    assert_eq!(
        values[2].as_str(),
        Some("?x"),
        "the reference reads the repaired string"
    );
    let found: Vec<_> = repairs.iter().map(|e| (e.rule_id(), e.offset)).collect();
    assert_eq!(found, [("amf0.string.utf8", 4), ("amf3.string.utf8", 9)]);

    // Anything else still fails.
    let truncated = decode_all_lossy(&input[..5], &limits).unwrap_err();
    assert_eq!(truncated.rule_id(), "amf0.length.truncated");
}
