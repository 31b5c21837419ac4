//! Wire clocks that wrap (the 33-bit PTS/DTS/PCR of ISO/IEC 13818-1 §2.4.3.7, RTP's 32-bit
//! timestamp of RFC 3550 §5.1, RTMP's 32-bit millisecond timestamp of RTMP 1.0 §5.3.1.3) turned
//! into one 64-bit timeline, so that nothing past the wire deals with wraps.

/// Extends `bits`-bit values to 64 bits: each value becomes the one congruent to it (modulo
/// 2^bits) nearest to the value before. The first value is taken as it is, so a timeline that
/// starts in `[0, 2^bits)` and never jumps by half the modulus or more reads back exactly.
///
/// ```
/// let mut u = weir_media::Unwrapper::new(32);
/// assert_eq!(u.unwrap(0xffff_fff0), 0xffff_fff0);
/// assert_eq!(u.unwrap(0x10), 0x1_0000_0010); // past the wrap
/// assert_eq!(u.unwrap(0xffff_fff8), 0xffff_fff8); // a little before it again
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unwrapper {
    modulus: i64,
    last: Option<i64>,
}

impl Unwrapper {
    /// An unwrapper for a clock of `bits` bits (1 to 62).
    pub const fn new(bits: u32) -> Self {
        assert!(bits >= 1 && bits <= 62, "a wire clock has 1 to 62 bits");
        Unwrapper {
            modulus: 1 << bits,
            last: None,
        }
    }

    /// The 64-bit value of `value` (bits above the clock's ignored), remembered as the new
    /// reference.
    pub fn unwrap(&mut self, value: u64) -> i64 {
        let out = self.peek(value);
        self.last = Some(out);
        out
    }

    /// The 64-bit value of `value` without moving the reference.
    pub fn peek(&self, value: u64) -> i64 {
        let v = (value & (self.modulus as u64 - 1)) as i64;
        match self.last {
            None => v,
            Some(last) => {
                let k = last
                    .saturating_sub(v)
                    .saturating_add(self.modulus / 2)
                    .div_euclid(self.modulus);
                v.saturating_add(k.saturating_mul(self.modulus))
            }
        }
    }

    /// The last value unwrapped, if any.
    pub fn last(&self) -> Option<i64> {
        self.last
    }

    /// Forgets the reference (a new timeline begins).
    pub fn reset(&mut self) {
        self.last = None;
    }

    /// The wire value of a timeline position: what goes back on the wire.
    pub fn wrap(&self, ticks: i64) -> u64 {
        ticks.rem_euclid(self.modulus) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crosses_the_wrap_both_ways() {
        let wrap = 1i64 << 33;
        let mut u = Unwrapper::new(33);
        assert_eq!(u.unwrap(wrap as u64 - 10), wrap - 10);
        assert_eq!(u.unwrap(5), wrap + 5);
        assert_eq!(u.unwrap(wrap as u64 - 3), wrap - 3); // a B-frame's PTS before the wrap
        assert_eq!(u.unwrap(3000), wrap + 3000);
    }

    #[test]
    fn hostile_values_do_not_overflow() {
        for bits in [1, 32, 33, 62] {
            let mut u = Unwrapper::new(bits);
            u.last = Some(i64::MAX - 5);
            let _ = u.unwrap(0);
            u.last = Some(i64::MIN + 5);
            let _ = u.unwrap(u64::MAX);
        }
    }

    proptest! {
        #[test]
        fn a_continuous_timeline_reads_back(
            bits in prop::sample::select(vec![32u32, 33]),
            start in 0i64..1 << 32,
            steps in proptest::collection::vec(-90_000i64..900_000, 1..50),
        ) {
            let mut u = Unwrapper::new(bits);
            let mut t = start;
            prop_assert_eq!(u.unwrap(u.wrap(t)), t);
            for step in steps {
                t += step;
                prop_assert_eq!(u.unwrap(u.wrap(t)), t);
            }
        }
    }
}
