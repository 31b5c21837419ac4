//! The AMF0 value model (AMF0 §2.2-2.18).

use crate::amf3;

/// One AMF0 value. Containers keep their properties in wire order, duplicates included, so
/// that a decoded message encodes back to the same bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// §2.2: an IEEE 754 double.
    Number(f64),
    /// §2.3.
    Boolean(bool),
    /// §2.4: UTF-8, at most 65535 bytes on the wire (longer text encodes as a long string).
    String(String),
    /// §2.5: an anonymous object.
    Object(Vec<(String, Value)>),
    /// §2.7.
    Null,
    /// §2.8.
    Undefined,
    /// §2.9: the index of an earlier object, typed object or array of the same message. Kept
    /// as an index (not resolved) so that cycles cost nothing.
    Reference(u16),
    /// §2.10: an associative array. Its wire count is only a hint; encode writes the real count.
    EcmaArray(Vec<(String, Value)>),
    /// §2.12: a dense array.
    StrictArray(Vec<Value>),
    /// §2.13: milliseconds since the Unix epoch (UTC) and a timezone field (reserved, 0).
    Date {
        /// Milliseconds since 1970-01-01 00:00 UTC.
        millis: f64,
        /// `time-zone`: reserved, should be 0; kept so that a decoded date encodes back unchanged.
        timezone: i16,
    },
    /// §2.14: UTF-8 with a 32-bit length.
    LongString(String),
    /// §2.16.
    Unsupported,
    /// §2.17: an XML document as UTF-8 text.
    XmlDocument(String),
    /// §2.18: an object with a registered class name.
    TypedObject {
        /// The registered class name (`class-name`), UTF-8.
        class: String,
        /// The properties, in wire order.
        properties: Vec<(String, Value)>,
    },
    /// §3.1: one AMF3 value after the avmplus-object marker 0x11.
    Amf3(amf3::Value),
}

impl Value {
    /// The text of a `String` or `LongString` (or of an AMF3 string behind the 0x11 switch).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::LongString(s) => Some(s),
            Value::Amf3(v) => v.as_str(),
            _ => None,
        }
    }

    /// The number of a `Number` (or of an AMF3 integer or double behind the 0x11 switch).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Amf3(v) => v.as_f64(),
            _ => None,
        }
    }

    /// The truth value of a `Boolean` (or of an AMF3 boolean behind the 0x11 switch).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            Value::Amf3(v) => v.as_bool(),
            _ => None,
        }
    }

    /// The properties of an `Object`, `EcmaArray` or `TypedObject`.
    pub fn properties(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(props)
            | Value::EcmaArray(props)
            | Value::TypedObject {
                properties: props, ..
            } => Some(props),
            _ => None,
        }
    }

    /// The first property named `key` of an `Object`, `EcmaArray` or `TypedObject`. (AMF3
    /// containers have their own `amf3::Value::get`.)
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.properties()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// An anonymous object from `(name, value)` pairs, in order.
    pub fn object<K: Into<String>>(props: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(props.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A `String`, or a `LongString` when the text is longer than a string can carry (§2.4).
    pub fn string(s: impl Into<String>) -> Value {
        let s = s.into();
        if s.len() > usize::from(u16::MAX) {
            Value::LongString(s)
        } else {
            Value::String(s)
        }
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::string(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_look_at_the_right_variants() {
        let obj = Value::object([("app", Value::from("live")), ("app", Value::from(1.0))]);
        assert_eq!(obj.get("app"), Some(&Value::String("live".into())));
        assert_eq!(obj.get("tcUrl"), None);
        assert_eq!(Value::Number(2.5).as_f64(), Some(2.5));
        assert_eq!(Value::LongString("x".into()).as_str(), Some("x"));
        assert_eq!(Value::Boolean(true).as_bool(), Some(true));
        assert_eq!(Value::Null.as_str(), None);
        assert_eq!(Value::Amf3(amf3::Value::Integer(7)).as_f64(), Some(7.0));
        assert_eq!(
            Value::Amf3(amf3::Value::String("a".into())).as_str(),
            Some("a")
        );
    }

    #[test]
    fn string_switches_to_long_string_past_65535_bytes() {
        assert!(matches!(Value::string("a".repeat(65535)), Value::String(_)));
        assert!(matches!(
            Value::string("a".repeat(65536)),
            Value::LongString(_)
        ));
    }
}
