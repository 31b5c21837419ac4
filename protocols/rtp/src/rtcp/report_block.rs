//! A reception report block (RFC 3550 §6.4.1): what one receiver says about one source, 24
//! bytes in an SR or RR.

use super::packet::count_of;
use crate::Error;
use crate::rules::RTCP_REPORT_LOSS;
use weir_media::{Reader, Violation};

/// The most report blocks one SR or RR holds (the 5-bit report count).
pub const MAX_REPORTS: usize = 31;

/// Reads the `count` report blocks of an SR or RR, naming each in a short read's detail.
pub(crate) fn read_reports(
    r: &mut Reader<'_>,
    count: u8,
    violations: &mut Vec<Violation>,
) -> Result<Vec<ReportBlock>, Error> {
    (1..=count)
        .map(|i| {
            ReportBlock::read(r, violations).map_err(|mut e| {
                e.detail = format!("report block {i} of {count}: {}", e.detail);
                e
            })
        })
        .collect()
}

/// The report count of `reports` and their bytes appended to `out`, or an error for more
/// than [`MAX_REPORTS`] (send the rest in another RR, RFC 3550 §6.4.2).
pub(crate) fn write_reports(reports: &[ReportBlock], out: &mut Vec<u8>) -> Result<(), Error> {
    report_count(reports)?;
    reports.iter().try_for_each(|block| block.write(out))
}

/// The 5-bit report count of `reports`.
pub(crate) fn report_count(reports: &[ReportBlock]) -> Result<u8, Error> {
    count_of(
        reports.len(),
        MAX_REPORTS,
        "report blocks (send the rest in another RR)",
    )
}

/// One reception report block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReportBlock {
    /// SSRC_n: the source this block reports on.
    pub ssrc: u32,
    /// Packets lost since the previous report, as a fraction of those expected, in 1/256.
    pub fraction_lost: u8,
    /// Packets lost since reception began (expected minus received): a signed 24-bit value,
    /// negative when duplicates arrived.
    pub cumulative_lost: i32,
    /// The highest sequence number received, its upper 16 bits counting wraps.
    pub extended_highest_seq: u32,
    /// Interarrival jitter, in RTP timestamp units.
    pub jitter: u32,
    /// LSR: the middle 32 bits of the NTP timestamp of the last SR from the source (0 if none).
    pub last_sr: u32,
    /// DLSR: the delay since that SR was received, in 1/65536 seconds (0 if none).
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// Bytes in a report block.
    pub const LEN: usize = 24;

    /// The smallest and largest cumulative loss 24 signed bits hold.
    pub const CUMULATIVE_LOST_RANGE: std::ops::RangeInclusive<i32> = -(1 << 23)..=(1 << 23) - 1;

    /// Reads one block (the reader's rule breaks when it is cut short) and checks its loss
    /// figures against each other; `violations` get offsets within the reader's input.
    pub(crate) fn read(r: &mut Reader<'_>, violations: &mut Vec<Violation>) -> Result<Self, Error> {
        let at = r.position();
        let block = ReportBlock {
            ssrc: r.u32("report block SSRC")?,
            fraction_lost: r.u8("fraction lost")?,
            cumulative_lost: r.i24("cumulative number of packets lost")?,
            extended_highest_seq: r.u32("extended highest sequence number")?,
            jitter: r.u32("interarrival jitter")?,
            last_sr: r.u32("last SR")?,
            delay_since_last_sr: r.u32("delay since last SR")?,
        };
        // Expected = extended highest - base + 1 <= extended highest + 1 (RFC 3550 §A.3),
        // and nothing more than was expected can have been lost.
        let expected_at_most = i64::from(block.extended_highest_seq) + 1;
        if i64::from(block.cumulative_lost) > expected_at_most {
            violations.push(Violation::new(
                &RTCP_REPORT_LOSS,
                at as u64 + 5,
                format!(
                    "{} packets lost of at most {expected_at_most} expected (extended highest sequence number {})",
                    block.cumulative_lost, block.extended_highest_seq
                ),
            ));
        }
        Ok(block)
    }

    /// Appends the block's 24 bytes; an error when the cumulative loss does not fit 24 bits.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if !Self::CUMULATIVE_LOST_RANGE.contains(&self.cumulative_lost) {
            return Err(Error::usage(format!(
                "a cumulative loss of {} does not fit 24 signed bits",
                self.cumulative_lost
            )));
        }
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.push(self.fraction_lost);
        out.extend_from_slice(&self.cumulative_lost.to_be_bytes()[1..]);
        for field in [
            self.extended_highest_seq,
            self.jitter,
            self.last_sr,
            self.delay_since_last_sr,
        ] {
            out.extend_from_slice(&field.to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RTCP_REPORT_COUNT;

    fn read(bytes: &[u8]) -> (Result<ReportBlock, Error>, Vec<Violation>) {
        let mut violations = Vec::new();
        let mut r = Reader::new(bytes, &RTCP_REPORT_COUNT);
        (ReportBlock::read(&mut r, &mut violations), violations)
    }

    #[test]
    fn a_block_round_trips_with_a_negative_loss() {
        let block = ReportBlock {
            ssrc: 0x0102_0304,
            fraction_lost: 7,
            cumulative_lost: -3,
            extended_highest_seq: 0x0001_0005,
            jitter: 12,
            last_sr: 0xdead_beef,
            delay_since_last_sr: 65536,
        };
        let mut out = Vec::new();
        block.write(&mut out).unwrap();
        assert_eq!(out.len(), ReportBlock::LEN);
        assert_eq!(&out[4..8], &[7, 0xff, 0xff, 0xfd]);
        assert_eq!(read(&out), (Ok(block), vec![]));
    }

    #[test]
    fn more_lost_than_expected_is_reported_and_kept() {
        let block = ReportBlock {
            cumulative_lost: 11,
            extended_highest_seq: 9,
            ..ReportBlock::default()
        };
        let mut out = Vec::new();
        block.write(&mut out).unwrap();
        let (parsed, violations) = read(&out);
        assert_eq!(parsed, Ok(block));
        assert_eq!(violations.len(), 1);
        assert_eq!(
            (violations[0].rule.id, violations[0].offset),
            ("rtp.rtcp.report-loss", 5)
        );
        // One more than the highest sequence number is still possible (base sequence 0).
        let edge = ReportBlock {
            cumulative_lost: 10,
            ..block
        };
        edge.write(&mut out).unwrap();
        assert_eq!(read(&out[24..]).1, vec![]);
    }

    #[test]
    fn a_loss_beyond_24_bits_is_not_written() {
        let block = ReportBlock {
            cumulative_lost: 1 << 23,
            ..ReportBlock::default()
        };
        assert!(block.write(&mut Vec::new()).is_err());
    }
}
