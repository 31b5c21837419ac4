//! `a=` lines (RFC 8866 §5.13): the typed attributes this crate knows, and every other
//! attribute kept as its name and value so that writing gives it back.

use crate::bundle::Group;
use crate::direction::Direction;
use crate::dtls::{Fingerprint, Setup};
use crate::extmap::Extmap;
use crate::ice::{self, Candidate, RemoteCandidate};
use crate::rtcp::{Rtcp, RtcpFb};
use crate::rtpmap::{Fmtp, Rtpmap, parse_ptime};
use crate::rtsp::Range;
use crate::rules;
use crate::sctp;
use crate::simulcast::{Rid, Simulcast};
use crate::ssrc::{Msid, Ssrc, SsrcGroup};
use crate::text::{Problem, is_token, problem};
use std::fmt;

/// One attribute line. Known attributes are typed; one that is unknown, or known but
/// malformed (reported as a violation), is [`Attribute::Other`] with its text as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Attribute {
    /// `ice-ufrag` (RFC 8839 §5.4).
    IceUfrag(String),
    /// `ice-pwd` (RFC 8839 §5.4).
    IcePwd(String),
    /// `ice-lite` (RFC 8839 §5.3), session level.
    IceLite,
    /// `ice-options` (RFC 8839 §5.6): option tags such as `trickle`.
    IceOptions(Vec<String>),
    /// `candidate` (RFC 8839 §5.1).
    Candidate(Candidate),
    /// `end-of-candidates` (RFC 8840 §8.2).
    EndOfCandidates,
    /// `remote-candidates` (RFC 8839 §5.2), media level.
    RemoteCandidates(Vec<RemoteCandidate>),
    /// `ice-mismatch` (RFC 8839 §5.5), media level.
    IceMismatch,
    /// `fingerprint` (RFC 8122 §5).
    Fingerprint(Fingerprint),
    /// `setup` (RFC 4145 §4, RFC 8842 §5).
    Setup(Setup),
    /// `group` (RFC 5888 §5), session level.
    Group(Group),
    /// `mid` (RFC 5888 §4), media level.
    Mid(String),
    /// `bundle-only` (RFC 9143 §6), media level.
    BundleOnly,
    /// `rtcp-mux` (RFC 5761 §5.1.1).
    RtcpMux,
    /// `rtcp-rsize` (RFC 5506 §5).
    RtcpRsize,
    /// `rtcp` (RFC 3605 §2.1).
    Rtcp(Rtcp),
    /// `rtcp-fb` (RFC 4585 §4.2).
    RtcpFb(RtcpFb),
    /// `rtpmap` (RFC 8866 §6.6).
    Rtpmap(Rtpmap),
    /// `fmtp` (RFC 8866 §6.15).
    Fmtp(Fmtp),
    /// `ssrc` (RFC 5576 §4.1).
    Ssrc(Ssrc),
    /// `ssrc-group` (RFC 5576 §4.2).
    SsrcGroup(SsrcGroup),
    /// `msid` (RFC 8830 §2).
    Msid(Msid),
    /// `extmap` (RFC 8285 §5).
    Extmap(Extmap),
    /// `extmap-allow-mixed` (RFC 8285 §6): one- and two-byte headers may be mixed.
    ExtmapAllowMixed,
    /// `ptime` (RFC 8866 §6.4), media level: milliseconds of media per packet, as written.
    Ptime(String),
    /// `maxptime` (RFC 8866 §6.5), media level, as written.
    MaxPtime(String),
    /// `sctp-port` (RFC 8841 §5), media level.
    SctpPort(u16),
    /// `max-message-size` (RFC 8841 §6), media level.
    MaxMessageSize(u64),
    /// `rid` (RFC 8851 §10).
    Rid(Rid),
    /// `simulcast` (RFC 8853 §5.1).
    Simulcast(Simulcast),
    /// `sendrecv`, `sendonly`, `recvonly`, `inactive` (RFC 8866 §6.7).
    Direction(Direction),
    /// `control` (RFC 7826 §22.15, RFC 2326 C.1.1): the URL of a presentation or stream.
    Control(String),
    /// `range` (RFC 7826 §22.15, RFC 2326 C.1.5).
    Range(Range),
    /// Any other attribute (or a known one that did not parse), as written.
    Other {
        /// The attribute name.
        name: String,
        /// The value after `:`, if there was a colon.
        value: Option<String>,
    },
}

/// Where an attribute may appear (RFC 8866 §6 and each attribute's definition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Session,
    Media,
    Both,
}

