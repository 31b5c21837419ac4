//! The HTTP/1.x observer (RFC 9112): requests from the client's bytes and responses from the
//! server's, each direction by its own message reader (`message.rs`), paired in order
//! (pipelining, RFC 9112 §9.3.2) so that a response is framed knowing its request's method
//! (§6.3). Each response body goes to the machine for what it is (`body.rs`): HLS playlists,
//! transport streams (HLS segments, HTTP-TS) and FLV (HTTP-FLV), whose frames reach the flow's
//! media summary and whose violations are the flow's.
//!
//! The transcript gets one entry per request (method, target) and one per response when it
//! ends (status, type, body length and framing, what it was read as). A message the capture
//! or the connection cut is reported, not blamed on its sender (RFC 9112 §8).

mod body;
mod chunked;
mod flv_body;
mod head;
mod message;
pub mod reloads;
mod route;
pub mod rules;

use std::collections::VecDeque;
use std::net::SocketAddr;

use weir_media::Violation;

use self::body::BodyReader;
use self::head::{Framing, Head, Role, Start};
use self::message::{End, Limits, MessageReader, Sink};
use self::reloads::SharedReloads;
use super::{Observation, Observer};
use crate::capture::Direction;
use crate::transcript::EntryKind;

/// Requests remembered while they wait for their responses; later ones are answered as if
/// by a GET nobody saw.
const MAX_PENDING: usize = 256;
/// Characters of a request target kept for routing and URLs, and of a method.
const MAX_TARGET_KEPT: usize = 4096;
const MAX_METHOD_KEPT: usize = 32;
/// Characters of a target shown in the transcript.
const MAX_TARGET_SHOWN: usize = 200;

/// The two directions of one HTTP connection.
pub struct HttpObserver {
    /// Client→server (requests), server→client (responses).
    readers: [MessageReader; 2],
    exchange: Exchange,
}

/// What pairs requests with responses.
struct Exchange {
    server: SocketAddr,
    midstream: bool,
    reloads: SharedReloads,
    /// Requests without a final response yet, oldest first.
    pending: VecDeque<Request>,
    requests: u64,
    /// Final responses so far.
    responses: u64,
    response: Option<Response>,
    /// Heads read per direction.
    heads: [u64; 2],
    switched: bool,
    incomplete: bool,
}

struct Request {
    number: u64,
    method: String,
    target: String,
    /// What identifies the resource across connections: `http://host/target`.
    url: String,
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
    pub fn new(server: SocketAddr, midstream: bool, reloads: SharedReloads) -> Self {
        let limits = Limits::default();
        HttpObserver {
            readers: [
                MessageReader::new(Role::Request, limits),
                MessageReader::new(Role::Response, limits),
            ],
            exchange: Exchange {
                server,
                midstream,
                reloads,
                pending: VecDeque::new(),
                requests: 0,
                responses: 0,
                response: None,
                heads: [0; 2],
                switched: false,
                incomplete: false,
            },
        }
    }

    fn with(
        &mut self,
        dir: Direction,
        out: &mut Vec<Observation>,
        f: impl FnOnce(&mut MessageReader, &mut Side<'_>),
    ) {
        let mut side = Side {
            dir,
            exchange: &mut self.exchange,
            out,
        };
        f(&mut self.readers[dir.index()], &mut side);
        if self.exchange.switched {
            self.readers.iter_mut().for_each(MessageReader::stop);
        }
    }
}

impl Observer for HttpObserver {
    fn data(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        self.with(dir, out, |reader, side| reader.push(offset, bytes, side));
    }

    /// HTTP/1.x runs over TCP: the checker gives it no datagrams.
    fn datagram(&mut self, _dir: Direction, _bytes: &[u8], _out: &mut Vec<Observation>) {}

    fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        let mut lost = false;
        self.with(dir, out, |reader, side| lost = !reader.gap(len, side));
        if lost {
            self.exchange.incomplete = true;
            let why = format!(
                "{len} bytes missing at offset {offset}, outside a body whose framing could \
                 skip them: where the next message starts is unknown (RFC 9112 §6.3)"
            );
            out.push(Observation::Entry(dir, EntryKind::GaveUp(why)));
        }
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        self.with(dir, out, |reader, side| reader.finish(End::Closed, side));
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            self.with(dir, out, |reader, side| reader.finish(End::FlowEnded, side));
        }
    }

    fn complete(&self) -> bool {
        !self.exchange.incomplete
    }
}

