//! Command (RTMP 1.0 §7.1.1) and data (§7.1.2) messages: sequences of AMF values.
//!
//! The AMF3 variants (types 17 and 15) start with one format selector byte, 0x00, followed by
//! AMF0 values that may switch to AMF3 with the 0x11 marker (§7.1.1). A payload of the AMF3
//! type without that 0x00 byte is read as AMF0 straight away: a command name never starts with
//! 0x00 (the Number marker), so the two are told apart without guessing.

use bytes::Bytes;
use weir_amf0::{Limits, Value};
use weir_media::Violation;

use crate::Error;
use crate::rules::{COMMAND_AMF, DATA_MESSAGE};

/// A command: name, transaction id, command object and further arguments (§7.1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The command name, e.g. `connect`, `publish`, `_result`.
    pub name: String,
    /// Transaction id: the caller's number for matching the answer; 0 when none is expected.
    pub transaction_id: f64,
    /// `Value::Null` when the command has none (or the message ends before it).
    pub object: Value,
    /// The arguments after the command object, in order.
    pub args: Vec<Value>,
    /// Sent as type 17 (AMF3 container) rather than 20.
    pub amf3: bool,
}

/// A data message such as `@setDataFrame` or `onMetaData` (§7.1.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// `values[0]` is the handler name string.
    pub values: Vec<Value>,
    /// Sent as type 15 (AMF3 container) rather than 18.
    pub amf3: bool,
}

/// How many bytes of invalid UTF-8 one message may have repaired before it is given up.
const MAX_UTF8_REPAIRS: usize = 64;

/// The AMF values of a command or data payload; problems are placed at `offset` plus their
/// payload position (see [`super::Message::decode`]).
///
/// Strings that are not UTF-8 break AMF0 §1.3, yet real peers send them (FFmpeg's `-listen`
/// server puts uninitialised bytes in an onStatus description), and dropping a whole command
/// for one bad description would end the session. So the AMF decoder reads each invalid byte
/// as `?`, and each is reported here as a violation of the AMF rule; past
/// [`MAX_UTF8_REPAIRS`] the message is given up.
fn decode_values(
    payload: &[u8],
    amf3: bool,
    limits: &Limits,
    offset: u64,
    violations: &mut Vec<Violation>,
) -> Result<Vec<Value>, Error> {
    let skip = usize::from(amf3 && payload.first() == Some(&0));
    let body = payload.get(skip..).unwrap_or_default();
    // The AMF rule itself is the most precise name for what broke (amf0.nesting.depth...).
    let failed = |e: Error| Error {
        detail: format!("AMF value at payload byte {}: {e}", skip as u64 + e.offset),
        ..e.shifted(offset + skip as u64)
    };
    let (values, repairs) = weir_amf0::decode_all_lossy(body, limits).map_err(failed)?;
    for (n, repair) in repairs.into_iter().enumerate() {
        if n == MAX_UTF8_REPAIRS {
            return Err(failed(repair));
        }
        let detail = format!("{repair}; read as '?'");
        let repair = Error { detail, ..repair }.shifted(offset + skip as u64);
        violations.extend(repair.into_violation());
    }
    Ok(values)
}

/// The values of one message: AMF3 values behind 0x11 switches share one set of AMF3 reference
/// tables, as the decoder reads them (a reference in one value may point into another).
fn encode_values<'a>(amf3: bool, values: impl IntoIterator<Item = &'a Value>) -> Bytes {
    let mut out = Vec::new();
    if amf3 {
        out.push(0);
    }
    weir_amf0::encode_all(values, &mut out);
    Bytes::from(out)
}

impl Command {
    pub(super) fn decode(
        payload: &[u8],
        amf3: bool,
        limits: &Limits,
        offset: u64,
        violations: &mut Vec<Violation>,
    ) -> Result<Command, Error> {
        let mut values = decode_values(payload, amf3, limits, offset, violations)?.into_iter();
        let name = match values.next() {
            Some(Value::String(name) | Value::LongString(name)) => name,
            Some(other) => match other.as_str() {
                Some(name) => name.to_owned(),
                None => {
                    return Err(Error::rule(
                        &COMMAND_AMF,
                        offset,
                        format!("command name is {other:?}, not a string"),
                    ));
                }
            },
            None => {
                return Err(Error::rule(
                    &COMMAND_AMF,
                    offset,
                    "command message has no values",
                ));
            }
        };
        let second = values.next();
        let transaction_id = match second.as_ref().and_then(Value::as_f64) {
            Some(number) => number,
            None => {
                violations.push(Violation::new(
                    &COMMAND_AMF,
                    offset,
                    format!(
                        "command {name:?} has transaction id {second:?}, not a number; read as 0"
                    ),
                ));
                0.0
            }
        };
        let object = values.next().unwrap_or(Value::Null);
        Ok(Command {
            name,
            transaction_id,
            object,
            args: values.collect(),
            amf3,
        })
    }

    pub(super) fn encode(&self) -> Bytes {
        let head = [
            Value::string(self.name.as_str()),
            Value::Number(self.transaction_id),
            self.object.clone(),
        ];
        encode_values(self.amf3, head.iter().chain(&self.args))
    }
}

impl Data {
    pub(super) fn decode(
        payload: &[u8],
        amf3: bool,
        limits: &Limits,
        offset: u64,
        violations: &mut Vec<Violation>,
    ) -> Result<Data, Error> {
        let values = decode_values(payload, amf3, limits, offset, violations)?;
        if values.first().and_then(Value::as_str).is_none() {
            violations.push(Violation::new(
                &DATA_MESSAGE,
                offset,
                format!(
                    "data message starts with {:?}, not a handler name string",
                    values.first()
                ),
            ));
        }
        Ok(Data { values, amf3 })
    }

    pub(super) fn encode(&self) -> Bytes {
        encode_values(self.amf3, &self.values)
    }
}
