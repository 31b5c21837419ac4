//! Chunk stream decoding (RTMP 1.0 §5.3): bytes in, [`RawMessage`]s out.
//!
//! The decoder never commits a chunk until all of its bytes are buffered, so the outcome does
//! not depend on how the input is split. A message that fits in one chunk is returned as a
//! zero-copy slice of the input; a longer one is assembled into a single buffer allocated once,
//! with the message length (already checked against the limit) as its capacity.
//!
//! Two readings of the spec that implementations disagree on, and what this decoder does:
//!
//! - **Extended timestamp in type 3 chunks** (§5.3.1.3). The spec's text says a type 3 chunk has
//!   no timestamp field, hence no extended timestamp; Flash, FFmpeg, librtmp and SRS repeat the
//!   4-byte extended timestamp in every type 3 chunk that follows a header with one. When the
//!   latest type 0/1/2 header of the chunk stream had an extended timestamp, the decoder peeks at
//!   the 4 bytes after a type 3 basic header: if they equal that extended value they are the
//!   repeated field and are consumed, otherwise they are payload. The one input this misreads is
//!   a spec-literal sender whose payload happens to begin with those same 4 bytes, or a sender
//!   that starts a new message with a type 3 chunk carrying a *different* extended delta.
//!   Deciding needs 4 bytes, so such a chunk waits for 4 bytes even when its payload is shorter.
//! - **Type 3 chunk starting a message after a type 0 header** (§5.3.1.2.4). The timestamp
//!   delta to reuse is the latest header's timestamp field; after a type 0 header that is its
//!   absolute timestamp, as FFmpeg and SRS read it (and as FFmpeg writes it).

use bytes::{Buf, BytesMut};
use weir_media::Violation;

use super::{
    ChunkLimits, DEFAULT_CHUNK_SIZE, EXTENDED_TIMESTAMP, Fmt, RawMessage, timestamp_before,
};
use crate::Error;
use crate::message;
use crate::rules::{
    CHUNK_BACKWARD_DELTA, CHUNK_EXTENDED_TIMESTAMP, CHUNK_FMT3_WITHOUT_PREVIOUS,
    CHUNK_LENGTH_CHANGE, CHUNK_MESSAGE_LENGTH, CHUNK_STREAM_LIMIT, CONTROL_ABORT_CSID,
};

/// Chunk stream ids below this are found through a direct table, without a search; they are
/// the ids a 1-byte basic header can carry, which is what real peers use.
const DIRECT_CSIDS: usize = 64;

/// Reassembles messages from the peer's chunk stream.
#[derive(Debug)]
pub struct ChunkDecoder {
    limits: ChunkLimits,
    /// Pushed bytes not yet parsed; `buf[0]` is at stream offset `offset`.
    buf: BytesMut,
    offset: u64,
    chunk_size: u32,
    /// Per-chunk-stream header state, in order of first use (at most `limits.max_chunk_streams`).
    streams: Vec<ChunkStream>,
    /// `streams` index + 1 for chunk stream ids below [`DIRECT_CSIDS`] (0: not seen yet).
    direct: [u16; DIRECT_CSIDS],
    /// Stream offset of the first chunk of the message returned last.
    message_offset: u64,
    /// Where the payload pieces of the message returned last lie in the stream:
    /// (payload position, stream offset) per chunk, so that a problem found inside a payload is
    /// placed on the right byte despite the chunk headers in between. Bounded by the payload's
    /// length (see `step`): exact for chunk sizes of 16 bytes and more.
    message_pieces: Vec<(u32, u64)>,
    /// A fatal error ends decoding; it is returned again on every later call.
    failed: Option<Error>,
    /// No chunk is parsed past this stream offset (see [`Self::set_limit`]).
    limit: u64,
}

/// What the latest headers on one chunk stream said (§5.3.1.2).
#[derive(Debug)]
struct ChunkStream {
    csid: u32,
    timestamp: u32,
    /// The timestamp field of the latest type 0/1/2 header: what a type 3 chunk starting a new
    /// message adds (see the module docs for the type 0 case).
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// The extended timestamp of the latest type 0/1/2 header, if it had one.
    extended: Option<u32>,
    partial: Option<Partial>,
    /// The payload pieces of `partial` (see `ChunkDecoder::message_pieces`); its allocation is
    /// reused from message to message.
    pieces: Vec<(u32, u64)>,
}

/// A message whose chunks have partly arrived.
#[derive(Debug)]
struct Partial {
    data: BytesMut,
    offset: u64,
}

