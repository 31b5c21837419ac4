//! `weir check` on raw elementary streams: FFmpeg's H.264 and H.265 Annex-B byte streams and
//! ADTS AAC, saved under a name that says nothing (`.bin`), found by content and read to
//! ffprobe's packet and keyframe counts with no rule failed; and broken ones failing the rule
//! they break: an SPS emptied, an ADTS file cut inside its last frame.

mod support;

use std::path::Path;
use std::process::Command;

use weir_conformance::check::{self, Coverage, Input, InputReport, Options};
use weir_conformance::protocols::Protocol;
use weir_testkit::TempPath;
use weir_testkit::peer::binary;

/// A 2 s stream FFmpeg encodes with `codec` args into raw format `format`, at `name`.
fn ffmpeg(name: &str, input: &str, codec: &[&str], format: &str) -> TempPath {
    let path = TempPath::new(name);
    let status = Command::new(binary("FFMPEG", "ffmpeg"))
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-t", "2", "-i", input])
        .args(codec)
        .args(["-f", format])
        .arg(path.path())
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    path
}

fn video(name: &str, codec: &[&str], format: &str) -> TempPath {
    let mut args = codec.to_vec();
    args.extend(["-g", "30", "-pix_fmt", "yuv420p"]);
    ffmpeg(name, "testsrc=size=320x240:rate=30", &args, format)
}

fn check_path(path: &Path) -> InputReport {
    check::run(&[Input::Capture(path.to_owned())], &Options::default())
        .inputs
        .remove(0)
}

/// ffprobe's (packets, keyframes) of the file's one stream.
fn ffprobe(path: &Path, format: &str) -> (u64, u64) {
    let out = Command::new(binary("FFPROBE", "ffprobe"))
        .args(["-v", "error", "-f", format, "-show_entries", "packet=flags"])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let packets = text.lines().filter(|l| !l.is_empty()).count() as u64;
    let keys = text.lines().filter(|l| l.starts_with('K')).count() as u64;
    (packets, keys)
}

/// The one flow's (protocol, coverage is full, frames, keyframes, failed rules).
fn read(report: &InputReport) -> (Protocol, bool, u64, u64, Vec<&'static str>) {
    assert_eq!(report.flows.len(), 1, "{:?}", report.error);
    let flow = &report.flows[0];
    let (frames, keys) = flow
        .tracks
        .iter()
        .fold((0, 0), |(f, k), (_, _, s)| (f + s.frames, k + s.keyframes));
    let failed = support::pipeline::failed_counts(report)
        .into_iter()
        .map(|(rule, _)| rule)
        .collect();
    (
        flow.protocol,
        flow.coverage == Coverage::Full,
        frames,
        keys,
        failed,
    )
}

#[test]
fn ffmpeg_raw_streams_are_found_by_content_and_read_to_ffprobes_counts() {
    let files = [
        (video("es-h264.bin", &["-c:v", "libx264"], "h264"), "h264"),
        (
            video(
                "es-h265.bin",
                &["-c:v", "libx265", "-x265-params", "log-level=none"],
                "hevc",
            ),
            "hevc",
        ),
        (
            ffmpeg(
                "es-aac.bin",
                "sine=frequency=440:sample_rate=48000",
                &["-c:a", "aac"],
                "adts",
            ),
            "aac",
        ),
    ];
    for (file, format) in &files {
        let (packets, keys) = ffprobe(file.path(), format);
        assert!(packets >= 60, "{format}: ffprobe read {packets} packets");
        let (protocol, full, frames, keyframes, failed) = read(&check_path(file.path()));
        assert_eq!(protocol, Protocol::Es, "{format}");
        assert!(full, "{format}: not observed in full");
        assert_eq!(frames, packets, "{format}: frames");
        if *format != "aac" {
            assert_eq!(keyframes, keys, "{format}: keyframes");
        }
        assert_eq!(failed, Vec::<&str>::new(), "{format}");
    }
}

#[test]
fn broken_raw_streams_fail_the_rule_they_break() {
    let h264 = video("es-broken.h264", &["-c:v", "libx264"], "h264");
    let mut bytes = std::fs::read(h264.path()).unwrap();
    // The SPS (the first NAL unit) keeps its profile and level, and loses the rest.
    let next = 4 + bytes[4..]
        .windows(4)
        .position(|w| w == [0, 0, 0, 1])
        .unwrap();
    bytes[8..next].fill(0);
    std::fs::write(h264.path(), &bytes).unwrap();
    let (protocol, _, frames, _, failed) = read(&check_path(h264.path()));
    assert_eq!(protocol, Protocol::Es);
    assert!(failed.contains(&"media.avc.sps"), "{failed:?}");
    assert_eq!(frames, 60, "every access unit is still counted");

    let aac = ffmpeg(
        "es-cut.aac",
        "sine=frequency=440:sample_rate=48000",
        &["-c:a", "aac"],
        "adts",
    );
    let bytes = std::fs::read(aac.path()).unwrap();
    std::fs::write(aac.path(), &bytes[..bytes.len() - 50]).unwrap();
    let (_, _, frames, _, failed) = read(&check_path(aac.path()));
    assert_eq!(failed, ["media.adts.truncated"]);
    let (packets, _) = ffprobe(aac.path(), "adts");
    assert!(frames + 1 >= packets && frames > 0, "{frames} of {packets}");
}

#[test]
fn bytes_that_only_look_like_a_start_code_are_no_stream() {
    // A start code, then a NAL header with the forbidden bit set: neither H.264 nor H.265.
    let path = TempPath::new("es-not.bin");
    std::fs::write(
        path.path(),
        [0, 0, 0, 1, 0xe7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    )
    .unwrap();
    let report = check_path(path.path());
    assert!(report.flows.iter().all(|f| f.protocol != Protocol::Es));
}
