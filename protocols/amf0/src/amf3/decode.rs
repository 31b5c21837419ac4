//! The AMF3 decoder (AMF3 §3), with the three reference tables of §2.2: strings, complex
//! values (objects, arrays, dates, XML, byte arrays, vectors, dictionaries) and traits.
//!
//! Tables hold slices of the input and type markers, never copies; string and trait references
//! are resolved by copying out of the input, charged to a budget proportional to the message
//! size, so a message of many one-byte references cannot amplify memory. Complex-value
//! references stay [`Value::Reference`].

use super::marker;
use super::u29;
use super::value::{Object, Value, Vector};
use crate::reader::{ReadRules, Reader};
use crate::{Error, Limits, rules};
use std::borrow::Cow;
use std::rc::Rc;

pub(crate) const AMF3_READ: ReadRules = ReadRules {
    truncated: &rules::AMF3_LENGTH_TRUNCATED,
    utf8: &rules::AMF3_STRING_UTF8,
};

/// Bytes that resolving references may copy, per byte of message (with a 1 MiB floor).
const REFERENCE_BUDGET_PER_BYTE: usize = 32;
const REFERENCE_BUDGET_FLOOR: usize = 1 << 20;

/// Decodes one AMF3 value (no 0x11 prefix) from the start of `input`, with fresh reference
/// tables; returns it and the bytes it used.
pub fn decode(input: &[u8], limits: &Limits) -> Result<(Value, usize), Error> {
    let mut reader = Reader::new(input, AMF3_READ);
    let value = Decoder::new(input.len(), limits).value(&mut reader, 0)?;
    Ok((value, reader.pos()))
}

/// What follows a complex value's marker (§2.2): a reference, or the bits above the inline
/// flag (a length, a count or the traits header).
enum Header {
    Reference(u32),
    Inline(u32),
}

/// Traits as the table keeps them: slices of the input, the sealed names shared (not copied)
/// with every object that uses them.
#[derive(Clone)]
struct Traits<'a> {
    class: Cow<'a, str>,
    sealed: Rc<[Cow<'a, str>]>,
    dynamic: bool,
    /// The body is the class's own (§3.12, U29O-traits-ext).
    externalizable: bool,
}

/// Externalizable classes whose body is one AMF3 value, as Flex's `readExternal` reads it:
/// the collection's source array, or the proxied object. Others' bodies are class-defined and
/// cannot be delimited.
const EXTERNALIZED_AS_ONE_VALUE: [&str; 3] = [
    "flex.messaging.io.ArrayCollection",
    "flex.messaging.io.ArrayList",
    "flex.messaging.io.ObjectProxy",
];

/// The reference tables of one message.
pub(crate) struct Decoder<'a> {
    limits: &'a Limits,
    strings: Vec<Cow<'a, str>>,
    /// The type marker of each complex value, in the order they began.
    objects: Vec<u8>,
    traits: Vec<Traits<'a>>,
    /// Bytes that resolving string and trait references may still copy.
    budget: usize,
}

impl<'a> Decoder<'a> {
    /// Tables for a message of `message_len` bytes.
    pub fn new(message_len: usize, limits: &'a Limits) -> Self {
        Decoder {
            limits,
            strings: Vec::new(),
            objects: Vec::new(),
            traits: Vec::new(),
            budget: message_len
                .saturating_mul(REFERENCE_BUDGET_PER_BYTE)
                .max(REFERENCE_BUDGET_FLOOR),
        }
    }

