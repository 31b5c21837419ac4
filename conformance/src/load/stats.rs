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

/// Everything the run's tasks count.
#[derive(Debug)]
pub(super) struct Shared {
    pub players: Box<[PlayerSlot]>,
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
        for (player, &changed) in players.iter().zip(&self.last_change) {
            if player.state() == PlayerState::Playing {
                connected += 1;
                // Silence counts only while others receive: no publisher is no stall.
                if receiving > 0 && self.tick - changed >= STALL_TICKS {
                    stalled += 1;
                }
            }
        }
        Sample {
            connected,
            stalled,
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
    fn first_of_keeps_the_first_text_and_counts_all() {
        let errors = FirstOf::default();
        assert_eq!((errors.count(), errors.first()), (0, None));
        errors.note(|| "one".into());
        errors.note(|| unreachable!("built only for the first"));
        assert_eq!((errors.count(), errors.first()), (2, Some("one".into())));
    }
}
