//! The AMF0 encoder (AMF0 §2). Encoding cannot fail: where a value does not fit its wire
//! field, the nearest faithful form is written (see [`encode`]).

use crate::{Value, amf3, marker};

/// Appends `value` to `out`.
///
/// A `String` longer than 65535 bytes is written as a long string (§2.14). Property and class
/// names longer than 65535 bytes, which AMF0 cannot carry, are cut at the last UTF-8 character
/// boundary that fits. An `EcmaArray` announces its real entry count.
pub fn encode(value: &Value, out: &mut Vec<u8>) {
    encode_all(std::slice::from_ref(value), out);
}

/// Appends `values` to `out` as one message: AMF3 values behind 0x11 switches share one set of
/// AMF3 reference tables, as [`crate::decode_all`] expects.
pub fn encode_all<'v>(values: impl IntoIterator<Item = &'v Value>, out: &mut Vec<u8>) {
    let mut encoder = Encoder {
        out,
        amf3: amf3::encode::Encoder::default(),
    };
    for value in values {
        encoder.value(value);
    }
}

struct Encoder<'o> {
    out: &'o mut Vec<u8>,
    amf3: amf3::encode::Encoder,
}

impl Encoder<'_> {
    fn value(&mut self, value: &Value) {
        match value {
            Value::Number(n) => {
                self.out.push(marker::NUMBER);
                self.out.extend_from_slice(&n.to_be_bytes());
            }
            Value::Boolean(b) => self.out.extend_from_slice(&[marker::BOOLEAN, u8::from(*b)]),
            Value::String(s) if s.len() <= usize::from(u16::MAX) => {
                self.out.push(marker::STRING);
                self.short_string(s);
            }
            Value::String(s) | Value::LongString(s) => {
                self.out.push(marker::LONG_STRING);
                self.long_string(s);
            }
            Value::XmlDocument(s) => {
                self.out.push(marker::XML_DOCUMENT);
                self.long_string(s);
            }
            Value::Object(properties) => {
                self.out.push(marker::OBJECT);
                self.properties(properties);
            }
            Value::TypedObject { class, properties } => {
                self.out.push(marker::TYPED_OBJECT);
                self.short_string(class);
                self.properties(properties);
            }
            Value::EcmaArray(properties) => {
                self.out.push(marker::ECMA_ARRAY);
                self.count(properties.len());
                self.properties(properties);
            }
            Value::StrictArray(items) => {
                self.out.push(marker::STRICT_ARRAY);
                self.count(items.len());
                for item in items {
                    self.value(item);
                }
            }
            Value::Null => self.out.push(marker::NULL),
            Value::Undefined => self.out.push(marker::UNDEFINED),
            Value::Unsupported => self.out.push(marker::UNSUPPORTED),
            Value::Reference(index) => {
                self.out.push(marker::REFERENCE);
                self.out.extend_from_slice(&index.to_be_bytes());
            }
            Value::Date { millis, timezone } => {
                self.out.push(marker::DATE);
                self.out.extend_from_slice(&millis.to_be_bytes());
                self.out.extend_from_slice(&timezone.to_be_bytes());
            }
            Value::Amf3(value) => {
                self.out.push(marker::AVMPLUS);
                self.amf3.value(value, self.out);
            }
        }
    }

    /// Properties then the object end: an empty name and 0x09 (§2.5).
    fn properties(&mut self, properties: &[(String, Value)]) {
        for (name, value) in properties {
            self.short_string(name);
            self.value(value);
        }
        self.out.extend_from_slice(&[0, 0, marker::OBJECT_END]);
    }

    /// A u32 array count; a count beyond u32 (unencodable anyway) saturates.
    fn count(&mut self, count: usize) {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        self.out.extend_from_slice(&count.to_be_bytes());
    }

    fn short_string(&mut self, s: &str) {
        let s = &s[..s.floor_char_boundary(usize::from(u16::MAX))];
        self.out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        self.out.extend_from_slice(s.as_bytes());
    }

    fn long_string(&mut self, s: &str) {
        let s = &s[..s.floor_char_boundary(u32::MAX as usize)];
        self.out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        self.out.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, decode};

    fn bytes(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode(value, &mut out);
        out
    }

    #[test]
    fn known_encodings() {
        assert_eq!(
            bytes(&Value::Number(1.0)),
            [0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(bytes(&Value::Boolean(true)), [0x01, 0x01]);
        assert_eq!(bytes(&Value::from("ok")), [0x02, 0x00, 0x02, b'o', b'k']);
        assert_eq!(bytes(&Value::Reference(258)), [0x07, 0x01, 0x02]);
        assert_eq!(
            bytes(&Value::Date {
                millis: 0.0,
                timezone: -1
            }),
            [0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        );
        assert_eq!(
            bytes(&Value::TypedObject {
                class: "C".into(),
                properties: vec![]
            }),
            [0x10, 0x00, 0x01, b'C', 0x00, 0x00, 0x09]
        );
        assert_eq!(
            bytes(&Value::Amf3(amf3::Value::String("a".into()))),
            [0x11, 0x06, 0x03, b'a']
        );
    }

    #[test]
    fn ecma_array_announces_its_real_count() {
        let array = Value::EcmaArray(vec![("a".into(), Value::Null), ("b".into(), Value::Null)]);
        assert_eq!(&bytes(&array)[..5], [0x08, 0, 0, 0, 2]);
    }

    #[test]
    fn oversized_text_takes_the_nearest_faithful_form() {
        let long = "a".repeat(70_000);
        let encoded = bytes(&Value::String(long.clone()));
        assert_eq!(encoded[..5], [0x0C, 0x00, 0x01, 0x11, 0x70]);
        assert_eq!(
            decode(&encoded, &Limits::default()).unwrap().0,
            Value::LongString(long)
        );

        // A 2-byte character straddles the 65535-byte limit: the name is cut before it.
        let name = "é".repeat(40_000);
        let encoded = bytes(&Value::object([(name.clone(), Value::Null)]));
        let (decoded, _) = decode(&encoded, &Limits::default()).unwrap();
        let cut = &decoded.properties().unwrap()[0].0;
        assert_eq!(cut.len(), 65_534);
        assert!(name.starts_with(cut.as_str()));
    }
}
