//! ICE attributes (RFC 8839 §5): candidate, ice-ufrag, ice-pwd, ice-options (ice-lite and
//! end-of-candidates are flags in [`crate::Attribute`]).

use crate::rules;
use crate::text::{Problem, decimal, fields, is_ice_chars, is_token, problem};
use std::fmt;

/// The type of a candidate (RFC 8839 §5.1 `cand-type`, RFC 8445 §5.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateType {
    /// `host`: an address of the agent's own interface.
    Host,
    /// `srflx`: server reflexive, learned from a STUN server.
    ServerReflexive,
    /// `prflx`: peer reflexive, learned from a peer's check.
    PeerReflexive,
    /// `relay`: a TURN relay address.
    Relay,
    /// Another type token.
    Other(String),
}

impl CandidateType {
    fn parse(s: &str) -> CandidateType {
        match s {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::ServerReflexive,
            "prflx" => CandidateType::PeerReflexive,
            "relay" => CandidateType::Relay,
            other => CandidateType::Other(other.to_string()),
        }
    }

    /// The token on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            CandidateType::Host => "host",
            CandidateType::ServerReflexive => "srflx",
            CandidateType::PeerReflexive => "prflx",
            CandidateType::Relay => "relay",
            CandidateType::Other(s) => s,
        }
    }
}

/// The TCP candidate type (RFC 6544 §4.5 `tcptype` extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// `active`: opens connections.
    Active,
    /// `passive`: accepts connections.
    Passive,
    /// `so`: simultaneous open.
    SimultaneousOpen,
}

impl TcpType {
    fn parse(s: &str) -> Option<TcpType> {
        Some(match s {
            "active" => TcpType::Active,
            "passive" => TcpType::Passive,
            "so" => TcpType::SimultaneousOpen,
            _ => return None,
        })
    }

    /// The token on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            TcpType::Active => "active",
            TcpType::Passive => "passive",
            TcpType::SimultaneousOpen => "so",
        }
    }
}

/// `a=candidate` (RFC 8839 §5.1): one transport address an agent offers for connectivity
/// checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// Foundation: 1-32 ice-chars; candidates with one foundation share a base and server.
    pub foundation: String,
    /// Component id, 1-256 (1 RTP, 2 RTCP).
    pub component: u16,
    /// Transport token (`UDP`, `TCP`, any case).
    pub transport: String,
    /// Priority, 1 to 2^31-1 (RFC 8445 §5.1.2).
    pub priority: u32,
    /// Connection address: an IP address or an FQDN (mDNS `.local` names included).
    pub address: String,
    /// Port.
    pub port: u16,
    /// `typ`.
    pub kind: CandidateType,
    /// `raddr`: the related address, for reflexive and relayed candidates.
    pub related_address: Option<String>,
    /// `rport`: the related port.
    pub related_port: Option<u16>,
    /// `tcptype` (RFC 6544), the first one if several.
    pub tcp_type: Option<TcpType>,
    /// Other name/value extensions in order (`generation 0`, `ufrag x`, `network-id 1`...).
    pub extensions: Vec<(String, String)>,
}

