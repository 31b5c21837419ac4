//! AMF0 (Adobe "Action Message Format -- AMF 0", 2007) values, decode and encode, with AMF3
//! behind the avmplus-object switch (0x11) as RTMP and Flash Remoting use it.
//!
//! Decoding is a pure function from bytes to a value and the bytes consumed. Input is hostile:
//! every length is checked against the bytes present before anything is allocated, containers
//! are bounded by [`Limits`], and every failure is an [`Error`] naming the [`rules`] it broke
//! and the byte offset.
//!
//! ```
//! use weir_amf0::{Limits, Value, decode, encode};
//! let command = Value::object([("app", Value::from("live")), ("tcUrl", "rtmp://h/live".into())]);
//! let mut bytes = Vec::new();
//! encode(&command, &mut bytes);
//! let (decoded, used) = decode(&bytes, &Limits::default()).unwrap();
//! assert_eq!((decoded.get("app").and_then(Value::as_str), used), (Some("live"), bytes.len()));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod amf3;
mod decode;
mod encode;
mod limits;
mod marker;
mod reader;
pub mod rules;
mod value;

pub use decode::{decode, decode_all, decode_all_lossy};
pub use encode::{encode, encode_all};
pub use limits::Limits;
pub use value::Value;
pub use weir_media::Error;
