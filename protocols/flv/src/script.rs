//! Script data tags (FLV 10.1 §E.4.4.1): an AMF0 name, e.g. `onMetaData`, and AMF0 values.
//!
//! RTMP publishers send metadata as a data message `@setDataFrame`, `onMetaData`, {...};
//! a server stores and forwards it without the `@setDataFrame` wrapper (the form an FLV file
//! holds): [`ScriptData::without_set_data_frame`] and [`ScriptData::with_set_data_frame`]
//! convert between the two.

use crate::{Error, rules};
use bytes::Bytes;
use weir_amf0::{Limits, Value, amf3};
use weir_media::{MetaValue, Metadata};

/// One script data tag body.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptData {
    /// The handler name, the first AMF0 value (e.g. `onMetaData`, `@setDataFrame`).
    pub name: String,
    /// The AMF0 values after the name, in order.
    pub values: Vec<Value>,
}

impl ScriptData {
    /// The name of the metadata tag an FLV file and an RTMP player receive.
    pub const ON_META_DATA: &'static str = "onMetaData";
    /// The data message name an RTMP publisher wraps `onMetaData` in.
    pub const SET_DATA_FRAME: &'static str = "@setDataFrame";

    /// Metadata as an FLV file (and an RTMP player) receives it.
    pub fn on_meta_data(metadata: Value) -> Self {
        ScriptData {
            name: Self::ON_META_DATA.into(),
            values: vec![metadata],
        }
    }

    /// Parses a body with the AMF0 decoder's `limits`; AMF0 errors keep the amf0 rule they
    /// break, with the offset within `body`.
    pub fn parse(body: &[u8], limits: &Limits) -> Result<ScriptData, Error> {
        let (name, used) = weir_amf0::decode(body, limits)?;
        let name = match name {
            Value::String(s) | Value::LongString(s) => s,
            other => {
                return Err(Error::rule(
                    &rules::SCRIPT_NAME,
                    0,
                    format!("the name is {other:?}, not a string"),
                ));
            }
        };
        let rest = body.get(used..).unwrap_or_default();
        let values = weir_amf0::decode_all(rest, limits).map_err(|e| e.shifted(used as u64))?;
        Ok(ScriptData { name, values })
    }

    /// The tag body: the name as an AMF0 string, then the values.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        weir_amf0::encode(&Value::string(self.name.as_str()), &mut out);
        weir_amf0::encode_all(&self.values, &mut out);
        out.into()
    }

    /// The `onMetaData` object or ECMA array, if this is metadata (wrapped or not).
    pub fn metadata(&self) -> Option<&Value> {
        let unwrapped = self.name == Self::ON_META_DATA;
        let wrapped = self.name == Self::SET_DATA_FRAME
            && self.values.first().and_then(Value::as_str) == Some(Self::ON_META_DATA);
        match (unwrapped, wrapped) {
            (true, _) => self.values.first(),
            (_, true) => self.values.get(1),
            _ => None,
        }
        .filter(|v| v.properties().is_some())
    }

    /// `@setDataFrame`, `name`, values... becomes `name`, values...; anything else is kept.
    pub fn without_set_data_frame(mut self) -> Self {
        let inner = match self.values.first() {
            Some(Value::String(s) | Value::LongString(s)) if self.name == Self::SET_DATA_FRAME => {
                s.clone()
            }
            _ => return self,
        };
        self.name = inner;
        self.values.remove(0);
        self
    }

    /// `name`, values... becomes `@setDataFrame`, `name`, values... (what a publisher sends).
    pub fn with_set_data_frame(self) -> Self {
        if self.name == Self::SET_DATA_FRAME {
            return self;
        }
        let mut values = Vec::with_capacity(self.values.len() + 1);
        values.push(Value::string(self.name));
        values.extend(self.values);
        ScriptData {
            name: Self::SET_DATA_FRAME.into(),
            values,
        }
    }
}

