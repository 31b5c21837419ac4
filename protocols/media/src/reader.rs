//! The one bounded byte reader of every parser in `protocols/`: big-endian fields over a byte
//! slice, each read checked against the bytes actually there before anything is taken, so no
//! length from the wire is trusted ahead of its bytes.
//!
//! A short read is an [`Error`] that names the field, the rule the reader was made with (the
//! one a truncated structure breaks) and the byte offset. Readers for layers that break no
//! catalog rule (a capture's link and IP headers) are made with [`Reader::unruled`].
//!
//! ```
//! use weir_media::{Reader, rules::AAC_CONFIG_SYNTAX};
//! let mut r = Reader::new(&[0x12, 0x10, 0xff], &AAC_CONFIG_SYNTAX);
//! assert_eq!(r.u16("AudioSpecificConfig").unwrap(), 0x1210);
//! let e = r.u16("extension").unwrap_err();
//! assert_eq!((e.rule_id(), e.offset), ("media.aac.config-syntax", 2));
//! assert_eq!(e.detail, "extension: needs 2 bytes, 1 left");
//! ```

use crate::{Error, Rule};
use bytes::Bytes;

/// A cursor over one input; see the [module docs](self). Its reads are `#[inline]`: every
/// parser calls them once per field, from other crates, where they would otherwise stay calls.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    /// The `Bytes` that `input` is, when the reader was made [`of`](Reader::of) one: views
    /// then share it instead of copying.
    source: Option<&'a Bytes>,
    pos: usize,
    rule: Option<&'static Rule>,
}

impl<'a> Reader<'a> {
    /// A reader whose short reads break `rule`.
    pub fn new(input: &'a [u8], rule: &'static Rule) -> Self {
        Reader {
            input,
            source: None,
            pos: 0,
            rule: Some(rule),
        }
    }

    /// A reader over a `Bytes` whose [`view`](Self::view)s are slices of it, not copies.
    pub fn of(input: &'a Bytes, rule: &'static Rule) -> Self {
        Reader {
            source: Some(input),
            ..Reader::new(input, rule)
        }
    }

    /// A reader whose short reads break no rule (errors then carry `rule: None`).
    pub fn unruled(input: &'a [u8]) -> Self {
        Reader {
            input,
            source: None,
            pos: 0,
            rule: None,
        }
    }