/// One direction's [`Sink`]: requests or responses into the exchange and the transcript.
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

    fn request(&mut self, head: Head) -> Framing {
        let Start::Request { method, target } = &head.start else {
            return Framing::Unknown;
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
        let x = &mut *self.exchange;
        if x.pending.len() < MAX_PENDING {
            let target: String = target.chars().take(MAX_TARGET_KEPT).collect();
            let url = if target.starts_with('/') || target == "*" {
                let host = head.host.clone().unwrap_or_else(|| x.server.to_string());
                format!("http://{host}{target}")
            } else {
                target.clone()
            };
            x.pending.push_back(Request {
                number: x.requests,
                method: method.chars().take(MAX_METHOD_KEPT).collect(),
                target,
                url,
            });
        }
        x.requests += 1;
        head.framing
    }

    fn response(&mut self, head: Head) -> Framing {
        let Start::Response { status, reason } = &head.start else {
            return Framing::Unknown;
        };
        let status = *status;
        let line = format!("HTTP/1.{} {status} {reason}", head.minor_version);
        if status == 101 {
            self.exchange.switched = true;
            self.exchange.incomplete = true;
            self.event(format!(
                "response {line}: the connection leaves HTTP/1.x (RFC 9110 §15.2.2); not read further"
            ));
            return Framing::Switched;
        }
        if (100..200).contains(&status) {
            self.event(format!("response {line} (interim)"));
            return Framing::Empty;
        }
        let request = match self.exchange.pending.front() {
            Some(r) if r.number == self.exchange.responses => self.exchange.pending.pop_front(),
            _ => None,
        };
        self.exchange.responses += 1;
        let method = request.as_ref().map(|r| r.method.as_str());
        // RFC 9112 §6.3 items 1 and 2.
        let framing = if method == Some("HEAD") || status == 204 || status == 304 {
            Framing::Empty
        } else if method == Some("CONNECT") && (200..300).contains(&status) {
            self.exchange.switched = true;
            self.exchange.incomplete = true;
            self.event(format!(
                "response {line} to CONNECT: a tunnel (RFC 9110 §9.3.6); not read further"
            ));
            return Framing::Switched;
        } else {
            head.framing
        };
        let body = if framing == Framing::Empty {
            BodyReader::skipped("no body".into())
        } else if !(200..300).contains(&status) {
            BodyReader::skipped(format!("status {status}"))
        } else if let Some(coding) = head
            .content_encoding
            .as_ref()
            .or(head.other_coding.as_ref())
        {
            BodyReader::skipped(format!("coded {coding}"))
        } else {
            let target = request.as_ref().map(|r| r.target.as_str());
            BodyReader::new(head.content_type.as_deref(), target)
        };
        self.exchange.response = Some(Response {
            line,
            status,
            content_type: head.content_type,
            framing,
            body,
            request,
        });
        framing
    }
}

impl Sink for Side<'_> {
    fn head(&mut self, head: Head) -> Framing {
        self.exchange.heads[self.dir.index()] += 1;
        match self.dir {
            Direction::ClientToServer => self.request(head),
            Direction::ServerToClient => self.response(head),
        }
    }

    fn data(&mut self, offset: u64, bytes: &[u8]) {
        if self.dir == Direction::ServerToClient
            && let Some(response) = &mut self.exchange.response
        {
            response.body.data(offset, bytes, self.out);
        }
    }

    fn gap(&mut self, len: u64) {
        self.exchange.incomplete = true;
        if self.dir == Direction::ServerToClient
            && let Some(response) = &mut self.exchange.response
        {
            response.body.gap(len, self.out);
        }
    }

    fn end(&mut self, end: End) {
        let how = match end {
            End::Complete => None,
            End::Closed => Some("cut: the connection closed first"),
            End::FlowEnded => Some("cut: the flow ended first (capture's end or reset)"),
            End::Unreadable => Some("framing lost"),
            End::Gap => Some("cut: bytes missing from the capture"),
        };
        if self.dir == Direction::ClientToServer {
            if let Some(how) = how {
                self.event(format!("request body {how}"));
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