    /// One value; `depth` containers (AMF0 ones included) are open around it.
    pub fn value(&mut self, r: &mut Reader<'a>, depth: usize) -> Result<Value, Error> {
        let start = r.pos();
        let type_marker = r.u8("AMF3 type marker")?;
        Ok(match type_marker {
            marker::UNDEFINED => Value::Undefined,
            marker::NULL => Value::Null,
            marker::FALSE => Value::Boolean(false),
            marker::TRUE => Value::Boolean(true),
            marker::INTEGER => Value::Integer(u29::to_i29(u29::read(r, "integer")?)),
            marker::DOUBLE => Value::Double(r.f64("double")?),
            marker::STRING => Value::String(self.str(r, "string")?.into_owned()),
            marker::XML_DOCUMENT | marker::XML | marker::BYTE_ARRAY | marker::DATE => {
                match self.complex_header(r, type_marker)? {
                    Header::Reference(index) => Value::Reference(index),
                    Header::Inline(len) => self.leaf(r, type_marker, len)?,
                }
            }
            marker::ARRAY => match self.complex_header(r, type_marker)? {
                Header::Reference(index) => Value::Reference(index),
                Header::Inline(dense_count) => {
                    let depth = self.limits.enter(depth, start)?;
                    self.array(r, depth, start + 1, dense_count)?
                }
            },
            marker::OBJECT => match self.complex_header(r, type_marker)? {
                Header::Reference(index) => Value::Reference(index),
                Header::Inline(traits_header) => {
                    let depth = self.limits.enter(depth, start)?;
                    self.object(r, depth, traits_header)?
                }
            },
            marker::VECTOR_INT
            | marker::VECTOR_UINT
            | marker::VECTOR_DOUBLE
            | marker::VECTOR_OBJECT
            | marker::DICTIONARY => match self.complex_header(r, type_marker)? {
                Header::Reference(index) => Value::Reference(index),
                Header::Inline(count) => {
                    let count = self.item_count(start + 1, count, "vector or dictionary")?;
                    let depth = self.limits.enter(depth, start)?;
                    self.collection(r, depth, type_marker, count)?
                }
            },
            m => {
                return Err(Error::rule(
                    &rules::AMF3_MARKER_UNKNOWN,
                    start as u64,
                    format!("unknown AMF3 type marker 0x{m:02x}"),
                ));
            }
        })
    }

    /// The U29 after a complex value's marker: a checked reference, or an inline value, which
    /// takes its table slot.
    fn complex_header(&mut self, r: &mut Reader<'a>, type_marker: u8) -> Result<Header, Error> {
        let offset = r.pos();
        let header = u29::read(r, "reference or length")?;
        let rest = header >> 1;
        if header & 1 == 0 {
            return match self.objects.get(rest as usize) {
                Some(&m) if m == type_marker => Ok(Header::Reference(rest)),
                found => Err(Error::rule(
                    &rules::AMF3_OBJECT_REFERENCE,
                    offset as u64,
                    match found {
                        Some(m) => format!(
                            "reference {rest} with marker 0x{type_marker:02x} points to a value with marker 0x{m:02x}"
                        ),
                        None => format!(
                            "object reference {rest}, but only {} complex values came before",
                            self.objects.len()
                        ),
                    },
                )),
            };
        }
        self.objects.push(type_marker);
        Ok(Header::Inline(rest))
    }

    /// The body of a date, XML document, XML or byte array; `len` is its byte length (for a
    /// date, unused).
    fn leaf(&mut self, r: &mut Reader<'a>, type_marker: u8, len: u32) -> Result<Value, Error> {
        let len = len as usize;
        Ok(match type_marker {
            marker::DATE => Value::Date(r.f64("date")?),
            marker::XML_DOCUMENT => Value::XmlDocument(r.utf8(len, "XML document")?.into_owned()),
            marker::XML => Value::Xml(r.utf8(len, "XML")?.into_owned()),
            _ => Value::ByteArray(r.bytes(len, "byte array")?.to_vec()),
        })
    }

    /// §3.11: the associative part up to an empty name, then `dense_count` values.
    fn array(
        &mut self,
        r: &mut Reader<'a>,
        depth: usize,
        header_offset: usize,
        dense_count: u32,
    ) -> Result<Value, Error> {
        let dense_count = self.item_count(header_offset, dense_count, "array dense part")?;
        let associative = self.members(r, depth)?;
        let mut dense = Vec::with_capacity(r.capacity(dense_count));
        for _ in 0..dense_count {
            dense.push(self.value(r, depth)?);
        }
        Ok(Value::Array { associative, dense })
    }

