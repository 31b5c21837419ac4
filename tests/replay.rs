//! `weir replay`: the client side of captured sessions re-sent to `weir serve`. A publish
//! replayed makes a stream ffprobe plays; sessions recorded against Weir get the same answers
//! again; an FFmpeg session recorded against nginx-rtmp shows, as a diff, where the two
//! servers answer differently (pinned; conformance/FINDINGS.md tells the RTMP side of it).

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::{Weir, ffprobe_streams, weir_json};

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn replay_command(capture_name: &str, url: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .arg("replay")
        .arg(capture(capture_name))
        .args(["--to", url])
        .args(extra);
    command
}

/// Replays and returns the exit code and the JSON report.
fn replay(capture_name: &str, url: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    weir_json(replay_command(capture_name, url, extra).args(["--format", "json"]))
}

#[test]
fn sessions_recorded_against_weir_get_the_same_answers_again() {
    let weir = Weir::start(&[]);
    for name in [
        "ffmpeg-weir.pcapng",
        "gstreamer-weir.pcapng",
        "obs-weir.pcapng",
    ] {
        let stream = name.split('-').next().unwrap();
        let (code, report) = replay(name, &weir.rtmp_url(stream), &["--speed", "2"]);
        assert_eq!(code, 0, "{name}: {report:#}\n{}", weir.log());
        for flow in report["flows"].as_array().unwrap() {
            assert_eq!(flow["sent"], flow["captured_messages"], "{name}: {flow:#}");
            assert!(flow["live"].as_array().unwrap().len() >= 10, "{flow:#}");
        }
    }
}

#[test]
fn a_replayed_publish_makes_a_stream_that_ffprobe_plays() {
    let weir = Weir::start(&[]);
    let url = weir.rtmp_url("replayed");
    let mut replaying = replay_command("ffmpeg-weir.pcapng", &url, &[])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    weir.wait_for_stream("replayed", Duration::from_secs(10));
    let probe = ffprobe_streams(&url);
    let streams = probe["streams"].as_array().unwrap();
    let video = streams.iter().find(|s| s["codec_name"] == "h264");
    let video = video.unwrap_or_else(|| panic!("no h264 in {probe:#}"));
    assert_eq!(
        (video["width"].as_i64(), video["height"].as_i64()),
        (Some(320), Some(180))
    );
    assert!(
        streams.iter().any(|s| s["codec_name"] == "aac"),
        "{probe:#}"
    );
    assert!(
        replaying.wait().unwrap().success(),
        "the replay itself answered the same"
    );
}

#[test]
fn an_ffmpeg_session_recorded_against_nginx_rtmp_shows_where_the_servers_differ() {
    let weir = Weir::start(&[]);
    let (code, report) = replay(
        "ffmpeg-nginx-rtmp.pcapng",
        &weir.rtmp_url("from-nginx"),
        &["--speed", "2"],
    );
    assert_eq!(code, 1, "the answers differ: {report:#}");
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2, "a publisher and a player: {report:#}");
    for flow in flows {
        assert!(flow["error"].is_null(), "{flow:#}");
        assert_eq!(flow["sent"], flow["captured_messages"], "{flow:#}");
    }
    insta::assert_snapshot!(
        "nginx_publisher_replayed_into_weir",
        flows[0]["diff"].as_str().unwrap()
    );
    insta::assert_snapshot!(
        "nginx_player_replayed_into_weir",
        flows[1]["diff"].as_str().unwrap()
    );
}

#[test]
fn bad_inputs_exit_2() {
    let (code, report) = replay("README.md", "rtmp://127.0.0.1:1/live/x", &[]);
    assert_eq!(code, 2);
    assert!(
        report["error"].as_str().unwrap().contains("README.md"),
        "{report:#}"
    );
    let out = replay_command("obs-weir.pcapng", "rtmp://127.0.0.1:1/live/x", &[])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cannot connect"), "{text}");
}
