//! Sending no faster than a bandwidth: libsrt's `SRTO_MAXBW` (bytes per second, counting
//! every data packet, first sends and retransmissions alike). A token bucket of 10 ms (at least two full packets)
//! lets a keyframe's packets out smoothly rather than in one burst that a narrow link or a
//! router's queue would drop.

use bytes::Bytes;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The bucket's depth, in time at the configured rate.
const BURST: Duration = Duration::from_millis(10);
/// ...and at least this many bytes, so that a full packet always fits.
const MIN_BURST: u64 = 2 * 1500;

/// Datagrams waiting for their turn to leave; see the [module docs](self).
#[derive(Debug)]
pub struct Pacer {
    /// Bytes per second.
    rate: u64,
    burst: u64,
    tokens: u64,
    /// When `tokens` was last brought up to date.
    at: Instant,
    queue: VecDeque<Bytes>,
    limit: usize,
}

impl Pacer {
    /// A pacer of `rate` bytes per second (at least 1) that holds at most `limit` datagrams.
    pub fn new(rate: u64, limit: usize, now: Instant) -> Self {
        let rate = rate.max(1);
        let burst = ((u128::from(rate) * BURST.as_nanos() / 1_000_000_000) as u64).max(MIN_BURST);
        Self {
            rate,
            burst,
            tokens: burst,
            at: now,
            queue: VecDeque::new(),
            limit,
        }
    }

    /// Queues `datagram`; false (and the datagram dropped) when `limit` are waiting already.
    pub fn push(&mut self, datagram: Bytes) -> bool {
        if self.queue.len() >= self.limit {
            return false;
        }
        self.queue.push_back(datagram);
        true
    }

    /// The next datagram that may leave at `now`, if any.
    pub fn pop(&mut self, now: Instant) -> Option<Bytes> {
        self.refill(now);
        let len = self.queue.front()?.len() as u64;
        if self.tokens < len {
            return None;
        }
        self.tokens -= len;
        self.queue.pop_front()
    }

    /// When the first waiting datagram may leave; `None` when none waits.
    pub fn next_send(&self) -> Option<Instant> {
        let len = self.queue.front()?.len() as u64;
        let missing = len.saturating_sub(self.tokens);
        let nanos = (u128::from(missing) * 1_000_000_000).div_ceil(u128::from(self.rate));
        Some(self.at + Duration::from_nanos(nanos.min(u128::from(u64::MAX)) as u64))
    }

    /// How many datagrams wait.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at);
        let earned = u128::from(self.rate) * elapsed.as_nanos() / 1_000_000_000;
        if earned == 0 {
            return;
        }
        self.tokens = (u128::from(self.tokens) + earned).min(u128::from(self.burst)) as u64;
        self.at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_leaves_at_the_rate_after_the_first_ten_milliseconds() {
        let t0 = Instant::now();
        // 100 kB/s: a 1 000-byte bucket is too small, so it holds 3 000 bytes (two packets).
        let mut pacer = Pacer::new(100_000, 100, t0);
        for _ in 0..50 {
            assert!(pacer.push(Bytes::from(vec![0u8; 1000])));
        }
        let mut sent = Vec::new();
        let mut now = t0;
        while !pacer.is_empty() {
            while let Some(d) = pacer.pop(now) {
                sent.push((now.duration_since(t0), d.len()));
            }
            now = pacer.next_send().unwrap_or(now).max(now);
        }
        assert_eq!(sent.len(), 50);
        assert_eq!(sent.iter().filter(|(at, _)| at.is_zero()).count(), 3);
        // 47 more at 10 ms each: the last at 470 ms, none sooner than the rate allows.
        assert_eq!(sent.last().unwrap().0, Duration::from_millis(470));
        for (i, (at, _)) in sent.iter().enumerate().skip(3) {
            assert!(
                *at >= Duration::from_millis(10 * (i as u64 - 2)),
                "{i}: {at:?}"
            );
        }
    }

    #[test]
    fn a_full_queue_refuses_and_an_idle_bucket_fills_only_to_its_depth() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(1_000_000, 2, t0);
        assert!(pacer.push(Bytes::from_static(&[0; 1316])));
        assert!(pacer.push(Bytes::from_static(&[0; 1316])));
        assert!(!pacer.push(Bytes::from_static(&[0; 1316])));
        let later = t0 + Duration::from_secs(60);
        assert!(pacer.pop(later).is_some() && pacer.pop(later).is_some());
        // A minute idle earned 10 ms (10 000 bytes), not 60 MB.
        for _ in 0..8 {
            assert!(pacer.push(Bytes::from_static(&[0; 1316])));
            pacer.limit = 100;
        }
        let mut n = 0;
        while pacer.pop(later).is_some() {
            n += 1;
        }
        assert_eq!(
            n, 5,
            "10 000 bytes less the two sent, in 1 316-byte packets"
        );
    }
}
