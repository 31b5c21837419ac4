//! The one error type of every protocol crate: what a peer got wrong (the rule it broke, the
//! byte offset, a detail), or, without a rule, what a caller did wrong with an API.

use crate::{Rule, Violation};
use std::fmt;

/// A fatal problem with a peer's input, or (with `rule: None`) with the caller's use of an API:
/// what went wrong, where, and which rule it breaks. The protocol crates share it (each
/// re-exports it as its own `Error`); the codec parsers of this crate return it too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The rule the input broke, when it broke one.
    pub rule: Option<&'static Rule>,
    /// Byte offset of the problem in the input the failing call was reading (each crate's
    /// docs say which input: a whole stream, or one tag or message body).
    pub offset: u64,
    /// What was wrong, in words, naming the field where there is one.
    pub detail: String,
}

impl Error {
    /// An error for input that broke `rule`, at byte `offset`.
    pub fn rule(rule: &'static Rule, offset: u64, detail: impl Into<String>) -> Self {
        Error {
            rule: Some(rule),
            offset,
            detail: detail.into(),
        }
    }

    /// An error that is not the peer's fault (misuse of an API, a closed session).
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

impl Error {
    /// The id of the rule broken, or `""` for an error that breaks none.
    pub fn rule_id(&self) -> &'static str {
        self.rule.map_or("", |rule| rule.id)
    }

    /// The violation this error reports, for a machine that carries on after it; `None` for
    /// an error that breaks no rule.
    pub fn into_violation(self) -> Option<Violation> {
        Some(Violation {
            rule: self.rule?,
            offset: self.offset,
            detail: self.detail,
        })
    }
}
