//! What a finished handshake hands to the connection machine (draft-sharabayko-srt-01 §4.3,
//! §4.5): both socket ids, the first sequence numbers, the negotiated TSBPD latencies, the
//! peer's options, the stream id and the key material bodies.

use crate::extension::{SrtFlags, SrtOptions};
use crate::handshake::Encryption;
use crate::seq::{SeqNumber, Timestamp};
use bytes::Bytes;
use std::time::Instant;

/// SRT version this crate announces in HSREQ/HSRSP: libsrt 1.5.1's, the peer it matches.
pub const SRT_VERSION: u32 = 0x01_05_01;

/// The option flags this crate announces: TSBPD both ways, encryption support, too-late
/// drop, periodic NAK, the retransmission flag and packet filters, as libsrt 1.5 in live mode.
pub const LIVE_FLAGS: SrtFlags = SrtFlags(0xbf);

/// A connection both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Established {
    /// Our socket id: the destination id of the peer's packets.
    pub local_socket_id: u32,
    /// The peer's socket id: the destination id of our packets.
    pub peer_socket_id: u32,
    /// The sequence number of our first data packet.
    pub send_isn: SeqNumber,
    /// The sequence number of the peer's first data packet.
    pub recv_isn: SeqNumber,
    /// The TSBPD delay we apply as receiver, milliseconds.
    pub recv_latency_ms: u16,
    /// The TSBPD delay the peer applies as receiver, milliseconds.
    pub send_latency_ms: u16,
    /// The peer's SRT version (`0x010501` for 1.5.1).
    pub peer_version: u32,
    /// The peer's option flags.
    pub peer_flags: SrtFlags,
    /// The smaller of both MTUs, bytes.
    pub mtu: u32,
    /// The peer's flow window, packets.
    pub flow_window: u32,
    /// The caller's stream id.
    pub stream_id: Option<String>,
    /// The caller's key material request body (for `km`).
    pub km_request: Option<Bytes>,
    /// The listener's key material answer body (for `km`).
    pub km_response: Option<Bytes>,
    /// The key length the caller announced.
    pub encryption: Encryption,
    /// When the connection started: our packet timestamps count from here.
    pub start: Instant,
    /// When the peer's last handshake (its conclusion, or its answer to ours) arrived, and the
    /// timestamp it carried: the receiver's TSBPD time base (draft §4.5.1.1).
    pub peer_clock: (Instant, Timestamp),
}

/// The listener's side of latency negotiation (draft §4.3.1.2): each direction takes the
/// larger of what the two sides want. `own_recv`/`own_peer` are the listener's receive and
/// peer latencies; the result is the HSRSP's (receiver delay, sender delay).
pub fn negotiate_latency(own_recv: u16, own_peer: u16, request: &SrtOptions) -> (u16, u16) {
    (
        own_recv.max(request.send_delay_ms),
        own_peer.max(request.recv_delay_ms),
    )
}
