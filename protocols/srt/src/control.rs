//! The control packet (draft-sharabayko-srt-01 §3.2): its header (type, subtype,
//! type-specific field) and [`Control`], what each type carries.
//!
//! ```text
//! |1|         Control Type        |            Subtype            |
//! |                   Type-specific Information                   |
//! |                           Timestamp                           |
//! |                     Destination Socket ID                     |
//! |                   Control Information Field                 ...
//! ```
//!
//! Types whose body the draft leaves empty (keep-alive, shutdown, ACKACK, congestion warning,
//! peer error) are read whatever follows the header, and written as libsrt sends them: with
//! one zero word of body.

use crate::ack::Ack;
use crate::dropreq::DropRequest;
use crate::handshake::Handshake;
use crate::nak::LossList;
use crate::packet::{HEADER_LEN, Header};
use crate::rules::{CONTROL_SUBTYPE, CONTROL_TYPE, PACKET_TRUNCATED};
use bytes::{BufMut, Bytes, BytesMut};
use weir_media::{Error, Reader, Violation};

/// The F bit of the first header word: set on control packets.
pub const CONTROL_FLAG: u32 = 0x8000_0000;

/// A control type (15 bits, draft §3.2, Table 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ControlType(pub u16);

impl ControlType {
    /// Handshake (§3.2.1).
    pub const HANDSHAKE: Self = Self(0);
    /// Keep-alive (§3.2.3).
    pub const KEEPALIVE: Self = Self(1);
    /// Acknowledgement (§3.2.4).
    pub const ACK: Self = Self(2);
    /// Negative acknowledgement, the loss report (§3.2.5).
    pub const NAK: Self = Self(3);
    /// Congestion warning (§3.2.6).
    pub const CONGESTION_WARNING: Self = Self(4);
    /// Shutdown (§3.2.7).
    pub const SHUTDOWN: Self = Self(5);
    /// Acknowledgement of an acknowledgement (§3.2.8).
    pub const ACKACK: Self = Self(6);
    /// Message drop request (§3.2.9).
    pub const DROPREQ: Self = Self(7);
    /// Peer error (§3.2.10).
    pub const PEER_ERROR: Self = Self(8);
    /// User-defined (§3.2; libsrt's HSv4 SRT messages use it with a subtype).
    pub const USER_DEFINED: Self = Self(0x7fff);

    /// Whether the draft defines this type.
    pub fn is_known(self) -> bool {
        self.0 <= 8 || self == Self::USER_DEFINED
    }
}

/// A control packet: the common header and what its type carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlPacket {
    /// Timestamp and destination socket id.
    pub header: Header,
    /// The type and its fields.
    pub control: Control,
}

/// What a control packet carries, by type (draft §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// A handshake (§3.2.1).
    Handshake(Handshake),
    /// A keep-alive (§3.2.3).
    KeepAlive,
    /// An acknowledgement (§3.2.4).
    Ack(Ack),
    /// A loss report (§3.2.5).
    Nak(LossList),
    /// A congestion warning (§3.2.6).
    CongestionWarning,
    /// The peer closes the connection (§3.2.7).
    Shutdown,
    /// Acknowledges the ACK of the same number (§3.2.8).
    AckAck {
        /// The ACK number acknowledged.
        ack_number: u32,
    },
    /// The sender dropped a message (§3.2.9).
    DropReq(DropRequest),
    /// The peer met an error (§3.2.10).
    PeerError {
        /// The error code (libsrt sends 4000, a file-write error).
        code: u32,
    },
    /// A user-defined packet (type 0x7FFF), kept as it came.
    UserDefined {
        /// The subtype (libsrt's HSv4 messages: 1 HSREQ, 2 HSRSP, 3 KMREQ, 4 KMRSP).
        subtype: u16,
        /// The type-specific word.
        type_specific: u32,
        /// The control information field.
        body: Bytes,
    },
}

