//! The network simulator with fixed seeds: the same seed gives the same run bit for bit, loss
//! drops its share within a tight band, reordering reorders, a bandwidth limit queues, nothing
//! arrives before its send time plus the delay, and the queue bound holds.

use bytes::Bytes;
use std::time::{Duration, Instant};
use weir_testkit::netsim::{Counters, Link, NetSim, Profile, SeedGuard, direction_seeds};

const MS: Duration = Duration::from_millis(1);

/// Datagram `i` of a run: its index, then `len - 4` bytes of filler.
fn datagram(i: u32, len: usize) -> Bytes {
    let mut bytes = i.to_be_bytes().to_vec();
    bytes.resize(len.max(4), 0xab);
    Bytes::from(bytes)
}

fn index(datagram: &Bytes) -> u32 {
    u32::from_be_bytes(datagram[..4].try_into().unwrap())
}

/// Sends `count` datagrams of `len` bytes, one every `every`, and polls at every send and
/// every due time: what arrived, as (time since the start, index), in arrival order.
fn run(sim: &mut NetSim, count: u32, every: Duration, len: usize) -> Vec<(Duration, u32)> {
    let start = Instant::now();
    let mut arrived = Vec::new();
    let mut next_send = 0;
    loop {
        let send_at = (next_send < count).then(|| start + every * next_send);
        let now = match (send_at, sim.next_due()) {
            (Some(s), Some(d)) => s.min(d),
            (Some(s), None) => s,
            (None, Some(d)) => d,
            (None, None) => break,
        };
        if send_at == Some(now) {
            sim.send(now, datagram(next_send, len));
            next_send += 1;
        }
        while let Some(d) = sim.poll(now) {
            arrived.push((now - start, index(&d)));
        }
    }
    arrived
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let profile = Profile::internet(0.05, 40 * MS).with_bandwidth(8_000_000);
    let once = |seed| {
        let mut sim = NetSim::new(seed, profile.clone());
        let arrived = run(&mut sim, 2_000, MS / 2, 1316);
        (arrived, sim.counters())
    };
    let (a, counters) = once(7);
    assert_eq!(once(7), (a.clone(), counters));
    assert_ne!(once(8).0, a);
    assert!(counters.dropped > 0 && counters.duplicated > 0 && counters.reordered > 0);
}

#[test]
fn ten_percent_loss_drops_close_to_a_thousand_of_ten_thousand() {
    // Binomial(10 000, 0.1): a standard deviation of 30; the band is about ±3.3 of them.
    for seed in 1..=8 {
        let mut sim = NetSim::new(seed, Profile::lossy(0.10, 40 * MS));
        let arrived = run(&mut sim, 10_000, MS, 100);
        let c = sim.counters();
        assert!((900..=1100).contains(&c.dropped), "seed {seed}: {c:?}");
        assert_eq!(arrived.len() as u64, c.sent - c.dropped);
        assert_eq!(c.delivered, arrived.len() as u64);
        // Loss alone keeps the order.
        assert!(arrived.windows(2).all(|w| w[0].1 < w[1].1));
    }
}

#[test]
fn held_back_datagrams_are_overtaken() {
    let profile = Profile {
        reorder: 0.2,
        reorder_delay: 30 * MS,
        delay: 10 * MS,
        ..Profile::clean()
    };
    let mut sim = NetSim::new(3, profile);
    let arrived = run(&mut sim, 1_000, MS, 100);
    let c = sim.counters();
    assert!((150..=250).contains(&c.reordered), "{c:?}");
    assert_eq!(arrived.len(), 1_000);
    let inversions = arrived.windows(2).filter(|w| w[0].1 > w[1].1).count();
    assert!(inversions >= 100, "only {inversions} inversions");
    // Held ones arrive 40 ms after their send, the others 10 ms after.
    for (at, i) in &arrived {
        let late = *at - MS * *i;
        assert!(
            late == 10 * MS || late == 40 * MS,
            "datagram {i} after {late:?}"
        );
    }
}

