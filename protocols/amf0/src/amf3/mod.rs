//! AMF3 (Adobe "Action Message Format -- AMF 3"), as RTMP carries it behind the AMF0
//! avmplus-object marker 0x11 (AMF0 §3.1) and in Flash Remoting bodies.
//!
//! Externalizable objects are rejected with a rule, but for Flex's collections and proxy:
//! their bodies are class-defined, so a generic decoder cannot tell where they end.

pub(crate) mod decode;
pub(crate) mod encode;
mod marker;
mod u29;
mod value;

pub use decode::decode;
pub use encode::encode;
pub use value::{Object, Value, Vector};
