//! The last bytes of one direction's stream, held so that a violation's report can show the
//! bytes at its offset ([`Excerpt`]): the event being read whole, and a bounded tail of the
//! ones before it (observers name offsets a little behind what they have read: a message's
//! start, once all of it came). What is older is gone, and the reports say so.
//!
//! Both are held as views of the events' own bytes (cheap clones), not copied: a copy of
//! every byte read, and the shift of the tail that kept it bounded, cost more than the rest of
//! the bookkeeping of a capture read whole.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::verdict::Excerpt;

/// Bytes of the events before the current one kept per direction.
pub const TAIL: usize = 4096;
/// Bytes shown before and after a violation's offset.
const BEFORE: u64 = 16;
const AFTER: u64 = 48;

#[derive(Debug, Default)]
pub struct Recent {
    /// The events before the current one that follow on to it, oldest first, with their stream
    /// offsets: as few as hold its last [`TAIL`] bytes (only those are shown).
    tail: VecDeque<(u64, Bytes)>,
    /// The event being read (a cheap clone of its bytes) and its offset.
    current: Bytes,
    current_start: u64,
}

impl Recent {
    /// The next data event of the direction; what does not follow on from the last is a new
    /// start (a gap, or a capture begun mid-stream).
    pub fn push(&mut self, offset: u64, bytes: &Bytes) {
        let previous = std::mem::replace(&mut self.current, bytes.clone());
        if offset != self.current_start + previous.len() as u64 {
            self.tail.clear();
        } else if !previous.is_empty() {
            self.tail.push_back((self.current_start, previous));
        }
        self.current_start = offset;
        let floor = self.tail_floor();
        while let Some((start, held)) = self.tail.front()
            && start + held.len() as u64 <= floor
        {
            self.tail.pop_front();
        }
    }

    /// Bytes missing from the stream: nothing held follows on.
    pub fn gap(&mut self) {
        self.tail.clear();
        self.current = Bytes::new();
    }

    /// The stream offset before which no byte of the tail is shown.
    fn tail_floor(&self) -> u64 {
        self.current_start.saturating_sub(TAIL as u64)
    }

    /// Up to [`BEFORE`] bytes before `at` and [`AFTER`] from it, of what is held.
    pub fn excerpt(&self, at: u64) -> Option<Excerpt> {
        let (from, to) = (at.saturating_sub(BEFORE), at.saturating_add(AFTER));
        let floor = self.tail_floor();
        let tail = self.tail.iter().map(|(start, held)| {
            let skip = floor.saturating_sub(*start).min(held.len() as u64);
            (start + skip, &held[skip as usize..])
        });
        let mut bytes = Vec::new();
        let mut start = None;
        for (base, held) in tail.chain([(self.current_start, &self.current[..])]) {
            let end = base + held.len() as u64;
            let (lo, hi) = (from.max(base), to.min(end));
            if lo >= hi {
                continue;
            }
            // Only bytes that follow on from those taken.
            if start.is_some_and(|s: u64| s + bytes.len() as u64 != lo) {
                continue;
            }
            start.get_or_insert(lo);
            bytes.extend_from_slice(&held[(lo - base) as usize..(hi - base) as usize]);
        }
        // The violation's own byte must be among them (or, at the stream's end, the last).
        let start = start?;
        let end = start + bytes.len() as u64;
        (start <= at
            && (at < end || at == end && end == self.current_start + self.current.len() as u64))
            .then_some(Excerpt {
                offset: start,
                bytes,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(from: u64, len: usize) -> Bytes {
        (from..from + len as u64).map(|i| i as u8).collect()
    }

    #[test]
    fn an_excerpt_spans_the_tail_and_the_current_event() {
        let mut recent = Recent::default();
        recent.push(0, &numbered(0, 100));
        recent.push(100, &numbered(100, 100));
        let e = recent.excerpt(95).unwrap();
        assert_eq!(e.offset, 79);
        assert_eq!(e.bytes, numbered(79, 64));
        // Near the start of the stream.
        assert_eq!(recent.excerpt(3).unwrap().bytes, numbered(0, 51));
    }

    #[test]
    fn an_excerpt_spans_many_small_events() {
        let mut recent = Recent::default();
        for i in 0..2000u64 {
            recent.push(i * 3, &numbered(i * 3, 3));
        }
        let e = recent.excerpt(5000).unwrap();
        assert_eq!((e.offset, e.bytes), (4984, numbered(4984, 64).to_vec()));
        // The tail ends TAIL bytes before the current event, however the events fell.
        let floor = 1999 * 3 - TAIL as u64;
        assert_eq!(recent.excerpt(floor).unwrap().offset, floor);
        assert!(recent.excerpt(floor - 1).is_none(), "older than the tail");
    }

    #[test]
    fn old_bytes_and_bytes_across_a_gap_are_not_shown() {
        let mut recent = Recent::default();
        for i in 0..10u64 {
            recent.push(i * 1000, &numbered(i * 1000, 1000));
        }
        assert!(recent.excerpt(100).is_none(), "older than the tail");
        assert_eq!(
            recent.excerpt(9000 - TAIL as u64).unwrap().offset,
            9000 - TAIL as u64
        );
        recent.gap();
        recent.push(20_000, &numbered(20_000, 10));
        assert!(recent.excerpt(9500).is_none(), "before the gap");
        let e = recent.excerpt(20_005).unwrap();
        assert_eq!((e.offset, e.bytes.len()), (20_000, 10));
        assert!(recent.excerpt(30_000).is_none(), "not yet read");
    }
}
