//! The check pipeline of one input ([`Checker`]): events in capture order; each flow held
//! until its content says what it is ([`detect`]) — a UDP flow of RTP whose format nothing
//! explains a little longer ([`RtpHold`]), as PS over RTP captured from inside a frame says so
//! only at the next frame —, then read by its protocol's observer (the
//! [protocol table](crate::protocols)); what the observers saw goes into the transcript,
//! violations into each flow's [`Tally`], media into its track summaries; a flow's verdicts
//! are given when it closes.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use foldhash::HashMap;
use weir_media::Track;
use weir_rtp::{Encoding, Format};

use super::Options;
use super::recent::Recent;
use super::report::{Coverage, FlowReport, InputReport};
use super::tally::{Judged, Tally};
use crate::capture::{CloseReason, Direction, Event, FlowEvent, FlowId, Transport};
use crate::detect;
use crate::media_summary::TrackSummary;
use crate::observe::http::reloads::SharedReloads;
use crate::observe::rtp::PayloadTypes;
use crate::observe::sdp::SharedLearned;
use crate::observe::{Observation, Observer};
use crate::protocols::{self, Protocol};
use crate::sniff;
use crate::transcript::{Entry, EntryKind, Reason};
use crate::verdict::Failure;

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
        /// Stream bytes held, or (UDP) datagrams held that no sniffer knew.
        held_bytes: usize,
        /// A UDP flow that began with RTP of a dynamic payload type nothing explains, held
        /// for a pack header.
        hold: Option<RtpHold>,
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
    /// Each direction's last stream bytes, for the excerpts of its violations.
    recent: [Recent; 2],
}

/// The check pipeline for one input, fed events in capture order.
pub struct Checker<'o> {
    options: &'o Options,
    name: String,
    start: Option<Duration>,
    /// Boxed: each event takes its flow's state out and puts it back, which moves a pointer,
    /// not the state.
    flows: HashMap<FlowId, Box<FlowState>>,
    done: Vec<FlowReport>,
    entries: Vec<Entry>,
    unopened: BTreeMap<&'static str, u64>,
    scratch: Vec<Observation>,
    /// The playlist loads of the input's HTTP flows, compared URL by URL.
    reloads: SharedReloads,
    /// What the options say, then what descriptions add: payload types, ICE credentials.
    learned: SharedLearned,
    /// The rules of each protocol seen so far, worked out once for all its flows' verdicts.
    judged: Vec<Judged>,
}

impl<'o> Checker<'o> {
    pub fn new(name: &str, options: &'o Options) -> Self {
        Checker {
            options,
            name: name.to_owned(),
            start: None,
            flows: HashMap::default(),
            done: Vec::new(),
            entries: Vec::new(),
            unopened: BTreeMap::new(),
            scratch: Vec::new(),
            reloads: SharedReloads::default(),
            learned: SharedLearned::new(options.decode_as.given.clone().into()),
            judged: Vec::new(),
        }
    }

