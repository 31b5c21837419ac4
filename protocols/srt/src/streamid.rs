//! The stream id a caller sends in the handshake's SID extension (draft-sharabayko-srt-01
//! §3.2.1.3), parsed into what a server routes by: vhost, app, stream, publish or play, and
//! the remaining keys as parameters for hooks.
//!
//! Two families of forms are accepted:
//!
//! - libsrt's access-control syntax (docs/features/access-control.md, "SRT AC" in the rules):
//!   `#!::key=value,key=value` with the standard keys `u` (user), `r` (resource), `h` (host),
//!   `s` (session), `t` (type: stream, file or auth) and `m` (mode: request or publish); any
//!   other key is kept, in order, as a parameter.
//! - The forms SRS accepts (`srs_srt_streamid_info` and `srs_srt_streamid_to_request` in
//!   `trunk/src/app/srs_app_srt_utility.cpp`): `r=app/stream?key=value&...` (a `?` inside a
//!   value starts more items, as SRS turns every `?` into a separator, and `&` and `;` separate
//!   like `,`), `h=vhost` beside `r=`, `h=app/stream`, `h=vhost/app/stream`, and a bare
//!   `app/stream?key=value` without the prefix (always a play request). A resource without a
//!   `/` is a stream of the default app `live`, as SRS does with its default app name.
//!
//! Two inputs get what SRS gives them, plus one deliberate difference:
//!
//! - An empty stream id publishes to `live/livestream`: SRS's `SrsMpegtsSrtConn::do_cycle`
//!   (`trunk/src/app/srs_app_srt_conn.cpp`, SRS 5 and later) substitutes
//!   `#!::r=live/livestream,m=publish` for an empty one.
//! - FFmpeg 5.1 puts the `streamid=` value of its URL on the wire undecoded, so
//!   `srt://host?streamid=#!::r=live/test,m=publish` arrives as `%23!::r=live/test,m=publish`
//!   (the corpus's `srt/locally_generated` captures show it). SRS does not decode it: the
//!   string does not start with `#!::`, so SRS takes it as a bare path and plays app
//!   `%23!::r=live`, stream `test,m=publish` — the publish silently becomes a play of a stream
//!   nobody publishes. We decode a leading `%23!::` (any case) as `#!::` instead and report
//!   [`STREAMID_PERCENT_ENCODED`], so the publisher gets what it asked for and the harness
//!   still says what it did.
//!
//! Values never hold a separator (`,` `&` `;` `?`) or `=`, so [`StreamId`]'s `Display` (the
//! canonical `#!::` form) parses back to the same value.

use crate::rules::{
    STREAMID_DUPLICATE_KEY, STREAMID_EMPTY_ITEM, STREAMID_MODE, STREAMID_PERCENT_ENCODED,
    STREAMID_RESOURCE, STREAMID_SYNTAX, STREAMID_TOO_LONG, STREAMID_TOO_MANY_KEYS, STREAMID_TYPE,
};
use std::fmt;
use weir_media::{Error, Violation};

/// The longest stream id, in bytes (draft-sharabayko-srt-01 §3.2.1.3; libsrt's
/// `SRTO_STREAMID` limit).
pub const MAX_LEN: usize = 512;
/// The most key=value items one stream id may carry: a bound on the parameters a hook gets.
pub const MAX_KEYS: usize = 32;
/// The app of a resource without a `/`, and of the empty stream id (SRS's default app name).
pub const DEFAULT_APP: &str = "live";
/// The stream the empty stream id publishes to (SRS).
pub const DEFAULT_STREAM: &str = "livestream";

/// The access-control prefix (SRT AC §General Syntax).
const PREFIX: &str = "#!::";
/// The prefix as FFmpeg 5.1 sends it, URL-encoded.
const ENCODED_PREFIX: &[u8] = b"%23!::";
/// What separates items: `,` (SRT AC), and `&`, `;` and `?` as SRS also splits on them.
const SEPARATORS: &[char] = &[',', '&', ';', '?'];

