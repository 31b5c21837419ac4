//! One direction of an HTTP/1.x connection read as messages (RFC 9112 §2.1): a head, then a
//! body framed by Content-Length, the chunked coding or the connection's close (§6.3), then
//! the next message on the same connection (§9.3, pipelining §9.3.2). What is held is one
//! head (or chunk size line, or trailer section), bounded by [`Limits`]; body bytes leave as
//! they come.
//!
//! A response's framing depends on the request it answers (§6.3 items 1 and 2: HEAD, and a
//! CONNECT that opens a tunnel): the response reader is told of each request, in order, with
//! [`MessageReader::expect_response`], and pairs each final response with the oldest request
//! not yet answered.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use weir_media::{Error, Machine, Output, Violation};

use crate::chunked::{Chunk, Chunked};
use crate::head::{self, Framing, Head, Parsed, Role, Start};
use crate::rules;

/// Bounds on what one direction holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a head (start line and field lines) or of a trailer section.
    pub max_head: usize,
    /// Field lines of a head or trailer section.
    pub max_fields: usize,
    /// Requests a response reader remembers while they wait for their responses; the
    /// responses to later ones are framed as a GET's would be.
    pub max_pending: usize,
}

impl Default for Limits {
    /// 64 KiB and 128 field lines: far above what browsers, players and servers send (RFC
    /// 9112 §3 asks for request lines of 8000 octets at least); 256 requests in flight.
    fn default() -> Self {
        Limits {
            max_head: 64 << 10,
            max_fields: 128,
            max_pending: 256,
        }
    }
}

/// How a message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Its framing says it is whole.
    Complete,
    /// The sender closed the connection before the end its framing announced (RFC 9112 §8).
    Closed,
    /// The input stopped without the sender closing it (a reset, or the end of a capture):
    /// see [`MessageReader::handle_interrupt`].
    Interrupted,
    /// Bytes the framing cannot skip are missing: see [`MessageReader::handle_gap`].
    Gap,
}

/// What a [`MessageReader`] reads, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message head. Its `framing` is the body's: what the fields say, after the request
    /// method and the status code had their say (RFC 9112 §6.3 items 1 and 2).
    Head {
        /// The head.
        head: Head,
        /// For a final response: the number [`MessageReader::expect_response`] gave the
        /// request it answers, when it was told of that request.
        answers: Option<u64>,
    },
    /// Body bytes (decoded from chunks) at their offset in the direction's stream. How a
    /// body is cut into these depends on how the input came; the bytes and offsets do not.
    Body {
        /// Offset of the first byte in the direction's stream.
        offset: u64,
        /// The bytes.
        data: Bytes,
    },
    /// This many bytes of the body are missing from the input; its framing survives them.
    BodyGap(u64),
    /// The message begun by the last head ended.
    End(End),
    /// A head began but did not end: this many bytes of it, then the end of the input.
    HeadCut {
        /// Bytes of the head read.
        len: usize,
        /// How the input ended.
        end: End,
    },
}

/// What a response reader needs of a request's method (RFC 9112 §6.3 items 1 and 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Head,
    Connect,
    Other,
}

#[derive(Debug)]
enum State {
    /// Between messages, or inside a head that began at stream offset `start`, whose current
    /// line begins at `line` in `text`.
    Head {
        text: Vec<u8>,
        start: u64,
        line: usize,
    },
    Length(u64),
    Chunked(Chunked),
    UntilClose,
    /// Not read further: the framing was lost, the protocol switched, or the input ended.
    Stopped,
}

/// The messages of one direction; see the [module docs](self) and the
/// [crate root](crate) for the driving loop.
///
/// A rule broken so that no later message can be found (a start line or field line that
/// breaks the grammar, a head over the limits, a body length that cannot be known, a broken
/// chunk) is the [`Error`] of the call that met it, and of every call after; other broken
/// rules are [`Output::Violation`]s and reading goes on.
#[derive(Debug)]
pub struct MessageReader {
    role: Role,
    limits: Limits,
    state: State,
    /// Stream offset of the next byte.
    position: u64,
    /// Requests told of and not yet answered (a response reader's): their numbers, oldest
    /// first.
    requests: VecDeque<(u64, Method)>,
    /// Requests told of so far, and final responses read so far.
    told: u64,
    answered: u64,
    outputs: VecDeque<Output<Event>>,
    failed: Option<Error>,
}

impl MessageReader {
    /// A reader of the messages `role` sends.
    pub fn new(role: Role, limits: Limits) -> Self {
        MessageReader {
            role,
            limits,
            state: idle(),
            position: 0,
            requests: VecDeque::new(),
            told: 0,
            answered: 0,
            outputs: VecDeque::new(),
            failed: None,
        }
    }

