//! The receiver's buffer (draft §4.5, §4.6): packets held by sequence number from the next
//! one to deliver, within the flow window, until their play time.
//!
//! An arrival past the highest number so far reveals a gap (the NAK's business); the head is
//! handed on when present and due; when the head is missing but a later packet is already
//! due, the missing ones are dropped as too late (draft §4.6) so the stream goes on.

use crate::SeqNumber;
use std::collections::VecDeque;
use std::time::Instant;

/// What became of an arriving packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Stored; `gap` is the range it reveals missing before it, if any.
    Stored {
        /// `first..=last` lost before this packet.
        gap: Option<(SeqNumber, SeqNumber)>,
    },
    /// The packet is already held.
    Duplicate,
    /// The packet comes before the next one to deliver: delivered or dropped already.
    Behind,
    /// The packet lies beyond the flow window: the sender ignored the window it was given.
    Beyond,
}

/// What the buffer hands on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ready<T> {
    /// The next packet, in order, at its play time.
    Packet(SeqNumber, T),
    /// `first..=last` never arrived in time and were skipped.
    Dropped(SeqNumber, SeqNumber),
}

/// Packets by sequence number from the next to deliver; `T` is what the connection keeps of
/// each (its payload, timestamp and flags).
#[derive(Clone, Debug)]
pub struct ReceiveBuffer<T> {
    /// The sequence number of `slots[0]`: the next packet to deliver.
    start: SeqNumber,
    slots: VecDeque<Option<T>>,
    capacity: usize,
    held: usize,
}

impl<T> ReceiveBuffer<T> {
    /// An empty buffer expecting `initial` first, holding at most `capacity` packets (the
    /// flow window the receiver announces).
    pub fn new(initial: SeqNumber, capacity: usize) -> Self {
        Self {
            start: initial,
            slots: VecDeque::new(),
            capacity: capacity.max(1),
            held: 0,
        }
    }

    /// The next sequence number to deliver.
    pub fn start(&self) -> SeqNumber {
        self.start
    }

    /// How many packets are held.
    pub fn len(&self) -> usize {
        self.held
    }

    /// Whether no packet is held.
    pub fn is_empty(&self) -> bool {
        self.held == 0
    }

    /// Free room, in packets: an ACK's "available buffer size".
    pub fn available(&self) -> usize {
        self.capacity - self.slots.len()
    }

    /// The number one past the highest seen (`start` when none is held or pending).
    pub fn end(&self) -> SeqNumber {
        self.start.add(self.slots.len() as u32)
    }

    /// The first number not yet received in order: what a full ACK acknowledges up to
    /// (draft §3.2.4, "Last Acknowledged Packet Sequence Number").
    pub fn ack_number(&self) -> SeqNumber {
        let present = self.slots.iter().take_while(|s| s.is_some()).count();
        self.start.add(present as u32)
    }

    /// The packet `seq`, if held.
    pub fn get(&self, seq: SeqNumber) -> Option<&T> {
        let offset = usize::try_from(self.start.distance_to(seq)).ok()?;
        self.slots.get(offset)?.as_ref()
    }

    /// Stores the packet `seq`.
    pub fn insert(&mut self, seq: SeqNumber, packet: T) -> Arrival {
        let offset = self.start.distance_to(seq);
        if offset < 0 {
            return Arrival::Behind;
        }
        let offset = offset as usize;
        if offset >= self.capacity {
            return Arrival::Beyond;
        }
        let mut gap = None;
        if offset >= self.slots.len() {
            if offset > self.slots.len() {
                gap = Some((self.end(), seq.sub(1)));
            }
            self.slots.resize_with(offset + 1, || None);
        }
        match &mut self.slots[offset] {
            Some(_) => Arrival::Duplicate,
            slot => {
                *slot = Some(packet);
                self.held += 1;
                Arrival::Stored { gap }
            }
        }
    }

    /// The next thing to hand on at `now`: the head when it is due, or the gap before the
    /// first packet that is due when `drop_late` (too-late packet drop) is on. `play` gives a
    /// packet's play time.
    pub fn pop_ready(
        &mut self,
        now: Instant,
        drop_late: bool,
        play: impl Fn(&T) -> Instant,
    ) -> Option<Ready<T>> {
        match self.slots.front() {
            Some(Some(head)) if play(head) <= now => {
                let seq = self.start;
                let packet = self.slots.pop_front().flatten()?;
                self.start = self.start.next();
                self.held -= 1;
                Some(Ready::Packet(seq, packet))
            }
            Some(None) if drop_late => {
                let (offset, due) = self
                    .slots
                    .iter()
                    .enumerate()
                    .find_map(|(i, s)| s.as_ref().map(|p| (i, play(p) <= now)))?;
                if !due {
                    return None;
                }
                let first = self.start;
                self.slots.drain(..offset);
                self.start = self.start.add(offset as u32);
                Some(Ready::Dropped(first, self.start.sub(1)))
            }
            _ => None,
        }
    }

