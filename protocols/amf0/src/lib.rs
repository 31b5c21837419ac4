//! AMF0 (Action Message Format 0) values, encode and decode.
pub mod rules;
