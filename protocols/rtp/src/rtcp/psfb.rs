//! Payload-specific feedback (RFC 4585 §6.3): picture loss indication (§6.3.1), full intra
//! request (RFC 5104 §4.3.1) and receiver estimated maximum bitrate (REMB,
//! draft-alvestrand-rmcat-remb-03 §2.2, an application layer feedback message).

use super::feedback::{FMT_AFB, FMT_FIR, FMT_PLI, FeedbackSsrcs};
use super::header::PSFB;
use super::packet::{Body, count_of};
use crate::Error;
use crate::rules::{
    RTCP_FIR_FCI, RTCP_FIR_MEDIA_SSRC, RTCP_FIR_RESERVED, RTCP_PLI_FCI, RTCP_REMB,
    RTCP_REMB_MEDIA_SSRC,
};
use bytes::Bytes;
use weir_media::Violation;

/// The unique identifier that starts a REMB's FCI.
pub const REMB_ID: [u8; 4] = *b"REMB";

/// A picture loss indication: the receiver lost some of a picture and asks for a fresh one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pli {
    /// The sender's SSRC and the SSRC of the stream whose picture was lost.
    pub ssrcs: FeedbackSsrcs,
}

impl Pli {
    /// Parses a PSFB body of FMT 1; FCI bytes are reported and dropped. Offsets are within `body`.
    pub(crate) fn parse(body: &Bytes, violations: &mut Vec<Violation>) -> Result<Self, Error> {
        let (ssrcs, r) = FeedbackSsrcs::read(body)?;
        if !r.is_empty() {
            violations.push(Violation::new(
                &RTCP_PLI_FCI,
                r.position() as u64,
                format!("{} bytes of FCI in a PLI, which has none", r.remaining()),
            ));
        }
        Ok(Pli { ssrcs })
    }
}

impl Body for Pli {
    fn count(&self) -> Result<u8, Error> {
        Ok(FMT_PLI)
    }

    fn packet_type(&self) -> u8 {
        PSFB
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.ssrcs.write(out);
        Ok(())
    }
}

/// A full intra request: the sender asks each named source for a decoder refresh point.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fir {
    /// The sender's SSRC; the media source SSRC is 0 (RFC 5104 §4.3.1.2).
    pub ssrcs: FeedbackSsrcs,
    /// The requests, one per source (at least one on the wire).
    pub entries: Vec<FirEntry>,
}

/// One FIR entry: a source and the request's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FirEntry {
    /// The source asked for a refresh.
    pub ssrc: u32,
    /// Command sequence number, +1 (mod 256) per new request to that source.
    pub seq: u8,
}

impl Fir {
    /// Parses a PSFB body of FMT 4; offsets are within `body`.
    pub(crate) fn parse(body: &Bytes, violations: &mut Vec<Violation>) -> Result<Self, Error> {
        let (ssrcs, mut r) = FeedbackSsrcs::read(body)?;
        if ssrcs.media != 0 {
            violations.push(Violation::new(
                &RTCP_FIR_MEDIA_SSRC,
                4,
                format!("media source SSRC {:#010x}, where a FIR has 0", ssrcs.media),
            ));
        }
        let fci = r.remaining();
        if fci == 0 || fci % 8 != 0 {
            return Err(Error::rule(
                &RTCP_FIR_FCI,
                8,
                format!("{fci} bytes of FCI, not one or more 8-byte entries"),
            ));
        }
        let mut entries = Vec::with_capacity(fci / 8);
        while !r.is_empty() {
            let ssrc = r.u32("FIR SSRC")?;
            let seq = r.u8("FIR sequence number")?;
            let at = r.position();
            let reserved = r.u24("FIR reserved")?;
            if reserved != 0 {
                violations.push(Violation::new(
                    &RTCP_FIR_RESERVED,
                    at as u64,
                    format!("reserved bits {reserved:#08x} in a FIR entry"),
                ));
            }
            entries.push(FirEntry { ssrc, seq });
        }
        Ok(Fir { ssrcs, entries })
    }
}

impl Body for Fir {
    fn count(&self) -> Result<u8, Error> {
        Ok(FMT_FIR)
    }

    fn packet_type(&self) -> u8 {
        PSFB
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.ssrcs.write(out);
        for entry in &self.entries {
            out.extend_from_slice(&entry.ssrc.to_be_bytes());
            out.extend_from_slice(&[entry.seq, 0, 0, 0]);
        }
        Ok(())
    }
}

