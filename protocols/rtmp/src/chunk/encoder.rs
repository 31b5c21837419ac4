//! Chunk stream encoding (RTMP 1.0 §5.3): [`RawMessage`]s in, bytes out.
//!
//! Header compression follows §5.3.1.2 and the examples of §5.3.2: a type 0 header for the
//! first message on a chunk stream, a new message stream id or a timestamp going backwards;
//! type 1 when length or type change; type 2 when only the timestamp delta changes; type 3 when
//! even the delta repeats. Type 3 starts a message only after a type 1 or 2 header, where every
//! reader agrees what delta it repeats (readers disagree after a type 0 header; see the decoder).
//! Continuation chunks repeat the extended timestamp as Flash, FFmpeg and SRS write it.

use bytes::{BufMut, Bytes, BytesMut};

use super::{
    DEFAULT_CHUNK_SIZE, EXTENDED_TIMESTAMP, Fmt, MAX_CSID, MIN_CSID, RawMessage, timestamp_before,
};
use crate::{Error, message};

/// Cuts messages into chunks with compressed headers.
#[derive(Debug, Clone)]
pub struct ChunkEncoder {
    chunk_size: u32,
    streams: Vec<EncoderStream>,
}

/// What the receiver knows about one chunk stream from the headers written so far.
#[derive(Debug, Clone)]
struct EncoderStream {
    csid: u32,
    timestamp: u32,
    /// The delta of the latest type 1/2 header, inherited by type 3 headers; `None` after a
    /// type 0 header.
    delta: Option<u32>,
    length: u32,
    type_id: u8,
    stream_id: u32,
}

/// A message being written by [`ChunkEncoder::encode_interleaved`].
struct Pending<'a> {
    msg: &'a RawMessage,
    written: usize,
    started: bool,
    /// The extended timestamp of the message's header, repeated in its type 3 chunks.
    extended: Option<u32>,
}

impl Default for ChunkEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkEncoder {
    /// An encoder at the default chunk size of 128 bytes.
    pub fn new() -> Self {
        ChunkEncoder {
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: Vec::new(),
        }
    }

    /// The chunk size in use: the one the last Set Chunk Size written announced.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Writes `msg` as consecutive chunks. A Set Chunk Size message takes effect after it
    /// is written, as the receiver applies it (§5.4.1). Fails, writing nothing, when `msg.csid`
    /// is outside 2..=65599 or the payload is 16 MiB or longer: neither can be expressed on
    /// the wire (a relayed frame may be that large; a server drops it, never panics).
    pub fn encode(&mut self, msg: &RawMessage, out: &mut BytesMut) -> Result<(), Error> {
        let length = checked(msg.csid, msg.payload.len())?;
        let chunk_size = self.chunk_size as usize;
        let chunks = msg.payload.len().div_ceil(chunk_size).max(1);
        out.reserve(18 + msg.payload.len() + (chunks - 1) * 7);
        let extended = self.write_header(msg, length, out);
        put_tail(&msg.payload, chunk_size, msg.csid, extended, out);
        self.apply_chunk_size(msg);
        Ok(())
    }

    /// Writes the first chunk's header of a message whose payload the caller sends itself, as
    /// [`chunk_tail`] cuts it (the part shared between connections): the header compression
    /// state advances as if [`Self::encode`] had written the whole message. Returns the
    /// extended timestamp the tail's chunks must repeat, if any. Fails as [`Self::encode`].
    pub fn encode_header(
        &mut self,
        csid: u32,
        timestamp: u32,
        type_id: u8,
        stream_id: u32,
        length: usize,
        out: &mut BytesMut,
    ) -> Result<Option<u32>, Error> {
        let length = checked(csid, length)?;
        let header = RawMessage {
            csid,
            timestamp,
            type_id,
            stream_id,
            payload: Bytes::new(),
        };
        Ok(self.write_header(&header, length, out))
    }

    /// Records that a message with a type 0 header went out on `csid` without this encoder
    /// (a [`SharedBody::message`](super::SharedBody::message) written by the caller): later
    /// headers on that chunk stream compress against it, as the receiver will.
    pub fn assume_full_header(&mut self, key: super::MessageKey, length: usize) {
        let state = EncoderStream {
            csid: key.csid,
            timestamp: key.timestamp,
            delta: None,
            length: length as u32,
            type_id: key.type_id,
            stream_id: key.stream_id,
        };
        match self.streams.iter_mut().find(|s| s.csid == key.csid) {
            Some(stream) => *stream = state,
            None => self.streams.push(state),
        }
    }

