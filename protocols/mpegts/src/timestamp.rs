//! 33-bit clocks (13818-1 §2.4.3.7 PTS/DTS, §2.4.3.5 `program_clock_reference_base`): they
//! wrap every 2^33 ticks of 90 kHz (about 26.5 hours). A program keeps one
//! [`Unwrapper`](weir_media::Unwrapper) of [`BITS`] for its PCR and all its PTS/DTS values, so
//! that a wrap seen first on one stream places the others right too.

/// Bits of a PTS, DTS or PCR base.
pub const BITS: u32 = 33;

/// Ticks of the 90 kHz clock before a PTS, DTS or PCR base wraps.
pub const WRAP: i64 = 1 << BITS;

/// Ticks of the 27 MHz system clock per tick of the 90 kHz clock (§2.4.2.1).
pub const SYSTEM_CLOCK_PER_90KHZ: i64 = 300;

/// The 33-bit value of a 64-bit timeline position (what goes on the wire).
pub fn wrap(ticks: i64) -> u64 {
    ticks.rem_euclid(WRAP) as u64
}
