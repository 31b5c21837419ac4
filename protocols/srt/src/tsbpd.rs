//! Timestamp-based packet delivery (draft §4.5): when the receiver hands each packet on.
//!
//! A packet's play time is the time base (the receiver's clock at the sender's timestamp 0,
//! taken from the handshake, draft §4.5.1.1) plus the packet's timestamp, the latency, and the
//! drift measured since (draft §4.7). Timestamps are 32-bit microseconds and wrap every
//! 71.6 minutes: in the 30 s before a wrap, small timestamps belong after it; once timestamps
//! are past the wrap by 30 s, the base moves on by 2^32 µs.

use crate::Timestamp;
use std::time::{Duration, Instant};

/// How close to a wrap the wrapping period begins, and how far past it it ends (µs).
const WRAP_EDGE: u32 = 30_000_000;
/// Drift samples averaged before the drift is updated (libsrt's drift tracer uses 1000).
const DRIFT_SAMPLES: u32 = 1000;

/// The receiver's delivery clock for one connection.
#[derive(Clone, Debug)]
pub struct Tsbpd {
    /// The receiver's time at which the sender's clock read `origin_us`.
    origin: Instant,
    origin_us: u64,
    latency: Duration,
    /// Completed wraps of the sender's 32-bit clock.
    wraps: u64,
    wrapping: bool,
    /// Drift (µs) added to play times, and the samples being averaged.
    drift: i64,
    sum: i64,
    count: u32,
}

impl Tsbpd {
    /// Starts the clock at `now`, when the sender's clock read `timestamp` (the conclusion
    /// handshake's), with the negotiated `latency`.
    pub fn new(now: Instant, timestamp: Timestamp, latency: Duration) -> Self {
        Self {
            origin: now,
            origin_us: u64::from(timestamp.get()),
            latency,
            wraps: 0,
            wrapping: false,
            drift: 0,
            sum: 0,
            count: 0,
        }
    }

    /// The negotiated latency.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// The drift (µs) currently added to play times.
    pub fn drift_us(&self) -> i64 {
        self.drift
    }

    /// The sender's time of `timestamp` in µs since its clock started, unwrapped. Feeding a
    /// packet's timestamp moves the wrap tracking on, so call it once per arriving packet
    /// (or use [`Self::time_of`] for a lookup).
    pub fn unwrap(&mut self, timestamp: Timestamp) -> u64 {
        let ts = timestamp.get();
        if self.wrapping {
            if ts < WRAP_EDGE {
                return ((self.wraps + 1) << 32) | u64::from(ts);
            }
            if ts <= 2 * WRAP_EDGE {
                self.wrapping = false;
                self.wraps += 1;
            }
        } else if ts > u32::MAX - WRAP_EDGE {
            self.wrapping = true;
        }
        (self.wraps << 32) | u64::from(ts)
    }

    /// The unwrapped time of `timestamp` without moving the wrap tracking on.
    pub fn time_of(&self, timestamp: Timestamp) -> u64 {
        self.clone().unwrap(timestamp)
    }

    /// The receiver's time for the sender's unwrapped time `sender_us`, plus `extra`.
    fn local(&self, sender_us: u64, extra: Duration) -> Instant {
        let offset = sender_us as i128 - self.origin_us as i128 + i128::from(self.drift);
        let base = if offset >= 0 {
            self.origin + Duration::from_micros(offset as u64)
        } else {
            let back = Duration::from_micros(offset.unsigned_abs() as u64);
            self.origin.checked_sub(back).unwrap_or(self.origin)
        };
        base + extra
    }

    /// When a packet sent at the unwrapped time `sender_us` is due to the application.
    pub fn play_time(&self, sender_us: u64) -> Instant {
        self.local(sender_us, self.latency)
    }

