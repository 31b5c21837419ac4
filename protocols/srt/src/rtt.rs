//! Round-trip time and its variance, smoothed as the draft's §4.10 says: the receiver measures
//! a sample with each ACK/ACKACK pair; the sender takes the receiver's values from full ACKs.

/// A smoothed round-trip time and variance in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rtt {
    rtt: u32,
    var: u32,
    measured: bool,
}

impl Default for Rtt {
    fn default() -> Self {
        Self::new()
    }
}

impl Rtt {
    /// The values before any sample: 100 ms and 50 ms (draft §4.10).
    pub const fn new() -> Self {
        Self {
            rtt: 100_000,
            var: 50_000,
            measured: false,
        }
    }

    /// Takes one round-trip sample in µs: the first replaces the initial values (RTT the
    /// sample, variance half of it); later ones smooth, RTT by 1/8 and variance by 1/4.
    pub fn sample(&mut self, sample: u32) {
        if !self.measured {
            self.measured = true;
            self.rtt = sample;
            self.var = sample / 2;
            return;
        }
        let deviation = self.rtt.abs_diff(sample);
        self.var = ((u64::from(self.var) * 3 + u64::from(deviation)) / 4) as u32;
        self.rtt = ((u64::from(self.rtt) * 7 + u64::from(sample)) / 8) as u32;
    }

    /// Whether a sample has been taken.
    pub const fn measured(&self) -> bool {
        self.measured
    }

    /// The smoothed round-trip time, µs.
    pub const fn rtt(&self) -> u32 {
        self.rtt
    }

    /// The round-trip time variance, µs.
    pub const fn var(&self) -> u32 {
        self.var
    }

    /// How often the receiver repeats its loss list in a periodic NAK: (RTT + 4 × RTTVar) / 2,
    /// and never more often than every 20 ms (draft §4.8.2).
    pub fn nak_period_us(&self) -> u64 {
        ((u64::from(self.rtt) + 4 * u64::from(self.var)) / 2).max(20_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sample_replaces_the_defaults_and_later_ones_smooth() {
        let mut rtt = Rtt::new();
        assert_eq!(
            (rtt.rtt(), rtt.var(), rtt.measured()),
            (100_000, 50_000, false)
        );
        rtt.sample(40_000);
        assert_eq!((rtt.rtt(), rtt.var()), (40_000, 20_000));
        rtt.sample(48_000);
        assert_eq!(rtt.rtt(), 41_000); // 7/8 × 40 + 1/8 × 48
        assert_eq!(rtt.var(), 17_000); // 3/4 × 20 + 1/4 × 8
    }

    #[test]
    fn the_nak_period_has_a_floor_of_20_ms() {
        let mut rtt = Rtt::new();
        assert_eq!(rtt.nak_period_us(), 150_000);
        rtt.sample(1_000);
        assert_eq!(rtt.nak_period_us(), 20_000);
    }

    #[test]
    fn extreme_samples_do_not_overflow() {
        let mut rtt = Rtt::new();
        for sample in [u32::MAX, 0, u32::MAX, u32::MAX] {
            rtt.sample(sample);
        }
        assert!(rtt.rtt() > 0);
        let _ = rtt.nak_period_us();
    }
}
