//! HTTP answers as comparable lines: the responses of one connection read with the harness's
//! own readers — `weir_http`'s [`MessageReader`] frames them (RFC 9112 §6.3), the body goes to
//! the machine for what it is (`BodyReader`: FLV, TS, playlists) — and said as lines that
//! two servers' answers to the same requests share when they agree: the status, the fields
//! that matter (Content-Type, how the body is framed, CORS, Location), each track's codec
//! configuration and whether its first frame is a keyframe, and a playlist's structure
//! (target duration, the order of magnitude of its segment count, the media sequence
//! advancing across reloads, RFC 8216 §6.2.1). Frame counts are kept beside the lines: how
//! many arrive depends on when the client left.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

use weir_hls::Playlist;
use weir_http::{End, Event, Framing, Limits, MessageReader, Role, Start};
use weir_media::{CodecConfig, Machine, Output};

use super::answers::Answers;
use crate::capture::Direction;
use crate::observe::Observation;
use crate::observe::http::body::BodyReader;
use crate::observe::http::route::{self, Kind};
use crate::observe::playlist;

/// Bytes of a playlist kept to parse it; a longer one is said to be too long.
const MAX_PLAYLIST: usize = 1 << 20;

/// One request of the captured client.
#[derive(Debug, Clone)]
pub struct Request {
    /// When its head was complete in the capture.
    pub time: Duration,
    pub method: String,
    pub target: String,
}

/// The captured client's requests in order, and why reading them stopped early, if it did.
pub fn requests(pieces: &[(Duration, bytes::Bytes)]) -> (Vec<Request>, Option<String>) {
    let mut reader = MessageReader::new(Role::Request, Limits::default());
    let now = Instant::now();
    let mut out = Vec::new();
    for (time, piece) in pieces {
        let result = reader.handle_input(now, piece);
        while let Some(output) = reader.poll_output() {
            if let Output::Event(Event::Head { head, .. }) = output
                && let Start::Request { method, target } = head.start
            {
                out.push(Request {
                    time: *time,
                    method,
                    target,
                });
            }
        }
        if let Err(e) = result {
            return (out, Some(format!("the client's requests: {e}")));
        }
    }
    (out, None)
}

/// A playlist as read: what maps a captured segment to the live server's.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub media_sequence: u64,
    /// The segments' URIs, as the playlist wrote them.
    pub segments: Vec<String>,
}

/// One response, read.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The request it answers, as shown: `GET /live/x.flv`.
    pub label: String,
    pub lines: Vec<String>,
    /// Frames per track and codec.
    pub frames: BTreeMap<String, u64>,
    /// The lines about the media of its body alone (also in `lines`).
    pub media: Vec<String>,
    /// When its last byte arrived; `complete`: its framing said it was whole.
    pub last: Duration,
    pub complete: bool,
    /// A media playlist it held.
    pub playlist: Option<Loaded>,
}

/// The response being read.
struct Reading {
    label: String,
    answer: Answer,
    body: Option<BodyReader>,
    /// A playlist's text, while it is read.
    text: Option<Vec<u8>>,
    /// Tracks whose first frame was seen.
    seen: HashMap<String, ()>,
    observations: Vec<Observation>,
}

/// The responses of one connection, paired with the requests the reader was told of.
pub struct Responses {
    reader: MessageReader,
    /// The labels of the requests told of, oldest first.
    labels: VecDeque<String>,
    reading: Option<Reading>,
    done: Vec<Answer>,
    /// The last media sequence of each playlist label, to see it advance.
    sequences: Rc<RefCell<HashMap<String, (u64, bool)>>>,
    types: crate::observe::sdp::SharedLearned,
    now: Instant,
    time: Duration,
    /// Why the reader stopped, if it did.
    pub error: Option<String>,
}

/// Media sequences seen per playlist, shared by the connections of one side of a replay.
pub type Sequences = Rc<RefCell<HashMap<String, (u64, bool)>>>;

impl Responses {
    /// `requests`: the method and the label each request's answer is shown under.
    pub fn new<'a>(
        requests: impl IntoIterator<Item = (&'a str, String)>,
        sequences: Sequences,
    ) -> Self {
        let mut reader = MessageReader::new(Role::Response, Limits::default());
        let mut labels = VecDeque::new();
        for (method, label) in requests {
            if reader.expect_response(method).is_some() {
                labels.push_back(format!("{method} {label}"));
            }
        }
        Responses {
            reader,
            labels,
            reading: None,
            done: Vec::new(),
            sequences,
            types: Default::default(),
            now: Instant::now(),
            time: Duration::ZERO,
            error: None,
        }
    }

    /// Bytes of the server, arrived at `time`.
    pub fn push(&mut self, time: Duration, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.time = time;
        let result = self.reader.handle_input(self.now, bytes);
        self.drain();
        if let Err(e) = result {
            self.error = Some(format!("the server's responses: {e}"));
            self.finish(None);
        }
    }

