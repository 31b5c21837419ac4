//! The error type of the RTMP machines, shared with the other protocol crates: what went
//! wrong, where (a byte offset in the peer's stream, handshake included), and which rule it
//! breaks. After an error a machine is closed; later inputs return it again.

pub use weir_media::Error;
