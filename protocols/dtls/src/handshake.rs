//! Handshake message fragments (RFC 6347 §4.2.2, §4.2.3; RFC 9147 §5.2): a 12-byte header in
//! front of a piece of one message; a record may hold several.
//!
//! ```text
//! msg_type (8) | length (24) | message_seq (16) | fragment_offset (24) | fragment_length (24) | body piece
//! ```

use crate::rules;
use bytes::Bytes;
use weir_media::{Error, Reader};

/// The size of a handshake fragment header.
pub const HEADER_LEN: usize = 12;

/// Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2, RFC 8446 §4).
pub mod types {
    /// hello_request (0).
    pub const HELLO_REQUEST: u8 = 0;
    /// client_hello (1).
    pub const CLIENT_HELLO: u8 = 1;
    /// server_hello (2).
    pub const SERVER_HELLO: u8 = 2;
    /// hello_verify_request (3, DTLS only).
    pub const HELLO_VERIFY_REQUEST: u8 = 3;
}

/// A handshake type's name.
pub fn type_name(msg_type: u8) -> &'static str {
    match msg_type {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        3 => "HelloVerifyRequest",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        6 => "HelloRetryRequest",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        24 => "KeyUpdate",
        254 => "MessageHash",
        _ => "unknown",
    }
}

/// One fragment of a handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The message's type.
    pub msg_type: u8,
    /// The whole message body's length.
    pub length: u32,
    /// The message's number in its sender's handshake.
    pub message_seq: u16,
    /// Where this piece starts in the body.
    pub offset: u32,
    /// The piece (`fragment_length` bytes).
    pub body: Bytes,
}

impl Fragment {
    /// Reads the fragments of a handshake record's payload. Offsets in errors are within the
    /// payload; a fragment that does not fit (its body past the record, or past the message
    /// length) is `dtls.handshake.fragment`.
    pub fn parse_all(payload: &Bytes) -> Result<Vec<Fragment>, Error> {
        let mut r = Reader::of(payload, &rules::HANDSHAKE_FRAGMENT);
        let mut out = Vec::new();
        while !r.is_empty() {
            let at = r.position();
            let msg_type = r.u8("msg_type")?;
            let length = r.u24("length")?;
            let message_seq = r.u16("message_seq")?;
            let offset = r.u24("fragment_offset")?;
            let fragment_length = r.u24("fragment_length")?;
            if u64::from(offset) + u64::from(fragment_length) > u64::from(length) {
                return Err(r.error_at(
                    at + 6,
                    format!(
                        "fragment {offset}+{fragment_length} of a {length}-byte {}",
                        type_name(msg_type)
                    ),
                ));
            }
            let body = r.view(fragment_length as usize, "fragment body")?;
            out.push(Fragment {
                msg_type,
                length,
                message_seq,
                offset,
                body,
            });
        }
        Ok(out)
    }

    /// Appends the fragment's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.msg_type);
        out.extend_from_slice(&self.length.to_be_bytes()[1..]);
        out.extend_from_slice(&self.message_seq.to_be_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes()[1..]);
        out.extend_from_slice(&(self.body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(&self.body);
    }
}