    /// The rule a short read breaks.
    pub fn rule(&self) -> Option<&'static Rule> {
        self.rule
    }

    /// Makes `rule` the one short reads break from now on; returns the one before.
    pub fn set_rule(&mut self, rule: Option<&'static Rule>) -> Option<&'static Rule> {
        std::mem::replace(&mut self.rule, rule)
    }

    /// Runs `read` with `rule` for short reads (a nested structure's own), then restores the
    /// reader's.
    pub fn with_rule<T>(&mut self, rule: &'static Rule, read: impl FnOnce(&mut Self) -> T) -> T {
        let outer = self.set_rule(Some(rule));
        let result = read(self);
        self.rule = outer;
        result
    }

    /// Bytes read so far: the offset of the next field in the input.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// Whether every byte has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next byte, not taken.
    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// What to reserve for `count` announced items of at least one byte each: never more than
    /// the remaining input could hold.
    #[inline]
    pub fn capacity(&self, count: usize) -> usize {
        count.min(self.remaining())
    }

    /// An error at the current position, naming the reader's rule.
    pub fn error(&self, detail: impl Into<String>) -> Error {
        self.error_at(self.pos, detail)
    }

    /// An error at byte `offset` of the input, naming the reader's rule.
    pub fn error_at(&self, offset: usize, detail: impl Into<String>) -> Error {
        Error {
            rule: self.rule,
            offset: offset as u64,
            detail: detail.into(),
        }
    }

    /// The next `n` bytes; `field` names them in the error.
    #[inline]
    pub fn bytes(&mut self, n: usize, field: &str) -> Result<&'a [u8], Error> {
        let input: &'a [u8] = self.input;
        match input.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(self.short(n, field)),
        }
    }

    /// The error of a read of `n` bytes past the end: out of line, so that the reads above
    /// inline into the parsers' loops as a bounds check and a load.
    #[cold]
    #[inline(never)]
    fn short(&self, n: usize, field: &str) -> Error {
        self.error(format!(
            "{field}: needs {n} bytes, {} left",
            self.remaining()
        ))
    }

    /// Skips `n` bytes.
    #[inline]
    pub fn skip(&mut self, n: usize, field: &str) -> Result<(), Error> {
        self.bytes(n, field).map(drop)
    }

    /// Everything not read yet.
    #[inline]
    pub fn rest(&mut self) -> &'a [u8] {
        let input: &'a [u8] = self.input;
        let rest = &input[self.pos..];
        self.pos = input.len();
        rest
    }

    /// The next `n` bytes as `Bytes`: a view of the input for a reader made
    /// [`of`](Self::of) one, a copy otherwise.
    pub fn view(&mut self, n: usize, field: &str) -> Result<Bytes, Error> {
        let bytes = self.bytes(n, field)?;
        Ok(self.share(bytes))
    }

    /// Everything not read yet, as [`view`](Self::view) gives it.
    pub fn view_rest(&mut self) -> Bytes {
        let rest = self.rest();
        self.share(rest)
    }

    fn share(&self, part: &'a [u8]) -> Bytes {
        match self.source {
            Some(source) => source.slice_ref(part),
            None => Bytes::copy_from_slice(part),
        }
    }

    /// The next `N` bytes as an array.
    #[inline]
    pub fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N], Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N, field)?);
        Ok(out)
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self, field: &str) -> Result<u8, Error> {
        Ok(self.array::<1>(field)?[0])
    }

    /// A big-endian 16-bit field.
    #[inline]
    pub fn u16(&mut self, field: &str) -> Result<u16, Error> {
        self.array(field).map(u16::from_be_bytes)
    }

    /// A big-endian 24-bit field.
    #[inline]
    pub fn u24(&mut self, field: &str) -> Result<u32, Error> {
        let [a, b, c] = self.array(field)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A big-endian signed 24-bit field (FLV's SI24).
    #[inline]
    pub fn i24(&mut self, field: &str) -> Result<i32, Error> {
        Ok(((self.u24(field)? << 8) as i32) >> 8)
    }

    /// A big-endian 32-bit field.
    #[inline]
    pub fn u32(&mut self, field: &str) -> Result<u32, Error> {
        self.array(field).map(u32::from_be_bytes)
    }

    /// A big-endian 64-bit field.
    #[inline]
    pub fn u64(&mut self, field: &str) -> Result<u64, Error> {
        self.array(field).map(u64::from_be_bytes)
    }

    /// A big-endian IEEE 754 double.
    #[inline]
    pub fn f64(&mut self, field: &str) -> Result<f64, Error> {
        self.array(field).map(f64::from_be_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::AAC_CONFIG_SYNTAX;

    #[test]
    fn fields_read_big_endian_and_short_reads_take_nothing() {
        let mut r = Reader::new(&[1, 2, 3, 0xff, 0xff, 0xfe, 9], &AAC_CONFIG_SYNTAX);
        assert_eq!(r.u24("a").unwrap(), 0x010203);
        assert_eq!(r.i24("b").unwrap(), -2);
        let e = r.u16("c").unwrap_err();
        assert_eq!(
            (e.offset, e.detail.as_str()),
            (6, "c: needs 2 bytes, 1 left")
        );
        assert_eq!(r.position(), 6);
        assert_eq!(r.rest(), &[9]);
        assert!(r.is_empty());
    }

    #[test]
    fn views_of_bytes_share_them() {
        let body = Bytes::from_static(b"\x01abcdef");
        let mut r = Reader::of(&body, &AAC_CONFIG_SYNTAX);
        r.u8("tag").unwrap();
        let view = r.view(3, "abc").unwrap();
        assert_eq!(view.as_ptr(), body[1..].as_ptr());
        assert_eq!(&r.view_rest()[..], b"def");
    }

    #[test]
    fn huge_lengths_fail_without_overflow() {
        let mut r = Reader::unruled(&[0; 4]);
        r.u8("x").unwrap();
        let e = r.bytes(usize::MAX, "huge").unwrap_err();
        assert_eq!((e.rule, e.offset), (None, 1));
        assert_eq!(r.capacity(1 << 40), 3);
    }

    #[test]
    fn a_nested_rule_applies_inside_and_not_after() {
        use crate::rules::ADTS_TRUNCATED;
        let mut r = Reader::new(&[], &AAC_CONFIG_SYNTAX);
        let inner = r.with_rule(&ADTS_TRUNCATED, |r| r.u8("x").unwrap_err());
        assert_eq!(inner.rule_id(), "media.adts.truncated");
        assert_eq!(r.u8("y").unwrap_err().rule_id(), "media.aac.config-syntax");
    }
}
