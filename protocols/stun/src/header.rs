//! The 20-byte STUN message header (RFC 8489 §5): the message type (a class and a method
//! interleaved in 14 bits), the length of the attributes, the magic cookie and the 96-bit
//! transaction id. A classic RFC 3489 header has no cookie: its 128-bit transaction id starts
//! where the cookie would be.

use crate::rules;
use std::fmt;
use weir_media::{Error, Reader, Violation};

/// The magic cookie of RFC 8489 §5, in network order on the wire.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;

/// The size of the header.
pub const HEADER_LEN: usize = 20;

/// What a message is for (RFC 8489 §5: the C1 and C0 bits of the type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Asks for a response (0b00).
    Request,
    /// Needs no response (0b01).
    Indication,
    /// Answers a request that succeeded (0b10).
    SuccessResponse,
    /// Answers a request that failed (0b11).
    ErrorResponse,
}

impl Class {
    /// The class from its two bits (C1 C0).
    pub fn from_bits(bits: u16) -> Class {
        match bits & 3 {
            0 => Class::Request,
            1 => Class::Indication,
            2 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        }
    }

    /// The two bits (C1 C0).
    pub fn bits(self) -> u16 {
        match self {
            Class::Request => 0,
            Class::Indication => 1,
            Class::SuccessResponse => 2,
            Class::ErrorResponse => 3,
        }
    }

    /// A success or error response.
    pub fn is_response(self) -> bool {
        matches!(self, Class::SuccessResponse | Class::ErrorResponse)
    }
}

/// A STUN method: 12 bits (RFC 8489 §5, registry in §18.2; TURN's in RFC 8656 §17 and RFC 6062).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Method(pub u16);

impl Method {
    /// Binding (RFC 8489 §18.2): the one method STUN itself defines.
    pub const BINDING: Method = Method(0x001);
    /// TURN Allocate (RFC 8656 §17).
    pub const ALLOCATE: Method = Method(0x003);
    /// TURN Refresh.
    pub const REFRESH: Method = Method(0x004);
    /// TURN Send (indications only).
    pub const SEND: Method = Method(0x006);
    /// TURN Data (indications only).
    pub const DATA: Method = Method(0x007);
    /// TURN CreatePermission.
    pub const CREATE_PERMISSION: Method = Method(0x008);
    /// TURN ChannelBind.
    pub const CHANNEL_BIND: Method = Method(0x009);
    /// TURN-TCP Connect (RFC 6062 §6.1).
    pub const CONNECT: Method = Method(0x00A);
    /// TURN-TCP ConnectionBind.
    pub const CONNECTION_BIND: Method = Method(0x00B);
    /// TURN-TCP ConnectionAttempt.
    pub const CONNECTION_ATTEMPT: Method = Method(0x00C);

    /// The registered name, if the method is registered.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x001 => "Binding",
            0x003 => "Allocate",
            0x004 => "Refresh",
            0x006 => "Send",
            0x007 => "Data",
            0x008 => "CreatePermission",
            0x009 => "ChannelBind",
            0x00A => "Connect",
            0x00B => "ConnectionBind",
            0x00C => "ConnectionAttempt",
            _ => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "method 0x{:03x}", self.0),
        }
    }
}

/// A message type: class and method (RFC 8489 §5, Figure 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType {
    /// Request, indication or response.
    pub class: Class,
    /// What is asked or answered.
    pub method: Method,
}

impl MessageType {
    /// A Binding request.
    pub const BINDING_REQUEST: MessageType = MessageType::new(Class::Request, Method::BINDING);
    /// A Binding success response.
    pub const BINDING_SUCCESS: MessageType =
        MessageType::new(Class::SuccessResponse, Method::BINDING);
    /// A Binding error response.
    pub const BINDING_ERROR: MessageType = MessageType::new(Class::ErrorResponse, Method::BINDING);
    /// A Binding indication (a keepalive).
    pub const BINDING_INDICATION: MessageType =
        MessageType::new(Class::Indication, Method::BINDING);

    /// The type of `class` and `method` (the method's low 12 bits).
    pub const fn new(class: Class, method: Method) -> Self {
        MessageType {
            class,
            method: Method(method.0 & 0x0fff),
        }
    }

