//! `weir check`: captures (or raw stream pairs) through the flow table, protocol detection and
//! the observers, into a transcript and a verdict per rule per flow.
//!
//! ```no_run
//! use weir_conformance::check::{self, Input, Options};
//! let report = check::run(&[Input::Capture("session.pcap".into())], &Options::default());
//! print!("{}", report.transcript_yaml());
//! std::process::exit(report.exit_code());
//! ```
//!
//! [`Checker`] is the same pipeline fed event by event, for tests and for callers with events
//! of their own.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use weir_media::Track;

use crate::capture::{
    CaptureEvents, CloseReason, Direction, Event, FileEvents, FlowEvent, FlowId, Limits,
    StreamPair, Transport,
};
use crate::detect::{self, DecodeAs};
use crate::media_summary::TrackSummary;
use crate::observe::http::reloads::SharedReloads;
use crate::observe::{Observation, Observer};
use crate::protocols::{self, Protocol};
use crate::sniff;
use crate::transcript::{Entry, EntryKind, Reason};
use crate::verdict::{Failure, Selection, Tally, Verdict};

/// What `weir check` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A pcap or pcapng file. A file that is neither is read by what its first bytes say: a
    /// transport stream (sync bytes every 188, 192 or 204 bytes) or an HLS playlist
    /// (`#EXTM3U`) as one pseudo-flow ([`Transport::File`]); otherwise, if it is one half of
    /// a raw stream pair (a name with `client` whose `server` sibling exists, as the corpus's
    /// fq pairs), as that pair.
    Capture(PathBuf),
    /// Two raw byte streams of one connection.
    Pair { client: PathBuf, server: PathBuf },
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Capture(path) => file_name(path),
            Input::Pair { client, server } => {
                format!("{} + {}", file_name(client), file_name(server))
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub selection: Selection,
    pub decode_as: DecodeAs,
    pub limits: Limits,
    /// Draw a progress bar on standard error (only when it is a terminal).
    pub progress: bool,
}

/// How much of a flow its observer read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Full,
    /// Observed until it could not go on: why.
    Partial(String),
    /// No observer read it: why.
    NotObserved(String),
}

/// One flow's result.
#[derive(Debug, Clone)]
pub struct FlowReport {
    pub id: FlowId,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub transport: Transport,
    pub midstream: bool,
    pub protocol: Protocol,
    pub detected_by: Reason,
    pub coverage: Coverage,
    /// Stream bytes (or datagram bytes) per direction: client→server, server→client.
    pub bytes: [u64; 2],
    pub tracks: Vec<(Direction, Track, TrackSummary)>,
    pub verdicts: Vec<Verdict>,
    /// Capture times (since the input's start) of the flow's first and last event.
    pub first_time: Duration,
    pub last_time: Duration,
}

impl FlowReport {
    pub fn counted_failures(&self) -> usize {
        self.verdicts.iter().filter(|v| v.counted_failure()).count()
    }
}

/// One input's result.
#[derive(Debug, Clone)]
pub struct InputReport {
    pub name: String,
    /// Why the input could not be read (in full): the check exits 2.
    pub error: Option<String>,
    pub flows: Vec<FlowReport>,
    pub entries: Vec<Entry>,
    /// Packets not opened to a flow, per kind.
    pub unopened: BTreeMap<&'static str, u64>,
}

/// Everything `weir check` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub inputs: Vec<InputReport>,
    pub strict: bool,
}

impl Report {
    /// Verdicts that make the check fail.
    pub fn counted_failures(&self) -> usize {
        self.flows().map(FlowReport::counted_failures).sum()
    }

    pub fn flows(&self) -> impl Iterator<Item = &FlowReport> {
        self.inputs.iter().flat_map(|i| &i.flows)
    }

    /// 2 when an input could not be read, 1 when a counted rule failed, 0 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.inputs.iter().any(|i| i.error.is_some()) {
            2
        } else if self.counted_failures() > 0 {
            1
        } else {
            0
        }
    }

    /// The transcripts as YAML, one document per input.
    pub fn transcript_yaml(&self) -> String {
        crate::report::transcript(self)
    }
}

