//! A bounds-checked big-endian reader over a `Bytes` body, shared by every parser here.
//!
//! Every read names the field and the rule that a short body breaks, so that errors say what
//! was missing and where; slices are `Bytes` views of the input (no copy).

use crate::Error;
use bytes::Bytes;
use weir_media::Rule;

pub(crate) struct Cursor<'a> {
    body: &'a Bytes,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(body: &'a Bytes) -> Self {
        Cursor { body, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.body.len() - self.pos
    }

    fn take_slice(
        &mut self,
        n: usize,
        rule: &'static Rule,
        field: &str,
    ) -> Result<&'a [u8], Error> {
        let body: &'a [u8] = self.body;
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| body.get(self.pos..end));
        let Some(slice) = slice else {
            return Err(Error::rule(
                rule,
                self.pos as u64,
                format!("{field}: needs {n} bytes, {} left", self.remaining()),
            ));
        };
        self.pos += n;
        Ok(slice)
    }

    pub(crate) fn u8(&mut self, rule: &'static Rule, field: &str) -> Result<u8, Error> {
        Ok(self.take_slice(1, rule, field)?[0])
    }

    pub(crate) fn u16(&mut self, rule: &'static Rule, field: &str) -> Result<u16, Error> {
        let s = self.take_slice(2, rule, field)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    pub(crate) fn u24(&mut self, rule: &'static Rule, field: &str) -> Result<u32, Error> {
        let s = self.take_slice(3, rule, field)?;
        Ok(u32::from_be_bytes([0, s[0], s[1], s[2]]))
    }

    /// A signed 24-bit integer (FLV's SI24, used for composition time offsets).
    pub(crate) fn i24(&mut self, rule: &'static Rule, field: &str) -> Result<i32, Error> {
        let raw = self.u24(rule, field)?;
        Ok(((raw << 8) as i32) >> 8)
    }

    pub(crate) fn u32(&mut self, rule: &'static Rule, field: &str) -> Result<u32, Error> {
        let s = self.take_slice(4, rule, field)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        rule: &'static Rule,
        field: &str,
    ) -> Result<[u8; N], Error> {
        let s = self.take_slice(N, rule, field)?;
        let mut out = [0; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// The next `n` bytes as a view of the body.
    pub(crate) fn bytes(
        &mut self,
        n: usize,
        rule: &'static Rule,
        field: &str,
    ) -> Result<Bytes, Error> {
        let start = self.pos;
        self.take_slice(n, rule, field)?;
        Ok(self.body.slice(start..start + n))
    }

    /// Everything not read yet, as a view of the body.
    pub(crate) fn rest(&mut self) -> Bytes {
        let rest = self.body.slice(self.pos..);
        self.pos = self.body.len();
        rest
    }
}

/// Writes `v` as a big-endian 24-bit field; callers check the range first.
pub(crate) fn put_u24(out: &mut bytes::BytesMut, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}