impl Attribute {
    /// Parses one `a=` value. Problems with a known attribute are pushed to `notes`; if it
    /// cannot be typed it comes back as [`Attribute::Other`].
    pub(crate) fn parse(line: &str, notes: &mut Vec<Problem>) -> Attribute {
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, Some(value)),
            None => (line, None),
        };
        let other = || Attribute::Other {
            name: name.to_string(),
            value: value.map(str::to_string),
        };
        if !is_token(name) {
            notes.push(problem(
                &rules::ATTRIBUTE_SYNTAX,
                format!("attribute name {name:?} is not a token"),
            ));
            return other();
        }
        match Self::typed(name, value, notes) {
            Ok(Some(attribute)) => attribute,
            Ok(None) => other(),
            Err(p) => {
                notes.push(p);
                other()
            }
        }
    }

    fn typed(
        name: &str,
        value: Option<&str>,
        notes: &mut Vec<Problem>,
    ) -> Result<Option<Attribute>, Problem> {
        let flag = |attribute: Attribute| match value {
            None => Ok(Some(attribute)),
            Some(_) => Err(problem(
                &rules::ATTRIBUTE_SYNTAX,
                format!("{name} takes no value"),
            )),
        };
        if let Some(direction) = Direction::from_name(name) {
            return flag(Attribute::Direction(direction));
        }
        match name {
            "ice-lite" => return flag(Attribute::IceLite),
            "end-of-candidates" => return flag(Attribute::EndOfCandidates),
            "rtcp-mux" => return flag(Attribute::RtcpMux),
            "rtcp-rsize" => return flag(Attribute::RtcpRsize),
            "ice-mismatch" => return flag(Attribute::IceMismatch),
            "bundle-only" => return flag(Attribute::BundleOnly),
            "extmap-allow-mixed" => return flag(Attribute::ExtmapAllowMixed),
            _ => {}
        }
        type Parse = fn(&str, &mut Vec<Problem>) -> Result<Attribute, Problem>;
        let parse: Parse = match name {
            "ice-ufrag" => |v, notes| {
                notes.extend(ice::check_ufrag(v));
                Ok(Attribute::IceUfrag(v.to_string()))
            },
            "ice-pwd" => |v, notes| {
                notes.extend(ice::check_pwd(v));
                Ok(Attribute::IcePwd(v.to_string()))
            },
            "ice-options" => |v, _| ice::parse_options(v).map(Attribute::IceOptions),
            "candidate" => |v, notes| Candidate::parse(v, notes).map(Attribute::Candidate),
            "remote-candidates" => {
                |v, _| ice::parse_remote_candidates(v).map(Attribute::RemoteCandidates)
            }
            "fingerprint" => |v, notes| Fingerprint::parse(v, notes).map(Attribute::Fingerprint),
            "setup" => |v, _| Setup::parse(v).map(Attribute::Setup),
            "group" => |v, _| Group::parse(v).map(Attribute::Group),
            "mid" => |v, _| Ok(Attribute::Mid(v.to_string())),
            "rtcp" => |v, _| Rtcp::parse(v).map(Attribute::Rtcp),
            "rtcp-fb" => |v, _| RtcpFb::parse(v).map(Attribute::RtcpFb),
            "rtpmap" => |v, _| Rtpmap::parse(v).map(Attribute::Rtpmap),
            "fmtp" => |v, _| Fmtp::parse(v).map(Attribute::Fmtp),
            "ptime" => |v, _| parse_ptime(v).map(Attribute::Ptime),
            "maxptime" => |v, _| parse_ptime(v).map(Attribute::MaxPtime),
            "ssrc" => |v, _| Ssrc::parse(v).map(Attribute::Ssrc),
            "ssrc-group" => |v, _| SsrcGroup::parse(v).map(Attribute::SsrcGroup),
            "msid" => |v, _| Msid::parse(v).map(Attribute::Msid),
            "extmap" => |v, _| Extmap::parse(v).map(Attribute::Extmap),
            "rid" => |v, _| Rid::parse(v).map(Attribute::Rid),
            "simulcast" => |v, _| Simulcast::parse(v).map(Attribute::Simulcast),
            "control" => |v, _| Ok(Attribute::Control(v.to_string())),
            "range" => |v, _| Range::parse(v).map(Attribute::Range),
            "sctp-port" => |v, _| sctp::parse_port(v).map(Attribute::SctpPort),
            "max-message-size" => {
                |v, _| sctp::parse_max_message_size(v).map(Attribute::MaxMessageSize)
            }
            _ => return Ok(None),
        };
        let Some(v) = value else {
            return Err(problem(
                &rules::ATTRIBUTE_SYNTAX,
                format!("{name} needs a value"),
            ));
        };
        parse(v, notes).map(Some)
    }

    /// The attribute name as written on the wire.
    pub fn name(&self) -> &str {
        match self {
            Attribute::IceUfrag(_) => "ice-ufrag",
            Attribute::IcePwd(_) => "ice-pwd",
            Attribute::IceLite => "ice-lite",
            Attribute::IceOptions(_) => "ice-options",
            Attribute::Candidate(_) => "candidate",
            Attribute::EndOfCandidates => "end-of-candidates",
            Attribute::RemoteCandidates(_) => "remote-candidates",
            Attribute::IceMismatch => "ice-mismatch",
            Attribute::BundleOnly => "bundle-only",
            Attribute::ExtmapAllowMixed => "extmap-allow-mixed",
            Attribute::Ptime(_) => "ptime",
            Attribute::MaxPtime(_) => "maxptime",
            Attribute::SctpPort(_) => "sctp-port",
            Attribute::MaxMessageSize(_) => "max-message-size",
            Attribute::Fingerprint(_) => "fingerprint",
            Attribute::Setup(_) => "setup",
            Attribute::Group(_) => "group",
            Attribute::Mid(_) => "mid",
            Attribute::RtcpMux => "rtcp-mux",
            Attribute::RtcpRsize => "rtcp-rsize",
            Attribute::Rtcp(_) => "rtcp",
            Attribute::RtcpFb(_) => "rtcp-fb",
            Attribute::Rtpmap(_) => "rtpmap",
            Attribute::Fmtp(_) => "fmtp",
            Attribute::Ssrc(_) => "ssrc",
            Attribute::SsrcGroup(_) => "ssrc-group",
            Attribute::Msid(_) => "msid",
            Attribute::Extmap(_) => "extmap",
            Attribute::Rid(_) => "rid",
            Attribute::Simulcast(_) => "simulcast",
            Attribute::Direction(d) => d.name(),
            Attribute::Control(_) => "control",
            Attribute::Range(_) => "range",
            Attribute::Other { name, .. } => name,
        }
    }

    fn level(&self) -> Level {
        /// Attributes defined for session level only, and for media level only.
        const SESSION: &[&str] = &["ice-lite", "group"];
        const MEDIA: &[&str] = &[
            "candidate",
            "mid",
            "rtcp-mux",
            "rtcp-rsize",
            "rtcp",
            "rtcp-fb",
            "rtpmap",
            "fmtp",
            "ssrc",
            "ssrc-group",
            "msid",
            "rid",
            "simulcast",
            "remote-candidates",
            "ice-mismatch",
            "bundle-only",
            "ptime",
            "maxptime",
            "sctp-port",
            "max-message-size",
        ];
        if matches!(self, Attribute::Other { .. }) {
            Level::Both
        } else if SESSION.contains(&self.name()) {
            Level::Session
        } else if MEDIA.contains(&self.name()) {
            Level::Media
        } else {
            Level::Both
        }
    }

    /// The level problem, if this attribute may not appear at the given level.
    pub(crate) fn check_level(&self, session: bool) -> Option<Problem> {
        let bad = match self.level() {
            Level::Session => !session,
            Level::Media => session,
            Level::Both => false,
        };
        bad.then(|| {
            let at = if session { "session" } else { "media" };
            problem(
                &rules::ATTRIBUTE_LEVEL,
                format!("{} is not allowed at {at} level", self.name()),
            )
        })
    }
}

