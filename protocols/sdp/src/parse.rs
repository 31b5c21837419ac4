//! The parser: lines (from [`crate::line`]) into a [`SessionDescription`], with the
//! violations found on the way. Liberal where it can be: a malformed optional line becomes
//! an [`OtherLine`] (or [`Attribute::Other`]) and a violation; only what leaves no session
//! description (no v= first, no or a broken o=, a broken m=, limits) is an error.

use crate::attribute::Attribute;
use crate::connection::Connection;
use crate::gb28181::{MediaFormat, StreamSsrc};
use crate::line::{self, Line};
use crate::media::MediaDescription;
use crate::rules;
use crate::session::{Bandwidth, Origin, OtherLine, SessionDescription, Timing};
use crate::text::{Problem, decimal, fields, is_token};
use crate::{Error, Limits};
use std::collections::{HashMap, HashSet};
use weir_media::{Rule, Violation};

/// A section being filled: the session or one media description, with where each of its
/// attributes was.
struct Section {
    attribute_offsets: Vec<u64>,
    seen: HashSet<char>,
    rank: usize,
    after: char,
    offset: u64,
}

impl Section {
    fn new(offset: u64, after: char) -> Section {
        Section {
            attribute_offsets: Vec::new(),
            seen: HashSet::new(),
            rank: 0,
            after,
            offset,
        }
    }
}

struct Parser {
    violations: Vec<Violation>,
}

impl Parser {
    fn violate(&mut self, rule: &'static Rule, offset: u64, detail: impl Into<String>) {
        self.violations.push(Violation::new(rule, offset, detail));
    }

    /// What a line's value parsed to; when it did not, the line breaks `rule`.
    fn checked<T>(&mut self, parsed: Option<T>, rule: &'static Rule, l: &Line) -> Option<T> {
        if parsed.is_none() {
            self.violate(rule, l.offset, format!("{}={:?}", l.kind, l.value));
        }
        parsed
    }

    fn notes(&mut self, notes: Vec<Problem>, offset: u64) {
        for p in notes {
            self.violate(p.rule, offset, p.detail);
        }
    }
}

