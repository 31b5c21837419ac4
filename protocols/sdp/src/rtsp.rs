//! RTSP-style attributes (RFC 7826 §22.15, RFC 2326 Appendix C.1): `a=control` (a string in
//! [`crate::Attribute::Control`]) and `a=range`.

use crate::rules;
use crate::text::{Problem, problem};
use std::fmt;

/// `a=range` (RFC 7826 §22.15, RFC 2326 C.1.5): the time range of a presentation or media,
/// `<unit>=<range>` with unit `npt`, `clock` or an `smpte` variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Range {
    /// The unit: `npt`, `clock`, `smpte`, `smpte-30-drop`, `smpte-25`.
    pub unit: String,
    /// The range as written (`0-`, `0- 596.48`, `20210508T043551Z-`).
    pub range: String,
}

impl Range {
    pub(crate) fn parse(value: &str) -> Result<Range, Problem> {
        match value.split_once('=') {
            Some((unit, range)) if matches!(unit, "npt" | "clock") || unit.starts_with("smpte") => {
                Ok(Range {
                    unit: unit.to_string(),
                    range: range.to_string(),
                })
            }
            _ => Err(problem(&rules::RTSP_RANGE, format!("range {value:?}"))),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.unit, self.range)
    }
}
