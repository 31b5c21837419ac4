//! The HTTP/1.x observer (RFC 9112): requests from the client's bytes and responses from the
//! server's, each direction read by its own [`MessageReader`] (`weir_http`); the response
//! reader is told of each request as it is read, so that it pairs responses with requests in
//! order (pipelining, RFC 9112 §9.3.2) and frames each knowing its request's method (§6.3).
//! Each response body goes to the machine for what it is (`body.rs`): HLS playlists,
//! transport streams (HLS segments, HTTP-TS) and FLV (HTTP-FLV), whose frames reach the flow's
//! media summary and whose violations are the flow's.
//!
//! The transcript gets one entry per request (method, target) and one per response when it
//! ends (status, type, body length and framing, what it was read as). A message the capture
//! or the connection cut is reported, not blamed on its sender (RFC 9112 §8).

pub(crate) mod body;
pub mod reloads;
pub(crate) mod route;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use weir_http::{End, Error, Event, Framing, Head, Limits, MessageReader, Role, Start, rules};
use weir_media::{Machine, Output, Violation};

use self::body::BodyReader;
use self::reloads::SharedReloads;
use super::{Observation, Observer};
use crate::capture::Direction;
use crate::observe::sdp::{self, SharedLearned};
use crate::transcript::EntryKind;
use weir_sdp::SessionDescription;

/// Characters of a request target kept for routing and URLs.
const MAX_TARGET_KEPT: usize = 4096;
/// Characters of a target shown in the transcript.
const MAX_TARGET_SHOWN: usize = 200;

/// The two directions of one HTTP connection.
pub struct HttpObserver {
    /// Client→server (requests), server→client (responses).
    readers: [MessageReader; 2],
    /// Per direction: its reader stopped on a broken rule and is not fed again.
    failed: [bool; 2],
    exchange: Exchange,
    /// The readers ignore time; one instant serves every call.
    now: Instant,
}

/// What pairs requests with responses.
struct Exchange {
    server: SocketAddr,
    midstream: bool,
    reloads: SharedReloads,
    types: SharedLearned,
    /// The body of the request being read, when it is read (an SDP offer).
    request_body: Option<BodyReader>,
    /// Requests the response reader was told of, without a final response yet, oldest first.
    pending: VecDeque<Request>,
    response: Option<Response>,
    /// Heads read per direction.
    heads: [u64; 2],
    /// Per direction: a message's head was read and its end not yet.
    open: [bool; 2],
    switched: bool,
    incomplete: bool,
}

struct Request {
    /// What the response reader numbered it.
    number: u64,
    target: String,
    /// What identifies the resource across connections: `http://host/target`.
    url: String,
    /// The description its body held (WHIP's and WHEP's offer), for its answer.
    offer: Option<SessionDescription>,
}

struct Response {
    /// `HTTP/1.1 200 OK`.
    line: String,
    status: u16,
    content_type: Option<String>,
    framing: Framing,
    body: BodyReader,
    request: Option<Request>,
}

impl HttpObserver {
    /// The observer of a connection to `server`; `midstream`: the capture may start inside a
    /// message; `reloads`: the playlist loads of the whole input.
    /// `types`: what RTP payload types carry, which descriptions in bodies add to.
    pub fn new(
        server: SocketAddr,
        midstream: bool,
        reloads: SharedReloads,
        types: SharedLearned,
    ) -> Self {
        let limits = Limits::default();
        HttpObserver {
            readers: [
                MessageReader::new(Role::Request, limits),
                MessageReader::new(Role::Response, limits),
            ],
            failed: [false; 2],
            exchange: Exchange {
                server,
                midstream,
                reloads,
                types,
                request_body: None,
                pending: VecDeque::new(),
                response: None,
                heads: [0; 2],
                open: [false; 2],
                switched: false,
                incomplete: false,
            },
            now: Instant::now(),
        }
    }

    /// Calls `f` with `dir`'s reader unless it failed, then reads what it said; a protocol
    /// switch stops both directions.
    fn with<T>(
        &mut self,
        dir: Direction,
        out: &mut Vec<Observation>,
        f: impl FnOnce(&mut MessageReader, Instant) -> T,
    ) -> Option<T> {
        if self.failed[dir.index()] {
            return None;
        }
        let said = f(&mut self.readers[dir.index()], self.now);
        self.drain(dir, out);
        if self.exchange.switched {
            self.readers.iter_mut().for_each(MessageReader::stop);
        }
        Some(said)
    }