/// A chunk header parsed from the buffer but not yet committed.
struct Header {
    fmt: Fmt,
    csid: u32,
    slot: Option<usize>,
    /// Bytes of basic header, message header and extended timestamp.
    len: usize,
    /// The 24-bit timestamp field, or the extended one when present (type 0/1/2).
    timestamp_field: u32,
    extended: Option<u32>,
    length: u32,
    type_id: u8,
    stream_id: u32,
}

enum Step {
    NeedMore,
    Chunk,
    Message(RawMessage),
}

impl ChunkDecoder {
    /// `base_offset` is the stream offset of the first byte that will be pushed (3073 after a
    /// complete handshake), so that errors and violations name offsets in the whole stream.
    pub fn new(limits: ChunkLimits, base_offset: u64) -> Self {
        ChunkDecoder {
            limits,
            buf: BytesMut::new(),
            offset: base_offset,
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: Vec::new(),
            direct: [0; DIRECT_CSIDS],
            message_offset: base_offset,
            message_pieces: Vec::new(),
            failed: None,
            limit: u64::MAX,
        }
    }

    /// Parses no chunk that reaches past stream offset `limit` (`None`: no limit), as if the
    /// bytes from there on had not been pushed yet. The session stops at the byte where its
    /// acknowledgement window fills, so that the acknowledgement goes out at the same point
    /// of the stream however its bytes arrived.
    pub fn set_limit(&mut self, limit: Option<u64>) {
        self.limit = limit.unwrap_or(u64::MAX);
    }

    /// How many buffered bytes parsing may look at: those before the limit.
    fn visible(&self) -> usize {
        let room = self.limit.saturating_sub(self.offset);
        self.buf
            .len()
            .min(usize::try_from(room).unwrap_or(usize::MAX))
    }