/// Runs the check over every input.
pub fn run(inputs: &[Input], options: &Options) -> Report {
    Report {
        inputs: inputs
            .iter()
            .map(|input| check_input(input, options))
            .collect(),
        strict: options.selection.strict,
    }
}

fn check_input(input: &Input, options: &Options) -> InputReport {
    let name = input.name();
    let unreadable = |e: String| InputReport {
        name: name.clone(),
        error: Some(e),
        flows: Vec::new(),
        entries: Vec::new(),
        unopened: BTreeMap::new(),
    };
    match input {
        Input::Pair { client, server } => match read_pair(client, server) {
            Ok(pair) => check_pair(&name, &pair, options),
            Err(e) => unreadable(e),
        },
        Input::Capture(path) => {
            let open = || File::open(path).map_err(|e| format!("{}: {e}", path.display()));
            let file = match open() {
                Ok(file) => file,
                Err(e) => return unreadable(e),
            };
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let head = match read_head(&file) {
                Ok(head) => head,
                Err(e) => return unreadable(format!("{}: {e}", path.display())),
            };
            let complete = (head.len() as u64) >= size;
            let as_file = detect::sniff_file(&head, complete)
                .is_some_and(|(protocol, _)| protocol != Protocol::Unknown);
            // The head was read from `file`: the whole is read from a fresh handle.
            let file = match open() {
                Ok(file) => file,
                Err(e) => return unreadable(e),
            };
            let progress = Progress::new(options.progress, size);
            let reader = progress.wrap(BufReader::with_capacity(1 << 20, file));
            if as_file {
                return check_file(&name, reader, options);
            }
            match CaptureEvents::new(reader, options.limits) {
                Ok(events) => check_events(&name, events, options),
                Err(e) => match pair_sibling(path) {
                    Some(server) => match read_pair(path, &server) {
                        Ok(pair) => check_pair(&name, &pair, options),
                        Err(e) => unreadable(e),
                    },
                    None => unreadable(match sniff::not_a_file_we_read(&head) {
                        Some(what) => format!("{}: {what}", path.display()),
                        None => format!(
                            "{}: neither a capture ({e}) nor a transport stream or an HLS \
                             playlist",
                            path.display()
                        ),
                    }),
                },
            }
        }
    }
}

/// The first bytes of a file, enough for [`detect::sniff_file`].
fn read_head(file: &File) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(detect::MAX_SNIFF);
    file.take(detect::MAX_SNIFF as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// A file read whole as one pseudo-flow: its content decides the observer, as a flow's does.
fn check_file<'r>(name: &str, reader: impl Read + 'r, options: &Options) -> InputReport {
    let mut checker = Checker::new(name, options);
    let mut error = None;
    for event in FileEvents::new(reader) {
        match event {
            Ok(event) => checker.push(event),
            Err(e) => error = Some(format!("{name}: {e}")),
        }
    }
    let mut report = checker.finish();
    report.error = error;
    report
}

fn check_events<'r>(name: &str, events: CaptureEvents<'r>, options: &Options) -> InputReport {
    let mut checker = Checker::new(name, options);
    let mut error = None;
    for event in events {
        match event {
            Ok(event) => checker.push(event),
            Err(e) => error = Some(e.to_string()),
        }
    }
    let mut report = checker.finish();
    report.error = error;
    report
}

fn check_pair(name: &str, pair: &StreamPair, options: &Options) -> InputReport {
    let mut checker = Checker::new(name, options);
    for event in pair.events() {
        checker.push(event);
    }
    checker.finish()
}

/// `X_client_Y`'s sibling `X_server_Y`, when it exists.
fn pair_sibling(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let sibling = path.with_file_name(name.replacen("client", "server", 1));
    (name.contains("client") && sibling.is_file()).then_some(sibling)
}