    /// Tells a response reader that a request with this method went out on the connection
    /// (pipelined requests in the order sent, RFC 9112 §9.3.2). Returns the request's number,
    /// which the [`Event::Head`] of its response carries; `None` when [`Limits::max_pending`]
    /// requests already wait.
    pub fn expect_response(&mut self, method: &str) -> Option<u64> {
        let number = self.told;
        self.told += 1;
        if self.requests.len() >= self.limits.max_pending {
            return None;
        }
        let method = match method {
            "HEAD" => Method::Head,
            "CONNECT" => Method::Connect,
            _ => Method::Other,
        };
        self.requests.push_back((number, method));
        Some(number)
    }

    /// Reads nothing more: the connection left HTTP/1.x (the other direction switched
    /// protocols, RFC 9110 §15.2.2).
    pub fn stop(&mut self) {
        self.state = State::Stopped;
    }

    /// `len` bytes at the current position are missing from the input. Inside a body whose
    /// framing survives them they are skipped ([`Event::BodyGap`]); anywhere else the message
    /// ends ([`Event::HeadCut`] or [`End::Gap`]), nothing more is read, and the answer is
    /// false.
    pub fn handle_gap(&mut self, len: u64) -> bool {
        self.position += len;
        let skipped = match &mut self.state {
            State::Stopped => return true,
            State::Length(left) if len <= *left => {
                *left -= len;
                true
            }
            State::Chunked(chunked) => chunked.skip(len),
            State::UntilClose => true,
            State::Head { .. } | State::Length(_) => false,
        };
        if skipped {
            self.emit(Event::BodyGap(len));
            if matches!(self.state, State::Length(0)) {
                self.state = idle();
                self.emit(Event::End(End::Complete));
            }
            return true;
        }
        self.finish(End::Gap);
        false
    }

    /// The input stopped without its sender closing it (a reset, the end of a capture): a
    /// body read until close is cut, not whole (RFC 9112 §8).
    pub fn handle_interrupt(&mut self) {
        if self.failed.is_none() {
            self.finish(End::Interrupted);
        }
    }

