//! Bit-level reading and writing: the `u(n)`, `ue(v)` and `se(v)` descriptors of H.264 §7.2
//! and H.265 §7.2, over an RBSP (H.264 §7.4.1, H.265 §7.4.2: the NAL payload with its
//! emulation-prevention bytes removed) or over any plain byte string (AudioSpecificConfig,
//! ADTS headers, decoder configuration records).
//!
//! Every read is bounds-checked: reading past the end is a [`Error`] naming the field,
//! the rule the caller gave and the byte offset in the original input, never a panic.

use crate::{Error, Rule};

/// A NAL unit's RBSP: its bytes without the emulation-prevention `0x03` of each `00 00 03`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rbsp {
    bytes: Vec<u8>,
    /// For each removed byte, the RBSP index of the byte that followed it (ascending), so that
    /// errors can report offsets in the NAL unit as transmitted.
    removed_before: Vec<usize>,
}

impl Rbsp {
    /// Removes emulation prevention (H.264 §7.4.1.1, H.265 §7.4.2): a `0x03` that follows two
    /// zero bytes is dropped. Allocates at most `nal.len()` bytes.
    pub fn from_nal(nal: &[u8]) -> Rbsp {
        let mut bytes = Vec::with_capacity(nal.len());
        let mut removed_before = Vec::new();
        let mut zeros = 0usize;
        for &b in nal {
            if zeros >= 2 && b == 0x03 {
                removed_before.push(bytes.len());
                zeros = 0;
                continue;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            bytes.push(b);
        }
        Rbsp {
            bytes,
            removed_before,
        }
    }

    /// The RBSP bytes, emulation prevention removed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A reader over the RBSP whose errors name `rule` and offsets in the original NAL unit.
    pub fn reader(&self, rule: &'static Rule) -> BitReader<'_> {
        BitReader {
            data: &self.bytes,
            bit: 0,
            rule,
            removed_before: &self.removed_before,
        }
    }
}

/// A big-endian bit reader (most significant bit first).
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    bit: usize,
    rule: &'static Rule,
    removed_before: &'a [usize],
}

impl<'a> BitReader<'a> {
    /// A reader over plain bytes whose errors name `rule`.
    pub fn new(data: &'a [u8], rule: &'static Rule) -> Self {
        BitReader {
            data,
            bit: 0,
            rule,
            removed_before: &[],
        }
    }

    /// Bits not read yet.
    pub fn bits_left(&self) -> usize {
        self.data.len() * 8 - self.bit
    }

    /// Bits read so far.
    pub fn position(&self) -> usize {
        self.bit
    }

    /// The byte offset of the current position in the original input.
    pub fn byte_offset(&self) -> usize {
        let index = self.bit / 8;
        index + self.removed_before.partition_point(|&r| r <= index)
    }

    /// An error at the current position, naming `rule`.
    pub fn error_with(&self, rule: &'static Rule, detail: impl Into<String>) -> Error {
        Error::rule(rule, (self.byte_offset()) as u64, detail)
    }

    /// An error at the current position, naming the reader's rule.
    pub fn error(&self, detail: impl Into<String>) -> Error {
        self.error_with(self.rule, detail)
    }

    fn need(&self, n: usize, field: &str) -> Result<(), Error> {
        if n > self.bits_left() {
            return Err(self.error(format!(
                "{field}: needs {n} bits, only {} left",
                self.bits_left()
            )));
        }
        Ok(())
    }

    /// `u(n)` for `n <= 32`.
    pub fn u(&mut self, n: u32, field: &str) -> Result<u32, Error> {
        debug_assert!(n <= 32, "u(n) reads at most 32 bits");
        Ok(self.u64(n.min(32), field)? as u32)
    }

    /// `u(n)` for `n <= 64`.
    pub fn u64(&mut self, n: u32, field: &str) -> Result<u64, Error> {
        let n = n.min(64);
        self.need(n as usize, field)?;
        let mut value = 0u64;
        for _ in 0..n {
            // In bounds: `need` checked that `n` bits remain.
            let byte = self.data.get(self.bit / 8).copied().unwrap_or(0);
            let bit = (byte >> (7 - self.bit % 8)) & 1;
            value = (value << 1) | u64::from(bit);
            self.bit += 1;
        }
        Ok(value)
    }

    /// `u(8)`.
    pub fn u8(&mut self, field: &str) -> Result<u8, Error> {
        Ok(self.u(8, field)? as u8)
    }

    /// `u(16)`.
    pub fn u16(&mut self, field: &str) -> Result<u16, Error> {
        Ok(self.u(16, field)? as u16)
    }

    /// `u(1)` as a flag.
    pub fn flag(&mut self, field: &str) -> Result<bool, Error> {
        Ok(self.u(1, field)? == 1)
    }

    /// Skips `n` bits.
    pub fn skip(&mut self, n: usize, field: &str) -> Result<(), Error> {
        self.need(n, field)?;
        self.bit += n;
        Ok(())
    }

    /// `n` whole bytes; the reader must be byte-aligned.
    pub fn bytes(&mut self, n: usize, field: &str) -> Result<&'a [u8], Error> {
        if self.bit & 7 != 0 {
            return Err(self.error(format!("{field}: not byte-aligned")));
        }
        self.need(n.saturating_mul(8), field)?;
        let start = self.bit / 8;
        let out = self.data.get(start..start + n).unwrap_or_default();
        self.bit += n * 8;
        Ok(out)
    }

