//! Helpers shared by the integration tests: the corpus, running the demuxer over pieces of a
//! stream, and per-track summaries.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Instant;
use weir_media::Machine;
use weir_media::{Codec, Frame, Output, Track, TrackConfig, Violation};
use weir_mpegts::{DemuxEvent, Demuxer, Limits};

pub fn corpus_dir() -> String {
    std::env::var("WEIR_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus").into())
}

pub fn corpus(path: &str) -> Vec<u8> {
    let file = format!("{}/{path}", corpus_dir());
    std::fs::read(&file)
        .unwrap_or_else(|e| panic!("corpus file {file} is missing ({e}); set WEIR_CORPUS"))
}

/// Everything a demuxer said about a stream, in order, and whether `handle_end` failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub outputs: Vec<Output<DemuxEvent>>,
}

impl Outcome {
    pub fn events(&self) -> impl Iterator<Item = &DemuxEvent> {
        self.outputs.iter().filter_map(|o| match o {
            Output::Event(e) => Some(e),
            _ => None,
        })
    }

    pub fn violations(&self) -> impl Iterator<Item = &Violation> {
        self.outputs.iter().filter_map(|o| match o {
            Output::Violation(v) => Some(v),
            _ => None,
        })
    }

    pub fn frames(&self) -> impl Iterator<Item = &Frame> {
        self.events().filter_map(|e| match e {
            DemuxEvent::Frame(f) => Some(f),
            _ => None,
        })
    }

    pub fn configs(&self) -> impl Iterator<Item = &TrackConfig> {
        self.events().filter_map(|e| match e {
            DemuxEvent::Config(c) => Some(c),
            _ => None,
        })
    }

    /// Violations by rule id, counted.
    pub fn rule_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for v in self.violations() {
            *counts.entry(v.rule.id).or_insert(0) += 1;
        }
        counts
    }

    pub fn summary(&self) -> BTreeMap<Track, TrackSummary> {
        let mut tracks: BTreeMap<Track, TrackSummary> = BTreeMap::new();
        for e in self.events() {
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

/// Runs a demuxer over `pieces` in order, draining after each, then ends the stream.
pub fn demux_pieces<'a>(limits: Limits, pieces: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let now = Instant::now();
    let mut d = Demuxer::new(limits);
    let mut outputs = Vec::new();
    for piece in pieces {
        d.handle_input(now, piece).expect("input before the end");
        while let Some(o) = d.poll_output() {
            outputs.push(o);
        }
    }
    d.handle_end(Instant::now()).expect("end");
    while let Some(o) = d.poll_output() {
        outputs.push(o);
    }
    Outcome { outputs }
}

pub fn demux(data: &[u8]) -> Outcome {
    demux_pieces(Limits::default(), [data])
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

/// What a demuxer made of a stream, as mux inputs: every config and frame in order (MPEG
/// audio has no config: its track's announcement stands for one).
pub fn as_mux_input(outcome: &Outcome) -> Vec<MuxInput> {
    outcome
        .events()
        .filter_map(|e| match e {
            DemuxEvent::Config(c) => Some(MuxInput::Config(c.clone())),
            DemuxEvent::TrackAdded(t) if t.codec == Codec::Mp3 => {
                Some(MuxInput::Config(TrackConfig {
                    track: t.track,
                    codec: t.codec,
                    data: bytes::Bytes::new(),
                }))
            }
            DemuxEvent::Frame(f) => Some(MuxInput::Frame(f.clone())),
            _ => None,
        })
        .collect()
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

/// 64-bit FNV-1a over the payloads of `frames`, a short fingerprint to pin.
pub fn fingerprint<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in frames {
        for &b in f.data.iter() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The same stream with each 188-byte packet padded to `stride` bytes: 204 adds 16 parity
/// bytes after the packet, 192 puts a 4-byte arrival timestamp before it.
pub fn restride(ts: &[u8], stride: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in ts.chunks(188).enumerate() {
        match stride {
            192 => {
                out.extend_from_slice(&(i as u32 * 1000).to_be_bytes());
                out.extend_from_slice(p);
            }
            204 => {
                out.extend_from_slice(p);
                out.extend_from_slice(&[0xa5; 16]);
            }
            _ => out.extend_from_slice(p),
        }
    }
    out
}

/// A peer program: the binary named by `var` in the environment, else `name` on PATH. Fails
/// with the install hint when neither runs.
pub fn peer(var: &str, name: &str) -> String {
    let bin = std::env::var(var).unwrap_or_else(|_| name.to_string());
    let works = std::process::Command::new(&bin)
        .arg("-version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        works,
        "{name} is needed for this test: install FFmpeg (apt-get install ffmpeg, or ci/install-peers) or set {var}"
    );
    bin
}

/// A path in the temp directory unique to this process and `name`; removed on drop.
pub struct TempFile(pub std::path::PathBuf);

impl TempFile {
    pub fn new(name: &str) -> Self {
        TempFile(std::env::temp_dir().join(format!("weir-mpegts-{}-{name}", std::process::id())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
