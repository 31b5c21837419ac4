//! Output timestamps from a sample counter: the transcoder's frames do not line up with the
//! publisher's (1024-sample AAC frames against 20 ms Opus packets), so each output frame's time
//! is the first input time plus the samples made since, on the 90 kHz clock. A jump of more
//! than 100 ms from where the samples say the input should be, or any step backwards, is a
//! discontinuity (a publisher restart, lost frames): the counter starts again from there.

use weir_media::Timestamp;

/// Past this distance between an input frame's time and the time its samples predict, the
/// clock starts again from the frame's time.
pub const MAX_DRIFT: Timestamp = Timestamp::from_millis(100);

/// The transcoder's clock of one stream and direction.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// The first input time since the last discontinuity.
    anchor: Option<Timestamp>,
    /// The last input frame's time.
    last: Timestamp,
    /// Input samples per channel since the anchor, and their rate.
    input: u64,
    input_rate: u32,
    /// Output samples per channel made since the anchor.
    output: u64,
}

impl Clock {
    /// Takes an input frame at `time` that decoded to `samples` per channel at `rate`;
    /// `true` when it starts a new timeline (the first frame, or a discontinuity), so that
    /// what was buffered for the old one is dropped.
    pub fn input(&mut self, time: Timestamp, samples: usize, rate: u32) -> bool {
        let restart = match self.anchor {
            None => true,
            Some(anchor) => {
                let expected = anchor.0 + ticks(self.input, self.input_rate);
                rate != self.input_rate
                    || time < self.last
                    || (time.0 - expected).abs() > MAX_DRIFT.0
            }
        };
        if restart {
            self.anchor = Some(time);
            self.input = 0;
            self.output = 0;
            self.input_rate = rate;
        }
        self.last = time;
        self.input += samples as u64;
        restart
    }

    /// The time of the next output frame of `samples` per channel at `rate`, and counts them.
    pub fn output(&mut self, samples: usize, rate: u32) -> Timestamp {
        let anchor = self.anchor.unwrap_or_default();
        let time = Timestamp(anchor.0 + ticks(self.output, rate));
        self.output += samples as u64;
        time
    }
}

/// `samples` at `rate` on the 90 kHz clock.
fn ticks(samples: u64, rate: u32) -> i64 {
    if rate == 0 {
        return 0;
    }
    i64::try_from(u128::from(samples) * 90_000 / u128::from(rate)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_times_count_samples_from_the_first_input_time() {
        let mut clock = Clock::default();
        assert!(clock.input(Timestamp(9_000), 1024, 48_000));
        assert_eq!(clock.output(960, 48_000), Timestamp(9_000));
        assert_eq!(clock.output(960, 48_000), Timestamp(9_000 + 1_800));
    }

    #[test]
    fn rounded_input_times_do_not_restart_the_clock() {
        let mut clock = Clock::default();
        clock.input(Timestamp(0), 1024, 44_100);
        // 1024 samples at 44.1 kHz are 23.2 ms; RTMP says 23 ms.
        assert!(!clock.input(Timestamp::from_millis(23), 1024, 44_100));
        assert!(!clock.input(Timestamp::from_millis(46), 1024, 44_100));
    }

    #[test]
    fn a_jump_or_a_step_back_restarts_the_clock() {
        let mut clock = Clock::default();
        clock.input(Timestamp(0), 960, 48_000);
        assert!(clock.input(Timestamp::from_millis(500), 960, 48_000));
        assert_eq!(clock.output(960, 48_000), Timestamp::from_millis(500));
        assert!(clock.input(Timestamp::from_millis(100), 960, 48_000));
        assert_eq!(clock.output(960, 48_000), Timestamp::from_millis(100));
    }
}
