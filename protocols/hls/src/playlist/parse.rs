//! The playlist parser (RFC 8216 §4), for the conformance side: bytes in, a [`Playlist`] and
//! the rules it broke out.
//!
//! The parser is liberal where the meaning stays clear (DESIGN.md): a tag whose value cannot
//! be read is reported and ignored, the segment or variant it would describe is kept. It fails
//! with an [`Error`] only when the input is not a playlist at all (over the [`Limits`], not
//! UTF-8, not starting with EXTM3U or a tag) or when a segment's duration cannot be known (a
//! URI line without EXTINF, an EXTINF whose duration is not a number). Errors and violations
//! carry the byte offset of the line's start and begin their detail with its 1-based number.
//! Unknown tags, unknown attributes and comments are ignored, as RFC 8216 §6.3.1 asks.

use super::attributes::{decimal, decimal_integer};
use super::master::{IFrameVariant, MasterPlaylist, MediaType, Rendition, Variant};
use super::media::{ByteRange, Key, Map, MediaPlaylist, PlaylistType, Segment};
use super::tags::{self, Problems};
use super::{Playlist, date_time};
use crate::rules::*;
use std::collections::HashSet;
use weir_media::{Error, Rule, Violation};

/// Bounds on what the parser accepts, so that a hostile playlist costs bounded memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes a playlist may have; more is an error.
    pub max_bytes: usize,
    /// The most bytes one line may have; a longer line is an error.
    pub max_line_bytes: usize,
    /// The most lines a playlist may have; more is an error.
    pub max_lines: usize,
    /// Violations kept; the rest are counted in one last `hls.playlist.limits` violation.
    pub max_violations: usize,
}

impl Default for Limits {
    /// 16 MiB, 64 KiB lines, a million lines, 10,000 violations: far above the largest
    /// playlists in the wild (the corpus's largest, 40,001 segments, is 1.2 MB).
    fn default() -> Self {
        Limits {
            max_bytes: 16 << 20,
            max_line_bytes: 64 << 10,
            max_lines: 1_000_000,
            max_violations: 10_000,
        }
    }
}

/// A playlist and the rules it broke, in line order.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The playlist, as far as it could be read.
    pub playlist: Playlist,
    /// The rules it broke, with the byte offset of each line.
    pub violations: Vec<Violation>,
}

/// Parses a media or master playlist.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Parsed, Error> {
    if input.len() > limits.max_bytes {
        return Err(Error::rule(
            &PLAYLIST_LIMITS,
            0,
            format!(
                "playlist of {} bytes exceeds the limit of {}",
                input.len(),
                limits.max_bytes
            ),
        ));
    }
    let text = std::str::from_utf8(input).map_err(|e| {
        let at = e.valid_up_to();
        let line = 1 + input[..at].iter().filter(|&&b| b == b'\n').count();
        Error::rule(
            &PLAYLIST_UTF8,
            at as u64,
            format!("line {line}: invalid UTF-8"),
        )
    })?;
    let mut parser = Parser::new(kind(text), limits.max_violations);
    let mut offset = 0;
    let body = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => {
            let line = Line {
                number: 1,
                offset: 0,
            };
            parser.violation(line, &PLAYLIST_UTF8, "byte order mark");
            offset = 3;
            rest
        }
        None => text,
    };
    for (index, raw) in body.split('\n').enumerate() {
        let line = Line {
            number: index + 1,
            offset,
        };
        offset += raw.len() + 1;
        if index >= limits.max_lines {
            return Err(line.error(
                &PLAYLIST_LIMITS,
                format!("more than {} lines", limits.max_lines),
            ));
        }
        if raw.len() > limits.max_line_bytes {
            return Err(line.error(
                &PLAYLIST_LIMITS,
                format!(
                    "line of {} bytes exceeds the limit of {}",
                    raw.len(),
                    limits.max_line_bytes
                ),
            ));
        }
        parser.line(line, raw.strip_suffix('\r').unwrap_or(raw))?;
    }
    parser.finish()
}

