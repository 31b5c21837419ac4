//! The one error type of this crate's parsers: what was wrong, where, and which rule it breaks.

use crate::{Rule, Violation};

/// A malformed codec configuration or bitstream (or a value a writer cannot encode).
///
/// `offset` is a byte offset in the input given to the parser that failed; for parameter sets
/// it counts the bytes of the NAL unit as transmitted (emulation-prevention bytes included).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} ({}) at byte {offset}: {detail}", rule.id, rule.spec)]
pub struct ConfigError {
    pub rule: &'static Rule,
    pub offset: u64,
    pub detail: String,
}

impl ConfigError {
    pub fn new(rule: &'static Rule, offset: usize, detail: impl Into<String>) -> Self {
        ConfigError {
            rule,
            offset: offset as u64,
            detail: detail.into(),
        }
    }

    /// The same error seen from an enclosing structure that starts `by` bytes earlier.
    pub fn shifted(mut self, by: usize) -> Self {
        self.offset = self.offset.saturating_add(by as u64);
        self
    }
}

impl From<ConfigError> for Violation {
    fn from(e: ConfigError) -> Self {
        Violation {
            rule: e.rule,
            offset: e.offset,
            detail: e.detail,
        }
    }
}
