//! What the demuxer and muxer tests share: the demuxer's outputs (split or whole) with
//! per-track summaries, and muxing configs and frames.
#![allow(dead_code)] // each test file uses its own part

use std::collections::BTreeMap;
use weir_media::{Codec, Frame, Output, Track, TrackConfig};
use weir_mpegts::{DemuxEvent, Demuxer, Limits};
use weir_testkit::{Outputs, split};

/// Everything a demuxer said about a stream.
pub type Outcome = Outputs<DemuxEvent>;

/// What the demuxer's outputs hold, for assertions.
pub trait Demuxed {
    fn frames(&self) -> impl Iterator<Item = &Frame>;
    fn configs(&self) -> impl Iterator<Item = &TrackConfig>;
    fn summary(&self) -> BTreeMap<Track, TrackSummary>;
}

impl Demuxed for Outcome {
    fn frames(&self) -> impl Iterator<Item = &Frame> {
        self.events.iter().filter_map(|e| match e {
            DemuxEvent::Frame(f) => Some(f),
            _ => None,
        })
    }

    fn configs(&self) -> impl Iterator<Item = &TrackConfig> {
        self.events.iter().filter_map(|e| match e {
            DemuxEvent::Config(c) => Some(c),
            _ => None,
        })
    }

    fn summary(&self) -> BTreeMap<Track, TrackSummary> {
        let mut tracks: BTreeMap<Track, TrackSummary> = BTreeMap::new();
        for e in &self.events {
            match e {
                DemuxEvent::TrackAdded(info) => {
                    tracks.entry(info.track).or_default().codec = Some(info.codec);
                }
                DemuxEvent::Config(c) => {
                    tracks.entry(c.track).or_default().configs += 1;
                }
                DemuxEvent::Frame(f) => {
                    let t = tracks.entry(f.track).or_default();
                    t.frames += 1;
                    t.keyframes += usize::from(f.keyframe);
                    t.first_pts.get_or_insert(f.pts.0);
                    t.last_pts = Some(f.pts.0);
                    t.bytes += f.data.len();
                }
                _ => {}
            }
        }
        tracks
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TrackSummary {
    pub codec: Option<Codec>,
    pub configs: usize,
    pub frames: usize,
    pub keyframes: usize,
    pub first_pts: Option<i64>,
    pub last_pts: Option<i64>,
    pub bytes: usize,
}

/// A demuxer with `limits` over `input` cut at `cuts`, its input ended. No input makes it fail.
pub fn demux_split(limits: Limits, input: &[u8], cuts: &[usize]) -> Outcome {
    let out = weir_testkit::run(&mut Demuxer::new(limits), split::pieces(input, cuts), true);
    assert_eq!(out.error, None, "the demuxer never fails");
    out
}

pub fn demux(data: &[u8]) -> Outcome {
    demux_split(Limits::default(), data, &[])
}

/// The demuxer's split invariance: `input` whole and cut at `cuts` gives the same outputs,
/// and no input makes it fail.
pub fn check_split(limits: Limits, input: &[u8], cuts: &[usize]) -> Outcome {
    let out = split::check(|| Demuxer::new(limits), input, cuts);
    assert_eq!(out.error, None, "the demuxer never fails");
    out
}

/// Muxes `events` (configs and frames, in order) with `muxer`, starting a segment before
/// every video keyframe when `segments` is set; returns the bytes.
pub fn mux(muxer: &mut weir_mpegts::Muxer, events: &[MuxInput], segments: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        match e {
            MuxInput::Config(c) => muxer.handle_config(c).expect("config"),
            MuxInput::Frame(f) => {
                if segments && f.keyframe && f.track.kind == weir_media::MediaKind::Video {
                    muxer.start_segment();
                }
                muxer.handle_frame(f).expect("frame");
            }
        }
        while let Some(o) = muxer.poll_output() {
            match o {
                Output::Transmit(bytes) => out.extend_from_slice(&bytes),
                other => panic!("unexpected muxer output {other:?}"),
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
pub enum MuxInput {
    Config(TrackConfig),
    Frame(Frame),
}

/// The frames of each track, in order.
pub fn frames_by_track<'a>(
    frames: impl IntoIterator<Item = &'a Frame>,
) -> BTreeMap<Track, Vec<Frame>> {
    let mut tracks: BTreeMap<Track, Vec<Frame>> = BTreeMap::new();
    for f in frames {
        tracks.entry(f.track).or_default().push(f.clone());
    }
    tracks
}
