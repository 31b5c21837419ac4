//! Reception statistics of one synchronization source, computed as RFC 3550 Appendix A
//! computes them: sequence number validation and the extended highest sequence number (A.1),
//! expected and lost packets and the fraction lost per report interval (A.3), and the
//! interarrival jitter (A.8) — the numbers of an RTCP report block (§6.4.1). Duplicates and
//! late (reordered) packets are counted besides.
//!
//! ```text
//! let mut reception = Reception::new(90_000);           // one per SSRC, the payload's clock
//! match reception.on_packet(now, packet.sequence, packet.timestamp) {
//!     Arrival::Probation | Arrival::Jump => { /* A.1 does not count it */ }
//!     arrival => { /* counted; arrival.violation(offset) for a restart */ }
//! }
//! let block = reception.report_block();                  // at each RTCP report
//! ```
//!
//! Time is the caller's: arrival instants come in as arguments, and the jitter is kept in
//! timestamp units of `clock_rate` as A.8 keeps it.

use crate::rules::STREAM_SEQUENCE_RESTART;
use std::time::{Duration, Instant};
use weir_media::Violation;

/// Packets in sequence that make a new source valid (RFC 3550 A.1).
pub const MIN_SEQUENTIAL: u16 = 2;
/// The largest step ahead taken for loss rather than a jump (RFC 3550 A.1).
pub const MAX_DROPOUT: u16 = 3000;
/// The largest step back taken for a late packet rather than a jump (RFC 3550 A.1).
pub const MAX_MISORDER: u16 = 100;
/// Sequence numbers wrap at 2^16.
const SEQ_MOD: u32 = 1 << 16;
/// A `bad_seq` no sequence number matches (A.1's `RTP_SEQ_MOD + 1`).
const NO_BAD_SEQ: u32 = SEQ_MOD + 1;

/// What one packet was to the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The source is not valid yet (fewer than [`MIN_SEQUENTIAL`] packets in sequence): not
    /// counted.
    Probation,
    /// Beyond the highest sequence number so far; `skipped` numbers between were not seen
    /// (lost, or late). The packet that ends probation is `New` too.
    New {
        /// Sequence numbers jumped over.
        skipped: u16,
    },
    /// A sequence number already received. Counted as received, as A.1 counts it, so that
    /// the cumulative loss may go negative (§6.4.1).
    Duplicate,
    /// Older than the highest so far and not seen before: late, not lost.
    Reordered,
    /// A jump of [`MAX_DROPOUT`] or more ahead, or [`MAX_MISORDER`] or more back: not counted.
    /// If the next packet follows it in sequence, the source restarted.
    Jump,
    /// The packet after a [`Arrival::Jump`], in sequence with it: A.1 takes this for a
    /// restart of the source and starts the statistics over from here.
    Restart {
        /// The highest sequence number before the jump.
        previous: u16,
        /// The sequence number of the jump.
        jumped_to: u16,
    },
}

impl Arrival {
    /// Whether A.1 counts the packet as received (its `update_seq` returns 1).
    pub fn counted(self) -> bool {
        !matches!(self, Arrival::Probation | Arrival::Jump)
    }

    /// The rule this arrival shows the sender broke, at `offset` (the caller's: a datagram
    /// index, or a byte offset in a framed stream).
    pub fn violation(self, offset: u64) -> Option<Violation> {
        match self {
            Arrival::Restart {
                previous,
                jumped_to,
            } => Some(Violation::new(
                &STREAM_SEQUENCE_RESTART,
                offset,
                format!(
                    "after sequence number {previous}, {jumped_to} and {} came in sequence: \
                     a restart under the same SSRC",
                    jumped_to.wrapping_add(1)
                ),
            )),
            _ => None,
        }
    }
}

/// The values of an RTCP report block (RFC 3550 §6.4.1), from [`Reception::report_block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportValues {
    /// Packets lost in the interval since the last report, as a fraction of those expected,
    /// in 1/256ths.
    pub fraction_lost: u8,
    /// Expected less received since the source became valid, held to 24 signed bits.
    pub cumulative_lost: i32,
    /// The highest sequence number received, with its wrap count in the high 16 bits.
    pub extended_highest: u32,
    /// The interarrival jitter, in timestamp units.
    pub jitter: u32,
}

/// Reception statistics of one source; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Reception {
    clock_rate: u32,
    /// Whether any packet has arrived.
    started: bool,
    // RFC 3550 A.1's `source` fields.
    max_seq: u16,
    /// Wraps of the sequence number, times 2^16.
    cycles: u64,
    base_seq: u16,
    bad_seq: u32,
    probation: u16,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Bit i: `max_seq - i` was received (i < 128), to tell duplicates from late packets.
    seen: u128,
    duplicates: u64,
    reordered: u64,
    // RFC 3550 A.8.
    /// The instant arrival times count from.
    epoch: Option<Instant>,
    /// The relative transit time of the last packet, unless none since a (re)start.
    transit: Option<u32>,
    /// The jitter times 16, as A.8's integer form keeps it.
    jitter16: u64,
}

impl Reception {
    /// The statistics of a source not heard yet, whose timestamps run at `clock_rate` Hz.
    pub fn new(clock_rate: u32) -> Self {
        Reception {
            clock_rate,
            started: false,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: NO_BAD_SEQ,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            seen: 0,
            duplicates: 0,
            reordered: 0,
            epoch: None,
            transit: None,
            jitter16: 0,
        }
    }

