//! The pack header (13818-1 §2.5.3.3-§2.5.3.4): `pack_start_code` 0x000001BA, the system
//! clock reference (33-bit base on 90 kHz and 9-bit extension on 27 MHz), `program_mux_rate`
//! in units of 50 bytes/s, and up to 7 stuffing bytes. The MPEG-1 form (11172-1 §2.4.3.2,
//! '0010' after the start code, 12 bytes, no extension nor stuffing) is read too, so that it
//! can be reported and skipped at its own length.

use crate::rules::{MUX_RATE, PACK_MARKER, PACK_MPEG1, PACK_STUFFING, SCR_EXTENSION};
use weir_media::Violation;

/// The four bytes that begin every pack.
pub const PACK_START_CODE: [u8; 4] = [0, 0, 1, 0xba];
/// Bytes of an MPEG-2 pack header without its stuffing.
pub const MPEG2_LEN: usize = 14;
/// Bytes of an MPEG-1 pack header.
pub const MPEG1_LEN: usize = 12;
/// The most stuffing bytes `pack_stuffing_length` can announce.
pub const MAX_STUFFING: u8 = 7;

/// A pack header, read or to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackHeader {
    /// `system_clock_reference_base`: 33 bits on the 90 kHz clock.
    pub scr_base: u64,
    /// `system_clock_reference_extension`: 27 MHz ticks past the base, 0..=299 (0 in MPEG-1).
    pub scr_ext: u16,
    /// `program_mux_rate`: 22 bits, in units of 50 bytes per second.
    pub mux_rate: u32,
    /// `pack_stuffing_length`: stuffing bytes after the header (0 in MPEG-1).
    pub stuffing: u8,
    /// The header was the MPEG-1 (ISO/IEC 11172-1) form.
    pub mpeg1: bool,
}

impl PackHeader {
    /// How many bytes the pack header at the start of `data` (which begins with the start
    /// code) takes, stuffing included; `None` when `data` is too short to tell, or when the
    /// bits after the start code are neither the MPEG-2 '01' nor the MPEG-1 '0010'.
    pub fn len_needed(data: &[u8]) -> Option<Result<usize, ()>> {
        let b4 = *data.get(4)?;
        if b4 >> 6 == 0b01 {
            let b13 = *data.get(13)?;
            Some(Ok(MPEG2_LEN + usize::from(b13 & 7)))
        } else if b4 >> 4 == 0b0010 {
            Some(Ok(MPEG1_LEN))
        } else {
            Some(Err(()))
        }
    }

    /// The SCR on the 27 MHz clock.
    pub fn scr_27mhz(&self) -> u64 {
        self.scr_base * 300 + u64::from(self.scr_ext)
    }

    /// Reads the pack header at the start of `data` (which holds at least
    /// [`Self::len_needed`] bytes). A header that cannot be read is an error; broken marker
    /// bits, a zero mux rate, an out-of-range SCR extension, stuffing other than 0xFF and
    /// the MPEG-1 form are violations (offsets count from `data[0]`). Returns the header and
    /// its length.
    pub fn parse(data: &[u8], violations: &mut Vec<Violation>) -> Result<(Self, usize), Violation> {
        if data.get(..4) != Some(&PACK_START_CODE[..]) {
            return Err(Violation::new(
                &crate::rules::START_CODE,
                0,
                "a pack header starts with 00 00 01 BA",
            ));
        }
        let need = match Self::len_needed(data) {
            Some(Ok(n)) if n <= data.len() => n,
            Some(Err(())) => {
                return Err(Violation::new(
                    &PACK_MARKER,
                    4,
                    format!(
                        "the pack header begins {:#04x}: neither MPEG-2 ('01') nor MPEG-1 ('0010')",
                        data[4]
                    ),
                ));
            }
            _ => {
                return Err(Violation::new(
                    &crate::rules::TRUNCATED,
                    0,
                    "pack header cut short",
                ));
            }
        };
        let b = &data[..need];
        let marker = |violations: &mut Vec<Violation>, ok: bool, at: u64, what: &str| {
            if !ok {
                violations.push(Violation::new(
                    &PACK_MARKER,
                    at,
                    format!("the marker bit {what} is 0"),
                ));
            }
        };
        if b[4] >> 6 != 0b01 {
            violations.push(Violation::new(
                &PACK_MPEG1,
                4,
                "an MPEG-1 pack header ('0010'); it is read at its 12 bytes",
            ));
            let scr_base = (u64::from(b[4] >> 1) & 7) << 30
                | u64::from(b[5]) << 22
                | u64::from(b[6] >> 1) << 15
                | u64::from(b[7]) << 7
                | u64::from(b[8] >> 1);
            marker(violations, b[4] & 1 == 1, 4, "after SCR[32..30]");
            marker(violations, b[6] & 1 == 1, 6, "after SCR[29..15]");
            marker(violations, b[8] & 1 == 1, 8, "after SCR[14..0]");
            marker(violations, b[9] >> 7 == 1, 9, "before mux_rate");
            marker(violations, b[11] & 1 == 1, 11, "after mux_rate");
            let mux_rate =
                u32::from(b[9] & 0x7f) << 15 | u32::from(b[10]) << 7 | u32::from(b[11] >> 1);
            return Ok((
                PackHeader {
                    scr_base,
                    scr_ext: 0,
                    mux_rate,
                    stuffing: 0,
                    mpeg1: true,
                },
                MPEG1_LEN,
            ));
        }
        let scr_base = (u64::from(b[4] >> 3) & 7) << 30
            | (u64::from(b[4]) & 3) << 28
            | u64::from(b[5]) << 20
            | u64::from(b[6] >> 3) << 15
            | (u64::from(b[6]) & 3) << 13
            | u64::from(b[7]) << 5
            | u64::from(b[8] >> 3);
        let scr_ext = u16::from(b[8] & 3) << 7 | u16::from(b[9] >> 1);
        let mux_rate = u32::from(b[10]) << 14 | u32::from(b[11]) << 6 | u32::from(b[12] >> 2);
        marker(violations, b[4] & 0x04 != 0, 4, "after SCR[32..30]");
        marker(violations, b[6] & 0x04 != 0, 6, "after SCR[29..15]");
        marker(violations, b[8] & 0x04 != 0, 8, "after SCR[14..0]");
        marker(violations, b[9] & 1 == 1, 9, "after the SCR extension");
        marker(violations, b[12] & 3 == 3, 12, "after program_mux_rate");
        if scr_ext > 299 {
            violations.push(Violation::new(
                &SCR_EXTENSION,
                8,
                format!("system_clock_reference_extension {scr_ext} is past 299"),
            ));
        }
        if mux_rate == 0 {
            violations.push(Violation::new(&MUX_RATE, 10, "program_mux_rate is 0"));
        }
        let stuffing = b[13] & 7;
        if let Some(i) = b[MPEG2_LEN..].iter().position(|&x| x != 0xff) {
            violations.push(Violation::new(
                &PACK_STUFFING,
                (MPEG2_LEN + i) as u64,
                format!("pack stuffing byte {:#04x}, not 0xFF", b[MPEG2_LEN + i]),
            ));
        }
        Ok((
            PackHeader {
                scr_base,
                scr_ext,
                mux_rate,
                stuffing,
                mpeg1: false,
            },
            need,
        ))
    }

