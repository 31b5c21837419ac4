//! Two machines talking through memory on simulated time (after quinn's deterministic `Pair`,
//! `quinn-proto/src/tests/util.rs`, and str0m's sans-IO network emulator): what one transmits
//! reaches the other after the link's latency, unless the link's seeded loss drops it, and
//! each machine's timeouts fire when the simulated clock reaches them. Nothing waits for real
//! time, so a test of minutes of protocol runs in milliseconds and the same seed gives the same
//! run.
//!
//! Loss drops whole transmits: use it for datagram machines (one transmit, one datagram); a
//! stream machine's bytes are a TCP stream, which loses nothing.

use crate::{Outputs, SeededRng};
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use weir_media::{Error, Machine, Output};

/// Which machine of a [`Pair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The first machine (the client, by convention).
    A,
    /// The second machine (the server, by convention).
    B,
}

/// One direction of a pair: latency, loss and what is in flight.
#[derive(Debug)]
pub struct Link {
    /// How long a transmit takes to arrive.
    pub latency: Duration,
    /// The share of transmits dropped, 0 to 1.
    pub loss: f64,
    rng: SeededRng,
    in_flight: VecDeque<(Instant, Bytes)>,
    /// Transmits delivered so far.
    pub delivered: u64,
    /// Transmits dropped so far.
    pub dropped: u64,
}

impl Link {
    fn new() -> Self {
        Link {
            latency: Duration::ZERO,
            loss: 0.0,
            rng: SeededRng::new(0),
            in_flight: VecDeque::new(),
            delivered: 0,
            dropped: 0,
        }
    }

    /// Whether the next transmit is lost: a seeded draw, so runs repeat.
    fn lose(&mut self) -> bool {
        self.loss > 0.0 && self.rng.unit() < self.loss
    }

    fn send(&mut self, now: Instant, bytes: Bytes) {
        if self.lose() {
            self.dropped += 1;
        } else {
            self.in_flight.push_back((now + self.latency, bytes));
        }
    }

    fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.front().map(|(at, _)| *at)
    }
}

/// Two machines and the links between them, on a simulated clock: what one transmits reaches
/// the other after the link's latency unless the link's seeded loss drops it, and timeouts
/// fire when the clock reaches them.
pub struct Pair<A: Machine, B: Machine> {
    /// The first machine.
    pub a: A,
    /// The second machine.
    pub b: B,
    /// The simulated clock.
    pub now: Instant,
    /// What `a` sends to `b`.
    pub a_to_b: Link,
    /// What `b` sends to `a`.
    pub b_to_a: Link,
    /// What `a` said, transmits included.
    pub a_out: Outputs<A::Event>,
    /// What `b` said, transmits included.
    pub b_out: Outputs<B::Event>,
}

/// The most steps [`Pair::drive`] takes before it decides the machines never settle.
const MAX_STEPS: usize = 1_000_000;

impl<A: Machine, B: Machine> Pair<A, B> {
    /// Two machines, a perfect link both ways, the clock at `now`.
    pub fn new(a: A, b: B, now: Instant) -> Self {
        Pair {
            a,
            b,
            now,
            a_to_b: Link::new(),
            b_to_a: Link::new(),
            a_out: Outputs::default(),
            b_out: Outputs::default(),
        }
    }

