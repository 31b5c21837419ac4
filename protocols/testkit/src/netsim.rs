//! A seeded, deterministic network simulator for datagram protocols (after str0m's sans-IO
//! `crates/netem` and Linux netem's knobs): loss, duplication, reordering, delay with jitter,
//! a bandwidth limit with its queue, and a bound on what is in flight. Time is an argument and
//! every random draw comes from a [`SeededRng`], so the same seed and the same sends give the
//! same deliveries, bit for bit, on every run and platform.
//!
//! ```text
//! sim.send(now, datagram);                    // enters the link at `now`
//! while let Some(d) = sim.poll(now) { .. }    // what has arrived by `now`, in arrival order
//! sim.next_due()                              // when to poll next
//! ```
//!
//! Each sent datagram, in this order: is dropped if `queue_limit` datagrams are already in
//! flight (tail drop, counted as `overflowed` and `dropped`); is dropped with chance `loss`;
//! waits behind earlier datagrams for the link's `bandwidth` (serialisation); then arrives
//! `delay` plus a uniform draw in `[0, jitter]` later, plus `reorder_delay` with chance
//! `reorder` (held back, so later datagrams overtake it); and with chance `duplicate` a second
//! copy arrives with its own jitter. Jitter alone can reorder datagrams sent closer together
//! than it, as netem's does.
//!
//! A failing test must say which seed it ran: [`SeedGuard`] prints it when the test panics,
//! and [`seed_from_env`] takes `WEIR_NETSIM_SEED` to rerun that seed.

use crate::SeededRng;
use bytes::Bytes;
use rand_core::RngCore;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// The environment variable that overrides a test's netsim seed.
pub const SEED_VAR: &str = "WEIR_NETSIM_SEED";

/// How the simulated link treats datagrams.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The chance a datagram is dropped, 0 to 1.
    pub loss: f64,
    /// The chance a datagram arrives twice, 0 to 1.
    pub duplicate: f64,
    /// The chance a datagram is held back by `reorder_delay`, 0 to 1.
    pub reorder: f64,
    /// How long a held-back datagram is held.
    pub reorder_delay: Duration,
    /// The one-way propagation delay.
    pub delay: Duration,
    /// The most extra delay a datagram draws (uniformly, from 0).
    pub jitter: Duration,
    /// The link's rate in bits per second; `None` for no limit.
    pub bandwidth: Option<u64>,
    /// The most datagrams in flight (queued or propagating); more are dropped.
    pub queue_limit: usize,
}

impl Profile {
    /// The in-flight bound of the presets: enough for seconds of a video stream.
    pub const DEFAULT_QUEUE_LIMIT: usize = 10_000;

    /// A perfect link: nothing lost, nothing late.
    pub fn clean() -> Self {
        Profile {
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::ZERO,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            bandwidth: None,
            queue_limit: Self::DEFAULT_QUEUE_LIMIT,
        }
    }

    /// A link that drops `loss` of its datagrams, with a one-way delay of half `rtt`.
    pub fn lossy(loss: f64, rtt: Duration) -> Self {
        Profile {
            loss,
            delay: rtt / 2,
            ..Self::clean()
        }
    }

    /// A poor internet path: `loss`, half `rtt` each way with 10 % of it as jitter, 1 % of
    /// datagrams held back by a quarter of `rtt`, and 0.5 % duplicated.
    pub fn internet(loss: f64, rtt: Duration) -> Self {
        Profile {
            loss,
            duplicate: 0.005,
            reorder: 0.01,
            reorder_delay: rtt / 4,
            delay: rtt / 2,
            jitter: rtt / 10,
            ..Self::clean()
        }
    }

    /// The same profile with a rate limit of `bits_per_second`.
    pub fn with_bandwidth(mut self, bits_per_second: u64) -> Self {
        self.bandwidth = Some(bits_per_second);
        self
    }
}

/// What a [`NetSim`] has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Datagrams given to `send`.
    pub sent: u64,
    /// Datagrams dropped, by loss or by a full queue.
    pub dropped: u64,
    /// Of `dropped`, those dropped because `queue_limit` datagrams were in flight.
    pub overflowed: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Datagrams held back by `reorder_delay`.
    pub reordered: u64,
    /// Datagrams (copies included) handed out by `poll`.
    pub delivered: u64,
}

/// One direction of a simulated link: datagrams in, datagrams out when they are due.
#[derive(Debug)]
pub struct NetSim {
    profile: Profile,
    seed: u64,
    rng: SeededRng,
    /// In flight, earliest first; the send counter breaks ties, so equal times keep send order.
    queue: BinaryHeap<Reverse<(Instant, u64, Bytes)>>,
    /// Sequence of the next datagram put in flight.
    next: u64,
    /// When the bandwidth-limited link finishes sending what it has queued.
    link_free: Option<Instant>,
    counters: Counters,
}

impl NetSim {
    /// A link that treats datagrams as `profile` says, with random draws from `seed`.
    ///
    /// Panics on a profile that makes no sense (a chance outside 0 to 1, a zero bandwidth or
    /// queue limit): that is the test's mistake.
    pub fn new(seed: u64, profile: Profile) -> Self {
        for (name, chance) in [
            ("loss", profile.loss),
            ("duplicate", profile.duplicate),
            ("reorder", profile.reorder),
        ] {
            assert!(
                (0.0..=1.0).contains(&chance),
                "netsim {name} chance {chance} is not in 0..=1"
            );
        }
        assert!(profile.bandwidth != Some(0), "netsim bandwidth of 0 bit/s");
        assert!(profile.queue_limit > 0, "netsim queue limit of 0");
        NetSim {
            profile,
            seed,
            rng: SeededRng::new(seed),
            queue: BinaryHeap::new(),
            next: 0,
            link_free: None,
            counters: Counters::default(),
        }
    }