    /// Forgets what was written on `csid`: its next message gets a type 0 header.
    pub fn forget(&mut self, csid: u32) {
        self.streams.retain(|s| s.csid != csid);
    }

    /// A Set Chunk Size message takes effect once written, as the receiver applies it (§5.4.1).
    fn apply_chunk_size(&mut self, msg: &RawMessage) {
        if msg.type_id == message::SET_CHUNK_SIZE
            && let Ok(size) = message::parse_set_chunk_size(&msg.payload, 0)
        {
            self.chunk_size = size;
        }
    }

    /// Writes several messages with their chunks interleaved round-robin, the way a sender
    /// keeps a large video frame from delaying audio (§5.3). Messages on the same chunk stream
    /// are written one after the other, in order. Fails as [`Self::encode`], writing nothing.
    pub fn encode_interleaved(
        &mut self,
        msgs: &[RawMessage],
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        for msg in msgs {
            checked(msg.csid, msg.payload.len())?;
        }
        let mut pending: Vec<Pending<'_>> = msgs
            .iter()
            .map(|msg| Pending {
                msg,
                written: 0,
                started: false,
                extended: None,
            })
            .collect();
        let mut left = pending.len();
        while left > 0 {
            for i in 0..pending.len() {
                let (earlier, rest) = pending.split_at_mut(i);
                let Some(current) = rest.first_mut() else {
                    break;
                };
                let finished = current.started && current.written == current.msg.payload.len();
                let blocked = earlier.iter().any(|p| {
                    p.msg.csid == current.msg.csid
                        && p.written < p.msg.payload.len() + usize::from(!p.started)
                });
                if finished || blocked {
                    continue;
                }
                self.write_chunk(current, out);
                if current.written == current.msg.payload.len() {
                    left -= 1;
                    self.apply_chunk_size(current.msg);
                }
            }
        }
        Ok(())
    }

    fn write_chunk(&mut self, pending: &mut Pending<'_>, out: &mut BytesMut) {
        let msg = pending.msg;
        let chunk_len = (msg.payload.len() - pending.written).min(self.chunk_size as usize);
        if pending.started {
            out.reserve(3 + 4 + chunk_len);
            write_basic_header(out, Fmt::Continuation, msg.csid);
            if let Some(extended) = pending.extended {
                out.put_u32(extended);
            }
        } else {
            let length = msg.payload.len() as u32; // checked by encode_interleaved
            out.reserve(3 + 11 + 4 + chunk_len);
            pending.extended = self.write_header(msg, length, out);
            pending.started = true;
        }
        out.put_slice(&msg.payload[pending.written..pending.written + chunk_len]);
        pending.written += chunk_len;
    }

    /// Chooses the header type, writes the header and returns its extended timestamp, if any.
    /// `msg.csid` and `length` are [`checked`].
    fn write_header(&mut self, msg: &RawMessage, length: u32, out: &mut BytesMut) -> Option<u32> {
        let Some(stream) = self.streams.iter_mut().find(|s| s.csid == msg.csid) else {
            self.streams.push(EncoderStream {
                csid: msg.csid,
                timestamp: msg.timestamp,
                delta: None,
                length,
                type_id: msg.type_id,
                stream_id: msg.stream_id,
            });
            return write_full_header(out, msg, length);
        };
        let delta = msg.timestamp.wrapping_sub(stream.timestamp);
        let fmt = if stream.stream_id != msg.stream_id
            || timestamp_before(msg.timestamp, stream.timestamp)
        {
            Fmt::Full
        } else if stream.length != length || stream.type_id != msg.type_id {
            Fmt::SameStream
        } else if stream.delta == Some(delta) {
            Fmt::Continuation
        } else {
            Fmt::DeltaOnly
        };
        stream.timestamp = msg.timestamp;
        stream.length = length;
        stream.type_id = msg.type_id;
        stream.stream_id = msg.stream_id;
        stream.delta = if fmt == Fmt::Full { None } else { Some(delta) };
        match fmt {
            Fmt::Full => write_full_header(out, msg, length),
            Fmt::SameStream | Fmt::DeltaOnly => {
                write_basic_header(out, fmt, msg.csid);
                let extended = put_timestamp_field(out, delta);
                if fmt == Fmt::SameStream {
                    out.put_uint(u64::from(length), 3);
                    out.put_u8(msg.type_id);
                }
                put_extended(out, extended)
            }
            Fmt::Continuation => {
                write_basic_header(out, fmt, msg.csid);
                let extended = (delta >= EXTENDED_TIMESTAMP).then_some(delta);
                put_extended(out, extended)
            }
        }
    }
}

