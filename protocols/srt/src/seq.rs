//! Sequence numbers, message numbers and timestamps, which all wrap (draft §3.1, §3.2).
//!
//! Comparisons are circular: `a` is before `b` when the forward distance from `a` to `b` is
//! less than half the number space, as libsrt compares them. Nothing here panics.

use std::cmp::Ordering;

/// Defines a wrapping number of `$bits` bits with circular arithmetic and order.
macro_rules! wrapping_number {
    ($(#[$doc:meta])* $name:ident, $bits:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
        pub struct $name(u32);

        impl $name {
            /// The largest value; the number space is `MAX + 1`.
            pub const MAX: u32 = ((1u64 << $bits) - 1) as u32;
            const HALF: u32 = Self::MAX / 2 + 1;

            /// A number from the low bits of `value` (higher bits belong to other fields).
            pub const fn new(value: u32) -> Self {
                Self(value & Self::MAX)
            }

            /// The number as it goes on the wire.
            pub const fn get(self) -> u32 {
                self.0
            }

            /// The number `n` places after this one, wrapping.
            pub const fn add(self, n: u32) -> Self {
                Self::new(self.0.wrapping_add(n))
            }

            /// The number `n` places before this one, wrapping.
            pub const fn sub(self, n: u32) -> Self {
                Self::new(self.0.wrapping_sub(n))
            }

            /// The next number.
            pub const fn next(self) -> Self {
                self.add(1)
            }

            /// Signed distance from `self` to `other`: positive when `other` comes after.
            pub const fn distance_to(self, other: Self) -> i64 {
                let forward = other.0.wrapping_sub(self.0) & Self::MAX;
                if forward < Self::HALF {
                    forward as i64
                } else {
                    forward as i64 - Self::MAX as i64 - 1
                }
            }

            /// Circular order: `Less` when `self` comes before `other`.
            pub fn cmp_circular(self, other: Self) -> Ordering {
                0.cmp(&self.distance_to(other))
            }

            /// Whether `self` comes strictly before `other`.
            pub fn before(self, other: Self) -> bool {
                self.distance_to(other) > 0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

wrapping_number!(
    /// A 31-bit packet sequence number (draft §3.1, "Packet Sequence Number").
    SeqNumber, 31
);
wrapping_number!(
    /// A 26-bit message number (draft §3.1, "Message Number").
    MsgNumber, 26
);
wrapping_number!(
    /// A 32-bit packet timestamp in microseconds since the connection's start time (draft §3.1,
    /// "Timestamp"); it wraps after about 71.6 minutes.
    Timestamp, 32
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_wrap_at_31_bits() {
        let last = SeqNumber::new(SeqNumber::MAX);
        assert_eq!(last.next(), SeqNumber::new(0));
        assert_eq!(SeqNumber::new(0).sub(1), last);
        assert_eq!(last.distance_to(SeqNumber::new(4)), 5);
        assert_eq!(SeqNumber::new(4).distance_to(last), -5);
        assert!(last.before(SeqNumber::new(0)));
        assert_eq!(SeqNumber::new(0x8000_0007), SeqNumber::new(7));
    }

    #[test]
    fn order_is_circular_within_half_the_space() {
        let a = SeqNumber::new(10);
        assert_eq!(a.cmp_circular(a.add(1 << 29)), Ordering::Less);
        assert_eq!(a.add(1 << 29).cmp_circular(a), Ordering::Greater);
        assert_eq!(a.cmp_circular(a), Ordering::Equal);
    }

    #[test]
    fn message_numbers_and_timestamps_have_their_own_widths() {
        assert_eq!(MsgNumber::new(MsgNumber::MAX).next(), MsgNumber::new(0));
        assert_eq!(MsgNumber::MAX, (1 << 26) - 1);
        let ts = Timestamp::new(u32::MAX - 1);
        assert_eq!(ts.add(3), Timestamp::new(1));
        assert_eq!(ts.distance_to(Timestamp::new(1)), 3);
    }
}