    /// Appends the peer's bytes; nothing is parsed until [`Self::next_message`].
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// The next complete message, or `Ok(None)` when more bytes are needed. Non-fatal rule
    /// breaks go to `violations`. Set Chunk Size (type 1) and Abort (type 2) take effect here
    /// as soon as they complete (and are still returned), since they change how the very next
    /// chunk is read (§5.4.1, §5.4.2).
    pub fn next_message(
        &mut self,
        violations: &mut Vec<Violation>,
    ) -> Result<Option<RawMessage>, Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.decode_next(violations);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
            self.buf = BytesMut::new();
        }
        result
    }

    /// The chunk size the peer announced last (128 until it sends Set Chunk Size).
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Stream offset of the next unparsed byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Stream offset of the first chunk of the message returned last (for errors about it).
    pub fn message_offset(&self) -> u64 {
        self.message_offset
    }

    /// Stream offset of byte `pos` of the payload of the message returned last: the way to
    /// place the payload positions `Message::decode` reports when given offset 0. Exact unless
    /// the peer's chunks carry fewer than 16 payload bytes each (then positions deep in a long
    /// message land a little early).
    pub fn payload_offset(&self, pos: usize) -> u64 {
        let pos = u32::try_from(pos).unwrap_or(u32::MAX);
        let piece = self
            .message_pieces
            .iter()
            .rev()
            .find(|(start, _)| *start <= pos);
        match piece {
            Some(&(start, offset)) => offset + u64::from(pos - start),
            None => self.message_offset,
        }
    }

    /// Bytes pushed but not yet parsed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn decode_next(
        &mut self,
        violations: &mut Vec<Violation>,
    ) -> Result<Option<RawMessage>, Error> {
        loop {
            match self.step(violations)? {
                Step::NeedMore => {
                    if self.buf.is_empty() {
                        // All read: an idle connection keeps no buffer (nor what it shares
                        // with the messages it cut).
                        self.buf = BytesMut::new();
                        self.message_pieces = Vec::new();
                    }
                    return Ok(None);
                }
                Step::Chunk => {}
                Step::Message(msg) => {
                    self.apply_control(&msg, violations)?;
                    return Ok(Some(msg));
                }
            }
        }
    }

    fn slot(&self, csid: u32) -> Option<usize> {
        match self.direct.get(csid as usize) {
            Some(&index) => (index as usize).checked_sub(1),
            None => self.streams.iter().position(|s| s.csid == csid),
        }
    }

    /// Parses one chunk header at the start of the buffer without consuming anything.
    fn parse_header(&self) -> Result<Option<Header>, Error> {
        let buf = &self.buf[..self.visible()];
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let fmt = Fmt::from_bits(first >> 6);
        let (csid, basic_len) = match first & 0x3F {
            0 => match buf.get(1) {
                Some(&b1) => (64 + u32::from(b1), 2),
                None => return Ok(None),
            },
            1 => match (buf.get(1), buf.get(2)) {
                (Some(&b1), Some(&b2)) => (64 + u32::from(b1) + (u32::from(b2) << 8), 3),
                _ => return Ok(None),
            },
            id => (u32::from(id), 1),
        };
        let slot = self.slot(csid);
        let previous = slot.and_then(|i| self.streams.get(i));
        if fmt != Fmt::Full && previous.is_none() {
            return Err(Error::rule(
                &CHUNK_FMT3_WITHOUT_PREVIOUS,
                self.offset,
                format!(
                    "type {} chunk on chunk stream {csid}, which has no previous header",
                    fmt as u8
                ),
            ));
        }
        if previous.is_none() && self.streams.len() >= self.limits.max_chunk_streams {
            return Err(Error::rule(
                &CHUNK_STREAM_LIMIT,
                self.offset,
                format!(
                    "chunk stream {csid} would be chunk stream number {}, over the limit of {}",
                    self.streams.len() + 1,
                    self.limits.max_chunk_streams
                ),
            ));
        }
        let mut len = basic_len + fmt.header_len();
        let Some(fields) = buf.get(basic_len..len) else {
            return Ok(None);
        };
        let mut header = Header {
            fmt,
            csid,
            slot,
            len,
            timestamp_field: 0,
            extended: None,
            length: 0,
            type_id: 0,
            stream_id: 0,
        };
        if let Some(previous) = previous {
            header.timestamp_field = previous.delta;
            header.length = previous.length;
            header.type_id = previous.type_id;
            header.stream_id = previous.stream_id;
        }
        if fmt != Fmt::Continuation {
            header.timestamp_field = read_u24(fields, 0);
        }
        if matches!(fmt, Fmt::Full | Fmt::SameStream) {
            header.length = read_u24(fields, 3);
            header.type_id = fields[6];
            if header.length > self.limits.max_message_size {
                return Err(Error::rule(
                    &CHUNK_MESSAGE_LENGTH,
                    self.offset,
                    format!(
                        "message length {} (type {}) exceeds the limit of {} bytes",
                        header.length, header.type_id, self.limits.max_message_size
                    ),
                ));
            }
        }
        if fmt == Fmt::Full {
            header.stream_id = u32::from_le_bytes([fields[7], fields[8], fields[9], fields[10]]);
        }
        if fmt != Fmt::Continuation && header.timestamp_field == EXTENDED_TIMESTAMP {
            let Some(bytes) = buf.get(len..len + 4) else {
                return Ok(None);
            };
            let extended = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            header.timestamp_field = extended;
            header.extended = Some(extended);
            len += 4;
        } else if let (Fmt::Continuation, Some(expected)) = (fmt, previous.and_then(|p| p.extended))
        {
            // The repeated extended timestamp, if the sender writes one (see the module docs).
            let Some(bytes) = buf.get(len..len + 4) else {
                return Ok(None);
            };
            if u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) == expected {
                len += 4;
            }
        }
        header.len = len;
        Ok(Some(header))
    }

    /// Reads one whole chunk if it is buffered, and returns the message it completes.
    fn step(&mut self, violations: &mut Vec<Violation>) -> Result<Step, Error> {
        let Some(header) = self.parse_header()? else {
            return Ok(Step::NeedMore);
        };
        let chunk_offset = self.offset;
        let in_progress = header
            .slot
            .and_then(|i| self.streams.get(i))
            .and_then(|s| s.partial.as_ref())
            .map(|p| p.data.len() as u32);
        let continues = header.fmt == Fmt::Continuation && in_progress.is_some();
        let remaining = header.length
            - if continues {
                in_progress.unwrap_or(0)
            } else {
                0
            };
        let payload_len = remaining.min(self.chunk_size) as usize;
        if self.visible() < header.len + payload_len {
            return Ok(Step::NeedMore);
        }

        // The whole chunk is here: commit.
        let slot = match header.slot {
            Some(slot) => slot,
            None => self.new_stream(header.csid),
        };
        let stream = &mut self.streams[slot];
        if header.fmt != Fmt::Continuation {
            if let Some(extended) = header.extended.filter(|&e| e < EXTENDED_TIMESTAMP) {
                violations.push(Violation::new(
                    &CHUNK_EXTENDED_TIMESTAMP,
                    chunk_offset,
                    format!("extended timestamp {extended:#x} is below 0xFFFFFF, so the 3-byte field could have held it"),
                ));
            }
            if stream.partial.take().is_some() {
                violations.push(Violation::new(
                    &CHUNK_LENGTH_CHANGE,
                    chunk_offset,
                    format!(
                        "type {} header on chunk stream {} while a {}-byte message was incomplete; the partial message is dropped",
                        header.fmt as u8, header.csid, stream.length
                    ),
                ));
            }
        }
        match header.fmt {
            // A type 0 header is how a timestamp goes back (§5.3.1.2.1: after a backward
            // seek, say): any value is legal.
            Fmt::Full => stream.timestamp = header.timestamp_field,
            Fmt::SameStream | Fmt::DeltaOnly => {
                let next = stream.timestamp.wrapping_add(header.timestamp_field);
                // §4: adjacent timestamps are compared as serial numbers, so this delta steps
                // back; §5.3.1.2.1 requires a type 0 header for that.
                if timestamp_before(next, stream.timestamp) {
                    violations.push(Violation::new(
                        &CHUNK_BACKWARD_DELTA,
                        chunk_offset,
                        format!(
                            "type {} header on chunk stream {} with delta {:#x}: a step back from {} to {next}, which needs a type 0 header",
                            header.fmt as u8, header.csid, header.timestamp_field, stream.timestamp
                        ),
                    ));
                }
                stream.timestamp = next;
            }
            Fmt::Continuation if !continues => {
                stream.timestamp = stream.timestamp.wrapping_add(stream.delta);
            }
            Fmt::Continuation => {}
        }
        if header.fmt != Fmt::Continuation {
            stream.delta = header.timestamp_field;
            stream.extended = header.extended;
            stream.length = header.length;
            stream.type_id = header.type_id;
            stream.stream_id = header.stream_id;
        }

        self.buf.advance(header.len);
        self.offset += header.len as u64;
        let payload = self.buf.split_to(payload_len);
        self.offset += payload_len as u64;

        let payload_at = chunk_offset + header.len as u64;

        let (payload, message_offset) = match (stream.partial.take(), continues) {
            (Some(mut partial), true) => {
                // One entry per chunk would outgrow the payload itself at chunk sizes below the
                // entry's size; past that many, later positions are placed from the last entry
                // (short by the chunk headers since), so the map never outweighs the message.
                if stream.pieces.len() < (stream.length as usize).div_ceil(size_of::<(u32, u64)>())
                {
                    stream.pieces.push((partial.data.len() as u32, payload_at));
                }
                partial.data.extend_from_slice(&payload);
                if partial.data.len() < stream.length as usize {
                    stream.partial = Some(partial);
                    return Ok(Step::Chunk);
                }
                std::mem::swap(&mut self.message_pieces, &mut stream.pieces);
                (partial.data.freeze(), partial.offset)
            }
            _ if payload_len == stream.length as usize => {
                self.message_pieces.clear();
                self.message_pieces.push((0, payload_at));
                (payload.freeze(), chunk_offset)
            }
            _ => {
                stream.pieces.clear();
                stream.pieces.push((0, payload_at));
                let mut data = BytesMut::with_capacity(stream.length as usize);
                data.extend_from_slice(&payload);
                stream.partial = Some(Partial {
                    data,
                    offset: chunk_offset,
                });
                return Ok(Step::Chunk);
            }
        };
        self.message_offset = message_offset;
        Ok(Step::Message(RawMessage {
            csid: stream.csid,
            timestamp: stream.timestamp,
            type_id: stream.type_id,
            stream_id: stream.stream_id,
            payload,
        }))
    }

    fn new_stream(&mut self, csid: u32) -> usize {
        let slot = self.streams.len();
        self.streams.push(ChunkStream {
            csid,
            timestamp: 0,
            delta: 0,
            length: 0,
            type_id: 0,
            stream_id: 0,
            extended: None,
            partial: None,
            pieces: Vec::new(),
        });
        if let Some(index) = self.direct.get_mut(csid as usize) {
            // `max_chunk_streams` beyond u16 would only disable the shortcut, never mislead it.
            *index = u16::try_from(slot + 1).unwrap_or(0);
        }
        slot
    }

    /// Set Chunk Size and Abort change how the following chunks are read (§5.4.1, §5.4.2).
    fn apply_control(
        &mut self,
        msg: &RawMessage,
        violations: &mut Vec<Violation>,
    ) -> Result<(), Error> {
        match msg.type_id {
            message::SET_CHUNK_SIZE => {
                self.chunk_size = message::parse_set_chunk_size(&msg.payload, self.message_offset)?;
            }
            message::ABORT => {
                let csid = message::parse_abort(&msg.payload, self.message_offset)?;
                let partial = self
                    .slot(csid)
                    .and_then(|i| self.streams.get_mut(i))
                    .and_then(|s| s.partial.take());
                if partial.is_none() {
                    violations.push(Violation::new(
                        &CONTROL_ABORT_CSID,
                        self.message_offset,
                        format!("Abort names chunk stream {csid}, which has no partial message"),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn read_u24(bytes: &[u8], at: usize) -> u32 {
    (u32::from(bytes[at]) << 16) | (u32::from(bytes[at + 1]) << 8) | u32::from(bytes[at + 2])
}
