//! Rules and violations (DESIGN.md, "Rules and violations").
//!
//! Every requirement a machine checks is a [`Rule`] with a stable id, a spec reference, a level
//! and the requirement's own words. Each protocol crate keeps its rules in one catalog
//! (`rules::CATALOG`); the harness turns [`Violation`]s into verdicts and the server counts them.
//!
//! These types live in `weir-media` because it is the one crate every protocol depends on.

use std::fmt;

/// How strongly the spec requires it (RFC 2119).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// MUST, MUST NOT, REQUIRED: a failure always counts against the peer.
    Must,
    /// SHOULD, SHOULD NOT, RECOMMENDED: a failure counts only in strict checks.
    Should,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        })
    }
}

/// One checked requirement.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Stable id, `<protocol>.<area>.<name>`, e.g. `rtmp.chunk.fmt3-without-previous-header`.
    pub id: &'static str,
    /// MUST or SHOULD, as the spec words it.
    pub level: Level,
    /// Where the requirement is written, e.g. "RTMP 1.0 §5.3.1.2".
    pub spec: &'static str,
    /// The requirement in one sentence.
    pub text: &'static str,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.id, self.level, self.spec)
    }
}

/// A peer broke `rule` at byte `offset` of its input stream (or datagram index, for
/// datagram protocols).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: &'static Rule,
    /// Byte offset in the peer's input stream (datagram index for datagram protocols).
    pub offset: u64,
    /// What the peer did, in words, with the values involved.
    pub detail: String,
}

impl Violation {
    /// A violation of `rule` at `offset`.
    pub fn new(rule: &'static Rule, offset: u64, detail: impl Into<String>) -> Self {
        Violation {
            rule,
            offset,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {}: {}",
            self.rule.id, self.offset, self.detail
        )
    }
}

/// Declares a crate's rules and its catalog in one place:
///
/// ```
/// weir_media::rules! {
///     EXAMPLE_RULE = "example.area.name", Must, "RFC 0000 §1",
///         "What the peer must do, in one sentence.";
/// }
/// assert_eq!(CATALOG, &[&EXAMPLE_RULE]);
/// ```
///
/// Each rule becomes a `pub static NAME: Rule`; `CATALOG` lists them in order.
#[macro_export]
macro_rules! rules {
    ($($name:ident = $id:literal, $level:ident, $spec:literal, $text:literal;)*) => {
        $(
            #[doc = $text]
            pub static $name: $crate::Rule =
                $crate::Rule { id: $id, level: $crate::Level::$level, spec: $spec, text: $text };
        )*
        /// Every rule this crate checks, in a stable order.
        pub static CATALOG: &[&$crate::Rule] = &[$(&$name),*];
    };
}