    /// Takes a drift sample from an ACKACK that arrived at `now` carrying the sender's
    /// timestamp, with the round trip as it is now and as it was at the handshake: a clock
    /// that runs apart shows as a growing difference; a change of the path's delay, seen in
    /// the RTT, is taken out (libsrt 1.4.4 and later do the same). Every 1000 samples the
    /// average is added to the drift.
    pub fn drift_sample(&mut self, now: Instant, timestamp: Timestamp, rtt_us: u32, rtt0_us: u32) {
        let sender_us = self.time_of(timestamp);
        let expected = self.local(sender_us, Duration::ZERO);
        let late = match now.checked_duration_since(expected) {
            Some(d) => d.as_micros().min(i64::MAX as u128) as i64,
            None => {
                -(expected
                    .duration_since(now)
                    .as_micros()
                    .min(i64::MAX as u128) as i64)
            }
        };
        let path = (i64::from(rtt_us) - i64::from(rtt0_us)) / 2;
        self.sum = self.sum.saturating_add(late - path);
        self.count += 1;
        if self.count < DRIFT_SAMPLES {
            return;
        }
        let average = self.sum / i64::from(self.count);
        (self.sum, self.count) = (0, 0);
        // Samples are measured against play times that already include the drift, so the
        // average is what is left to add. (libsrt keeps up to 5 ms of it as drift and moves its
        // time base by the rest; the play times are the same.)
        self.drift = self.drift.saturating_add(average);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_packet_plays_latency_after_its_send_time() {
        let t0 = Instant::now();
        let mut clock = Tsbpd::new(t0, Timestamp::new(5_000), 120 * MS);
        let sent = clock.unwrap(Timestamp::new(25_000));
        assert_eq!(clock.play_time(sent), t0 + 20 * MS + 120 * MS);
        // A packet stamped before the handshake plays early, never before the origin's time.
        let early = clock.unwrap(Timestamp::new(4_000));
        assert_eq!(clock.play_time(early), t0 - MS + 120 * MS);
    }

    #[test]
    fn timestamps_unwrap_across_the_32_bit_edge() {
        let t0 = Instant::now();
        let start = u32::MAX - 40_000_000;
        let mut clock = Tsbpd::new(t0, Timestamp::new(start), 120 * MS);
        let before = clock.unwrap(Timestamp::new(u32::MAX - 1_000)); // enters the period
        let after = clock.unwrap(Timestamp::new(500)); // small: after the wrap
        let late_old = clock.unwrap(Timestamp::new(u32::MAX - 10)); // a straggler from before
        assert_eq!(after - before, 1_501);
        assert!(late_old < after);
        let past = clock.unwrap(Timestamp::new(WRAP_EDGE + 1)); // the period ends
        assert_eq!(past, (1 << 32) + u64::from(WRAP_EDGE) + 1);
        assert_eq!(clock.unwrap(Timestamp::new(600)), (1 << 32) + 600);
        assert!(clock.play_time(past) > clock.play_time(before));
    }

    #[test]
    fn a_steady_drift_is_learned_after_1000_samples() {
        let t0 = Instant::now();
        let mut clock = Tsbpd::new(t0, Timestamp::new(0), 120 * MS);
        // The sender's clock runs 2 ms behind ours by the time of the samples.
        for i in 1..=1000u32 {
            let ts = Timestamp::new(i * 10_000);
            let now = t0 + Duration::from_micros(u64::from(i) * 10_000) + 2 * MS;
            clock.drift_sample(now, ts, 40_000, 40_000);
        }
        assert_eq!(clock.drift_us(), 2_000);
        let sent = clock.unwrap(Timestamp::new(10_000_000));
        assert_eq!(
            clock.play_time(sent),
            t0 + Duration::from_secs(10) + 122 * MS
        );
    }

    #[test]
    fn a_longer_path_is_not_mistaken_for_drift() {
        let t0 = Instant::now();
        let mut clock = Tsbpd::new(t0, Timestamp::new(0), 120 * MS);
        for i in 1..=1000u32 {
            let ts = Timestamp::new(i * 10_000);
            // 20 ms more RTT: packets arrive 10 ms later, which is the path, not the clock.
            let now = t0 + Duration::from_micros(u64::from(i) * 10_000) + 10 * MS;
            clock.drift_sample(now, ts, 60_000, 40_000);
        }
        assert_eq!(clock.drift_us(), 0);
    }
}
