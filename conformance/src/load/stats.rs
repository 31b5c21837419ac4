//! The counters players and the publisher share with the once-a-second report: atomics that
//! the hot path bumps once per read, and the report's own bookkeeping ([`Tally`]), so that no
//! player needs a timer of its own to be found stalled.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

/// Where a player is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum PlayerState {
    /// Not started yet, or connecting, handshaking, asking to play.
    Starting = 0,
    /// The server answered play with `NetStream.Play.Start`.
    Playing = 1,
    /// Gone: an error or the server closed the connection.
    Failed = 2,
}

/// One player's counters.
#[derive(Debug, Default)]
pub(super) struct PlayerSlot {
    state: AtomicU8,
    /// Bytes read from the socket, handshake included.
    pub bytes: AtomicU64,
    /// Audio and video messages received.
    pub media: AtomicU64,
}

impl PlayerSlot {
    pub fn set_state(&self, state: PlayerState) {
        self.state.store(state as u8, Relaxed);
    }

    pub fn state(&self) -> PlayerState {
        match self.state.load(Relaxed) {
            0 => PlayerState::Starting,
            1 => PlayerState::Playing,
            _ => PlayerState::Failed,
        }
    }
}

/// A count of events and the text of the first one.
#[derive(Debug, Default)]
pub(super) struct FirstOf {
    count: AtomicU64,
    first: Mutex<Option<String>>,
}

impl FirstOf {
    /// Counts one; `text` is built only for the first.
    pub fn note(&self, text: impl FnOnce() -> String) {
        if self.count.fetch_add(1, Relaxed) == 0
            && let Ok(mut first) = self.first.lock()
        {
            *first = Some(text());
        }
    }

    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    pub fn first(&self) -> Option<String> {
        self.first.lock().ok().and_then(|first| first.clone())
    }
}

/// What the publisher has sent.
#[derive(Debug, Default)]
pub(super) struct PublisherCounters {
    pub tags: AtomicU64,
    pub bytes: AtomicU64,
    /// Times the whole file has been sent.
    pub loops: AtomicU64,
}

/// The delays the measuring players saw between a frame's stamp and its arrival: one counter
/// per millisecond up to [`Delays::MAX_MS`] (the last counts everything later).
#[derive(Debug)]
pub(super) struct Delays {
    buckets: Box<[AtomicU64]>,
    /// Frames whose delay was measured after the warm-up.
    pub measuring: std::sync::atomic::AtomicBool,
}

impl Default for Delays {
    fn default() -> Self {
        Delays {
            buckets: (0..=Self::MAX_MS).map(|_| AtomicU64::new(0)).collect(),
            measuring: Default::default(),
        }
    }
}

impl Delays {
    pub const MAX_MS: usize = 10_000;

    /// Counts a delay of `us` microseconds (negative ones, clock steps, count as 0), once the
    /// warm-up is over.
    pub fn record(&self, us: i64) {
        if !self.measuring.load(Relaxed) {
            return;
        }
        let ms = (us.max(0) / 1000) as usize;
        self.buckets[ms.min(Self::MAX_MS)].fetch_add(1, Relaxed);
    }

    /// The median and the 99th percentile in milliseconds (each the upper edge of its 1 ms
    /// bucket), and the number of frames measured.
    pub fn percentiles(&self) -> Option<(f64, f64, u64)> {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let at = |share: f64| {
            let rank = ((total as f64) * share).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (ms, n) in counts.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return (ms + 1) as f64;
                }
            }
            Self::MAX_MS as f64
        };
        Some((at(0.5), at(0.99), total))
    }
}

/// Everything the run's tasks count.
#[derive(Debug)]
pub(super) struct Shared {
    pub players: Box<[PlayerSlot]>,
    /// What the first players (those that read every segment) measured.
    pub delays: Delays,
    /// Connection errors of players and publisher.
    pub errors: FirstOf,
    /// Rule violations the client machines saw in the server's bytes.
    pub violations: FirstOf,
    pub publisher: PublisherCounters,
}

impl Shared {
    pub fn new(players: u32) -> Shared {
        Shared {
            players: (0..players).map(|_| PlayerSlot::default()).collect(),
            delays: Delays::default(),
            errors: FirstOf::default(),
            violations: FirstOf::default(),
            publisher: PublisherCounters::default(),
        }
    }
}

/// One look at the players.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sample {
    pub connected: usize,
    /// Playing players that received nothing for [`STALL_TICKS`] ticks while others received.
    pub stalled: usize,
    /// Playing players that have received no audio or video message at all.
    pub silent: usize,
    /// Bytes all players have received so far.
    pub bytes: u64,
    pub media: u64,
}