    /// Appends the MPEG-2 form of this header: marker bits set, reserved bits 1, the SCR base
    /// taken modulo 2^33, the extension modulo 512, the rate to 22 bits, stuffing (at most 7)
    /// as 0xFF bytes. Returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> usize {
        let s = self.scr_base & ((1 << 33) - 1);
        let e = self.scr_ext & 0x1ff;
        let r = self.mux_rate & 0x3f_ffff;
        let stuffing = self.stuffing.min(MAX_STUFFING);
        out.extend_from_slice(&PACK_START_CODE);
        out.extend_from_slice(&[
            0x40 | ((s >> 27) as u8 & 0x38) | 0x04 | ((s >> 28) as u8 & 3),
            (s >> 20) as u8,
            ((s >> 12) as u8 & 0xf8) | 0x04 | ((s >> 13) as u8 & 3),
            (s >> 5) as u8,
            ((s << 3) as u8 & 0xf8) | 0x04 | (e >> 7) as u8,
            ((e << 1) as u8) | 1,
            (r >> 14) as u8,
            (r >> 6) as u8,
            ((r << 2) as u8) | 3,
            0xf8 | stuffing,
        ]);
        out.extend(std::iter::repeat_n(0xff, usize::from(stuffing)));
        MPEG2_LEN + usize::from(stuffing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn written_pack_headers_read_back(scr_base in 0u64..1 << 33, scr_ext in 0u16..300,
                                          mux_rate in 1u32..1 << 22, stuffing in 0u8..8) {
            let h = PackHeader { scr_base, scr_ext, mux_rate, stuffing, mpeg1: false };
            let mut out = Vec::new();
            let n = h.write(&mut out);
            prop_assert_eq!(n, out.len());
            prop_assert_eq!(PackHeader::len_needed(&out), Some(Ok(n)));
            let mut v = Vec::new();
            prop_assert_eq!(PackHeader::parse(&out, &mut v).unwrap(), (h, n));
            prop_assert!(v.is_empty());
        }

        #[test]
        fn read_headers_write_back_to_their_bytes(mut bytes in any::<[u8; 10]>(), stuffing in 0u8..8) {
            // Canonical: markers and reserved bits set, extension < 300, rate > 0.
            let mut data = PACK_START_CODE.to_vec();
            bytes[0] = 0x44 | (bytes[0] & 0x3b);
            bytes[2] |= 0x04;
            bytes[4] = (bytes[4] & 0xf8) | 0x04;
            bytes[5] |= 1;
            bytes[8] |= 3;
            bytes[9] = 0xf8 | stuffing;
            data.extend_from_slice(&bytes);
            data.extend(std::iter::repeat_n(0xff, usize::from(stuffing)));
            let mut v = Vec::new();
            let (h, n) = PackHeader::parse(&data, &mut v).unwrap();
            prop_assert_eq!(n, data.len());
            if v.is_empty() {
                let mut out = Vec::new();
                h.write(&mut out);
                prop_assert_eq!(out, data);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..30)) {
            let mut data = data;
            if data.len() >= 4 { data[..4].copy_from_slice(&PACK_START_CODE); }
            let _ = PackHeader::parse(&data, &mut Vec::new());
        }
    }

    #[test]
    fn an_mpeg1_pack_header_is_read_at_twelve_bytes_and_reported() {
        // 11172-1 §2.4.3.2: '0010', SCR 33 bits split 3/15/15 by markers, mux rate between markers.
        let data = [0, 0, 1, 0xba, 0x21, 0, 1, 0, 1, 0x80, 0x1b, 0x83];
        let mut v = Vec::new();
        let (h, n) = PackHeader::parse(&data, &mut v).unwrap();
        assert_eq!(
            (n, h.mpeg1, h.mux_rate),
            (MPEG1_LEN, true, 0x1b * 128 + 0x41)
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule.id, "mpegps.pack.mpeg1");
    }
}
