//! ERROR-CODE (RFC 8489 §14.8) and UNKNOWN-ATTRIBUTES (§14.9).
//!
//! ```text
//! ERROR-CODE:          reserved (21 bits, zero) | class (3 bits) | number (8 bits) | reason (UTF-8)
//! UNKNOWN-ATTRIBUTES:  attribute type (16 bits), repeated
//! ```

use crate::rules;
use weir_media::{Error, Reader, Violation};

/// An error response's code and reason phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCode {
    /// The hundreds digit: 3 to 6.
    pub class: u8,
    /// The code modulo 100: 0 to 99.
    pub number: u8,
    /// The reason phrase, for a person.
    pub reason: String,
}

impl ErrorCode {
    /// Try the alternate server (RFC 8489 §6.3.4).
    pub const TRY_ALTERNATE: u16 = 300;
    /// Bad request.
    pub const BAD_REQUEST: u16 = 400;
    /// Unauthenticated: the request lacked or failed credentials.
    pub const UNAUTHENTICATED: u16 = 401;
    /// Unknown comprehension-required attribute: UNKNOWN-ATTRIBUTES lists them.
    pub const UNKNOWN_ATTRIBUTE: u16 = 420;
    /// Stale nonce.
    pub const STALE_NONCE: u16 = 438;
    /// ICE role conflict (RFC 8445 §7.3.1.1).
    pub const ROLE_CONFLICT: u16 = 487;
    /// Server error.
    pub const SERVER_ERROR: u16 = 500;

    /// An error code and reason; `code` is 300 to 699.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        ErrorCode {
            class: (code / 100) as u8,
            number: (code % 100) as u8,
            reason: reason.into(),
        }
    }

    /// The code: class × 100 + number.
    pub fn code(&self) -> u16 {
        u16::from(self.class) * 100 + u16::from(self.number)
    }

    /// Reads the value. `Ok(None)` for reserved bits that are not zero (the value is then
    /// kept raw); a class or number out of range is a violation at `offset`.
    pub fn decode(
        value: &[u8],
        offset: u64,
        violations: &mut Vec<Violation>,
    ) -> Result<Option<ErrorCode>, Error> {
        let mut r = Reader::new(value, &rules::ATTRIBUTE_LENGTH);
        let head = r.u32("ERROR-CODE class and number")?;
        if head & 0xffff_f800 != 0 {
            return Ok(None);
        }
        let reason = std::str::from_utf8(r.rest())
            .map_err(|e| r.error_at(4 + e.valid_up_to(), "ERROR-CODE reason: not UTF-8"))?;
        let code = ErrorCode {
            class: ((head >> 8) & 7) as u8,
            number: head as u8,
            reason: reason.to_owned(),
        };
        if !(3..=6).contains(&code.class) || code.number > 99 {
            violations.push(Violation::new(
                &rules::ERROR_CODE_RANGE,
                offset,
                format!("class {} number {}", code.class, code.number),
            ));
        }
        Ok(Some(code))
    }

    /// Appends the value.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[0, 0, self.class & 7, self.number]);
        out.extend_from_slice(self.reason.as_bytes());
    }
}

/// Reads UNKNOWN-ATTRIBUTES: an even number of bytes.
pub fn decode_unknown(value: &[u8]) -> Result<Vec<u16>, Error> {
    let mut r = Reader::new(value, &rules::ATTRIBUTE_LENGTH);
    if !value.len().is_multiple_of(2) {
        return Err(r.error(format!(
            "UNKNOWN-ATTRIBUTES of {} bytes, not a multiple of 2",
            value.len()
        )));
    }
    let mut types = Vec::with_capacity(value.len() / 2);
    while !r.is_empty() {
        types.push(r.u16("attribute type")?);
    }
    Ok(types)
}

/// Appends UNKNOWN-ATTRIBUTES.
pub fn encode_unknown(types: &[u16], out: &mut Vec<u8>) {
    types
        .iter()
        .for_each(|t| out.extend_from_slice(&t.to_be_bytes()));
}
