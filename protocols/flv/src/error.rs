//! The one error type of this crate: what was wrong, where, and which rule it breaks.

use std::fmt;
use weir_media::{Rule, Violation};

/// A problem that stops parsing (or writing) one structure.
///
/// `offset` is the byte offset of the problem: in the file stream for [`crate::FlvReader`],
/// within the tag body for the audio, video and script parsers (add [`crate::Tag::offset`]
/// plus the 11-byte tag header to place it in a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The rule the input broke; `None` for misuse by the caller (e.g. writing a body that
    /// does not fit in 24 bits, or a codec FLV cannot carry).
    pub rule: Option<&'static Rule>,
    pub offset: u64,
    pub detail: String,
}

impl Error {
    pub fn rule(rule: &'static Rule, offset: u64, detail: impl Into<String>) -> Self {
        Error {
            rule: Some(rule),
            offset,
            detail: detail.into(),
        }
    }

    /// An error that is not the peer's fault.
    pub fn usage(detail: impl Into<String>) -> Self {
        Error {
            rule: None,
            offset: 0,
            detail: detail.into(),
        }
    }

    /// The same error, `by` bytes further into an enclosing stream.
    pub fn shifted(mut self, by: u64) -> Self {
        self.offset += by;
        self
    }
}

impl From<Violation> for Error {
    fn from(v: Violation) -> Self {
        Error {
            rule: Some(v.rule),
            offset: v.offset,
            detail: v.detail,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Some(rule) => {
                write!(
                    f,
                    "{} ({}) at byte {}: {}",
                    rule.id, rule.spec, self.offset, self.detail
                )
            }
            None => f.write_str(&self.detail),
        }
    }
}

impl std::error::Error for Error {}
