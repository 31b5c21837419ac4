//! The loss report's compressed loss list (draft-sharabayko-srt-01 §3.2.5, Appendix A): each
//! lost sequence number alone as one word, or a range as two words, the first with its top
//! bit set.

use crate::rules::{NAK_DANGLING_RANGE, NAK_LENGTH, NAK_RANGE_ORDER};
use crate::seq::SeqNumber;
use bytes::{BufMut, BytesMut};
use weir_media::{Error, Reader};

/// The top bit of a loss list word: the word starts a range.
const RANGE_FLAG: u32 = 0x8000_0000;

/// Lost packets from `first` to `last`, both included (equal for one packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LossRange {
    /// The first lost sequence number.
    pub first: SeqNumber,
    /// The last lost sequence number.
    pub last: SeqNumber,
}

impl LossRange {
    /// One lost packet.
    pub fn single(seq: SeqNumber) -> Self {
        LossRange {
            first: seq,
            last: seq,
        }
    }

    /// How many packets the range covers.
    pub fn len(&self) -> u64 {
        self.first.distance_to(self.last).unsigned_abs() + 1
    }

    /// Never true: a range covers at least one packet.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// A loss report's list (draft §3.2.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LossList {
    /// The ranges in the order they came.
    pub ranges: Vec<LossRange>,
}

impl LossList {
    /// Parses the body of a loss report.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body, &NAK_LENGTH);
        if body.is_empty() || !body.len().is_multiple_of(4) {
            return Err(r.error(format!(
                "a loss list of {} bytes (whole words, at least one)",
                body.len()
            )));
        }
        let mut ranges = Vec::with_capacity(r.capacity(body.len() / 4));
        while !r.is_empty() {
            let at = r.position();
            let word = r.u32("loss list entry")?;
            if word & RANGE_FLAG == 0 {
                ranges.push(LossRange::single(SeqNumber::new(word)));
                continue;
            }
            let end = r.with_rule(&NAK_DANGLING_RANGE, |r| r.u32("loss range end"))?;
            if end & RANGE_FLAG != 0 {
                return Err(Error::rule(
                    &NAK_DANGLING_RANGE,
                    at as u64 + 4,
                    format!(
                        "range from {} ends with another range start",
                        word & !RANGE_FLAG
                    ),
                ));
            }
            let range = LossRange {
                first: SeqNumber::new(word),
                last: SeqNumber::new(end),
            };
            if range.last.before(range.first) {
                return Err(Error::rule(
                    &NAK_RANGE_ORDER,
                    at as u64,
                    format!(
                        "range {}..={} ends before it starts",
                        range.first, range.last
                    ),
                ));
            }
            ranges.push(range);
        }
        Ok(LossList { ranges })
    }

    /// Appends the list: one word per single loss, two per range.
    pub fn write(&self, out: &mut BytesMut) {
        for range in &self.ranges {
            if range.first == range.last {
                out.put_u32(range.first.get());
            } else {
                out.put_u32(range.first.get() | RANGE_FLAG);
                out.put_u32(range.last.get());
            }
        }
    }

    /// How many packets the list reports lost.
    pub fn lost(&self) -> u64 {
        self.ranges.iter().map(LossRange::len).sum()
    }
}