/// Parses with explicit limits; see [`crate::parse`].
pub fn parse_with(
    input: &[u8],
    limits: &Limits,
) -> Result<(SessionDescription, Vec<Violation>), Error> {
    let mut violations = Vec::new();
    let lines = line::split(input, limits, &mut violations)?;
    let mut p = Parser { violations };
    let Some(first) = lines.first() else {
        return Err(Error::rule(&rules::LINE_FIRST_VERSION, 0, "no lines"));
    };
    if first.kind != 'v' {
        return Err(Error::rule(
            &rules::LINE_FIRST_VERSION,
            first.offset,
            format!("the first line is {}=, not v=", first.kind),
        ));
    }
    let version = decimal::<u32>(first.value).ok_or_else(|| {
        Error::rule(
            &rules::VERSION_VALUE,
            first.offset,
            format!("v={:?}", first.value),
        )
    })?;
    if version != 0 {
        p.violate(&rules::VERSION_VALUE, first.offset, format!("v={version}"));
    }
    let mut sd = SessionDescription {
        version,
        session_name: String::new(),
        times: Vec::new(),
        ..SessionDescription::default()
    };
    let mut origin: Option<Origin> = None;
    let mut session_name = false;
    let mut session = Section::new(0, 'v');
    session.seen.insert('v');
    let mut media: Vec<(MediaDescription, Section)> = Vec::new();

    for l in &lines[1..] {
        if l.kind != 's' && l.value.starts_with([' ', '\t']) {
            p.violate(
                &rules::LINE_WHITESPACE,
                l.offset,
                format!("whitespace after {}=", l.kind),
            );
        }
        if l.kind == 'm' {
            if let Some((m, section)) = media.last_mut() {
                p.finish_media(m, section, &sd);
            }
            if origin.is_none() {
                return Err(Error::rule(
                    &rules::ORIGIN_MISSING,
                    l.offset,
                    "no o= line before the first m= line",
                ));
            }
            let m = parse_media_line(l)?;
            p.check_formats(&m, l.offset);
            media.push((m, Section::new(l.offset, 'm')));
            continue;
        }
        match media.last_mut() {
            None => p.session_line(l, &mut sd, &mut session, &mut origin, &mut session_name)?,
            Some((m, section)) => p.media_line(l, m, section),
        }
    }
    if let Some((m, section)) = media.last_mut() {
        p.finish_media(m, section, &sd);
    }
    sd.origin = origin.ok_or_else(|| Error::rule(&rules::ORIGIN_MISSING, 0, "no o= line"))?;
    if !session_name || sd.session_name.is_empty() {
        p.violate(&rules::SESSION_NAME, 0, "no s= line, or an empty one");
    }
    if sd.times.is_empty() {
        p.violate(&rules::TIMING_MISSING, 0, "no t= line");
    }
    p.finish_session(&sd, &session, &media);
    let session_has = |kind| match kind {
        'i' => sd.information.is_some(),
        'u' => sd.uri.is_some(),
        'e' => !sd.emails.is_empty(),
        'p' => !sd.phones.is_empty(),
        'c' => sd.connection.is_some(),
        'b' => !sd.bandwidths.is_empty(),
        't' => !sd.times.is_empty(),
        'z' => sd.time_zones.is_some(),
        'k' => sd.key.is_some(),
        'a' => !sd.attributes.is_empty(),
        'y' => sd.stream_ssrc.is_some(),
        'f' => sd.media_format.is_some(),
        other => "vos".contains(other),
    };
    let mut others = std::mem::take(&mut sd.other_lines);
    in_writing_order(&mut others, crate::session::SESSION_GROUPS, session_has);
    sd.other_lines = others;
    sd.media = media
        .into_iter()
        .map(|(mut m, _)| {
            let media_has = |kind| match kind {
                'm' => true,
                'i' => m.title.is_some(),
                'c' => !m.connections.is_empty(),
                'b' => !m.bandwidths.is_empty(),
                'k' => m.key.is_some(),
                'a' => !m.attributes.is_empty(),
                'y' => m.stream_ssrc.is_some(),
                'f' => m.media_format.is_some(),
                _ => false,
            };
            let mut others = std::mem::take(&mut m.other_lines);
            in_writing_order(&mut others, crate::media::MEDIA_GROUPS, media_has);
            m.other_lines = others;
            m
        })
        .collect();
    // In input order (stable: findings about one line keep the order they were made in).
    p.violations.sort_by_key(|v| v.offset);
    Ok((sd, p.violations))
}

/// Keeps `l` as written, to be put back after group `after`.
fn keep_after(others: &mut Vec<OtherLine>, l: &Line, after: char) {
    others.push(OtherLine {
        kind: l.kind,
        value: l.value.to_string(),
        after,
    });
}

/// Settles where kept lines go back and orders them as the writer will put them: a kept
/// line of a type the section also has well-formed (a duplicate, or a malformed line) goes
/// right after that group, since on a second parse it will follow those lines; then by
/// the group they follow, stable within a group. So write → parse gives the same list.
fn in_writing_order(lines: &mut [OtherLine], groups: &str, has: impl Fn(char) -> bool) {
    for l in lines.iter_mut() {
        if l.kind != 'r' && groups.contains(l.kind) && has(l.kind) {
            l.after = l.kind;
        }
    }
    lines.sort_by_key(|l| groups.find(l.after).unwrap_or(groups.len()));
}

/// Rank of a session-level line type in the grammar's order (`r` ranks with `t`).
fn session_rank(kind: char) -> Option<usize> {
    let kind = if kind == 'r' { 't' } else { kind };
    crate::session::SESSION_GROUPS.find(kind)
}

/// Rank of a media-level line type in the grammar's order.
fn media_rank(kind: char) -> Option<usize> {
    crate::media::MEDIA_GROUPS.find(kind)
}

/// Parses an m= line: media, port[/count], protocol, formats.
fn parse_media_line(l: &Line) -> Result<MediaDescription, Error> {
    let bad = |rule: &'static Rule, detail: String| Error::rule(rule, l.offset, detail);
    let f = fields(l.value)
        .filter(|f| f.len() >= 3)
        .ok_or_else(|| bad(&rules::MEDIA_SYNTAX, format!("m={:?}", l.value)))?;
    if !is_token(f[0]) || !f[2].split('/').all(is_token) {
        return Err(bad(&rules::MEDIA_SYNTAX, format!("m={:?}", l.value)));
    }
    let (port, count) = match f[1].split_once('/') {
        Some((port, count)) => (port, Some(count)),
        None => (f[1], None),
    };
    let port_error = || bad(&rules::MEDIA_PORT, format!("port {:?}", f[1]));
    let port = decimal::<u16>(port).ok_or_else(port_error)?;
    let port_count = match count {
        Some(c) => Some(decimal::<u16>(c).ok_or_else(port_error)?),
        None => None,
    };
    let mut m = MediaDescription::new(f[0], port, f[2], &f[3..]);
    m.port_count = port_count;
    Ok(m)
}

