//! U29, AMF3's variable-length 29-bit unsigned integer (AMF3 §1.3.1): up to three bytes of
//! seven bits with a continuation flag, then one full byte.

use crate::Error;
use crate::reader::Reader;

/// The largest value a U29 holds.
pub const MAX: u32 = (1 << 29) - 1;

pub(crate) fn read(r: &mut Reader<'_>, what: &str) -> Result<u32, Error> {
    let mut value = 0u32;
    for _ in 0..3 {
        let byte = r.u8(what)?;
        if byte & 0x80 == 0 {
            return Ok(value << 7 | u32::from(byte));
        }
        value = value << 7 | u32::from(byte & 0x7F);
    }
    Ok(value << 8 | u32::from(r.u8(what)?))
}

/// Writes `value`, which the caller keeps within [`MAX`] (higher bits are dropped).
pub(crate) fn write(value: u32, out: &mut Vec<u8>) {
    let v = value & MAX;
    match v {
        0..0x80 => out.push(v as u8),
        0x80..0x4000 => out.extend_from_slice(&[(v >> 7) as u8 | 0x80, (v & 0x7F) as u8]),
        0x4000..0x20_0000 => out.extend_from_slice(&[
            (v >> 14) as u8 | 0x80,
            (v >> 7) as u8 | 0x80,
            (v & 0x7F) as u8,
        ]),
        _ => out.extend_from_slice(&[
            (v >> 22) as u8 | 0x80,
            (v >> 15) as u8 | 0x80,
            (v >> 8) as u8 | 0x80,
            v as u8,
        ]),
    }
}

/// The 29-bit two's complement integer a U29 carries (§3.6).
pub(crate) fn to_i29(value: u32) -> i32 {
    ((value << 3) as i32) >> 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amf3::decode::AMF3_READ;

    fn round_trip(value: u32) -> (u32, usize) {
        let mut out = Vec::new();
        write(value, &mut out);
        let mut r = Reader::new(&out, AMF3_READ);
        (read(&mut r, "u29").unwrap(), out.len())
    }

    #[test]
    fn boundaries_use_the_spec_byte_counts() {
        for (value, len) in [
            (0, 1),
            (0x7F, 1),
            (0x80, 2),
            (0x3FFF, 2),
            (0x4000, 3),
            (0x1F_FFFF, 3),
            (0x20_0000, 4),
            (MAX, 4),
        ] {
            assert_eq!(round_trip(value), (value, len), "value {value:#x}");
        }
    }

    #[test]
    fn known_encodings() {
        let mut out = Vec::new();
        write(0x3FFF, &mut out);
        assert_eq!(out, [0xFF, 0x7F]);
        out.clear();
        write(MAX, &mut out);
        assert_eq!(out, [0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(to_i29(MAX), -1);
        assert_eq!(to_i29(0x0FFF_FFFF), (1 << 28) - 1);
        assert_eq!(to_i29(0x1000_0000), -(1 << 28));
    }
}
