//! What the HTTP live prober saw: one player's GET of the stream, its body read for the
//! probe's duration through the harness's own body reader (the one HTTP flows of a capture go
//! through: FLV or TS by the URL's extension), and a GET of a stream nobody publishes.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::blocking::Client;
use weir_media::{Codec, Rule, Timestamp, Track};

use crate::observe::Observation;
use crate::observe::http::body::BodyReader;
use crate::observe::http::route::{self, Kind};
use crate::observe::sdp::SharedLearned;
use crate::probe::hls::fetch::{chain, client};
use crate::transcript::EntryKind;

/// The Origin the player's GET carries, for the CORS case.
pub const ORIGIN: &str = "http://weir-probe.invalid";
/// Frames kept for the cases (about an hour of 25 fps video and AAC).
const MAX_EVENTS: usize = 200_000;
/// Violations kept.
const MAX_VIOLATIONS: usize = 1_000;
/// How long the GET of a stream nobody publishes may take to be answered.
const MISSING_WAIT: Duration = Duration::from_secs(3);

/// The container a URL names by its path's extension: FLV or TS, as the HTTP observer tells
/// bodies apart.
pub fn container_of(url: &Url) -> Option<Kind> {
    route::by_extension(url.path()).filter(|kind| matches!(kind, Kind::Flv | Kind::Ts))
}

/// An answer's status and headers (names in lower case).
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What came in the body, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Config(Track, Codec),
    Frame {
        track: Track,
        dts: Timestamp,
        keyframe: bool,
        /// When it was read, from the answer's arrival.
        at: Duration,
    },
}

/// Everything the cases judge.
#[derive(Debug)]
pub struct Session {
    pub container: Kind,
    pub url: Url,
    /// The player's GET: its answer, or why none came.
    pub live: Result<Answer, String>,
    /// Body bytes read, and for how long.
    pub bytes: u64,
    pub read_for: Duration,
    /// When the last body bytes came.
    pub last_data: Option<Duration>,
    /// The body ended (the server closed it) before the probe stopped reading: when.
    pub ended: Option<Duration>,
    /// Why reading stopped early, when it was an error.
    pub read_error: Option<String>,
    pub events: Vec<Event>,
    /// The container's rule violations: rule, offset in the body, detail.
    pub violations: Vec<(&'static Rule, Option<u64>, String)>,
    /// What the body reader said of the body at the end.
    pub read_as: String,
    /// The GET of a stream nobody publishes: its URL and answer.
    pub missing_url: Url,
    pub missing: Result<Answer, String>,
}

/// Plays `url` for `duration`, then asks for a stream nobody publishes.
pub fn play(url: &Url, duration: Duration, nonce: u64) -> Result<Session, String> {
    let container =
        container_of(url).ok_or_else(|| format!("{url}: the path names no .flv or .ts stream"))?;
    // The whole read is one request: its timeout must outlast it.
    let http = client(duration + Duration::from_secs(15), Client::builder())?;
    let response = http
        .get(url.clone())
        .header("Origin", ORIGIN)
        .send()
        .map_err(|e| format!("GET {url}: {}", chain(&e)))?;
    let arrived = Instant::now();
    let live = Answer {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    let mut session = Session {
        container,
        url: url.clone(),
        live: Ok(live.clone()),
        bytes: 0,
        read_for: Duration::ZERO,
        last_data: None,
        ended: None,
        read_error: None,
        events: Vec::new(),
        violations: Vec::new(),
        read_as: String::new(),
        missing_url: missing_url(url, container, nonce),
        missing: Err(String::new()),
    };
    if live.status == 200 {
        read_body(response, arrived, duration, &mut session);
    }
    session.missing = ask_missing(&session.missing_url);
    Ok(session)
}

/// Reads the body for `duration` from `arrived` through the harness's body reader. The reads
/// block, so they run on a thread of their own: a server that goes silent cannot hold the
/// probe past its duration.
fn read_body(
    mut response: reqwest::blocking::Response,
    arrived: Instant,
    duration: Duration,
    session: &mut Session,
) {
    let path = session.url.path().to_owned();
    let mut reader = BodyReader::new(None, Some(&path), &SharedLearned::default());
    let mut out = Vec::new();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<u8>, String>>(64);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let chunk = match response.read(&mut buf) {
                Ok(n) => Ok(buf[..n].to_vec()),
                Err(e) => Err(e.to_string()),
            };
            let last = !matches!(chunk, Ok(ref c) if !c.is_empty());
            if tx.send(chunk).is_err() || last {
                return;
            }
        }
    });
    let end = arrived + duration;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match rx.recv_timeout(left) {
            Ok(Ok(bytes)) if bytes.is_empty() => {
                session.ended = Some(arrived.elapsed());
                break;
            }
            Ok(Ok(bytes)) => {
                let at = arrived.elapsed();
                reader.data(session.bytes, &bytes, &mut out);
                session.bytes += bytes.len() as u64;
                session.last_data = Some(at);
                take(&mut out, at, session);
            }
            Ok(Err(e)) => {
                session.read_error = Some(format!("reading the body: {e}"));
                break;
            }
            Err(_) => break,
        }
    }
    session.read_for = arrived.elapsed();
    // Reading stopped at the probe's choice: the body is not finished, so that its last,
    // partly read tag or packet is not blamed on the server; a body the server ended is.
    let complete = session.ended.is_some();
    session.read_as = reader.end(complete, None, &mut out);
    take(&mut out, session.read_for, session);
}

/// The reader's findings into the session.
fn take(out: &mut Vec<Observation>, at: Duration, session: &mut Session) {
    for observation in out.drain(..) {
        match observation {
            Observation::Config(_, config) if session.events.len() < MAX_EVENTS => {
                session
                    .events
                    .push(Event::Config(config.track, config.codec));
            }
            Observation::Frame(_, frame) if session.events.len() < MAX_EVENTS => {
                session.events.push(Event::Frame {
                    track: frame.track,
                    dts: frame.dts,
                    keyframe: frame.keyframe,
                    at,
                });
            }
            Observation::Entry(
                _,
                EntryKind::Violation {
                    rule,
                    offset,
                    detail,
                    ..
                },
            ) if session.violations.len() < MAX_VIOLATIONS => {
                session.violations.push((rule, offset, detail));
            }
            _ => {}
        }
    }
}

/// The URL with its stream name replaced by one nobody publishes.
fn missing_url(url: &Url, container: Kind, nonce: u64) -> Url {
    let mut missing = url.clone();
    let name = format!("weir-probe-nobody-{nonce:x}.{}", container.extension());
    if let Ok(mut segments) = missing.path_segments_mut() {
        segments.pop().push(&name);
    }
    missing
}

/// A GET of a stream nobody publishes: the answer's head, or that none came in time.
fn ask_missing(url: &Url) -> Result<Answer, String> {
    let http = client(MISSING_WAIT, Client::builder())?;
    let response = http
        .get(url.clone())
        .send()
        .map_err(|e| format!("no answer within {MISSING_WAIT:?} ({})", chain(&e)))?;
    Ok(Answer {
        status: response.status().as_u16(),
        headers: Vec::new(),
    })
}
