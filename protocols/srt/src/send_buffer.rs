//! The sender's buffer (draft §4.9, §4.6): packets sent and not yet acknowledged, kept for
//! retransmission, bounded, and dropped once too old to arrive in time — the receiver then
//! hears of it in a drop request.

use crate::{MsgNumber, SeqNumber};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One packet the sender keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent<T> {
    /// Its message number, for the drop request.
    pub msg: MsgNumber,
    /// When it was first given to the connection: its age decides its drop.
    pub origin: Instant,
    /// How many times it was retransmitted.
    pub retransmits: u32,
    /// What the connection needs to send it again (its payload and flags).
    pub packet: T,
}

/// Packets dropped from the buffer as too old, for a drop request (draft §3.2.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expired {
    /// The message number of the first dropped packet.
    pub msg: MsgNumber,
    /// The first dropped sequence number.
    pub first: SeqNumber,
    /// The last dropped sequence number.
    pub last: SeqNumber,
}

/// Sent packets from the oldest unacknowledged one.
#[derive(Clone, Debug)]
pub struct SendBuffer<T> {
    first: SeqNumber,
    entries: VecDeque<Sent<T>>,
    capacity: usize,
}

impl<T> SendBuffer<T> {
    /// An empty buffer whose first packet will be `initial`, holding at most `capacity`.
    pub fn new(initial: SeqNumber, capacity: usize) -> Self {
        Self {
            first: initial,
            entries: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The oldest unacknowledged sequence number.
    pub fn first(&self) -> SeqNumber {
        self.first
    }

    /// The sequence number the next pushed packet gets.
    pub fn next(&self) -> SeqNumber {
        self.first.add(self.entries.len() as u32)
    }

    /// How many packets are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether another packet would exceed the capacity.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.capacity
    }

    /// Keeps a packet just sent, numbered [`Self::next`]; when full, gives it back.
    pub fn push(&mut self, sent: Sent<T>) -> Result<SeqNumber, Sent<T>> {
        if self.is_full() {
            return Err(sent);
        }
        let seq = self.next();
        self.entries.push_back(sent);
        Ok(seq)
    }

    /// The receiver has everything before `ack`: forgets those; returns how many. An ACK
    /// beyond what was sent acknowledges only what was sent.
    pub fn acknowledge(&mut self, ack: SeqNumber) -> usize {
        let n = self
            .first
            .distance_to(ack)
            .clamp(0, self.entries.len() as i64) as usize;
        self.entries.drain(..n);
        self.first = self.first.add(n as u32);
        n
    }

    /// The packet `seq`, to retransmit, if still kept.
    pub fn get_mut(&mut self, seq: SeqNumber) -> Option<&mut Sent<T>> {
        let offset = self.first.distance_to(seq);
        if offset < 0 {
            return None;
        }
        self.entries.get_mut(offset as usize)
    }

    /// Drops the packets given to the connection more than `threshold` before `now`: they
    /// cannot play in time any more (draft §4.6, the sender's side).
    pub fn drop_expired(&mut self, now: Instant, threshold: Duration) -> Option<Expired> {
        let old = self
            .entries
            .iter()
            .take_while(|e| now.saturating_duration_since(e.origin) > threshold)
            .count();
        if old == 0 {
            return None;
        }
        let msg = self.entries[0].msg;
        let first = self.first;
        self.entries.drain(..old);
        self.first = self.first.add(old as u32);
        Some(Expired {
            msg,
            first,
            last: self.first.sub(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(origin: Instant, msg: u32) -> Sent<&'static str> {
        Sent {
            msg: MsgNumber::new(msg),
            origin,
            retransmits: 0,
            packet: "p",
        }
    }

    #[test]
    fn packets_are_kept_until_acknowledged() {
        let t0 = Instant::now();
        let mut b = SendBuffer::new(SeqNumber::new(SeqNumber::MAX), 3);
        assert_eq!(b.push(sent(t0, 1)), Ok(SeqNumber::new(SeqNumber::MAX)));
        assert_eq!(b.push(sent(t0, 2)), Ok(SeqNumber::new(0)));
        assert_eq!(b.push(sent(t0, 3)), Ok(SeqNumber::new(1)));
        assert!(b.push(sent(t0, 4)).is_err());
        assert_eq!(
            b.get_mut(SeqNumber::new(0)).map(|s| s.msg),
            Some(MsgNumber::new(2))
        );
        assert_eq!(b.acknowledge(SeqNumber::new(1)), 2);
        assert_eq!(b.first(), SeqNumber::new(1));
        assert!(b.get_mut(SeqNumber::new(0)).is_none());
        assert_eq!(b.acknowledge(SeqNumber::new(500)), 1, "only what was sent");
        assert_eq!(
            b.acknowledge(SeqNumber::new(0)),
            0,
            "an old ACK changes nothing"
        );
        assert!(b.is_empty());
    }

    #[test]
    fn old_packets_expire_into_a_drop_request() {
        let t0 = Instant::now();
        let mut b = SendBuffer::new(SeqNumber::new(10), 8);
        for (i, ms) in [0u64, 10, 20, 30].into_iter().enumerate() {
            b.push(sent(t0 + Duration::from_millis(ms), i as u32 + 7))
                .unwrap();
        }
        let threshold = Duration::from_millis(100);
        assert_eq!(
            b.drop_expired(t0 + Duration::from_millis(100), threshold),
            None
        );
        let expired = b.drop_expired(t0 + Duration::from_millis(115), threshold);
        assert_eq!(
            expired,
            Some(Expired {
                msg: MsgNumber::new(7),
                first: SeqNumber::new(10),
                last: SeqNumber::new(11)
            })
        );
        assert_eq!((b.first(), b.len()), (SeqNumber::new(12), 2));
    }
}