    /// The seed this link draws from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The profile this link follows.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// From now on the link loses, duplicates and reorders nothing; its delay, jitter and
    /// bandwidth stay, and so do the draws per datagram, so the seed still decides the rest.
    pub fn heal(&mut self) {
        self.profile.loss = 0.0;
        self.profile.duplicate = 0.0;
        self.profile.reorder = 0.0;
    }

    /// What the link has done so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Datagrams in flight now.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// A datagram enters the link at `now`.
    pub fn send(&mut self, now: Instant, datagram: Bytes) {
        self.counters.sent += 1;
        // Always the same five draws per datagram, whatever happens to it, so one datagram's
        // fate never shifts the draws of the next.
        let lose = self.rng.unit() < self.profile.loss;
        let duplicate = self.rng.unit() < self.profile.duplicate;
        let hold = self.rng.unit() < self.profile.reorder;
        let jitter = [self.rng.unit(), self.rng.unit()].map(|u| self.profile.jitter.mul_f64(u));
        if self.queue.len() >= self.profile.queue_limit {
            self.counters.dropped += 1;
            self.counters.overflowed += 1;
            return;
        }
        if lose {
            self.counters.dropped += 1;
            return;
        }
        let departure = match self.profile.bandwidth {
            None => now,
            Some(rate) => {
                let bits = datagram.len() as u128 * 8;
                let nanos = (bits * 1_000_000_000).div_ceil(rate as u128);
                let start = self.link_free.map_or(now, |free| free.max(now));
                let done = start + Duration::from_nanos(nanos.min(u64::MAX as u128) as u64);
                self.link_free = Some(done);
                done
            }
        };
        let mut arrival = departure + self.profile.delay + jitter[0];
        if hold {
            self.counters.reordered += 1;
            arrival += self.profile.reorder_delay;
        }
        if duplicate && self.queue.len() + 1 < self.profile.queue_limit {
            self.counters.duplicated += 1;
            let copy = departure + self.profile.delay + jitter[1];
            self.push(copy, datagram.clone());
        }
        self.push(arrival, datagram);
    }

    fn push(&mut self, at: Instant, datagram: Bytes) {
        self.queue.push(Reverse((at, self.next, datagram)));
        self.next += 1;
    }

    /// The next datagram that has arrived by `now`, earliest first.
    pub fn poll(&mut self, now: Instant) -> Option<Bytes> {
        if self.next_due()? > now {
            return None;
        }
        let Reverse((_, _, datagram)) = self.queue.pop()?;
        self.counters.delivered += 1;
        Some(datagram)
    }

    /// When the earliest datagram in flight arrives.
    pub fn next_due(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _, _))| *at)
    }
}

/// A link both ways, one [`NetSim`] per direction (SRT needs its ACKs and NAKs to suffer
/// too). `a` is the client by convention, `b` the server.
#[derive(Debug)]
pub struct Link {
    /// What `a` sends to `b`.
    pub a_to_b: NetSim,
    /// What `b` sends to `a`.
    pub b_to_a: NetSim,
}

impl Link {
    /// The same profile both ways, the two directions drawing from seeds derived from `seed`.
    pub fn new(seed: u64, profile: Profile) -> Self {
        Self::asymmetric(seed, profile.clone(), profile)
    }

    /// `a_to_b` and `b_to_a` profiles of their own.
    pub fn asymmetric(seed: u64, a_to_b: Profile, b_to_a: Profile) -> Self {
        let (up, down) = direction_seeds(seed);
        Link {
            a_to_b: NetSim::new(up, a_to_b),
            b_to_a: NetSim::new(down, b_to_a),
        }
    }

    /// When the earliest datagram in flight either way arrives.
    pub fn next_due(&self) -> Option<Instant> {
        [self.a_to_b.next_due(), self.b_to_a.next_due()]
            .into_iter()
            .flatten()
            .min()
    }
}

/// The seeds of the two directions of a link seeded with `seed`: distinct, and different from
/// `seed` itself so a one-way sim on `seed` does not mirror either.
pub fn direction_seeds(seed: u64) -> (u64, u64) {
    let mut rng = SeededRng::new(seed ^ 0x6e65_7473_696d_0000);
    (rng.next_u64(), rng.next_u64())
}

/// `WEIR_NETSIM_SEED` when it is set (to rerun a failure), else `default`. Panics on a value
/// that is not a number, rather than running another seed than the one asked for.
pub fn seed_from_env(default: u64) -> u64 {
    match std::env::var(SEED_VAR) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VAR}={text:?} is not a u64")),
        Err(_) => default,
    }
}

/// Prints `netsim seed = N (rerun with WEIR_NETSIM_SEED=N)` if it is dropped while its
/// thread panics: hold one for as long as a test uses its seed.
#[derive(Debug)]
pub struct SeedGuard {
    seed: u64,
}

impl SeedGuard {
    /// The guard of `seed`: usually `SeedGuard::new(seed_from_env(N))`.
    pub fn new(seed: u64) -> Self {
        SeedGuard { seed }
    }

    /// [`seed_from_env`]`(default)`, guarded.
    pub fn from_env(default: u64) -> Self {
        Self::new(seed_from_env(default))
    }

    /// The guarded seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The line printed on a panic.
    pub fn message(&self) -> String {
        format!("netsim seed = {0} (rerun with {SEED_VAR}={0})", self.seed)
    }
}

impl Drop for SeedGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.message());
        }
    }
}