    /// Takes one packet's sequence number and timestamp, arrived at `now`.
    pub fn on_packet(&mut self, now: Instant, sequence: u16, timestamp: u32) -> Arrival {
        if !self.started {
            // A.1: a new source starts on probation, as if the number before had come.
            self.started = true;
            self.init(sequence);
            self.max_seq = sequence.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        let arrival = self.update_seq(sequence);
        match arrival {
            Arrival::Duplicate => self.duplicates += 1,
            Arrival::Reordered => self.reordered += 1,
            Arrival::Restart { .. } => self.transit = None,
            _ => {}
        }
        if arrival.counted() {
            self.update_jitter(now, timestamp);
        }
        arrival
    }

    /// A.1's `init_seq`.
    fn init(&mut self, seq: u16) {
        self.base_seq = seq;
        self.max_seq = seq;
        self.bad_seq = NO_BAD_SEQ;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
        self.duplicates = 0;
        self.reordered = 0;
    }

    /// A.1's `update_seq`, telling apart what it counts alike.
    fn update_seq(&mut self, seq: u16) -> Arrival {
        let udelta = seq.wrapping_sub(self.max_seq);
        let arrival = if self.probation > 0 {
            if seq != self.max_seq.wrapping_add(1) {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
                return Arrival::Probation;
            }
            self.probation -= 1;
            self.max_seq = seq;
            if self.probation > 0 {
                return Arrival::Probation;
            }
            self.init(seq);
            // This packet and the ones in sequence before it.
            self.seen = (1 << MIN_SEQUENTIAL) - 1;
            Arrival::New { skipped: 0 }
        } else if udelta < MAX_DROPOUT {
            if udelta == 0 {
                Arrival::Duplicate
            } else {
                if seq < self.max_seq {
                    self.cycles += u64::from(SEQ_MOD);
                }
                self.max_seq = seq;
                self.seen = self.seen.checked_shl(u32::from(udelta)).unwrap_or(0) | 1;
                Arrival::New {
                    skipped: udelta - 1,
                }
            }
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) != self.bad_seq {
                self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
                return Arrival::Jump;
            }
            let previous = self.max_seq;
            self.init(seq);
            self.seen = 0b11;
            Arrival::Restart {
                previous,
                jumped_to: seq.wrapping_sub(1),
            }
        } else {
            let back = self.max_seq.wrapping_sub(seq);
            let bit = 1u128 << back;
            if self.seen & bit != 0 {
                Arrival::Duplicate
            } else {
                self.seen |= bit;
                Arrival::Reordered
            }
        };
        self.received += 1;
        arrival
    }

    /// A.8: the transit time's change since the last packet moves the jitter 1/16 of the
    /// way towards it.
    fn update_jitter(&mut self, now: Instant, timestamp: u32) {
        let epoch = *self.epoch.get_or_insert(now);
        let elapsed = now.saturating_duration_since(epoch);
        let arrival = elapsed.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000;
        // Both clocks wrap at 2^32; only differences of transit times count.
        let transit = (arrival as u32).wrapping_sub(timestamp);
        if let Some(last) = self.transit {
            let d = u64::from((transit.wrapping_sub(last) as i32).unsigned_abs());
            self.jitter16 = self.jitter16 + d - ((self.jitter16 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// Whether the source is valid: [`MIN_SEQUENTIAL`] packets came in sequence.
    pub fn is_valid(&self) -> bool {
        self.started && self.probation == 0
    }

    /// The highest sequence number received, extended by its wraps (A.1); 0 before the
    /// source is valid.
    pub fn extended_highest(&self) -> u64 {
        match self.is_valid() {
            true => self.cycles + u64::from(self.max_seq),
            false => 0,
        }
    }

    /// Packets expected since the source became valid: the extended highest sequence number
    /// less the first, plus one (A.3).
    pub fn expected(&self) -> u64 {
        match self.is_valid() {
            true => self.extended_highest() + 1 - u64::from(self.base_seq),
            false => 0,
        }
    }

    /// Packets received since the source became valid, duplicates and late ones included.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Expected less received (A.3): negative when duplicates outnumber the losses.
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Packets that repeated a sequence number already received, since the source became
    /// valid or last restarted (A.1's `init_seq` starts every count over).
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets that came after a higher sequence number (late, not lost), counted as
    /// [`Reception::duplicates`] is.
    pub fn reordered(&self) -> u64 {
        self.reordered
    }

    /// The interarrival jitter in timestamp units (A.8).
    pub fn jitter(&self) -> u32 {
        u32::try_from(self.jitter16 >> 4).unwrap_or(u32::MAX)
    }

    /// The interarrival jitter as a duration, at the clock rate the statistics were made with.
    pub fn jitter_duration(&self) -> Duration {
        match self.clock_rate {
            0 => Duration::ZERO,
            rate => {
                Duration::from_nanos(u64::from(self.jitter()) * 1_000_000_000 / u64::from(rate))
            }
        }
    }

    /// The report block values, and the start of a new report interval (A.3's
    /// `expected_prior` and `received_prior`). All zero before the source is valid.
    pub fn report_block(&mut self) -> ReportValues {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = match lost_interval {
            ..=0 => 0,
            lost => ((lost << 8) / expected_interval as i64).min(255) as u8,
        };
        ReportValues {
            fraction_lost,
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest: self.extended_highest() as u32,
            jitter: self.jitter(),
        }
    }
}
