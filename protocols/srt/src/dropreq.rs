//! The message drop request's body (draft-sharabayko-srt-01 §3.2.9): the sender gave up on
//! a message; the receiver stops waiting for the packets from `first` to `last`.

use crate::rules::{DROPREQ_LENGTH, DROPREQ_RANGE_ORDER};
use crate::seq::SeqNumber;
use bytes::{BufMut, BytesMut};
use weir_media::{Error, Reader, Violation};

/// A message drop request (draft §3.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropRequest {
    /// The message number (the type-specific field, kept whole).
    pub message_number: u32,
    /// The first sequence number of the message.
    pub first: SeqNumber,
    /// The last sequence number of the message.
    pub last: SeqNumber,
}

impl DropRequest {
    /// Parses the 8-byte body; `message_number` is the header's type-specific field.
    pub fn parse(
        message_number: u32,
        body: &[u8],
        violations: &mut Vec<Violation>,
    ) -> Result<Self, Error> {
        let mut r = Reader::new(body, &DROPREQ_LENGTH);
        if body.len() != 8 {
            return Err(r.error(format!(
                "a drop request body of {} bytes, not 8",
                body.len()
            )));
        }
        let first = SeqNumber::new(r.u32("first sequence number")?);
        let last = SeqNumber::new(r.u32("last sequence number")?);
        if last.before(first) {
            violations.push(Violation::new(
                &DROPREQ_RANGE_ORDER,
                4,
                format!("drop request from {first} to {last}"),
            ));
        }
        Ok(DropRequest {
            message_number,
            first,
            last,
        })
    }

    /// Appends the body.
    pub fn write(&self, out: &mut BytesMut) {
        out.put_u32(self.first.get());
        out.put_u32(self.last.get());
    }
}