    /// The 14-bit type of the header's first two bytes, top two bits ignored.
    pub fn from_bits(bits: u16) -> Self {
        let method = (bits & 0x000f) | ((bits & 0x00e0) >> 1) | ((bits & 0x3e00) >> 2);
        let class = ((bits & 0x0010) >> 4) | ((bits & 0x0100) >> 7);
        MessageType {
            class: Class::from_bits(class),
            method: Method(method),
        }
    }

    /// The 14 bits on the wire (M11-M7, C1, M6-M4, C0, M3-M0).
    pub fn bits(self) -> u16 {
        let m = self.method.0 & 0x0fff;
        let c = self.class.bits();
        (m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = match self.class {
            Class::Request => "request",
            Class::Indication => "indication",
            Class::SuccessResponse => "success response",
            Class::ErrorResponse => "error response",
        };
        write!(f, "{} {class}", self.method)
    }
}

/// A transaction id: 96 bits after the magic cookie, or for a classic RFC 3489 message the
/// 128 bits that include the cookie's place (stored as `[cookie, id]` bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub [u8; 12]);

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Class and method.
    pub message_type: MessageType,
    /// Length of the attributes in bytes (the header not counted).
    pub length: u16,
    /// The four bytes where the magic cookie belongs: [`MAGIC_COOKIE`], unless the message is
    /// a classic RFC 3489 one, whose transaction id they begin.
    pub cookie: u32,
    /// The transaction id (after the cookie).
    pub transaction_id: TransactionId,
}

impl Header {
    /// Whether the message is a classic RFC 3489 one (no magic cookie).
    pub fn is_classic(&self) -> bool {
        self.cookie != MAGIC_COOKIE
    }

    /// Reads the header of `datagram`: an error for fewer than 20 bytes or non-zero top bits
    /// (not STUN at all); a missing cookie and a length that is not a multiple of 4 are
    /// violations (at offset 0), the caller checks the length against the datagram.
    pub fn parse(datagram: &[u8], violations: &mut Vec<Violation>) -> Result<Header, Error> {
        let mut r = Reader::new(datagram, &rules::HEADER_LENGTH);
        let bits = r.u16("message type")?;
        if bits & 0xc000 != 0 {
            return Err(Error::rule(
                &rules::HEADER_ZERO_BITS,
                0,
                format!("the first byte is 0x{:02x}, not 0-3", bits >> 8),
            ));
        }
        let length = r.u16("message length")?;
        let cookie = r.u32("magic cookie")?;
        let transaction_id = TransactionId(r.array("transaction id")?);
        if length % 4 != 0 {
            violations.push(Violation::new(
                &rules::HEADER_LENGTH,
                2,
                format!("message length {length} is not a multiple of 4"),
            ));
        }
        if cookie != MAGIC_COOKIE {
            violations.push(Violation::new(
                &rules::HEADER_MAGIC_COOKIE,
                4,
                format!(
                    "0x{cookie:08x} where the magic cookie belongs: a classic RFC 3489 message"
                ),
            ));
        }
        Ok(Header {
            message_type: MessageType::from_bits(bits),
            length,
            cookie,
            transaction_id,
        })
    }

    /// Appends the 20 bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.message_type.bits().to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
        out.extend_from_slice(&self.cookie.to_be_bytes());
        out.extend_from_slice(&self.transaction_id.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_interleave_class_and_method_bits() {
        // RFC 8489 §5: a Binding request is 0x0001, its success response 0x0101, its error
        // response 0x0111; a Binding indication is 0x0011.
        assert_eq!(MessageType::BINDING_REQUEST.bits(), 0x0001);
        assert_eq!(MessageType::BINDING_SUCCESS.bits(), 0x0101);
        assert_eq!(MessageType::BINDING_ERROR.bits(), 0x0111);
        assert_eq!(MessageType::BINDING_INDICATION.bits(), 0x0011);
        for bits in 0..0x4000u16 {
            assert_eq!(MessageType::from_bits(bits).bits(), bits);
        }
        assert_eq!(
            MessageType::from_bits(0x0113).to_string(),
            "Allocate error response"
        );
    }
}
