//! RTP stream identifiers (RFC 8851 §10: `a=rid`) and simulcast (RFC 8853 §5.1:
//! `a=simulcast`).

use crate::rules;
use crate::text::{Problem, problem};
use std::fmt;

/// `send` or `recv` in rid and simulcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`.
    Send,
    /// `recv`.
    Recv,
}

impl RidDirection {
    fn parse(s: &str) -> Option<RidDirection> {
        match s {
            "send" => Some(RidDirection::Send),
            "recv" => Some(RidDirection::Recv),
            _ => None,
        }
    }

    /// The token on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RidDirection::Send => "send",
            RidDirection::Recv => "recv",
        }
    }
}

/// RFC 8851 §10 `rid-id`: letters, digits, `-` and `_`.
fn is_rid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `a=rid:<id> <send|recv> [<restrictions>]` (RFC 8851 §10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rid {
    /// The RTP stream id.
    pub id: String,
    /// Direction.
    pub direction: RidDirection,
    /// Restrictions as written (`pt=96;max-width=1280`).
    pub restrictions: Option<String>,
}

impl Rid {
    pub(crate) fn parse(value: &str) -> Result<Rid, Problem> {
        let bad = || problem(&rules::RID_SYNTAX, format!("rid {value:?}"));
        let mut parts = value.splitn(3, ' ');
        let id = parts.next().filter(|id| is_rid_id(id)).ok_or_else(bad)?;
        let direction = parts.next().and_then(RidDirection::parse).ok_or_else(bad)?;
        let restrictions = parts.next().map(str::to_string);
        if restrictions.as_deref().is_some_and(str::is_empty) {
            return Err(bad());
        }
        Ok(Rid {
            id: id.to_string(),
            direction,
            restrictions,
        })
    }
}

impl fmt::Display for Rid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.direction.as_str())?;
        if let Some(r) = &self.restrictions {
            write!(f, " {r}")?;
        }
        Ok(())
    }
}

/// One rid of a simulcast stream list, possibly paused (`~`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimulcastId {
    /// The rid id.
    pub rid: String,
    /// Whether it starts paused.
    pub paused: bool,
}

/// `a=simulcast` (RFC 8853 §5.1): per direction, the simulcast streams, each a list of
/// alternative rids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Simulcast {
    /// `send` and/or `recv` in the written order, each with its streams.
    pub directions: Vec<(RidDirection, Vec<Vec<SimulcastId>>)>,
}

impl Simulcast {
    pub(crate) fn parse(value: &str) -> Result<Simulcast, Problem> {
        let bad = || problem(&rules::SIMULCAST_SYNTAX, format!("simulcast {value:?}"));
        let words: Vec<&str> = value.split(' ').collect();
        if words.len() != 2 && words.len() != 4 {
            return Err(bad());
        }
        let mut directions = Vec::new();
        for pair in words.chunks(2) {
            let dir = RidDirection::parse(pair[0]).ok_or_else(bad)?;
            if directions.iter().any(|(d, _)| *d == dir) {
                return Err(bad());
            }
            let mut streams = Vec::new();
            for alternatives in pair[1].split(';') {
                let mut alts = Vec::new();
                for id in alternatives.split(',') {
                    let (rid, paused) = match id.strip_prefix('~') {
                        Some(rid) => (rid, true),
                        None => (id, false),
                    };
                    if !is_rid_id(rid) {
                        return Err(bad());
                    }
                    alts.push(SimulcastId {
                        rid: rid.to_string(),
                        paused,
                    });
                }
                streams.push(alts);
            }
            directions.push((dir, streams));
        }
        Ok(Simulcast { directions })
    }
}

impl fmt::Display for Simulcast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (dir, streams)) in self.directions.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{} ", dir.as_str())?;
            for (j, alts) in streams.iter().enumerate() {
                if j > 0 {
                    f.write_str(";")?;
                }
                for (k, id) in alts.iter().enumerate() {
                    if k > 0 {
                        f.write_str(",")?;
                    }
                    if id.paused {
                        f.write_str("~")?;
                    }
                    f.write_str(&id.rid)?;
                }
            }
        }
        Ok(())
    }
}