/// Parses `<bwtype>:<bandwidth>`.
fn parse_bandwidth(value: &str) -> Option<Bandwidth> {
    let (kind, value) = value.split_once(':')?;
    Some(Bandwidth {
        kind: is_token(kind).then(|| kind.to_string())?,
        value: decimal(value)?,
    })
}

/// Parses `t=<start> <stop>`.
fn parse_timing(value: &str) -> Option<Timing> {
    match fields(value)?.as_slice() {
        [start, stop] => Some(Timing {
            start: decimal(start)?,
            stop: decimal(stop)?,
            repeats: Vec::new(),
        }),
        _ => None,
    }
}

/// A non-empty run of decimal digits of any length (session ids and versions).
fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses the six fields of o=.
fn parse_origin(value: &str) -> Option<Origin> {
    match fields(value)?.as_slice() {
        [user, id, version, net, addr_type, address] if all_digits(id) && all_digits(version) => {
            Some(Origin {
                username: user.to_string(),
                session_id: id.to_string(),
                session_version: version.to_string(),
                address: Connection::parse(&format!("{net} {addr_type} {address}"))?,
            })
        }
        _ => None,
    }
}

impl Parser {
    /// Checks the order of a line, and reports a second one of a once-only type; returns
    /// `None` if the line may be taken as its typed field, else the group it is kept after
    /// (a duplicate right after the line it repeats, so that writing keeps their order).
    fn place(
        &mut self,
        l: &Line,
        section: &mut Section,
        rank: Option<usize>,
        once: &str,
    ) -> Option<char> {
        let Some(rank) = rank else {
            self.violate(
                &rules::LINE_UNKNOWN_TYPE,
                l.offset,
                format!("unknown line type {}=", l.kind),
            );
            return Some(section.after);
        };
        if rank < section.rank {
            self.violate(
                &rules::LINE_ORDER,
                l.offset,
                format!("{}= after a line that must follow it", l.kind),
            );
        }
        section.rank = section.rank.max(rank);
        if once.contains(l.kind) && section.seen.contains(&l.kind) {
            self.violate(
                &rules::LINE_DUPLICATE,
                l.offset,
                format!("a second {}= line", l.kind),
            );
            return Some(l.kind);
        }
        None
    }

    fn keep(&mut self, others: &mut Vec<OtherLine>, l: &Line, section: &Section) {
        keep_after(others, l, section.after);
    }

