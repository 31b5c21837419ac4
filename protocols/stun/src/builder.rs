//! Writing messages (RFC 8489 §5, §14): attributes appended in order with their padding,
//! then the integrity attributes and the fingerprint computed over what precedes them
//! (§14.5, §14.6, §14.7), in the order the RFC puts them.
//!
//! ```
//! use weir_stun::{Attribute, Builder, MessageType, TransactionId};
//! let bytes = Builder::new(MessageType::BINDING_REQUEST, TransactionId([7; 12]))
//!     .attribute(&Attribute::Username("remote:local".into()))
//!     .attribute(&Attribute::IceControlling(42))
//!     .attribute(&Attribute::Priority(0x6e0001ff))
//!     .message_integrity(b"password")
//!     .fingerprint()
//!     .build();
//! assert_eq!(bytes.len() % 4, 0);
//! ```

use crate::attribute::{Attribute, types};
use crate::header::{HEADER_LEN, Header, MAGIC_COOKIE, MessageType, TransactionId};
use crate::integrity;
use crate::message::Message;

/// A message being written; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Builder {
    bytes: Vec<u8>,
    transaction_id: TransactionId,
    padding: u8,
}

impl Builder {
    /// An RFC 8489 message of `message_type` with `transaction_id`, no attributes yet.
    pub fn new(message_type: MessageType, transaction_id: TransactionId) -> Self {
        Self::with_cookie(message_type, transaction_id, MAGIC_COOKIE)
    }

    /// The header of `message` (classic or not), no attributes yet.
    pub fn from_message_header(message: &Message) -> Self {
        Self::with_cookie(message.message_type, message.transaction_id, message.cookie)
    }

    fn with_cookie(message_type: MessageType, transaction_id: TransactionId, cookie: u32) -> Self {
        let mut bytes = Vec::with_capacity(128);
        Header {
            message_type,
            length: 0,
            cookie,
            transaction_id,
        }
        .write(&mut bytes);
        Builder {
            bytes,
            transaction_id,
            padding: 0,
        }
    }

    /// The byte padding is written with from now on (zero unless set: RFC 8489 §14 lets it
    /// be anything; RFC 5769's vectors pad with spaces).
    pub fn padding(mut self, byte: u8) -> Self {
        self.padding = byte;
        self
    }

    /// Appends `attribute`, as it is (an integrity attribute's value is not recomputed).
    pub fn attribute(mut self, attribute: &Attribute) -> Self {
        let mut value = Vec::new();
        attribute.encode_value(&self.transaction_id, &mut value);
        self.push(attribute.typ(), &value);
        self
    }

    /// Appends MESSAGE-INTEGRITY: HMAC-SHA1 with `key` over the message so far (the key is
    /// the password for short-term credentials; see [`crate::Credentials::key`]).
    pub fn message_integrity(mut self, key: &[u8]) -> Self {
        let at = self.bytes.len();
        let mac = integrity::hmac_sha1(key, &self.bytes, at);
        self.push(types::MESSAGE_INTEGRITY, &mac);
        self
    }

    /// Appends MESSAGE-INTEGRITY-SHA256: the full 32-byte HMAC-SHA256 with `key` over the
    /// message so far.
    pub fn message_integrity_sha256(mut self, key: &[u8]) -> Self {
        let at = self.bytes.len();
        let mac = integrity::hmac_sha256(key, &self.bytes, at, 32);
        self.push(types::MESSAGE_INTEGRITY_SHA256, &mac);
        self
    }

    /// Appends FINGERPRINT over the message so far; it must come last.
    pub fn fingerprint(mut self) -> Self {
        let at = self.bytes.len();
        let crc = integrity::fingerprint(&self.bytes, at);
        self.push(types::FINGERPRINT, &crc.to_be_bytes());
        self
    }

    fn push(&mut self, typ: u16, value: &[u8]) {
        self.bytes.extend_from_slice(&typ.to_be_bytes());
        self.bytes
            .extend_from_slice(&(value.len() as u16).to_be_bytes());
        self.bytes.extend_from_slice(value);
        let padded = self.bytes.len().next_multiple_of(4);
        self.bytes.resize(padded, self.padding);
        let length = (self.bytes.len() - HEADER_LEN) as u16;
        self.bytes[2..4].copy_from_slice(&length.to_be_bytes());
    }

    /// The message's bytes.
    pub fn build(self) -> Vec<u8> {
        self.bytes
    }
}
