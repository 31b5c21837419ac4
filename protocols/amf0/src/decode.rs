//! The AMF0 decoder (AMF0 §2). One call decodes one message: references (§2.9) and the AMF3
//! reference tables behind 0x11 switches are scoped to it.

use crate::reader::{ReadRules, Reader, capacity};
use crate::{Error, Limits, Value, amf3, marker, rules};

const AMF0_READ: ReadRules = ReadRules {
    truncated: &rules::LENGTH_TRUNCATED,
    utf8: &rules::STRING_UTF8,
};

/// Decodes one value from the start of `input`; returns it and the bytes it used.
pub fn decode(input: &[u8], limits: &Limits) -> Result<(Value, usize), Error> {
    let mut decoder = Decoder::new(input, limits);
    let value = decoder.value(0)?;
    Ok((value, decoder.reader.pos()))
}

/// Decodes values until `input` ends (an RTMP command or data message body, say). References
/// may point into earlier values of the same input.
pub fn decode_all(input: &[u8], limits: &Limits) -> Result<Vec<Value>, Error> {
    let mut decoder = Decoder::new(input, limits);
    let mut values = Vec::new();
    while decoder.reader.remaining() > 0 {
        values.push(decoder.value(0)?);
    }
    Ok(values)
}

struct Decoder<'a> {
    reader: Reader<'a>,
    limits: &'a Limits,
    /// How many complex values (§2.9's reference table) began so far; references must be below.
    complex_values: usize,
    amf3: amf3::decode::Decoder<'a>,
}

impl<'a> Decoder<'a> {
    fn new(input: &'a [u8], limits: &'a Limits) -> Self {
        Decoder {
            reader: Reader::new(input, 0, AMF0_READ),
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
            marker::STRING => Value::String(self.short_string("string")?.to_owned()),
            marker::LONG_STRING => Value::LongString(self.long_string("long string")?.to_owned()),
            marker::XML_DOCUMENT => {
                Value::XmlDocument(self.long_string("XML document")?.to_owned())
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
                    return Err(Error::new(
                        &rules::REFERENCE_RANGE,
                        start + 1,
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
                let class = self.short_string("typed object class name")?.to_owned();
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
                let mut items = Vec::with_capacity(capacity(count, self.reader.remaining(), 1));
                for _ in 0..count {
                    items.push(self.value(depth)?);
                }
                Value::StrictArray(items)
            }
            marker::AVMPLUS => {
                let mut amf3_reader = Reader::new(r.input(), r.pos(), amf3::decode::AMF3_READ);
                let value = self.amf3.value(&mut amf3_reader, depth)?;
                self.reader.seek(amf3_reader.pos());
                Value::Amf3(value)
            }
            marker::OBJECT_END => {
                return Err(Error::new(
                    &rules::OBJECT_END,
                    start,
                    "object-end marker where a value was expected",
                ));
            }
            m @ (marker::MOVIECLIP | marker::RECORDSET) => {
                return Err(Error::new(
                    &rules::MARKER_RESERVED,
                    start,
                    format!("reserved type marker 0x{m:02x}"),
                ));
            }
            m => {
                return Err(Error::new(
                    &rules::MARKER_UNKNOWN,
                    start,
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
            _ => Err(Error::new(
                &rules::CONTAINER_ITEMS,
                offset,
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
                return Err(Error::new(
                    &rules::CONTAINER_ITEMS,
                    name_offset,
                    format!("more than {} properties", self.limits.max_items),
                ));
            }
            let value = self.value(depth)?;
            properties.push((name.to_owned(), value));
        }
    }

    /// UTF-8 with a u16 length (§1.3 "UTF-8").
    fn short_string(&mut self, what: &str) -> Result<&'a str, Error> {
        let len = self.reader.u16(what)?;
        self.reader.utf8(usize::from(len), what)
    }

    /// UTF-8 with a u32 length (§1.3 "UTF-8-long").
    fn long_string(&mut self, what: &str) -> Result<&'a str, Error> {
        let len = self.reader.u32(what)?;
        // A length beyond usize cannot be present; `utf8` reports it as truncated.
        self.reader
            .utf8(usize::try_from(len).unwrap_or(usize::MAX), what)
    }
}