/// A receiver estimated maximum bitrate: the total bitrate the receiver wants the named
/// sources to stay under, as an 18-bit mantissa times 2 to a 6-bit exponent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Remb {
    /// The sender's SSRC; the media source SSRC is 0 (the list names the sources).
    pub ssrcs: FeedbackSsrcs,
    /// The bitrate's exponent (6 bits).
    pub exponent: u8,
    /// The bitrate's mantissa (18 bits).
    pub mantissa: u32,
    /// The sources the estimate applies to (at most 255).
    pub sources: Vec<u32>,
}

impl Remb {
    /// The most sources one REMB names (its 8-bit count).
    pub const MAX_SOURCES: usize = 255;

    /// A REMB for `bitrate` bits per second, rounded down to the nearest value the 18-bit
    /// mantissa holds with the smallest exponent.
    pub fn new(ssrcs: FeedbackSsrcs, bitrate: u64, sources: Vec<u32>) -> Remb {
        let exponent = (64 - bitrate.leading_zeros()).saturating_sub(18);
        Remb {
            ssrcs,
            exponent: exponent as u8,
            mantissa: (bitrate >> exponent) as u32,
            sources,
        }
    }

    /// The estimate in bits per second (saturating at `u64::MAX`).
    pub fn bitrate(&self) -> u64 {
        let exact = u128::from(self.mantissa) << self.exponent.min(63);
        u64::try_from(exact).unwrap_or(u64::MAX)
    }

    /// Whether a PSFB body of FMT 15 is a REMB (its FCI starts with the identifier).
    pub(crate) fn is_remb(body: &[u8]) -> bool {
        body.get(8..12) == Some(&REMB_ID[..])
    }

    /// Parses a PSFB body of FMT 15 that [`is_remb`](Self::is_remb); offsets are within `body`.
    pub(crate) fn parse(body: &Bytes, violations: &mut Vec<Violation>) -> Result<Self, Error> {
        let (ssrcs, mut r) = FeedbackSsrcs::read(body)?;
        if ssrcs.media != 0 {
            violations.push(Violation::new(
                &RTCP_REMB_MEDIA_SSRC,
                4,
                format!(
                    "media source SSRC {:#010x}, where a REMB has 0",
                    ssrcs.media
                ),
            ));
        }
        r.set_rule(Some(&RTCP_REMB));
        r.skip(4, "unique identifier")?;
        let count = r.u8("Num SSRC")?;
        let bitrate = r.u24("BR Exp and BR Mantissa")?;
        let sources = (1..=count)
            .map(|i| r.u32(&format!("SSRC feedback {i} of {count}")))
            .collect::<Result<_, _>>()?;
        if !r.is_empty() {
            violations.push(Violation::new(
                &RTCP_REMB,
                r.position() as u64,
                format!(
                    "{} bytes after the {count} SSRCs the count announces",
                    r.remaining()
                ),
            ));
        }
        Ok(Remb {
            ssrcs,
            exponent: (bitrate >> 18) as u8,
            mantissa: bitrate & 0x3_ffff,
            sources,
        })
    }
}

impl Body for Remb {
    fn count(&self) -> Result<u8, Error> {
        Ok(FMT_AFB)
    }

    fn packet_type(&self) -> u8 {
        PSFB
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.exponent > 63 || self.mantissa > 0x3_ffff {
            return Err(Error::usage(format!(
                "REMB exponent {} or mantissa {} does not fit 6 and 18 bits",
                self.exponent, self.mantissa
            )));
        }
        count_of(self.sources.len(), Self::MAX_SOURCES, "SSRCs in a REMB")?;
        self.ssrcs.write(out);
        out.extend_from_slice(&REMB_ID);
        out.push(self.sources.len() as u8);
        let bitrate = u32::from(self.exponent) << 18 | self.mantissa;
        out.extend_from_slice(&bitrate.to_be_bytes()[1..]);
        for ssrc in &self.sources {
            out.extend_from_slice(&ssrc.to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remb_bitrate_keeps_18_bits_of_mantissa() {
        let remb = Remb::new(FeedbackSsrcs::default(), 1_000_000, vec![1]);
        assert_eq!((remb.exponent, remb.mantissa), (2, 250_000));
        assert_eq!(remb.bitrate(), 1_000_000);
        let small = Remb::new(FeedbackSsrcs::default(), 5, vec![]);
        assert_eq!((small.exponent, small.mantissa), (0, 5));
        let rounded = Remb::new(FeedbackSsrcs::default(), (1 << 40) + 1, vec![]);
        assert_eq!(rounded.bitrate(), 1 << 40);
        assert_eq!(
            Remb {
                exponent: 63,
                mantissa: 0x3_ffff,
                ..Remb::default()
            }
            .bitrate(),
            u64::MAX
        );
    }
}