    /// Everything `dir`'s reader has to say, in order.
    fn drain(&mut self, dir: Direction, out: &mut Vec<Observation>) {
        let [requests, responses] = &mut self.readers;
        let (reader, other) = match dir {
            Direction::ClientToServer => (requests, responses),
            Direction::ServerToClient => (responses, requests),
        };
        while let Some(output) = reader.poll_output() {
            let mut side = Side {
                dir,
                exchange: &mut self.exchange,
                out,
            };
            match output {
                Output::Transmit(_) => {}
                Output::Violation(v) => side.violation(v, false),
                Output::Event(Event::Head { head, answers }) => {
                    side.exchange.heads[dir.index()] += 1;
                    side.exchange.open[dir.index()] = true;
                    match dir {
                        Direction::ClientToServer => side.request(head, other),
                        Direction::ServerToClient => side.response(head, answers),
                    }
                }
                Output::Event(Event::Body { offset, data }) => side.data(offset, &data),
                Output::Event(Event::BodyGap(len)) => side.gap(len),
                Output::Event(Event::End(end)) => side.end(how(end)),
                Output::Event(Event::HeadCut { len, end }) => side.head_cut(len, end),
            }
        }
    }

    /// `dir`'s reader stopped on `error`: the rule it broke, and the message it cut.
    fn lost(&mut self, dir: Direction, error: Error, out: &mut Vec<Observation>) {
        self.failed[dir.index()] = true;
        let mut side = Side {
            dir,
            exchange: &mut self.exchange,
            out,
        };
        match error.into_violation() {
            Some(violation) => side.violation(violation, true),
            None => {
                side.exchange.incomplete = true;
                let why = "the body's length cannot be known: not read further".to_owned();
                side.out
                    .push(Observation::Entry(dir, EntryKind::GaveUp(why)));
            }
        }
        if side.exchange.open[dir.index()] {
            side.end(Some("framing lost"));
        }
    }
}

impl Observer for HttpObserver {
    fn data(&mut self, dir: Direction, _offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        let result = self.with(dir, out, |reader, now| reader.handle_input(now, bytes));
        if let Some(Err(error)) = result {
            self.lost(dir, error, out);
        }
    }

    fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        let kept = self.with(dir, out, |reader, _| reader.handle_gap(len));
        if kept == Some(false) {
            self.exchange.incomplete = true;
            let why = format!(
                "{len} bytes missing at offset {offset}, outside a body whose framing could \
                 skip them: where the next message starts is unknown (RFC 9112 §6.3)"
            );
            out.push(Observation::Entry(dir, EntryKind::GaveUp(why)));
        }
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        let result = self.with(dir, out, |reader, now| reader.handle_end(now));
        if let Some(Err(error)) = result {
            self.lost(dir, error, out);
        }
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            self.with(dir, out, |reader, _| reader.handle_interrupt());
        }
    }

    fn complete(&self) -> bool {
        !self.exchange.incomplete
    }
}

/// How a message that did not end whole ended, for the transcript.
fn how(end: End) -> Option<&'static str> {
    match end {
        End::Complete => None,
        End::Closed => Some("cut: the connection closed first"),
        End::Interrupted => Some("cut: the flow ended first (capture's end or reset)"),
        End::Gap => Some("cut: bytes missing from the capture"),
    }
}

/// One direction's messages into the exchange and the transcript.
struct Side<'a> {
    dir: Direction,
    exchange: &'a mut Exchange,
    out: &'a mut Vec<Observation>,
}

