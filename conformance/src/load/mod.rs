//! `weir load`: many RTMP or WHEP players (and optionally one RTMP publisher) in one process,
//! to measure a server's fan-out (issue "Reference server", section "Load generator and
//! performance").
//!
//! An RTMP player is our [`ClientSession`](weir_rtmp::session::ClientSession) playing over its
//! own TCP connection; a WHEP player (the URL is an `http://` endpoint with `/whep` in its
//! path: `whep.rs`) is a str0m peer on its own UDP socket. The publisher sends an FLV file in a
//! loop at its own pace over RTMP. Everything runs on one thread: a player costs a task, a
//! socket and a client machine, and wakes only when its socket has bytes or its timer fires.
//! Once a second one line reports the players playing, the aggregate rate, the players that
//! stalled and the connection errors.
//!
//! `gb28181.rs` is the other kind of load: simulated GB28181 devices that register through the
//! server's API and stream PS over RTP (`weir load --gb28181`).

pub mod gb28181;
mod link;
mod player;
mod publisher;
mod stamp;
mod stats;
mod summary;
mod whep;

pub use crate::target::Target;
pub use publisher::FlvLoop;
pub use summary::{Published, Summary};
pub use whep::WhepTarget;

use stats::{Shared, Tally};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `rtmp://host[:port]/app/stream`: what players play and the publisher publishes; or a
    /// WHEP endpoint (`http://host:port/rtc/v1/whep/?app=APP&stream=NAME`) for WebRTC players.
    pub url: String,
    /// Where the publisher publishes, when not `url`: by default `url` itself, or for a WHEP
    /// `url` naming `app` and `stream`, `rtmp://host/APP/NAME`.
    pub publish_to: Option<String>,
    pub players: u32,
    /// An FLV file to publish in a loop before the players start.
    pub publish: Option<PathBuf>,
    /// How long to run; `None` runs until SIGINT or SIGTERM.
    pub duration: Option<Duration>,
    /// Players started per second; 0 starts them all at once.
    pub ramp: u32,
    /// The first part of the run the summary's rate leaves out (connecting, GOP bursts).
    pub warmup: Duration,
    /// Once playing steadily, a player wakes when about this much of the stream is waiting
    /// rather than for every TCP segment; zero wakes for every segment.
    pub read_every: Duration,
    /// How many of the players (the first ones) read every segment and measure the delay the
    /// server adds to each video frame (the publisher stamps them: `load/stamp.rs`).
    pub delay_players: u32,
}