    fn session_line(
        &mut self,
        l: &Line,
        sd: &mut SessionDescription,
        section: &mut Section,
        origin: &mut Option<Origin>,
        session_name: &mut bool,
    ) -> Result<(), Error> {
        if let Some(after) = self.place(l, section, session_rank(l.kind), "vosiuczkyf") {
            keep_after(&mut sd.other_lines, l, after);
            return Ok(());
        }
        let v = l.value;
        let ok = match l.kind {
            'o' => {
                let o = parse_origin(v).ok_or_else(|| {
                    Error::rule(&rules::ORIGIN_SYNTAX, l.offset, format!("o={v:?}"))
                })?;
                *origin = Some(o);
                true
            }
            's' => {
                *session_name = true;
                sd.session_name = v.to_string();
                true
            }
            'i' => {
                sd.information = Some(v.to_string());
                true
            }
            'u' => {
                sd.uri = Some(v.to_string());
                true
            }
            'e' => {
                sd.emails.push(v.to_string());
                true
            }
            'p' => {
                sd.phones.push(v.to_string());
                true
            }
            'c' => self
                .checked(Connection::parse(v), &rules::CONNECTION_SYNTAX, l)
                .map(|c| sd.connection = Some(c))
                .is_some(),
            'b' => self
                .checked(parse_bandwidth(v), &rules::BANDWIDTH_SYNTAX, l)
                .map(|b| sd.bandwidths.push(b))
                .is_some(),
            't' => self
                .checked(parse_timing(v), &rules::TIMING_SYNTAX, l)
                .map(|t| sd.times.push(t))
                .is_some(),
            'r' => match sd.times.last_mut() {
                Some(t) => {
                    t.repeats.push(v.to_string());
                    true
                }
                None => {
                    // Kept right after v=, where no t= can precede it on a second parse.
                    self.violate(&rules::LINE_ORDER, l.offset, "r= without a t= before it");
                    keep_after(&mut sd.other_lines, l, 'v');
                    return Ok(());
                }
            },
            'z' => {
                sd.time_zones = Some(v.to_string());
                true
            }
            'k' => {
                sd.key = Some(v.to_string());
                true
            }
            'a' => {
                let mut notes = Vec::new();
                let a = Attribute::parse(v, &mut notes);
                notes.extend(a.check_level(true));
                self.notes(notes, l.offset);
                sd.attributes.push(a);
                section.attribute_offsets.push(l.offset);
                true
            }
            'y' => self.gb_ssrc(l, &mut sd.stream_ssrc),
            'f' => self.gb_format(l, &mut sd.media_format),
            // v (a second one was caught by `place`)
            _ => false,
        };
        if ok {
            section.seen.insert(l.kind);
            section.after = if l.kind == 'r' { 't' } else { l.kind };
        } else {
            self.keep(&mut sd.other_lines, l, section);
        }
        Ok(())
    }

    fn gb_ssrc(&mut self, l: &Line, slot: &mut Option<StreamSsrc>) -> bool {
        match StreamSsrc::parse(l.value) {
            Ok(y) => {
                *slot = Some(y);
                true
            }
            Err(p) => {
                self.notes(vec![p], l.offset);
                false
            }
        }
    }

    fn gb_format(&mut self, l: &Line, slot: &mut Option<MediaFormat>) -> bool {
        match MediaFormat::parse(l.value) {
            Ok(f) => {
                *slot = Some(f);
                true
            }
            Err(p) => {
                self.notes(vec![p], l.offset);
                false
            }
        }
    }

    fn media_line(&mut self, l: &Line, m: &mut MediaDescription, section: &mut Section) {
        let rank = media_rank(l.kind);
        if rank.is_none() && session_rank(l.kind).is_some() {
            self.violate(
                &rules::LINE_ORDER,
                l.offset,
                format!("session-level {}= inside a media description", l.kind),
            );
            self.keep(&mut m.other_lines, l, section);
            return;
        }
        if let Some(after) = self.place(l, section, rank, "ikyf") {
            keep_after(&mut m.other_lines, l, after);
            return;
        }
        let v = l.value;
        let ok = match l.kind {
            'i' => {
                m.title = Some(v.to_string());
                true
            }
            'c' => self
                .checked(Connection::parse(v), &rules::CONNECTION_SYNTAX, l)
                .map(|c| m.connections.push(c))
                .is_some(),
            'b' => self
                .checked(parse_bandwidth(v), &rules::BANDWIDTH_SYNTAX, l)
                .map(|b| m.bandwidths.push(b))
                .is_some(),
            'k' => {
                m.key = Some(v.to_string());
                true
            }
            'a' => {
                let mut notes = Vec::new();
                let a = Attribute::parse(v, &mut notes);
                notes.extend(a.check_level(false));
                self.notes(notes, l.offset);
                m.attributes.push(a);
                section.attribute_offsets.push(l.offset);
                true
            }
            'y' => self.gb_ssrc(l, &mut m.stream_ssrc),
            _ => self.gb_format(l, &mut m.media_format),
        };
        if ok {
            section.seen.insert(l.kind);
            section.after = l.kind;
        } else {
            self.keep(&mut m.other_lines, l, section);
        }
    }

    /// RTP formats are payload types 0-127 (RFC 8866 §5.14).
    fn check_formats(&mut self, m: &MediaDescription, offset: u64) {
        if m.formats.is_empty() {
            self.violate(&rules::MEDIA_SYNTAX, offset, "an m= line without formats");
        }
        if m.is_rtp() {
            for f in &m.formats {
                if decimal::<u8>(f).is_none_or(|pt| pt > 127) {
                    self.violate(
                        &rules::MEDIA_FORMAT,
                        offset,
                        format!("format {f:?} is not an RTP payload type"),
                    );
                }
            }
        }
    }

