//! A whole STUN message (RFC 8489 §5, §14): the header and its attributes, parsed with every
//! rule the message alone lets a reader check, and written back.
//!
//! Parsing keeps each attribute's decoded value (or its raw bytes, see [`Attribute::Other`]),
//! so that writing a parsed message gives its bytes back (padding written as zeros). The
//! integrity attributes keep the values on the wire: [`Builder`](crate::Builder) computes
//! new ones, [`verify_integrity`] checks them against credentials.

use crate::attribute::{self, Attribute, types};
use crate::error_code::ErrorCode;
use crate::header::{Class, HEADER_LEN, Header, MAGIC_COOKIE, MessageType, TransactionId};
use crate::integrity;
use crate::password::{Credentials, PasswordAlgorithm};
use crate::rules;
use bytes::Bytes;
use weir_media::{Error, Reader, Violation};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Class and method.
    pub message_type: MessageType,
    /// The transaction id.
    pub transaction_id: TransactionId,
    /// The four bytes after the length: [`MAGIC_COOKIE`] for an RFC 5389/8489 message,
    /// anything else for a classic RFC 3489 one (whose 128-bit transaction id they begin).
    pub cookie: u32,
    /// The attributes in order.
    pub attributes: Vec<Attribute>,
}

impl Message {
    /// An RFC 8489 message with no attributes yet.
    pub fn new(message_type: MessageType, transaction_id: TransactionId) -> Self {
        Message {
            message_type,
            transaction_id,
            cookie: MAGIC_COOKIE,
            attributes: Vec::new(),
        }
    }

    /// Whether it is a classic RFC 3489 message (no magic cookie).
    pub fn is_classic(&self) -> bool {
        self.cookie != MAGIC_COOKIE
    }

    /// The first attribute of type `typ`.
    pub fn get(&self, typ: u16) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.typ() == typ)
    }

    /// Whether an attribute of type `typ` is present.
    pub fn has(&self, typ: u16) -> bool {
        self.get(typ).is_some()
    }

    /// USERNAME, if present.
    pub fn username(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Username(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// ERROR-CODE, if present.
    pub fn error_code(&self) -> Option<&ErrorCode> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::ErrorCode(e) => Some(e),
            _ => None,
        })
    }

    /// XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS: the reflexive address a response reports.
    pub fn mapped_address(&self) -> Option<std::net::SocketAddr> {
        let find = |xor: bool| {
            self.attributes.iter().find_map(|a| match (a, xor) {
                (Attribute::XorMappedAddress(addr), true) => Some(*addr),
                (Attribute::MappedAddress(addr), false) => Some(*addr),
                _ => None,
            })
        };
        find(true).or_else(|| find(false))
    }

    /// Parses the message at the start of `input` (which may hold more after it, as a TCP
    /// stream does); returns it and its size. Broken rules the parser can read past are
    /// pushed to `violations` (offsets within the message); one it cannot is the error: too
    /// few bytes for the header or the length it announces, non-zero top bits, an attribute
    /// running past the end.
    pub fn parse(input: &[u8], violations: &mut Vec<Violation>) -> Result<(Message, usize), Error> {
        let header = Header::parse(input, violations)?;
        let size = HEADER_LEN + usize::from(header.length);
        let Some(bytes) = input.get(..size) else {
            return Err(Error::rule(
                &rules::HEADER_LENGTH,
                2,
                format!(
                    "the length field announces {} attribute bytes, {} follow",
                    header.length,
                    input.len() - HEADER_LEN
                ),
            ));
        };
        let mut message = Message {
            message_type: header.message_type,
            transaction_id: header.transaction_id,
            cookie: header.cookie,
            attributes: Vec::new(),
        };
        if message.message_type.method.name().is_none() {
            violations.push(Violation::new(
                &rules::HEADER_METHOD,
                0,
                format!("unregistered {}", message.message_type.method),
            ));
        }
        let mut r = Reader::new(bytes, &rules::ATTRIBUTE_TRUNCATED);
        r.skip(HEADER_LEN, "header")?;
        // The covering attribute last seen: MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT.
        let mut covered_by: Option<u16> = None;
        while !r.is_empty() {
            let at = r.position();
            let typ = r.u16("attribute type")?;
            let len = usize::from(r.u16("attribute length")?);
            let value = Bytes::copy_from_slice(r.bytes(len, "attribute value")?);
            let padding = len.next_multiple_of(4) - len;
            if r.remaining() < padding {
                if r.is_empty() {
                    violations.push(Violation::new(
                        &rules::ATTRIBUTE_PADDING,
                        at as u64,
                        format!("the last attribute's {len}-byte value is not padded to 4 bytes"),
                    ));
                } else {
                    return Err(r.error(format!(
                        "padding: needs {padding} bytes, {} left",
                        r.remaining()
                    )));
                }
            }
            r.skip(padding.min(r.remaining()), "padding")?;
            match covered_by {
                Some(types::FINGERPRINT) => violations.push(Violation::new(
                    &rules::FINGERPRINT_LAST,
                    at as u64,
                    format!(
                        "{} after FINGERPRINT",
                        attribute::name(typ).unwrap_or("an attribute")
                    ),
                )),
                Some(cover)
                    if typ != types::FINGERPRINT
                        && !(cover == types::MESSAGE_INTEGRITY
                            && typ == types::MESSAGE_INTEGRITY_SHA256) =>
                {
                    violations.push(Violation::new(
                        &rules::INTEGRITY_POSITION,
                        at as u64,
                        format!(
                            "0x{typ:04x} after {}",
                            attribute::name(cover).unwrap_or("integrity")
                        ),
                    ))
                }
                _ => {}
            }
            if matches!(
                typ,
                types::MESSAGE_INTEGRITY | types::MESSAGE_INTEGRITY_SHA256 | types::FINGERPRINT
            ) {
                covered_by = Some(typ);
            }
            if attribute::is_comprehension_required(typ) && attribute::name(typ).is_none() {
                violations.push(Violation::new(
                    &rules::ATTRIBUTE_UNKNOWN_REQUIRED,
                    at as u64,
                    format!("attribute type 0x{typ:04x}"),
                ));
            }
            let attribute =
                Attribute::decode(typ, value, &message.transaction_id, at as u64, violations);
            if let Attribute::Fingerprint(value) = attribute {
                let expected = integrity::fingerprint(bytes, at);
                if value != expected {
                    violations.push(Violation::new(
                        &rules::FINGERPRINT_VALUE,
                        at as u64,
                        format!("0x{value:08x} where the CRC gives 0x{expected:08x}"),
                    ));
                }
            }
            message.attributes.push(attribute);
        }
        message.check_error_response(violations);
        Ok((message, size))
    }

    /// Parses one UDP datagram: [`parse`](Self::parse), and bytes after the message break
    /// `stun.header.length`.
    pub fn parse_datagram(
        datagram: &[u8],
        violations: &mut Vec<Violation>,
    ) -> Result<Message, Error> {
        let (message, size) = Self::parse(datagram, violations)?;
        if size != datagram.len() {
            violations.push(Violation::new(
                &rules::HEADER_LENGTH,
                2,
                format!(
                    "a {size}-byte message in a {}-byte datagram",
                    datagram.len()
                ),
            ));
        }
        Ok(message)
    }

    fn check_error_response(&self, violations: &mut Vec<Violation>) {
        if self.message_type.class != Class::ErrorResponse {
            return;
        }
        match self.error_code() {
            None => violations.push(Violation::new(
                &rules::ERROR_RESPONSE_CODE,
                0,
                "an error response without ERROR-CODE",
            )),
            Some(code)
                if code.code() == ErrorCode::UNKNOWN_ATTRIBUTE
                    && !self.has(types::UNKNOWN_ATTRIBUTES) =>
            {
                violations.push(Violation::new(
                    &rules::ERROR_RESPONSE_CODE,
                    0,
                    "a 420 response without UNKNOWN-ATTRIBUTES",
                ))
            }
            Some(_) => {}
        }
    }

    /// The message's bytes, padding written as zeros and integrity values as they are.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut builder = crate::Builder::from_message_header(self);
        for attribute in &self.attributes {
            builder = builder.attribute(attribute);
        }
        builder.build()
    }
}

