//! dtls, sans-IO.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod rules;
pub use weir_media::Error;