/// The two files of a raw stream pair; the addresses are placeholders (RTMP's port on the
/// server side).
pub fn read_pair(client: &Path, server: &Path) -> Result<StreamPair, String> {
    let read = |path: &Path| {
        std::fs::read(path)
            .map(Bytes::from)
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    Ok(StreamPair {
        client: SocketAddr::from(([127, 0, 0, 1], 50000)),
        server: SocketAddr::from(([127, 0, 0, 2], 1935)),
        client_to_server: read(client)?,
        server_to_client: read(server)?,
    })
}

/// Bytes a flow may hold back while its protocol is undecided.
const MAX_HELD: usize = 64 << 10;
/// Unopened packets listed in the transcript per input (the rest are counted).
const MAX_UNOPENED_LISTED: u64 = 100;
/// Violations of one rule listed in the transcript per flow direction (the rest are counted).
pub const MAX_VIOLATIONS_LISTED: u64 = 20;

enum Stage {
    /// Holding events until the content says what the flow is.
    Sniffing {
        held: Vec<Event>,
        sniff: [Vec<u8>; 2],
        held_bytes: usize,
    },
    Observing(Box<dyn Observer>),
    /// Detected (or not), but no observer reads it.
    Listed,
}

struct FlowState {
    report: FlowReport,
    stage: Stage,
    tally: Tally,
    /// Violations seen per direction and rule (the transcript lists the first few).
    violations_seen: BTreeMap<(Direction, &'static str), u64>,
    media: BTreeMap<(Direction, Track), TrackSummary>,
    closed: Option<CloseReason>,
}

/// The check pipeline for one input, fed events in capture order.
pub struct Checker<'o> {
    options: &'o Options,
    name: String,
    start: Option<Duration>,
    flows: HashMap<FlowId, FlowState>,
    done: Vec<FlowReport>,
    entries: Vec<Entry>,
    unopened: BTreeMap<&'static str, u64>,
    scratch: Vec<Observation>,
    /// The playlist loads of the input's HTTP flows, compared URL by URL.
    reloads: SharedReloads,
}

impl<'o> Checker<'o> {
    pub fn new(name: &str, options: &'o Options) -> Self {
        Checker {
            options,
            name: name.to_owned(),
            start: None,
            flows: HashMap::new(),
            done: Vec::new(),
            entries: Vec::new(),
            unopened: BTreeMap::new(),
            scratch: Vec::new(),
            reloads: SharedReloads::default(),
        }
    }

    pub fn push(&mut self, event: Event) {
        let start = *self.start.get_or_insert(event.time);
        let time = event.time.saturating_sub(start);
        match &event.event {
            FlowEvent::Opened {
                flow,
                client,
                server,
                transport,
                midstream,
            } => {
                let report = FlowReport {
                    id: *flow,
                    client: *client,
                    server: *server,
                    transport: *transport,
                    midstream: *midstream,
                    protocol: Protocol::Unknown,
                    detected_by: Reason::Nothing,
                    coverage: Coverage::Full,
                    bytes: [0; 2],
                    tracks: Vec::new(),
                    verdicts: Vec::new(),
                    first_time: time,
                    last_time: time,
                };
                self.entries.push(Entry {
                    time,
                    flow: Some(*flow),
                    dir: None,
                    proto: None,
                    kind: EntryKind::Opened {
                        client: *client,
                        server: *server,
                        transport: *transport,
                        midstream: *midstream,
                    },
                });
                let mut state = FlowState {
                    report,
                    stage: Stage::Sniffing {
                        held: Vec::new(),
                        sniff: [Vec::new(), Vec::new()],
                        held_bytes: 0,
                    },
                    tally: Tally::default(),
                    violations_seen: BTreeMap::new(),
                    media: BTreeMap::new(),
                    closed: None,
                };
                let ports = (server.port(), client.port());
                if *transport != Transport::File
                    && let Some((port, protocol)) = self.options.decode_as.lookup(ports.0, ports.1)
                {
                    self.decide(&mut state, time, protocol, Reason::DecodeAs(port));
                }
                self.flows.insert(*flow, state);
            }
            FlowEvent::Unopened { packet, reason } => {
                let count = self.unopened.entry(reason.kind()).or_default();
                *count += 1;
                if self.unopened.values().sum::<u64>() <= MAX_UNOPENED_LISTED {
                    self.entries.push(Entry {
                        time,
                        flow: None,
                        dir: None,
                        proto: None,
                        kind: EntryKind::Unopened {
                            packet: *packet,
                            reason: reason.clone(),
                        },
                    });
                }
            }
            FlowEvent::Data { flow, .. }
            | FlowEvent::Gap { flow, .. }
            | FlowEvent::Finished { flow, .. }
            | FlowEvent::Datagram { flow, .. }
            | FlowEvent::Closed { flow, .. } => {
                let flow = *flow;
                let Some(mut state) = self.flows.remove(&flow) else {
                    return;
                };
                state.report.last_time = time;
                let closed = match event.event {
                    FlowEvent::Closed { reason, .. } => Some(reason),
                    _ => None,
                };
                if let Stage::Sniffing {
                    held,
                    sniff,
                    held_bytes,
                } = &mut state.stage
                {
                    let decision = sniff_event(&state.report, &event.event, sniff, held_bytes);
                    held.push(event);
                    if let Some((protocol, reason)) = decision {
                        self.decide(&mut state, time, protocol, reason);
                    }
                } else {
                    self.dispatch(&mut state, time, &event.event);
                }
                if closed.is_some() {
                    state.closed = closed;
                    self.close(state);
                } else {
                    self.flows.insert(flow, state);
                }
            }
        }
    }

    /// Closes what the input left open and judges every flow.
    pub fn finish(mut self) -> InputReport {
        let mut open: Vec<FlowId> = self.flows.keys().copied().collect();
        open.sort();
        for id in open {
            if let Some(state) = self.flows.remove(&id) {
                self.close(state);
            }
        }
        self.done.sort_by_key(|f| f.id);
        InputReport {
            name: self.name,
            error: None,
            flows: self.done,
            entries: self.entries,
            unopened: self.unopened,
        }
    }

    fn decide(
        &mut self,
        state: &mut FlowState,
        time: Duration,
        protocol: Protocol,
        reason: Reason,
    ) {
        let report = &mut state.report;
        report.protocol = protocol;
        report.detected_by = reason.clone();
        let entry = |kind| Entry {
            time,
            flow: Some(report.id),
            dir: None,
            proto: Some(protocol.name()),
            kind,
        };
        self.entries.push(entry(EntryKind::Detected(reason)));
        let observer = protocol.observer(&protocols::Flow {
            transport: report.transport,
            server: report.server,
            midstream: report.midstream,
            reloads: &self.reloads,
        });
        let stage = match observer {
            Ok(observer) => Stage::Observing(observer),
            Err(why) => {
                if protocol != Protocol::Unknown {
                    self.entries.push(entry(EntryKind::GaveUp(why.clone())));
                }
                report.coverage = Coverage::NotObserved(why);
                Stage::Listed
            }
        };
        if let Stage::Sniffing { held, .. } = std::mem::replace(&mut state.stage, stage) {
            // Held events count from here: their bytes were not counted while sniffing.
            for event in held {
                let time = event.time.saturating_sub(self.start.unwrap_or_default());
                self.dispatch(state, time, &event.event);
            }
        }
    }

    fn dispatch(&mut self, state: &mut FlowState, time: Duration, event: &FlowEvent) {
        let mut out = std::mem::take(&mut self.scratch);
        let report = &state.report;
        let entry_at = |dir, kind| flow_entry(report, time, dir, kind);
        let observer = match &mut state.stage {
            Stage::Observing(observer) => Some(observer),
            _ => None,
        };
        match event {
            FlowEvent::Data {
                direction,
                offset,
                bytes,
                ..
            } => {
                state.report.bytes[direction.index()] += bytes.len() as u64;
                if let Some(observer) = observer {
                    observer.data(*direction, *offset, bytes, &mut out);
                }
            }
            FlowEvent::Datagram {
                direction, bytes, ..
            } => {
                state.report.bytes[direction.index()] += bytes.len() as u64;
                if let Some(observer) = observer {
                    observer.datagram(*direction, bytes, &mut out);
                }
            }
            FlowEvent::Gap {
                direction,
                offset,
                len,
                ..
            } => {
                let kind = EntryKind::Gap {
                    offset: *offset,
                    len: *len,
                };
                self.entries.push(entry_at(Some(*direction), kind));
                if let Some(observer) = observer {
                    observer.gap(*direction, *offset, *len, &mut out);
                }
            }
            FlowEvent::Finished {
                direction, offset, ..
            } => {
                let kind = EntryKind::Finished { offset: *offset };
                self.entries.push(entry_at(Some(*direction), kind));
                if let Some(observer) = observer {
                    observer.finished(*direction, *offset, &mut out);
                }
            }
            FlowEvent::Closed { .. } | FlowEvent::Opened { .. } | FlowEvent::Unopened { .. } => {}
        }
        self.absorb(state, time, &mut out);
        self.scratch = out;
    }

    /// What an observer saw: entries into the transcript (violations into the tally too, and
    /// into the transcript up to [`MAX_VIOLATIONS_LISTED`] per rule), media into the tracks.
    fn absorb(&mut self, state: &mut FlowState, time: Duration, out: &mut Vec<Observation>) {
        for observation in out.drain(..) {
            match observation {
                Observation::Entry(dir, kind) => {
                    if let EntryKind::Violation {
                        rule,
                        offset,
                        detail,
                        ..
                    } = &kind
                    {
                        let failure = Failure {
                            time,
                            dir,
                            offset: *offset,
                            detail: detail.clone(),
                        };
                        state.tally.record(rule, failure);
                        let seen = state.violations_seen.entry((dir, rule.id)).or_default();
                        *seen += 1;
                        if *seen > MAX_VIOLATIONS_LISTED {
                            continue;
                        }
                    }
                    self.entries
                        .push(flow_entry(&state.report, time, Some(dir), kind));
                }
                Observation::Config(dir, config) => {
                    let track = state.media.entry((dir, config.track)).or_default();
                    if let Err(e) = track.config(&config)
                        && let Some(rule) = e.rule
                    {
                        let detail = format!(
                            "{} {} decoder configuration, byte {} of the record: {}",
                            crate::media_summary::track_name(config.track),
                            config.codec,
                            e.offset,
                            e.detail
                        );
                        let failure = Failure {
                            time,
                            dir,
                            offset: None,
                            detail: detail.clone(),
                        };
                        state.tally.record(rule, failure);
                        let kind = EntryKind::Violation {
                            rule,
                            offset: None,
                            detail,
                            fatal: false,
                        };
                        self.entries
                            .push(flow_entry(&state.report, time, Some(dir), kind));
                    }
                }
                Observation::Frame(dir, frame) => {
                    state
                        .media
                        .entry((dir, frame.track))
                        .or_default()
                        .frame(&frame);
                }
            }
        }
    }

    fn close(&mut self, mut state: FlowState) {
        if let Stage::Sniffing { sniff, .. } = &state.stage {
            let decision = decide_at_end(&state.report, sniff);
            let time = state.report.last_time;
            self.decide(&mut state, time, decision.0, decision.1);
        }
        let time = state.report.last_time;
        if let Stage::Observing(observer) = &mut state.stage {
            let mut out = std::mem::take(&mut self.scratch);
            observer.closed(&mut out);
            self.absorb(&mut state, time, &mut out);
            self.scratch = out;
        }
        let (id, protocol) = (state.report.id, state.report.protocol);
        let mut unlisted: Vec<_> = state
            .violations_seen
            .iter()
            .filter(|(_, seen)| **seen > MAX_VIOLATIONS_LISTED)
            .collect();
        unlisted.sort();
        for ((dir, rule), seen) in unlisted {
            self.entries.push(Entry {
                time,
                flow: Some(id),
                dir: Some(*dir),
                proto: Some(protocol.name()),
                kind: EntryKind::Event(format!(
                    "{} more {rule} violations not listed (all are counted in the verdict)",
                    seen - MAX_VIOLATIONS_LISTED
                )),
            });
        }
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let tracks: Vec<_> = state
                .media
                .iter()
                .filter(|((d, _), _)| *d == dir)
                .map(|((_, track), summary)| summary.to_node(*track))
                .collect();
            if !tracks.is_empty() {
                self.entries.push(Entry {
                    time,
                    flow: Some(id),
                    dir: Some(dir),
                    proto: Some(protocol.name()),
                    kind: EntryKind::Media(tracks),
                });
            }
        }
        if let Stage::Observing(observer) = &state.stage
            && !observer.complete()
        {
            state.report.coverage =
                Coverage::Partial("a direction could not be read to its end".into());
        }
        let reason = state.closed.unwrap_or(CloseReason::EndOfCapture);
        self.entries.push(Entry {
            time,
            flow: Some(id),
            dir: None,
            proto: Some(protocol.name()),
            kind: EntryKind::Closed(reason),
        });
        let incomplete = match &state.report.coverage {
            Coverage::Full => None,
            Coverage::Partial(why) | Coverage::NotObserved(why) => Some(why.as_str()),
        };
        state.report.verdicts = state
            .tally
            .verdicts(protocol, incomplete, &self.options.selection);
        state.report.tracks = state
            .media
            .into_iter()
            .map(|((dir, track), summary)| (dir, track, summary))
            .collect();
        self.done.push(state.report);
    }
}