/// A message's payload length as its header carries it, or why it cannot be written: a chunk
/// stream id outside 2..=65599, or a payload of 16 MiB or more (RTMP 1.0 §5.3.1: 24 bits).
fn checked(csid: u32, length: usize) -> Result<u32, Error> {
    if !(MIN_CSID..=MAX_CSID).contains(&csid) {
        let detail = format!("chunk stream id {csid} is outside 2..=65599");
        return Err(Error::usage(detail));
    }
    u32::try_from(length)
        .ok()
        .filter(|&l| l < 1 << 24)
        .ok_or_else(|| {
            Error::usage(format!(
                "a message of {length} bytes does not fit RTMP's 24-bit length"
            ))
        })
}

/// Everything of a message after its first chunk's header: the payload cut into chunks of
/// `chunk_size`, each after the first behind a type 3 header on `csid` (with the message's
/// extended timestamp repeated, when it has one).
fn put_tail(
    payload: &[u8],
    chunk_size: usize,
    csid: u32,
    extended: Option<u32>,
    out: &mut BytesMut,
) {
    for (i, chunk) in payload.chunks(chunk_size).enumerate() {
        if i > 0 {
            write_basic_header(out, Fmt::Continuation, csid);
            if let Some(value) = extended {
                out.put_u32(value);
            }
        }
        out.put_slice(chunk);
    }
}

/// Everything of a message after its first chunk's header, as shareable bytes: the payload cut
/// into chunks of `chunk_size`, each after the first behind a type 3 header on `csid` (with
/// the message's extended timestamp repeated, when it has one). The payload itself when it
/// fits one chunk (no copy), otherwise the chunks written once, so that every connection with
/// the same chunk size can send the same bytes after its own [`ChunkEncoder::encode_header`].
pub fn chunk_tail(payload: &Bytes, chunk_size: u32, csid: u32, extended: Option<u32>) -> Bytes {
    let chunk_size = chunk_size as usize;
    if payload.len() <= chunk_size {
        return payload.clone();
    }
    let chunks = payload.len().div_ceil(chunk_size);
    let mut out = BytesMut::with_capacity(payload.len() + (chunks - 1) * 7);
    put_tail(payload, chunk_size, csid, extended, &mut out);
    out.freeze()
}

/// A type 0 header for a message of `length` bytes, alone (for [`super::SharedBody`]), and the
/// extended timestamp its type 3 chunks repeat, if any.
pub(super) fn full_header(
    key: super::MessageKey,
    length: usize,
) -> Result<(Bytes, Option<u32>), Error> {
    let length = checked(key.csid, length)?;
    let msg = RawMessage {
        csid: key.csid,
        timestamp: key.timestamp,
        type_id: key.type_id,
        stream_id: key.stream_id,
        payload: Bytes::new(),
    };
    let mut out = BytesMut::with_capacity(18);
    let extended = write_full_header(&mut out, &msg, length);
    Ok((out.freeze(), extended))
}

fn write_full_header(out: &mut BytesMut, msg: &RawMessage, length: u32) -> Option<u32> {
    write_basic_header(out, Fmt::Full, msg.csid);
    let extended = put_timestamp_field(out, msg.timestamp);
    out.put_uint(u64::from(length), 3);
    out.put_u8(msg.type_id);
    out.put_u32_le(msg.stream_id);
    put_extended(out, extended)
}

/// Writes the 3-byte timestamp field and says whether an extended timestamp must follow.
fn put_timestamp_field(out: &mut BytesMut, value: u32) -> Option<u32> {
    out.put_uint(u64::from(value.min(EXTENDED_TIMESTAMP)), 3);
    (value >= EXTENDED_TIMESTAMP).then_some(value)
}

fn put_extended(out: &mut BytesMut, extended: Option<u32>) -> Option<u32> {
    if let Some(value) = extended {
        out.put_u32(value);
    }
    extended
}

/// The 1-, 2- or 3-byte basic header (§5.3.1.1).
fn write_basic_header(out: &mut BytesMut, fmt: Fmt, csid: u32) {
    let fmt_bits = (fmt as u8) << 6;
    match csid {
        0..=63 => out.put_u8(fmt_bits | csid as u8),
        64..=319 => {
            out.put_u8(fmt_bits);
            out.put_u8((csid - 64) as u8);
        }
        _ => {
            let id = csid - 64;
            out.put_u8(fmt_bits | 1);
            out.put_u8(id as u8);
            out.put_u8((id >> 8) as u8);
        }
    }
}
