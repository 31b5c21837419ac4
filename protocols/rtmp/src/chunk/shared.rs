//! A message sent to many connections — a server's players of one stream — chunked once.
//!
//! A message written with a type 0 header (RTMP 1.0 §5.3.1.2.1: absolute timestamp, length,
//! type and message stream id) depends on nothing a connection has sent before, so every
//! connection with the same chunk size and message stream id sends the very same bytes: the
//! header and the chunked body are made once ([`SharedBody::message`]) and fan-out copies no
//! frame and writes no header per player. A type 0 header costs at most 8 bytes more than a
//! compressed one; a writer may send it at any time.

use super::encoder::{chunk_tail, full_header};
use bytes::Bytes;
use std::sync::OnceLock;

/// A message's body, and its whole chunked form for the first connection settings asked for.
#[derive(Debug)]
pub struct SharedBody {
    payload: Bytes,
    /// The chunked tail for the first (chunk size, chunk stream) asked for; every player of a
    /// server asks for the same one.
    tail: OnceLock<(u32, u32, Bytes)>,
    /// The whole message, for the first (chunk size, chunk stream, message stream, timestamp)
    /// asked for.
    message: OnceLock<(MessageKey, Bytes)>,
}

/// What a whole chunked message depends on besides its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageKey {
    /// The chunk size the connection writes with.
    pub chunk_size: u32,
    /// The chunk stream the message goes on.
    pub csid: u32,
    /// The message type (8 audio, 9 video...).
    pub type_id: u8,
    /// The message stream.
    pub stream_id: u32,
    /// The message timestamp (milliseconds, modulo 2^32).
    pub timestamp: u32,
}

impl SharedBody {
    /// A body to share.
    pub fn new(payload: Bytes) -> Self {
        SharedBody {
            payload,
            tail: OnceLock::new(),
            message: OnceLock::new(),
        }
    }

    /// The message body.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The whole message with a type 0 header, in one piece (one `writev` slice per player):
    /// made once for the first `key` asked for (every player of a server asks for the same),
    /// each time for others. Fails when the body does not fit RTMP's 24-bit message length.
    pub fn message(&self, key: MessageKey) -> Result<Bytes, crate::Error> {
        let make = || -> Result<Bytes, crate::Error> {
            let (header, extended) = full_header(key, self.payload.len())?;
            let tail = match extended {
                None => self.tail(key.chunk_size, key.csid),
                Some(_) => chunk_tail(&self.payload, key.chunk_size, key.csid, extended),
            };
            let mut whole = bytes::BytesMut::with_capacity(header.len() + tail.len());
            whole.extend_from_slice(&header);
            whole.extend_from_slice(&tail);
            Ok(whole.freeze())
        };
        if let Some((cached, message)) = self.message.get() {
            return if *cached == key {
                Ok(message.clone())
            } else {
                make()
            };
        }
        let message = make()?;
        let (cached, kept) = self.message.get_or_init(|| (key, message.clone()));
        Ok(if *cached == key {
            kept.clone()
        } else {
            message
        })
    }

    /// The message after its first header, for `chunk_size` and `csid`, without an extended
    /// timestamp: the payload itself when it fits one chunk.
    pub fn tail(&self, chunk_size: u32, csid: u32) -> Bytes {
        if self.payload.len() <= chunk_size as usize {
            return self.payload.clone();
        }
        let (size, id, tail) = self.tail.get_or_init(|| {
            (
                chunk_size,
                csid,
                chunk_tail(&self.payload, chunk_size, csid, None),
            )
        });
        if (*size, *id) == (chunk_size, csid) {
            tail.clone()
        } else {
            chunk_tail(&self.payload, chunk_size, csid, None)
        }
    }
}
