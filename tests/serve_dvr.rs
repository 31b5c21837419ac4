//! `weir serve` recording streams (`[dvr]`): FFmpeg publishes, ffprobe and FFmpeg's decoder
//! read the files, a hook server hears `on_dvr`; whole sessions to FLV, segments to MP4, a
//! reconnect to a new file, and a disk that fails without the stream noticing.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{HookServer, Weir, ffmpeg_publish, run};
use weir_testkit::peer;

/// A directory of its own under the system's temp dir, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("weir-dvr-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn setting(&self, template: &str) -> String {
        format!("dvr.path={}/{template}", self.0.display())
    }

    /// The files of `sub`, by name.
    fn files(&self, sub: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.0.join(sub))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What ffprobe reads of a recording.
#[derive(Debug)]
struct Recording {
    codecs: Vec<String>,
    video_packets: u64,
    audio_packets: u64,
    duration: f64,
    /// The first video packet is a keyframe.
    starts_with_keyframe: bool,
}

fn probe(file: &Path) -> Recording {
    let ffprobe = peer::binary("FFPROBE", "ffprobe");
    let (ok, out, err) = run(
        Command::new(ffprobe)
            .args(["-v", "error", "-count_packets", "-of", "json"])
            .args([
                "-show_entries",
                "stream=codec_name,codec_type,nb_read_packets:format=duration",
            ])
            .arg(file),
        Duration::from_secs(20),
    );
    assert!(ok, "ffprobe {}: {err}", file.display());
    let json: Value = serde_json::from_str(&out).unwrap();
    let streams = json["streams"].as_array().cloned().unwrap_or_default();
    let packets = |kind: &str| {
        streams
            .iter()
            .filter(|s| s["codec_type"] == kind)
            .filter_map(|s| s["nb_read_packets"].as_str()?.parse::<u64>().ok())
            .sum()
    };
    let (ok, first, err) = run(
        Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args([
                "-v",
                "error",
                "-select_streams",
                "v",
                "-read_intervals",
                "%+#1",
            ])
            .args(["-show_entries", "packet=flags", "-of", "csv=p=0"])
            .arg(file),
        Duration::from_secs(20),
    );
    assert!(ok, "ffprobe packets {}: {err}", file.display());
    Recording {
        codecs: streams
            .iter()
            .filter_map(|s| s["codec_name"].as_str().map(str::to_owned))
            .collect(),
        video_packets: packets("video"),
        audio_packets: packets("audio"),
        duration: json["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0.0),
        starts_with_keyframe: first.trim_start().starts_with('K'),
    }
}

/// FFmpeg decodes the whole file without a complaint.
fn decodes_clean(file: &Path) {
    decodes_clean_for(file, "3600");
}

/// FFmpeg decodes the file's first `seconds` without a complaint.
fn decodes_clean_for(file: &Path, seconds: &str) {
    let (ok, _, err) = run(
        Command::new(peer::binary("FFMPEG", "ffmpeg"))
            .args(["-v", "error", "-t", seconds, "-i"])
            .arg(file)
            .args(["-f", "null", "-"]),
        Duration::from_secs(30),
    );
    assert!(ok && err.trim().is_empty(), "{}: {err}", file.display());
}

/// Waits until `dir/sub` holds `n` complete files (no temporary left).
fn wait_for_files(dir: &Dir, sub: &str, n: usize, weir: &Weir) -> Vec<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files = dir.files(sub);
        let tmp = files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "tmp"));
        if files.len() >= n && !tmp {
            return files;
        }
        assert!(
            Instant::now() < deadline,
            "{files:?} after 20 s, not {n} files: {}",
            weir.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn publish(weir: &Weir, stream: &str, seconds: u32) {
    let publisher = ffmpeg_publish(&weir.rtmp_url(stream), seconds);
    let (ok, _, err) = support::finish(publisher, Duration::from_secs(u64::from(seconds) + 20));
    assert!(ok, "ffmpeg: {err}");
}

#[test]
fn a_session_becomes_one_flv_with_every_frame_its_duration_and_on_dvr() {
    let dir = Dir::new("session");
    let hooks = HookServer::start();
    let weir = Weir::start(&[
        "dvr.enabled=true",
        &dir.setting("[app]/[stream].[timestamp].flv"),
        "hooks.enabled=true",
        &format!("hooks.on_dvr={}", hooks.url()),
    ]);
    publish(&weir, "rec", 4);
    let body = hooks.wait_for("on_dvr", "rec");
    let files = wait_for_files(&dir, "live", 1, &weir);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let stamp: u64 = name
        .strip_prefix("rec.")
        .and_then(|n| n.strip_suffix(".flv"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not rec.[timestamp].flv: {name}"));
    assert!(stamp > 1_700_000_000_000, "{name}");

    let recording = probe(file);
    assert_eq!(recording.codecs, ["h264", "aac"], "{recording:?}");
    // FFmpeg sent 4 s at 25 fps: every frame is in the file.
    assert_eq!(recording.video_packets, 100, "{recording:?}");
    assert!(recording.audio_packets >= 168, "{recording:?}");
    assert!(recording.starts_with_keyframe, "{recording:?}");
    // The duration onMetaData says, written back at the end.
    assert!((3.8..=4.3).contains(&recording.duration), "{recording:?}");
    decodes_clean(file);
    // onMetaData's duration and filesize, written back when the file ended.
    let bytes = std::fs::read(file).unwrap();
    let number = |name: &[u8]| {
        let at = bytes[..512]
            .windows(name.len())
            .position(|w| w == name)
            .unwrap()
            + name.len();
        f64::from_be_bytes(bytes[at..at + 8].try_into().unwrap())
    };
    let duration = number(b"\x00\x08duration\x00");
    assert!(
        (3.8..=4.1).contains(&duration),
        "onMetaData duration {duration}"
    );
    assert_eq!(number(b"\x00\x08filesize\x00"), bytes.len() as f64);
    // FLV 10.1 §E.2: the header flags both tracks.
    assert_eq!(bytes[4], 5);

    assert_eq!(body["action"], "on_dvr");
    assert_eq!(body["app"], "live");
    assert_eq!(body["stream_url"], "/live/rec");
    assert_eq!(body["file"], file.display().to_string());
    assert!(!body["cwd"].as_str().unwrap_or("").is_empty(), "{body:#}");
    assert!(
        !body["client_id"].as_str().unwrap_or("").is_empty(),
        "{body:#}"
    );
    assert_eq!(weir.metric("weir_dvr_files_total"), 1);
    assert_eq!(weir.metric("weir_dvr_errors_total"), 0);
}

#[test]
fn segments_become_mp4_files_that_each_start_at_a_keyframe() {
    let dir = Dir::new("segment");
    let weir = Weir::start(&[
        "dvr.enabled=true",
        "dvr.plan=segment",
        "dvr.duration=2",
        &dir.setting("[vhost]/[app]/[stream]-[timestamp].mp4"),
    ]);
    publish(&weir, "seg", 7);
    // Cut at 2, 4 and 6 s (a keyframe a second), and at the end.
    let files = wait_for_files(&dir, "__defaultVhost__/live", 4, &weir);
    assert_eq!(files.len(), 4, "{files:?}");
    let mut video = 0;
    for file in &files {
        let recording = probe(file);
        assert_eq!(recording.codecs, ["h264", "aac"], "{file:?}: {recording:?}");
        assert!(recording.starts_with_keyframe, "{file:?}: {recording:?}");
        decodes_clean(file);
        video += recording.video_packets;
        // Our own MP4 rules pass on our own recordings.
        let (ok, out, err) = run(
            Command::new(env!("CARGO_BIN_EXE_weir"))
                .arg("check")
                .arg(file),
            Duration::from_secs(20),
        );
        assert!(ok, "weir check {file:?}: {out}{err}");
        assert!(out.contains("mp4 (by content"), "{out}");
    }
    let durations: Vec<u64> = files[..3].iter().map(|f| probe(f).video_packets).collect();
    assert_eq!(durations, [50, 50, 50], "two seconds each: {files:?}");
    assert_eq!(video, 175, "every frame of 7 s at 25 fps, once");
    assert_eq!(weir.metric("weir_dvr_files_total"), 4);
}

#[test]
fn a_reconnect_is_a_new_file_and_never_replaces_the_last() {
    let dir = Dir::new("reconnect");
    let weir = Weir::start(&["dvr.enabled=true", &dir.setting("[app]/[stream].flv")]);
    publish(&weir, "again", 2);
    wait_for_files(&dir, "live", 1, &weir);
    publish(&weir, "again", 2);
    let files = wait_for_files(&dir, "live", 2, &weir);
    let names: Vec<_> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["again-1.flv", "again.flv"]);
    for file in &files {
        assert_eq!(probe(file).video_packets, 50, "{file:?}");
    }
}

#[test]
fn apply_records_only_the_streams_it_names() {
    let dir = Dir::new("apply");
    let weir = Weir::start(&[
        "dvr.enabled=true",
        "dvr.apply=live/wanted",
        &dir.setting("[app]/[stream].flv"),
    ]);
    publish(&weir, "other", 2);
    publish(&weir, "wanted", 2);
    let files = wait_for_files(&dir, "live", 1, &weir);
    let names: Vec<_> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["wanted.flv"]);
}

#[test]
fn an_unwritable_path_is_reported_and_the_stream_plays_on() {
    let dir = Dir::new("unwritable");
    std::fs::write(dir.0.join("not-a-dir"), b"a file").unwrap();
    let weir = Weir::start(&["dvr.enabled=true", &dir.setting("not-a-dir/[stream].flv")]);
    let publisher = ffmpeg_publish(&weir.rtmp_url("cam"), 5);
    weir.wait_for_stream("cam", Duration::from_secs(10));
    // A player reads the stream while its recording fails.
    let (ok, _, err) = run(
        Command::new(peer::binary("FFMPEG", "ffmpeg"))
            .args(["-v", "error", "-t", "2", "-i", &weir.flv_url("cam")])
            .args(["-f", "null", "-"]),
        Duration::from_secs(20),
    );
    assert!(ok, "the player: {err}");
    let (ok, _, err) = support::finish(publisher, Duration::from_secs(25));
    assert!(ok, "the publisher: {err}");
    assert!(weir.metric("weir_dvr_errors_total") >= 1, "{}", weir.log());
    assert_eq!(weir.metric("weir_dvr_files_total"), 0);
    assert!(weir.log().contains("recording failed"), "{}", weir.log());
}

/// A disk that fills mid-file: the file under way goes to /dev/full (its temporary name is a
/// link there), so writes fail with ENOSPC. The file is abandoned and said; the recorder
/// starts again a few seconds later, on a disk with room, and that file is whole.
#[test]
fn a_full_disk_abandons_the_file_and_recording_resumes_when_there_is_room() {
    let dir = Dir::new("full");
    std::fs::create_dir_all(dir.0.join("live")).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.0.join("live/full.flv.tmp")).unwrap();
    let weir = Weir::start(&["dvr.enabled=true", &dir.setting("[app]/[stream].flv")]);
    publish(&weir, "full", 12);
    let files = wait_for_files(&dir, "live", 1, &weir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(weir.metric("weir_dvr_errors_total"), 1, "{}", weir.log());
    let log = weir.log();
    assert!(log.contains("No space left on device"), "{log}");
    let recording = probe(&files[0]);
    assert!(recording.starts_with_keyframe, "{recording:?}");
    assert!(
        (25..300).contains(&recording.video_packets),
        "what came after the retry: {recording:?}"
    );
    decodes_clean(&files[0]);
}

/// Every ingest records the same way: an SRT publisher (MPEG-TS from FFmpeg) to MP4.
#[test]
fn an_srt_publish_records_to_mp4() {
    let dir = Dir::new("srt");
    let weir = Weir::start(&["dvr.enabled=true", &dir.setting("[app]/[stream].mp4")]);
    // A latency of 1 s keeps a loaded machine's late packets from being dropped (tlpktdrop),
    // and linger lets FFmpeg's libsrt send its last packets before it closes: without it, the
    // last frame can leave cut short and the recording's tail not decode.
    let url = weir.srt_url("viasrt", "publish") + "&latency=1000000&linger=5";
    let publisher = support::ffmpeg_publish_as(&url, 3, "mpegts");
    let (ok, _, err) = support::finish(publisher, Duration::from_secs(25));
    assert!(ok, "ffmpeg: {err}");
    let files = wait_for_files(&dir, "live", 1, &weir);
    let recording = probe(&files[0]);
    assert_eq!(recording.codecs, ["h264", "aac"], "{recording:?}");
    // SRT drops what misses its latency (tlpktdrop) on a loaded machine: nearly every frame.
    assert!(
        (60..=75).contains(&recording.video_packets),
        "{recording:?}"
    );
    assert!(recording.starts_with_keyframe, "{recording:?}");
    if recording.video_packets == 75 {
        decodes_clean(&files[0]);
    }
}
