//! STUN over a TCP stream: either messages back to back, each delimited by its own length
//! field (RFC 8489 §6.2.2), or RFC 4571 framing, a 16-bit length before each packet (ICE-TCP,
//! RFC 6544 §3), in which case the frames may also carry DTLS or RTP. Back to back, TURN's
//! ChannelData messages (RFC 8656 §12.5) may sit between the STUN ones. [`Stream`] tells the
//! two apart from the first bytes and is a [`Machine`] whose events are the messages.
//!
//! ```text
//! let mut stream = Stream::default();
//! stream.handle_input(now, &tcp_bytes)?;     // any split
//! while let Some(out) = stream.poll_output() {
//!     // Output::Event(StreamEvent::{Framing, Message, Frame}) or Output::Violation(v)
//! }
//! ```

use crate::demux::{self, Kind};
use crate::header::{HEADER_LEN, MAGIC_COOKIE};
use crate::message::Message;
use crate::rules;
use std::collections::VecDeque;
use std::time::Instant;
use weir_media::{Error, Machine, Output, Violation};

/// How the stream delimits messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Messages back to back (RFC 8489 §6.2.2).
    Plain,
    /// A 16-bit length before each packet (RFC 4571).
    Rfc4571,
}

/// What a [`Stream`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The framing, once told from the first bytes.
    Framing(Framing),
    /// A message that starts at `offset` of the stream.
    Message {
        /// Where it starts (after its RFC 4571 length, if framed).
        offset: u64,
        /// The message.
        message: Message,
    },
    /// A TURN ChannelData message, or an RFC 4571 frame that is not STUN (DTLS, RTP, ...),
    /// by its first byte.
    Frame {
        /// Where the frame's payload starts.
        offset: u64,
        /// What RFC 7983's first byte says it is.
        kind: Kind,
        /// Its length.
        len: usize,
    },
}

/// The STUN-over-TCP machine; see the [module docs](self).
#[derive(Debug, Default)]
pub struct Stream {
    buffer: Vec<u8>,
    /// Stream offset of `buffer[0]`.
    base: u64,
    framing: Option<Framing>,
    out: VecDeque<Output<StreamEvent>>,
    failed: Option<Error>,
}

impl Stream {
    /// Tells the framing from the first 10 bytes: the cookie at byte 4 (plain) or byte 6
    /// (after an RFC 4571 length).
    fn detect(&self) -> Option<Result<Framing, Error>> {
        let b = &self.buffer;
        if b.len() < 10 {
            return None;
        }
        let cookie = MAGIC_COOKIE.to_be_bytes();
        Some(if b[0] < 4 && b[4..8] == cookie {
            Ok(Framing::Plain)
        } else if b[2] < 4 && b[6..10] == cookie {
            Ok(Framing::Rfc4571)
        } else {
            Err(Error::rule(
                &rules::HEADER_MAGIC_COOKIE,
                self.base,
                "the stream starts with neither a STUN message nor an RFC 4571 frame of one",
            ))
        })
    }

    /// Takes one message or frame off the buffer, if whole.
    fn next(&mut self, framing: Framing) -> Result<bool, Error> {
        let (start, size) = match framing {
            Framing::Plain => {
                if self.buffer.len() < 4 {
                    return Ok(false);
                }
                if demux::classify(&self.buffer) == Kind::TurnChannel {
                    // TURN ChannelData over TCP: padded to 4 bytes (RFC 8656 §12.5).
                    let length = u16::from_be_bytes([self.buffer[2], self.buffer[3]]);
                    (0, 4 + usize::from(length).next_multiple_of(4))
                } else if self.buffer[0] >= 4 {
                    return Err(Error::rule(
                        &rules::HEADER_ZERO_BITS,
                        self.base,
                        format!("0x{:02x} where a STUN message should start", self.buffer[0]),
                    ));
                } else {
                    let length = u16::from_be_bytes([self.buffer[2], self.buffer[3]]);
                    (0, HEADER_LEN + usize::from(length))
                }
            }
            Framing::Rfc4571 => {
                if self.buffer.len() < 2 {
                    return Ok(false);
                }
                (
                    2,
                    usize::from(u16::from_be_bytes([self.buffer[0], self.buffer[1]])),
                )
            }
        };
        if self.buffer.len() < start + size {
            return Ok(false);
        }
        let offset = self.base + start as u64;
        let unit: Vec<u8> = self.buffer.drain(..start + size).skip(start).collect();
        self.base += (start + size) as u64;
        let kind = demux::classify(&unit);
        if kind != Kind::Stun {
            self.out.push_back(Output::Event(StreamEvent::Frame {
                offset,
                kind,
                len: size,
            }));
            return Ok(true);
        }
        let mut violations = Vec::new();
        match Message::parse_datagram(&unit, &mut violations) {
            Ok(message) => {
                self.report(offset, violations);
                self.out
                    .push_back(Output::Event(StreamEvent::Message { offset, message }));
            }
            Err(e) if framing == Framing::Rfc4571 => {
                // The frame delimits it: report and go on with the next frame.
                self.report(offset, violations);
                if let Some(v) = e.shifted(offset).into_violation() {
                    self.out.push_back(Output::Violation(v));
                }
            }
            Err(e) => return Err(e.shifted(offset)),
        }
        Ok(true)
    }

    /// Tells the framing, then takes every whole message or frame.
    fn drive(&mut self) -> Result<(), Error> {
        loop {
            let framing = match self.framing {
                Some(f) => f,
                None => match self.detect() {
                    None => return Ok(()),
                    Some(f) => {
                        let f = f?;
                        self.framing = Some(f);
                        self.out.push_back(Output::Event(StreamEvent::Framing(f)));
                        f
                    }
                },
            };
            if !self.next(framing)? {
                return Ok(());
            }
        }
    }

    fn report(&mut self, offset: u64, violations: Vec<Violation>) {
        for mut v in violations {
            v.offset += offset;
            self.out.push_back(Output::Violation(v));
        }
    }
}

impl Machine for Stream {
    type Event = StreamEvent;

    fn handle_input(&mut self, _now: Instant, input: &[u8]) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        self.buffer.extend_from_slice(input);
        let result = self.drive();
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if !self.buffer.is_empty() {
            self.out.push_back(Output::Violation(Violation::new(
                &rules::HEADER_LENGTH,
                self.base,
                format!("the stream ends {} bytes into a message", self.buffer.len()),
            )));
            self.buffer.clear();
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<StreamEvent>> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}
}
