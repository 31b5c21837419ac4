//! `weir replay --to http://.../whip/...`: `captures/chromium-weir-whip.pcapng`, Chromium
//! publishing H.264 and Opus to `weir serve` by WHIP and playing it back by WHEP, with the key
//! log of its SRTP, replayed to a fresh `weir serve` by our str0m client: the publisher's RTP,
//! decrypted, makes the stream again and both sessions are answered as the captured ones were.
//! Without the key log the sessions are not replayable (exit code 2, the reason said); to a
//! server with WebRTC off, the answers differ (exit code 1); a key log with a target that is no
//! WHIP endpoint is refused.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::{Weir, weir_json};

fn capture(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(file)
}

fn replay(url: &str, keylog: bool) -> (i32, serde_json::Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .arg("replay")
        .arg(capture("chromium-weir-whip.pcapng"))
        .args(["--to", url, "--format", "json"]);
    if keylog {
        command
            .arg("--keylog")
            .arg(capture("chromium-weir-whip.keys"));
    }
    weir_json(&mut command)
}

fn lines<'r>(flow: &'r serde_json::Value, which: &str) -> Vec<&'r str> {
    flow[which]
        .as_array()
        .unwrap_or_else(|| panic!("no {which} answers: {flow:#}"))
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect()
}

#[test]
fn chromium_s_whip_session_replayed_with_its_keys_makes_the_stream_and_is_answered_the_same() {
    let weir = Weir::start(&[]);
    let url = weir.api_url("/rtc/v1/whip/?app=live&stream=x");
    let replayed = std::thread::spawn(move || replay(&url, true));
    // The stream is there, with H.264 frames, while the replay publishes it.
    let stream = weir.wait_for_stream("x", Duration::from_secs(20));
    assert_eq!(stream["video"]["codec"], "H264", "{stream:#}");
    assert_eq!(stream["audio"]["codec"], "Opus", "{stream:#}");
    support::eventually(
        "the stream's frames counted",
        Duration::from_secs(20),
        || {
            weir.live_stream("x")
                .is_some_and(|s| s["frames"].as_u64().is_some_and(|n| n > 10))
        },
    );
    let (code, report) = replayed.join().unwrap();
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2, "a WHIP and a WHEP session: {report:#}");
    let (publish, play) = (&flows[0], &flows[1]);
    assert!(
        publish["captured_messages"].as_u64().unwrap() > 100,
        "{publish:#}"
    );
    assert_eq!(publish["sent"], publish["captured_messages"], "{publish:#}");
    let live = lines(publish, "live");
    assert_eq!(
        live[0], "WHIP POST: 201 application/sdp, Location",
        "{publish:#}"
    );
    assert!(live.contains(&"ICE and DTLS completed"), "{publish:#}");
    assert!(
        live.contains(&"RTCP receiver reports from the server"),
        "{publish:#}"
    );
    assert_eq!(live.last(), Some(&"DELETE: 200"), "{publish:#}");
    assert_eq!(lines(publish, "captured"), live);
    let played = lines(play, "live");
    assert_eq!(
        played[0], "WHEP POST: 201 application/sdp, Location",
        "{play:#}"
    );
    assert!(played.contains(&"media from the server"), "{play:#}");
    assert_eq!(lines(play, "captured"), played);
}

#[test]
fn without_the_key_log_the_sessions_are_not_replayable() {
    let weir = Weir::start(&[]);
    let (code, report) = replay(&weir.api_url("/rtc/v1/whip/?app=live&stream=x"), false);
    assert_eq!(code, 2, "{report:#}");
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2, "{report:#}");
    for flow in flows {
        let error = flow["error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("not replayable") && error.contains("--keylog"),
            "{flow:#}"
        );
        assert_eq!(flow["sent"], 0, "{flow:#}");
    }
}

#[test]
fn a_server_with_webrtc_off_answers_otherwise_which_is_the_diff() {
    let weir = Weir::start(&["rtc.enabled=false"]);
    let (code, report) = replay(&weir.api_url("/rtc/v1/whip/?app=live&stream=x"), true);
    assert_eq!(code, 1, "{report:#}");
    let publish = &report["flows"][0];
    let live = lines(publish, "live");
    assert!(
        live[0].starts_with("WHIP POST: ") && !live[0].contains("201"),
        "{publish:#}"
    );
    assert_eq!(publish["differs"], true, "{publish:#}");
    assert!(
        publish["diff"]
            .as_str()
            .unwrap_or_default()
            .contains("-ICE and DTLS completed"),
        "{publish:#}"
    );
}

#[test]
fn a_key_log_for_a_target_that_is_no_whip_endpoint_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("replay")
        .arg(capture("chromium-weir-whip.pcapng"))
        .arg("--keylog")
        .arg(capture("chromium-weir-whip.keys"))
        .args(["--to", "rtmp://127.0.0.1:1/live/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--keylog") && stderr.contains("WHIP"),
        "{stderr}"
    );
}
