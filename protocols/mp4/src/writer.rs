//! The box writer: a box is a 32-bit size, a four-character type and a body
//! (ISO/IEC 14496-12 §4.2); a full box adds a version byte and 24 bits of flags.
//!
//! Bodies are written in place after a size placeholder that is filled in once the body is
//! known; a body of 4 GiB or more moves to the 64-bit `largesize` form.

/// Appends big-endian fields to a byte vector.
pub trait Put {
    /// One byte.
    fn u8(&mut self, v: u8);
    /// A big-endian 16-bit field.
    fn u16(&mut self, v: u16);
    /// A big-endian 24-bit field (the low 24 bits of `v`).
    fn u24(&mut self, v: u32);
    /// A big-endian 32-bit field.
    fn u32(&mut self, v: u32);
    /// A big-endian 64-bit field.
    fn u64(&mut self, v: u64);
    /// Raw bytes.
    fn bytes(&mut self, v: &[u8]);
    /// `n` zero bytes (reserved fields).
    fn zeros(&mut self, n: usize);
}

impl Put for Vec<u8> {
    fn u8(&mut self, v: u8) {
        self.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn u24(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes()[1..]);
    }
    fn u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.extend_from_slice(v);
    }
    fn zeros(&mut self, n: usize) {
        self.resize(self.len() + n, 0);
    }
}

/// Writes a box of type `kind` whose body `body` appends (ISO/IEC 14496-12 §4.2 `Box`).
pub fn write_box(out: &mut Vec<u8>, kind: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.u32(0);
    out.bytes(kind);
    body(out);
    let size = (out.len() - start) as u64;
    match u32::try_from(size) {
        Ok(size) => out[start..start + 4].copy_from_slice(&size.to_be_bytes()),
        Err(_) => {
            // size 1: the 64-bit largesize follows the type, and counts its own 8 bytes.
            out[start..start + 4].copy_from_slice(&1u32.to_be_bytes());
            let large = (size + 8).to_be_bytes();
            out.splice(start + 8..start + 8, large);
        }
    }
}

/// Writes a full box: `version` and 24-bit `flags` open the body
/// (ISO/IEC 14496-12 §4.2 `FullBox`).
pub fn write_full_box(
    out: &mut Vec<u8>,
    kind: &[u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    write_box(out, kind, |out| {
        out.u8(version);
        out.u24(flags);
        body(out);
    });
}

/// The unity transformation matrix of `mvhd` and `tkhd` (ISO/IEC 14496-12 §8.2.2.3):
/// 16.16 fixed point except the last column, 2.30.
pub fn unity_matrix(out: &mut Vec<u8>) {
    for v in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000u32] {
        out.u32(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_counts_its_header_and_body() {
        let mut out = Vec::new();
        write_full_box(&mut out, b"test", 1, 0x00_0203, |o| o.u16(7));
        assert_eq!(out, [0, 0, 0, 14, b't', b'e', b's', b't', 1, 0, 2, 3, 0, 7]);
    }
}
