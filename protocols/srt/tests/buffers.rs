//! The loss list and the receive buffer against simple models, on arbitrary operations near
//! the sequence-number wrap: what they hold is what a set of numbers would hold, and they
//! never exceed their bounds.

use proptest::prelude::*;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use weir_srt::SeqNumber;
use weir_srt::loss_list::LossList;
use weir_srt::receive_buffer::{Arrival, Ready, ReceiveBuffer};

/// A base just below the wrap, so that ranges cross it.
const BASE: u32 = SeqNumber::MAX - 40;

#[derive(Clone, Debug)]
enum Op {
    Insert(u32, u32),
    Remove(u32),
    RemoveBefore(u32),
    PopFirst,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..100, 0u32..12).prop_map(|(a, n)| Op::Insert(a, a + n)),
        (0u32..100).prop_map(Op::Remove),
        (0u32..100).prop_map(Op::RemoveBefore),
        Just(Op::PopFirst),
    ]
}

fn seq(offset: u32) -> SeqNumber {
    SeqNumber::new(BASE).add(offset)
}

proptest! {
    #[test]
    fn the_loss_list_holds_what_a_set_would(ops in proptest::collection::vec(op(), 1..60)) {
        let limit = 64u64;
        let mut list = LossList::new(limit as u32);
        let mut model = BTreeSet::new();
        for op in ops {
            match op {
                Op::Insert(a, b) => {
                    let new: BTreeSet<u32> = (a..=b).filter(|n| !model.contains(n)).collect();
                    let fits = model.len() as u64 + new.len() as u64 <= limit;
                    let added = list.insert(seq(a), seq(b));
                    if fits {
                        prop_assert_eq!(added, Some(new.len() as u64));
                        model.extend(new);
                    } else {
                        prop_assert_eq!(added, None);
                    }
                }
                Op::Remove(n) => prop_assert_eq!(list.remove(seq(n)), model.remove(&n)),
                Op::RemoveBefore(n) => {
                    let gone: Vec<u32> = model.range(..n).copied().collect();
                    prop_assert_eq!(list.remove_before(seq(n)), gone.len() as u64);
                    for g in gone { model.remove(&g); }
                }
                Op::PopFirst => {
                    let first = model.pop_first();
                    prop_assert_eq!(list.pop_first(), first.map(seq));
                }
            }
            let held: Vec<SeqNumber> = list
                .ranges()
                .flat_map(|r| (0..r.count() as u32).map(move |i| r.first.add(i)))
                .collect();
            let expected: Vec<SeqNumber> = model.iter().map(|&n| seq(n)).collect();
            prop_assert_eq!(held, expected);
            prop_assert_eq!(list.len(), model.len() as u64);
            // Ranges are separate: none touches the next.
            let ranges: Vec<_> = list.ranges().collect();
            for pair in ranges.windows(2) {
                prop_assert!(pair[0].last.next().before(pair[1].first));
            }
        }
    }

    #[test]
    fn the_receive_buffer_hands_on_each_packet_once_in_order(
        arrivals in proptest::collection::vec(0u32..40, 1..120),
        capacity in 1usize..32,
    ) {
        let t0 = Instant::now();
        let mut buffer = ReceiveBuffer::new(seq(0), capacity);
        let mut out = Vec::new();
        let play = |offset: &u32| t0 + Duration::from_millis(u64::from(*offset));
        for (i, &n) in arrivals.iter().enumerate() {
            let arrival = buffer.insert(seq(n), n);
            let offset = buffer.start().distance_to(seq(n));
            match arrival {
                Arrival::Beyond => prop_assert!(offset >= capacity as i64),
                Arrival::Behind => prop_assert!(offset < 0),
                _ => {}
            }
            prop_assert!(buffer.len() <= capacity);
            // Time moves on one ms an arrival: packets play in order, gaps drop as too late.
            let now = t0 + Duration::from_millis(i as u64);
            while let Some(ready) = buffer.pop_ready(now, true, play) {
                out.push(ready);
            }
        }
        let mut next = seq(0);
        for ready in out {
            match ready {
                Ready::Packet(s, n) => {
                    prop_assert_eq!(s, next);
                    prop_assert_eq!(s, seq(n));
                    next = s.next();
                }
                Ready::Dropped(first, last) => {
                    prop_assert_eq!(first, next);
                    prop_assert!(!last.before(first));
                    next = last.next();
                }
            }
        }
    }
}
