//! Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
//! §3.1): for a range of transport-wide sequence numbers, whether each packet arrived and, for
//! those that did, its arrival time as a delta from the previous one.
//!
//! On the wire: base sequence number, packet status count, a 24-bit reference time (64 ms
//! units), a feedback packet count, then packet status chunks (run-length, or a vector of 14
//! one-bit or 7 two-bit symbols) covering the count, then one receive delta per received packet
//! in 250 µs units (1 octet for a small delta, 2 signed for a large one), zero-padded to a word.

use super::feedback::{FMT_TWCC, FeedbackSsrcs};
use super::header::RTPFB;
use super::packet::{Body, pad_to_word};
use crate::Error;
use crate::rules::{RTCP_LIMITS, RTCP_TWCC_DELTAS, RTCP_TWCC_STATUS_COUNT, RTCP_TWCC_SYMBOL};
use bytes::Bytes;
use weir_media::Violation;

/// Symbol 0: not received.
const NOT_RECEIVED: u8 = 0;
/// Symbol 1: received, delta in one unsigned octet.
const SMALL: u8 = 1;
/// Symbol 2: received, delta in two signed octets.
const LARGE: u8 = 2;
/// The longest run a run-length chunk holds (13 bits).
const MAX_RUN: usize = 0x1fff;

/// One transport-wide CC feedback message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportFeedback {
    /// The sender's SSRC and the media source's SSRC.
    pub ssrcs: FeedbackSsrcs,
    /// The transport-wide sequence number of the first packet reported.
    pub base_seq: u16,
    /// The reference time, 24 bits, in multiples of 64 ms.
    pub reference_time: u32,
    /// This feedback's own count, +1 (mod 256) per feedback sent.
    pub fb_pkt_count: u8,
    /// One entry per packet from `base_seq` on: `None` if not received, else its receive
    /// delta in 250 µs units (from the reference time for the first received, from the previous
    /// received packet for the others). At most 65535.
    pub deltas: Vec<Option<i16>>,
}

impl TransportFeedback {
    /// The most packets one message reports (the 16-bit status count).
    pub const MAX_STATUSES: usize = 0xffff;

    /// Each packet as (transport-wide sequence number, receive delta if received).
    pub fn packets(&self) -> impl Iterator<Item = (u16, Option<i16>)> + '_ {
        (0u16..)
            .zip(&self.deltas)
            .map(|(i, delta)| (self.base_seq.wrapping_add(i), *delta))
    }

    /// Parses an RTPFB body of FMT 15, taking the status count from `budget` (the receiver's
    /// limit for the datagram); offsets are within `body`.
    pub(crate) fn parse(
        body: &Bytes,
        budget: &mut usize,
        violations: &mut Vec<Violation>,
    ) -> Result<Self, Error> {
        let (ssrcs, mut r) = FeedbackSsrcs::read(body)?;
        r.set_rule(Some(&RTCP_TWCC_STATUS_COUNT));
        let base_seq = r.u16("base sequence number")?;
        let count = usize::from(r.u16("packet status count")?);
        let reference_time = r.u24("reference time")?;
        let fb_pkt_count = r.u8("feedback packet count")?;
        if count > *budget {
            return Err(Error::rule(
                &RTCP_LIMITS,
                10,
                format!("{count} packet statuses, over the {budget} left of the receiver's limit"),
            ));
        }
        *budget -= count;
        let mut symbols = Vec::with_capacity(count);
        while symbols.len() < count {
            let at = r.position();
            let chunk = r.u16("packet status chunk").map_err(|mut e| {
                e.detail = format!("{} of {count} statuses read: {}", symbols.len(), e.detail);
                e
            })?;
            let left = count - symbols.len();
            let reserved = |symbol: u8| {
                Error::rule(
                    &RTCP_TWCC_SYMBOL,
                    at as u64,
                    format!("status symbol {symbol} is reserved"),
                )
            };
            if chunk & 0x8000 == 0 {
                let symbol = (chunk >> 13) as u8 & 3;
                if symbol == 3 {
                    return Err(reserved(symbol));
                }
                let run = usize::from(chunk) & MAX_RUN;
                symbols.extend(std::iter::repeat_n(symbol, run.min(left)));
            } else if chunk & 0x4000 == 0 {
                symbols.extend((0..14).rev().map(|i| (chunk >> i) as u8 & 1).take(left));
            } else {
                for symbol in (0..7)
                    .rev()
                    .map(|i| (chunk >> (2 * i)) as u8 & 3)
                    .take(left)
                {
                    if symbol == 3 {
                        return Err(reserved(symbol));
                    }
                    symbols.push(symbol);
                }
            }
        }
        r.set_rule(Some(&RTCP_TWCC_DELTAS));
        let deltas = symbols
            .iter()
            .map(|&symbol| match symbol {
                SMALL => r.u8("small receive delta").map(|d| Some(i16::from(d))),
                LARGE => r.u16("large receive delta").map(|d| Some(d as i16)),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let at = r.position();
        let rest = r.rest();
        if rest.len() >= 4 || rest.iter().any(|&b| b != 0) {
            violations.push(Violation::new(
                &RTCP_TWCC_DELTAS,
                at as u64,
                format!(
                    "{} bytes after the receive deltas, more than zero padding to the word",
                    rest.len()
                ),
            ));
        }
        Ok(TransportFeedback {
            ssrcs,
            base_seq,
            reference_time,
            fb_pkt_count,
            deltas,
        })
    }
}

/// The status symbol of one packet.
fn symbol(delta: Option<i16>) -> u8 {
    match delta {
        None => NOT_RECEIVED,
        Some(0..=255) => SMALL,
        Some(_) => LARGE,
    }
}

/// The status chunks for `symbols`: a run-length chunk for a run of 7 or more (or one that
/// ends the list), else a one-bit vector of 14 where no large delta falls in it, else a
/// two-bit vector of 7; vectors past the end are filled with "not received".
fn chunks(symbols: &[u8]) -> Vec<u16> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < symbols.len() {
        let rest = &symbols[i..];
        let run = rest
            .iter()
            .take(MAX_RUN)
            .take_while(|&&s| s == rest[0])
            .count();
        if run >= 7 || run == rest.len() {
            out.push(u16::from(rest[0]) << 13 | run as u16);
            i += run;
        } else if rest.iter().take(14).all(|&s| s != LARGE) {
            let bits = rest.iter().take(14).enumerate();
            out.push(bits.fold(0x8000, |chunk, (k, &s)| chunk | u16::from(s) << (13 - k)));
            i += 14;
        } else {
            let pairs = rest.iter().take(7).enumerate();
            out.push(pairs.fold(0xc000, |chunk, (k, &s)| {
                chunk | u16::from(s) << (12 - 2 * k)
            }));
            i += 7;
        }
    }
    out
}

