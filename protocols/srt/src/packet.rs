//! The header every SRT datagram starts with, and [`Packet`]: a data or a control packet
//! (draft-sharabayko-srt-01 §3).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |F|        (data: sequence number; control: type, subtype)      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        (data: flags and message number; control: type-specific) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           Timestamp                           |
//! |                     Destination Socket ID                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Byte offsets in errors and violations are offsets in the datagram.

use crate::control::{CONTROL_FLAG, ControlPacket, ControlType};
use crate::data::DataPacket;
use crate::handshake::{HANDSHAKE_LEN, HandshakeType};
use crate::rules::PACKET_TRUNCATED;
use crate::seq::Timestamp;
use bytes::{BufMut, Bytes, BytesMut};
use weir_media::{Error, Reader, Violation};

/// Bytes of the header common to every packet (draft §3).
pub const HEADER_LEN: usize = 16;

/// What every packet carries in its last two header words (draft §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Microseconds since the sender's connection start, wrapping.
    pub timestamp: Timestamp,
    /// The receiver's socket id (0 in a caller's first induction).
    pub dst_socket: u32,
}

impl Header {
    /// Reads the timestamp and destination socket id (header words 3 and 4).
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Header {
            timestamp: Timestamp::new(r.u32("timestamp")?),
            dst_socket: r.u32("destination socket id")?,
        })
    }

    /// Writes the timestamp and destination socket id.
    pub(crate) fn write(&self, out: &mut BytesMut) {
        out.put_u32(self.timestamp.get());
        out.put_u32(self.dst_socket);
    }
}

/// One SRT datagram: data or control, told by the F bit (draft §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// F = 0: a data packet.
    Data(DataPacket),
    /// F = 1: a control packet.
    Control(ControlPacket),
}

impl Packet {
    /// Parses one datagram. Rules the parser can carry on past go to `violations`; a packet
    /// it cannot read is an error naming the rule and the offset.
    pub fn parse(datagram: &Bytes, violations: &mut Vec<Violation>) -> Result<Packet, Error> {
        if datagram.len() < HEADER_LEN {
            return Err(Error::rule(
                &PACKET_TRUNCATED,
                datagram.len() as u64,
                format!(
                    "header: needs {HEADER_LEN} bytes, the datagram has {}",
                    datagram.len()
                ),
            ));
        }
        if datagram[0] & 0x80 == 0 {
            DataPacket::parse(datagram, violations).map(Packet::Data)
        } else {
            ControlPacket::parse(datagram, violations).map(Packet::Control)
        }
    }

    /// Appends the packet as it goes on the wire.
    pub fn write(&self, out: &mut BytesMut) {
        match self {
            Packet::Data(data) => data.write(out),
            Packet::Control(control) => control.write(out),
        }
    }

    /// The packet as one datagram.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.write(&mut out);
        out.freeze()
    }

    /// The timestamp and destination socket id.
    pub fn header(&self) -> Header {
        match self {
            Packet::Data(data) => data.header,
            Packet::Control(control) => control.header,
        }
    }
}

/// Whether `datagram` looks like an SRT handshake, cheaply and without parsing: a control
/// packet of type 0 and subtype 0, a full handshake body, version 4 or 5 and a handshake type
/// the draft defines. The harness's sniffer calls it on a flow's first datagrams.
pub fn peek(datagram: &[u8]) -> bool {
    let word = |at: usize| {
        datagram
            .get(at..at + 4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    };
    if datagram.len() < HEADER_LEN + HANDSHAKE_LEN
        || word(0) != Some(CONTROL_FLAG | u32::from(ControlType::HANDSHAKE.0) << 16)
    {
        return false;
    }
    let version_ok = matches!(word(HEADER_LEN), Some(4 | 5));
    let kind_ok = word(HEADER_LEN + 20)
        .map(HandshakeType::from_wire)
        .is_some_and(|kind| !matches!(kind, HandshakeType::Other(_)));
    version_ok && kind_ok
}

/// Whether `datagram` is an SRT data packet or control packet by its first bytes only (no
/// handshake needed): long enough for the header and, for control, a type the draft defines.
/// Weaker than [`peek`]; for flows already known to be SRT.
pub fn is_srt_packet(datagram: &[u8]) -> bool {
    match datagram {
        [first, second, ..] if datagram.len() >= HEADER_LEN => {
            first & 0x80 == 0 || ControlType(u16::from_be_bytes([first & 0x7f, *second])).is_known()
        }
        _ => false,
    }
}
