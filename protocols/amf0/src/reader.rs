//! The AMF0 and AMF3 decoders' cursor: [`weir_media::Reader`] with the rules that differ between
//! AMF0 and AMF3 (a short read, a string that is not UTF-8) and, for lossy reading, the record
//! of each repaired byte.

use crate::Error;
use std::borrow::Cow;
use weir_media::Rule;

/// The rules a cursor names when a read falls short or a string is not UTF-8.
#[derive(Clone, Copy)]
pub(crate) struct ReadRules {
    pub truncated: &'static Rule,
    pub utf8: &'static Rule,
}

pub(crate) struct Reader<'a> {
    bytes: weir_media::Reader<'a>,
    utf8: &'static Rule,
    /// Lossy reading: strings that are not UTF-8 are repaired and each bad byte is recorded
    /// here, instead of failing (see [`crate::decode_all_lossy`]).
    repairs: Option<Vec<Error>>,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8], rules: ReadRules) -> Self {
        Reader {
            bytes: weir_media::Reader::new(input, rules.truncated),
            utf8: rules.utf8,
            repairs: None,
        }
    }

    /// A reader that repairs strings that are not UTF-8 instead of failing.
    pub fn lossy(input: &'a [u8], rules: ReadRules) -> Self {
        Reader {
            repairs: Some(Vec::new()),
            ..Reader::new(input, rules)
        }
    }

    /// The repairs a lossy reader made, in input order.
    pub fn take_repairs(&mut self) -> Vec<Error> {
        self.repairs.take().unwrap_or_default()
    }

    /// Runs `read` with `rules` in force (AMF3 behind the 0x11 switch, say), then restores these.
    pub fn with_rules<T>(&mut self, rules: ReadRules, read: impl FnOnce(&mut Self) -> T) -> T {
        let truncated = self.bytes.set_rule(Some(rules.truncated));
        let utf8 = std::mem::replace(&mut self.utf8, rules.utf8);
        let result = read(self);
        self.bytes.set_rule(truncated);
        self.utf8 = utf8;
        result
    }

    pub fn pos(&self) -> usize {
        self.bytes.position()
    }

    pub fn remaining(&self) -> usize {
        self.bytes.remaining()
    }

    /// A capacity to reserve for `count` announced items of at least one byte each.
    pub fn capacity(&self, count: usize) -> usize {
        self.bytes.capacity(count)
    }

    pub fn peek(&self) -> Option<u8> {
        self.bytes.peek()
    }

    /// The next `n` bytes; `what` names the field in the error.
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        self.bytes.bytes(n, what)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, Error> {
        self.bytes.u8(what)
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, Error> {
        self.bytes.u16(what)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, Error> {
        self.bytes.u32(what)
    }

    pub fn f64(&mut self, what: &str) -> Result<f64, Error> {
        self.bytes.f64(what)
    }

    /// `len` bytes of UTF-8 text. A lossy reader reads each byte that is not part of valid
    /// UTF-8 as `?` (one for one) and records it; a strict one fails at the first.
    pub fn utf8(&mut self, len: usize, what: &str) -> Result<Cow<'a, str>, Error> {
        let start = self.pos();
        let bytes = self.bytes(len, what)?;
        let invalid = match std::str::from_utf8(bytes) {
            Ok(text) => return Ok(Cow::Borrowed(text)),
            Err(e) => e,
        };
        let rule = self.utf8;
        let error = |at: usize| {
            Error::rule(
                rule,
                (start + at) as u64,
                format!("{what} is not valid UTF-8 at its byte {at}"),
            )
        };
        let Some(repairs) = &mut self.repairs else {
            return Err(error(invalid.valid_up_to()));
        };
        let mut text = String::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            text.push_str(chunk.valid());
            for _ in chunk.invalid() {
                repairs.push(error(text.len()));
                text.push('?');
            }
        }
        Ok(Cow::Owned(text))
    }
}
