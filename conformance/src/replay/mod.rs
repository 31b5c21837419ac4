//! `weir replay CAPTURE --to rtmp://host:port/app/stream`: the client side of each RTMP flow
//! of a capture, re-sent to a live server — the handshake made afresh (the captured one cannot
//! be reused), every message re-chunked at the chunk sizes the client announced, stream names
//! and ids rewritten for the target, with the original pacing (or `--speed N`, or as fast as
//! possible) — and the server's answers compared with the captured server's, as a diff.
//!
//! Flows are replayed side by side, each starting when it started in the capture, so that a
//! capture of a publisher and a player replays as one: the player is fed by the publisher.
//! `--to http://...` replays HTTP flows instead ([`http`]: HTTP-FLV, HTTP-TS, HLS), `--to
//! udp://...` UDP flows of MPEG-TS and GB28181 PS, and `tcp://...` GB28181's RFC 4571 frames
//! ([`mpeg`]); `--to srt://...` unencrypted SRT flows, with a fresh handshake ([`srt`]);
//! `--to http://.../whip/...` WHIP sessions at the RTP layer, their SRTP decrypted with
//! `--keylog` ([`webrtc`]); their answers are lines of the same shape.
//! Each flow's answers are a verdict of the one vocabulary ([`FlowReplay::kind`]);
//! [`crate::report`] renders the [`ReplayReport`].

pub mod answers;
pub mod client;
pub mod flows;
pub mod http;
pub mod http_answers;
pub mod mpeg;
pub mod srt;
pub mod webrtc;

use crate::capture::Direction;
use crate::probe::Outcome;
use crate::probe::rtmp::conn::Conn;
use crate::verdict::Kind;
use answers::Answers;
use client::{Plan, Rewrite, Sent};
use flows::Flow;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use weir_media::Machine;
use weir_media::Output;
use weir_rtmp::session::{ClientEvent, ClientOptions, ClientSession, SessionConfig};
use weir_rtmp::url::RtmpUrl as Target;

/// How fast to re-send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// As captured, times `speed` (1.0: the original pacing).
    Speed(f64),
    /// Each message as soon as the previous command was answered.
    AsFastAsPossible,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// A pcap/pcapng capture, or the client half of a raw stream pair.
    pub capture: PathBuf,
    /// The server half of a raw stream pair.
    pub server_file: Option<PathBuf>,
    pub url: String,
    pub pacing: Pacing,
    /// How long a command's answer may take before the replay goes on without it.
    pub answer_timeout: Duration,
    /// For a replay to `udp://`: an HTTP-FLV URL of the stream the server makes of the
    /// datagrams, read back to compare its media with the capture's.
    pub play: Option<String>,
    /// For a replay to a WHIP endpoint: the SRTP key log the captured sessions are
    /// decrypted with.
    pub keylog: Option<PathBuf>,
}

/// One flow's replay.
#[derive(Debug, Clone)]
pub struct FlowReplay {
    pub flow: crate::capture::FlowId,
    pub client: std::net::SocketAddr,
    pub server: std::net::SocketAddr,
    /// Messages re-sent, of those the client sent.
    pub sent: usize,
    pub captured_messages: usize,
    pub captured: Answers,
    pub live: Answers,
    /// Why the replay of this flow stopped early or could not start.
    pub error: Option<String>,
    /// Why the captured client side was not read in full.
    pub truncated: Option<String>,
    pub elapsed: Duration,
}

impl FlowReplay {
    /// The answers differ (frame counts aside).
    pub fn differs(&self) -> bool {
        self.captured.lines != self.live.lines
    }

    /// Its verdict: not checked when the replay did not complete, failed when the live
    /// server answered otherwise.
    pub fn kind(&self) -> Kind {
        if self.error.is_some() {
            Kind::NotChecked
        } else if self.differs() {
            Kind::Fail
        } else {
            Kind::Pass
        }
    }

    /// A unified diff of the answers: `-` the captured server only, `+` the live server only.
    pub fn diff(&self) -> String {
        let captured = self.captured.lines.join("\n") + "\n";
        let live = self.live.lines.join("\n") + "\n";
        similar::TextDiff::from_lines(&captured, &live)
            .unified_diff()
            .context_radius(2)
            .header("captured server", "live server")
            .to_string()
    }
}

