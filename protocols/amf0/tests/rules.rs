//! Every rule of the AMF catalog (AMF0 and AMF3) fires on an input made to break it, and the
//! table names every rule, so no rule is one nothing can trigger.
//!
//! Valid input breaks none of them: `tests/corpus.rs` decodes every SharedObject and Flash
//! Remoting file of the corpus without an error, and `valid_values_break_no_rule` below
//! decodes one value of each kind.

use weir_amf0::{Limits, amf3, decode_all, encode_all, rules};

/// The rule an AMF0 `input` breaks (none when it decodes).
fn amf0(input: &[u8]) -> Vec<&'static str> {
    amf0_with(input, &Limits::default())
}

fn amf0_with(input: &[u8], limits: &Limits) -> Vec<&'static str> {
    decode_all(input, limits)
        .err()
        .map(|e| e.rule_id())
        .into_iter()
        .collect()
}

/// The rule an AMF3 `input` breaks (none when it decodes).
fn amf3(input: &[u8]) -> Vec<&'static str> {
    amf3_with(input, &Limits::default())
}

fn amf3_with(input: &[u8], limits: &Limits) -> Vec<&'static str> {
    amf3::decode(input, limits)
        .err()
        .map(|e| e.rule_id())
        .into_iter()
        .collect()
}

/// An AMF3 array of one 60000-byte string and `refs` one-byte references to it.
fn string_then_references(refs: usize) -> Vec<u8> {
    let count = (refs + 1) as u32;
    // The U29 of the dense count (inline flag set): at most 3 bytes here.
    let mut input = vec![0x09];
    let u29 = count << 1 | 1;
    input.extend([
        0x80 | (u29 >> 14) as u8,
        0x80 | (u29 >> 7) as u8,
        u29 as u8 & 0x7F,
    ]);
    // 60000 << 1 | 1 = 120001 as a U29.
    let len = 60_000u32 << 1 | 1;
    input.extend([0x01, 0x06]);
    input.extend([
        0x80 | (len >> 14) as u8,
        0x80 | (len >> 7) as u8,
        len as u8 & 0x7F,
    ]);
    input.extend(std::iter::repeat_n(b'a', 60_000));
    input.extend([0x06, 0x00].repeat(refs));
    input
}

#[test]
fn valid_values_break_no_rule() {
    let values = [
        weir_amf0::Value::object([("app", "live".into()), ("n", 1.0.into())]),
        weir_amf0::Value::StrictArray(vec![weir_amf0::Value::Null, true.into()]),
        weir_amf0::Value::EcmaArray(vec![("k".into(), "v".into())]),
    ];
    let mut bytes = Vec::new();
    encode_all(&values, &mut bytes);
    assert_eq!(amf0(&bytes), Vec::<&str>::new());
    // [ "", "foo", ref "foo" ] and a sealed object then one by traits reference.
    assert_eq!(
        amf3(&[
            0x09, 0x07, 0x01, 0x06, 0x01, 0x06, 0x07, b'f', b'o', b'o', 0x06, 0x00
        ]),
        Vec::<&str>::new()
    );
    assert_eq!(
        amf3(&[
            0x09, 0x05, 0x01, 0x0A, 0x13, 0x03, b'C', 0x03, b'a', 0x04, 0x01, 0x0A, 0x01, 0x04,
            0x02,
        ]),
        Vec::<&str>::new()
    );
    // Thirty copies of a referenced string stay within the budget.
    assert_eq!(amf3(&string_then_references(30)), Vec::<&str>::new());
}

#[test]
fn every_rule_fires_on_an_input_that_breaks_it() {
    let one_item = Limits {
        max_items: 1,
        ..Limits::default()
    };
    let shallow = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    let table: Vec<(&str, Vec<&str>)> = vec![
        ("amf0.marker.unknown", amf0(&[0x12])),
        ("amf0.marker.unknown", amf0(&[0x03, 0, 1, b'k', 0x20])),
        ("amf0.marker.reserved", amf0(&[0x04])),
        ("amf0.marker.reserved", amf0(&[0x0A, 0, 0, 0, 1, 0x0E])),
        ("amf0.string.utf8", amf0(&[0x02, 0, 3, b'a', 0xC3, 0x28])),
        ("amf0.string.utf8", amf0(&[0x03, 0, 1, 0xFF, 0x05])),
        ("amf0.length.truncated", amf0(&[0x02, 0x00, 0x10, b'a'])),
        ("amf0.length.truncated", amf0(&[0x00, 0, 0])),
        (
            "amf0.nesting.depth",
            amf0_with(&[0x0A, 0, 0, 0, 1].repeat(3), &shallow),
        ),
        ("amf0.object.end", amf0(&[0x09])),
        ("amf0.object.end", amf0(&[0x03, 0, 1, b'k', 0x09])),
        ("amf0.reference.range", amf0(&[0x07, 0, 0])),
        (
            "amf0.container.items",
            amf0(&[0x0A, 0xFF, 0xFF, 0xFF, 0xFF]),
        ),
        (
            "amf0.container.items",
            amf0_with(
                &[0x03, 0, 1, b'a', 0x05, 0, 1, b'b', 0x05, 0, 0, 0x09],
                &one_item,
            ),
        ),
        ("amf3.marker.unknown", amf3(&[0x12])),
        ("amf3.marker.unknown", amf0(&[0x11, 0x12])),
        ("amf3.string.utf8", amf3(&[0x06, 0x05, 0xC3, 0x28])),
        ("amf3.length.truncated", amf3(&[0x04, 0x80, 0x80])),
        ("amf3.length.truncated", amf3(&[0x0C, 0x7F, 1, 2])),
        ("amf3.reference.string", amf3(&[0x06, 0x00])),
        ("amf3.reference.object", amf3(&[0x0C, 0x00])),
        (
            "amf3.reference.object",
            amf3(&[0x09, 0x03, 0x01, 0x0A, 0x00]),
        ),
        ("amf3.reference.traits", amf3(&[0x0A, 0x05])),
        ("amf3.reference.budget", amf3(&string_then_references(100))),
        (
            "amf3.object.externalizable",
            amf3(&[0x0A, 0x07, 0x03, b'X']),
        ),
        (
            "amf3.container.items",
            amf3(&[0x09, 0xFF, 0xFF, 0xFF, 0xFF]),
        ),
        (
            "amf3.container.items",
            amf3_with(&[0x09, 0x05, 0x01, 0x01, 0x01], &one_item),
        ),
        (
            "amf0.nesting.depth",
            amf3_with(&[0x09, 0x03, 0x01].repeat(3), &shallow),
        ),
    ];
    // Each input breaks only the rule it was made for.
    weir_testkit::rule_table::check_exact(rules::CATALOG, &table);
}
