//! RTP and RTCP over TCP (RFC 4571 §2): each packet behind a 16-bit big-endian LENGTH, as
//! GB28181 devices send PS over RTP to port 9000, RTSP-less WebRTC over TCP sends media, and
//! ICE-TCP (RFC 6544) frames everything.
//!
//! ```text
//! let mut deframer = Deframer::new();
//! deframer.handle_bytes(now, bytes)?;   // or handle_input(now, &[u8]); any split
//! while let Some(out) = deframer.poll_output() {
//!     // Output::Event(Framed::Packet { offset, data }) -> RtpPacket::parse(&data) or RTCP
//!     // Output::Event(Framed::Null { offset })         -> a LENGTH 0 frame: nothing to read
//!     // Output::Violation(v)                          -> rtp.tcp.truncated, at the end
//! }
//! deframer.handle_end(now)?;
//!
//! let bytes = frame(&packet)?;          // the other way
//! ```
//!
//! A LENGTH of 0 is allowed (RFC 4571 §2: the null packet) and comes out as [`Framed::Null`].
//! The deframer holds at most one partial frame, 2 + 65535 bytes, between inputs.

use crate::rules::TCP_TRUNCATED;
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::Instant;
use weir_media::{Error, Machine, Output, Violation};

/// The LENGTH field's size.
pub const LENGTH_FIELD: usize = 2;
/// The longest packet a frame can hold.
pub const MAX_PACKET: usize = u16::MAX as usize;

/// What the deframer reads from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    /// One packet, a view of the input when its frame lay inside one input (see
    /// [`Deframer::handle_bytes`]).
    Packet {
        /// Stream offset of the frame's LENGTH field.
        offset: u64,
        /// The packet's bytes.
        data: Bytes,
    },
    /// A frame with LENGTH 0, which carries no packet.
    Null {
        /// Stream offset of the frame's LENGTH field.
        offset: u64,
    },
}

/// Cuts an RFC 4571 byte stream into packets; see the [module docs](self).
#[derive(Debug, Default)]
pub struct Deframer {
    /// A frame begun in an earlier input: its LENGTH field, whole or in part, and the packet
    /// bytes so far.
    pending: BytesMut,
    /// Stream offset of the next frame (of `pending[0]` while a frame is pending).
    position: u64,
    out: VecDeque<Output<Framed>>,
    ended: bool,
}

impl Deframer {
    /// A deframer at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held for a frame that is not complete yet (at most 2 + 65535).
    pub fn buffered(&self) -> usize {
        self.pending.len()
    }

    /// Stream offset of the next frame to read.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Reads what `input` completes. A frame that lies inside `input` comes out as a view of
    /// it, not a copy; one that spans inputs is gathered once.
    pub fn handle_bytes(&mut self, _now: Instant, mut input: Bytes) -> Result<(), Error> {
        if self.ended {
            return Err(Error::usage("input after the end of the stream"));
        }
        // Finish the frame begun before.
        while !self.pending.is_empty() {
            if self.pending.len() < LENGTH_FIELD {
                let take = (LENGTH_FIELD - self.pending.len()).min(input.len());
                self.pending.extend_from_slice(&input.split_to(take));
                if self.pending.len() < LENGTH_FIELD {
                    return Ok(());
                }
            }
            let total = LENGTH_FIELD + self.announced();
            let take = (total - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input.split_to(take));
            if self.pending.len() < total {
                return Ok(());
            }
            let frame = self.pending.split().freeze();
            self.emit(frame.slice(LENGTH_FIELD..));
        }
        // Whole frames inside the input.
        while input.len() >= LENGTH_FIELD {
            let total = LENGTH_FIELD + usize::from(u16::from_be_bytes([input[0], input[1]]));
            if input.len() < total {
                break;
            }
            let frame = input.split_to(total);
            self.emit(frame.slice(LENGTH_FIELD..));
        }
        self.pending.extend_from_slice(&input);
        Ok(())
    }

    /// The LENGTH of the pending frame, once both its bytes are in.
    fn announced(&self) -> usize {
        usize::from(u16::from_be_bytes([self.pending[0], self.pending[1]]))
    }

    fn emit(&mut self, data: Bytes) {
        let offset = self.position;
        self.position += (LENGTH_FIELD + data.len()) as u64;
        self.out.push_back(Output::Event(match data.is_empty() {
            true => Framed::Null { offset },
            false => Framed::Packet { offset, data },
        }));
    }
}

impl Machine for Deframer {
    type Event = Framed;

    /// [`Deframer::handle_bytes`] on a copy of `input`.
    fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error> {
        self.handle_bytes(now, Bytes::copy_from_slice(input))
    }

    /// The end of the stream: a frame cut short is reported (`rtp.tcp.truncated`) and dropped.
    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        if !self.pending.is_empty() {
            let detail = match self.pending.len() {
                1 => "the stream ends inside a LENGTH field".to_string(),
                n => format!(
                    "the stream ends {} bytes into a {}-byte packet",
                    n - LENGTH_FIELD,
                    self.announced()
                ),
            };
            let v = Violation::new(&TCP_TRUNCATED, self.position, detail);
            self.out.push_back(Output::Violation(v));
            self.position += self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Framed>> {
        self.out.pop_front()
    }

    /// Framing keeps no timers.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}
}

/// Writes `packet` as one frame: its LENGTH, then its bytes. Fails, writing nothing, for a
/// packet longer than [`MAX_PACKET`].
pub fn write_frame(packet: &[u8], out: &mut impl BufMut) -> Result<(), Error> {
    let Ok(length) = u16::try_from(packet.len()) else {
        return Err(Error::usage(format!(
            "a {}-byte packet is longer than an RFC 4571 frame can hold",
            packet.len()
        )));
    };
    out.put_u16(length);
    out.put_slice(packet);
    Ok(())
}

/// `packet` as one frame; see [`write_frame`].
pub fn frame(packet: &[u8]) -> Result<Bytes, Error> {
    let mut out = Vec::with_capacity(LENGTH_FIELD + packet.len());
    write_frame(packet, &mut out)?;
    Ok(out.into())
}