/// A transcript entry of one flow.
fn flow_entry(
    report: &FlowReport,
    time: Duration,
    dir: Option<Direction>,
    kind: EntryKind,
) -> Entry {
    Entry {
        time,
        flow: Some(report.id),
        dir,
        proto: Some(report.protocol.name()),
        kind,
    }
}

/// Adds a held event's bytes to the sniff buffers; says what the flow is once it can.
fn sniff_event(
    report: &FlowReport,
    event: &FlowEvent,
    sniff: &mut [Vec<u8>; 2],
    held_bytes: &mut usize,
) -> Option<(Protocol, Reason)> {
    match event {
        FlowEvent::Data {
            direction,
            offset,
            bytes,
            ..
        } => {
            *held_bytes += bytes.len();
            let buffer = &mut sniff[direction.index()];
            if *offset == buffer.len() as u64 && buffer.len() < detect::MAX_SNIFF {
                let take = bytes.len().min(detect::MAX_SNIFF - buffer.len());
                buffer.extend_from_slice(&bytes[..take]);
            }
            if *held_bytes > MAX_HELD {
                return Some(decide_at_end(report, sniff));
            }
            let sniffed = match report.transport {
                Transport::File => detect::sniff_file(&sniff[0], false),
                _ => detect::sniff_stream(&sniff[0], &sniff[1], false),
            };
            sniffed.map(|(p, what)| (p, Reason::Content(what)))
        }
        FlowEvent::Datagram { bytes, .. } => Some(
            detect::sniff_datagram(bytes)
                .map(|(p, what)| (p, Reason::Content(what)))
                .unwrap_or_else(|| port_or_nothing(report)),
        ),
        FlowEvent::Gap { .. } | FlowEvent::Finished { .. } => Some(decide_at_end(report, sniff)),
        _ => None,
    }
}

