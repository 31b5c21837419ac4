//! The AMF3 encoder (AMF3 §3).
//!
//! Strings and traits are always written inline (never by reference): that is valid AMF3, and
//! it keeps separately encoded values consistent with a decoder whose tables span the whole
//! message. Complex values still take their object-table slots, so [`Value::Reference`]s that
//! came from a decoder keep pointing where they pointed.

use super::value::{Object, Value, Vector};
use super::{marker, u29};

/// Appends one AMF3 value (no 0x11 prefix) to `out`, with fresh reference tables.
///
/// Integers outside the 29-bit range are written as doubles; strings longer than 2^28-1 bytes
/// are cut at a character boundary; names that are empty in an array's associative part or
/// among dynamic members (where the empty name ends the list) are skipped.
pub fn encode(value: &Value, out: &mut Vec<u8>) {
    Encoder::default().value(value, out);
}

/// The object table of one message: the marker of each complex value written so far, which
/// is the marker a reference to it must repeat.
#[derive(Default)]
pub(crate) struct Encoder {
    objects: Vec<u8>,
}

const MAX_LEN: usize = (u29::MAX >> 1) as usize;
const I29_MIN: i32 = -(1 << 28);
const I29_MAX: i32 = (1 << 28) - 1;

impl Encoder {
    pub fn value(&mut self, value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Undefined => out.push(marker::UNDEFINED),
            Value::Null => out.push(marker::NULL),
            Value::Boolean(false) => out.push(marker::FALSE),
            Value::Boolean(true) => out.push(marker::TRUE),
            Value::Integer(i @ I29_MIN..=I29_MAX) => {
                out.push(marker::INTEGER);
                u29::write(*i as u32 & u29::MAX, out);
            }
            Value::Integer(i) => double(f64::from(*i), out),
            Value::Double(d) => double(*d, out),
            Value::String(s) => {
                out.push(marker::STRING);
                string(s, out);
            }
            Value::XmlDocument(s) => self.text(marker::XML_DOCUMENT, s, out),
            Value::Xml(s) => self.text(marker::XML, s, out),
            Value::ByteArray(bytes) => {
                let bytes = &bytes[..bytes.len().min(MAX_LEN)];
                self.inline(marker::BYTE_ARRAY, bytes.len(), out);
                out.extend_from_slice(bytes);
            }
            Value::Date(millis) => {
                self.inline(marker::DATE, 0, out);
                out.extend_from_slice(&millis.to_be_bytes());
            }
            Value::Array { associative, dense } => {
                self.inline(marker::ARRAY, dense.len(), out);
                self.members(associative, out);
                for item in dense {
                    self.value(item, out);
                }
            }
            Value::Object(object) => self.object(object, out),
            Value::Vector { fixed, items } => self.vector(*fixed, items, out),
            Value::Externalized { class, body } => {
                // U29O-traits-ext: inline traits, externalizable (0b111 above the inline flag).
                self.inline(marker::OBJECT, 0b011, out);
                string(class, out);
                self.value(body, out);
            }
            Value::Dictionary { weak_keys, entries } => {
                self.inline(marker::DICTIONARY, entries.len(), out);
                out.push(u8::from(*weak_keys));
                for (key, value) in entries {
                    self.value(key, out);
                    self.value(value, out);
                }
            }
            Value::Reference(index) => {
                let type_marker = self
                    .objects
                    .get(*index as usize)
                    .copied()
                    .unwrap_or(marker::OBJECT);
                out.push(type_marker);
                u29::write((index << 1) & u29::MAX, out);
            }
        }
    }

    /// A complex value's marker and inline header (`rest` above the inline flag); the value
    /// takes the next object-table slot.
    fn inline(&mut self, type_marker: u8, rest: usize, out: &mut Vec<u8>) {
        self.objects.push(type_marker);
        out.push(type_marker);
        u29::write((rest.min(MAX_LEN) as u32) << 1 | 1, out);
    }

    fn text(&mut self, type_marker: u8, s: &str, out: &mut Vec<u8>) {
        let s = &s[..s.floor_char_boundary(MAX_LEN)];
        self.inline(type_marker, s.len(), out);
        out.extend_from_slice(s.as_bytes());
    }

    /// §3.15: the count, the fixed-length flag, then the items.
    fn vector(&mut self, fixed: bool, items: &Vector, out: &mut Vec<u8>) {
        let type_marker = match items {
            Vector::Int(_) => marker::VECTOR_INT,
            Vector::Uint(_) => marker::VECTOR_UINT,
            Vector::Double(_) => marker::VECTOR_DOUBLE,
            Vector::Object { .. } => marker::VECTOR_OBJECT,
        };
        self.inline(type_marker, items.len(), out);
        out.push(u8::from(fixed));
        match items {
            Vector::Int(v) => v
                .iter()
                .for_each(|i| out.extend_from_slice(&i.to_be_bytes())),
            Vector::Uint(v) => v
                .iter()
                .for_each(|u| out.extend_from_slice(&u.to_be_bytes())),
            Vector::Double(v) => v
                .iter()
                .for_each(|d| out.extend_from_slice(&d.to_be_bytes())),
            Vector::Object { class, items } => {
                string(class, out);
                for item in items {
                    self.value(item, out);
                }
            }
        }
    }

    /// §3.12 with inline traits: U29O-traits = sealed count, dynamic flag, 0b011.
    fn object(&mut self, object: &Object, out: &mut Vec<u8>) {
        let dynamic = usize::from(object.dynamic.is_some());
        self.inline(
            marker::OBJECT,
            object.sealed.len() << 3 | dynamic << 2 | 1,
            out,
        );
        string(&object.class, out);
        for (name, _) in &object.sealed {
            string(name, out);
        }
        for (_, value) in &object.sealed {
            self.value(value, out);
        }
        if let Some(members) = &object.dynamic {
            self.members(members, out);
        }
    }

    /// Name/value pairs closed by the empty name.
    fn members(&mut self, members: &[(String, Value)], out: &mut Vec<u8>) {
        for (name, value) in members.iter().filter(|(name, _)| !name.is_empty()) {
            string(name, out);
            self.value(value, out);
        }
        string("", out);
    }
}

