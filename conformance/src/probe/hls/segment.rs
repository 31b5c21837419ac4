//! One transport stream segment, read whole: what the HLS cases need from it. The demuxer
//! (ISO/IEC 13818-1 §2.4) gives its violations, PSI and frames; a walk over the packets gives
//! the continuity counters at both ends of each PID (§2.4.3.3) and the first two PIDs.

use std::collections::BTreeMap;
use std::time::Instant;

use weir_media::Machine;
use weir_media::{Codec, MediaKind, Output, Track, Violation};
use weir_mpegts::framer::{Framed, Framer};
use weir_mpegts::{DemuxEvent, Demuxer, Limits, PacketHeader};

/// DTS intervals kept per track to find the usual frame interval.
const MAX_INTERVALS: usize = 10_000;

/// What a segment holds.
#[derive(Debug, Clone, Default)]
pub struct SegmentFacts {
    /// The PIDs of the first two packets.
    pub first_pids: Vec<u16>,
    /// A PAT and a PMT were read.
    pub pat: bool,
    pub pmt: bool,
    /// The PMT PIDs the PAT names.
    pub pmt_pids: Vec<u16>,
    /// The demuxer's violations, offsets into the segment.
    pub violations: Vec<Violation>,
    pub tracks: Vec<TrackSpan>,
    pub counters: BTreeMap<u16, Counters>,
}

/// One PID's continuity counters at the segment's two ends (packets with a payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub first: u8,
    /// The first packet's adaptation field sets discontinuity_indicator.
    pub first_discontinuity: bool,
    pub last: u8,
}

/// One track's frames in the segment, in 90 kHz ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSpan {
    pub track: Track,
    pub codec: Codec,
    pub frames: u64,
    pub first_keyframe: bool,
    pub first_dts: i64,
    pub last_dts: i64,
    pub min_pts: i64,
    pub max_pts: i64,
    /// The median DTS interval, when there are two frames or more.
    pub interval: Option<i64>,
}

impl TrackSpan {
    /// How long the track plays in this segment, in seconds: its PTS span and one frame.
    pub fn seconds(&self) -> f64 {
        (self.max_pts - self.min_pts + self.interval.unwrap_or(0)) as f64 / 90_000.0
    }
}

impl SegmentFacts {
    /// The track a segment's duration is measured on: the first video track, else the first.
    pub fn main_track(&self) -> Option<&TrackSpan> {
        self.tracks
            .iter()
            .find(|t| t.track.kind == MediaKind::Video)
            .or_else(|| self.tracks.first())
    }

    pub fn video(&self) -> Option<&TrackSpan> {
        self.tracks
            .iter()
            .find(|t| t.track.kind == MediaKind::Video)
    }
}

/// Reads one segment's bytes.
pub fn read(bytes: &[u8]) -> SegmentFacts {
    let mut facts = SegmentFacts::default();
    let mut framer = Framer::new();
    let mut packet = |f: Framed<'_>| {
        if let Framed::Packet(_, p) = f {
            let header = PacketHeader::parse([p[0], p[1], p[2], p[3]]);
            if facts.first_pids.len() < 2 {
                facts.first_pids.push(header.pid);
            }
            if !header.has_payload {
                return;
            }
            // adaptation_field_length, then the flags; discontinuity_indicator is the first.
            let discontinuity = header.has_adaptation && p[4] > 0 && p[5] & 0x80 != 0;
            let cc = header.continuity_counter;
            facts
                .counters
                .entry(header.pid)
                .and_modify(|c| c.last = cc)
                .or_insert(Counters {
                    first: cc,
                    first_discontinuity: discontinuity,
                    last: cc,
                });
        }
    };
    framer.push(bytes, &mut packet);
    framer.finish(&mut packet);

    let mut demuxer = Demuxer::new(Limits::default());
    let _ = demuxer.handle_input(Instant::now(), bytes);
    let _ = demuxer.handle_end(Instant::now());
    let mut spans: Vec<(TrackSpan, Vec<i64>)> = Vec::new();
    while let Some(output) = demuxer.poll_output() {
        match output {
            Output::Violation(v) => facts.violations.push(v),
            Output::Event(DemuxEvent::Frame(frame)) => {
                let (dts, pts) = (frame.dts.ticks(), frame.pts.ticks());
                match spans.iter_mut().find(|(s, _)| s.track == frame.track) {
                    Some((span, intervals)) => {
                        if intervals.len() < MAX_INTERVALS {
                            intervals.push(dts - span.last_dts);
                        }
                        span.frames += 1;
                        span.last_dts = dts;
                        span.min_pts = span.min_pts.min(pts);
                        span.max_pts = span.max_pts.max(pts);
                    }
                    None => spans.push((
                        TrackSpan {
                            track: frame.track,
                            codec: frame.codec,
                            frames: 1,
                            first_keyframe: frame.keyframe,
                            first_dts: dts,
                            last_dts: dts,
                            min_pts: pts,
                            max_pts: pts,
                            interval: None,
                        },
                        Vec::new(),
                    )),
                }
            }
            Output::Event(_) | Output::Transmit(_) => {}
        }
    }
    facts.pat = demuxer.pat().is_some();
    facts.pmt_pids = demuxer
        .pat()
        .map(|pat| pat.programs.iter().map(|e| e.pmt_pid).collect())
        .unwrap_or_default();
    facts.pmt = demuxer.programs().next().is_some();
    facts.tracks = spans
        .into_iter()
        .map(|(mut span, mut intervals)| {
            intervals.sort_unstable();
            span.interval = intervals.get(intervals.len() / 2).copied();
            span
        })
        .collect();
    facts
}