    /// Checks that need the whole section: payload types named by attributes, duplicate
    /// directions and extmap ids, simulcast rids, a connection address.
    fn finish_media(&mut self, m: &MediaDescription, section: &Section, sd: &SessionDescription) {
        if m.connections.is_empty() && sd.connection.is_none() {
            self.violate(
                &rules::CONNECTION_MISSING,
                section.offset,
                format!("m={} has no c= line and the session has none", m.media),
            );
        }
        self.check_common(&m.attributes, &section.attribute_offsets);
        let formats: HashSet<&str> = m.formats.iter().map(String::as_str).collect();
        let listed = |f: &str| formats.contains(f);
        let rtp = m.is_rtp();
        for (a, &offset) in m.attributes.iter().zip(&section.attribute_offsets) {
            let (rule, format) = match a {
                Attribute::Rtpmap(r) if rtp => {
                    (&rules::RTPMAP_PAYLOAD_TYPE, r.payload_type.to_string())
                }
                Attribute::Fmtp(f) => (&rules::FMTP_FORMAT, f.format.clone()),
                Attribute::RtcpFb(fb) if fb.format != "*" => {
                    (&rules::RTCP_FB_PAYLOAD_TYPE, fb.format.clone())
                }
                _ => continue,
            };
            if !listed(&format) {
                self.violate(
                    rule,
                    offset,
                    format!("{} names format {format}, which m= does not list", a.name()),
                );
            }
        }
        let rids: HashSet<_> = m
            .attributes
            .iter()
            .filter_map(|a| match a {
                Attribute::Rid(r) => Some((r.id.as_str(), r.direction)),
                _ => None,
            })
            .collect();
        for (a, &offset) in m.attributes.iter().zip(&section.attribute_offsets) {
            let Attribute::Simulcast(s) = a else { continue };
            for (dir, streams) in &s.directions {
                for id in streams.iter().flatten() {
                    if !rids.contains(&(id.rid.as_str(), *dir)) {
                        self.violate(
                            &rules::SIMULCAST_RID_UNKNOWN,
                            offset,
                            format!("simulcast {} rid {:?} has no a=rid", dir.as_str(), id.rid),
                        );
                    }
                }
            }
        }
    }

    /// Checks of one level's attributes: one direction, one URI per extmap id.
    fn check_common(&mut self, attributes: &[Attribute], offsets: &[u64]) {
        let mut direction = false;
        let mut extmaps: HashMap<u16, &str> = HashMap::new();
        for (a, &offset) in attributes.iter().zip(offsets) {
            match a {
                Attribute::Direction(d) => {
                    if direction {
                        self.violate(
                            &rules::DIRECTION_DUPLICATE,
                            offset,
                            format!("a second direction attribute ({d})"),
                        );
                    }
                    direction = true;
                }
                Attribute::Extmap(e) => {
                    if let Some(uri) = extmaps.insert(e.id, &e.uri)
                        && uri != e.uri
                    {
                        self.violate(
                            &rules::EXTMAP_DUPLICATE,
                            offset,
                            format!("extmap id {} maps {uri} and {}", e.id, e.uri),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// Session-wide checks: session attributes, unique mids, groups naming known mids.
    fn finish_session(
        &mut self,
        sd: &SessionDescription,
        session: &Section,
        media: &[(MediaDescription, Section)],
    ) {
        self.check_common(&sd.attributes, &session.attribute_offsets);
        let mut mids = HashSet::new();
        for (m, section) in media {
            for (a, &offset) in m.attributes.iter().zip(&section.attribute_offsets) {
                if let Attribute::Mid(mid) = a
                    && !mids.insert(mid.as_str())
                {
                    self.violate(&rules::MID_DUPLICATE, offset, format!("mid {mid:?} again"));
                }
            }
        }
        for (a, &offset) in sd.attributes.iter().zip(&session.attribute_offsets) {
            let Attribute::Group(g) = a else { continue };
            for mid in &g.mids {
                if !mids.contains(mid.as_str()) {
                    self.violate(
                        &rules::BUNDLE_MID_UNKNOWN,
                        offset,
                        format!(
                            "group {} names mid {mid:?}, which no m= section has",
                            g.semantics
                        ),
                    );
                }
            }
        }
    }
}