pub struct ReplayReport {
    pub input: String,
    pub url: String,
    /// Why the input could not be read.
    pub error: Option<String>,
    pub flows: Vec<FlowReplay>,
    /// Flows of the input past [`MAX_FLOWS`], not replayed.
    pub not_replayed: usize,
}

/// The most flows replayed from one input: each is a connection and a thread, side by side.
pub const MAX_FLOWS: usize = 64;

impl ReplayReport {
    /// The protocol whose flows are replayed, by the target's scheme.
    pub fn protocol(&self) -> &'static str {
        if crate::probe::whip::takes(&self.url) {
            "WebRTC (WHIP or WHEP)"
        } else if self.url.starts_with("http://") {
            "HTTP"
        } else if self.url.starts_with("udp://") {
            "MPEG-TS or GB28181 PS over UDP"
        } else if self.url.starts_with("tcp://") {
            "GB28181 PS over TCP"
        } else if self.url.starts_with("srt://") {
            "SRT"
        } else {
            "RTMP"
        }
    }

    /// 2 when the input could not be read, no flow of the protocol was in it or a flow could not be
    /// replayed; 1 when a server answered differently; 0 when every answer matched.
    pub fn exit_code(&self) -> i32 {
        if self.error.is_some()
            || self.flows.is_empty()
            || self.flows.iter().any(|f| f.error.is_some())
        {
            2
        } else if self.flows.iter().any(FlowReplay::differs) {
            1
        } else {
            0
        }
    }
}