impl fmt::Display for Attribute {
    /// The attribute as it follows `a=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match self {
            Attribute::IceLite
            | Attribute::EndOfCandidates
            | Attribute::RtcpMux
            | Attribute::RtcpRsize
            | Attribute::IceMismatch
            | Attribute::BundleOnly
            | Attribute::ExtmapAllowMixed
            | Attribute::Direction(_) => f.write_str(name),
            Attribute::IceUfrag(v)
            | Attribute::IcePwd(v)
            | Attribute::Mid(v)
            | Attribute::Control(v)
            | Attribute::Ptime(v)
            | Attribute::MaxPtime(v) => write!(f, "{name}:{v}"),
            Attribute::SctpPort(v) => write!(f, "{name}:{v}"),
            Attribute::MaxMessageSize(v) => write!(f, "{name}:{v}"),
            Attribute::RemoteCandidates(list) => {
                write!(f, "{name}:")?;
                for (i, c) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{c}")?;
                }
                Ok(())
            }
            Attribute::IceOptions(tags) => write!(f, "{name}:{}", tags.join(" ")),
            Attribute::Candidate(c) => write!(f, "{name}:{c}"),
            Attribute::Fingerprint(v) => write!(f, "{name}:{v}"),
            Attribute::Setup(v) => write!(f, "{name}:{v}"),
            Attribute::Group(v) => write!(f, "{name}:{v}"),
            Attribute::Rtcp(v) => write!(f, "{name}:{v}"),
            Attribute::RtcpFb(v) => write!(f, "{name}:{v}"),
            Attribute::Rtpmap(v) => write!(f, "{name}:{v}"),
            Attribute::Fmtp(v) => write!(f, "{name}:{v}"),
            Attribute::Ssrc(v) => write!(f, "{name}:{v}"),
            Attribute::SsrcGroup(v) => write!(f, "{name}:{v}"),
            Attribute::Msid(v) => write!(f, "{name}:{v}"),
            Attribute::Extmap(v) => write!(f, "{name}:{v}"),
            Attribute::Rid(v) => write!(f, "{name}:{v}"),
            Attribute::Simulcast(v) => write!(f, "{name}:{v}"),
            Attribute::Range(v) => write!(f, "{name}:{v}"),
            Attribute::Other { value: None, .. } => f.write_str(name),
            Attribute::Other { value: Some(v), .. } => write!(f, "{name}:{v}"),
        }
    }
}
