//! RTCP attributes: `a=rtcp` (RFC 3605 §2.1) and `a=rtcp-fb` (RFC 4585 §4.2). rtcp-mux
//! (RFC 5761 §5.1.1) and rtcp-rsize (RFC 5506 §5) are flags in [`crate::Attribute`].

use crate::connection::Connection;
use crate::rules;
use crate::text::{Problem, decimal, fields, is_token, problem};
use std::fmt;

/// `a=rtcp` (RFC 3605 §2.1): the RTCP port (and address) when it is not RTP's port + 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// Optional address.
    pub connection: Option<Connection>,
}

impl Rtcp {
    pub(crate) fn parse(value: &str) -> Result<Rtcp, Problem> {
        let bad = || problem(&rules::RTCP_SYNTAX, format!("rtcp {value:?}"));
        let (port, rest) = match value.split_once(' ') {
            Some((port, rest)) => (port, Some(rest)),
            None => (value, None),
        };
        let port = decimal(port).ok_or_else(bad)?;
        let connection = match rest {
            Some(rest) => Some(Connection::parse(rest).ok_or_else(bad)?),
            None => None,
        };
        Ok(Rtcp { port, connection })
    }
}

impl fmt::Display for Rtcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        if let Some(c) = &self.connection {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

/// `a=rtcp-fb` (RFC 4585 §4.2): a feedback message the endpoint accepts for a payload type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtcpFb {
    /// The payload type, or `*` for all.
    pub format: String,
    /// Feedback type: `ack`, `nack`, `trr-int`, `ccm` (RFC 5104), `goog-remb`, `transport-cc`...
    pub kind: String,
    /// The rest: the parameter (`pli`, `fir`, `sli`) or the trr-int interval.
    pub parameter: Option<String>,
}

impl RtcpFb {
    pub(crate) fn parse(value: &str) -> Result<RtcpFb, Problem> {
        let bad = || problem(&rules::RTCP_FB_SYNTAX, format!("rtcp-fb {value:?}"));
        let (format, rest) = value.split_once(' ').ok_or_else(bad)?;
        if format != "*" && decimal::<u8>(format).is_none() {
            return Err(bad());
        }
        let (kind, parameter) = match rest.split_once(' ') {
            Some((kind, p)) => (kind, Some(p)),
            None => (rest, None),
        };
        if !is_token(kind) || parameter.is_some_and(|p| fields(p).is_none()) {
            return Err(bad());
        }
        if kind == "trr-int" && parameter.and_then(decimal::<u32>).is_none() {
            return Err(bad());
        }
        Ok(RtcpFb {
            format: format.to_string(),
            kind: kind.to_string(),
            parameter: parameter.map(str::to_string),
        })
    }
}

impl fmt::Display for RtcpFb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.kind)?;
        if let Some(p) = &self.parameter {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}