#[test]
fn a_bandwidth_limit_queues_datagrams_behind_each_other() {
    // 1250-byte datagrams on a 1 Mbit/s link take 10 ms each to send.
    let profile = Profile {
        delay: 5 * MS,
        ..Profile::clean().with_bandwidth(1_000_000)
    };
    let mut sim = NetSim::new(1, profile);
    let arrived = run(&mut sim, 100, Duration::ZERO, 1250);
    let expected: Vec<_> = (0..100).map(|i| (10 * MS * (i + 1) + 5 * MS, i)).collect();
    assert_eq!(arrived, expected);
    // Sent slower than the link, nothing queues.
    let mut sim = NetSim::new(1, Profile::clean().with_bandwidth(1_000_000));
    let arrived = run(&mut sim, 10, 20 * MS, 1250);
    assert!(arrived.iter().all(|(at, i)| *at == 20 * MS * *i + 10 * MS));
}

#[test]
fn nothing_arrives_before_its_send_time_plus_the_delay() {
    let profile = Profile::internet(0.1, 60 * MS);
    for seed in 0..4 {
        let mut sim = NetSim::new(seed, profile.clone());
        let every = MS / 4;
        for (at, i) in run(&mut sim, 4_000, every, 200) {
            let sent = every * i;
            assert!(
                at >= sent + 30 * MS,
                "seed {seed}: {i} sent {sent:?} at {at:?}"
            );
            assert!(at <= sent + 30 * MS + 6 * MS + 15 * MS, "{i} at {at:?}");
        }
    }
}

#[test]
fn duplicates_arrive_as_extra_copies() {
    let profile = Profile {
        duplicate: 0.1,
        jitter: 5 * MS,
        ..Profile::clean()
    };
    let mut sim = NetSim::new(11, profile);
    let arrived = run(&mut sim, 10_000, MS, 50);
    let c = sim.counters();
    assert!((900..=1100).contains(&c.duplicated), "{c:?}");
    assert_eq!(arrived.len() as u64, c.sent + c.duplicated);
}

#[test]
fn the_queue_limit_bounds_what_is_in_flight() {
    let profile = Profile {
        queue_limit: 10,
        ..Profile::clean().with_bandwidth(1_000_000)
    };
    let mut sim = NetSim::new(1, profile);
    let now = Instant::now();
    for i in 0..100 {
        sim.send(now, datagram(i, 1250));
        assert!(sim.in_flight() <= 10);
    }
    let c = sim.counters();
    assert_eq!((c.dropped, c.overflowed), (90, 90));
    let arrived = run(&mut sim, 0, MS, 0);
    assert_eq!(
        arrived.iter().map(|a| a.1).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
}

#[test]
fn a_clean_profile_delivers_everything_at_once_in_order() {
    let mut sim = NetSim::new(0, Profile::clean());
    let arrived = run(&mut sim, 100, MS, 10);
    assert!(
        arrived
            .iter()
            .enumerate()
            .all(|(i, (at, n))| *n == i as u32 && *at == MS * *n)
    );
    assert_eq!(
        sim.counters(),
        Counters {
            sent: 100,
            delivered: 100,
            ..Counters::default()
        }
    );
}

#[test]
fn a_link_draws_each_direction_from_its_own_seed() {
    let (up, down) = direction_seeds(5);
    assert_ne!(up, down);
    let mut link = Link::new(5, Profile::lossy(0.5, 20 * MS));
    assert_eq!((link.a_to_b.seed(), link.b_to_a.seed()), (up, down));
    let now = Instant::now();
    for i in 0..64 {
        link.a_to_b.send(now, datagram(i, 8));
        link.b_to_a.send(now + MS, datagram(i, 8));
    }
    assert_eq!(link.next_due(), Some(now + 10 * MS));
    let drain = |sim: &mut NetSim| {
        std::iter::from_fn(|| sim.poll(now + 20 * MS))
            .map(|d| index(&d))
            .collect::<Vec<_>>()
    };
    assert_ne!(drain(&mut link.a_to_b), drain(&mut link.b_to_a));
}

#[test]
fn the_seed_guard_names_the_seed_and_how_to_rerun_it() {
    let guard = SeedGuard::new(42);
    assert_eq!(guard.seed(), 42);
    assert_eq!(
        guard.message(),
        "netsim seed = 42 (rerun with WEIR_NETSIM_SEED=42)"
    );
    // Dropped while its thread panics, it prints (and does not panic again).
    let result = std::thread::spawn(|| {
        let _guard = SeedGuard::from_env(9);
        panic!("a failing netsim test");
    })
    .join();
    assert!(result.is_err());
}
