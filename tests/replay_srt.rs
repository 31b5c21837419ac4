//! `weir replay --to srt://...`: FFmpeg publishing to `weir serve` and FFprobe playing from it,
//! recorded here, replay to another `weir serve` the same. The corpus's captures of FFmpeg 5.1
//! (libsrt 1.5.1) publishing to `srt-live-transmit` re-sent to a fresh `weir serve` with a new
//! handshake: the plain one makes the stream and is answered as srt-live-transmit answered
//! (accepted, ACKs); the one whose relay dropped every 20th packet gets NAKs again, for the
//! replay leaves those out again; a listener that wants a passphrase refuses it, which is the
//! diff and exit code 1 (and takes it encrypted with the URL's passphrase); an encrypted capture is not replayable, and a listener that is not
//! there an error (exit code 2, the reason said).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{Weir, ffmpeg_publish_as, finish, weir_json};
use weir_testkit::dumpcap::Dumpcap;

fn replay(capture: &str, url: &str) -> (i32, serde_json::Value) {
    replay_file(
        &weir_testkit::corpus::path(&format!(
            "srt/locally_generated/srt_ffmpeg_caller_to_slt_listener_{capture}.pcapng"
        )),
        url,
    )
}

fn replay_file(capture: &Path, url: &str) -> (i32, serde_json::Value) {
    weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("replay")
            .arg(capture)
            .args(["--to", url, "--format", "json"]),
    )
}

/// The captured stream id is `%23!::r=live/test,...` as FFmpeg 5.1 sent it: the URL's replaces it.
fn url(weir: &Weir, stream: &str) -> String {
    format!(
        "srt://127.0.0.1:{}?streamid=%23!::r=live/{stream},m=publish",
        weir.srt.expect("SRT is on")
    )
}

fn lines<'r>(report: &'r serde_json::Value, which: &str) -> Vec<&'r str> {
    report["flows"][0][which]
        .as_array()
        .unwrap_or_else(|| panic!("no {which} answers: {report:#}"))
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect()
}

#[test]
fn a_plain_publish_replayed_makes_the_stream_and_is_answered_the_same() {
    let weir = Weir::start(&[]);
    let url = url(&weir, "x");
    let replayed = std::thread::spawn(move || replay("plain", &url));
    // The stream is there while the replay publishes it.
    weir.wait_for_stream("x", Duration::from_secs(15));
    let (code, report) = replayed.join().unwrap();
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 1, "{report:#}");
    let flow = &flows[0];
    assert_eq!(flow["captured_messages"], 159, "{flow:#}");
    assert_eq!(flow["sent"], flow["captured_messages"], "{flow:#}");
    assert_eq!(lines(&report, "live"), ["handshake accepted", "ACKs"]);
    assert_eq!(lines(&report, "captured"), lines(&report, "live"));
    let acks = flow["live_frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["track"] == "ACKs")
        .and_then(|c| c["frames"].as_u64());
    assert!(acks.is_some_and(|n| n > 0), "{flow:#}");
}

/// FFmpeg publishing to `weir serve` and FFprobe playing it, recorded here with dumpcap, replay
/// to another side by side with the captured stream ids (the replayed publisher feeds the
/// replayed player), and are answered as the recorded ones were.
#[test]
fn ffmpeg_publishing_and_ffprobe_playing_recorded_replay_to_another_weir_the_same() {
    let dir = weir_testkit::TempPath::dir("replay-srt");
    let recorded = Weir::start(&[]);
    let filter = format!("udp port {}", recorded.srt.unwrap());
    let capture = Dumpcap::start(&dir.path().join("srt.pcapng"), &filter);
    let publisher = ffmpeg_publish_as(&recorded.srt_url("cap", "publish"), 6, "mpegts");
    recorded.wait_for_stream("cap", Duration::from_secs(15));
    let (played, frames, stderr) = support::run(
        Command::new(weir_testkit::peer::binary("FFPROBE", "ffprobe"))
            .args(["-v", "error", "-rw_timeout", "5000000"])
            .args(["-read_intervals", "%+2", "-select_streams", "v:0"])
            .args(["-count_frames", "-show_entries", "stream=nb_read_frames"])
            .args(["-of", "csv=p=0"])
            .arg(recorded.srt_url("cap", "request")),
        Duration::from_secs(30),
    );
    assert!(played, "ffprobe played: {frames} {stderr}");
    let (ok, _, stderr) = finish(publisher, Duration::from_secs(30));
    assert!(ok, "ffmpeg published: {stderr}");
    let capture = capture.stop();
    let weir = Weir::start(&[]);
    let url = format!("srt://127.0.0.1:{}", weir.srt.unwrap());
    let replayed = std::thread::spawn(move || replay_file(&capture, &url));
    weir.wait_for_stream("cap", Duration::from_secs(15));
    let (code, report) = replayed.join().unwrap();
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2, "a publisher and a player: {report:#}");
    let publisher = &flows[0];
    assert!(
        publisher["captured_messages"].as_u64().unwrap() > 100,
        "{publisher:#}"
    );
    assert_eq!(
        publisher["sent"], publisher["captured_messages"],
        "{publisher:#}"
    );
    assert_eq!(
        publisher["live"],
        serde_json::json!(["handshake accepted", "ACKs"])
    );
    assert_eq!(
        flows[1]["live"],
        serde_json::json!(["handshake accepted", "data from the listener"]),
        "{report:#}"
    );
}

#[test]
fn losses_left_out_again_are_reported_lost_again() {
    let weir = Weir::start(&[]);
    let (code, report) = replay("loss_nak", &url(&weir, "lossy"));
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    assert_eq!(
        lines(&report, "live"),
        ["handshake accepted", "ACKs", "NAKs (loss reports)"]
    );
    let flow = &report["flows"][0];
    assert_eq!(flow["sent"], flow["captured_messages"], "{flow:#}");
}

#[test]
fn a_listener_that_wants_a_passphrase_refuses_the_replay_and_exits_1() {
    let weir = Weir::start(&["srt.passphrase=server-wide-secret"]);
    let (code, report) = replay("plain", &url(&weir, "x"));
    assert_eq!(code, 1, "{report:#}\n{}", weir.log());
    let flow = &report["flows"][0];
    assert!(flow["error"].is_null(), "{flow:#}");
    let diff = flow["diff"].as_str().unwrap();
    assert!(
        diff.contains("-handshake accepted")
            && diff.contains("+handshake rejected: ")
            && diff.contains("-ACKs"),
        "{diff}"
    );
    // With the URL's passphrase the replayed connection is encrypted, and accepted.
    let (code, report) = replay(
        "plain",
        &(url(&weir, "x") + "&passphrase=server-wide-secret&pbkeylen=16"),
    );
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
}

#[test]
fn an_encrypted_capture_is_not_replayable_and_says_why() {
    let weir = Weir::start(&[]);
    let (code, report) = replay("aes128", &url(&weir, "x"));
    assert_eq!(code, 2, "{report:#}");
    let error = report["flows"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("not replayable") && error.contains("without the key"),
        "{error}"
    );
}

#[test]
fn a_listener_that_is_not_there_is_an_error_not_a_difference() {
    let port = support::free_port();
    let (code, report) = replay("plain", &format!("srt://127.0.0.1:{port}"));
    assert_eq!(code, 2, "{report:#}");
    let error = report["flows"][0]["error"].as_str().unwrap();
    assert!(error.contains("no SRT listener answers"), "{error}");
}
