//! The data packet (draft-sharabayko-srt-01 §3.1): sequence number, message flags and
//! number, and the payload as a view of the datagram (no copy).
//!
//! ```text
//! |0|                  Packet Sequence Number                     |
//! |P P|O|K K|R|                Message Number                     |
//! |                           Timestamp                           |
//! |                     Destination Socket ID                     |
//! |                            Payload                          ...
//! ```

use crate::packet::{HEADER_LEN, Header};
use crate::rules::{DATA_EMPTY, DATA_KEY_FLAGS, PACKET_TRUNCATED};
use crate::seq::{MsgNumber, SeqNumber};
use bytes::{BufMut, Bytes, BytesMut};
use weir_media::{Error, Reader, Violation};

/// Where the packet's payload sits in its message (the PP bits, draft §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// `00`: a packet in the middle of a message.
    Middle,
    /// `01`: the last packet of a message.
    Last,
    /// `10`: the first packet of a message.
    First,
    /// `11`: a message in one packet (what live mode sends).
    Single,
}

impl Position {
    /// From the two PP bits.
    pub fn from_bits(bits: u32) -> Self {
        match bits & 3 {
            0 => Position::Middle,
            1 => Position::Last,
            2 => Position::First,
            _ => Position::Single,
        }
    }

    /// The two PP bits.
    pub fn bits(self) -> u32 {
        match self {
            Position::Middle => 0,
            Position::Last => 1,
            Position::First => 2,
            Position::Single => 3,
        }
    }
}

/// Which key encrypted the payload (the KK bits, draft §3.1, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFlags {
    /// `00`: not encrypted.
    None,
    /// `01`: encrypted with the even key.
    Even,
    /// `10`: encrypted with the odd key.
    Odd,
    /// `11`: both; meaningful in key material only (rule `srt.data.key-flags`).
    Both,
}

impl KeyFlags {
    /// From the two KK bits.
    pub fn from_bits(bits: u32) -> Self {
        match bits & 3 {
            0 => KeyFlags::None,
            1 => KeyFlags::Even,
            2 => KeyFlags::Odd,
            _ => KeyFlags::Both,
        }
    }

    /// The two KK bits.
    pub fn bits(self) -> u32 {
        match self {
            KeyFlags::None => 0,
            KeyFlags::Even => 1,
            KeyFlags::Odd => 2,
            KeyFlags::Both => 3,
        }
    }
}

/// A data packet (draft §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPacket {
    /// Timestamp and destination socket id.
    pub header: Header,
    /// The packet sequence number (31 bits).
    pub seq: SeqNumber,
    /// Where the payload sits in its message.
    pub position: Position,
    /// O: the message must be delivered in order.
    pub in_order: bool,
    /// KK: which key encrypted the payload.
    pub key: KeyFlags,
    /// R: the packet is a retransmission.
    pub retransmitted: bool,
    /// The message number (26 bits).
    pub msg: MsgNumber,
    /// The payload: a view of the datagram.
    pub payload: Bytes,
}

impl DataPacket {
    /// Parses a datagram whose F bit is 0.
    pub fn parse(datagram: &Bytes, violations: &mut Vec<Violation>) -> Result<Self, Error> {
        let mut r = Reader::of(datagram, &PACKET_TRUNCATED);
        let seq = SeqNumber::new(r.u32("packet sequence number")?);
        let word = r.u32("message flags and number")?;
        let header = Header::read(&mut r)?;
        let key = KeyFlags::from_bits(word >> 27);
        if key == KeyFlags::Both {
            violations.push(Violation::new(
                &DATA_KEY_FLAGS,
                4,
                "a data packet with both key bits set",
            ));
        }
        let payload = r.view_rest();
        if payload.is_empty() {
            violations.push(Violation::new(
                &DATA_EMPTY,
                HEADER_LEN as u64,
                format!("data packet {seq} has no payload"),
            ));
        }
        Ok(DataPacket {
            header,
            seq,
            position: Position::from_bits(word >> 30),
            in_order: word & (1 << 29) != 0,
            key,
            retransmitted: word & (1 << 26) != 0,
            msg: MsgNumber::new(word),
            payload,
        })
    }

    /// Appends the packet as it goes on the wire.
    pub fn write(&self, out: &mut BytesMut) {
        out.reserve(HEADER_LEN + self.payload.len());
        out.put_u32(self.seq.get());
        out.put_u32(
            self.position.bits() << 30
                | u32::from(self.in_order) << 29
                | self.key.bits() << 27
                | u32::from(self.retransmitted) << 26
                | self.msg.get(),
        );
        self.header.write(out);
        out.put_slice(&self.payload);
    }
}
