//! Grouping (RFC 5888 §5) and BUNDLE (RFC 9143): `a=group` and `a=mid`.

use crate::rules;
use crate::text::{Problem, fields, is_token, problem};
use std::fmt;

/// `a=group` (RFC 5888 §5): media descriptions grouped by their mids under one semantics
/// (`BUNDLE`, `LS`, `FID`...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// The semantics token, e.g. `BUNDLE`.
    pub semantics: String,
    /// The identification tags (mids), in order; for BUNDLE the first is the tag.
    pub mids: Vec<String>,
}

impl Group {
    /// Whether this is a BUNDLE group (RFC 9143).
    pub fn is_bundle(&self) -> bool {
        self.semantics == "BUNDLE"
    }

    pub(crate) fn parse(value: &str) -> Result<Group, Problem> {
        let tokens = fields(value)
            .filter(|t| t.iter().all(|t| is_token(t)))
            .ok_or_else(|| problem(&rules::GROUP_SYNTAX, format!("group {value:?}")))?;
        Ok(Group {
            semantics: tokens[0].to_string(),
            mids: tokens[1..].iter().map(|t| t.to_string()).collect(),
        })
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for mid in &self.mids {
            write!(f, " {mid}")?;
        }
        Ok(())
    }
}
