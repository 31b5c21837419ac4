//! The one error type of the AMF decoders: which rule the input broke, where, and how.

use weir_media::Rule;

/// A value could not be decoded. `offset` is the byte offset, within the input given to
/// `decode`/`decode_all`, of the field that broke `rule`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} ({}) at byte {offset}: {detail}", rule.id, rule.spec)]
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