    /// §3.15-3.16: after the count, the fixed-length (vectors) or weak-keys (dictionary) flag,
    /// then `count` items: 4-byte integers, doubles, values after the item class name, or
    /// key/value pairs.
    fn collection(
        &mut self,
        r: &mut Reader<'a>,
        depth: usize,
        type_marker: u8,
        count: usize,
    ) -> Result<Value, Error> {
        let flag = r.u8("fixed-length or weak-keys flag")? != 0;
        let capacity = r.capacity(count);
        let items = match type_marker {
            marker::VECTOR_INT => Vector::Int(fixed_size(r, count, |r| {
                r.u32("vector item").map(|u| u as i32)
            })?),
            marker::VECTOR_UINT => Vector::Uint(fixed_size(r, count, |r| r.u32("vector item"))?),
            marker::VECTOR_DOUBLE => {
                Vector::Double(fixed_size(r, count, |r| r.f64("vector item"))?)
            }
            marker::VECTOR_OBJECT => {
                let class = self.str(r, "vector item class name")?.into_owned();
                let mut items = Vec::with_capacity(capacity);
                for _ in 0..count {
                    items.push(self.value(r, depth)?);
                }
                Vector::Object { class, items }
            }
            _ => {
                let mut entries = Vec::with_capacity(capacity);
                for _ in 0..count {
                    let key = self.value(r, depth)?;
                    entries.push((key, self.value(r, depth)?));
                }
                return Ok(Value::Dictionary {
                    weak_keys: flag,
                    entries,
                });
            }
        };
        Ok(Value::Vector { fixed: flag, items })
    }

    /// §3.12: traits (inline or by reference), sealed values, then dynamic members; or, for
    /// an externalizable class this decoder knows, the one value its body is.
    fn object(&mut self, r: &mut Reader<'a>, depth: usize, header: u32) -> Result<Value, Error> {
        let offset = r.pos();
        let traits = if header & 1 == 0 {
            self.traits_reference(header >> 1, offset)?
        } else {
            self.inline_traits(r, header >> 1)?
        };
        if traits.externalizable {
            if !EXTERNALIZED_AS_ONE_VALUE.contains(&&*traits.class) {
                return Err(Error::rule(
                    &rules::AMF3_EXTERNALIZABLE,
                    offset as u64,
                    format!("externalizable object of class {:?}", traits.class),
                ));
            }
            let body = Box::new(self.value(r, depth)?);
            let class = traits.class.into_owned();
            return Ok(Value::Externalized { class, body });
        }
        let mut sealed = Vec::with_capacity(r.capacity(traits.sealed.len()));
        for name in traits.sealed.iter() {
            sealed.push((name.to_string(), self.value(r, depth)?));
        }
        let dynamic = if traits.dynamic {
            Some(self.members(r, depth)?)
        } else {
            None
        };
        Ok(Value::Object(Object {
            class: traits.class.to_string(),
            sealed,
            dynamic,
        }))
    }

