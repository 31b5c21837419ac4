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

/// A GStreamer `mpegpsmux` file: `frames` H.264 frames (25 fps, keyframe every 25) and AAC.
pub fn gstreamer_file(name: &str, frames: usize) -> weir_testkit::TempPath {
    let path = weir_testkit::TempPath::new(name);
    let location = format!("location={}", path.display());
    let video = format!("num-buffers={frames}");
    let audio = format!("num-buffers={}", frames * 48 / 25 * 1000 / 1024);
    run_peer(
        "GST_LAUNCH",
        "gst-launch-1.0",
        &[
            "-q",
            "-e",
            "videotestsrc",
            &video,
            "!",
            "video/x-raw,width=320,height=240,framerate=25/1",
            "!",
            "x264enc",
            "key-int-max=25",
            "!",
            "h264parse",
            "!",
            "mux.",
            "audiotestsrc",
            &audio,
            "!",
            "audio/x-raw,rate=48000,channels=2",
            "!",
            "avenc_aac",
            "!",
            "aacparse",
            "!",
            "mux.",
            "mpegpsmux",
            "name=mux",
            "!",
            "filesink",
            &location,
        ],
    );
    path
}

/// Our muxer over the configs and frames of a demuxer run.
pub fn remux(out: &Outputs<PsEvent>) -> Vec<u8> {
    let mut muxer = weir_mpegps::Muxer::default();
    let mut written = Vec::new();
    for e in &out.events {
        match e {
            // MPEG audio (FFmpeg's MP2) is left out: the muxer carries GB28181's codecs only.
            PsEvent::Config(c) if c.codec == Codec::Mp3 => {}
            PsEvent::Config(c) => muxer.handle_config(c).expect("config"),
            PsEvent::TrackAdded(t) if matches!(t.codec, Codec::Pcma | Codec::Pcmu) => muxer
                .handle_config(&weir_media::TrackConfig {
                    track: t.track,
                    codec: t.codec,
                    data: bytes::Bytes::new(),
                })
                .expect("config"),
            PsEvent::Frame(f) => muxer.handle_frame(f).expect("frame"),
            _ => {}
        }
        while let Some(weir_media::Output::Transmit(b)) = muxer.poll_output() {
            written.extend_from_slice(&b);
        }
    }
    written
}

/// Buffers per elementary stream that GStreamer's `mpegpsdemux` gives for a file, sorted:
/// each stream's buffers go to a `multifilesink`, one file each, and the files are counted.
pub fn mpegpsdemux_counts(path: &Path, streams: usize) -> Vec<usize> {
    let dir = weir_testkit::TempPath::dir("mpegpsdemux");
    let location = format!("location={}", path.display());
    let mut args = vec!["-q".to_owned(), "filesrc".into(), location, "!".into()];
    args.extend(["mpegpsdemux".into(), "name=d".into()]);
    for i in 0..streams {
        let sink = format!("location={}/s{i}-%06d", dir.display());
        args.extend(["d.", "!", "queue", "!", "multifilesink"].map(String::from));
        args.push(sink);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_peer("GST_LAUNCH", "gst-launch-1.0", &args);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the sinks' folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut counts: Vec<usize> = (0..streams)
        .map(|i| {
            let prefix = format!("s{i}-");
            names.iter().filter(|n| n.starts_with(&prefix)).count()
        })
        .collect();
    counts.sort_unstable();
    counts
}

/// An FFmpeg file of `format` (`vob`, `mpeg`): 3 s of test pattern at 25 fps, a keyframe
/// every 25, encoded with `video` options, and MP2 audio (what FFmpeg's PS muxers take).
pub fn ffmpeg_file(name: &str, video: &[&str], format: &str) -> weir_testkit::TempPath {
    let path = weir_testkit::TempPath::new(name);
    let mut args = vec![
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=3",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=3",
    ];
    args.extend_from_slice(video);
    args.extend_from_slice(&["-g", "25", "-c:a", "mp2", "-f", format]);
    let p = path.to_str().expect("utf-8 temp path").to_owned();
    args.push(&p);
    run_peer("FFMPEG", "ffmpeg", &args);
    path
}

/// A clean program stream of our muxer from a corpus FLV file.
pub fn corpus_stream(name: &str) -> Vec<u8> {
    let mut muxer = weir_mpegps::Muxer::default();
    let mut out = Vec::new();
    for p in weir_testkit::corpus::flv_packets(name) {
        match p {
            weir_media::MediaPacket::Config(c) => muxer.handle_config(&c).expect("config"),
            weir_media::MediaPacket::Frame(f) => muxer.handle_frame(&f).expect("frame"),
            _ => {}
        }
        while let Some(weir_media::Output::Transmit(b)) = muxer.poll_output() {
            out.extend_from_slice(&b);
        }
    }
    out
}