impl Side<'_> {
    fn event(&mut self, text: String) {
        self.out
            .push(Observation::Entry(self.dir, EntryKind::Event(text)));
    }

    /// A request head; `responses` is told of it.
    fn request(&mut self, head: Head, responses: &mut MessageReader) {
        let Start::Request { method, target } = &head.start else {
            return;
        };
        let mut text = format!(
            "request {method} {} HTTP/1.{}",
            shown(target),
            head.minor_version
        );
        if head.framing != Framing::Empty {
            text.push_str(&format!(" ({} body)", head.framing.name()));
        }
        self.event(text);
        if head.framing != Framing::Empty {
            self.exchange.request_body =
                BodyReader::request(head.content_type.as_deref(), &self.exchange.types);
        }
        let Some(number) = responses.expect_response(method) else {
            return;
        };
        let target: String = target.chars().take(MAX_TARGET_KEPT).collect();
        let url = if target.starts_with('/') || target == "*" {
            let host = head
                .host
                .clone()
                .unwrap_or_else(|| self.exchange.server.to_string());
            format!("http://{host}{target}")
        } else {
            target.clone()
        };
        self.exchange.pending.push_back(Request {
            number,
            target,
            url,
            offer: None,
        });
    }

    /// A response head, framed by the reader; `answers`: the request it answers.
    fn response(&mut self, head: Head, answers: Option<u64>) {
        let Start::Response { status, reason } = &head.start else {
            return;
        };
        let status = *status;
        let line = format!("HTTP/1.{} {status} {reason}", head.minor_version);
        if status == 101 {
            self.exchange.switched = true;
            self.exchange.incomplete = true;
            self.event(format!(
                "response {line}: the connection leaves HTTP/1.x (RFC 9110 §15.2.2); not read further"
            ));
            return;
        }
        if (100..200).contains(&status) {
            self.event(format!("response {line} (interim)"));
            return;
        }
        let pending = &mut self.exchange.pending;
        let request = answers
            .filter(|&n| pending.front().is_some_and(|r| r.number == n))
            .and_then(|_| pending.pop_front());
        let framing = head.framing;
        if framing == Framing::Switched {
            self.exchange.switched = true;
            self.exchange.incomplete = true;
            self.event(format!(
                "response {line} to CONNECT: a tunnel (RFC 9110 §9.3.6); not read further"
            ));
            return;
        }
        let types = &self.exchange.types;
        let body = if framing == Framing::Empty {
            BodyReader::skipped("no body".into(), types)
        } else if !(200..300).contains(&status) {
            BodyReader::skipped(format!("status {status}"), types)
        } else if let Some(coding) = head
            .content_encoding
            .as_ref()
            .or(head.other_coding.as_ref())
        {
            BodyReader::skipped(format!("coded {coding}"), types)
        } else {
            let target = request.as_ref().map(|r| r.target.as_str());
            BodyReader::new(head.content_type.as_deref(), target, types)
        };
        self.exchange.response = Some(Response {
            line,
            status,
            content_type: head.content_type,
            framing,
            body,
            request,
        });
    }

    fn data(&mut self, offset: u64, bytes: &[u8]) {
        let out = &mut *self.out;
        let body = match self.dir {
            Direction::ClientToServer => self.exchange.request_body.as_mut(),
            Direction::ServerToClient => self.exchange.response.as_mut().map(|r| &mut r.body),
        };
        if let Some(body) = body {
            body.data(offset, bytes, out);
        }
    }

    fn gap(&mut self, len: u64) {
        self.exchange.incomplete = true;
        let out = &mut *self.out;
        let body = match self.dir {
            Direction::ClientToServer => self.exchange.request_body.as_mut(),
            Direction::ServerToClient => self.exchange.response.as_mut().map(|r| &mut r.body),
        };
        if let Some(body) = body {
            body.gap(len, out);
        }
    }

    /// The message ended: whole (`how` is `None`) or how it was cut.
    fn end(&mut self, how: Option<&str>) {
        self.exchange.open[self.dir.index()] = false;
        if self.dir == Direction::ClientToServer {
            if let Some(how) = how {
                self.event(format!("request body {how}"));
            }
            if let Some(mut body) = self.exchange.request_body.take() {
                let read = body.end(how.is_none(), None, self.out);
                self.event(format!("request body, {} bytes, {read}", body.bytes()));
                if let Some(request) = self.exchange.pending.back_mut() {
                    request.offer = body.description().cloned();
                }
            }
            return;
        }
        let Some(mut response) = self.exchange.response.take() else {
            return;
        };
        let x = &mut *self.exchange;
        let mut reloads = x.reloads.borrow_mut();
        let reload = response
            .request
            .as_ref()
            .filter(|_| response.status == 200)
            .map(|r| (&mut *reloads, r.url.as_str()));
        let read = response.body.end(how.is_none(), reload, self.out);
        drop(reloads);
        let offer = response.request.as_ref().and_then(|r| r.offer.as_ref());
        if let (Some(offer), Some(answer)) = (offer, response.body.description()) {
            sdp::pair(offer, answer, self.dir, self.out);
        }
        let mut text = format!("response {}", response.line);
        if let Some(content_type) = &response.content_type {
            text.push_str(&format!(", {content_type}"));
        }
        if response.framing == Framing::Empty {
            text.push_str(", no body");
        } else {
            let mut framing = response.framing.name().to_owned();
            if let Some(how) = how {
                framing.push_str(&format!(", {how}"));
            }
            text.push_str(&format!(
                ", {} bytes ({framing}), {read}",
                response.body.bytes()
            ));
        }
        self.event(text);
    }

    fn head_cut(&mut self, len: usize, end: End) {
        let what = match self.dir {
            Direction::ClientToServer => "request",
            Direction::ServerToClient => "response",
        };
        let why = match end {
            End::Closed => "the connection closed",
            End::Gap => "bytes went missing from the capture",
            _ => "the flow ended",
        };
        self.event(format!(
            "{what} head cut after {len} bytes: {why} (RFC 9112 §8)"
        ));
    }

    /// A rule broken; `fatal`: the direction is not read further.
    fn violation(&mut self, v: Violation, fatal: bool) {
        let x = &mut *self.exchange;
        x.incomplete |= fatal;
        if x.midstream && x.heads[self.dir.index()] == 0 && v.rule.id == rules::START_LINE.id {
            let why = format!(
                "the capture starts inside a message ({}): where the next one starts is unknown",
                v.detail
            );
            self.out
                .push(Observation::Entry(self.dir, EntryKind::GaveUp(why)));
            return;
        }
        self.out.push(Observation::Entry(
            self.dir,
            EntryKind::Violation {
                rule: v.rule,
                offset: Some(v.offset),
                detail: v.detail,
                fatal,
            },
        ));
    }
}

/// A target as the transcript shows it: cut to [`MAX_TARGET_SHOWN`] characters.
fn shown(target: &str) -> String {
    match target.char_indices().nth(MAX_TARGET_SHOWN) {
        Some((cut, _)) => format!("{}…", &target[..cut]),
        None => target.to_owned(),
    }
}