impl Candidate {
    /// Parses the value of `a=candidate:`; non-fatal problems (foundation, component and
    /// priority ranges) go to `notes`.
    pub(crate) fn parse(value: &str, notes: &mut Vec<Problem>) -> Result<Candidate, Problem> {
        let bad = |detail: &str| problem(&rules::ICE_CANDIDATE, detail.to_string());
        let f = fields(value).ok_or_else(|| bad("empty field (stray space)"))?;
        if f.len() < 8 {
            return Err(bad("fewer than 8 fields"));
        }
        let component: u16 = decimal(f[1]).ok_or_else(|| bad("component id is not a number"))?;
        let priority: u32 = decimal(f[3]).ok_or_else(|| bad("priority is not a 32-bit number"))?;
        let port: u16 = decimal(f[5]).ok_or_else(|| bad("port is not 0-65535"))?;
        if f[6] != "typ" {
            return Err(bad("the seventh field is not `typ`"));
        }
        if !is_token(f[2]) || !is_token(f[7]) {
            return Err(bad("transport or type is not a token"));
        }
        let mut candidate = Candidate {
            foundation: f[0].to_string(),
            component,
            transport: f[2].to_string(),
            priority,
            address: f[4].to_string(),
            port,
            kind: CandidateType::parse(f[7]),
            related_address: None,
            related_port: None,
            tcp_type: None,
            extensions: Vec::new(),
        };
        let mut rest = &f[8..];
        if rest.len() >= 2 && rest[0] == "raddr" {
            candidate.related_address = Some(rest[1].to_string());
            rest = &rest[2..];
        }
        if rest.len() >= 2 && rest[0] == "rport" {
            let port = decimal(rest[1]).ok_or_else(|| bad("rport is not 0-65535"))?;
            candidate.related_port = Some(port);
            rest = &rest[2..];
        }
        if rest.len() % 2 != 0 {
            return Err(bad("an extension name without a value"));
        }
        for pair in rest.chunks(2) {
            if pair[0] == "tcptype" && candidate.tcp_type.is_none() {
                let kind = TcpType::parse(pair[1])
                    .ok_or_else(|| bad("tcptype is not active, passive or so"))?;
                candidate.tcp_type = Some(kind);
            } else {
                candidate
                    .extensions
                    .push((pair[0].to_string(), pair[1].to_string()));
            }
        }
        let foundation = &candidate.foundation;
        if foundation.len() > 32 || !is_ice_chars(foundation) {
            notes.push(problem(
                &rules::ICE_FOUNDATION,
                format!("foundation {foundation:?}"),
            ));
        }
        if !(1..=256).contains(&component) {
            notes.push(problem(
                &rules::ICE_COMPONENT,
                format!("component id {component}"),
            ));
        }
        if !(1..=0x7fff_ffff).contains(&priority) {
            notes.push(problem(
                &rules::ICE_PRIORITY,
                format!("priority {priority}"),
            ));
        }
        Ok(candidate)
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.kind.as_str()
        )?;
        if let Some(addr) = &self.related_address {
            write!(f, " raddr {addr}")?;
        }
        if let Some(port) = self.related_port {
            write!(f, " rport {port}")?;
        }
        if let Some(kind) = self.tcp_type {
            write!(f, " tcptype {}", kind.as_str())?;
        }
        for (name, value) in &self.extensions {
            write!(f, " {name} {value}")?;
        }
        Ok(())
    }
}

/// Checks an ice-ufrag value (RFC 8839 §5.4: 4-256 ice-chars).
pub(crate) fn check_ufrag(ufrag: &str) -> Option<Problem> {
    (!(4..=256).contains(&ufrag.len()) || !is_ice_chars(ufrag)).then(|| {
        problem(
            &rules::ICE_UFRAG,
            format!("ice-ufrag {ufrag:?} ({} chars)", ufrag.len()),
        )
    })
}

/// Checks an ice-pwd value (RFC 8839 §5.4: 22-256 ice-chars).
pub(crate) fn check_pwd(pwd: &str) -> Option<Problem> {
    (!(22..=256).contains(&pwd.len()) || !is_ice_chars(pwd))
        .then(|| problem(&rules::ICE_PWD, format!("ice-pwd of {} chars", pwd.len())))
}

/// Parses `a=ice-options:` (RFC 8839 §5.6): option tags separated by single spaces.
pub(crate) fn parse_options(value: &str) -> Result<Vec<String>, Problem> {
    match fields(value) {
        Some(tags) if tags.iter().all(|t| is_ice_chars(t) || is_token(t)) => {
            Ok(tags.into_iter().map(str::to_string).collect())
        }
        _ => Err(problem(
            &rules::ICE_OPTIONS,
            format!("ice-options {value:?}"),
        )),
    }
}

/// One entry of `a=remote-candidates` (RFC 8839 §5.2): the remote candidate a controlling
/// agent selected for a component.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemoteCandidate {
    /// Component id.
    pub component: u16,
    /// Connection address.
    pub address: String,
    /// Port.
    pub port: u16,
}

/// Parses `a=remote-candidates:` (RFC 8839 §5.2): one or more `component address port`
/// triples separated by spaces.
pub(crate) fn parse_remote_candidates(value: &str) -> Result<Vec<RemoteCandidate>, Problem> {
    let bad = || {
        problem(
            &rules::ICE_REMOTE_CANDIDATES,
            format!("remote-candidates {value:?}"),
        )
    };
    let f = fields(value).ok_or_else(bad)?;
    if f.len() % 3 != 0 {
        return Err(bad());
    }
    f.chunks(3)
        .map(|c| {
            Ok(RemoteCandidate {
                component: decimal(c[0]).ok_or_else(bad)?,
                address: c[1].to_string(),
                port: decimal(c[2]).ok_or_else(bad)?,
            })
        })
        .collect()
}

impl fmt::Display for RemoteCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.component, self.address, self.port)
    }
}
