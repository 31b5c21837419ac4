//! Moving 90 kHz times onto a track's timescale without drift: each time is converted on its
//! own (rounded to nearest) and durations are differences of converted times.

use weir_media::Timestamp;

/// `ticks` of 90 kHz on a `timescale` clock, rounded to nearest.
pub fn rescale(ticks: i64, timescale: u32) -> i64 {
    let hz = i128::from(Timestamp::HZ);
    // floor(ticks * timescale / hz + 1/2): round half up, negatives included.
    let scaled = (i128::from(ticks) * i128::from(timescale) * 2 + hz).div_euclid(2 * hz);
    scaled.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The durations of samples at converted decode times `times` (ascending), the last one
/// repeating the one before it (or `fallback` for a single sample).
pub fn durations(times: &[i64], fallback: u32) -> Vec<u32> {
    let mut out: Vec<u32> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).clamp(0, i64::from(u32::MAX)) as u32)
        .collect();
    if !times.is_empty() {
        out.push(out.last().copied().unwrap_or(fallback));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescaling_rounds_and_keeps_sign() {
        assert_eq!(rescale(90_000, 44_100), 44_100);
        assert_eq!(rescale(1_920, 44_100), 941); // 940.8
        assert_eq!(rescale(-90_000, 48_000), -48_000);
        assert_eq!(rescale(3003, 90_000), 3003);
    }

    #[test]
    fn the_last_duration_repeats_the_one_before() {
        assert_eq!(durations(&[0, 10, 30], 5), [10, 20, 20]);
        assert_eq!(durations(&[7], 5), [5]);
    }
}
