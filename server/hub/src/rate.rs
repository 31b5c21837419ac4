//! Byte rates over a sliding window, as SRS reports `kbps.recv_30s` and `kbps.send_30s`.

use std::collections::VecDeque;
use std::sync::Mutex;

/// The window SRS's `*_30s` fields cover.
const WINDOW_MS: u64 = 30_000;

/// How often a sample is kept: seven samples cover the window, which keeps the two rates of
/// each of thousands of clients small.
const SAMPLE_MS: u64 = 5_000;

/// Samples of a growing byte counter, at most one per [`SAMPLE_MS`], over the last 30 s.
#[derive(Debug, Default)]
pub struct Rate {
    samples: Mutex<VecDeque<(u64, u64)>>,
}

impl Rate {
    /// Records the counter's value at `now_ms`.
    pub fn sample(&self, now_ms: u64, total: u64) {
        let mut samples = self.samples.lock().unwrap();
        if samples.back().is_some_and(|&(t, _)| now_ms < t + SAMPLE_MS) {
            return;
        }
        samples.push_back((now_ms, total));
        while samples.len() > 2 && samples[1].0 + WINDOW_MS <= now_ms {
            samples.pop_front();
        }
    }

    /// kbit/s between the oldest sample in the window and `total` now.
    pub fn kbps(&self, now_ms: u64, total: u64) -> u64 {
        let samples = self.samples.lock().unwrap();
        match samples.front() {
            Some(&(t, bytes)) if now_ms > t => total.saturating_sub(bytes) * 8 / (now_ms - t),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_over_the_window() {
        let rate = Rate::default();
        for s in 0..=60u64 {
            rate.sample(s * 1000, s * 125_000); // 1 Mbit/s
        }
        assert_eq!(rate.kbps(60_000, 60 * 125_000), 1000);
        // The oldest sample kept is at most 30 s old, one every 5 s.
        let samples = rate.samples.lock().unwrap();
        assert_eq!(samples.front().unwrap().0, 30_000);
        assert_eq!(samples.len(), 7);
        assert_eq!(Rate::default().kbps(5, 100), 0);
    }
}
