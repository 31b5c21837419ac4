//! Shared by the integration tests: running the demuxer, counting its frames, asking ffprobe.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;
use weir_media::{Codec, Frame, MediaKind};
use weir_mpegps::{Demuxer, Limits, PsEvent};
use weir_testkit::Outputs;
use weir_testkit::peer::binary as peer;

/// The demuxer over `data`, whole, ended.
pub fn demux(data: &[u8]) -> Outputs<PsEvent> {
    weir_testkit::run(&mut Demuxer::new(Limits::default()), [data], true)
}

/// The frames of a run.
pub fn frames(out: &Outputs<PsEvent>) -> Vec<Frame> {
    out.events
        .iter()
        .filter_map(|e| match e {
            PsEvent::Frame(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Frames per (kind, codec).
pub fn counts(out: &Outputs<PsEvent>) -> HashMap<(MediaKind, Codec), usize> {
    let mut counts = HashMap::new();
    for f in frames(out) {
        *counts.entry((f.track.kind, f.codec)).or_insert(0) += 1;
    }
    counts
}

/// ffprobe's view of a file: per stream, (codec_name, packets, frames), and its errors.
pub fn probe(path: &Path) -> (Vec<(String, usize, usize)>, String) {
    weir_testkit::peer::ffprobe_counts(path)
}

/// Runs a peer program, panicking with its output when it fails.
pub fn run_peer(var: &str, name: &str, args: &[&str]) {
    let out = Command::new(peer(var, name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} runs ({e}); install it (ci/install-peers)"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The ffprobe codec name of a Weir codec.
pub fn ffprobe_name(codec: Codec) -> &'static str {
    match codec {
        Codec::H264 => "h264",
        Codec::H265 => "hevc",
        Codec::Aac => "aac",
        Codec::Pcma => "pcm_alaw",
        Codec::Pcmu => "pcm_mulaw",
        // MPEG audio of any layer; the tests write layer II.
        Codec::Mp3 => "mp2",
        _ => "other",
    }
}

/// Asserts our frame counts per codec equal ffprobe's packet counts on the same file.
pub fn assert_counts_match(path: &Path, out: &Outputs<PsEvent>) {
    let (streams, errors) = probe(path);
    let ours = counts(out);
    let mut theirs = BTreeMap::new();
    for (name, packets, _) in &streams {
        *theirs.entry(name.clone()).or_insert(0) += packets;
    }
    let ours_named: BTreeMap<String, usize> = ours
        .iter()
        .map(|((_, c), n)| (ffprobe_name(*c).to_string(), *n))
        .collect();
    assert_eq!(
        ours_named, theirs,
        "frames per codec, ours vs ffprobe's packets ({streams:?}; ffprobe said {errors})"
    );
}