    /// The server closed the connection (`closed`), or the input stopped without it.
    pub fn end(&mut self, closed: bool) {
        if self.error.is_none() {
            if closed {
                let _ = self.reader.handle_end(self.now);
            } else {
                self.reader.handle_interrupt();
            }
            self.drain();
        }
        self.finish(None);
    }

    /// Whether the response to every request told of has ended.
    pub fn answered(&self) -> bool {
        self.labels.is_empty() && self.reading.is_none()
    }

    /// The responses read, in order.
    pub fn answers(mut self) -> Vec<Answer> {
        self.finish(None);
        self.done
    }

    fn drain(&mut self) {
        while let Some(output) = self.reader.poll_output() {
            let Output::Event(event) = output else {
                continue;
            };
            match event {
                Event::Head { head, .. } => {
                    let Start::Response { status, .. } = head.start else {
                        continue;
                    };
                    if (100..200).contains(&status) {
                        continue;
                    }
                    self.finish(None);
                    let label = self.labels.pop_front().unwrap_or_else(|| "?".into());
                    let target = label.split_once(' ').map(|(_, t)| t.to_owned());
                    let mut lines = vec![format!("{label}: status {status}")];
                    if let Some(content_type) = &head.content_type {
                        lines.push(format!("  Content-Type {content_type}"));
                    }
                    lines.push(format!("  body {}", framing(head.framing)));
                    for (name, value) in &head.kept {
                        let value = match *name {
                            "location" => path_of(value),
                            _ => value.clone(),
                        };
                        lines.push(format!("  {name}: {value}"));
                    }
                    let read = head.framing != Framing::Empty
                        && (200..300).contains(&status)
                        && head.content_encoding.is_none()
                        && head.other_coding.is_none();
                    let body = read.then(|| {
                        BodyReader::new(
                            head.content_type.as_deref(),
                            target.as_deref(),
                            &self.types,
                        )
                    });
                    let is_playlist = read
                        && head
                            .content_type
                            .as_deref()
                            .and_then(route::by_content_type)
                            .or_else(|| target.as_deref().and_then(route::by_extension))
                            == Some(Kind::Playlist);
                    self.reading = Some(Reading {
                        label: label.clone(),
                        answer: Answer {
                            label,
                            lines,
                            last: self.time,
                            ..Answer::default()
                        },
                        body,
                        text: is_playlist.then(Vec::new),
                        seen: HashMap::new(),
                        observations: Vec::new(),
                    });
                }
                Event::Body { offset, data } => {
                    if let Some(reading) = &mut self.reading {
                        reading.answer.last = self.time;
                        if let Some(text) = &mut reading.text
                            && text.len() + data.len() <= MAX_PLAYLIST
                        {
                            text.extend_from_slice(&data);
                        }
                        if let Some(body) = &mut reading.body {
                            body.data(offset, &data, &mut reading.observations);
                        }
                        reading.media();
                    }
                }
                Event::BodyGap(len) => {
                    if let Some(reading) = &mut self.reading
                        && let Some(body) = &mut reading.body
                    {
                        body.gap(len, &mut reading.observations);
                        reading.text = None;
                    }
                }
                Event::End(end) => self.finish(Some(end)),
                Event::HeadCut { .. } => {}
            }
        }
    }

    /// The response being read ended: how (`None`: the input did).
    fn finish(&mut self, end: Option<End>) {
        let Some(mut reading) = self.reading.take() else {
            return;
        };
        let complete = end == Some(End::Complete);
        reading.answer.complete = complete;
        if let Some(body) = &mut reading.body {
            body.end(complete, None, &mut reading.observations);
        }
        reading.media();
        if let Some(text) = reading.text.take().filter(|_| complete) {
            let mut found = Vec::new();
            let limits = weir_hls::Limits::default();
            match playlist::read(&text, &limits, Direction::ServerToClient, &mut found) {
                Some(Playlist::Media(media)) => {
                    // Whether it ended (EXT-X-ENDLIST) depends on when the publisher left:
                    // not compared.
                    reading.answer.lines.push(format!(
                        "  media playlist: target duration {}, {}",
                        media
                            .target_duration
                            .map_or("missing".to_owned(), |t| format!("{t} s")),
                        magnitude(media.segments.len()),
                    ));
                    let mut sequences = self.sequences.borrow_mut();
                    let seen = sequences.entry(reading.label.clone());
                    match seen {
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert((media.media_sequence, false));
                        }
                        std::collections::hash_map::Entry::Occupied(mut o) => {
                            let (last, advanced) = o.get_mut();
                            if media.media_sequence < *last {
                                reading
                                    .answer
                                    .lines
                                    .push("  media sequence went back".into());
                            } else if media.media_sequence > *last && !*advanced {
                                *advanced = true;
                                reading
                                    .answer
                                    .lines
                                    .push("  media sequence advanced".into());
                            }
                            *last = media.media_sequence.max(*last);
                        }
                    }
                    reading.answer.playlist = Some(Loaded {
                        media_sequence: media.media_sequence,
                        segments: media.segments.iter().map(|s| s.uri.clone()).collect(),
                    });
                }
                Some(Playlist::Master(master)) => reading.answer.lines.push(format!(
                    "  master playlist: {} variant(s)",
                    master.variants.len()
                )),
                None => reading.answer.lines.push("  playlist unreadable".into()),
            }
        }
        if !complete && reading.answer.frames.is_empty() && end.is_some() {
            reading.answer.lines.push("  body cut".into());
        }
        self.done.push(reading.answer);
    }
}

