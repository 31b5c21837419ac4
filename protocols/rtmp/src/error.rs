//! The one error type of the RTMP machines: what went wrong, where, and which rule it breaks.

use std::fmt;
use weir_media::{Rule, Violation};

/// A fatal problem with the peer's input (or, for `rule: None`, with the caller's use of the
/// machine). After an error the machine is closed; later inputs return it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The rule the input broke, when it broke one.
    pub rule: Option<&'static Rule>,
    /// Byte offset in the peer's stream (handshake included) where the problem starts.
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

    /// An error that is not the peer's fault (misuse of the API, a closed session).
    pub fn usage(detail: impl Into<String>) -> Self {
        Error {
            rule: None,
            offset: 0,
            detail: detail.into(),
        }
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
            Some(rule) => write!(
                f,
                "{} ({}) at byte {}: {}",
                rule.id, rule.spec, self.offset, self.detail
            ),
            None => f.write_str(&self.detail),
        }
    }
}

impl std::error::Error for Error {}
