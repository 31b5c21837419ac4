//! A media description (RFC 8866 §5.14): the `m=` line and the `i c b k a` lines under it,
//! with the helpers applications want: the codec list, the resolved direction, ICE and
//! DTLS parameters looked up at media then session level.

use crate::attribute::Attribute;
use crate::connection::Connection;
use crate::direction::Direction;
use crate::dtls::{Fingerprint, Setup};
use crate::gb28181::{MediaFormat, StreamSsrc};
use crate::ice::Candidate;
use crate::rtpmap::{Codec, static_payload_type};
use crate::session::{
    Bandwidth, OtherLine, SessionDescription, attribute_in, control_in, direction_in, line, others,
    stray_others,
};
use std::fmt;

/// One `m=` section (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaDescription {
    /// Media type: `audio`, `video`, `application`, `text`, `message`.
    pub media: String,
    /// Transport port; 0 rejects or disables the stream (RFC 3264 §6) and RTSP uses it too.
    pub port: u16,
    /// The `/<number of ports>` suffix, if any.
    pub port_count: Option<u16>,
    /// Transport protocol: `RTP/AVP`, `UDP/TLS/RTP/SAVPF`, `TCP/RTP/AVP`, `UDP/DTLS/SCTP`...
    pub protocol: String,
    /// Media formats: RTP payload types for RTP protocols, else protocol-specific.
    pub formats: Vec<String>,
    /// `i=`: media title.
    pub title: Option<String>,
    /// `c=` lines.
    pub connections: Vec<Connection>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=` (obsolete), as written.
    pub key: Option<String>,
    /// Attributes, in order.
    pub attributes: Vec<Attribute>,
    /// GB28181 `y=`.
    pub stream_ssrc: Option<StreamSsrc>,
    /// GB28181 `f=`.
    pub media_format: Option<MediaFormat>,
    /// Lines kept as written (see [`OtherLine`]).
    pub other_lines: Vec<OtherLine>,
}

/// The media-level groups in writing order (`m` is the m= line itself).
pub(crate) const MEDIA_GROUPS: &str = "micbkayf";

impl MediaDescription {
    /// An m= section with no lines under it.
    pub fn new(media: &str, port: u16, protocol: &str, formats: &[&str]) -> MediaDescription {
        MediaDescription {
            media: media.to_string(),
            port,
            port_count: None,
            protocol: protocol.to_string(),
            formats: formats.iter().map(|f| f.to_string()).collect(),
            title: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
            stream_ssrc: None,
            media_format: None,
            other_lines: Vec::new(),
        }
    }

    /// Whether the protocol carries RTP (its formats are payload types, RFC 8866 §5.14).
    pub fn is_rtp(&self) -> bool {
        self.protocol.split('/').any(|p| p == "RTP")
    }

    /// Whether the m= line is rejected or disabled (port 0, RFC 3264 §6), outside RTSP use.
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// The formats that are payload types 0-127.
    pub fn payload_types(&self) -> Vec<u8> {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok().filter(|pt| *pt <= 127))
            .collect()
    }

    /// `a=mid`, if any.
    pub fn mid(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Mid(m) => Some(m.as_str()),
            _ => None,
        })
    }

    /// The media-level `a=control` URL (RFC 7826 §22.15), absolute or relative to the
    /// session's.
    pub fn control(&self) -> Option<&str> {
        control_in(&self.attributes)
    }

    /// The value of the first attribute named `name`, typed or not (see
    /// [`SessionDescription::attribute`]).
    pub fn attribute(&self, name: &str) -> Option<Option<String>> {
        attribute_in(&self.attributes, name)
    }

    /// The media-level direction attribute, if any (the first).
    pub fn direction_attribute(&self) -> Option<Direction> {
        direction_in(&self.attributes)
    }

    /// The direction in force (RFC 8866 §6.7): media level, else session level, else
    /// sendrecv.
    pub fn direction(&self, session: &SessionDescription) -> Direction {
        self.direction_attribute()
            .or(session.direction_attribute())
            .unwrap_or_default()
    }

    /// The codec list: every payload type of the m= line with its rtpmap (or RFC 3551
    /// static assignment) and fmtp, in m= order.
    pub fn codecs(&self) -> Vec<Codec> {
        self.payload_types()
            .into_iter()
            .map(|pt| {
                let rtpmap = self.attributes.iter().find_map(|a| match a {
                    Attribute::Rtpmap(r) if r.payload_type == pt => Some(r),
                    _ => None,
                });
                let fmtp = self.attributes.iter().find_map(|a| match a {
                    Attribute::Fmtp(f) if f.format.parse::<u8>() == Ok(pt) => Some(f.clone()),
                    _ => None,
                });
                let (name, clock_rate, channels) = match rtpmap {
                    Some(r) => (
                        r.encoding.clone(),
                        r.clock_rate,
                        r.parameters.as_deref().and_then(|p| p.parse().ok()),
                    ),
                    None => match static_payload_type(pt) {
                        Some((name, rate, channels)) => (name.to_string(), rate, channels),
                        None => (String::new(), 0, None),
                    },
                };
                Codec {
                    payload_type: pt,
                    name,
                    clock_rate,
                    channels,
                    fmtp,
                }
            })
            .collect()
    }

    /// The ICE candidates of this section.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Candidate(c) => Some(c),
            _ => None,
        })
    }

    /// ice-ufrag at media level, else session level (RFC 8839 §5.4).
    pub fn ice_ufrag<'a>(&'a self, session: &'a SessionDescription) -> Option<&'a str> {
        let find = |attrs: &'a [Attribute]| {
            attrs.iter().find_map(|a| match a {
                Attribute::IceUfrag(v) => Some(v.as_str()),
                _ => None,
            })
        };
        find(&self.attributes).or_else(|| find(&session.attributes))
    }

    /// ice-pwd at media level, else session level (RFC 8839 §5.4).
    pub fn ice_pwd<'a>(&'a self, session: &'a SessionDescription) -> Option<&'a str> {
        let find = |attrs: &'a [Attribute]| {
            attrs.iter().find_map(|a| match a {
                Attribute::IcePwd(v) => Some(v.as_str()),
                _ => None,
            })
        };
        find(&self.attributes).or_else(|| find(&session.attributes))
    }

    /// setup at media level, else session level (RFC 8842 §5).
    pub fn setup(&self, session: &SessionDescription) -> Option<Setup> {
        let find = |attrs: &[Attribute]| {
            attrs.iter().find_map(|a| match a {
                Attribute::Setup(s) => Some(*s),
                _ => None,
            })
        };
        find(&self.attributes).or_else(|| find(&session.attributes))
    }

    /// The fingerprints at media level, else at session level (RFC 8122 §5).
    pub fn fingerprints<'a>(&'a self, session: &'a SessionDescription) -> Vec<&'a Fingerprint> {
        let find = |attrs: &'a [Attribute]| -> Vec<&'a Fingerprint> {
            attrs
                .iter()
                .filter_map(|a| match a {
                    Attribute::Fingerprint(f) => Some(f),
                    _ => None,
                })
                .collect()
        };
        let media = find(&self.attributes);
        if media.is_empty() {
            find(&session.attributes)
        } else {
            media
        }
    }

    /// Appends this section's canonical text.
    pub(crate) fn write_to(&self, o: &mut String) {
        for group in MEDIA_GROUPS.chars() {
            match group {
                'm' => {
                    let count = self.port_count.map(|c| format!("/{c}")).unwrap_or_default();
                    let mut value =
                        format!("{} {}{count} {}", self.media, self.port, self.protocol);
                    for f in &self.formats {
                        value.push(' ');
                        value.push_str(f);
                    }
                    line(o, 'm', value);
                }
                'i' => self.title.iter().for_each(|v| line(o, 'i', v)),
                'c' => self.connections.iter().for_each(|v| line(o, 'c', v)),
                'b' => self.bandwidths.iter().for_each(|v| line(o, 'b', v)),
                'k' => self.key.iter().for_each(|v| line(o, 'k', v)),
                'a' => self.attributes.iter().for_each(|v| line(o, 'a', v)),
                'y' => self.stream_ssrc.iter().for_each(|v| line(o, 'y', v)),
                _ => self.media_format.iter().for_each(|v| line(o, 'f', v)),
            }
            others(o, &self.other_lines, group);
        }
        stray_others(o, &self.other_lines, MEDIA_GROUPS);
    }
}

impl fmt::Display for MediaDescription {
    /// The section's canonical text, from its m= line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_to(&mut out);
        f.write_str(&out)
    }
}
