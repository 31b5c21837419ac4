//! The session description (RFC 8866 §5): session-level fields, its media descriptions, and
//! the canonical writer (CRLF line ends, lines in the grammar's order, unknown lines back
//! after the line they followed).

use crate::attribute::Attribute;
use crate::bundle::Group;
use crate::connection::Connection;
use crate::direction::Direction;
use crate::gb28181::{MediaFormat, StreamSsrc};
use crate::media::MediaDescription;
use std::fmt::{self, Write as _};

/// `o=` (RFC 8866 §5.2): who created the session, its id and version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// User name, `-` if none.
    pub username: String,
    /// Numeric session id, as written.
    pub session_id: String,
    /// Numeric session version, as written.
    pub session_version: String,
    /// Network type, address type and unicast address of the creator.
    pub address: Connection,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.username, self.session_id, self.session_version, self.address
        )
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8), e.g. `AS:256` (kbit/s), `TIAS:128000` (bit/s).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// Bandwidth type: `CT`, `AS`, `TIAS` (RFC 3890), ...
    pub kind: String,
    /// The value.
    pub value: u64,
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// `t=` with its `r=` lines (RFC 8866 §5.9, §5.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Timing {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
    /// The `r=` lines that follow, as written.
    pub repeats: Vec<String>,
}

/// A line kept as written: an unknown type letter, a line the grammar does not allow where
/// it stands, or a known line that did not parse (each reported as a violation). It is
/// written back after the lines of type `after` of its section (the type of the last
/// well-formed line before it), so parse → write → parse keeps it in place.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherLine {
    /// The type letter.
    pub kind: char,
    /// The value after `=`.
    pub value: String,
    /// The type letter of the well-formed line group it follows (`t` for after `r=`).
    pub after: char,
}

/// A whole session description (RFC 8866 §5). Build one by hand or with [`crate::parse`];
/// [`fmt::Display`] (and [`SessionDescription::write`]) gives canonical CRLF text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionDescription {
    /// `v=`, always 0 in RFC 8866.
    pub version: u32,
    /// `o=`.
    pub origin: Origin,
    /// `s=` (empty if missing, reported).
    pub session_name: String,
    /// `i=`: session information.
    pub information: Option<String>,
    /// `u=`: URI of a description.
    pub uri: Option<String>,
    /// `e=` lines.
    pub emails: Vec<String>,
    /// `p=` lines.
    pub phones: Vec<String>,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines with their `r=` lines.
    pub times: Vec<Timing>,
    /// `z=`: time zone adjustments, as written.
    pub time_zones: Option<String>,
    /// `k=` (obsolete), as written.
    pub key: Option<String>,
    /// Session-level attributes, in order.
    pub attributes: Vec<Attribute>,
    /// GB28181 `y=` at session level.
    pub stream_ssrc: Option<StreamSsrc>,
    /// GB28181 `f=` at session level.
    pub media_format: Option<MediaFormat>,
    /// Lines kept as written (see [`OtherLine`]).
    pub other_lines: Vec<OtherLine>,
    /// The media descriptions, in order.
    pub media: Vec<MediaDescription>,
}

impl Default for SessionDescription {
    /// `v=0`, `o=- 0 0 IN IP4 0.0.0.0`, `s=-`, `t=0 0`: the shell of a WebRTC description.
    fn default() -> Self {
        SessionDescription {
            version: 0,
            origin: Origin {
                username: "-".into(),
                session_id: "0".into(),
                session_version: "0".into(),
                address: Connection {
                    net_type: "IN".into(),
                    addr_type: "IP4".into(),
                    address: "0.0.0.0".into(),
                },
            },
            session_name: "-".into(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: vec![Timing::default()],
            time_zones: None,
            key: None,
            attributes: Vec::new(),
            stream_ssrc: None,
            media_format: None,
            other_lines: Vec::new(),
            media: Vec::new(),
        }
    }
}

impl SessionDescription {
    /// Canonical text: CRLF line ends, the grammar's order (RFC 8866 §5).
    pub fn write(&self) -> String {
        self.to_string()
    }