/// Replays every RTMP flow of the input against the target.
pub fn run(options: &Options) -> ReplayReport {
    let mut report = ReplayReport {
        input: options.capture.display().to_string(),
        url: options.url.clone(),
        error: None,
        flows: Vec::new(),
        not_replayed: 0,
    };
    if crate::probe::whip::takes(&options.url) {
        return webrtc::run(options, report);
    }
    if options.url.starts_with("http://") {
        return http::run(options, report);
    }
    if options.url.starts_with("udp://") || options.url.starts_with("tcp://") {
        return mpeg::run(options, report);
    }
    if options.url.starts_with("srt://") {
        return srt::run(options, report);
    }
    let target = match Target::parse(&options.url) {
        Ok(target) => target,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let Some(flows) = read_flows(options, &[crate::protocols::Protocol::Rtmp], &mut report) else {
        return report;
    };
    let rewrite = std::sync::Arc::new(std::sync::Mutex::new(Rewrite::default()));
    let flows = flows.into_iter().map(|flow| (flow, ())).collect();
    side_by_side(flows, options.pacing, &mut report, move |flow, ()| {
        replay_flow(&flow, &target, options, &rewrite)
    });
    report
}

/// The input's flows of `protocols`, the first [`MAX_FLOWS`]; `None` when the input could not
/// be read (the report says why).
fn read_flows(
    options: &Options,
    protocols: &[crate::protocols::Protocol],
    report: &mut ReplayReport,
) -> Option<Vec<Flow>> {
    match flows::read(&options.capture, options.server_file.as_deref(), protocols) {
        Ok(mut flows) => {
            report.not_replayed = flows.len().saturating_sub(MAX_FLOWS);
            flows.truncate(MAX_FLOWS);
            Some(flows)
        }
        Err(e) => {
            report.error = Some(e);
            None
        }
    }
}

/// Replays each flow (with what goes with it) in a thread of its own, each starting when it
/// started in the capture, so that a publisher feeds the players captured with it; their
/// replays into the report, in order.
fn side_by_side<T: Send>(
    flows: Vec<(Flow, T)>,
    pacing: Pacing,
    report: &mut ReplayReport,
    replay: impl Fn(Flow, T) -> FlowReplay + Sync,
) {
    let first = flows
        .iter()
        .filter_map(|(f, _)| f.bytes[0].pieces.first().map(|(t, _)| *t))
        .min()
        .unwrap_or_default();
    let replay = &replay;
    std::thread::scope(|scope| {
        let handles: Vec<_> = flows
            .into_iter()
            .map(|(flow, with)| {
                let offset = flow.bytes[0]
                    .pieces
                    .first()
                    .map_or(Duration::ZERO, |(t, _)| *t)
                    .saturating_sub(first);
                scope.spawn(move || {
                    if let Pacing::Speed(speed) = pacing {
                        std::thread::sleep(offset.div_f64(speed.max(1e-3)));
                    }
                    replay(flow, with)
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(flow) => report.flows.push(flow),
                Err(_) => report.error = Some("a flow's replay panicked".into()),
            }
        }
    });
}

/// Bounds on a flow's replay besides its own pacing.
const SETTLE: Duration = Duration::from_secs(2);

fn replay_flow(
    flow: &Flow,
    target: &Target,
    options: &Options,
    rewrite: &std::sync::Mutex<Rewrite>,
) -> FlowReplay {
    let started = Instant::now();
    let (messages, truncated) = client::messages(&flow.bytes[Direction::ClientToServer.index()]);
    // Which command each transaction id was sent with (the same ids are replayed).
    let mut asked = HashMap::new();
    for sent in &messages {
        if let Plan::Command(command) = client::plan(&sent.raw)
            && command.transaction_id >= 1.0
        {
            asked.insert(command.transaction_id as u64, command.name.clone());
        }
    }
    let (captured, captured_streams) = captured_answers(flow, &asked);
    let mut replay = FlowReplay {
        flow: flow.id,
        client: flow.client,
        server: flow.server,
        sent: 0,
        captured_messages: messages.len(),
        captured,
        live: Answers::default(),
        error: None,
        truncated,
        elapsed: Duration::ZERO,
    };
    let duration = messages.last().map_or(Duration::ZERO, |m| m.time)
        - messages.first().map_or(Duration::ZERO, |m| m.time);
    let scaled = match options.pacing {
        Pacing::Speed(speed) => duration.div_f64(speed.max(1e-3)),
        Pacing::AsFastAsPossible => Duration::ZERO,
    };
    let deadline = Instant::now() + scaled + Duration::from_secs(30) + options.answer_timeout * 4;
    let session = ClientSession::manual(
        SessionConfig::default(),
        ClientOptions::new(&target.tc_url, &target.app),
        Instant::now(),
        Box::new(SmallRng::seed_from_u64(flow.id.0 ^ 0x5eed)),
    );
    let mut live = match Conn::connect(target, deadline, session) {
        Ok(conn) => conn,
        Err(outcome) => {
            replay.error = Some(describe(outcome));
            return replay;
        }
    };
    let mut events = Vec::new();
    let result = send_all(
        &mut live,
        &messages,
        target,
        options,
        rewrite,
        &captured_streams,
        &mut events,
        &mut replay.sent,
    );
    if let Err(outcome) = result {
        replay.error = Some(describe(outcome));
    }
    // The client stays as long as it stayed in the capture (what the server says meanwhile
    // counts), then leaves; a capture that ends with the client still there gets a moment
    // more.
    let first = messages.first().map_or(Duration::ZERO, |m| m.time);
    let stay = match (
        flow.bytes[Direction::ClientToServer.index()].closed,
        options.pacing,
    ) {
        (Some(closed), Pacing::Speed(speed)) => {
            let last = messages.last().map_or(first, |m| m.time);
            closed
                .saturating_sub(last)
                .div_f64(speed.max(1e-3))
                .min(SETTLE * 15)
        }
        (Some(_), Pacing::AsFastAsPossible) => Duration::ZERO,
        (None, _) => SETTLE,
    };
    let _ = live.idle(stay);
    events.extend(live.events.drain(..));
    replay.live = Answers::from_events(&events, &asked);
    replay.elapsed = started.elapsed();
    replay
}

fn describe(outcome: Outcome) -> String {
    match outcome {
        Outcome::Fail { expected, actual } => format!("expected {expected}; {actual}"),
        Outcome::Error(why)
        | Outcome::Skipped(why)
        | Outcome::Informational(why)
        | Outcome::Pass(why) => why,
    }
}

/// The captured server's answers, and the message stream ids its createStream answers gave,
/// in order.
fn captured_answers(flow: &Flow, asked: &HashMap<u64, String>) -> (Answers, Vec<u32>) {
    let rng = Box::new(SmallRng::seed_from_u64(0));
    let mut observer = ClientSession::observer(SessionConfig::default(), rng);
    for (txn, name) in asked {
        observer.note_request(name, *txn as f64);
    }
    let mut events = Vec::new();
    for (_, piece) in &flow.bytes[Direction::ServerToClient.index()].pieces {
        if observer.handle_input(Instant::now(), piece).is_err() {
            break;
        }
        while let Some(out) = observer.poll_output() {
            if let Output::Event(event) = out {
                events.push(event);
            }
        }
    }
    let streams = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::StreamCreated { stream_id } => Some(*stream_id),
            _ => None,
        })
        .collect();
    (Answers::from_events(&events, asked), streams)
}

/// Re-sends the captured messages, paced, waiting for the answers a client waits for.
#[allow(clippy::too_many_arguments)]
fn send_all(
    live: &mut Conn,
    messages: &[Sent],
    target: &Target,
    options: &Options,
    rewrite: &std::sync::Mutex<Rewrite>,
    captured_streams: &[u32],
    events: &mut Vec<ClientEvent>,
    sent: &mut usize,
) -> Result<(), Outcome> {
    live.flush()?;
    live.until("the handshake", |e| matches!(e, ClientEvent::Handshake(_)))?;
    let start = Instant::now();
    let t0 = messages.first().map_or(Duration::ZERO, |m| m.time);
    let mut live_streams: Vec<u32> = Vec::new();
    for message in messages {
        if let Pacing::Speed(speed) = options.pacing {
            let due = start + (message.time - t0).div_f64(speed.max(1e-3));
            while let Some(left) = due.checked_duration_since(Instant::now()) {
                live.read(left)?;
                collect(live, events, &mut live_streams);
            }
        }
        // The live id of a captured message stream: the createStream answer in the same place.
        let mut raw = message.raw.clone();
        if raw.stream_id != 0
            && let Some(i) = captured_streams.iter().position(|&id| id == raw.stream_id)
        {
            let by = Instant::now() + options.answer_timeout;
            while live_streams.len() <= i && Instant::now() < by {
                live.read(Duration::from_millis(50))?;
                collect(live, events, &mut live_streams);
            }
            if let Some(&id) = live_streams.get(i) {
                raw.stream_id = id;
            }
        }
        let map_stream = |id: u32| {
            captured_streams
                .iter()
                .position(|&c| c == id)
                .and_then(|i| live_streams.get(i).copied())
                .unwrap_or(id)
        };
        let waits_for = match client::plan(&raw) {
            Plan::Skip => continue,
            Plan::AsIs => {
                live.session
                    .send_raw(&raw)
                    .map_err(|e| Outcome::error(e.to_string()))?;
                None
            }
            Plan::Command(command) => {
                let command = rewrite
                    .lock()
                    .expect("no replay thread panics holding it")
                    .command(target, command, map_stream);
                if command.transaction_id >= 1.0 {
                    live.session
                        .note_request(&command.name, command.transaction_id);
                }
                let waits = match command.name.as_str() {
                    "connect" | "createStream" | "publish" | "play" => Some(command.name.clone()),
                    _ => None,
                };
                live.session
                    .send_raw(&client::encode(command, &raw, raw.stream_id))
                    .map_err(|e| Outcome::error(e.to_string()))?;
                waits
            }
        };
        live.flush()?;
        *sent += 1;
        if let Some(name) = waits_for {
            let answered = |e: &ClientEvent| match name.as_str() {
                "connect" => matches!(
                    e,
                    ClientEvent::Connected { .. } | ClientEvent::ConnectRejected(_)
                ),
                "createStream" => matches!(e, ClientEvent::StreamCreated { .. }),
                _ => matches!(e, ClientEvent::Status { .. }),
            };
            let by = Instant::now() + options.answer_timeout;
            while !live.events.iter().any(answered) && Instant::now() < by {
                if let crate::probe::rtmp::conn::Read1::Closed(why) =
                    live.read(Duration::from_millis(50))?
                {
                    collect(live, events, &mut live_streams);
                    return Err(Outcome::fail(format!("an answer to {name}"), why));
                }
            }
        }
        live.read(Duration::from_millis(1))?;
        collect(live, events, &mut live_streams);
    }
    Ok(())
}

/// Moves the live connection's events into `events`, noting createStream answers.
fn collect(live: &mut Conn, events: &mut Vec<ClientEvent>, streams: &mut Vec<u32>) {
    for event in live.events.drain(..) {
        if let ClientEvent::StreamCreated { stream_id } = &event {
            streams.push(*stream_id);
        }
        events.push(event);
    }
}
