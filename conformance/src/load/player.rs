//! A player: connects, plays the stream live, and counts what arrives until the run ends or
//! the connection fails. It keeps no timer: the report finds it stalled from its counters.

use super::Target;
use super::link::Link;
use super::stamp;
use super::stats::{PlayerState, Shared};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use weir_media::{MediaKind, MediaPacket};
use weir_rtmp::session::{ClientEvent, StreamData};

/// play's start argument: live if the stream is live, else recorded (FFmpeg's default).
const LIVE_OR_RECORDED: f64 = -2.0;

/// Plays until an error, which is counted (with the first one's text) before returning.
/// `read_every`: see [`ReadBatching`]. A player that `measures` reads every segment and
/// records the delay of each stamped frame ([`stamp`]).
pub(super) async fn play(
    target: Arc<Target>,
    index: usize,
    shared: Arc<Shared>,
    read_every: Duration,
    measures: bool,
) {
    let read_every = if measures { Duration::ZERO } else { read_every };
    if let Err(e) = run(&target, index, &shared, read_every, measures).await {
        if let Some(slot) = shared.players.get(index) {
            slot.set_state(PlayerState::Failed);
        }
        shared.errors.note(|| format!("player {index}: {e}"));
    }
}

async fn run(
    target: &Target,
    index: usize,
    shared: &Arc<Shared>,
    read_every: Duration,
    measures: bool,
) -> Result<(), String> {
    let slot = shared
        .players
        .get(index)
        .ok_or_else(|| format!("no slot for player {index}"))?;
    let mut link = Link::open(target, index as u64, shared.clone()).await?;
    link.session
        .play(&target.stream, LIVE_OR_RECORDED)
        .map_err(|e| e.to_string())?;
    let mut batching = ReadBatching::new(read_every);
    let mut received = 0;
    let mut started = false;
    loop {
        let mut media = 0;
        let mut playing = false;
        link.flush(|event| {
            match event {
                ClientEvent::Data {
                    data: StreamData::Media(MediaPacket::Frame(frame)),
                    ..
                } if measures && frame.track.kind == MediaKind::Video => {
                    media += 1;
                    if let Some(sent) = stamp::read(&frame.data) {
                        shared.delays.record(stamp::now_us() as i64 - sent as i64);
                    }
                }
                ClientEvent::Data {
                    data: StreamData::Media(_) | StreamData::Unreadable { .. },
                    ..
                } => media += 1,
                ClientEvent::Playing { .. } => playing = true,
                ClientEvent::Status { status, .. } if status.is_error() => {
                    return Err(format!("{}: {}", status.code, status.description));
                }
                ClientEvent::ConnectRejected(status) => {
                    return Err(format!(
                        "connect rejected: {}: {}",
                        status.code, status.description
                    ));
                }
                _ => {}
            }
            Ok(())
        })
        .await?;
        // Media counts as started too, for servers that send no NetStream.Play.Start.
        if (playing || media > 0) && !started {
            started = true;
            slot.set_state(PlayerState::Playing);
            batching.playing(Instant::now());
        }
        if media > 0 {
            slot.media.fetch_add(media, Relaxed);
        }
        let n = link.receive().await?;
        slot.bytes.fetch_add(n as u64, Relaxed);
        received += n as u64;
        if let Some(bytes) = batching.received(Instant::now(), received) {
            link.wake_after(bytes)?;
        }
    }
}

/// How many bytes a player lets the kernel gather before it wakes: the stream's rate times
/// `every`, measured over the second second of play (the first holds the GOP burst). Until
/// then, and with `every` zero, it wakes for every segment, as a real player does.
#[derive(Debug)]
struct ReadBatching {
    every: Duration,
    state: Batching,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Batching {
    NotPlaying,
    /// Playing since then.
    Since(Instant),
    /// Counting from this time and byte count.
    Measuring(Instant, u64),
    Done,
}

/// What one wake may wait for at most, whatever the rate: well under the socket buffer.
const MAX_BATCH: u64 = 256 * 1024;

impl ReadBatching {
    fn new(every: Duration) -> Self {
        let state = if every.is_zero() {
            Batching::Done
        } else {
            Batching::NotPlaying
        };
        ReadBatching { every, state }
    }

    fn playing(&mut self, now: Instant) {
        if self.state == Batching::NotPlaying {
            self.state = Batching::Since(now);
        }
    }

    /// After a read, with `total` bytes received so far: the low-water mark to set, once.
    fn received(&mut self, now: Instant, total: u64) -> Option<usize> {
        let second = Duration::from_secs(1);
        match self.state {
            Batching::Since(since) if now - since >= second => {
                self.state = Batching::Measuring(now, total);
                None
            }
            Batching::Measuring(from, before) if now - from >= second => {
                self.state = Batching::Done;
                let rate = (total - before) as f64 / (now - from).as_secs_f64();
                let batch = (rate * self.every.as_secs_f64()) as u64;
                Some(batch.clamp(1, MAX_BATCH) as usize)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_the_rate_of_the_second_second_of_play() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut batching = ReadBatching::new(Duration::from_millis(100));
        assert_eq!(batching.received(at(0), 3_000), None, "not playing yet");
        batching.playing(at(100));
        assert_eq!(batching.received(at(600), 200_000), None, "the GOP burst");
        assert_eq!(
            batching.received(at(1100), 250_000),
            None,
            "measuring from here"
        );
        assert_eq!(batching.received(at(1600), 285_000), None);
        // 140 kB in 2 s: 70 kB/s, 7 kB per 100 ms.
        assert_eq!(batching.received(at(3100), 390_000), Some(7_000));
        assert_eq!(batching.received(at(9000), 900_000), None, "set once");
    }

    #[test]
    fn zero_reads_every_segment_and_the_batch_stays_bounded() {
        let t0 = Instant::now();
        let mut eager = ReadBatching::new(Duration::ZERO);
        eager.playing(t0);
        assert_eq!(eager.received(t0 + Duration::from_secs(5), 1 << 30), None);
        let mut batching = ReadBatching::new(Duration::from_secs(10));
        batching.playing(t0);
        batching.received(t0 + Duration::from_secs(1), 0);
        let huge = batching.received(t0 + Duration::from_secs(2), 1 << 30);
        assert_eq!(huge, Some(MAX_BATCH as usize));
        let mut silent = ReadBatching::new(Duration::from_millis(100));
        silent.playing(t0);
        silent.received(t0 + Duration::from_secs(1), 500);
        assert_eq!(silent.received(t0 + Duration::from_secs(2), 500), Some(1));
    }
}