    /// The session-level groups (RFC 5888).
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Group(g) => Some(g),
            _ => None,
        })
    }

    /// The session-level direction attribute, if any (the first).
    pub fn direction_attribute(&self) -> Option<Direction> {
        direction_in(&self.attributes)
    }

    /// Whether the session is ICE lite (RFC 8839 §5.3).
    pub fn ice_lite(&self) -> bool {
        self.attributes.contains(&Attribute::IceLite)
    }

    /// The BUNDLE groups (RFC 9143); the first mid of each is its tag.
    pub fn bundle_groups(&self) -> impl Iterator<Item = &Group> {
        self.groups().filter(|g| g.is_bundle())
    }

    /// The media description with this mid (RFC 5888 §4).
    pub fn media_by_mid(&self, mid: &str) -> Option<&MediaDescription> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// The session-level `a=control` URL (RFC 7826 §22.15; `*` for the request URL).
    pub fn control(&self) -> Option<&str> {
        control_in(&self.attributes)
    }

    /// The value of the first attribute named `name`, typed or not: `Some(None)` for a
    /// flag, `Some(Some(value))` for a value (as it would be written), `None` if absent.
    /// For attributes this crate does not type (`a=connection:new`, `a=framerate:25`).
    pub fn attribute(&self, name: &str) -> Option<Option<String>> {
        attribute_in(&self.attributes, name)
    }
}

/// The first direction attribute of a list.
pub(crate) fn direction_in(attributes: &[Attribute]) -> Option<Direction> {
    attributes.iter().find_map(|a| match a {
        Attribute::Direction(d) => Some(*d),
        _ => None,
    })
}

/// The first `a=control` of a list.
pub(crate) fn control_in(attributes: &[Attribute]) -> Option<&str> {
    attributes.iter().find_map(|a| match a {
        Attribute::Control(c) => Some(c.as_str()),
        _ => None,
    })
}

/// The first attribute named `name` of a list, as flag or written value.
pub(crate) fn attribute_in(attributes: &[Attribute], name: &str) -> Option<Option<String>> {
    let a = attributes.iter().find(|a| a.name() == name)?;
    let text = a.to_string();
    Some(text.split_once(':').map(|(_, v)| v.to_string()))
}

/// Writes one `<kind>=<value>` line with CRLF.
pub(crate) fn line(out: &mut String, kind: char, value: impl fmt::Display) {
    let _ = write!(out, "{kind}={value}\r\n");
}

/// Writes the other lines of a section that follow group `after`.
pub(crate) fn others(out: &mut String, lines: &[OtherLine], after: char) {
    for l in lines.iter().filter(|l| l.after == after) {
        line(out, l.kind, &l.value);
    }
}

/// Writes the other lines whose `after` is none of `groups` (hand-built values).
pub(crate) fn stray_others(out: &mut String, lines: &[OtherLine], groups: &str) {
    for l in lines.iter().filter(|l| !groups.contains(l.after)) {
        line(out, l.kind, &l.value);
    }
}

/// The session-level groups in writing order.
pub(crate) const SESSION_GROUPS: &str = "vosiuepcbtzkayf";

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let o = &mut out;
        for group in SESSION_GROUPS.chars() {
            match group {
                'v' => line(o, 'v', self.version),
                'o' => line(o, 'o', &self.origin),
                's' => line(o, 's', &self.session_name),
                'i' => self.information.iter().for_each(|v| line(o, 'i', v)),
                'u' => self.uri.iter().for_each(|v| line(o, 'u', v)),
                'e' => self.emails.iter().for_each(|v| line(o, 'e', v)),
                'p' => self.phones.iter().for_each(|v| line(o, 'p', v)),
                'c' => self.connection.iter().for_each(|v| line(o, 'c', v)),
                'b' => self.bandwidths.iter().for_each(|v| line(o, 'b', v)),
                't' => {
                    for t in &self.times {
                        line(o, 't', format_args!("{} {}", t.start, t.stop));
                        t.repeats.iter().for_each(|r| line(o, 'r', r));
                    }
                }
                'z' => self.time_zones.iter().for_each(|v| line(o, 'z', v)),
                'k' => self.key.iter().for_each(|v| line(o, 'k', v)),
                'a' => self.attributes.iter().for_each(|v| line(o, 'a', v)),
                'y' => self.stream_ssrc.iter().for_each(|v| line(o, 'y', v)),
                _ => self.media_format.iter().for_each(|v| line(o, 'f', v)),
            }
            others(o, &self.other_lines, group);
        }
        stray_others(o, &self.other_lines, SESSION_GROUPS);
        for media in &self.media {
            media.write_to(o);
        }
        f.write_str(&out)
    }
}
