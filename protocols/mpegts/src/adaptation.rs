//! The adaptation field (13818-1 §2.4.3.4-§2.4.3.5): discontinuity and random access
//! indicators, the program clock reference, and stuffing.

use crate::rules::ADAPTATION_LENGTH;
use weir_media::Violation;

/// A program clock reference: a 33-bit base on the 90 kHz clock plus a 9-bit extension
/// counting 27 MHz ticks (0-299) (§2.4.3.5, `program_clock_reference_base/extension`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pcr {
    /// `program_clock_reference_base`: 33 bits of the 90 kHz clock.
    pub base: u64,
    /// `program_clock_reference_extension`: 27 MHz ticks past the base (0-299).
    pub extension: u16,
}

impl Pcr {
    /// A PCR at `ticks` of the 90 kHz clock, modulo 2^33.
    pub fn from_90khz(ticks: i64) -> Self {
        Pcr {
            base: (ticks.rem_euclid(1 << 33)) as u64,
            extension: 0,
        }
    }

    /// The value on the 27 MHz system clock.
    pub fn as_27mhz(self) -> u64 {
        self.base * 300 + u64::from(self.extension)
    }

    fn read(b: &[u8; 6]) -> Self {
        let v = b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        Pcr {
            base: v >> 15,
            extension: (v & 0x1ff) as u16,
        }
    }

    fn write(self, out: &mut Vec<u8>) {
        let v =
            ((self.base & ((1 << 33) - 1)) << 15) | (0x3f << 9) | u64::from(self.extension & 0x1ff);
        out.extend_from_slice(&v.to_be_bytes()[2..]);
    }
}

/// The fields of an adaptation field Weir reads and writes. Private data, the extension and
/// the splice countdown are skipped on reading and never written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AdaptationField {
    /// The continuity counter or the PCR time base is discontinuous at this packet.
    pub discontinuity: bool,
    /// The next PES packet of this PID starts at a random access point (§2.4.3.5).
    pub random_access: bool,
    /// `elementary_stream_priority_indicator`: this payload has priority over others of its PID.
    pub es_priority: bool,
    /// The program clock reference, when `PCR_flag` is set.
    pub pcr: Option<Pcr>,
    /// The original program clock reference (`OPCR_flag`), kept when a stream is copied.
    pub opcr: Option<Pcr>,
}

impl AdaptationField {
    /// Bytes this field needs without stuffing, its length byte included.
    pub fn min_len(&self) -> usize {
        2 + 6 * usize::from(self.pcr.is_some()) + 6 * usize::from(self.opcr.is_some())
    }

    /// Parses the adaptation field at the start of `data` (the 184 bytes after the packet
    /// header). Returns the field and its length including the length byte.
    /// `with_payload` tells whether `adaptation_field_control` announces a payload too.
    /// A length breaking §2.4.3.5 but inside the packet yields the field plus a violation;
    /// offsets count from `data[0]`.
    pub fn parse(
        data: &[u8],
        with_payload: bool,
    ) -> Result<(Self, usize, Option<Violation>), Violation> {
        let bad = |offset: u64, detail: String| Violation::new(&ADAPTATION_LENGTH, offset, detail);
        let Some(&length) = data.first() else {
            return Err(bad(0, "no room for adaptation_field_length".into()));
        };
        let length = usize::from(length);
        let room = data.len() - 1;
        if length > room {
            return Err(bad(
                0,
                format!("adaptation_field_length {length} exceeds the {room} bytes of the packet"),
            ));
        }
        let mut warning = None;
        let limit = if with_payload { room - 1 } else { room };
        if length != limit && !with_payload || length > limit {
            warning = Some(bad(
                0,
                format!(
                    "adaptation_field_length {length} with{} a payload (must be {}{limit})",
                    if with_payload { "" } else { "out" },
                    if with_payload { "at most " } else { "" }
                ),
            ));
        }
        let mut field = AdaptationField::default();
        if length == 0 {
            return Ok((field, 1, warning));
        }
        let body = &data[1..=length];
        let flags = body[0];
        field.discontinuity = flags & 0x80 != 0;
        field.random_access = flags & 0x40 != 0;
        field.es_priority = flags & 0x20 != 0;
        let mut at = 1;
        let mut clock = |present: bool, name: &str| -> Result<Option<Pcr>, Violation> {
            if !present {
                return Ok(None);
            }
            let bytes = body
                .get(at..at + 6)
                .and_then(|b| <&[u8; 6]>::try_from(b).ok())
                .ok_or_else(|| {
                    bad(
                        0,
                        format!("adaptation_field_length {length} leaves no room for the {name}"),
                    )
                })?;
            at += 6;
            Ok(Some(Pcr::read(bytes)))
        };
        field.pcr = clock(flags & 0x10 != 0, "PCR")?;
        field.opcr = clock(flags & 0x08 != 0, "OPCR")?;
        Ok((field, 1 + length, warning))
    }

    /// Writes the field, padded with 0xFF stuffing to `total_len` bytes (length byte
    /// included). `total_len` is at least 1; a `total_len` of 1 writes the one-byte field
    /// (`adaptation_field_length` 0) that stuffs a single byte, and cannot carry flags.
    pub fn write(&self, total_len: usize, out: &mut Vec<u8>) {
        debug_assert!(total_len == 1 || total_len >= self.min_len());
        out.push((total_len - 1) as u8);
        if total_len == 1 {
            return;
        }
        let start = out.len();
        out.push(
            u8::from(self.discontinuity) << 7
                | u8::from(self.random_access) << 6
                | u8::from(self.es_priority) << 5
                | u8::from(self.pcr.is_some()) << 4
                | u8::from(self.opcr.is_some()) << 3,
        );
        if let Some(pcr) = self.pcr {
            pcr.write(out);
        }
        if let Some(opcr) = self.opcr {
            opcr.write(out);
        }
        let written = out.len() - start + 1;
        out.resize(out.len() + (total_len - written), 0xff);
    }

    /// Whether the field says anything (a flag or a clock), so it must be written.
    pub fn is_empty(&self) -> bool {
        *self == AdaptationField::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(disc: bool, ra: bool, pri: bool, pcr in proptest::option::of((0u64..1 << 33, 0u16..300)),
                      stuffing in 0usize..100) {
            let field = AdaptationField {
                discontinuity: disc, random_access: ra, es_priority: pri,
                pcr: pcr.map(|(base, extension)| Pcr { base, extension }), opcr: None,
            };
            let total = field.min_len() + stuffing;
            let mut out = Vec::new();
            field.write(total, &mut out);
            prop_assert_eq!(out.len(), total);
            out.push(0); // a payload byte follows the field
            let (back, len, warning) = AdaptationField::parse(&out, true).unwrap();
            prop_assert_eq!(back, field);
            prop_assert_eq!(len, total);
            prop_assert!(warning.is_none());
        }
    }

    #[test]
    fn length_183_with_payload_is_reported_but_read() {
        let mut data = vec![183u8, 0];
        data.resize(184, 0xff);
        let (field, len, warning) = AdaptationField::parse(&data, true).unwrap();
        assert_eq!(len, 184);
        assert!(field.is_empty());
        assert_eq!(warning.unwrap().rule.id, "mpegts.adaptation.length");
    }

    #[test]
    fn pcr_that_does_not_fit_is_an_error() {
        let data = [2u8, 0x10, 0, 0];
        assert!(AdaptationField::parse(&data, false).is_err());
    }
}