/// The media model's form of an `onMetaData` object or ECMA array (its properties, in order);
/// `None` for a value with no properties. AMF-only kinds read as the nearest model value:
/// undefined and unsupported as null, XML as text, a reference (which nothing here resolves)
/// as null.
pub fn metadata_of(value: &Value) -> Option<Metadata> {
    let entries = match value {
        Value::Amf3(amf3::Value::Array { associative, .. }) => amf3_entries(associative),
        Value::Amf3(amf3::Value::Object(object)) => {
            let members = object.sealed.iter().chain(object.dynamic.iter().flatten());
            members.map(|(k, v)| (k.clone(), amf3_value(v))).collect()
        }
        other => entries(other.properties()?),
    };
    Some(Metadata { entries })
}

fn entries(props: &[(String, Value)]) -> Vec<(String, MetaValue)> {
    props
        .iter()
        .map(|(k, v)| (k.clone(), meta_value(v)))
        .collect()
}

fn amf3_entries(props: &[(String, amf3::Value)]) -> Vec<(String, MetaValue)> {
    props
        .iter()
        .map(|(k, v)| (k.clone(), amf3_value(v)))
        .collect()
}

fn meta_value(value: &Value) -> MetaValue {
    match value {
        Value::Number(n) => MetaValue::Number(*n),
        Value::Boolean(b) => MetaValue::Bool(*b),
        Value::String(s) | Value::LongString(s) | Value::XmlDocument(s) => {
            MetaValue::Text(s.clone())
        }
        Value::Date { millis, .. } => MetaValue::Date(*millis),
        Value::StrictArray(items) => MetaValue::List(items.iter().map(meta_value).collect()),
        Value::Object(props) | Value::EcmaArray(props) => MetaValue::Map(entries(props)),
        Value::TypedObject { properties, .. } => MetaValue::Map(entries(properties)),
        Value::Amf3(v) => amf3_value(v),
        Value::Null | Value::Undefined | Value::Unsupported | Value::Reference(_) => {
            MetaValue::Null
        }
    }
}

fn amf3_value(value: &amf3::Value) -> MetaValue {
    match value {
        amf3::Value::Boolean(b) => MetaValue::Bool(*b),
        amf3::Value::Integer(i) => MetaValue::Number(f64::from(*i)),
        amf3::Value::Double(n) => MetaValue::Number(*n),
        amf3::Value::String(s) | amf3::Value::XmlDocument(s) | amf3::Value::Xml(s) => {
            MetaValue::Text(s.clone())
        }
        amf3::Value::Date(millis) => MetaValue::Date(*millis),
        amf3::Value::Array { associative, dense } if associative.is_empty() => {
            MetaValue::List(dense.iter().map(amf3_value).collect())
        }
        amf3::Value::Array { associative, .. } => MetaValue::Map(amf3_entries(associative)),
        amf3::Value::Object(object) => {
            let members = object.sealed.iter().chain(object.dynamic.iter().flatten());
            MetaValue::Map(members.map(|(k, v)| (k.clone(), amf3_value(v))).collect())
        }
        amf3::Value::Vector { items, .. } => MetaValue::List(match items {
            amf3::Vector::Int(v) => v.iter().map(|&i| MetaValue::Number(i.into())).collect(),
            amf3::Vector::Uint(v) => v.iter().map(|&u| MetaValue::Number(u.into())).collect(),
            amf3::Vector::Double(v) => v.iter().map(|&d| MetaValue::Number(d)).collect(),
            amf3::Vector::Object { items, .. } => items.iter().map(amf3_value).collect(),
        }),
        amf3::Value::Externalized { body, .. } => amf3_value(body),
        amf3::Value::ByteArray(_)
        | amf3::Value::Dictionary { .. }
        | amf3::Value::Undefined
        | amf3::Value::Null
        | amf3::Value::Reference(_) => MetaValue::Null,
    }
}

