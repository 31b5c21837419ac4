//! A loss list: the sequence numbers one side knows are missing, as sorted, merged ranges.
//!
//! The receiver keeps one to send NAKs — at once for a new gap, and periodically for all that
//! remain (draft §4.8.2) — and the sender keeps one of what NAKs asked it to retransmit
//! (draft §4.9). Both are bounded: a list never holds more numbers than its limit (the flow
//! window, or the send buffer), whatever a peer's NAKs say.

use crate::SeqNumber;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One range of lost packets, `first..=last`, with when it was last reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loss {
    /// The first missing packet.
    pub first: SeqNumber,
    /// The last missing packet (equal to `first` for one).
    pub last: SeqNumber,
    /// When a NAK last named this range; `None` before the first.
    pub reported: Option<Instant>,
}

impl Loss {
    /// How many packets the range holds (never zero: a range holds at least `first`).
    pub fn count(&self) -> u64 {
        span(self.first, self.last)
    }
}

/// The number of packets in `first..=last` (zero when `last` comes before `first`).
fn span(first: SeqNumber, last: SeqNumber) -> u64 {
    let d = first.distance_to(last);
    if d < 0 { 0 } else { d as u64 + 1 }
}

/// Sorted, merged ranges of lost sequence numbers, bounded in how many they hold.
#[derive(Clone, Debug)]
pub struct LossList {
    ranges: VecDeque<Loss>,
    len: u64,
    limit: u64,
}

impl LossList {
    /// An empty list that holds at most `limit` sequence numbers.
    pub fn new(limit: u32) -> Self {
        Self {
            ranges: VecDeque::new(),
            len: 0,
            limit: u64::from(limit),
        }
    }

    /// How many sequence numbers the list holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing is missing.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The earliest missing packet.
    pub fn first(&self) -> Option<SeqNumber> {
        self.ranges.front().map(|r| r.first)
    }

    /// The ranges, earliest first.
    pub fn ranges(&self) -> impl Iterator<Item = &Loss> {
        self.ranges.iter()
    }

    /// Whether `seq` is in the list.
    pub fn contains(&self, seq: SeqNumber) -> bool {
        let i = self.index_after(seq);
        self.ranges
            .get(i)
            .is_some_and(|r| !seq.before(r.first) && !r.last.before(seq))
    }

    /// The index of the first range that does not end before `seq`.
    fn index_after(&self, seq: SeqNumber) -> usize {
        self.ranges.partition_point(|r| r.last.before(seq))
    }

    /// Adds `first..=last`, merging with the ranges it touches; returns how many numbers were
    /// new, or `None` (and adds nothing) when `last` comes before `first` or the list would
    /// hold more than its limit.
    pub fn insert(&mut self, first: SeqNumber, last: SeqNumber) -> Option<u64> {
        let size = span(first, last);
        if size == 0 {
            return None;
        }
        // Ranges that overlap or touch `first..=last` are merged into one.
        let start = self.ranges.partition_point(|r| r.last.next().before(first));
        let mut end = start;
        let (mut lo, mut hi, mut merged) = (first, last, 0);
        while let Some(r) = self.ranges.get(end) {
            if last.next().before(r.first) {
                break;
            }
            if r.first.before(lo) {
                lo = r.first;
            }
            if hi.before(r.last) {
                hi = r.last;
            }
            merged += r.count();
            end += 1;
        }
        let added = span(lo, hi) - merged;
        if self.len + added > self.limit {
            return None;
        }
        let keep = (start..end)
            .filter_map(|i| self.ranges[i].reported)
            .filter(|_| added == 0)
            .max();
        self.ranges.drain(start..end);
        self.ranges.insert(
            start,
            Loss {
                first: lo,
                last: hi,
                reported: keep,
            },
        );
        self.len += added;
        Some(added)
    }

    /// Removes `seq` (it arrived, or was retransmitted); whether it was there.
    pub fn remove(&mut self, seq: SeqNumber) -> bool {
        let i = self.index_after(seq);
        let Some(r) = self.ranges.get_mut(i) else {
            return false;
        };
        if seq.before(r.first) {
            return false;
        }
        match (seq == r.first, seq == r.last) {
            (true, true) => {
                self.ranges.remove(i);
            }
            (true, false) => r.first = seq.next(),
            (false, true) => r.last = seq.sub(1),
            (false, false) => {
                let tail = Loss {
                    first: seq.next(),
                    ..*r
                };
                r.last = seq.sub(1);
                self.ranges.insert(i + 1, tail);
            }
        }
        self.len -= 1;
        true
    }

    /// Removes every number before `seq` (delivered, dropped as too late, or acknowledged);
    /// returns how many.
    pub fn remove_before(&mut self, seq: SeqNumber) -> u64 {
        let mut removed = 0;
        while let Some(r) = self.ranges.front_mut() {
            if !r.first.before(seq) {
                break;
            }
            if r.last.before(seq) {
                removed += r.count();
                self.ranges.pop_front();
            } else {
                removed += span(r.first, seq.sub(1));
                r.first = seq;
            }
        }
        self.len -= removed;
        removed
    }

    /// Takes the earliest number out (the sender retransmits the oldest loss first).
    pub fn pop_first(&mut self) -> Option<SeqNumber> {
        let first = self.first()?;
        self.remove(first);
        Some(first)
    }