    /// A transcript entry, kept when something reads the transcript.
    fn keep(&mut self, entry: Entry) {
        if !self.options.no_transcript {
            self.entries.push(entry);
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
                self.keep(Entry {
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
                let mut state = Box::new(FlowState {
                    report,
                    stage: Stage::Sniffing {
                        held: Vec::new(),
                        sniff: [Vec::new(), Vec::new()],
                        held_bytes: 0,
                        hold: None,
                    },
                    tally: Tally::default(),
                    violations_seen: BTreeMap::new(),
                    media: BTreeMap::new(),
                    closed: None,
                    recent: Default::default(),
                });
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
                    self.keep(Entry {
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
                    hold,
                } = &mut state.stage
                {
                    let learned = self.learned.borrow();
                    let waiting = Waiting {
                        held_bytes,
                        hold,
                        types: &learned.payload_types,
                    };
                    let decision = sniff_event(&state.report, &event.event, sniff, waiting);
                    drop(learned);
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
        self.keep(entry(EntryKind::Detected(reason)));
        let observer = protocol.observer(&protocols::Flow {
            transport: report.transport,
            server: report.server,
            midstream: report.midstream,
            reloads: &self.reloads,
            learned: &self.learned,
        });
        let stage = match observer {
            Ok(mut observer) => {
                if self.options.no_transcript {
                    observer.unworded();
                }
                Stage::Observing(observer)
            }
            Err(why) => {
                if protocol != Protocol::Unknown {
                    self.keep(entry(EntryKind::GaveUp(why.clone())));
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
                    state.recent[direction.index()].push(*offset, bytes);
                    observer.data(*direction, *offset, bytes, &mut out);
                }
            }
            FlowEvent::Datagram {
                direction, bytes, ..
            } => {
                state.report.bytes[direction.index()] += bytes.len() as u64;
                if let Some(observer) = observer {
                    observer.datagram(*direction, time, bytes, &mut out);
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
                self.keep(entry_at(Some(*direction), kind));
                state.recent[direction.index()].gap();
                if let Some(observer) = observer {
                    observer.gap(*direction, *offset, *len, &mut out);
                }
            }
            FlowEvent::Finished {
                direction, offset, ..
            } => {
                let kind = EntryKind::Finished { offset: *offset };
                self.keep(entry_at(Some(*direction), kind));
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
                        // A datagram flow's offsets are not stream positions: no excerpt.
                        let recent = &state.recent[dir.index()];
                        let failure = Failure {
                            time,
                            dir,
                            offset: *offset,
                            detail: detail.clone(),
                            excerpt: offset.and_then(|at| recent.excerpt(at)),
                        };
                        state.tally.record(rule, failure);
                        let seen = state.violations_seen.entry((dir, rule.id)).or_default();
                        *seen += 1;
                        if *seen > MAX_VIOLATIONS_LISTED {
                            continue;
                        }
                    }
                    self.keep(flow_entry(&state.report, time, Some(dir), kind));
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
                            excerpt: None,
                        };
                        state.tally.record(rule, failure);
                        let kind = EntryKind::Violation {
                            rule,
                            offset: None,
                            detail,
                            fatal: false,
                        };
                        self.keep(flow_entry(&state.report, time, Some(dir), kind));
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

    fn close(&mut self, mut state: Box<FlowState>) {
        if let Stage::Sniffing { sniff, hold, .. } = &state.stage {
            let decision = match hold {
                Some(hold) => hold.as_rtp(),
                None => decide_at_end(&state.report, sniff),
            };
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
            self.keep(Entry {
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
        // The tracks' summaries as entries, for the transcript only (the report has them).
        let worded = [Direction::ClientToServer, Direction::ServerToClient];
        for dir in worded.into_iter().filter(|_| !self.options.no_transcript) {
            let tracks: Vec<_> = state
                .media
                .iter()
                .filter(|((d, _), _)| *d == dir)
                .map(|((_, track), summary)| summary.to_node(*track))
                .collect();
            if !tracks.is_empty() {
                self.keep(Entry {
                    time,
                    flow: Some(id),
                    dir: Some(dir),
                    proto: Some(protocol.name()),
                    kind: EntryKind::Media(tracks),
                });
            }
        }
        if let Stage::Observing(observer) = &state.stage
            && let Some(why) = observer.unread()
        {
            state.report.coverage = Coverage::Partial(why);
        }
        let reason = state.closed.unwrap_or(CloseReason::EndOfCapture);
        self.keep(Entry {
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
        let judged = match self.judged.iter().position(|j| j.protocol == protocol) {
            Some(at) => &self.judged[at],
            None => {
                let judged = Judged::new(protocol, &self.options.selection);
                self.judged.push(judged);
                self.judged.last().expect("just pushed")
            }
        };
        state.report.verdicts = state.tally.verdicts(judged, incomplete);
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

/// Datagrams no sniffer knows held before a UDP flow is taken for what its port says.
const MAX_SNIFF_DATAGRAMS: usize = 8;
/// Datagrams of an [`RtpHold`] held before the flow is taken for RTP: a GB28181 frame's
/// packets (a frame is one pack, GB/T 28181 Annex C) up to a keyframe of some 90 KB.
const MAX_RTP_HOLD: u64 = 64;
/// Their bytes: 64 datagrams of the usual 1400-byte payloads fit; fewer jumbo ones do.
const MAX_RTP_HOLD_BYTES: usize = 128 << 10;

/// A UDP flow whose first datagram is RTP of a dynamic payload type that neither the options
/// nor a description explain: PS over RTP whose capture began inside a frame (or whose first
/// packets were lost) looks so until its next frame's pack header, and RTP of any other format
/// looks so throughout. Its datagrams are held, up to [`MAX_RTP_HOLD`] and
/// [`MAX_RTP_HOLD_BYTES`], while each is asked whether it begins such a frame.
struct RtpHold {
    /// What the first datagram said (RTP).
    what: &'static str,
    ssrc: u32,
    datagrams: u64,
    bytes: usize,
}

impl RtpHold {
    /// The decision when no pack header came: RTP, as the first datagram said.
    fn as_rtp(&self) -> (Protocol, Reason) {
        (
            Protocol::Rtp,
            Reason::ContentAfterHolding(self.what, self.datagrams),
        )
    }

    /// One more datagram: MPEG-PS when it is a packet of the same source beginning with a pack
    /// header; RTP once the bounds are reached; `None` to hold on.
    fn next(&mut self, datagram: &Bytes) -> Option<(Protocol, Reason)> {
        self.datagrams += 1;
        self.bytes += datagram.len();
        let same_source = sniff::rtp_dynamic(datagram).is_some_and(|(_, ssrc)| ssrc == self.ssrc);
        if same_source && let Some(what) = sniff::ps_datagram(datagram) {
            return Some((Protocol::MpegPs, Reason::ContentAt(what, self.datagrams)));
        }
        (self.datagrams >= MAX_RTP_HOLD || self.bytes >= MAX_RTP_HOLD_BYTES).then(|| self.as_rtp())
    }
}

/// What a sniffing flow holds besides its sniff buffers, and what explains payload types.
struct Waiting<'a> {
    held_bytes: &'a mut usize,
    hold: &'a mut Option<RtpHold>,
    types: &'a PayloadTypes,
}

/// Adds a held event's bytes to the sniff buffers; says what the flow is once it can.
fn sniff_event(
    report: &FlowReport,
    event: &FlowEvent,
    sniff: &mut [Vec<u8>; 2],
    waiting: Waiting,
) -> Option<(Protocol, Reason)> {
    let Waiting {
        held_bytes,
        hold,
        types,
    } = waiting;
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
        // A flow may open with datagrams of its own (a vendor's keep-alive before RTP): the
        // first few that no sniffer knows are held while the next ones are asked.
        FlowEvent::Datagram { bytes, .. } => {
            if let Some(hold) = hold.as_mut() {
                return hold.next(bytes);
            }
            match detect::sniff_datagram(bytes) {
                // RTP of a format nothing explains may be PS whose first packets are a frame's
                // tail: held for a pack header.
                Some((Protocol::Rtp, what)) => match sniff::rtp_dynamic(bytes) {
                    Some((pt, ssrc)) if types.format(pt).is_none_or(is_ps) => {
                        *hold = Some(RtpHold {
                            what,
                            ssrc,
                            // The datagrams held before it that no sniffer knew count too.
                            datagrams: *held_bytes as u64 + 1,
                            bytes: bytes.len(),
                        });
                        None
                    }
                    _ => Some((Protocol::Rtp, Reason::Content(what))),
                },
                Some((p, what)) => Some((p, Reason::Content(what))),
                None if *held_bytes < MAX_SNIFF_DATAGRAMS => {
                    *held_bytes += 1;
                    None
                }
                None => Some(port_or_nothing(report)),
            }
        }
        FlowEvent::Gap { .. } | FlowEvent::Finished { .. } => Some(decide_at_end(report, sniff)),
        _ => None,
    }
}

/// Whether a format is MPEG-PS (GB28181's `PS/90000`).
fn is_ps(format: Format) -> bool {
    format.encoding() == Some(Encoding::MpegPs)
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