impl Control {
    /// The control type this body goes with.
    pub fn control_type(&self) -> ControlType {
        match self {
            Control::Handshake(_) => ControlType::HANDSHAKE,
            Control::KeepAlive => ControlType::KEEPALIVE,
            Control::Ack(_) => ControlType::ACK,
            Control::Nak(_) => ControlType::NAK,
            Control::CongestionWarning => ControlType::CONGESTION_WARNING,
            Control::Shutdown => ControlType::SHUTDOWN,
            Control::AckAck { .. } => ControlType::ACKACK,
            Control::DropReq(_) => ControlType::DROPREQ,
            Control::PeerError { .. } => ControlType::PEER_ERROR,
            Control::UserDefined { .. } => ControlType::USER_DEFINED,
        }
    }
}

impl ControlPacket {
    /// Parses a datagram whose F bit is 1.
    pub fn parse(datagram: &Bytes, violations: &mut Vec<Violation>) -> Result<Self, Error> {
        let mut r = Reader::of(datagram, &PACKET_TRUNCATED);
        let typ = ControlType(r.u16("control type")? & 0x7fff);
        let subtype = r.u16("subtype")?;
        let type_specific = r.u32("type-specific information")?;
        let header = Header::read(&mut r)?;
        if !typ.is_known() {
            return Err(Error::rule(
                &CONTROL_TYPE,
                0,
                format!("control type {:#x} is not defined", typ.0),
            ));
        }
        if subtype != 0 && typ != ControlType::USER_DEFINED {
            violations.push(Violation::new(
                &CONTROL_SUBTYPE,
                2,
                format!("subtype {subtype} on control type {}", typ.0),
            ));
        }
        let body = r.view_rest();
        let before = violations.len();
        let control = Self::parse_body(typ, subtype, type_specific, body, violations);
        // The bodies count offsets from their own start; the datagram's are 16 further.
        for v in &mut violations[before..] {
            v.offset += HEADER_LEN as u64;
        }
        let control = control.map_err(|mut e| {
            e.offset += HEADER_LEN as u64;
            e
        })?;
        Ok(ControlPacket { header, control })
    }

    fn parse_body(
        typ: ControlType,
        subtype: u16,
        type_specific: u32,
        body: Bytes,
        violations: &mut Vec<Violation>,
    ) -> Result<Control, Error> {
        Ok(match typ {
            ControlType::HANDSHAKE => Control::Handshake(Handshake::parse(&body, violations)?),
            ControlType::KEEPALIVE => Control::KeepAlive,
            ControlType::ACK => Control::Ack(Ack::parse(type_specific, &body, violations)?),
            ControlType::NAK => Control::Nak(LossList::parse(&body)?),
            ControlType::CONGESTION_WARNING => Control::CongestionWarning,
            ControlType::SHUTDOWN => Control::Shutdown,
            ControlType::ACKACK => Control::AckAck {
                ack_number: type_specific,
            },
            ControlType::DROPREQ => {
                Control::DropReq(DropRequest::parse(type_specific, &body, violations)?)
            }
            ControlType::PEER_ERROR => Control::PeerError {
                code: type_specific,
            },
            _ => Control::UserDefined {
                subtype,
                type_specific,
                body,
            },
        })
    }

    /// Appends the packet as it goes on the wire.
    pub fn write(&self, out: &mut BytesMut) {
        let (subtype, type_specific) = match &self.control {
            Control::Ack(ack) => (0, ack.ack_number),
            Control::AckAck { ack_number } => (0, *ack_number),
            Control::DropReq(drop) => (0, drop.message_number),
            Control::PeerError { code } => (0, *code),
            Control::UserDefined {
                subtype,
                type_specific,
                ..
            } => (*subtype, *type_specific),
            _ => (0, 0),
        };
        out.reserve(HEADER_LEN + 4);
        out.put_u16(0x8000 | self.control.control_type().0);
        out.put_u16(subtype);
        out.put_u32(type_specific);
        self.header.write(out);
        match &self.control {
            Control::Handshake(handshake) => handshake.write(out),
            Control::Ack(ack) => ack.write(out),
            Control::Nak(list) => list.write(out),
            Control::DropReq(drop) => drop.write(out),
            Control::UserDefined { body, .. } => out.put_slice(body),
            Control::KeepAlive
            | Control::CongestionWarning
            | Control::Shutdown
            | Control::AckAck { .. }
            | Control::PeerError { .. } => out.put_u32(0),
        }
    }
}