/// What the caller wants to do with the stream (SRT AC key `m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Receive (play) the stream: `m=request`, the default.
    Request,
    /// Send (publish) the stream: `m=publish`.
    Publish,
}

impl Mode {
    /// The value of `m` that names this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Request => "request",
            Mode::Publish => "publish",
        }
    }
}

/// A parsed stream id: where the stream lives, what the caller wants, and who it says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamId {
    /// The virtual host (`h=vhost`, or the first part of `h=vhost/app/stream`).
    pub vhost: Option<String>,
    /// The application (the resource before its first `/`).
    pub app: String,
    /// The stream (the resource after its first `/`).
    pub stream: String,
    /// Publish or play.
    pub mode: Mode,
    /// The user name (`u`).
    pub user: Option<String>,
    /// The session id (`s`).
    pub session: Option<String>,
    /// The type of transfer (`t`: stream, file or auth).
    pub kind: Option<String>,
    /// Every other key, in the order sent (query parameters of the resource included).
    pub params: Vec<(String, String)>,
}

impl StreamId {
    /// A stream id of `app/stream` in `mode`, with nothing else.
    pub fn new(app: impl Into<String>, stream: impl Into<String>, mode: Mode) -> Self {
        StreamId {
            vhost: None,
            app: app.into(),
            stream: stream.into(),
            mode,
            user: None,
            session: None,
            kind: None,
            params: Vec::new(),
        }
    }

    /// What the empty stream id means: publish to `live/livestream` (SRS).
    pub fn default_publish() -> Self {
        Self::new(DEFAULT_APP, DEFAULT_STREAM, Mode::Publish)
    }

    /// Parses a stream id, ignoring the oddities [`parse_checked`](Self::parse_checked)
    /// reports. Errors name a `srt.streamid.*` rule and the byte offset in `id`.
    pub fn parse(id: &str) -> Result<Self, Error> {
        Self::parse_checked(id).map(|(id, _)| id)
    }

    /// Parses a stream id and lists the tolerated oddities ([`STREAMID_TYPE`],
    /// [`STREAMID_EMPTY_ITEM`], [`STREAMID_PERCENT_ENCODED`]) with their byte offsets.
    pub fn parse_checked(id: &str) -> Result<(Self, Vec<Violation>), Error> {
        if id.len() > MAX_LEN {
            return Err(Error::rule(
                &STREAMID_TOO_LONG,
                MAX_LEN as u64,
                format!("the stream id is {} bytes, more than {MAX_LEN}", id.len()),
            ));
        }
        let mut violations = Vec::new();
        if id.is_empty() {
            return Ok((Self::default_publish(), violations));
        }
        let bytes = id.as_bytes();
        let keyed = if let Some(body) = id.strip_prefix(PREFIX) {
            Some((body, PREFIX.len()))
        } else if bytes.len() >= ENCODED_PREFIX.len()
            && bytes[..ENCODED_PREFIX.len()].eq_ignore_ascii_case(ENCODED_PREFIX)
        {
            violations.push(Violation::new(
                &STREAMID_PERCENT_ENCODED,
                0,
                "the prefix is %23!:: (URL-encoded #!::); read as #!::",
            ));
            Some((&id[ENCODED_PREFIX.len()..], ENCODED_PREFIX.len()))
        } else if id.starts_with("#!") {
            return Err(Error::rule(
                &STREAMID_SYNTAX,
                0,
                "a stream id starting with #! uses the flat #!:: form (the nested #!:{...} form is not supported)",
            ));
        } else {
            None
        };
        if let Some(at) = id.bytes().position(|b| b.is_ascii_control()) {
            return Err(Error::rule(
                &STREAMID_SYNTAX,
                at as u64,
                format!("a control character ({:#04x}) in the stream id", bytes[at]),
            ));
        }
        let parsed = match keyed {
            Some((body, base)) => parse_keyed(body, base, &mut violations)?,
            None => parse_bare(id, &mut violations)?,
        };
        // The canonical form names `r` and `m` always: what it would carry must be within the
        // limit too, so that every id read has a form that reads back.
        let items = 2
            + [&parsed.vhost, &parsed.user, &parsed.session, &parsed.kind]
                .iter()
                .filter(|v| v.is_some())
                .count()
            + parsed.params.len();
        if items > MAX_KEYS {
            return Err(Error::rule(
                &STREAMID_TOO_MANY_KEYS,
                id.len() as u64,
                format!("{items} key=value items in the canonical form, more than {MAX_KEYS}"),
            ));
        }
        Ok((parsed, violations))
    }
}

