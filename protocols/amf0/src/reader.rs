//! A bounds-checked cursor over one message, shared by the AMF0 and AMF3 decoders.
//!
//! Every read checks the bytes actually available first, so no length from the wire is
//! trusted before the bytes behind it are there.

use crate::Error;
use std::borrow::Cow;
use weir_media::Rule;

/// The rules a cursor names when a read falls short or a string is not UTF-8 (they differ
/// between AMF0 and AMF3).
#[derive(Clone, Copy)]
pub(crate) struct ReadRules {
    pub truncated: &'static Rule,
    pub utf8: &'static Rule,
}

pub(crate) struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    rules: ReadRules,
    /// Lossy reading: strings that are not UTF-8 are repaired and each bad byte is recorded
    /// here, instead of failing (see [`crate::decode_all_lossy`]).
    repairs: Option<Vec<Error>>,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8], rules: ReadRules) -> Self {
        Reader {
            input,
            pos: 0,
            rules,
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
        let outer = std::mem::replace(&mut self.rules, rules);
        let result = read(self);
        self.rules = outer;
        result
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// A capacity to reserve for `count` announced items of at least one byte each: never more
    /// than the remaining input could hold.
    pub fn capacity(&self, count: usize) -> usize {
        count.min(self.remaining())
    }

    pub fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// The next `n` bytes; `what` names the field in the error.
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        match self.input.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(Error::new(
                self.rules.truncated,
                self.pos,
                format!("{what} needs {n} bytes, only {} left", self.remaining()),
            )),
        }
    }

    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Error> {
        let bytes = self.bytes(N, what)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, Error> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, Error> {
        self.array(what).map(u16::from_be_bytes)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, Error> {
        self.array(what).map(u32::from_be_bytes)
    }

    pub fn f64(&mut self, what: &str) -> Result<f64, Error> {
        self.array(what).map(f64::from_be_bytes)
    }

    /// `len` bytes of UTF-8 text. A lossy reader reads each byte that is not part of valid
    /// UTF-8 as `?` (one for one) and records it; a strict one fails at the first.
    pub fn utf8(&mut self, len: usize, what: &str) -> Result<Cow<'a, str>, Error> {
        let start = self.pos;
        let bytes = self.bytes(len, what)?;
        let invalid = match std::str::from_utf8(bytes) {
            Ok(text) => return Ok(Cow::Borrowed(text)),
            Err(e) => e,
        };
        let rule = self.rules.utf8;
        let error = |at: usize| {
            Error::new(
                rule,
                start + at,
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