/// Runs the load on a current-thread runtime, writing one line a second to `progress`.
/// Fails before any player starts when the URL or the file is bad or publishing is refused.
pub fn run(options: &LoadOptions, progress: &mut dyn Write) -> Result<Summary, String> {
    let players = if WhepTarget::is_whep(&options.url) {
        Players::Whep(Arc::new(WhepTarget::parse(&options.url)?))
    } else {
        Players::Rtmp(Arc::new(Target::parse(&options.url)?))
    };
    if let Some(duration) = options.duration
        && options.warmup >= duration
    {
        return Err(format!(
            "the warm-up ({:?}) must be shorter than the duration ({duration:?})",
            options.warmup
        ));
    }
    let file = match &options.publish {
        Some(path) => {
            let to = match (&options.publish_to, &players) {
                (Some(url), _) => Arc::new(Target::parse(url)?),
                (None, Players::Rtmp(target)) => target.clone(),
                (None, Players::Whep(whep)) => {
                    let url = whep.rtmp_url().ok_or_else(|| {
                        format!(
                            "{}: no app= and stream= to publish to: give --publish-to",
                            options.url
                        )
                    })?;
                    Arc::new(Target::parse(&url)?)
                }
            };
            Some((to, Arc::new(FlvLoop::read(path)?)))
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let summary = runtime.block_on(drive(options, players, file, progress));
    // The players and the publisher end with the runtime.
    runtime.shutdown_background();
    summary
}

/// What the players play.
#[derive(Debug, Clone)]
enum Players {
    Rtmp(Arc<Target>),
    Whep(Arc<WhepTarget>),
}

/// How long the end of the run waits for the WHEP players' `DELETE`s.
const GOODBYE: Duration = Duration::from_secs(3);

async fn drive(
    options: &LoadOptions,
    players: Players,
    file: Option<(Arc<Target>, Arc<FlvLoop>)>,
    progress: &mut dyn Write,
) -> Result<Summary, String> {
    let shared = Arc::new(Shared::new(options.players));
    if let Some((target, file)) = &file {
        let (ready, started) = tokio::sync::oneshot::channel();
        let publisher = publisher::publish(target.clone(), file.clone(), shared.clone(), ready);
        tokio::spawn(publisher);
        started
            .await
            .map_err(|_| "the publisher ended before publishing".to_owned())??;
    }
    let start = Instant::now();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(ramp(
        players,
        shared.clone(),
        options.ramp,
        options.read_every,
        options.delay_players as usize,
        stopped,
    ));

    let second = Duration::from_secs(1);
    let mut ticks = tokio::time::interval_at(start + second, second);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut interrupt = std::pin::pin!(interrupted());
    let mut tally = Tally::new(shared.players.len());
    let (mut last_time, mut last_bytes) = (start, 0);
    let mut baseline = options.warmup.is_zero().then_some((start, 0));
    // No warm-up: delays count from the start too.
    if baseline.is_some() {
        shared.delays.measuring.store(true, Relaxed);
    }
    let mut error_shown = false;
    let (end, sample) = loop {
        let interrupted = tokio::select! {
            _ = ticks.tick() => false,
            _ = &mut interrupt => true,
        };
        let now = Instant::now();
        let sample = tally.sample(&shared.players);
        let elapsed = now - start;
        let rate = summary::mbps(sample.bytes - last_bytes, now - last_time);
        let _ = writeln!(
            progress,
            "{:7.1}s  players {}/{}  {rate:9.2} Mbit/s  stalled {}  errors {}",
            elapsed.as_secs_f64(),
            sample.connected,
            options.players,
            sample.stalled,
            shared.errors.count()
        );
        if !error_shown && let Some(error) = shared.errors.first() {
            let _ = writeln!(progress, "  first error: {error}");
            error_shown = true;
        }
        (last_time, last_bytes) = (now, sample.bytes);
        if baseline.is_none() && elapsed >= options.warmup {
            baseline = Some((now, sample.bytes));
            shared.delays.measuring.store(true, Relaxed);
        }
        if interrupted || options.duration.is_some_and(|d| elapsed >= d) {
            break (now, sample);
        }
    };
    let (measure_from, bytes_before) = baseline.unwrap_or((end, sample.bytes));
    // The ramp and the WHEP players end, the latter deleting their sessions; the RTMP ones end
    // with the runtime.
    let _ = stop.send(true);
    let _ = tokio::time::timeout(GOODBYE, stop.closed()).await;
    let publisher = &shared.publisher;
    Ok(Summary {
        url: options.url.clone(),
        players: options.players,
        connected: sample.connected,
        stalled: sample.stalled,
        silent: sample.silent,
        errors: shared.errors.count(),
        first_error: shared.errors.first(),
        violations: shared.violations.count(),
        first_violation: shared.violations.first(),
        elapsed: end - start,
        measured: end - measure_from,
        bytes: sample.bytes,
        measured_bytes: sample.bytes - bytes_before,
        media: sample.media,
        delay_ms: shared.delays.percentiles(),
        published: file.map(|_| Published {
            tags: publisher.tags.load(Relaxed),
            bytes: publisher.bytes.load(Relaxed),
            loops: publisher.loops.load(Relaxed),
        }),
    })
}

/// Waits for SIGINT or SIGTERM (whichever the process can receive: a shell's background job
/// ignores SIGINT).
async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    let wait = |kind| async move {
        match signal(kind) {
            Ok(mut signal) => signal.recv().await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = wait(SignalKind::interrupt()) => {}
        _ = wait(SignalKind::terminate()) => {}
    }
}

/// Starts the players, `per_second` a second (all at once for 0), until `stop` changes; the
/// first `measuring` of them measure delays.
async fn ramp(
    players: Players,
    shared: Arc<Shared>,
    per_second: u32,
    read_every: Duration,
    measuring: usize,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let start = Instant::now();
    for index in 0..shared.players.len() {
        if per_second > 0 {
            let due = start + Duration::from_secs_f64(index as f64 / f64::from(per_second));
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = stop.changed() => return,
            }
        }
        let measures = index < measuring;
        let shared = shared.clone();
        match &players {
            Players::Rtmp(target) => {
                let target = target.clone();
                tokio::spawn(player::play(target, index, shared, read_every, measures));
            }
            Players::Whep(target) => {
                let player = whep::play(target.clone(), index, shared, measures, stop.clone());
                tokio::spawn(player);
            }
        }
    }
}
