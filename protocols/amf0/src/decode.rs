//! The AMF0 decoder (AMF0 §2). One call decodes one message: references (§2.9) and the AMF3
//! reference tables behind 0x11 switches are scoped to it.

use crate::reader::{ReadRules, Reader};
use crate::{Error, Limits, Value, amf3, marker, rules};
use std::borrow::Cow;

const AMF0_READ: ReadRules = ReadRules {
    truncated: &rules::LENGTH_TRUNCATED,
    utf8: &rules::STRING_UTF8,
};

/// Decodes one value from the start of `input`; returns it and the bytes it used.
pub fn decode(input: &[u8], limits: &Limits) -> Result<(Value, usize), Error> {
    let mut decoder = Decoder::new(input, Reader::new(input, AMF0_READ), limits);
    let value = decoder.value(0)?;
    Ok((value, decoder.reader.pos()))
}

/// Decodes values until `input` ends (an RTMP command or data message body, say). References
/// may point into earlier values of the same input.
pub fn decode_all(input: &[u8], limits: &Limits) -> Result<Vec<Value>, Error> {
    decoder_values(Decoder::new(input, Reader::new(input, AMF0_READ), limits)).map(|(v, _)| v)
}

/// [`decode_all`] for peers that send strings which are not UTF-8 (AMF0 §1.3 and AMF3 §1.3
/// require it; FFmpeg's RTMP server, for one, does not comply): each byte that is not part of
/// valid UTF-8 reads as `?`, and comes back as an error naming the UTF-8 rule at its offset,
/// so the caller can report it and go on. Every other problem still fails the decode.
pub fn decode_all_lossy(input: &[u8], limits: &Limits) -> Result<(Vec<Value>, Vec<Error>), Error> {
    decoder_values(Decoder::new(input, Reader::lossy(input, AMF0_READ), limits))
}

fn decoder_values(mut decoder: Decoder<'_>) -> Result<(Vec<Value>, Vec<Error>), Error> {
    let mut values = Vec::new();
    while decoder.reader.remaining() > 0 {
        values.push(decoder.value(0)?);
    }
    Ok((values, decoder.reader.take_repairs()))
}

struct Decoder<'a> {
    reader: Reader<'a>,
    limits: &'a Limits,
    /// How many complex values (§2.9's reference table) began so far; references must be below.
    complex_values: usize,
    amf3: amf3::decode::Decoder<'a>,
}

impl<'a> Decoder<'a> {
    fn new(input: &'a [u8], reader: Reader<'a>, limits: &'a Limits) -> Self {
        Decoder {
            reader,
            limits,
            complex_values: 0,
            amf3: amf3::decode::Decoder::new(input.len(), limits),
        }
    }