    /// The same latency both ways.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.a_to_b.latency = latency;
        self.b_to_a.latency = latency;
        self
    }

    /// The same loss both ways, from `seed`.
    pub fn with_loss(mut self, loss: f64, seed: u64) -> Self {
        for (link, salt) in [(&mut self.a_to_b, 1), (&mut self.b_to_a, 2)] {
            link.loss = loss;
            link.rng = SeededRng::new(seed.wrapping_mul(3).wrapping_add(salt));
        }
        self
    }

    /// Runs until neither machine has anything to say or deliver and no timeout is pending;
    /// the first error either machine returns stops it.
    pub fn drive(&mut self) -> Result<(), (Side, Error)> {
        self.drive_with(|_, _| {}, |_, _| {})
    }

    /// [`drive`](Self::drive), with `on_a`/`on_b` called on each event as it is drained, with
    /// its machine (to answer requests by id, say).
    pub fn drive_with(
        &mut self,
        mut on_a: impl FnMut(&mut A, &A::Event),
        mut on_b: impl FnMut(&mut B, &B::Event),
    ) -> Result<(), (Side, Error)> {
        for _ in 0..MAX_STEPS {
            if !self.step(&mut on_a, &mut on_b)? {
                return Ok(());
            }
        }
        panic!("the pair did not settle in {MAX_STEPS} steps");
    }

    /// Drains both machines, delivers what has arrived and fires due timeouts; when nothing is
    /// due, moves the clock to the next arrival or timeout. `false` once nothing is left.
    fn step(
        &mut self,
        on_a: &mut impl FnMut(&mut A, &A::Event),
        on_b: &mut impl FnMut(&mut B, &B::Event),
    ) -> Result<bool, (Side, Error)> {
        drain(
            &mut self.a,
            &mut self.a_out,
            &mut self.a_to_b,
            self.now,
            on_a,
        );
        drain(
            &mut self.b,
            &mut self.b_out,
            &mut self.b_to_a,
            self.now,
            on_b,
        );
        let mut worked = false;
        while let Some((_, bytes)) = pop_due(&mut self.a_to_b, self.now) {
            self.b
                .handle_input(self.now, &bytes)
                .map_err(|e| (Side::B, e))?;
            worked = true;
        }
        while let Some((_, bytes)) = pop_due(&mut self.b_to_a, self.now) {
            self.a
                .handle_input(self.now, &bytes)
                .map_err(|e| (Side::A, e))?;
            worked = true;
        }
        if self.a.poll_timeout().is_some_and(|at| at <= self.now) {
            self.a.handle_timeout(self.now);
            worked = true;
        }
        if self.b.poll_timeout().is_some_and(|at| at <= self.now) {
            self.b.handle_timeout(self.now);
            worked = true;
        }
        if worked {
            return Ok(true);
        }
        let next = [
            self.a_to_b.next_arrival(),
            self.b_to_a.next_arrival(),
            self.a.poll_timeout(),
            self.b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(at) => {
                self.now = self.now.max(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

fn pop_due(link: &mut Link, now: Instant) -> Option<(Instant, Bytes)> {
    if link.next_arrival()? > now {
        return None;
    }
    link.delivered += 1;
    link.in_flight.pop_front()
}

fn drain<M: Machine>(
    machine: &mut M,
    out: &mut Outputs<M::Event>,
    link: &mut Link,
    now: Instant,
    on_event: &mut impl FnMut(&mut M, &M::Event),
) {
    while let Some(output) = machine.poll_output() {
        match &output {
            Output::Transmit(bytes) => link.send(now, bytes.clone()),
            Output::Event(event) => on_event(machine, event),
            Output::Violation(_) => {}
        }
        out.take(output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echoes each datagram back once, after a timeout of 10 ms.
    #[derive(Default)]
    struct Echo {
        pending: VecDeque<(Instant, Bytes)>,
        out: VecDeque<Output<usize>>,
        seen: usize,
    }

    impl Machine for Echo {
        type Event = usize;
        fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error> {
            self.seen += 1;
            self.out.push_back(Output::Event(self.seen));
            if input.first() == Some(&b'?') {
                let answer = Bytes::from(input[1..].to_vec());
                self.pending
                    .push_back((now + Duration::from_millis(10), answer));
            }
            Ok(())
        }
        fn handle_end(&mut self, _: Instant) -> Result<(), Error> {
            Ok(())
        }
        fn poll_output(&mut self) -> Option<Output<usize>> {
            self.out.pop_front()
        }
        fn poll_timeout(&self) -> Option<Instant> {
            self.pending.front().map(|(at, _)| *at)
        }
        fn handle_timeout(&mut self, now: Instant) {
            while self.pending.front().is_some_and(|(at, _)| *at <= now) {
                let (_, bytes) = self.pending.pop_front().unwrap();
                self.out.push_back(Output::Transmit(bytes));
            }
        }
    }

    #[test]
    fn latency_and_timeouts_move_the_simulated_clock() {
        let start = Instant::now();
        let mut a = Echo::default();
        a.out
            .push_back(Output::Transmit(Bytes::from_static(b"?pong")));
        let mut pair = Pair::new(a, Echo::default(), start).with_latency(Duration::from_millis(40));
        pair.drive().unwrap();
        assert_eq!(pair.b_out.events, [1]);
        assert_eq!(pair.a_out.events, [1]);
        assert_eq!(&pair.b_out.transmitted[..], b"pong");
        // 40 ms there, 10 ms of timeout, 40 ms back.
        assert_eq!(pair.now - start, Duration::from_millis(90));
    }

    #[test]
    fn seeded_loss_repeats_and_drops_about_its_share() {
        let run = |seed| {
            let mut a = Echo::default();
            for _ in 0..1000 {
                a.out.push_back(Output::Transmit(Bytes::from_static(b"x")));
            }
            let mut pair = Pair::new(a, Echo::default(), Instant::now()).with_loss(0.2, seed);
            pair.drive().unwrap();
            pair.a_to_b.dropped
        };
        assert_eq!(run(7), run(7));
        assert!((150..250).contains(&run(7)), "{}", run(7));
    }
}