/// What [`verify_integrity`] found for each integrity attribute: `None` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntegrityCheck {
    /// MESSAGE-INTEGRITY matched.
    pub sha1: Option<bool>,
    /// MESSAGE-INTEGRITY-SHA256 matched.
    pub sha256: Option<bool>,
}

/// Checks the MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 of `message` (its bytes, as
/// received) against `credentials`; each mismatch is pushed to `violations`. For long-term
/// credentials the key follows the message's PASSWORD-ALGORITHM (MD5 without one).
pub fn verify_integrity(
    message: &[u8],
    credentials: &Credentials,
    violations: &mut Vec<Violation>,
) -> IntegrityCheck {
    let mut check = IntegrityCheck::default();
    let mut algorithm = PasswordAlgorithm::MD5;
    let mut r = Reader::new(message, &rules::ATTRIBUTE_TRUNCATED);
    if r.skip(HEADER_LEN, "header").is_err() {
        return check;
    }
    while let (at, Ok(typ), Ok(len)) = (r.position(), r.u16("type"), r.u16("length")) {
        let len = usize::from(len);
        let Ok(value) = r.bytes(len, "value") else {
            break;
        };
        let _ = r.skip(
            (len.next_multiple_of(4) - len).min(r.remaining()),
            "padding",
        );
        let (ok, name) = match typ {
            types::PASSWORD_ALGORITHM if len >= 2 => {
                algorithm = u16::from_be_bytes([value[0], value[1]]);
                continue;
            }
            types::MESSAGE_INTEGRITY if check.sha1.is_none() => {
                let ok = integrity::hmac_sha1(&credentials.key(algorithm), message, at) == value;
                check.sha1 = Some(ok);
                (ok, "MESSAGE-INTEGRITY")
            }
            types::MESSAGE_INTEGRITY_SHA256 if check.sha256.is_none() => {
                let ok =
                    integrity::hmac_sha256(&credentials.key(algorithm), message, at, len) == value;
                check.sha256 = Some(ok);
                (ok, "MESSAGE-INTEGRITY-SHA256")
            }
            _ => continue,
        };
        if !ok {
            violations.push(Violation::new(
                &rules::INTEGRITY_VALUE,
                at as u64,
                format!("{name} does not match the credentials"),
            ));
        }
    }
    check
}