/// One `key=value` item and the byte offset of its key in the whole stream id.
struct Item<'a> {
    key: &'a str,
    value: &'a str,
    at: usize,
}

/// Splits `text` (at byte `base` of the stream id) into items: empty ones are reported and
/// skipped, the rest must be `key=value` with a non-empty key, no second `=`, and no key twice.
fn items<'a>(
    text: &'a str,
    base: usize,
    violations: &mut Vec<Violation>,
) -> Result<Vec<Item<'a>>, Error> {
    let mut items: Vec<Item<'a>> = Vec::new();
    let mut at = base;
    for piece in text.split(SEPARATORS) {
        let here = at;
        at += piece.len() + 1;
        if piece.is_empty() {
            violations.push(Violation::new(
                &STREAMID_EMPTY_ITEM,
                here as u64,
                "an empty item between separators",
            ));
            continue;
        }
        if items.len() == MAX_KEYS {
            return Err(Error::rule(
                &STREAMID_TOO_MANY_KEYS,
                here as u64,
                format!("more than {MAX_KEYS} key=value items"),
            ));
        }
        let Some((key, value)) = piece.split_once('=') else {
            return Err(Error::rule(
                &STREAMID_SYNTAX,
                here as u64,
                format!("the item {piece:?} is not key=value"),
            ));
        };
        if key.is_empty() || value.contains('=') {
            return Err(Error::rule(
                &STREAMID_SYNTAX,
                here as u64,
                format!("the item {piece:?} has an empty key or a second ="),
            ));
        }
        if items.iter().any(|item| item.key == key) {
            return Err(Error::rule(
                &STREAMID_DUPLICATE_KEY,
                here as u64,
                format!("the key {key:?} appears twice"),
            ));
        }
        items.push(Item {
            key,
            value,
            at: here,
        });
    }
    Ok(items)
}

/// The standard keys of SRT AC.
const STANDARD_KEYS: &[&str] = &["u", "r", "h", "s", "t", "m"];

/// The body of an `#!::` stream id, which starts at byte `base`.
fn parse_keyed(
    body: &str,
    base: usize,
    violations: &mut Vec<Violation>,
) -> Result<StreamId, Error> {
    let mut host: Option<Item> = None;
    let mut resource: Option<Item> = None;
    let mut id = StreamId::new("", "", Mode::Request);
    for item in items(body, base, violations)? {
        if STANDARD_KEYS.contains(&item.key) && item.key != "r" && item.value.is_empty() {
            return Err(Error::rule(
                &STREAMID_SYNTAX,
                item.at as u64,
                format!("the standard key {} has an empty value", item.key),
            ));
        }
        match item.key {
            "h" => host = Some(item),
            "r" => resource = Some(item),
            "m" => id.mode = mode(&item)?,
            "u" => id.user = Some(item.value.into()),
            "s" => id.session = Some(item.value.into()),
            "t" => {
                if !["stream", "file", "auth"].contains(&item.value) {
                    violations.push(Violation::new(
                        &STREAMID_TYPE,
                        item.at as u64,
                        format!("t={} is not stream, file or auth", item.value),
                    ));
                }
                id.kind = Some(item.value.into());
            }
            _ => id.params.push((item.key.into(), item.value.into())),
        }
    }
    let path = match (host, resource) {
        (Some(h), Some(r)) if h.value.contains('/') => {
            return Err(Error::rule(
                &STREAMID_RESOURCE,
                r.at as u64,
                format!("both h={} and r={} name a resource", h.value, r.value),
            ));
        }
        (host, Some(r)) => {
            id.vhost = host.map(|h| h.value.to_owned());
            Item { at: r.at + 2, ..r }
        }
        (Some(h), None) => {
            let at = h.at + 2;
            match h.value.split_once('/') {
                None => {
                    return Err(Error::rule(
                        &STREAMID_RESOURCE,
                        base as u64,
                        format!("h={} names a host but no r= names a resource", h.value),
                    ));
                }
                // SRS: one `/` is app/stream, two or more are vhost/app/stream.
                Some((_, rest)) if !rest.contains('/') => Item { at, ..h },
                Some((vhost, rest)) => {
                    if vhost.is_empty() {
                        return Err(Error::rule(
                            &STREAMID_RESOURCE,
                            at as u64,
                            format!("h={} has an empty vhost", h.value),
                        ));
                    }
                    id.vhost = Some(vhost.into());
                    Item {
                        key: h.key,
                        value: rest,
                        at: at + vhost.len() + 1,
                    }
                }
            }
        }
        (None, None) => {
            return Err(Error::rule(
                &STREAMID_RESOURCE,
                base as u64,
                "no r= (or h=app/stream) names a resource",
            ));
        }
    };
    (id.app, id.stream) = app_stream(path.value, path.at)?;
    Ok(id)
}

