//! Reception statistics against RFC 3550 Appendix A's worked logic: sequence validation and
//! the extended highest sequence number (A.1), loss and fraction lost per interval (A.3), and
//! the interarrival jitter (A.8), by hand-computed cases and a property over reordered,
//! duplicated and lossy streams.

use proptest::prelude::*;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use weir_rtp::stats::{Arrival, Reception};

/// Feeds `sequences`, one every 20 ms with timestamps 160 apart (8 kHz), and returns what
/// each was.
fn feed(reception: &mut Reception, sequences: &[u16]) -> Vec<Arrival> {
    let start = Instant::now();
    sequences
        .iter()
        .enumerate()
        .map(|(i, &seq)| {
            let now = start + Duration::from_millis(20 * i as u64);
            reception.on_packet(now, seq, 160 * i as u32)
        })
        .collect()
}

#[test]
fn a_new_source_is_valid_after_two_packets_in_sequence() {
    let mut r = Reception::new(8000);
    let arrivals = feed(&mut r, &[7, 9, 10, 11]);
    assert_eq!(
        arrivals,
        [
            Arrival::Probation,
            Arrival::Probation,
            Arrival::New { skipped: 0 },
            Arrival::New { skipped: 0 },
        ]
    );
    // A.1: the packet that ends probation starts the count.
    assert_eq!(
        (r.extended_highest(), r.expected(), r.received()),
        (11, 2, 2)
    );
    assert!(r.is_valid());
}

#[test]
fn the_sequence_number_wraps_at_65535_into_the_next_cycle() {
    let mut r = Reception::new(8000);
    feed(&mut r, &[65_533, 65_534, 65_535, 0, 1]);
    assert_eq!(r.extended_highest(), 65_536 + 1);
    assert_eq!((r.expected(), r.received(), r.lost()), (4, 4, 0));
    assert_eq!(r.report_block().extended_highest, 0x0001_0001);
}

#[test]
fn a_dropout_of_3001_restarts_after_two_sequential_packets() {
    let mut r = Reception::new(8000);
    let arrivals = feed(&mut r, &[100, 101, 102, 3103, 3104, 3105]);
    assert_eq!(arrivals[3], Arrival::Jump);
    assert_eq!(
        arrivals[4],
        Arrival::Restart {
            previous: 102,
            jumped_to: 3103
        }
    );
    assert!(arrivals[4].violation(4).is_some());
    assert_eq!(arrivals[5], Arrival::New { skipped: 0 });
    // Counted from the restart, as A.1's init_seq does.
    assert_eq!((r.extended_highest(), r.expected(), r.lost()), (3105, 2, 0));
}

#[test]
fn a_jump_the_stream_does_not_follow_is_dropped_not_a_restart() {
    let mut r = Reception::new(8000);
    let arrivals = feed(&mut r, &[100, 101, 102, 3102, 103, 104]);
    assert_eq!(arrivals[3], Arrival::Jump);
    assert_eq!(arrivals[4], Arrival::New { skipped: 0 });
    assert_eq!(
        (r.extended_highest(), r.expected(), r.received()),
        (104, 4, 4)
    );
}

#[test]
fn a_step_of_2999_is_loss_and_100_back_is_a_jump() {
    let mut r = Reception::new(8000);
    let arrivals = feed(&mut r, &[1000, 1001, 4000, 3901, 3900]);
    assert_eq!(arrivals[2], Arrival::New { skipped: 2998 });
    assert_eq!(arrivals[3], Arrival::Reordered, "99 back is late");
    assert_eq!(arrivals[4], Arrival::Jump, "100 back is not");
    assert_eq!((r.expected(), r.received(), r.lost()), (3000, 3, 2997));
    assert_eq!(r.reordered(), 1);
}

#[test]
fn fraction_lost_of_one_in_four_is_64_of_256() {
    let mut r = Reception::new(8000);
    feed(&mut r, &[10, 11, 12, 14]);
    let block = r.report_block();
    assert_eq!((block.fraction_lost, block.cumulative_lost), (64, 1));
    assert_eq!(block.extended_highest, 14);
    // The next interval starts from here: no loss in it.
    feed(&mut r, &[15, 16]);
    let block = r.report_block();
    assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 1));
}

#[test]
fn duplicates_count_as_received_so_cumulative_loss_goes_negative() {
    let mut r = Reception::new(8000);
    let arrivals = feed(&mut r, &[10, 11, 12, 12, 11]);
    assert_eq!(arrivals[3..], [Arrival::Duplicate, Arrival::Duplicate]);
    assert_eq!((r.duplicates(), r.lost()), (2, -2));
    let block = r.report_block();
    assert_eq!((block.fraction_lost, block.cumulative_lost), (0, -2));
}

#[test]
fn cumulative_loss_is_held_to_24_signed_bits() {
    let mut r = Reception::new(8000);
    let mut seq = 0u16;
    let sequences: Vec<u16> = (0..3000)
        .map(|i| {
            seq = seq.wrapping_add(if i < 2 { 1 } else { 2999 });
            seq
        })
        .collect();
    feed(&mut r, &sequences);
    assert!(r.lost() > 0x7f_ffff);
    let block = r.report_block();
    assert_eq!(block.cumulative_lost, 0x7f_ffff);
    assert_eq!(block.fraction_lost, 255);
}