    /// One value; `depth` containers are open around it.
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        let start = self.reader.pos();
        let r = &mut self.reader;
        Ok(match r.u8("type marker")? {
            marker::NUMBER => Value::Number(r.f64("number")?),
            marker::BOOLEAN => Value::Boolean(r.u8("boolean")? != 0),
            marker::STRING => Value::String(self.short_string("string")?.into_owned()),
            marker::LONG_STRING => Value::LongString(self.long_string("long string")?.into_owned()),
            marker::XML_DOCUMENT => {
                Value::XmlDocument(self.long_string("XML document")?.into_owned())
            }
            marker::NULL => Value::Null,
            marker::UNDEFINED => Value::Undefined,
            marker::UNSUPPORTED => Value::Unsupported,
            marker::DATE => Value::Date {
                millis: r.f64("date")?,
                timezone: r.u16("date timezone")? as i16,
            },
            marker::REFERENCE => {
                let index = r.u16("reference index")?;
                if usize::from(index) >= self.complex_values {
                    return Err(Error::rule(
                        &rules::REFERENCE_RANGE,
                        (start + 1) as u64,
                        format!(
                            "reference {index}, but only {} complex values came before",
                            self.complex_values
                        ),
                    ));
                }
                Value::Reference(index)
            }
            marker::OBJECT => {
                let depth = self.open(depth, start)?;
                Value::Object(self.properties(depth)?)
            }
            marker::TYPED_OBJECT => {
                let depth = self.open(depth, start)?;
                let class = self.short_string("typed object class name")?.into_owned();
                Value::TypedObject {
                    class,
                    properties: self.properties(depth)?,
                }
            }
            marker::ECMA_ARRAY => {
                let depth = self.open(depth, start)?;
                // The count is a hint (peers get it wrong); only an absurd one is refused.
                self.item_count("ECMA array")?;
                Value::EcmaArray(self.properties(depth)?)
            }
            marker::STRICT_ARRAY => {
                let depth = self.open(depth, start)?;
                let count = self.item_count("strict array")?;
                let mut items = Vec::with_capacity(self.reader.capacity(count));
                for _ in 0..count {
                    items.push(self.value(depth)?);
                }
                Value::StrictArray(items)
            }
            marker::AVMPLUS => {
                Value::Amf3(r.with_rules(amf3::decode::AMF3_READ, |r| self.amf3.value(r, depth))?)
            }
            marker::OBJECT_END => {
                return Err(Error::rule(
                    &rules::OBJECT_END,
                    start as u64,
                    "object-end marker where a value was expected",
                ));
            }
            m @ (marker::MOVIECLIP | marker::RECORDSET) => {
                return Err(Error::rule(
                    &rules::MARKER_RESERVED,
                    start as u64,
                    format!("reserved type marker 0x{m:02x}"),
                ));
            }
            m => {
                return Err(Error::rule(
                    &rules::MARKER_UNKNOWN,
                    start as u64,
                    format!("unknown type marker 0x{m:02x}"),
                ));
            }
        })
    }

    /// Enters a complex value whose marker is at `start`: checks the depth limit and gives it
    /// its slot in the reference table. Returns the depth inside it.
    fn open(&mut self, depth: usize, start: usize) -> Result<usize, Error> {
        let inner = self.limits.enter(depth, start)?;
        self.complex_values += 1;
        Ok(inner)
    }

    /// An array's u32 item count, checked against the per-container limit.
    fn item_count(&mut self, what: &str) -> Result<usize, Error> {
        let offset = self.reader.pos();
        let count = self.reader.u32("array count")?;
        match usize::try_from(count) {
            Ok(count) if count <= self.limits.max_items => Ok(count),
            _ => Err(Error::rule(
                &rules::CONTAINER_ITEMS,
                offset as u64,
                format!(
                    "{what} announces {count} items, limit {}",
                    self.limits.max_items
                ),
            )),
        }
    }

    /// Properties up to the object end (an empty name then 0x09, §2.5 and §2.11). An empty
    /// name followed by anything else is an ordinary property: peers send those.
    fn properties(&mut self, depth: usize) -> Result<Vec<(String, Value)>, Error> {
        let mut properties = Vec::new();
        loop {
            let name_offset = self.reader.pos();
            let name = self.short_string("property name")?;
            if name.is_empty() && self.reader.peek() == Some(marker::OBJECT_END) {
                self.reader.u8("object end")?;
                return Ok(properties);
            }
            if properties.len() >= self.limits.max_items {
                return Err(Error::rule(
                    &rules::CONTAINER_ITEMS,
                    name_offset as u64,
                    format!("more than {} properties", self.limits.max_items),
                ));
            }
            let value = self.value(depth)?;
            properties.push((name.into_owned(), value));
        }
    }

    /// UTF-8 with a u16 length (§1.3 "UTF-8").
    fn short_string(&mut self, what: &str) -> Result<Cow<'a, str>, Error> {
        let len = self.reader.u16(what)?;
        self.reader.utf8(usize::from(len), what)
    }

    /// UTF-8 with a u32 length (§1.3 "UTF-8-long").
    fn long_string(&mut self, what: &str) -> Result<Cow<'a, str>, Error> {
        let len = self.reader.u32(what)?;
        // A length beyond usize cannot be present; `utf8` reports it as truncated.
        self.reader
            .utf8(usize::try_from(len).unwrap_or(usize::MAX), what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_media::Rule;

    fn decode_default(input: &[u8]) -> Result<(Value, usize), Error> {
        decode(input, &Limits::default())
    }

    /// Decoding `input` fails on `rule` at `offset`.
    fn fails(input: &[u8], rule: &'static Rule, offset: usize) {
        let err = decode_default(input).expect_err("input must be rejected");
        assert_eq!(
            (err.rule_id(), err.offset),
            (rule.id, offset as u64),
            "{err}"
        );
    }

    #[test]
    fn decodes_an_rtmp_connect_command() {
        let mut input = vec![0x02, 0x00, 0x07];
        input.extend_from_slice(b"connect");
        input.extend_from_slice(&[0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]);
        input.extend_from_slice(&[0x03, 0x00, 0x03]);
        input.extend_from_slice(b"app");
        input.extend_from_slice(&[0x02, 0x00, 0x04]);
        input.extend_from_slice(b"live");
        input.extend_from_slice(&[0x00, 0x00, 0x09]);
        let values = decode_all(&input, &Limits::default()).unwrap();
        assert_eq!(
            values,
            [
                Value::from("connect"),
                Value::Number(1.0),
                Value::object([("app", Value::from("live"))])
            ]
        );
    }

    #[test]
    fn decodes_every_simple_marker() {
        assert_eq!(
            decode_default(&[0x01, 0x00]),
            Ok((Value::Boolean(false), 2))
        );
        assert_eq!(decode_default(&[0x01, 0x02]), Ok((Value::Boolean(true), 2)));
        assert_eq!(decode_default(&[0x05]), Ok((Value::Null, 1)));
        assert_eq!(decode_default(&[0x06]), Ok((Value::Undefined, 1)));
        assert_eq!(decode_default(&[0x0D]), Ok((Value::Unsupported, 1)));
        assert_eq!(
            decode_default(&[0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE]),
            Ok((
                Value::Date {
                    millis: 0.0,
                    timezone: -2
                },
                11
            ))
        );
        assert_eq!(
            decode_default(&[0x0C, 0, 0, 0, 1, b'x', 0xAA]),
            Ok((Value::LongString("x".into()), 6))
        );
        assert_eq!(
            decode_default(&[0x0F, 0, 0, 0, 2, b'<', b'a']),
            Ok((Value::XmlDocument("<a".into()), 7))
        );
        assert_eq!(
            decode_default(&[0x10, 0, 1, b'C', 0, 1, b'k', 0x05, 0, 0, 0x09]),
            Ok((
                Value::TypedObject {
                    class: "C".into(),
                    properties: vec![("k".into(), Value::Null)]
                },
                11
            ))
        );
        assert_eq!(
            decode_default(&[0x11, 0x04, 0x7F]),
            Ok((Value::Amf3(amf3::Value::Integer(127)), 3))
        );
    }

    #[test]
    fn empty_names_and_wrong_counts_are_accepted() {
        // A property with an empty name that is not the object end.
        assert_eq!(
            decode_default(&[0x03, 0, 0, 0x05, 0, 0, 0x09]),
            Ok((Value::Object(vec![(String::new(), Value::Null)]), 7))
        );
        // An ECMA array announcing 5 entries but holding 1.
        assert_eq!(
            decode_default(&[0x08, 0, 0, 0, 5, 0, 1, b'a', 0x05, 0, 0, 0x09]),
            Ok((Value::EcmaArray(vec![("a".into(), Value::Null)]), 12))
        );
    }

    #[test]
    fn references_point_to_earlier_complex_values_of_the_message() {
        // [ref 0] inside the array that is complex value 0: a cycle, kept as an index.
        assert_eq!(
            decode_default(&[0x0A, 0, 0, 0, 1, 0x07, 0, 0]),
            Ok((Value::StrictArray(vec![Value::Reference(0)]), 8))
        );
        fails(&[0x0A, 0, 0, 0, 1, 0x07, 0, 1], &rules::REFERENCE_RANGE, 6);
        fails(&[0x07, 0, 0], &rules::REFERENCE_RANGE, 1);
        // Across the values of one message.
        let values = decode_all(&[0x03, 0, 0, 0x09, 0x07, 0, 0], &Limits::default()).unwrap();
        assert_eq!(values, [Value::Object(vec![]), Value::Reference(0)]);
    }

    #[test]
    fn bad_input_names_its_rule_and_offset() {
        // A string longer than the buffer.
        fails(&[0x02, 0x00, 0x10, b'a', b'b'], &rules::LENGTH_TRUNCATED, 3);
        // A long string of 0xFFFFFFFF bytes in a 10-byte buffer.
        fails(
            &[0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5],
            &rules::LENGTH_TRUNCATED,
            5,
        );
        // An ECMA array claiming 2^32-1 entries, and a strict array likewise.
        fails(
            &[0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x09],
            &rules::CONTAINER_ITEMS,
            1,
        );
        fails(&[0x0A, 0xFF, 0xFF, 0xFF, 0xFF], &rules::CONTAINER_ITEMS, 1);
        // A strict array announcing more items than there are bytes: no allocation up front.
        fails(
            &[0x0A, 0x00, 0x01, 0x00, 0x00, 0x05],
            &rules::LENGTH_TRUNCATED,
            6,
        );
        // Unknown and reserved markers, at top level and nested.
        fails(&[0x12], &rules::MARKER_UNKNOWN, 0);
        fails(&[0xFF], &rules::MARKER_UNKNOWN, 0);
        fails(&[0x03, 0, 1, b'k', 0x20], &rules::MARKER_UNKNOWN, 4);
        fails(&[0x04], &rules::MARKER_RESERVED, 0);
        fails(&[0x0A, 0, 0, 0, 1, 0x0E], &rules::MARKER_RESERVED, 5);
        // Invalid UTF-8 in a string and in a property name.
        fails(&[0x02, 0, 3, b'a', 0xC3, 0x28], &rules::STRING_UTF8, 4);
        fails(&[0x03, 0, 1, 0xFF, 0x05], &rules::STRING_UTF8, 3);
        // The object-end marker where a value belongs.
        fails(&[0x09], &rules::OBJECT_END, 0);
        fails(&[0x03, 0, 1, b'k', 0x09], &rules::OBJECT_END, 4);
        // An object that never ends.
        fails(&[0x03, 0, 1, b'k', 0x05], &rules::LENGTH_TRUNCATED, 5);
        fails(&[], &rules::LENGTH_TRUNCATED, 0);
    }

    #[test]
    fn item_limit_bounds_properties() {
        let limits = Limits {
            max_items: 1,
            ..Limits::default()
        };
        let input = [0x03, 0, 1, b'a', 0x05, 0, 1, b'b', 0x05, 0, 0, 0x09];
        let err = decode(&input, &limits).unwrap_err();
        assert_eq!((err.rule_id(), err.offset), (rules::CONTAINER_ITEMS.id, 5));
    }

    #[test]
    fn nesting_bombs_stop_at_the_depth_limit() {
        // 100000 nested strict arrays of one item: the 65th opens at byte 64 * 5.
        let bomb = [0x0A, 0, 0, 0, 1].repeat(100_000);
        fails(&bomb, &rules::NESTING_DEPTH, 320);
        // Objects whose one property holds the next object.
        let bomb = [0x03, 0, 1, b'k'].repeat(100_000);
        fails(&bomb, &rules::NESTING_DEPTH, 256);
        // AMF3 arrays behind the switch: one dense item each, 3 bytes per level.
        let mut bomb = vec![0x11];
        bomb.extend([0x09, 0x03, 0x01].repeat(100_000));
        fails(&bomb, &rules::NESTING_DEPTH, 1 + 64 * 3);
        // AMF0 and AMF3 levels count together: 60 AMF0 arrays, then AMF3 ones.
        let mut bomb = [0x0A, 0, 0, 0, 1].repeat(60);
        bomb.push(0x11);
        bomb.extend([0x09, 0x03, 0x01].repeat(100_000));
        fails(&bomb, &rules::NESTING_DEPTH, 60 * 5 + 1 + 4 * 3);
        // Exactly at the limit is fine.
        let mut deep = [0x0A, 0, 0, 0, 1].repeat(64);
        deep.push(0x05);
        assert!(decode_default(&deep).is_ok());
    }
}
