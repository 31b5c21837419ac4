//! Attributes (RFC 8489 §14): a type, a length and a value padded to 4 bytes; the types
//! this crate decodes, and the registry that tells a known type from an unknown one.
//!
//! ```text
//! type (16 bits) | length (16 bits, the value without padding) | value | padding to 4 bytes
//! ```
//!
//! Types 0x0000-0x7FFF are comprehension-required, 0x8000-0xFFFF comprehension-optional
//! (§14). A value that does not decode as its type says stays [`Attribute::Other`] with the
//! violation reported, so that writing it back gives its bytes.

use crate::error_code::{self, ErrorCode};
use crate::header::TransactionId;
use crate::password::PasswordAlgorithm;
use crate::{address, rules};
use bytes::Bytes;
use std::net::SocketAddr;
use weir_media::{Error, Reader, Violation};

/// Attribute type numbers (IANA's STUN Attributes registry).
pub mod types {
    /// MAPPED-ADDRESS (RFC 8489 §14.1).
    pub const MAPPED_ADDRESS: u16 = 0x0001;
    /// USERNAME (§14.3).
    pub const USERNAME: u16 = 0x0006;
    /// MESSAGE-INTEGRITY (§14.5).
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    /// ERROR-CODE (§14.8).
    pub const ERROR_CODE: u16 = 0x0009;
    /// UNKNOWN-ATTRIBUTES (§14.9).
    pub const UNKNOWN_ATTRIBUTES: u16 = 0x000A;
    /// REALM (§14.9).
    pub const REALM: u16 = 0x0014;
    /// NONCE (§14.10).
    pub const NONCE: u16 = 0x0015;
    /// MESSAGE-INTEGRITY-SHA256 (§14.6).
    pub const MESSAGE_INTEGRITY_SHA256: u16 = 0x001C;
    /// PASSWORD-ALGORITHM (§14.12).
    pub const PASSWORD_ALGORITHM: u16 = 0x001D;
    /// USERHASH (§14.4).
    pub const USERHASH: u16 = 0x001E;
    /// XOR-MAPPED-ADDRESS (§14.2).
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    /// PRIORITY (RFC 8445 §16.1).
    pub const PRIORITY: u16 = 0x0024;
    /// USE-CANDIDATE (RFC 8445 §16.1).
    pub const USE_CANDIDATE: u16 = 0x0025;
    /// PASSWORD-ALGORITHMS (§14.11).
    pub const PASSWORD_ALGORITHMS: u16 = 0x8002;
    /// SOFTWARE (§14.14).
    pub const SOFTWARE: u16 = 0x8022;
    /// ALTERNATE-SERVER (§14.15).
    pub const ALTERNATE_SERVER: u16 = 0x8023;
    /// FINGERPRINT (§14.7).
    pub const FINGERPRINT: u16 = 0x8028;
    /// ICE-CONTROLLED (RFC 8445 §16.1).
    pub const ICE_CONTROLLED: u16 = 0x8029;
    /// ICE-CONTROLLING (RFC 8445 §16.1).
    pub const ICE_CONTROLLING: u16 = 0x802A;
}

/// Whether a receiver that does not understand the type must reject the message (§14).
pub fn is_comprehension_required(typ: u16) -> bool {
    typ < 0x8000
}