impl Body for TransportFeedback {
    fn count(&self) -> Result<u8, Error> {
        Ok(FMT_TWCC)
    }

    fn packet_type(&self) -> u8 {
        RTPFB
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.deltas.len() > Self::MAX_STATUSES || self.reference_time > 0xff_ffff {
            return Err(Error::usage(format!(
                "{} statuses or reference time {} does not fit 16 and 24 bits",
                self.deltas.len(),
                self.reference_time
            )));
        }
        let start = out.len();
        self.ssrcs.write(out);
        out.extend_from_slice(&self.base_seq.to_be_bytes());
        out.extend_from_slice(&(self.deltas.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.reference_time.to_be_bytes()[1..]);
        out.push(self.fb_pkt_count);
        let symbols: Vec<u8> = self.deltas.iter().map(|&d| symbol(d)).collect();
        for chunk in chunks(&symbols) {
            out.extend_from_slice(&chunk.to_be_bytes());
        }
        for delta in self.deltas.iter().flatten() {
            match u8::try_from(*delta) {
                Ok(small) => out.push(small),
                Err(_) => out.extend_from_slice(&delta.to_be_bytes()),
            }
        }
        pad_to_word(out, start);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_chosen_by_the_pattern() {
        // A long run, then small and lost mixed: a run-length chunk, a one-bit vector.
        let mut symbols = vec![SMALL; 20];
        symbols.extend([0, 1, 0, 1, 1]);
        assert_eq!(chunks(&symbols), [0x2000 | 20, 0x8000 | 0b01011 << 9]);
        // A large delta among them: a two-bit vector.
        assert_eq!(chunks(&[2, 0, 1, 0]), [0xc000 | 0b10_00_01_00 << 6]);
    }

    #[test]
    fn a_libwebrtc_style_message_decodes() {
        // Base 1, 3 statuses in one two-bit vector chunk (small, not received, large), deltas
        // 4 and -1, three octets of zero padding.
        let body = [
            0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 3, 0, 0, 1, 7, 0xd2, 0x00, 4, 0xff, 0xff, 0, 0, 0,
        ];
        let mut v = Vec::new();
        let fb =
            TransportFeedback::parse(&Bytes::copy_from_slice(&body), &mut 100, &mut v).unwrap();
        assert_eq!(v, []);
        assert_eq!((fb.base_seq, fb.reference_time, fb.fb_pkt_count), (1, 1, 7));
        assert_eq!(
            fb.packets().collect::<Vec<_>>(),
            [(1, Some(4)), (2, None), (3, Some(-1))]
        );
    }
}
