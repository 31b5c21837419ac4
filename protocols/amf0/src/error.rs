//! The one error type of the AMF decoders: which rule the input broke, where, and how.

use std::fmt;
use weir_media::Rule;

/// A value could not be decoded. `offset` is the byte offset, within the input given to
/// `decode`/`decode_all`, of the field that broke `rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub rule: &'static Rule,
    pub offset: usize,
    pub detail: String,
}

impl Error {
    pub fn new(rule: &'static Rule, offset: usize, detail: impl Into<String>) -> Self {
        Error {
            rule,
            offset,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}) at byte {}: {}",
            self.rule.id, self.rule.spec, self.offset, self.detail
        )
    }
}

impl std::error::Error for Error {}
