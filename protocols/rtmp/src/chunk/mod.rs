//! The chunk stream (RTMP 1.0 §5.3): messages cut into chunks, interleaved by chunk stream id,
//! with compressed headers that refer to the previous chunk of the same chunk stream.
//!
//! [`ChunkDecoder`] turns the peer's byte stream back into [`RawMessage`]s; [`ChunkEncoder`]
//! does the opposite. Both keep per-chunk-stream header state, so one of each is needed per
//! direction of a connection.

mod decoder;
mod encoder;
mod shared;

pub use decoder::ChunkDecoder;
pub use encoder::{ChunkEncoder, chunk_tail};
pub use shared::{MessageKey, SharedBody};

use bytes::Bytes;

/// The chunk size both ends start with (RTMP 1.0 §5.4.1).
pub const DEFAULT_CHUNK_SIZE: u32 = 128;

/// The largest chunk size Set Chunk Size may announce: 31 bits, the high bit is zero (§5.4.1).
pub const MAX_CHUNK_SIZE: u32 = 0x7FFF_FFFF;

/// The 3-byte timestamp value that announces a 4-byte extended timestamp (§5.3.1.3).
pub(crate) const EXTENDED_TIMESTAMP: u32 = 0x00FF_FFFF;

/// The chunk stream id that protocol control messages travel on (§5.4).
pub const CONTROL_CSID: u32 = 2;

/// The smallest chunk stream id a basic header can carry: 0 and 1 announce the 2- and
/// 3-byte forms (§5.3.1.1).
pub const MIN_CSID: u32 = 2;
/// The largest chunk stream id a basic header can carry: 64 + 65535, in the 3-byte form
/// (§5.3.1.1).
pub const MAX_CSID: u32 = 65599;

/// Bounds on what a peer can make the decoder hold in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The largest message length accepted (the wire field allows 16 MiB - 1).
    pub max_message_size: u32,
    /// How many distinct chunk streams a peer may use over the connection.
    pub max_chunk_streams: usize,
}

impl Default for ChunkLimits {
    fn default() -> Self {
        ChunkLimits {
            max_message_size: 16 * 1024 * 1024,
            max_chunk_streams: 64,
        }
    }
}

/// One reassembled message with its header, payload not yet interpreted (§5.3.1.2, §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Chunk stream id it travelled on (2..=65599).
    pub csid: u32,
    /// Absolute timestamp in milliseconds, modulo 2^32.
    pub timestamp: u32,
    /// Message type id (§5.4, §6.2, §7.1; see [`crate::message`]).
    pub type_id: u8,
    /// Message stream id (little-endian on the wire in type 0 headers).
    pub stream_id: u32,
    /// The message payload, reassembled from its chunks.
    pub payload: Bytes,
}

/// Header compression formats of the chunk message header (§5.3.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Fmt {
    /// 11 bytes: absolute timestamp, length, type, message stream id.
    Full = 0,
    /// 7 bytes: timestamp delta, length, type; same message stream.
    SameStream = 1,
    /// 3 bytes: timestamp delta; same stream, length and type.
    DeltaOnly = 2,
    /// No header: everything from the previous chunk of the chunk stream.
    Continuation = 3,
}

impl Fmt {
    pub(crate) fn from_bits(bits: u8) -> Fmt {
        match bits & 3 {
            0 => Fmt::Full,
            1 => Fmt::SameStream,
            2 => Fmt::DeltaOnly,
            _ => Fmt::Continuation,
        }
    }

    /// Length of the message header that follows the basic header.
    pub(crate) fn header_len(self) -> usize {
        match self {
            Fmt::Full => 11,
            Fmt::SameStream => 7,
            Fmt::DeltaOnly => 3,
            Fmt::Continuation => 0,
        }
    }
}

/// Whether timestamp `next` lies before `prev`, read as serial numbers so that the 2^32 wrap
/// counts as moving forward (§5.3.1: "timestamps ... wrap").
pub(crate) fn timestamp_before(next: u32, prev: u32) -> bool {
    (next.wrapping_sub(prev) as i32) < 0
}
