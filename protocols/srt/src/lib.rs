//! SRT (Secure Reliable Transport) in live mode, sans-IO, after the SRT internet-draft
//! (draft-sharabayko-srt-01, "the draft" in this crate) and what libsrt 1.5 does on the wire.
//!
//! - [`seq`]: 31-bit packet sequence numbers, 26-bit message numbers and 32-bit timestamps,
//!   all with wrap-around arithmetic (draft §3.1);
//! - [`packet`]: the 16-byte header and [`Packet`] (data or control), [`packet::peek`] for
//!   sniffers (draft §3);
//! - [`data`]: data packets (draft §3.1);
//! - [`control`]: the control header and [`Control`], what each type carries (draft §3.2);
//! - [`handshake`], [`extension`]: the handshake body, its types and rejection reasons, and
//!   its extensions (HSREQ/HSRSP, KMREQ/KMRSP as bytes, stream id, congestion, filter, group)
//!   (draft §3.2.1);
//! - [`ack`], [`nak`], [`dropreq`]: the bodies of ACK, loss report and drop request (draft
//!   §3.2.4, §3.2.5, §3.2.9);
//! - [`receive_buffer`]: the receiver's packets by sequence number within the flow window,
//!   gaps found, handed on at their play time or dropped as too late; [`tsbpd`]: the play
//!   times (time base, 32-bit wrap, drift); [`send_buffer`]: the sender's packets kept for
//!   retransmission until acknowledged or too old;
//! - [`loss_list`]: lost packets as merged, bounded ranges (the receiver's NAKs, the
//!   sender's retransmissions); [`rtt`]: the smoothed round-trip time;
//! - [`km`]: the Key Material message, the body of KMREQ/KMRSP (draft §3.2.2);
//! - [`kdf`]: the passphrase and the key encrypting key from it (PBKDF2, §6.1.4);
//! - [`keywrap`]: AES key wrap of the stream encrypting keys (RFC 3394, §6.2.1, §6.3.1);
//! - [`cipher`]: AES and the AES-CTR payload encryption of data packets (§6.1.2, §6.2.2);
//! - [`crypto`]: a connection's keys both ways, the KMREQ/KMRSP exchange and the key
//!   refresh schedule (§6.1.5, §6.1.6): `CryptoContext::{initiator, responder}`, then
//!   `encrypt`/`decrypt` per data packet;
//! - [`connection`]: one established connection, a [`weir_media::Machine`]: receiving
//!   (ACK, NAK, TSBPD delivery, too-late drop), sending (retransmission, drop requests),
//!   keep-alives, idle timeout, key refresh;
//! - [`caller`], [`listener`]: the handshake machines (draft §4.3.1), the listener's SYN
//!   [`cookie`]s, and what they end in: [`Established`] (the connection machine's start) or
//!   a rejection with libsrt's reason;
//! - [`checks`]: the handshake and ACK/NAK checks the machines make, as pure functions the
//!   harness's observer calls too;
//! - [`streamid`]: the stream id of the handshake's SID extension, in libsrt's `#!::` syntax
//!   and the forms SRS accepts, as vhost/app/stream, mode and parameters;
//! - [`rules`]: the rule catalog.
//!
//! ```text
//! let mut violations = Vec::new();
//! match Packet::parse(&datagram, &mut violations)? {   // one UDP payload, as Bytes
//!     Packet::Data(data) => { /* data.seq, data.msg, data.payload (a view, no copy) */ }
//!     Packet::Control(c) => match c.control { Control::Handshake(hs) => {}, Control::Ack(ack) => {}, _ => {} },
//! }
//! let bytes = packet.to_bytes();                         // and back
//!
//! // A caller: Machine-shaped, one peer.
//! let mut caller = Caller::new(CallerConfig { stream_id: Some(sid), ..Default::default() }, &mut rng, now);
//! // Output::Transmit(datagram) .. Output::Event(CallerEvent::Established(e) | Rejected { reason })
//!
//! // A listener: every caller of a port, so outputs carry addresses.
//! let mut listener = Listener::new(ListenerConfig::default(), secret, Box::new(rng), now);
//! listener.handle_input(now, from, &datagram);
//! // ListenerOutput::Event(ListenerEvent::Request(r)) -> listener.accept(now, r.id, km_rsp)
//! //                                                  or listener.reject(now, r.id, reason)
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ack;
pub mod caller;
pub mod checks;
pub mod cipher;
pub mod connection;
pub mod control;
pub mod cookie;
pub mod crypto;
pub mod data;
pub mod dropreq;
pub mod established;
pub mod extension;
pub mod handshake;
pub mod kdf;
pub mod keywrap;
pub mod km;
pub mod listener;
pub mod loss_list;
pub mod nak;
pub mod pacer;
pub mod packet;
pub mod receive_buffer;
pub mod rtt;
pub mod rules;
pub mod send_buffer;
pub mod seq;
pub mod streamid;
pub mod tsbpd;

pub use ack::Ack;
pub use caller::{Caller, CallerConfig, CallerEvent};
pub use control::{Control, ControlPacket, ControlType};
pub use data::DataPacket;
pub use established::Established;
pub use extension::{Extension, SrtFlags, SrtOptions};
pub use handshake::{Handshake, HandshakeType, RejectReason};
pub use listener::{
    ConnectionRequest, Listener, ListenerConfig, ListenerEvent, ListenerOutput, RequestId,
};
pub use nak::LossList;
pub use packet::{Header, Packet};
pub use seq::{MsgNumber, SeqNumber, Timestamp};
pub use weir_media::Error;
