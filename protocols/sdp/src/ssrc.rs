//! Source attributes (RFC 5576 §4: `a=ssrc`, `a=ssrc-group`) and media stream
//! identification (RFC 8830 §2: `a=msid`).

use crate::rules;
use crate::text::{Problem, decimal, fields, is_token, problem};
use std::fmt;

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1): a property of one RTP source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ssrc {
    /// The SSRC.
    pub id: u32,
    /// The source attribute name (`cname`, `msid`, ...).
    pub attribute: String,
    /// Its value, if any.
    pub value: Option<String>,
}

impl Ssrc {
    pub(crate) fn parse(value: &str) -> Result<Ssrc, Problem> {
        let bad = || problem(&rules::SSRC_SYNTAX, format!("ssrc {value:?}"));
        let (id, attr) = value.split_once(' ').ok_or_else(bad)?;
        let id = decimal(id).ok_or_else(bad)?;
        let (attribute, value) = match attr.split_once(':') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (attr, None),
        };
        if !is_token(attribute) {
            return Err(bad());
        }
        Ok(Ssrc {
            id,
            attribute: attribute.to_string(),
            value,
        })
    }
}

impl fmt::Display for Ssrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.attribute)?;
        if let Some(v) = &self.value {
            write!(f, ":{v}")?;
        }
        Ok(())
    }
}

/// `a=ssrc-group:<semantics> <ssrc>...` (RFC 5576 §4.2), e.g. `FID` for RTX, `SIM`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SsrcGroup {
    /// The semantics token.
    pub semantics: String,
    /// The SSRCs, in order.
    pub ssrcs: Vec<u32>,
}

impl SsrcGroup {
    pub(crate) fn parse(value: &str) -> Result<SsrcGroup, Problem> {
        let bad = || problem(&rules::SSRC_GROUP_SYNTAX, format!("ssrc-group {value:?}"));
        let f = fields(value).ok_or_else(bad)?;
        if !is_token(f[0]) {
            return Err(bad());
        }
        let ssrcs = f[1..]
            .iter()
            .map(|s| decimal(s))
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(bad)?;
        Ok(SsrcGroup {
            semantics: f[0].to_string(),
            ssrcs,
        })
    }
}

impl fmt::Display for SsrcGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for s in &self.ssrcs {
            write!(f, " {s}")?;
        }
        Ok(())
    }
}

/// `a=msid:<id> [<appdata>]` (RFC 8830 §2): the MediaStream (and track) a media description
/// belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Msid {
    /// The stream identifier (`-` for none).
    pub stream: String,
    /// Application data (the track id in WebRTC).
    pub appdata: Option<String>,
}

impl Msid {
    pub(crate) fn parse(value: &str) -> Result<Msid, Problem> {
        let bad = || problem(&rules::MSID_SYNTAX, format!("msid {value:?}"));
        let ok = |s: &str| is_token(s) && s.len() <= 64;
        match fields(value).ok_or_else(bad)?.as_slice() {
            [id] if ok(id) => Ok(Msid {
                stream: id.to_string(),
                appdata: None,
            }),
            [id, app] if ok(id) && ok(app) => Ok(Msid {
                stream: id.to_string(),
                appdata: Some(app.to_string()),
            }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Msid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stream)?;
        if let Some(a) = &self.appdata {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}
