//! The AMF3 value model (AMF3 §3.2-3.14).

/// One AMF3 value. Strings and traits sent by reference are resolved while decoding; complex
/// values sent by reference stay [`Value::Reference`] so that shared and cyclic graphs cost
/// nothing to decode.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// §3.2.
    Undefined,
    /// §3.3.
    Null,
    /// §3.4-3.5.
    Boolean(bool),
    /// §3.6: a 29-bit signed integer, -2^28 ..= 2^28-1. Encode writes values outside that range
    /// as a double.
    Integer(i32),
    /// §3.7.
    Double(f64),
    /// §3.8: UTF-8 text.
    String(String),
    /// §3.9: a legacy flash.xml.XMLDocument, as UTF-8 text.
    XmlDocument(String),
    /// §3.10: milliseconds since the Unix epoch, UTC.
    Date(f64),
    /// §3.11: an array with an associative part (in wire order) and a dense part.
    Array {
        /// The name-value pairs sent before the dense part, in wire order.
        associative: Vec<(String, Value)>,
        /// The dense part: the values at indices 0 to n-1.
        dense: Vec<Value>,
    },
    /// §3.12: an object with its traits.
    Object(Object),
    /// §3.13: an E4X XML value, as UTF-8 text.
    Xml(String),
    /// §3.14.
    ByteArray(Vec<u8>),
    /// §3.15: a typed array (`Vector.<int>`, `.<uint>`, `.<Number>`, `.<T>`).
    Vector {
        /// Whether its length is fixed.
        fixed: bool,
        /// The items, by their type.
        items: Vector,
    },
    /// §3.12: an externalizable object whose class writes its body as one value (Flex's
    /// `ArrayCollection`, `ArrayList`, `ObjectProxy`).
    Externalized {
        /// The class name.
        class: String,
        /// What its body holds.
        body: Box<Value>,
    },
    /// §3.16: a `flash.utils.Dictionary`, keys of any type, in wire order.
    Dictionary {
        /// Whether the keys are weakly referenced.
        weak_keys: bool,
        /// Key/value pairs.
        entries: Vec<(Value, Value)>,
    },
    /// An index into the message's object table: a complex value (array, object, date, XML,
    /// byte array, vector, dictionary) sent earlier in the same message (§2.2).
    Reference(u32),
}

/// The items of a [`Value::Vector`], by its type marker (AMF3 §3.15).
#[derive(Debug, Clone, PartialEq)]
pub enum Vector {
    /// 0x0D: 32-bit signed integers.
    Int(Vec<i32>),
    /// 0x0E: 32-bit unsigned integers.
    Uint(Vec<u32>),
    /// 0x0F: doubles.
    Double(Vec<f64>),
    /// 0x10: values of the class named (`*` or empty: any).
    Object {
        /// The item type's class name.
        class: String,
        /// The values.
        items: Vec<Value>,
    },
}

impl Vector {
    /// How many items it holds.
    pub fn len(&self) -> usize {
        match self {
            Vector::Int(v) => v.len(),
            Vector::Uint(v) => v.len(),
            Vector::Double(v) => v.len(),
            Vector::Object { items, .. } => items.len(),
        }
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An AMF3 object: its traits (class name, sealed member names, dynamic flag) and values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    /// The registered class name; empty for an anonymous object.
    pub class: String,
    /// The sealed members, in trait order.
    pub sealed: Vec<(String, Value)>,
    /// `Some` for a dynamic object: its dynamic members in wire order.
    pub dynamic: Option<Vec<(String, Value)>>,
}

impl Object {
    /// An anonymous dynamic object (the shape of `new Object()` in ActionScript).
    pub fn anonymous<K: Into<String>>(members: impl IntoIterator<Item = (K, Value)>) -> Object {
        let members = members.into_iter().map(|(k, v)| (k.into(), v)).collect();
        Object {
            class: String::new(),
            sealed: Vec::new(),
            dynamic: Some(members),
        }
    }

    /// The first member named `key`, sealed members first.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.sealed
            .iter()
            .chain(self.dynamic.iter().flatten())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl Value {
    /// The text of a `String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number of an `Integer` or `Double`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Integer(i) => Some(f64::from(*i)),
            Value::Double(d) => Some(*d),
            _ => None,
        }
    }

    /// The truth value of a `Boolean`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The first member named `key` of an `Object` or of an `Array`'s associative part.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(object) => object.get(key),
            Value::Array { associative, .. } => {
                associative.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            _ => None,
        }
    }
}
