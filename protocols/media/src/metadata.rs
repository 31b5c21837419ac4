//! Stream metadata as the media model carries it: what RTMP's `onMetaData` (FLV 10.1 §E.5) and
//! similar announcements say about a stream (size, rates, codecs, the encoder), as named values
//! in the publisher's order, with no container's encoding attached.

/// A stream's metadata: named values, in the publisher's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    /// The named values.
    pub entries: Vec<(String, MetaValue)>,
}

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// A number (every number of `onMetaData` is a double).
    Number(f64),
    /// A flag.
    Bool(bool),
    /// Text.
    Text(String),
    /// A date: milliseconds since the Unix epoch, UTC.
    Date(f64),
    /// No value.
    Null,
    /// An ordered list.
    List(Vec<MetaValue>),
    /// Named values (`keyframes`, `trackinfo`...).
    Map(Vec<(String, MetaValue)>),
}

impl Metadata {
    /// The value named `key`, if any.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` (replacing it in place if present, appending it otherwise).
    pub fn set(&mut self, key: &str, value: MetaValue) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.entries.push((key.to_owned(), value)),
        }
    }

    /// A rough size in bytes, for memory accounting.
    pub fn size_hint(&self) -> usize {
        fn value(v: &MetaValue) -> usize {
            8 + match v {
                MetaValue::Text(s) => s.len(),
                MetaValue::List(items) => items.iter().map(value).sum(),
                MetaValue::Map(entries) => entries.iter().map(|(k, v)| k.len() + value(v)).sum(),
                _ => 0,
            }
        }
        self.entries.iter().map(|(k, v)| k.len() + value(v)).sum()
    }
}