    /// Marks the ranges that overlap `first..=last` as reported at `now` (an immediate NAK
    /// named them).
    pub fn mark_reported(&mut self, first: SeqNumber, last: SeqNumber, now: Instant) {
        let start = self.index_after(first);
        for r in self.ranges.range_mut(start..) {
            if last.before(r.first) {
                break;
            }
            r.reported = Some(now);
        }
    }

    /// The ranges a NAK should name now — those never reported, or last reported their
    /// `period` or more ago — at most `max` of them, marked as reported at `now`.
    pub fn take_due(
        &mut self,
        now: Instant,
        max: usize,
        period: impl Fn(&Loss) -> Duration,
    ) -> Vec<(SeqNumber, SeqNumber)> {
        let mut due = Vec::new();
        for r in self.ranges.iter_mut() {
            if due.len() == max {
                break;
            }
            if r.reported
                .is_none_or(|at| now.saturating_duration_since(at) >= period(r))
            {
                r.reported = Some(now);
                due.push((r.first, r.last));
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber::new(n)
    }

    fn list(ranges: &[(u32, u32)]) -> LossList {
        let mut l = LossList::new(1000);
        for &(a, b) in ranges {
            l.insert(s(a), s(b)).unwrap();
        }
        l
    }

    fn pairs(l: &LossList) -> Vec<(u32, u32)> {
        l.ranges().map(|r| (r.first.get(), r.last.get())).collect()
    }

    #[test]
    fn ranges_merge_when_they_touch_or_overlap() {
        let mut l = list(&[(10, 12), (20, 20)]);
        assert_eq!(l.insert(s(13), s(14)), Some(2));
        assert_eq!(pairs(&l), [(10, 14), (20, 20)]);
        assert_eq!(l.insert(s(12), s(21)), Some(6));
        assert_eq!(pairs(&l), [(10, 21)]);
        assert_eq!(l.len(), 12);
        assert_eq!(l.insert(s(5), s(6)), Some(2));
        assert_eq!(pairs(&l), [(5, 6), (10, 21)]);
    }

    #[test]
    fn removing_splits_a_range() {
        let mut l = list(&[(10, 14)]);
        assert!(l.remove(s(12)));
        assert!(!l.remove(s(12)));
        assert!(!l.remove(s(30)));
        assert_eq!(pairs(&l), [(10, 11), (13, 14)]);
        assert!(l.remove(s(10)) && l.remove(s(14)));
        assert_eq!(pairs(&l), [(11, 11), (13, 13)]);
        assert_eq!(l.len(), 2);
        assert!(l.contains(s(13)) && !l.contains(s(12)));
    }

    #[test]
    fn remove_before_cuts_at_any_point() {
        let mut l = list(&[(10, 14), (20, 25)]);
        assert_eq!(l.remove_before(s(12)), 2);
        assert_eq!(pairs(&l), [(12, 14), (20, 25)]);
        assert_eq!(l.remove_before(s(22)), 5);
        assert_eq!(pairs(&l), [(22, 25)]);
        assert_eq!(l.len(), 4);
        assert_eq!(l.pop_first(), Some(s(22)));
    }

    #[test]
    fn ranges_across_the_wrap_stay_in_order() {
        let top = SeqNumber::MAX;
        let mut l = list(&[(top - 1, top)]);
        l.insert(s(0), s(1)).unwrap();
        assert_eq!(pairs(&l), [(top - 1, 1)]);
        assert_eq!(l.len(), 4);
        assert!(l.remove(s(0)));
        assert_eq!(pairs(&l), [(top - 1, top), (1, 1)]);
    }

    #[test]
    fn the_limit_and_inverted_ranges_are_refused() {
        let mut l = LossList::new(10);
        assert_eq!(l.insert(s(0), s(9)), Some(10));
        assert_eq!(l.insert(s(20), s(20)), None);
        assert_eq!(l.insert(s(5), s(3)), None);
        assert_eq!(l.insert(s(3), s(5)), Some(0));
        assert_eq!(l.len(), 10);
    }

    #[test]
    fn due_ranges_are_reported_once_per_period() {
        let t0 = Instant::now();
        let period = Duration::from_millis(20);
        let mut l = list(&[(10, 12), (20, 20), (30, 31)]);
        assert_eq!(
            l.take_due(t0, 2, |_| period),
            [(s(10), s(12)), (s(20), s(20))]
        );
        assert_eq!(l.take_due(t0, 8, |_| period), [(s(30), s(31))]);
        assert!(
            l.take_due(t0 + Duration::from_millis(5), 8, |_| period)
                .is_empty()
        );
        assert_eq!(l.take_due(t0 + period, 8, |_| period).len(), 3);
        l.mark_reported(s(20), s(30), t0 + period);
        assert_eq!(
            l.take_due(t0 + period, 8, |_| period),
            [] as [(SeqNumber, SeqNumber); 0]
        );
        let later = t0 + 2 * period;
        assert_eq!(
            l.take_due(later, 8, |_| period),
            [(s(10), s(12)), (s(20), s(20)), (s(30), s(31))]
        );
        // A new number merged into a reported range makes it due again.
        l.insert(s(13), s(13)).unwrap();
        assert_eq!(l.take_due(later, 8, |_| period), [(s(10), s(13))]);
    }
}