    /// Traits sent by reference (the header ends at `offset`): the names every object copies
    /// out of them are charged to the budget.
    fn traits_reference(&mut self, index: u32, offset: usize) -> Result<Traits<'a>, Error> {
        let Some(traits) = self.traits.get(index as usize).cloned() else {
            return Err(Error::rule(
                &rules::AMF3_TRAIT_REFERENCE,
                offset as u64,
                format!(
                    "traits reference {index}, but only {} traits came before",
                    self.traits.len()
                ),
            ));
        };
        let size = traits.class.len() + traits.sealed.iter().map(|s| s.len()).sum::<usize>();
        self.charge(size, offset)?;
        Ok(traits)
    }

    /// Inline traits (the header bits above the inline flag: externalizable, dynamic, count),
    /// which take the next slot of the traits table.
    fn inline_traits(&mut self, r: &mut Reader<'a>, header: u32) -> Result<Traits<'a>, Error> {
        let offset = r.pos();
        let class = self.str(r, "class name")?;
        if header & 1 != 0 {
            let traits = Traits {
                class,
                sealed: Rc::new([]),
                dynamic: false,
                externalizable: true,
            };
            self.traits.push(traits.clone());
            return Ok(traits);
        }
        let count = self.item_count(offset, header >> 2, "sealed members")?;
        let mut sealed = Vec::with_capacity(r.capacity(count));
        for _ in 0..count {
            sealed.push(self.str(r, "sealed member name")?);
        }
        let traits = Traits {
            class,
            sealed: sealed.into(),
            dynamic: header & 2 != 0,
            externalizable: false,
        };
        self.traits.push(traits.clone());
        Ok(traits)
    }

    /// Name/value pairs up to an empty name (array associative part, dynamic members).
    fn members(&mut self, r: &mut Reader<'a>, depth: usize) -> Result<Vec<(String, Value)>, Error> {
        let mut members = Vec::new();
        loop {
            let offset = r.pos();
            let name = self.str(r, "member name")?;
            if name.is_empty() {
                return Ok(members);
            }
            if members.len() >= self.limits.max_items {
                return Err(Error::rule(
                    &rules::AMF3_CONTAINER_ITEMS,
                    offset as u64,
                    format!("more than {} members", self.limits.max_items),
                ));
            }
            members.push((name.into_owned(), self.value(r, depth)?));
        }
    }

    /// §1.3.2 UTF-8-vr: an inline string (added to the table unless empty) or a reference.
    fn str(&mut self, r: &mut Reader<'a>, what: &str) -> Result<Cow<'a, str>, Error> {
        let offset = r.pos();
        let header = u29::read(r, what)?;
        let rest = (header >> 1) as usize;
        if header & 1 == 0 {
            let Some(s) = self.strings.get(rest).cloned() else {
                return Err(Error::rule(
                    &rules::AMF3_STRING_REFERENCE,
                    offset as u64,
                    format!(
                        "{what}: string reference {rest}, but only {} strings came before",
                        self.strings.len()
                    ),
                ));
            };
            self.charge(s.len(), offset)?;
            return Ok(s);
        }
        let s = r.utf8(rest, what)?;
        if !s.is_empty() {
            self.strings.push(s.clone());
        }
        Ok(s)
    }

    fn charge(&mut self, bytes: usize, offset: usize) -> Result<(), Error> {
        self.budget = self.budget.checked_sub(bytes).ok_or_else(|| {
            Error::rule(
                &rules::AMF3_REFERENCE_BUDGET,
                offset as u64,
                "references copy more data than the message size allows",
            )
        })?;
        Ok(())
    }

    /// `count` items announced by the field at `offset`, checked against the limit.
    fn item_count(&self, offset: usize, count: u32, what: &str) -> Result<usize, Error> {
        match usize::try_from(count) {
            Ok(count) if count <= self.limits.max_items => Ok(count),
            _ => Err(Error::rule(
                &rules::AMF3_CONTAINER_ITEMS,
                offset as u64,
                format!("{what}: {count} items, limit {}", self.limits.max_items),
            )),
        }
    }
}

/// `count` items of a fixed size, each read by `item`.
fn fixed_size<'a, T>(
    r: &mut Reader<'a>,
    count: usize,
    item: impl Fn(&mut Reader<'a>) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let mut items = Vec::with_capacity(r.capacity(count));
    for _ in 0..count {
        items.push(item(r)?);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_media::Rule;

    fn decode_default(input: &[u8]) -> Result<(Value, usize), Error> {
        decode(input, &Limits::default())
    }

    fn fails(input: &[u8], rule: &'static Rule, offset: usize) {
        let err = decode_default(input).expect_err("input must be rejected");
        assert_eq!(
            (err.rule_id(), err.offset),
            (rule.id, offset as u64),
            "{err}"
        );
    }

    #[test]
    fn scalars() {
        assert_eq!(decode_default(&[0x00]), Ok((Value::Undefined, 1)));
        assert_eq!(decode_default(&[0x01]), Ok((Value::Null, 1)));
        assert_eq!(decode_default(&[0x02]), Ok((Value::Boolean(false), 1)));
        assert_eq!(decode_default(&[0x03]), Ok((Value::Boolean(true), 1)));
        assert_eq!(
            decode_default(&[0x04, 0xFF, 0xFF, 0xFF, 0xFF]),
            Ok((Value::Integer(-1), 5))
        );
        assert_eq!(
            decode_default(&[0x04, 0x81, 0x00]),
            Ok((Value::Integer(128), 3))
        );
        assert_eq!(
            decode_default(&[0x05, 0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18]),
            Ok((Value::Double(std::f64::consts::PI), 9))
        );
        assert_eq!(
            decode_default(&[0x06, 0x05, b'h', b'i']),
            Ok((Value::String("hi".into()), 4))
        );
        assert_eq!(
            decode_default(&[0x08, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
            Ok((Value::Date(0.0), 10))
        );
        assert_eq!(
            decode_default(&[0x0B, 0x03, b'<']),
            Ok((Value::Xml("<".into()), 3))
        );
        assert_eq!(
            decode_default(&[0x07, 0x03, b'<']),
            Ok((Value::XmlDocument("<".into()), 3))
        );
        assert_eq!(
            decode_default(&[0x0C, 0x05, 1, 2]),
            Ok((Value::ByteArray(vec![1, 2]), 4))
        );
    }

    #[test]
    fn string_references_resolve_and_the_empty_string_takes_no_slot() {
        // [ "", "foo", ref 0 ]: the empty string is not in the table, so ref 0 is "foo".
        let input = [
            0x09, 0x07, 0x01, 0x06, 0x01, 0x06, 0x07, b'f', b'o', b'o', 0x06, 0x00,
        ];
        let dense = ["", "foo", "foo"].map(|s| Value::String(s.into())).to_vec();
        assert_eq!(
            decode_default(&input),
            Ok((
                Value::Array {
                    associative: vec![],
                    dense
                },
                input.len()
            ))
        );
        fails(&[0x06, 0x00], &rules::AMF3_STRING_REFERENCE, 1);
    }

    #[test]
    fn object_references_stay_indices_and_must_match_their_marker() {
        // An anonymous dynamic object whose member "me" refers to itself.
        let input = [0x0A, 0x0B, 0x01, 0x05, b'm', b'e', 0x0A, 0x00, 0x01];
        let me = Object::anonymous([("me", Value::Reference(0))]);
        assert_eq!(decode_default(&input), Ok((Value::Object(me), input.len())));
        // An array holding a reference to itself under the object marker.
        fails(
            &[0x09, 0x03, 0x01, 0x0A, 0x00],
            &rules::AMF3_OBJECT_REFERENCE,
            4,
        );
        fails(&[0x0C, 0x00], &rules::AMF3_OBJECT_REFERENCE, 1);
    }

    #[test]
    fn traits_references_copy_class_and_member_names() {
        // [ C{a: 1}, C{a: 2} ], the second by traits reference 0 (header 0b0001).
        let input = [
            0x09, 0x05, 0x01, // array, 2 dense, no associative part
            0x0A, 0x13, 0x03, b'C', 0x03, b'a', 0x04, 0x01, // sealed C with member a
            0x0A, 0x01, 0x04, 0x02, // traits ref 0
        ];
        let object = |n| {
            Value::Object(Object {
                class: "C".into(),
                sealed: vec![("a".into(), Value::Integer(n))],
                dynamic: None,
            })
        };
        assert_eq!(
            decode_default(&input),
            Ok((
                Value::Array {
                    associative: vec![],
                    dense: vec![object(1), object(2)]
                },
                input.len()
            ))
        );
        fails(&[0x0A, 0x05], &rules::AMF3_TRAIT_REFERENCE, 2);
    }

    #[test]
    fn vectors_and_dictionaries_decode_and_take_object_slots() {
        let decoded = |input: &[u8]| {
            let (value, used) = decode_default(input).unwrap();
            assert_eq!(used, input.len());
            value
        };
        // Vector.<int> [-1, 2], fixed.
        let ints = [0x0D, 0x05, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2];
        let vector = |fixed, items| Value::Vector { fixed, items };
        assert_eq!(decoded(&ints), vector(true, Vector::Int(vec![-1, 2])));
        let uints = [0x0E, 0x03, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(decoded(&uints), vector(false, Vector::Uint(vec![u32::MAX])));
        let mut doubles = vec![0x0F, 0x03, 0x00];
        doubles.extend_from_slice(&1.5f64.to_be_bytes());
        assert_eq!(decoded(&doubles), vector(false, Vector::Double(vec![1.5])));
        // Vector.<String> ["a", ref to the vector itself] (class "String").
        let objects = [
            0x10, 0x05, 0x00, 0x0D, b'S', b't', b'r', b'i', b'n', b'g', 0x06, 0x03, b'a', 0x10,
            0x00,
        ];
        let class = "String".to_owned();
        let items = vec![Value::String("a".into()), Value::Reference(0)];
        assert_eq!(
            decoded(&objects),
            vector(false, Vector::Object { class, items })
        );
        // Dictionary {1: "x"} with weak keys, then the array holding it is referenced.
        let dictionary = [0x11, 0x03, 0x01, 0x04, 0x01, 0x06, 0x03, b'x'];
        assert_eq!(
            decoded(&dictionary),
            Value::Dictionary {
                weak_keys: true,
                entries: vec![(Value::Integer(1), Value::String("x".into()))],
            }
        );
        // A reference must repeat the vector's own marker.
        fails(
            &[0x09, 0x05, 0x01, 0x0D, 0x01, 0x00, 0x0E, 0x02],
            &rules::AMF3_OBJECT_REFERENCE,
            7,
        );
    }

    #[test]
    fn unsupported_shapes_name_their_rule() {
        // Externalizable: inline object, inline traits, externalizable flag.
        fails(&[0x0A, 0x07, 0x03, b'X'], &rules::AMF3_EXTERNALIZABLE, 2);
        // Flex's ArrayCollection is its source array; a second one refers to its traits.
        let class = b"flex.messaging.io.ArrayCollection";
        let mut input = vec![0x09, 0x05, 0x01, 0x0A, 0x07, (class.len() as u8) << 1 | 1];
        input.extend_from_slice(class);
        input.extend_from_slice(&[0x09, 0x01, 0x01, 0x0A, 0x01, 0x09, 0x03, 0x01, 0x04, 0x05]);
        let collection = |dense| Value::Externalized {
            class: "flex.messaging.io.ArrayCollection".into(),
            body: Box::new(Value::Array {
                associative: vec![],
                dense,
            }),
        };
        assert_eq!(
            decode_default(&input),
            Ok((
                Value::Array {
                    associative: vec![],
                    dense: vec![collection(vec![]), collection(vec![Value::Integer(5)])],
                },
                input.len()
            ))
        );
        // Vectors and dictionaries cut short, and announcing more than the limit.
        for m in 0x0D..=0x11 {
            fails(&[m, 0x03, 0x00], &rules::AMF3_LENGTH_TRUNCATED, 3);
            fails(
                &[m, 0xFF, 0xFF, 0xFF, 0xFF],
                &rules::AMF3_CONTAINER_ITEMS,
                1,
            );
        }
        fails(&[0x12], &rules::AMF3_MARKER_UNKNOWN, 0);
        fails(&[0x06, 0x05, 0xC3, 0x28], &rules::AMF3_STRING_UTF8, 2);
        fails(&[0x0C, 0x7F, 1, 2], &rules::AMF3_LENGTH_TRUNCATED, 2);
        fails(&[0x04, 0x80, 0x80], &rules::AMF3_LENGTH_TRUNCATED, 3);
        // A dense part of 2^28-1 items.
        fails(
            &[0x09, 0xFF, 0xFF, 0xFF, 0xFF],
            &rules::AMF3_CONTAINER_ITEMS,
            1,
        );
    }

    /// An array of one 60000-byte string and `refs` one-byte references to it.
    fn string_then_references(refs: u32) -> Vec<u8> {
        let mut input = vec![0x09];
        u29::write((refs + 1) << 1 | 1, &mut input);
        input.extend([0x01, 0x06]);
        u29::write(60_000 << 1 | 1, &mut input);
        input.extend(std::iter::repeat_n(b'a', 60_000));
        input.extend([0x06, 0x00].repeat(refs as usize));
        input
    }

    #[test]
    fn string_references_cannot_amplify_memory() {
        // 100 copies (6 MB from 60 kB) exceed the budget of 32 bytes per message byte.
        let err = decode_default(&string_then_references(100)).unwrap_err();
        assert_eq!(err.rule_id(), rules::AMF3_REFERENCE_BUDGET.id, "{err}");
        assert!(err.offset > 60_000, "{err}");
        // 30 copies are within it.
        let (value, _) = decode_default(&string_then_references(30)).unwrap();
        assert!(matches!(value, Value::Array { dense, .. } if dense.len() == 31));
    }
}