fn double(d: f64, out: &mut Vec<u8>) {
    out.push(marker::DOUBLE);
    out.extend_from_slice(&d.to_be_bytes());
}

/// §1.3.2 UTF-8-vr, inline.
fn string(s: &str, out: &mut Vec<u8>) {
    let s = &s[..s.floor_char_boundary(MAX_LEN)];
    u29::write((s.len() as u32) << 1 | 1, out);
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode(value, &mut out);
        out
    }

    #[test]
    fn integers_outside_29_bits_become_doubles() {
        assert_eq!(bytes(&Value::Integer(-1)), [0x04, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(
            bytes(&Value::Integer((1 << 28) - 1)),
            [0x04, 0xBF, 0xFF, 0xFF, 0xFF]
        );
        let mut double = vec![0x05];
        double.extend_from_slice(&f64::from(1 << 28).to_be_bytes());
        assert_eq!(bytes(&Value::Integer(1 << 28)), double);
    }

    #[test]
    fn objects_write_inline_traits_and_references_repeat_their_marker() {
        let object = Object {
            class: "C".into(),
            sealed: vec![("a".into(), Value::Null)],
            dynamic: Some(vec![
                ("".into(), Value::Null),
                ("d".into(), Value::Reference(0)),
            ]),
        };
        assert_eq!(
            bytes(&Value::Object(object)),
            [
                0x0A, 0x1B, 0x03, b'C', 0x03, b'a', // traits: 1 sealed, dynamic, class C
                0x01, // a = null
                0x03, b'd', 0x0A, 0x00, // d = ref 0 (the object itself); "" skipped
                0x01, // end of dynamic members
            ]
        );
        let array = Value::Array {
            associative: vec![],
            dense: vec![Value::Reference(0)],
        };
        assert_eq!(bytes(&array), [0x09, 0x03, 0x01, 0x09, 0x00]);
    }
}
