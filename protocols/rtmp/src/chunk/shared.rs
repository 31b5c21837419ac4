//! A message body sent to many connections — a server's players of one stream — chunked once.
//!
//! Everything of a message after its first chunk's header depends only on the payload, the
//! chunk size and the chunk stream id (and on an extended timestamp, which live streams reach
//! after 4.6 hours and which is then written per connection). Each connection writes its own
//! compressed first header with [`super::ChunkEncoder::encode_header`], then these shared bytes:
//! fan-out costs a header per player, not a copy of every frame.

use super::encoder::chunk_tail;
use bytes::Bytes;
use std::sync::OnceLock;

#[derive(Debug)]
pub struct SharedBody {
    payload: Bytes,
    /// The chunked tail for the first (chunk size, chunk stream) asked for; every player of a
    /// server asks for the same one.
    tail: OnceLock<(u32, u32, Bytes)>,
}

impl SharedBody {
    pub fn new(payload: Bytes) -> Self {
        SharedBody {
            payload,
            tail: OnceLock::new(),
        }
    }

    pub fn payload(&self) -> &Bytes {
        &self.payload
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