#[test]
fn a_constant_rate_stream_with_constant_transit_has_no_jitter() {
    let mut r = Reception::new(90_000);
    let start = Instant::now() + Duration::from_secs(5);
    for i in 0..200u32 {
        // 30 frames a second, 3000 ticks apart, each 40 ms in transit.
        let now = start + Duration::from_micros(33_333 * u64::from(i));
        r.on_packet(
            now,
            60_000u16.wrapping_add(i as u16),
            0xffff_0000u32.wrapping_add(3000 * i),
        );
    }
    // 33.333 ms is 2999.97 ticks: the rounding never adds up to one tick of transit change.
    assert!(r.jitter() <= 1, "jitter {}", r.jitter());
    assert!(r.jitter_duration() <= Duration::from_micros(12));
}

#[test]
fn jitter_follows_a_known_transit_pattern() {
    // 8 kHz, a packet every 20 ms (160 ticks), alternately 0 and 10 ms late: each transit
    // changes by 80 ticks. The first packet is on probation and not counted; the second sets
    // the transit; from the third on J += (|D| - J) / 16, J16 += D - (J16 + 8) / 16 in A.8's
    // integer form.
    let mut r = Reception::new(8000);
    let start = Instant::now();
    let mut jitters = Vec::new();
    let mut float = 0.0f64;
    for i in 0..60u64 {
        let late = if i % 2 == 1 { 10 } else { 0 };
        let now = start + Duration::from_millis(20 * i + late);
        r.on_packet(now, i as u16, 160 * i as u32);
        if i >= 2 {
            float += (80.0 - float) / 16.0;
        }
        jitters.push(r.jitter());
        // The integer form truncates what it reports: at most 2 ticks under the real value.
        let gap = float - f64::from(r.jitter());
        assert!((-0.5..2.0).contains(&gap), "{i}: {} vs {float}", r.jitter());
    }
    // By hand: J16 = 80, 155, 225 -> J = 5, 9, 14.
    assert_eq!(jitters[..5], [0, 0, 5, 9, 14]);
    // And it settles at |D|: 80 ticks, 10 ms.
    assert!(jitters[59] >= 78);
    assert!(r.jitter_duration() >= Duration::from_micros(9_750));
}

/// A stream of `n` packets from `first`, with the `lost` indices never sent, the `duplicated`
/// ones sent twice, and each sent up to `spread` places away from its place in order.
#[derive(Debug, Clone)]
struct Lossy {
    first: u16,
    arrivals: Vec<u16>,
    lost: usize,
    duplicated: usize,
}

fn lossy() -> impl Strategy<Value = Lossy> {
    (any::<u16>(), 3usize..400).prop_flat_map(|(first, n)| {
        (
            Just(first),
            Just(n),
            proptest::collection::btree_set(2..n - 1, 0..=n / 4),
            proptest::collection::btree_set(2..n, 0..=n / 8),
            proptest::collection::vec(0usize..40, 2 * n),
        )
            .prop_map(|(first, n, lost, duplicated, spread)| {
                let duplicated: BTreeSet<usize> = duplicated.difference(&lost).copied().collect();
                // Sort keys: index plus a spread under 40 for all but the first two.
                let mut sent: Vec<(usize, usize)> = Vec::new();
                let mut k = 0;
                for i in (0..n).filter(|i| !lost.contains(i)) {
                    let copies = if duplicated.contains(&i) { 2 } else { 1 };
                    for _ in 0..copies {
                        let key = if i < 2 {
                            i
                        } else {
                            i + spread[k % spread.len()]
                        };
                        k += 1;
                        sent.push((key, i));
                    }
                }
                sent.sort();
                Lossy {
                    first,
                    arrivals: sent
                        .iter()
                        .map(|&(_, i)| first.wrapping_add(i as u16))
                        .collect(),
                    lost: lost.len(),
                    duplicated: duplicated.len(),
                }
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn loss_duplicates_and_reordering_are_counted_exactly(stream in lossy()) {
        let mut r = Reception::new(8000);
        let arrivals = feed(&mut r, &stream.arrivals);
        // The model: a packet older than the highest so far and not seen is late.
        let (mut seen, mut highest, mut late) = (BTreeSet::new(), 0u64, 0);
        for &seq in &stream.arrivals[2..] {
            let index = u64::from(seq.wrapping_sub(stream.first));
            if seen.insert(index) && index < highest {
                late += 1;
            }
            highest = highest.max(index);
        }
        prop_assert!(arrivals[2..].iter().all(|a| a.counted()));
        prop_assert_eq!(r.duplicates() as usize, stream.duplicated);
        prop_assert_eq!(r.reordered(), late);
        // A.1 counts a duplicate as received: what is lost less what came twice.
        prop_assert_eq!(r.lost(), stream.lost as i64 - stream.duplicated as i64);
        prop_assert_eq!(r.lost() + r.duplicates() as i64, stream.lost as i64);
        let last = stream.first.wrapping_add(highest as u16);
        prop_assert_eq!(r.extended_highest() as u16, last);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever a peer sends, in whatever order and at whatever times: no panic, and the
    /// report's numbers stay within their fields.
    #[test]
    fn any_packets_give_report_values_within_their_fields(
        packets in proptest::collection::vec((any::<u16>(), any::<u32>(), 0u64..5_000), 0..300),
        clock_rate in prop_oneof![Just(0u32), Just(8000), Just(90_000), any::<u32>()],
    ) {
        let mut r = Reception::new(clock_rate);
        let mut now = Instant::now();
        for (i, (seq, ts, gap)) in packets.into_iter().enumerate() {
            now += Duration::from_millis(gap);
            r.on_packet(now, seq, ts);
            prop_assert!(r.expected() <= r.extended_highest() + 1);
            if i % 7 == 0 {
                let block = r.report_block();
                prop_assert!((-0x80_0000..=0x7f_ffff).contains(&block.cumulative_lost));
                prop_assert_eq!(u64::from(block.extended_highest), r.extended_highest() & 0xffff_ffff);
            }
        }
    }
}
