//! The one verdict vocabulary (DESIGN.md, "Conformance harness"): every rule `weir check`
//! judges on a flow, every case `weir probe` plays and every flow `weir replay` re-sends ends
//! in one [`Kind`] — pass, fail, not applicable, informational or not checked — and every
//! report renders it the same way. What was not judged is never a pass. A failure of a MUST
//! rule always counts; of a SHOULD rule, only with `--strict`.
//!
//! What each judged thing holds beside its kind is its own: a rule's [`Status`] keeps where
//! it was broken in a capture, a live case's [`Outcome`] what was expected and what came.

use std::time::Duration;

use weir_media::Rule;

use crate::capture::Direction;

/// How a verdict ends, whatever was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Judged, and the rules held.
    Pass,
    /// Judged, and a rule was broken.
    Fail,
    /// The rule belongs to a protocol the subject does not carry.
    NotApplicable,
    /// Not broken where it was seen, but not seen in full; or a choice the rules leave open.
    Informational,
    /// Not judged: the case did not run or could not, the replay did not complete.
    NotChecked,
}

impl Kind {
    /// How reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pass => "pass",
            Kind::Fail => "fail",
            Kind::NotApplicable => "not-applicable",
            Kind::Informational => "informational",
            Kind::NotChecked => "not-checked",
        }
    }
}

/// One time a rule was broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub time: Duration,
    pub dir: Direction,
    /// In the direction's byte stream, when known.
    pub offset: Option<u64>,
    /// What was seen.
    pub detail: String,
    /// The bytes around `offset`, when the checker still held them.
    pub excerpt: Option<Excerpt>,
}

/// Bytes of a direction's stream around a violation's offset: evidence for the reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// Where `bytes` begin in the direction's byte stream.
    pub offset: u64,
    pub bytes: Vec<u8>,
}

/// A rule's verdict on one flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The flow was observed in full and never broke the rule.
    Pass,
    /// Broken `count` times; the first few kept.
    Fail { count: u64, first: Vec<Failure> },
    /// The rule belongs to a protocol the flow does not carry.
    NotApplicable,
    /// Not broken where it was observed, but the flow was not observed in full: why.
    Informational(String),
}

impl Status {
    pub fn kind(&self) -> Kind {
        match self {
            Status::Pass => Kind::Pass,
            Status::Fail { .. } => Kind::Fail,
            Status::NotApplicable => Kind::NotApplicable,
            Status::Informational(_) => Kind::Informational,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub rule: &'static Rule,
    pub status: Status,
    /// Whether a failure makes the check fail: MUST rules, and SHOULD rules with `--strict`.
    pub counts: bool,
}

impl Verdict {
    pub fn counted_failure(&self) -> bool {
        self.counts && matches!(self.status, Status::Fail { .. })
    }
}

/// Which rules are judged and how strictly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Rule id prefixes; empty selects every rule.
    pub prefixes: Vec<String>,
    /// SHOULD failures count too.
    pub strict: bool,
}

impl Selection {
    pub fn selects(&self, rule: &Rule) -> bool {
        self.prefixes.is_empty()
            || self
                .prefixes
                .iter()
                .any(|p| rule.id.starts_with(p.as_str()))
    }
}

/// How a live case ended (`weir probe`; `weir replay` reads its steps the same way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server did what the rules ask; the note says what was seen when it is worth saying.
    Pass(String),
    Fail {
        expected: String,
        actual: String,
    },
    /// A choice the rules leave to the server: what it chose.
    Informational(String),
    /// Not run, what it needs being absent: why (not checked).
    Skipped(String),
    /// The case could not run (no connection): why (not checked).
    Error(String),
}

impl Outcome {
    pub fn pass(note: impl Into<String>) -> Outcome {
        Outcome::Pass(note.into())
    }

    pub fn fail(expected: impl Into<String>, actual: impl Into<String>) -> Outcome {
        Outcome::Fail {
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    pub fn info(note: impl Into<String>) -> Outcome {
        Outcome::Informational(note.into())
    }

    pub fn error(why: impl Into<String>) -> Outcome {
        Outcome::Error(why.into())
    }

    pub fn kind(&self) -> Kind {
        match self {
            Outcome::Pass(_) => Kind::Pass,
            Outcome::Fail { .. } => Kind::Fail,
            Outcome::Informational(_) => Kind::Informational,
            Outcome::Skipped(_) | Outcome::Error(_) => Kind::NotChecked,
        }
    }

    /// Its kind's name, but for the two ways a case goes unchecked: `skipped` and `error`
    /// (what probe reports have always said).
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Skipped(_) => "skipped",
            Outcome::Error(_) => "error",
            other => other.kind().name(),
        }
    }
}