/// The value of `m`, in any case (SRS lowers it).
fn mode(item: &Item) -> Result<Mode, Error> {
    let value = item.value.to_ascii_lowercase();
    match value.as_str() {
        "request" => Ok(Mode::Request),
        "publish" => Ok(Mode::Publish),
        _ => Err(Error::rule(
            &STREAMID_MODE,
            item.at as u64,
            format!("m={} is not request or publish", item.value),
        )),
    }
}

/// A stream id without the prefix: `app/stream` and an optional `?key=value&...` query, a play
/// request (SRS).
fn parse_bare(id: &str, violations: &mut Vec<Violation>) -> Result<StreamId, Error> {
    let (path, query) = id.split_once('?').unwrap_or((id, ""));
    if let Some(bad) = path.find([',', '&', ';', '=']) {
        return Err(Error::rule(
            &STREAMID_SYNTAX,
            bad as u64,
            format!("the bare stream id {path:?} holds a separator (did it miss the #!:: prefix?)"),
        ));
    }
    let (app, stream) = app_stream(path, 0)?;
    let mut params = Vec::new();
    if !query.is_empty() {
        for item in items(query, path.len() + 1, violations)? {
            if STANDARD_KEYS.contains(&item.key) {
                return Err(Error::rule(
                    &STREAMID_SYNTAX,
                    item.at as u64,
                    format!(
                        "the standard key {} is only read after the #!:: prefix",
                        item.key
                    ),
                ));
            }
            params.push((item.key.into(), item.value.into()));
        }
    }
    Ok(StreamId {
        params,
        ..StreamId::new(app, stream, Mode::Request)
    })
}

/// A resource (at byte `at`) as app and stream: before and after its first `/`, or the
/// default app and the whole resource when there is no `/` (SRS).
fn app_stream(resource: &str, at: usize) -> Result<(String, String), Error> {
    let (app, stream) = resource.split_once('/').unwrap_or((DEFAULT_APP, resource));
    if app.is_empty() || stream.is_empty() {
        return Err(Error::rule(
            &STREAMID_RESOURCE,
            at as u64,
            format!("the resource {resource:?} has an empty app or stream"),
        ));
    }
    Ok((app.into(), stream.into()))
}

impl fmt::Display for StreamId {
    /// The canonical form: `#!::` then `h`, `r`, `m`, `u`, `s`, `t` and the parameters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        if let Some(vhost) = &self.vhost {
            write!(f, "h={vhost},")?;
        }
        write!(f, "r={}/{},m={}", self.app, self.stream, self.mode.as_str())?;
        for (key, value) in [("u", &self.user), ("s", &self.session), ("t", &self.kind)] {
            if let Some(value) = value {
                write!(f, ",{key}={value}")?;
            }
        }
        for (key, value) in &self.params {
            write!(f, ",{key}={value}")?;
        }
        Ok(())
    }
}