/// How many silent ticks (seconds) make a playing player stalled.
pub(super) const STALL_TICKS: u32 = 2;

/// The report's memory of each player: its byte count at the last tick and the tick it last
/// changed.
#[derive(Debug)]
pub(super) struct Tally {
    tick: u32,
    last_bytes: Vec<u64>,
    last_change: Vec<u32>,
}

impl Tally {
    pub fn new(players: usize) -> Tally {
        Tally {
            tick: 0,
            last_bytes: vec![0; players],
            last_change: vec![0; players],
        }
    }

    /// Takes the next tick's sample.
    pub fn sample(&mut self, players: &[PlayerSlot]) -> Sample {
        self.tick += 1;
        let (mut bytes, mut media, mut receiving) = (0, 0, 0);
        for (i, player) in players.iter().enumerate() {
            let now = player.bytes.load(Relaxed);
            bytes += now;
            media += player.media.load(Relaxed);
            if let Some(last) = self.last_bytes.get_mut(i)
                && *last != now
            {
                *last = now;
                self.last_change[i] = self.tick;
                receiving += 1;
            }
        }
        let mut connected = 0;
        let mut stalled = 0;
        let mut silent = 0;
        for (player, &changed) in players.iter().zip(&self.last_change) {
            if player.state() == PlayerState::Playing {
                connected += 1;
                if player.media.load(Relaxed) == 0 {
                    silent += 1;
                }
                // Silence counts only while others receive: no publisher is no stall.
                if receiving > 0 && self.tick - changed >= STALL_TICKS {
                    stalled += 1;
                }
            }
        }
        Sample {
            connected,
            stalled,
            silent,
            bytes,
            media,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receive(slot: &PlayerSlot, n: u64) {
        slot.bytes.fetch_add(n, Relaxed);
        slot.media.fetch_add(1, Relaxed);
    }

    #[test]
    fn a_player_silent_for_two_ticks_while_others_receive_is_stalled() {
        let shared = Shared::new(3);
        let [a, b, c] = &shared.players[..] else {
            unreachable!()
        };
        a.set_state(PlayerState::Playing);
        b.set_state(PlayerState::Playing);
        let mut tally = Tally::new(3);
        receive(a, 100);
        receive(b, 100);
        receive(c, 10); // still starting: received the handshake, not counted as connected
        let first = tally.sample(&shared.players);
        assert_eq!(
            first,
            Sample {
                connected: 2,
                stalled: 0,
                silent: 0,
                bytes: 210,
                media: 3
            }
        );
        receive(a, 50);
        assert_eq!(
            tally.sample(&shared.players).stalled,
            0,
            "b silent one tick"
        );
        receive(a, 50);
        let third = tally.sample(&shared.players);
        assert_eq!((third.connected, third.stalled, third.bytes), (2, 1, 310));
        receive(b, 1);
        assert_eq!(tally.sample(&shared.players).stalled, 0, "b came back");
    }

    #[test]
    fn silence_everywhere_is_no_stall_and_failed_players_are_not_connected() {
        let shared = Shared::new(2);
        shared.players[0].set_state(PlayerState::Playing);
        shared.players[1].set_state(PlayerState::Failed);
        let mut tally = Tally::new(2);
        receive(&shared.players[0], 1);
        for _ in 0..5 {
            let sample = tally.sample(&shared.players);
            assert_eq!((sample.connected, sample.stalled), (1, 0));
        }
    }

    #[test]
    fn delays_give_percentiles_of_the_measured_part_only() {
        let delays = Delays::default();
        delays.record(5_000);
        assert_eq!(delays.percentiles(), None, "the warm-up is not measured");
        delays.measuring.store(true, Relaxed);
        for us in (0..100).map(|i| i * 1000 + 500) {
            delays.record(us);
        }
        delays.record(-3);
        delays.record(1 << 40);
        let (p50, p99, n) = delays.percentiles().unwrap();
        assert_eq!((p50, p99, n), (50.0, 100.0, 102));
    }

    #[test]
    fn first_of_keeps_the_first_text_and_counts_all() {
        let errors = FirstOf::default();
        assert_eq!((errors.count(), errors.first()), (0, None));
        errors.note(|| "one".into());
        errors.note(|| unreachable!("built only for the first"));
        assert_eq!((errors.count(), errors.first()), (2, Some("one".into())));
    }
}