/// The registered name of an attribute type: STUN's, ICE's, TURN's (RFC 8656, RFC 6062),
/// NAT behaviour discovery's (RFC 5780), the ones RFC 3489 defined and RFC 8489 reserved,
/// and the few others IANA lists.
pub fn name(typ: u16) -> Option<&'static str> {
    Some(match typ {
        0x0001 => "MAPPED-ADDRESS",
        0x0002 => "RESPONSE-ADDRESS",
        0x0003 => "CHANGE-REQUEST",
        0x0004 => "SOURCE-ADDRESS",
        0x0005 => "CHANGED-ADDRESS",
        0x0006 => "USERNAME",
        0x0007 => "PASSWORD",
        0x0008 => "MESSAGE-INTEGRITY",
        0x0009 => "ERROR-CODE",
        0x000A => "UNKNOWN-ATTRIBUTES",
        0x000B => "REFLECTED-FROM",
        0x000C => "CHANNEL-NUMBER",
        0x000D => "LIFETIME",
        0x0010 => "BANDWIDTH",
        0x0012 => "XOR-PEER-ADDRESS",
        0x0013 => "DATA",
        0x0014 => "REALM",
        0x0015 => "NONCE",
        0x0016 => "XOR-RELAYED-ADDRESS",
        0x0017 => "REQUESTED-ADDRESS-FAMILY",
        0x0018 => "EVEN-PORT",
        0x0019 => "REQUESTED-TRANSPORT",
        0x001A => "DONT-FRAGMENT",
        0x001B => "ACCESS-TOKEN",
        0x001C => "MESSAGE-INTEGRITY-SHA256",
        0x001D => "PASSWORD-ALGORITHM",
        0x001E => "USERHASH",
        0x0020 => "XOR-MAPPED-ADDRESS",
        0x0021 => "TIMER-VAL",
        0x0022 => "RESERVATION-TOKEN",
        0x0024 => "PRIORITY",
        0x0025 => "USE-CANDIDATE",
        0x0026 => "PADDING",
        0x0027 => "RESPONSE-PORT",
        0x002A => "CONNECTION-ID",
        0x8000 => "ADDITIONAL-ADDRESS-FAMILY",
        0x8001 => "ADDRESS-ERROR-CODE",
        0x8002 => "PASSWORD-ALGORITHMS",
        0x8003 => "ALTERNATE-DOMAIN",
        0x8004 => "ICMP",
        0x8022 => "SOFTWARE",
        0x8023 => "ALTERNATE-SERVER",
        0x8025 => "TRANSACTION-TRANSMIT-COUNTER",
        0x8027 => "CACHE-TIMEOUT",
        0x8028 => "FINGERPRINT",
        0x8029 => "ICE-CONTROLLED",
        0x802A => "ICE-CONTROLLING",
        0x802B => "RESPONSE-ORIGIN",
        0x802C => "OTHER-ADDRESS",
        0x802D => "ECN-CHECK",
        0x802E => "THIRD-PARTY-AUTHORIZATION",
        0x8030 => "MOBILITY-TICKET",
        _ => return None,
    })
}

