//! 33-bit clocks (13818-1 §2.4.3.7 PTS/DTS, §2.4.3.5 `program_clock_reference_base`): they
//! wrap every 2^33 ticks of 90 kHz (about 26.5 hours). [`Unwrapper`] turns them into one
//! monotonic timeline.

/// Ticks of the 90 kHz clock before a PTS, DTS or PCR base wraps.
pub const WRAP: i64 = 1 << 33;

/// Ticks of the 27 MHz system clock per tick of the 90 kHz clock (§2.4.2.1).
pub const SYSTEM_CLOCK_PER_90KHZ: i64 = 300;

/// Extends 33-bit values to 64 bits: each value becomes the one congruent to it (mod 2^33)
/// nearest to the value before. The first value is taken as it is, so a timeline that starts
/// in `[0, 2^33)` and never jumps by 2^32 or more reads back exactly.
///
/// A program keeps one unwrapper for its PCR and all its PTS/DTS values, so that a wrap seen
/// first on one stream places the others right too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unwrapper {
    last: Option<i64>,
}

impl Unwrapper {
    /// The 64-bit value of the 33-bit `value` (higher bits ignored), remembered as the new
    /// reference.
    pub fn unwrap(&mut self, value: u64) -> i64 {
        let out = self.peek(value);
        self.last = Some(out);
        out
    }

    /// The 64-bit value of `value` without moving the reference.
    pub fn peek(&self, value: u64) -> i64 {
        let v = (value & (WRAP as u64 - 1)) as i64;
        match self.last {
            None => v,
            Some(last) => {
                let k = last
                    .saturating_sub(v)
                    .saturating_add(WRAP / 2)
                    .div_euclid(WRAP);
                v.saturating_add(k.saturating_mul(WRAP))
            }
        }
    }

    /// Forgets the reference (a new timeline begins).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// The 33-bit value of a 64-bit timeline position (what goes on the wire).
pub fn wrap(ticks: i64) -> u64 {
    ticks.rem_euclid(WRAP) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crosses_the_wrap_both_ways() {
        let mut u = Unwrapper::default();
        assert_eq!(u.unwrap(WRAP as u64 - 10), WRAP - 10);
        assert_eq!(u.unwrap(5), WRAP + 5);
        assert_eq!(u.unwrap(WRAP as u64 - 3), WRAP - 3); // a B-frame's PTS before the wrap
        assert_eq!(u.unwrap(3000), WRAP + 3000);
    }

    #[test]
    fn hostile_values_do_not_overflow() {
        let mut u = Unwrapper {
            last: Some(i64::MAX - 5),
        };
        let _ = u.unwrap(0);
        let mut u = Unwrapper {
            last: Some(i64::MIN + 5),
        };
        let _ = u.unwrap(WRAP as u64 - 1);
    }

    proptest! {
        #[test]
        fn a_continuous_timeline_reads_back(start in 0i64..WRAP, steps in proptest::collection::vec(-90_000i64..900_000, 1..50)) {
            let mut u = Unwrapper::default();
            let mut t = start;
            prop_assert_eq!(u.unwrap(wrap(t)), t);
            for step in steps {
                t += step;
                prop_assert_eq!(u.unwrap(wrap(t)), t);
            }
        }
    }
}