    /// When the head (or, with a gap at the head, the first held packet) is due: the time the
    /// connection next needs to look.
    pub fn next_due(&self, drop_late: bool, play: impl Fn(&T) -> Instant) -> Option<Instant> {
        match self.slots.front()? {
            Some(head) => Some(play(head)),
            None if drop_late => self.slots.iter().flatten().next().map(play),
            None => None,
        }
    }

    /// Skips everything before `seq` (the sender's drop request, draft §3.2.9): those packets
    /// will not come. Returns how many held packets went with them.
    pub fn drop_before(&mut self, seq: SeqNumber) -> usize {
        let offset = self.start.distance_to(seq);
        if offset <= 0 {
            return 0;
        }
        let offset = (offset as usize).min(self.slots.len());
        let held = self.slots.iter().take(offset).flatten().count();
        self.slots.drain(..offset);
        self.start = seq;
        self.held -= held;
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn s(n: u32) -> SeqNumber {
        SeqNumber::new(n)
    }

    /// Packets are their own play time offset in ms from `t0`.
    fn buffer() -> (Instant, ReceiveBuffer<u64>) {
        (Instant::now(), ReceiveBuffer::new(s(100), 8))
    }

    #[test]
    fn gaps_are_found_and_the_ack_stops_at_the_first() {
        let (_, mut b) = buffer();
        assert_eq!(b.insert(s(100), 0), Arrival::Stored { gap: None });
        assert_eq!(
            b.insert(s(103), 3),
            Arrival::Stored {
                gap: Some((s(101), s(102)))
            }
        );
        assert_eq!(b.ack_number(), s(101));
        assert_eq!(b.insert(s(101), 1), Arrival::Stored { gap: None });
        assert_eq!(b.insert(s(101), 1), Arrival::Duplicate);
        assert_eq!(b.ack_number(), s(102));
        assert_eq!(b.insert(s(99), 0), Arrival::Behind);
        assert_eq!(b.insert(s(108), 0), Arrival::Beyond);
        assert_eq!((b.len(), b.available(), b.end()), (3, 4, s(104)));
    }

    #[test]
    fn packets_leave_in_order_at_their_play_time() {
        let (t0, mut b) = buffer();
        let play = |ms: &u64| t0 + Duration::from_millis(*ms);
        b.insert(s(101), 20);
        b.insert(s(100), 10);
        assert_eq!(b.pop_ready(t0 + Duration::from_millis(9), true, play), None);
        assert_eq!(b.next_due(true, play), Some(t0 + Duration::from_millis(10)));
        let at = t0 + Duration::from_millis(25);
        assert_eq!(b.pop_ready(at, true, play), Some(Ready::Packet(s(100), 10)));
        assert_eq!(b.pop_ready(at, true, play), Some(Ready::Packet(s(101), 20)));
        assert_eq!(b.pop_ready(at, true, play), None);
        assert!(b.is_empty());
        assert_eq!(b.start(), s(102));
    }

    #[test]
    fn a_missing_head_is_dropped_once_a_later_packet_is_due() {
        let (t0, mut b) = buffer();
        let play = |ms: &u64| t0 + Duration::from_millis(*ms);
        b.insert(s(103), 30);
        let early = t0 + Duration::from_millis(29);
        assert_eq!(b.pop_ready(early, true, play), None);
        let due = t0 + Duration::from_millis(30);
        assert_eq!(
            b.pop_ready(due, false, play),
            None,
            "without too-late drop it waits"
        );
        assert_eq!(b.next_due(false, play), None);
        assert_eq!(
            b.pop_ready(due, true, play),
            Some(Ready::Dropped(s(100), s(102)))
        );
        assert_eq!(
            b.pop_ready(due, true, play),
            Some(Ready::Packet(s(103), 30))
        );
        assert_eq!(b.insert(s(101), 0), Arrival::Behind);
    }

    #[test]
    fn a_drop_request_skips_ahead() {
        let (_, mut b) = buffer();
        b.insert(s(100), 0);
        b.insert(s(102), 0);
        b.insert(s(105), 0);
        assert_eq!(b.drop_before(s(103)), 2);
        assert_eq!((b.start(), b.len()), (s(103), 1));
        assert_eq!(b.drop_before(s(90)), 0);
        assert_eq!(b.drop_before(s(200)), 1);
        assert_eq!((b.start(), b.len()), (s(200), 0));
    }

    #[test]
    fn the_window_wraps_with_the_sequence_numbers() {
        let mut b = ReceiveBuffer::new(SeqNumber::new(SeqNumber::MAX), 8);
        assert_eq!(
            b.insert(s(1), 0),
            Arrival::Stored {
                gap: Some((SeqNumber::new(SeqNumber::MAX), s(0)))
            }
        );
        assert_eq!(b.ack_number(), SeqNumber::new(SeqNumber::MAX));
        assert_eq!(b.end(), s(2));
    }
}