/// What the content says with no more to come; the port when it is too short to tell.
fn decide_at_end(report: &FlowReport, sniff: &[Vec<u8>; 2]) -> (Protocol, Reason) {
    if report.transport == Transport::File {
        return match detect::sniff_file(&sniff[0], true) {
            Some((p, what)) if p != Protocol::Unknown => (p, Reason::Content(what)),
            _ => (Protocol::Unknown, Reason::Nothing),
        };
    }
    if report.transport == Transport::Tcp && !report.midstream {
        match detect::sniff_stream(&sniff[0], &sniff[1], true) {
            Some((Protocol::Unknown, _)) if !sniff[0].is_empty() => {
                return (Protocol::Unknown, Reason::Nothing);
            }
            Some((Protocol::Unknown, _)) | None => {}
            Some((p, what)) => return (p, Reason::Content(what)),
        }
    }
    port_or_nothing(report)
}

fn port_or_nothing(report: &FlowReport) -> (Protocol, Reason) {
    let port = report.server.port();
    detect::by_port(report.transport, port).map_or((Protocol::Unknown, Reason::Nothing), |p| {
        (p, Reason::Port(port))
    })
}

/// A progress bar on standard error, fed by the bytes read from the file.
struct Progress(Option<indicatif::ProgressBar>);

/// Inputs smaller than this get no progress bar.
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

impl Progress {
    fn new(wanted: bool, size: u64) -> Self {
        use std::io::IsTerminal;
        let show = wanted && size >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal();
        Progress(show.then(|| {
            let bar = indicatif::ProgressBar::new(size);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        }))
    }

    fn wrap<'r>(&self, reader: impl Read + 'r) -> Box<dyn Read + 'r> {
        match &self.0 {
            Some(bar) => Box::new(bar.wrap_read(reader)),
            None => Box::new(reader),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
