//! One direction of an HTTP/1.x connection read as messages (RFC 9112 §2.1): a head, then a
//! body framed by Content-Length, the chunked coding or the connection's close (§6.3), then
//! the next message on the same connection (§9.3, pipelining §9.3.2). Body bytes go to the
//! [`Sink`] as slices of the input, never held; what is held is one head, bounded by
//! [`Limits`]. However the input is split, the sink sees the same calls with the same bytes.

use weir_media::Violation;

use super::chunked::{Chunk, Chunked};
use super::head::{self, Framing, Head, Parsed, Role};
use super::rules;

/// Bounds on what one direction holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a head (start line and field lines) or of a trailer section.
    pub max_head: usize,
    /// Field lines of a head or trailer section.
    pub max_fields: usize,
}

impl Default for Limits {
    /// 64 KiB and 128 field lines: far above what browsers, players and servers send (RFC
    /// 9112 §3 asks for request lines of 8000 octets at least).
    fn default() -> Self {
        Limits {
            max_head: 64 << 10,
            max_fields: 128,
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
    /// The flow ended (the capture's end, or a reset) before it did.
    FlowEnded,
    /// A violation lost the framing.
    Unreadable,
    /// The capture misses bytes the framing cannot skip.
    Gap,
}

/// Where a direction's messages go.
pub trait Sink {
    /// A head; the answer is the framing its body has (the head's own, or what the request
    /// method or status code make of it, RFC 9112 §6.3 items 1 and 2).
    fn head(&mut self, head: Head) -> Framing;
    /// Body bytes (decoded from chunks), at their offset in the direction's stream.
    fn data(&mut self, offset: u64, bytes: &[u8]);
    /// `len` bytes of the body are missing from the capture; the framing goes on.
    fn gap(&mut self, len: u64);
    /// The message begun by the last head ended.
    fn end(&mut self, end: End);
    /// A head began but did not end: `len` bytes of it, then `end`.
    fn head_cut(&mut self, len: usize, end: End);
    /// A rule broken; `fatal`: this direction is not read further.
    fn violation(&mut self, violation: Violation, fatal: bool);
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
    /// Not read further: the framing was lost, the protocol switched, or the direction ended.
    Stopped,
}

/// One direction's messages.
#[derive(Debug)]
pub struct MessageReader {
    role: Role,
    limits: Limits,
    state: State,
    /// Stream offset of the next byte.
    position: u64,
    started: bool,
}

impl MessageReader {
    pub fn new(role: Role, limits: Limits) -> Self {
        MessageReader {
            role,
            limits,
            state: idle(),
            position: 0,
            started: false,
        }
    }

    /// Stops reading (the other direction switched protocols).
    pub fn stop(&mut self) {
        self.state = State::Stopped;
    }

    /// Stream bytes at `offset`, contiguous with what came before (the first call sets where
    /// the stream starts).
    pub fn push(&mut self, offset: u64, bytes: &[u8], sink: &mut impl Sink) {
        if !std::mem::replace(&mut self.started, true) {
            self.position = offset;
        }
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            let used = match &mut self.state {
                State::Stopped => rest.len(),
                State::Head { .. } => self.head(rest, sink),
                State::Length(left) => {
                    let n = rest.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    sink.data(self.position, &rest[..n]);
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = idle();
                        sink.end(End::Complete);
                    }
                    n
                }
                State::Chunked(chunked) => {
                    let mut lost = false;
                    let used = chunked.push(self.position, rest, &mut |chunk| match chunk {
                        Chunk::Data(offset, bytes) => sink.data(offset, bytes),
                        Chunk::Violation(v, fatal) => {
                            lost |= fatal;
                            sink.violation(v, fatal);
                        }
                        Chunk::End => sink.end(End::Complete),
                    });
                    if lost {
                        self.state = State::Stopped;
                        sink.end(End::Unreadable);
                    } else if chunked.finished() {
                        self.state = idle();
                    }
                    used
                }
                State::UntilClose => {
                    sink.data(self.position, rest);
                    rest.len()
                }
            };
            self.position += used as u64;
            at += used;
        }
    }

    /// `len` bytes at the current position are missing. Inside a body whose framing survives
    /// them they are skipped (and the sink told); anywhere else the direction stops, and the
    /// answer is false.
    pub fn gap(&mut self, len: u64, sink: &mut impl Sink) -> bool {
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
            sink.gap(len);
            if matches!(self.state, State::Length(0)) {
                self.state = idle();
                sink.end(End::Complete);
            }
            return true;
        }
        match std::mem::replace(&mut self.state, State::Stopped) {
            State::Head { text, .. } if !is_blank(&text) => sink.head_cut(text.len(), End::Gap),
            State::Head { .. } => {}
            _ => sink.end(End::Gap),
        }
        false
    }

    /// The direction ended: `Closed` by its sender (a body read until close is then whole),
    /// or `FlowEnded` with the flow.
    pub fn finish(&mut self, end: End, sink: &mut impl Sink) {
        match std::mem::replace(&mut self.state, State::Stopped) {
            State::Stopped => {}
            State::Head { text, .. } if is_blank(&text) => {}
            State::Head { text, .. } => sink.head_cut(text.len(), end),
            State::UntilClose if end == End::Closed => sink.end(End::Complete),
            State::UntilClose | State::Length(_) | State::Chunked(_) => sink.end(end),
        }
    }

    /// Takes head bytes up to the next line's end; parses the head at each line's end.
    fn head(&mut self, input: &[u8], sink: &mut impl Sink) -> usize {
        let State::Head { text, start, line } = &mut self.state else {
            return 0;
        };
        if text.is_empty() {
            *start = self.position;
        }
        let start = *start;
        let line_start = *line;
        let end = input.iter().position(|&b| b == b'\n');
        let wanted = end.map_or(input.len(), |i| i + 1);
        if text.len() + wanted > self.limits.max_head {
            let detail = format!("a head longer than {} bytes", self.limits.max_head);
            self.state = State::Stopped;
            sink.violation(Violation::new(&rules::LIMITS, start, detail), true);
            return input.len();
        }
        text.extend_from_slice(&input[..wanted]);
        if end.is_none() {
            return wanted;
        }
        *line = text.len();
        match head::parse(self.role, text, self.limits.max_fields) {
            Parsed::Partial => {}
            Parsed::Invalid(flaw) => {
                // The start line is the first that is not empty; later lines are fields.
                let first = is_blank(&text[..line_start]);
                let rule = if first { &rules::START_LINE } else { flaw.rule };
                let at = start + line_start as u64;
                self.state = State::Stopped;
                sink.violation(Violation::new(rule, at, flaw.detail), true);
            }
            Parsed::Complete(mut head) => {
                let flaws = std::mem::take(&mut head.flaws);
                let framing = sink.head(head);
                for flaw in flaws {
                    let fatal = framing == Framing::Unknown;
                    sink.violation(Violation::new(flaw.rule, start, flaw.detail), fatal);
                }
                self.state = match framing {
                    Framing::Empty | Framing::Length(0) => {
                        sink.end(End::Complete);
                        idle()
                    }
                    Framing::Length(n) => State::Length(n),
                    Framing::Chunked => {
                        State::Chunked(Chunked::new(self.limits.max_head, self.limits.max_fields))
                    }
                    Framing::UntilClose => State::UntilClose,
                    Framing::Switched => State::Stopped,
                    Framing::Unknown => {
                        sink.end(End::Unreadable);
                        State::Stopped
                    }
                };
            }
        }
        wanted
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