/// One attribute, decoded where this crate knows its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// MAPPED-ADDRESS: the reflexive address in the clear (RFC 3489 servers' answer).
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS: the reflexive transport address, obfuscated.
    XorMappedAddress(SocketAddr),
    /// USERNAME: who the credentials are (for ICE `remote-ufrag:local-ufrag`).
    Username(String),
    /// USERHASH: SHA-256 of `username:realm`, in place of USERNAME.
    Userhash([u8; 32]),
    /// MESSAGE-INTEGRITY: HMAC-SHA1 over the message before it.
    MessageIntegrity([u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256: HMAC-SHA256 (16-32 bytes) over the message before it.
    MessageIntegritySha256(Bytes),
    /// FINGERPRINT: the value on the wire (CRC-32 XOR 0x5354554E).
    Fingerprint(u32),
    /// ERROR-CODE.
    ErrorCode(ErrorCode),
    /// UNKNOWN-ATTRIBUTES: the types a 420 response did not understand.
    UnknownAttributes(Vec<u16>),
    /// REALM (long-term credentials).
    Realm(String),
    /// NONCE (long-term credentials).
    Nonce(String),
    /// SOFTWARE: the agent's name and version.
    Software(String),
    /// ALTERNATE-SERVER: where a 300 response sends the client.
    AlternateServer(SocketAddr),
    /// PASSWORD-ALGORITHM: the algorithm the client chose.
    PasswordAlgorithm(PasswordAlgorithm),
    /// PASSWORD-ALGORITHMS: the algorithms the server offers.
    PasswordAlgorithms(Vec<PasswordAlgorithm>),
    /// PRIORITY: the priority a peer-reflexive candidate learnt from this check would get.
    Priority(u32),
    /// USE-CANDIDATE: the controlling agent nominates the pair.
    UseCandidate,
    /// ICE-CONTROLLED and its tie-breaker.
    IceControlled(u64),
    /// ICE-CONTROLLING and its tie-breaker.
    IceControlling(u64),
    /// Any other attribute, or a known one whose value did not decode: type and value.
    Other {
        /// The attribute type.
        typ: u16,
        /// The value, without padding.
        value: Bytes,
    },
}

impl Attribute {
    /// The attribute's type number.
    pub fn typ(&self) -> u16 {
        use types::*;
        match self {
            Attribute::MappedAddress(_) => MAPPED_ADDRESS,
            Attribute::XorMappedAddress(_) => XOR_MAPPED_ADDRESS,
            Attribute::Username(_) => USERNAME,
            Attribute::Userhash(_) => USERHASH,
            Attribute::MessageIntegrity(_) => MESSAGE_INTEGRITY,
            Attribute::MessageIntegritySha256(_) => MESSAGE_INTEGRITY_SHA256,
            Attribute::Fingerprint(_) => FINGERPRINT,
            Attribute::ErrorCode(_) => ERROR_CODE,
            Attribute::UnknownAttributes(_) => UNKNOWN_ATTRIBUTES,
            Attribute::Realm(_) => REALM,
            Attribute::Nonce(_) => NONCE,
            Attribute::Software(_) => SOFTWARE,
            Attribute::AlternateServer(_) => ALTERNATE_SERVER,
            Attribute::PasswordAlgorithm(_) => PASSWORD_ALGORITHM,
            Attribute::PasswordAlgorithms(_) => PASSWORD_ALGORITHMS,
            Attribute::Priority(_) => PRIORITY,
            Attribute::UseCandidate => USE_CANDIDATE,
            Attribute::IceControlled(_) => ICE_CONTROLLED,
            Attribute::IceControlling(_) => ICE_CONTROLLING,
            Attribute::Other { typ, .. } => *typ,
        }
    }

    /// The type's registered name, or its number.
    pub fn name(&self) -> String {
        let typ = self.typ();
        name(typ).map_or_else(|| format!("0x{typ:04x}"), str::to_owned)
    }

    /// Decodes the value of an attribute of type `typ` found at byte `offset` of a message
    /// with `transaction_id`. A value that breaks its type's syntax is reported and kept as
    /// [`Attribute::Other`].
    pub fn decode(
        typ: u16,
        value: Bytes,
        transaction_id: &TransactionId,
        offset: u64,
        violations: &mut Vec<Violation>,
    ) -> Attribute {
        match Self::try_decode(typ, &value, transaction_id, offset, violations) {
            Ok(Some(attribute)) => attribute,
            Ok(None) => Attribute::Other { typ, value },
            Err(e) => {
                let e = e.shifted(offset + 4);
                violations.push(Violation::new(
                    e.rule.unwrap_or(&rules::ATTRIBUTE_LENGTH),
                    e.offset,
                    format!("{}: {}", name(typ).unwrap_or("attribute"), e.detail),
                ));
                Attribute::Other { typ, value }
            }
        }
    }

    fn try_decode(
        typ: u16,
        value: &Bytes,
        transaction_id: &TransactionId,
        offset: u64,
        violations: &mut Vec<Violation>,
    ) -> Result<Option<Attribute>, Error> {
        use types::*;
        let mut r = Reader::new(value, &rules::ATTRIBUTE_LENGTH);
        let exact = |n: usize| -> Result<(), Error> {
            if value.len() == n {
                Ok(())
            } else {
                Err(Reader::new(value, &rules::ATTRIBUTE_LENGTH)
                    .error(format!("{} bytes where {n} belong", value.len())))
            }
        };
        let mut text = |rule: &'static weir_media::Rule| -> Result<String, Error> {
            let s = std::str::from_utf8(value).map_err(|e| {
                Reader::new(value, &rules::ATTRIBUTE_LENGTH).error_at(e.valid_up_to(), "not UTF-8")
            })?;
            let too_long = if typ == USERNAME {
                value.len() >= 509
            } else {
                value.len() > 763 || s.chars().count() >= 128
            };
            if too_long {
                violations.push(Violation::new(
                    rule,
                    offset,
                    format!("{} of {} bytes", name(typ).unwrap_or("text"), value.len()),
                ));
            }
            Ok(s.to_owned())
        };
        Ok(Some(match typ {
            MAPPED_ADDRESS => Attribute::MappedAddress(address::decode(value, None)?),
            XOR_MAPPED_ADDRESS => {
                Attribute::XorMappedAddress(address::decode(value, Some(transaction_id))?)
            }
            ALTERNATE_SERVER => Attribute::AlternateServer(address::decode(value, None)?),
            USERNAME => Attribute::Username(text(&rules::USERNAME_LENGTH)?),
            REALM => Attribute::Realm(text(&rules::TEXT_LENGTH)?),
            NONCE => Attribute::Nonce(text(&rules::TEXT_LENGTH)?),
            SOFTWARE => Attribute::Software(text(&rules::TEXT_LENGTH)?),
            USERHASH => {
                exact(32)?;
                Attribute::Userhash(r.array("USERHASH")?)
            }
            MESSAGE_INTEGRITY => {
                exact(20)?;
                Attribute::MessageIntegrity(r.array("HMAC-SHA1")?)
            }
            MESSAGE_INTEGRITY_SHA256 => {
                if !(16..=32).contains(&value.len()) || !value.len().is_multiple_of(4) {
                    return Err(
                        r.error(format!("{} bytes, not 16 to 32 in steps of 4", value.len()))
                    );
                }
                Attribute::MessageIntegritySha256(value.clone())
            }
            FINGERPRINT => {
                exact(4)?;
                Attribute::Fingerprint(r.u32("CRC-32")?)
            }
            ERROR_CODE => {
                let Some(code) = ErrorCode::decode(value, offset, violations)? else {
                    return Ok(None);
                };
                if code.reason.chars().count() >= 128 {
                    violations.push(Violation::new(
                        &rules::TEXT_LENGTH,
                        offset,
                        format!(
                            "a reason phrase of {} characters",
                            code.reason.chars().count()
                        ),
                    ));
                }
                Attribute::ErrorCode(code)
            }
            UNKNOWN_ATTRIBUTES => Attribute::UnknownAttributes(error_code::decode_unknown(value)?),
            PASSWORD_ALGORITHM => Attribute::PasswordAlgorithm(PasswordAlgorithm::decode(value)?),
            PASSWORD_ALGORITHMS => {
                Attribute::PasswordAlgorithms(PasswordAlgorithm::decode_list(value)?)
            }
            PRIORITY => {
                exact(4)?;
                Attribute::Priority(r.u32("priority")?)
            }
            USE_CANDIDATE => {
                exact(0)?;
                Attribute::UseCandidate
            }
            ICE_CONTROLLED => {
                exact(8)?;
                Attribute::IceControlled(r.u64("tie-breaker")?)
            }
            ICE_CONTROLLING => {
                exact(8)?;
                Attribute::IceControlling(r.u64("tie-breaker")?)
            }
            _ => return Ok(None),
        }))
    }

    /// Appends the value (no padding) of an attribute in a message with `transaction_id`.
    pub fn encode_value(&self, transaction_id: &TransactionId, out: &mut Vec<u8>) {
        match self {
            Attribute::MappedAddress(a) | Attribute::AlternateServer(a) => {
                address::encode(a, None, out)
            }
            Attribute::XorMappedAddress(a) => address::encode(a, Some(transaction_id), out),
            Attribute::Username(s)
            | Attribute::Realm(s)
            | Attribute::Nonce(s)
            | Attribute::Software(s) => out.extend_from_slice(s.as_bytes()),
            Attribute::Userhash(h) => out.extend_from_slice(h),
            Attribute::MessageIntegrity(h) => out.extend_from_slice(h),
            Attribute::MessageIntegritySha256(h) => out.extend_from_slice(h),
            Attribute::Fingerprint(v) => out.extend_from_slice(&v.to_be_bytes()),
            Attribute::ErrorCode(code) => code.encode(out),
            Attribute::UnknownAttributes(types) => error_code::encode_unknown(types, out),
            Attribute::PasswordAlgorithm(a) => a.encode(out),
            Attribute::PasswordAlgorithms(list) => PasswordAlgorithm::encode_list(list, out),
            Attribute::Priority(p) => out.extend_from_slice(&p.to_be_bytes()),
            Attribute::UseCandidate => {}
            Attribute::IceControlled(t) | Attribute::IceControlling(t) => {
                out.extend_from_slice(&t.to_be_bytes())
            }
            Attribute::Other { value, .. } => out.extend_from_slice(value),
        }
    }
}