    fn emit(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    /// Stops on a rule broken beyond recovery: the error of this call and every later one.
    fn fail(&mut self, violation: Violation) -> Error {
        let error = Error::from(violation);
        self.state = State::Stopped;
        self.failed = Some(error.clone());
        error
    }

    /// The input ended with `end`: what was begun is cut short (a body read until close is
    /// whole when its sender closed).
    fn finish(&mut self, end: End) {
        match std::mem::replace(&mut self.state, State::Stopped) {
            State::Stopped => {}
            State::Head { text, .. } if is_blank(&text) => {}
            State::Head { text, .. } => self.emit(Event::HeadCut {
                len: text.len(),
                end,
            }),
            State::UntilClose if end == End::Closed => self.emit(Event::End(End::Complete)),
            State::UntilClose | State::Length(_) | State::Chunked(_) => self.emit(Event::End(end)),
        }
    }

    /// Reads from the start of `input`; returns how many bytes were taken.
    fn step(&mut self, input: &[u8]) -> Result<usize, Error> {
        let position = self.position;
        match &mut self.state {
            State::Stopped => Ok(input.len()),
            State::Head { .. } => self.head(input),
            State::Length(left) => {
                let n = input
                    .len()
                    .min(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= n as u64;
                let done = *left == 0;
                self.emit(body(position, &input[..n]));
                if done {
                    self.state = idle();
                    self.emit(Event::End(End::Complete));
                }
                Ok(n)
            }
            State::Chunked(chunked) => {
                let outputs = &mut self.outputs;
                let mut lost = None;
                let used = chunked.push(position, input, &mut |chunk| match chunk {
                    Chunk::Data(offset, bytes) => {
                        outputs.push_back(Output::Event(body(offset, bytes)))
                    }
                    Chunk::Violation(v, true) => lost = Some(v),
                    Chunk::Violation(v, false) => outputs.push_back(Output::Violation(v)),
                    Chunk::End => outputs.push_back(Output::Event(Event::End(End::Complete))),
                });
                if chunked.finished() {
                    self.state = idle();
                }
                match lost {
                    Some(v) => Err(self.fail(v)),
                    None => Ok(used),
                }
            }
            State::UntilClose => {
                self.emit(body(position, input));
                Ok(input.len())
            }
        }
    }

    /// Takes head bytes up to the next line's end; parses the head at each line's end.
    fn head(&mut self, input: &[u8]) -> Result<usize, Error> {
        let position = self.position;
        let State::Head { text, start, line } = &mut self.state else {
            return Ok(0);
        };
        if text.is_empty() {
            *start = position;
        }
        let start = *start;
        let line_start = *line;
        let end = input.iter().position(|&b| b == b'\n');
        let wanted = end.map_or(input.len(), |i| i + 1);
        if text.len() + wanted > self.limits.max_head {
            let detail = format!("a head longer than {} bytes", self.limits.max_head);
            return Err(self.fail(Violation::new(&rules::LIMITS, start, detail)));
        }
        text.extend_from_slice(&input[..wanted]);
        if end.is_none() {
            return Ok(wanted);
        }
        *line = text.len();
        match head::parse(self.role, text, self.limits.max_fields) {
            Parsed::Partial => Ok(wanted),
            Parsed::Invalid(flaw) => {
                // The start line is the first that is not empty (RFC 9112 §2.2); later lines
                // are fields.
                let first = is_blank(&text[..line_start]);
                let rule = if first { &rules::START_LINE } else { flaw.rule };
                let at = start + line_start as u64;
                Err(self.fail(Violation::new(rule, at, flaw.detail)))
            }
            Parsed::Complete(head) => self.message(head, start).map(|()| wanted),
        }
    }

    /// A whole head at stream offset `start`: its event, its flaws, and the body's framing.
    fn message(&mut self, mut head: Head, start: u64) -> Result<(), Error> {
        let mut flaws: Vec<Violation> = std::mem::take(&mut head.flaws)
            .into_iter()
            .map(|flaw| Violation::new(flaw.rule, start, flaw.detail))
            .collect();
        let (framing, answers) = self.framing(&head);
        head.framing = framing;
        self.emit(Event::Head { head, answers });
        // The flaw that leaves the length unknown is the head's last (`Head::flaws`).
        let lost = match framing {
            Framing::Unknown => Some(flaws.pop()),
            _ => None,
        };
        self.outputs
            .extend(flaws.into_iter().map(Output::Violation));
        self.state = match framing {
            Framing::Empty | Framing::Length(0) => {
                self.emit(Event::End(End::Complete));
                idle()
            }
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => {
                State::Chunked(Chunked::new(self.limits.max_head, self.limits.max_fields))
            }
            Framing::UntilClose => State::UntilClose,
            Framing::Switched => State::Stopped,
            Framing::Unknown => State::Stopped,
        };
        match lost {
            Some(Some(flaw)) => Err(self.fail(flaw)),
            Some(None) => {
                let error = Error {
                    rule: None,
                    offset: start,
                    detail: "the body's length cannot be known".into(),
                };
                self.failed = Some(error.clone());
                Err(error)
            }
            None => Ok(()),
        }
    }

    /// The framing of the body after `head` (RFC 9112 §6.3), and for a final response the
    /// number of the request it answers.
    fn framing(&mut self, head: &Head) -> (Framing, Option<u64>) {
        let Start::Response { status, .. } = head.start else {
            return (head.framing, None);
        };
        match status {
            // The connection leaves HTTP/1.x (RFC 9110 §15.2.2).
            101 => return (Framing::Switched, None),
            // Interim responses: no body, and the final response is still to come (§6.3
            // item 1).
            100..=199 => return (Framing::Empty, None),
            _ => {}
        }
        let request = match self.requests.front() {
            Some(&(number, _)) if number == self.answered => self.requests.pop_front(),
            _ => None,
        };
        self.answered += 1;
        let method = request.map(|(_, method)| method);
        let framing = if method == Some(Method::Head) || status == 204 || status == 304 {
            // §6.3 item 1.
            Framing::Empty
        } else if method == Some(Method::Connect) && (200..300).contains(&status) {
            // §6.3 item 2: a tunnel (RFC 9110 §9.3.6).
            Framing::Switched
        } else {
            head.framing
        };
        (framing, request.map(|(number, _)| number))
    }
}

impl Machine for MessageReader {
    type Event = Event;

    /// Stream bytes of the direction, contiguous with what came before.
    fn handle_input(&mut self, _now: Instant, input: &[u8]) -> Result<(), Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let mut at = 0;
        while at < input.len() {
            let used = self.step(&input[at..])?;
            self.position += used as u64;
            at += used;
        }
        Ok(())
    }

    /// The sender closed the direction: a body read until close is whole (RFC 9112 §6.3 item
    /// 8); anything else begun is cut ([`End::Closed`]).
    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        self.finish(End::Closed);
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Event>> {
        self.outputs.pop_front()
    }

    /// The reader keeps no time.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}
}

fn body(offset: u64, bytes: &[u8]) -> Event {
    Event::Body {
        offset,
        data: Bytes::copy_from_slice(bytes),
    }
}

fn idle() -> State {
    State::Head {
        text: Vec::new(),
        start: 0,
        line: 0,
    }
}

/// Nothing but line ends (allowed before a request line, RFC 9112 §2.2).
fn is_blank(text: &[u8]) -> bool {
    text.iter().all(|&b| b == b'\r' || b == b'\n')
}
