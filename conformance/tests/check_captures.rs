//! `weir check` on the sessions recorded in `captures/` (FFmpeg, GStreamer, rtmpdump and OBS
//! with Weir over RTMP, FFmpeg playing Weir's HTTP-FLV and HLS; FFmpeg with nginx-rtmp;
//! Chromium publishing by WHIP and playing by WHEP): each
//! passes every MUST rule, its transcript is the expected one (insta snapshots; re-recording a
//! capture means reviewing its snapshot), and the transcript does not depend on how each
//! flow's bytes are split.

mod support;

use rand::{Rng, SeedableRng};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use support::pipeline::{resplit, run_events, transcript_of};
use weir_conformance::capture::{CaptureEvents, Event, Limits};
use weir_conformance::check::{self, Input, Options};

/// Each capture, and the protocol of its sessions' media flows.
const CAPTURES: [(&str, &str); 7] = [
    ("ffmpeg-weir", "rtmp"),
    ("ffmpeg-weir-http", "rtmp"),
    ("ffmpeg-nginx-rtmp", "rtmp"),
    ("gstreamer-weir", "rtmp"),
    ("rtmpdump-weir-play", "rtmp"),
    ("obs-weir", "rtmp"),
    ("chromium-weir-whip", "webrtc"),
];

fn capture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../captures"))
        .join(format!("{name}.pcapng"))
}

fn events(name: &str) -> Vec<Event> {
    let file = BufReader::new(File::open(capture(name)).unwrap());
    CaptureEvents::new(file, Limits::default())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn every_capture_passes_and_has_its_expected_transcript() {
    for (name, protocol) in CAPTURES {
        let report = check::run(&[Input::Capture(capture(name))], &Options::default());
        assert_eq!(
            report.exit_code(),
            0,
            "{name}: {}",
            weir_conformance::report::text::render(&report)
        );
        let media_flows = report
            .flows()
            .filter(|f| f.protocol.name() == protocol)
            .count();
        assert!(media_flows >= 1, "{name}: no {protocol} flow");
        insta::assert_snapshot!(name, report.transcript_yaml());
    }
}

/// The Chromium sessions again, with the SRTP key log Weir wrote while they were recorded:
/// decrypted, their RTP and RTCP are depacketized and judged, and pass.
#[test]
fn the_chromium_capture_decrypted_with_its_key_log_passes_and_has_its_transcript() {
    let mut options = Options::default();
    let keys = capture("chromium-weir-whip").with_extension("keys");
    options.decode_as.add_keylog(&keys).unwrap();
    let report = check::run(&[Input::Capture(capture("chromium-weir-whip"))], &options);
    assert_eq!(
        report.exit_code(),
        0,
        "{}",
        weir_conformance::report::text::render(&report)
    );
    let frames: u64 = report
        .flows()
        .filter(|f| f.protocol.name() == "webrtc")
        .flat_map(|f| f.tracks.iter().map(|(_, _, s)| s.frames))
        .sum();
    // 3 s of a 15 fps camera and 50 Opus frames a second, published and played back.
    assert!(frames > 150, "{frames} frames");
    insta::assert_snapshot!("chromium-weir-whip-decrypted", report.transcript_yaml());
}

#[test]
fn capture_transcripts_do_not_depend_on_how_the_bytes_were_split() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for (name, _) in CAPTURES {
        let events = events(name);
        let whole = transcript_of(run_events(events.clone()));
        let bytewise = transcript_of(run_events(resplit(&events, |_| 1)));
        assert_eq!(whole, bytewise, "{name}: byte by byte");
        let random = resplit(&events, |left| rng.random_range(1..=left.min(3000)));
        assert_eq!(
            whole,
            transcript_of(run_events(random)),
            "{name}: random splits"
        );
    }
}