    /// `ue(v)`: unsigned Exp-Golomb (H.264 §9.1). More than 31 leading zero bits cannot
    /// encode a 32-bit value and is an error.
    pub fn ue(&mut self, field: &str) -> Result<u32, Error> {
        let mut leading_zeros = 0u32;
        while !self.flag(field)? {
            leading_zeros += 1;
            if leading_zeros > 31 {
                return Err(self.error(format!(
                    "{field}: Exp-Golomb code with more than 31 leading zero bits"
                )));
            }
        }
        let suffix = self.u(leading_zeros, field)?;
        // At most 2^31 - 1 + 2^31 - 1 = 2^32 - 2.
        Ok(((1u64 << leading_zeros) - 1 + u64::from(suffix)) as u32)
    }

    /// `se(v)`: signed Exp-Golomb (H.264 §9.1.1).
    pub fn se(&mut self, field: &str) -> Result<i32, Error> {
        let k = i64::from(self.ue(field)?);
        let value = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        Ok(value as i32)
    }

    /// `ue(v)` that must not exceed `max` (the semantic range of the field).
    pub fn ue_max(&mut self, max: u32, field: &str) -> Result<u32, Error> {
        let value = self.ue(field)?;
        if value > max {
            return Err(self.error(format!("{field}: {value} is above its maximum {max}")));
        }
        Ok(value)
    }
}

/// A big-endian bit writer; [`BitWriter::finish`] pads the last byte with zero bits.
#[derive(Debug, Default, Clone)]
pub struct BitWriter {
    bytes: Vec<u8>,
    bit: usize,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes the low `n` bits of `value` (`n <= 64`), most significant first.
    pub fn put(&mut self, n: u32, value: u64) {
        for i in (0..n.min(64)).rev() {
            if self.bit & 7 == 0 {
                self.bytes.push(0);
            }
            if let Some(last) = self.bytes.last_mut().filter(|_| (value >> i) & 1 == 1) {
                *last |= 0x80 >> (self.bit % 8);
            }
            self.bit += 1;
        }
    }

    /// Writes one bit: 1 for `true`.
    pub fn flag(&mut self, value: bool) {
        self.put(1, u64::from(value));
    }

    /// Bits written so far.
    pub fn position(&self) -> usize {
        self.bit
    }

    /// The bytes written, the last one padded with zero bits.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::AVC_SPS;
    use proptest::prelude::*;

    #[test]
    fn removes_emulation_prevention_and_maps_offsets() {
        let rbsp = Rbsp::from_nal(&[0x67, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00, 0xff]);
        assert_eq!(
            rbsp.as_bytes(),
            &[0x67, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff]
        );
        let mut r = rbsp.reader(&AVC_SPS);
        r.skip(8 * 4, "x").unwrap();
        // RBSP byte 4 is NAL byte 5 (one 0x03 removed before it).
        assert_eq!(r.byte_offset(), 5);
        r.skip(8 * 3, "x").unwrap();
        assert_eq!(r.byte_offset(), 9);
        let e = r.u(16, "tail").unwrap_err();
        assert_eq!(e.offset, 9);
        assert!(e.detail.contains("tail"));
        assert_eq!(e.rule_id(), "media.avc.sps");
    }

    #[test]
    fn reads_exp_golomb() {
        // 1 | 010 | 011 | 00100 | 00101 -> ue 0, 1, 2, 3, 4 ; as se: 0, 1, -1, 2, -2
        let data = [0b1010_0110, 0b0100_0010, 0b1000_0000];
        let mut r = BitReader::new(&data, &AVC_SPS);
        let ue: Vec<u32> = (0..5).map(|_| r.ue("f").unwrap()).collect();
        assert_eq!(ue, [0, 1, 2, 3, 4]);
        let mut r = BitReader::new(&data, &AVC_SPS);
        let se: Vec<i32> = (0..5).map(|_| r.se("f").unwrap()).collect();
        assert_eq!(se, [0, 1, -1, 2, -2]);
    }

    #[test]
    fn exp_golomb_limits() {
        // 31 zeros, a one, 31 ones: the largest ue(v), 2^32 - 2.
        let mut w = BitWriter::new();
        w.put(31, 0);
        w.put(1, 1);
        w.put(31, u64::MAX);
        let max = w.finish();
        assert_eq!(
            BitReader::new(&max, &AVC_SPS).ue("f").unwrap(),
            u32::MAX - 1
        );
        let zeros = [0u8; 5];
        let e = BitReader::new(&zeros, &AVC_SPS)
            .ue("seq_parameter_set_id")
            .unwrap_err();
        assert!(e.detail.contains("more than 31 leading zero"), "{e}");
        let e = BitReader::new(&[0x00, 0x01], &AVC_SPS).ue("f").unwrap_err();
        assert!(e.detail.contains("needs"), "{e}");
    }

    proptest! {
        #[test]
        fn writer_reader_round_trip(fields in proptest::collection::vec((1u32..=64, any::<u64>()), 0..20)) {
            let mut w = BitWriter::new();
            for &(n, v) in &fields {
                w.put(n, v);
            }
            let bytes = w.finish();
            let mut r = BitReader::new(&bytes, &AVC_SPS);
            for &(n, v) in &fields {
                let mask = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                prop_assert_eq!(r.u64(n, "f").unwrap(), v & mask);
            }
            prop_assert!(r.bits_left() < 8);
        }

        #[test]
        fn no_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let rbsp = Rbsp::from_nal(&data);
            let mut r = rbsp.reader(&AVC_SPS);
            while r.ue("f").is_ok() {}
            prop_assert!(r.byte_offset() <= data.len());
        }
    }
}