impl Reading {
    /// Media the body reader found, as lines and counts.
    fn media(&mut self) {
        let before = self.answer.media.len();
        media_lines(
            self.observations.drain(..),
            &mut self.seen,
            &mut self.answer.media,
            &mut self.answer.frames,
        );
        let new = self.answer.media[before..].iter().cloned();
        self.answer.lines.extend(new);
    }
}

/// Media observations as lines (each track's configuration, described, and whether its first
/// frame is a keyframe) and frame counts per track; `seen`: the tracks whose first frame was.
pub fn media_lines(
    observations: impl IntoIterator<Item = Observation>,
    seen: &mut HashMap<String, ()>,
    lines: &mut Vec<String>,
    frames: &mut BTreeMap<String, u64>,
) {
    for observation in observations {
        match observation {
            Observation::Config(_, config) => {
                let described = CodecConfig::parse(&config)
                    .map(|c| crate::media_summary::describe(&c))
                    .unwrap_or_else(|_| config.codec.to_string());
                lines.push(format!(
                    "  {} configuration: {described}",
                    crate::media_summary::track_name(config.track)
                ));
            }
            Observation::Frame(_, frame) => {
                let key = format!(
                    "{} {}",
                    crate::media_summary::track_name(frame.track),
                    frame.codec
                );
                *frames.entry(key.clone()).or_default() += 1;
                if seen.insert(key.clone(), ()).is_none() {
                    let first = if frame.keyframe {
                        "a keyframe"
                    } else {
                        "not a keyframe"
                    };
                    lines.push(format!("  {key} frames, the first {first}"));
                }
            }
            Observation::Entry(..) => {}
        }
    }
}

/// How a body is framed, as the comparison says it (RFC 9112 §6.3).
fn framing(framing: Framing) -> &'static str {
    match framing {
        Framing::Empty => "none",
        Framing::Chunked => "chunked (Transfer-Encoding)",
        Framing::Length(_) => "of a Content-Length",
        Framing::UntilClose => "until the connection closes",
        _ => "framed otherwise",
    }
}

/// A Location's path: the host and port differ from server to server.
fn path_of(location: &str) -> String {
    match location.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map_or("/".to_owned(), |at| rest[at..].to_owned()),
        None => location.to_owned(),
    }
}

/// A segment count's order of magnitude: how many a live window holds varies with when it
/// was loaded.
fn magnitude(n: usize) -> &'static str {
    match n {
        0 => "no segments",
        1..=9 => "1 to 9 segments",
        10..=99 => "10 to 99 segments",
        _ => "100 segments or more",
    }
}

/// The answers of a side as one [`Answers`]: the lines in order, the frames summed.
pub fn combine(answers: &[Answer]) -> Answers {
    let mut out = Answers::default();
    for answer in answers {
        out.lines.extend(answer.lines.iter().cloned());
        for (key, n) in &answer.frames {
            *out.frames.entry(key.clone()).or_default() += n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> (Vec<Answer>, Option<String>) {
        let mut responses =
            Responses::new([("GET", "/live/x.flv".to_owned())], Sequences::default());
        responses.push(Duration::ZERO, bytes);
        responses.end(true);
        let error = responses.error.clone();
        (responses.answers(), error)
    }

    #[test]
    fn a_redirect_is_compared_by_status_and_the_path_it_sends_to() {
        let (answers, error) = read(
            b"HTTP/1.1 302 Found\r\nLocation: http://a:1/live/y.flv\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(error, None);
        assert_eq!(
            answers[0].lines,
            [
                "GET /live/x.flv: status 302",
                "  body of a Content-Length",
                "  location: /live/y.flv"
            ]
        );
    }

    #[test]
    fn bytes_that_are_not_http_are_an_error_not_a_panic() {
        let (answers, error) = read(b"\x00\x01garbage\r\n\r\n");
        assert!(answers.is_empty());
        assert!(error.is_some_and(|e| e.contains("the server's responses")));
    }
}