/// A playlist is a master playlist if a variant or rendition tag comes before any EXTINF
/// (RFC 8216 §4.1); the tags of the other kind are then reported and ignored.
fn kind(text: &str) -> Kind {
    for line in text.lines().map(str::trim_start) {
        if line.starts_with("#EXTINF") {
            return Kind::Media;
        }
        if [
            "#EXT-X-STREAM-INF",
            "#EXT-X-MEDIA:",
            "#EXT-X-I-FRAME-STREAM-INF",
        ]
        .iter()
        .any(|tag| line.starts_with(tag))
        {
            return Kind::Master;
        }
    }
    Kind::Media
}

/// Where a line starts.
#[derive(Debug, Clone, Copy)]
struct Line {
    /// 1-based.
    number: usize,
    /// Byte offset of its first byte in the input.
    offset: usize,
}

impl Line {
    fn error(self, rule: &'static Rule, detail: impl std::fmt::Display) -> Error {
        Error::rule(
            rule,
            self.offset as u64,
            format!("line {}: {detail}", self.number),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Media,
    Master,
}

/// Tags of media playlists only (RFC 8216 §4.3.2, §4.3.3).
const MEDIA_TAGS: &[&str] = &[
    "EXTINF",
    "EXT-X-BYTERANGE",
    "EXT-X-DISCONTINUITY",
    "EXT-X-KEY",
    "EXT-X-MAP",
    "EXT-X-PROGRAM-DATE-TIME",
    "EXT-X-DATERANGE",
    "EXT-X-TARGETDURATION",
    "EXT-X-MEDIA-SEQUENCE",
    "EXT-X-DISCONTINUITY-SEQUENCE",
    "EXT-X-ENDLIST",
    "EXT-X-PLAYLIST-TYPE",
    "EXT-X-I-FRAMES-ONLY",
];

/// Tags of master playlists only (RFC 8216 §4.3.4).
const MASTER_TAGS: &[&str] = &[
    "EXT-X-MEDIA",
    "EXT-X-STREAM-INF",
    "EXT-X-I-FRAME-STREAM-INF",
    "EXT-X-SESSION-DATA",
    "EXT-X-SESSION-KEY",
];

/// Tags that apply to the next segment, waiting for its URI line.
#[derive(Debug, Default)]
struct Pending {
    extinf: Option<(f64, String)>,
    byte_range: Option<(u64, Option<u64>, Line)>,
    discontinuity: bool,
    program_date_time: Option<i64>,
    /// The first of these tags, for a playlist that ends before the URI.
    first: Option<Line>,
}

struct Parser {
    /// Whether EXTM3U (or, without it, the first tag) has been seen.
    started: bool,
    /// Lines before EXTM3U (blank or comments).
    lines_before_header: bool,
    kind: Kind,
    version: Option<(u64, Line)>,
    /// Tags that may appear once, seen so far.
    seen: HashSet<&'static str>,
    media: MediaPlaylist,
    /// The line of each segment's URI.
    segment_lines: Vec<Line>,
    pending: Pending,
    key: Option<Key>,
    map: Option<Map>,
    /// Whether an EXTINF duration was written as a decimal-floating-point ("10.0" is one,
    /// though the model keeps only its value), which needs version 3 (RFC 8216 §7).
    float_duration: bool,
    master: MasterPlaylist,
    variant_lines: Vec<Line>,
    rendition_lines: Vec<Line>,
    stream_inf: Option<(super::AttributeList, Line)>,
    violations: Vec<Violation>,
    max_violations: usize,
    dropped_violations: usize,
}

impl Parser {
    fn new(kind: Kind, max_violations: usize) -> Self {
        Parser {
            started: false,
            lines_before_header: false,
            kind,
            version: None,
            seen: HashSet::new(),
            media: MediaPlaylist::default(),
            segment_lines: Vec::new(),
            pending: Pending::default(),
            key: None,
            map: None,
            float_duration: false,
            master: MasterPlaylist::default(),
            variant_lines: Vec::new(),
            rendition_lines: Vec::new(),
            stream_inf: None,
            violations: Vec::new(),
            max_violations,
            dropped_violations: 0,
        }
    }

    fn violation(&mut self, line: Line, rule: &'static Rule, detail: impl std::fmt::Display) {
        if self.violations.len() >= self.max_violations {
            self.dropped_violations += 1;
            return;
        }
        self.violations.push(Violation::new(
            rule,
            line.offset as u64,
            format!("line {}: {detail}", line.number),
        ));
    }

    fn report(&mut self, line: Line, problems: Problems) {
        for (rule, detail) in problems {
            self.violation(line, rule, detail);
        }
    }

    fn line(&mut self, line: Line, raw: &str) -> Result<(), Error> {
        if let Some(c) = raw.chars().find(|c| c.is_control()) {
            self.violation(
                line,
                &PLAYLIST_UTF8,
                format!("control character U+{:04X}", c as u32),
            );
        } else if !raw.is_empty() && raw.trim() != raw && !raw.starts_with("#EXTINF:") {
            self.violation(line, &PLAYLIST_WHITESPACE, "whitespace around the line");
        }
        let content = raw.trim();
        if !self.started {
            if content == "#EXTM3U" {
                self.started = true;
                if self.lines_before_header {
                    self.violation(line, &PLAYLIST_EXTM3U, "EXTM3U is not the first line");
                }
                return Ok(());
            }
            if content.is_empty() || (content.starts_with('#') && !content.starts_with("#EXT")) {
                self.lines_before_header = true;
                return Ok(());
            }
            if !content.starts_with("#EXT") {
                return Err(line.error(
                    &PLAYLIST_EXTM3U,
                    "not a playlist: no #EXTM3U before the first URI line",
                ));
            }
            self.started = true;
            self.violation(
                line,
                &PLAYLIST_EXTM3U,
                "the playlist does not start with #EXTM3U",
            );
        }
        if content.is_empty() {
            return Ok(());
        }
        match content.strip_prefix('#') {
            Some(tag) if tag.starts_with("EXT") => {
                let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
                self.tag(line, name, value)
            }
            Some(_) => Ok(()), // a comment
            None => self.uri(line, content),
        }
    }

    /// Whether tag `name` may appear in this kind of playlist; if not, it is reported (and
    /// the caller ignores it).
    fn kind_of(&mut self, line: Line, name: &str) -> bool {
        let (other, is) = match self.kind {
            Kind::Media => (MASTER_TAGS, "media"),
            Kind::Master => (MEDIA_TAGS, "master"),
        };
        if other.contains(&name) {
            self.violation(line, &PLAYLIST_KIND, format!("{name} in a {is} playlist"));
            return false;
        }
        true
    }

    /// A tag that may appear once: `false` (and a violation) for later copies.
    fn once(&mut self, line: Line, name: &'static str, rule: &'static Rule) -> bool {
        match self.seen.insert(name) {
            true => true,
            false => {
                self.violation(line, rule, format!("{name} appears more than once"));
                false
            }
        }
    }

    fn before_segments(&mut self, line: Line, name: &str, rule: &'static Rule) {
        if !self.media.segments.is_empty() || self.pending.first.is_some() {
            self.violation(line, rule, format!("{name} after the first media segment"));
        }
    }

    /// A decimal-integer tag value; `None` (reported) if it is not one.
    fn integer(&mut self, line: Line, name: &str, value: &str, rule: &'static Rule) -> Option<u64> {
        let v = decimal_integer(value);
        if v.is_none() {
            self.violation(
                line,
                rule,
                format!("{name} value {value:?} is not a decimal-integer"),
            );
        }
        v
    }

    fn tag(&mut self, line: Line, name: &str, value: &str) -> Result<(), Error> {
        if !self.kind_of(line, name) {
            return Ok(());
        }
        if matches!(
            name,
            "EXTINF" | "EXT-X-BYTERANGE" | "EXT-X-DISCONTINUITY" | "EXT-X-PROGRAM-DATE-TIME"
        ) {
            self.pending.first.get_or_insert(line);
        }
        let mut problems = Problems::new();
        match name {
            "EXT-X-VERSION" => {
                let v = self.integer(line, name, value, &PLAYLIST_VERSION);
                if self.once(line, "EXT-X-VERSION", &PLAYLIST_VERSION) {
                    self.version = v.map(|v| (v, line));
                }
            }
            "EXT-X-INDEPENDENT-SEGMENTS" => {
                let first = self.once(line, "EXT-X-INDEPENDENT-SEGMENTS", &TAG_DUPLICATE);
                self.media.independent_segments |= first;
                self.master.independent_segments |= first;
            }
            "EXT-X-START" => {
                let list = tags::attributes(name, value, &mut problems);
                let start = tags::start(&list, &mut problems);
                if self.once(line, "EXT-X-START", &TAG_DUPLICATE) {
                    self.media.start = start;
                    self.master.start = start;
                }
            }
            "EXT-X-TARGETDURATION" => {
                let v = self.integer(line, name, value, &TAG_VALUE);
                if self.once(line, "EXT-X-TARGETDURATION", &TAG_DUPLICATE) {
                    self.media.target_duration = v;
                }
            }
            "EXT-X-MEDIA-SEQUENCE" => {
                let v = self.integer(line, name, value, &TAG_VALUE);
                self.before_segments(line, name, &MEDIA_SEQUENCE_PLACEMENT);
                if self.once(line, "EXT-X-MEDIA-SEQUENCE", &TAG_DUPLICATE) {
                    self.media.media_sequence = v.unwrap_or(0);
                }
            }
            "EXT-X-DISCONTINUITY-SEQUENCE" => {
                let v = self.integer(line, name, value, &TAG_VALUE);
                // An EXT-X-DISCONTINUITY begins a segment: this covers "before any
                // EXT-X-DISCONTINUITY" too, with one report.
                self.before_segments(line, name, &DISCONTINUITY_SEQUENCE_PLACEMENT);
                if self.once(line, "EXT-X-DISCONTINUITY-SEQUENCE", &TAG_DUPLICATE) {
                    self.media.discontinuity_sequence = v.unwrap_or(0);
                }
            }
            "EXT-X-PLAYLIST-TYPE" => {
                let kind = match value {
                    "EVENT" => Some(PlaylistType::Event),
                    "VOD" => Some(PlaylistType::Vod),
                    _ => {
                        problems.push((
                            &PLAYLIST_TYPE,
                            format!("EXT-X-PLAYLIST-TYPE {value:?} is neither EVENT nor VOD"),
                        ));
                        None
                    }
                };
                if self.once(line, "EXT-X-PLAYLIST-TYPE", &TAG_DUPLICATE) {
                    self.media.playlist_type = kind;
                }
            }
            "EXT-X-ENDLIST" => {
                self.media.end_list |= self.once(line, "EXT-X-ENDLIST", &TAG_DUPLICATE);
            }
            "EXT-X-I-FRAMES-ONLY" => {
                self.media.i_frames_only |= self.once(line, "EXT-X-I-FRAMES-ONLY", &TAG_DUPLICATE);
            }
            "EXTINF" => self.extinf(line, value)?,
            "EXT-X-BYTERANGE" => match tags::byte_range(value) {
                Some((length, offset)) => self.pending.byte_range = Some((length, offset, line)),
                None => problems.push((&BYTE_RANGE, format!("EXT-X-BYTERANGE {value:?}"))),
            },
            "EXT-X-DISCONTINUITY" => self.pending.discontinuity = true,
            "EXT-X-PROGRAM-DATE-TIME" => match date_time::parse(value) {
                Some((ms, shortfalls)) => {
                    if shortfalls.no_time_zone || shortfalls.no_milliseconds {
                        problems.push((
                            &DATE_TIME_ZONE,
                            format!(
                                "EXT-X-PROGRAM-DATE-TIME {value:?} lacks a time zone or milliseconds"
                            ),
                        ));
                    }
                    self.pending.program_date_time = Some(ms);
                }
                None => problems.push((
                    &DATE_TIME,
                    format!("EXT-X-PROGRAM-DATE-TIME {value:?} is not an ISO 8601 date-time"),
                )),
            },
            "EXT-X-KEY" => {
                let list = tags::attributes(name, value, &mut problems);
                if let Ok(key) = tags::key(&list, &mut problems) {
                    self.key = key;
                }
            }
            "EXT-X-MAP" => {
                let list = tags::attributes(name, value, &mut problems);
                if let Some(map) = tags::map(&list, &mut problems) {
                    self.map = Some(map);
                }
            }
            "EXT-X-STREAM-INF" => {
                let list = tags::attributes(name, value, &mut problems);
                bandwidth(name, &list, &mut problems);
                if list.get("CODECS").is_none() {
                    problems.push((&STREAM_INF_CODECS, "EXT-X-STREAM-INF without CODECS".into()));
                }
                if let Some((_, previous)) = self.stream_inf.replace((list, line)) {
                    self.violation(
                        previous,
                        &STREAM_INF_URI,
                        "EXT-X-STREAM-INF without a URI line",
                    );
                }
            }
            "EXT-X-I-FRAME-STREAM-INF" => {
                let list = tags::attributes(name, value, &mut problems);
                bandwidth(name, &list, &mut problems);
                if list.quoted("URI").is_none() {
                    problems.push((
                        &I_FRAME_URI,
                        "EXT-X-I-FRAME-STREAM-INF without a quoted URI".into(),
                    ));
                }
                self.master
                    .i_frame_variants
                    .push(IFrameVariant { attributes: list });
            }
            "EXT-X-MEDIA" => {
                let list = tags::attributes(name, value, &mut problems);
                if tags::rendition(&list, &mut problems) {
                    self.master.renditions.push(Rendition { attributes: list });
                    self.rendition_lines.push(line);
                }
            }
            _ => {}
        }
        self.report(line, problems);
        Ok(())
    }

    fn extinf(&mut self, line: Line, value: &str) -> Result<(), Error> {
        let (duration_text, title) = match value.split_once(',') {
            Some(split) => split,
            None => {
                self.violation(
                    line,
                    &EXTINF_FORMAT,
                    format!("EXTINF {value:?} has no comma"),
                );
                (value, "")
            }
        };
        let duration = decimal(duration_text).ok_or_else(|| {
            line.error(
                &EXTINF_FORMAT,
                format!("EXTINF duration {duration_text:?} is not a decimal number"),
            )
        })?;
        self.float_duration |= duration_text.contains('.');
        if self.pending.extinf.is_some() {
            self.violation(
                line,
                &EXTINF_FORMAT,
                "a second EXTINF before the segment's URI line",
            );
        }
        self.pending.extinf = Some((duration, title.trim_end().to_owned()));
        Ok(())
    }

    fn uri(&mut self, line: Line, uri: &str) -> Result<(), Error> {
        if let Some((attributes, _)) = self.stream_inf.take() {
            self.master.variants.push(Variant {
                uri: uri.to_owned(),
                attributes,
            });
            self.variant_lines.push(line);
            return Ok(());
        }
        if self.kind == Kind::Master {
            self.violation(
                line,
                &PLAYLIST_KIND,
                format!("URI line {uri:?} follows no EXT-X-STREAM-INF in a master playlist"),
            );
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let Some((duration, title)) = pending.extinf else {
            return Err(line.error(&EXTINF_REQUIRED, format!("segment {uri:?} has no EXTINF")));
        };
        let byte_range = pending.byte_range.map(|(length, offset, range_line)| {
            self.resolve_range(uri, length, offset, range_line)
        });
        self.media.segments.push(Segment {
            uri: uri.to_owned(),
            duration,
            title,
            byte_range,
            discontinuity: pending.discontinuity,
            program_date_time: pending.program_date_time,
            key: self.key.clone(),
            map: self.map.clone(),
        });
        self.segment_lines.push(line);
        Ok(())
    }

    /// A byte range without an offset starts after the previous segment's (RFC 8216 §4.3.2.2),
    /// which must be a sub-range of the same resource.
    fn resolve_range(
        &mut self,
        uri: &str,
        length: u64,
        offset: Option<u64>,
        at: Line,
    ) -> ByteRange {
        if let Some(offset) = offset {
            return ByteRange { length, offset };
        }
        let previous = self.media.segments.last();
        let follows = previous
            .and_then(|p| p.byte_range)
            .map_or(0, |p| p.offset.saturating_add(p.length));
        if previous.is_none_or(|p| p.byte_range.is_none() || p.uri != uri) {
            self.violation(
                at,
                &BYTE_RANGE,
                "EXT-X-BYTERANGE without an offset, and the previous segment is not a sub-range of the same resource",
            );
        }
        ByteRange {
            length,
            offset: follows,
        }
    }

    fn finish(mut self) -> Result<Parsed, Error> {
        let first = Line {
            number: 1,
            offset: 0,
        };
        if !self.started {
            return Err(first.error(&PLAYLIST_EXTM3U, "not a playlist: no #EXTM3U line"));
        }
        if let Some((_, line)) = self.stream_inf.take() {
            self.violation(line, &STREAM_INF_URI, "EXT-X-STREAM-INF without a URI line");
        }
        if let Some(line) = self.pending.first {
            self.violation(
                line,
                &SEGMENT_URI,
                "media segment tags without a URI line at the end",
            );
        }
        let version_line = self.version.map_or(first, |(_, line)| line);
        let declared = self.version.map_or(1, |(v, _)| v);
        let playlist = if self.kind == Kind::Master {
            self.master.version = self.version.map(|(v, _)| v);
            self.check_groups();
            Playlist::Master(std::mem::take(&mut self.master))
        } else {
            self.media.version = self.version.map(|(v, _)| v);
            self.check_durations(first);
            Playlist::Media(std::mem::take(&mut self.media))
        };
        let (mut needed, mut feature) = match &playlist {
            Playlist::Media(p) => p.required_version(),
            Playlist::Master(p) => p.required_version(),
        };
        if self.float_duration && needed < 3 {
            (needed, feature) = (3, "a decimal-floating-point EXTINF duration");
        }
        if declared < needed {
            self.violation(
                version_line,
                &VERSION_COMPATIBILITY,
                format!("EXT-X-VERSION {declared} is below {needed}, which {feature} needs"),
            );
        }
        self.violations.sort_by_key(|v| v.offset);
        if self.dropped_violations > 0 {
            let dropped = self.dropped_violations;
            self.violations.push(Violation::new(
                &PLAYLIST_LIMITS,
                0,
                format!("{dropped} more violations were not recorded"),
            ));
        }
        Ok(Parsed {
            playlist,
            violations: self.violations,
        })
    }

    /// RFC 8216 §4.3.3.1: a target duration, and no segment that rounds above it.
    fn check_durations(&mut self, first: Line) {
        let Some(target) = self.media.target_duration else {
            self.violation(first, &TARGET_DURATION_REQUIRED, "no EXT-X-TARGETDURATION");
            return;
        };
        let over: Vec<(Line, f64)> = self
            .media
            .segments
            .iter()
            .zip(&self.segment_lines)
            .filter(|(s, _)| s.duration.round() > target as f64)
            .map(|(s, line)| (*line, s.duration))
            .collect();
        for (line, duration) in over {
            self.violation(
                line,
                &TARGET_DURATION,
                format!("segment duration {duration} rounds above the target duration {target}"),
            );
        }
    }

    /// RFC 8216 §4.3.4.1.1 and §4.3.4.2: groups are consistent, and variants name groups
    /// that exist.
    fn check_groups(&mut self) {
        let mut problems: Vec<(Line, &'static Rule, String)> = Vec::new();
        let renditions = &self.master.renditions;
        for (i, r) in renditions.iter().enumerate() {
            let earlier = &renditions[..i];
            let same_group =
                |o: &&Rendition| o.media_type() == r.media_type() && o.group_id() == r.group_id();
            if earlier
                .iter()
                .filter(same_group)
                .any(|o| o.name() == r.name())
            {
                problems.push((
                    self.rendition_lines[i],
                    &MEDIA_GROUP,
                    format!(
                        "a second rendition named {:?} in group {:?}",
                        r.name(),
                        r.group_id()
                    ),
                ));
            }
            if r.is_default() && earlier.iter().filter(same_group).any(Rendition::is_default) {
                problems.push((
                    self.rendition_lines[i],
                    &MEDIA_GROUP,
                    format!("a second DEFAULT=YES rendition in group {:?}", r.group_id()),
                ));
            }
        }
        for (variant, line) in self.master.variants.iter().zip(&self.variant_lines) {
            for kind in [
                MediaType::Audio,
                MediaType::Video,
                MediaType::Subtitles,
                MediaType::ClosedCaptions,
            ] {
                if let Some(group) = variant.group(kind)
                    && self.master.group(kind, group).next().is_none()
                {
                    problems.push((
                        *line,
                        &STREAM_INF_GROUP,
                        format!(
                            "{} group {group:?} has no EXT-X-MEDIA TYPE={}",
                            kind.as_str(),
                            kind.as_str()
                        ),
                    ));
                }
            }
        }
        for (line, rule, detail) in problems {
            self.violation(line, rule, detail);
        }
    }
}

/// BANDWIDTH is required (RFC 8216 §4.3.4.2); its type is checked with the others.
fn bandwidth(tag: &str, list: &super::AttributeList, problems: &mut Problems) {
    if list.get("BANDWIDTH").is_none() {
        problems.push((&STREAM_INF_BANDWIDTH, format!("{tag} without BANDWIDTH")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        parse(text.as_bytes(), &Limits::default())
            .unwrap()
            .violations
            .iter()
            .map(|v| format!("{} {}", v.rule.id, v.detail))
            .collect()
    }

    fn media(text: &str) -> MediaPlaylist {
        match parse(text.as_bytes(), &Limits::default()).unwrap().playlist {
            Playlist::Media(m) => m,
            Playlist::Master(_) => panic!("a master playlist"),
        }
    }

    #[test]
    fn a_live_playlist() {
        let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:7\n\
                    #EXT-X-DISCONTINUITY-SEQUENCE:2\n#EXTINF:9.5,\na.ts\n#EXT-X-DISCONTINUITY\n\
                    #EXT-X-PROGRAM-DATE-TIME:2019-02-14T02:13:36.106Z\n#EXTINF:10,title\nb.ts\n";
        let playlist = media(text);
        assert_eq!(playlist.target_duration, Some(10));
        assert_eq!(playlist.media_sequence, 7);
        assert_eq!(playlist.discontinuity_sequence, 2);
        assert_eq!(playlist.segments.len(), 2);
        assert_eq!(playlist.segments[1].title, "title");
        assert!(playlist.segments[1].discontinuity);
        assert_eq!(
            playlist.segments[1].program_date_time,
            Some(1_550_110_416_106)
        );
        assert!(ids(text).is_empty());
    }

    #[test]
    fn broken_values_are_reported_and_ignored() {
        let text = "#EXTM3U\n#EXT-X-TARGETDURATION:NaN\n#EXT-X-MEDIA-SEQUENCE:-1\n\
                    #EXT-X-PLAYLIST-TYPE:LIVE\n#EXTINF:10\na.ts\n#EXT-X-MEDIA-SEQUENCE:3\n";
        let playlist = media(text);
        assert_eq!(playlist.target_duration, None);
        assert_eq!(playlist.media_sequence, 0);
        assert_eq!(playlist.playlist_type, None);
        assert_eq!(
            ids(text),
            [
                "hls.media.target-duration-required line 1: no EXT-X-TARGETDURATION",
                "hls.tag.value line 2: EXT-X-TARGETDURATION value \"NaN\" is not a decimal-integer",
                "hls.tag.value line 3: EXT-X-MEDIA-SEQUENCE value \"-1\" is not a decimal-integer",
                "hls.media.playlist-type line 4: EXT-X-PLAYLIST-TYPE \"LIVE\" is neither EVENT nor VOD",
                "hls.segment.extinf-format line 5: EXTINF \"10\" has no comma",
                "hls.media.media-sequence-placement line 7: EXT-X-MEDIA-SEQUENCE after the first media segment",
                "hls.tag.duplicate line 7: EXT-X-MEDIA-SEQUENCE appears more than once",
            ]
        );
    }

    #[test]
    fn what_cannot_be_read_is_an_error_naming_the_line() {
        let err = |text: &str| parse(text.as_bytes(), &Limits::default()).unwrap_err();
        let e = err("#EXTM3U\n#EXT-X-TARGETDURATION:10\na.ts\n");
        assert_eq!(
            (e.rule.unwrap().id, e.offset),
            ("hls.segment.extinf-required", 33)
        );
        assert!(e.detail.starts_with("line 3: "));
        let e = err("#EXTM3U\n#EXTINF:ten,\na.ts\n");
        assert_eq!(e.rule.unwrap().id, "hls.segment.extinf-format");
        assert_eq!(err("").rule.unwrap().id, "hls.playlist.extm3u");
        assert_eq!(err("a.ts\n").rule.unwrap().id, "hls.playlist.extm3u");
        let e = parse(b"#EXTM3U\n\xff\n", &Limits::default()).unwrap_err();
        assert_eq!((e.rule.unwrap().id, e.offset), ("hls.playlist.utf8", 8));
    }

    #[test]
    fn limits_are_enforced() {
        let limits = Limits {
            max_bytes: 64,
            max_line_bytes: 16,
            max_lines: 3,
            max_violations: 2,
        };
        let e = parse(&[b'#'; 65], &limits).unwrap_err();
        assert_eq!(e.rule.unwrap().id, "hls.playlist.limits");
        let e = parse(b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n", &limits).unwrap_err();
        assert!(e.detail.starts_with("line 2: line of 24 bytes"));
        let e = parse(b"#EXTM3U\n\n\n\n", &limits).unwrap_err();
        assert!(e.detail.starts_with("line 4: more than 3 lines"));
        let v = parse(b"#EXTM3U\n\t\n\t", &limits).unwrap().violations;
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].detail, "1 more violations were not recorded");
    }

    #[test]
    fn byte_ranges_follow_the_previous_segment() {
        let text = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n\
                    #EXT-X-BYTERANGE:100@50\na.ts\n#EXTINF:10,\n#EXT-X-BYTERANGE:20\na.ts\n\
                    #EXTINF:10,\n#EXT-X-BYTERANGE:30\nb.ts\n";
        let ranges: Vec<_> = media(text)
            .segments
            .iter()
            .map(|s| s.byte_range.map(|r| (r.length, r.offset)))
            .collect();
        assert_eq!(ranges, [Some((100, 50)), Some((20, 150)), Some((30, 170))]);
        assert_eq!(ids(text).len(), 1);
    }

    #[test]
    fn versions_are_checked_against_features() {
        let v = ids("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n\
                     #EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:10,\na.mp4\n");
        assert_eq!(
            v,
            [
                "hls.playlist.version-compatibility line 2: EXT-X-VERSION 3 is below 6, which EXT-X-MAP without EXT-X-I-FRAMES-ONLY needs"
            ]
        );
    }

    #[test]
    fn masters_are_checked_as_a_whole() {
        let text = "#EXTM3U\n\
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",DEFAULT=YES,URI=\"en.m3u8\"\n\
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",DEFAULT=YES,URI=\"fr.m3u8\"\n\
            #EXT-X-STREAM-INF:BANDWIDTH=1000,CODECS=\"mp4a.40.2\",AUDIO=\"a\",SUBTITLES=\"s\"\n\
            low.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2000\n#EXTINF:10,\n#EXT-X-ENDLIST\n";
        let parsed = parse(text.as_bytes(), &Limits::default()).unwrap();
        let Playlist::Master(master) = parsed.playlist else {
            panic!("a media playlist")
        };
        assert_eq!(master.variants.len(), 1);
        assert_eq!(master.variants[0].bandwidth(), Some(1000));
        assert_eq!(master.group(MediaType::Audio, "a").count(), 2);
        let ids: Vec<_> = parsed.violations.iter().map(|v| v.rule.id).collect();
        assert_eq!(
            ids,
            [
                "hls.master.media-group",
                "hls.master.media-group",
                "hls.master.group",
                "hls.master.codecs",
                "hls.master.stream-inf-uri",
                "hls.playlist.kind",
                "hls.playlist.kind",
            ]
        );
    }
}
