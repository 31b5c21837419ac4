//! RTP header extension mapping (RFC 8285 §5): `a=extmap`.

use crate::direction::Direction;
use crate::rules;
use crate::text::{Problem, decimal, problem};
use std::fmt;

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extmap {
    /// Local id: 1-14 (one-byte headers), 1-255 (two-byte), 4096-4351 in offers.
    pub id: u16,
    /// Direction of this extension, if restricted.
    pub direction: Option<Direction>,
    /// The extension URI.
    pub uri: String,
    /// Extension attributes as written.
    pub attributes: Option<String>,
}

impl Extmap {
    pub(crate) fn parse(value: &str) -> Result<Extmap, Problem> {
        let bad = || problem(&rules::EXTMAP_SYNTAX, format!("extmap {value:?}"));
        let (id_dir, rest) = value.split_once(' ').ok_or_else(bad)?;
        let (id, direction) = match id_dir.split_once('/') {
            Some((id, dir)) => (id, Some(Direction::from_name(dir).ok_or_else(bad)?)),
            None => (id_dir, None),
        };
        let id: u16 = decimal(id)
            .filter(|id| (1..=255).contains(id) || (4096..=4351).contains(id))
            .ok_or_else(bad)?;
        let (uri, attributes) = match rest.split_once(' ') {
            Some((uri, attrs)) => (uri, Some(attrs.to_string())),
            None => (rest, None),
        };
        if uri.is_empty() {
            return Err(bad());
        }
        Ok(Extmap {
            id,
            direction,
            uri: uri.to_string(),
            attributes,
        })
    }
}

impl fmt::Display for Extmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(d) = self.direction {
            write!(f, "/{d}")?;
        }
        write!(f, " {}", self.uri)?;
        if let Some(a) = &self.attributes {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}