/// `metadata` as the ECMA array an `onMetaData` script tag carries (FLV 10.1 §E.5).
pub fn metadata_value(metadata: &Metadata) -> Value {
    fn value(v: &MetaValue) -> Value {
        match v {
            MetaValue::Number(n) => Value::Number(*n),
            MetaValue::Bool(b) => Value::Boolean(*b),
            MetaValue::Text(s) => Value::string(s.as_str()),
            MetaValue::Date(millis) => Value::Date {
                millis: *millis,
                timezone: 0,
            },
            MetaValue::Null => Value::Null,
            MetaValue::List(items) => Value::StrictArray(items.iter().map(value).collect()),
            MetaValue::Map(entries) => Value::Object(map(entries)),
        }
    }
    fn map(entries: &[(String, MetaValue)]) -> Vec<(String, Value)> {
        entries.iter().map(|(k, v)| (k.clone(), value(v))).collect()
    }
    Value::EcmaArray(map(&metadata.entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> ScriptData {
        ScriptData::on_meta_data(Value::EcmaArray(vec![
            ("width".into(), Value::Number(1280.0)),
            ("videocodecid".into(), Value::Number(7.0)),
        ]))
    }

    #[test]
    fn set_data_frame_wraps_and_unwraps() {
        let wrapped = sample().with_set_data_frame();
        assert_eq!(wrapped.name, "@setDataFrame");
        assert_eq!(
            wrapped
                .metadata()
                .and_then(|m| m.get("width"))
                .and_then(Value::as_f64),
            Some(1280.0)
        );
        let bytes = wrapped.to_bytes();
        assert_eq!(&bytes[..16], b"\x02\x00\x0d@setDataFrame");
        let parsed = ScriptData::parse(&bytes, &Limits::default()).unwrap();
        assert_eq!(parsed.without_set_data_frame(), sample());
    }

    #[test]
    fn metadata_reads_into_the_media_model_and_back() {
        let amf = Value::EcmaArray(vec![
            ("width".into(), Value::Number(1280.0)),
            ("encoder".into(), Value::string("obs-output module")),
            ("stereo".into(), Value::Boolean(true)),
            (
                "trackinfo".into(),
                Value::StrictArray(vec![Value::object([("id", Value::Number(1.0))])]),
            ),
        ]);
        let metadata = metadata_of(&amf).unwrap();
        assert_eq!(metadata.get("width"), Some(&MetaValue::Number(1280.0)));
        assert_eq!(metadata_value(&metadata), amf);
        assert_eq!(metadata_of(&Value::Number(1.0)), None);
    }

    #[test]
    fn name_must_be_a_string() {
        let e = ScriptData::parse(&[0x00, 0, 0, 0, 0, 0, 0, 0, 0], &Limits::default()).unwrap_err();
        assert_eq!((e.rule.unwrap().id, e.offset), ("flv.script.name", 0));
    }

    #[test]
    fn bad_values_keep_the_amf0_rule_and_offset() {
        // "onMetaData" then a truncated number.
        let e =
            ScriptData::parse(b"\x02\x00\x0aonMetaData\x00\x40", &Limits::default()).unwrap_err();
        assert!(e.rule.unwrap().id.starts_with("amf"), "{e}");
        assert!(e.offset >= 13, "{e}");
    }

    proptest! {
        #[test]
        fn round_trip(name in "[a-zA-Z@]{0,20}", n in proptest::collection::vec(any::<f64>().prop_filter("NaN", |f| !f.is_nan()), 0..5)) {
            let script = ScriptData { name, values: n.into_iter().map(Value::Number).collect() };
            prop_assert_eq!(ScriptData::parse(&script.to_bytes(), &Limits::default()).unwrap(), script);
        }

        #[test]
        fn no_panic(body: Vec<u8>) {
            let _ = ScriptData::parse(&body, &Limits::default());
        }
    }
}
