//! `weir serve` with HTTP callbacks: a hook server in the test allows one stream key and denies
//! another; the bodies carry SRS's field names (snapshots, with what changes per run redacted).

mod support;

use std::time::Duration;
use support::{HookServer, Weir, ffmpeg_publish, finish, run};
use weir_testkit::peer;

#[test]
fn hooks_allow_one_stream_key_and_deny_another_with_srs_bodies() {
    let hooks = HookServer::start();
    let url = hooks.url();
    let settings: Vec<String> = [
        "on_connect",
        "on_publish",
        "on_unpublish",
        "on_play",
        "on_stop",
        "on_close",
    ]
    .iter()
    .map(|event| format!("hooks.{event}={url}"))
    .chain(["hooks.enabled=true".to_owned()])
    .collect();
    let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
    let weir = Weir::start(&settings);

    // Allowed: ffmpeg publishes, ffprobe plays with a token.
    let mut allowed = ffmpeg_publish(&format!("{}?key=good", weir.rtmp_url("allowed")), 30);
    weir.wait_for_stream("allowed", Duration::from_secs(15));
    let (ok, _, stderr) = run(
        std::process::Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args(["-v", "error", "-show_entries", "stream=codec_name"])
            .arg(format!("{}?token=abc", weir.rtmp_url("allowed"))),
        Duration::from_secs(20),
    );
    assert!(ok, "ffprobe plays the allowed stream: {stderr}");

    // Denied: on_publish answers {"code":1}; ffmpeg fails and the stream never appears.
    let denied = ffmpeg_publish(&weir.rtmp_url("denied"), 5);
    let (ok, _, _) = finish(denied, Duration::from_secs(20));
    assert!(!ok, "ffmpeg's publish of a denied stream fails");
    hooks.wait_for("on_publish", "denied");
    let streams = weir.api("/api/v1/streams/");
    assert!(
        !streams.to_string().contains("\"denied\""),
        "a denied stream is not listed: {streams:#}"
    );
    assert!(weir.log().contains("publish denied"), "{}", weir.log());

    let _ = allowed.kill();
    let _ = allowed.wait();
    for action in ["on_unpublish", "on_stop"] {
        hooks.wait_for(action, "allowed");
    }
    hooks.wait_for("on_close", "");

    // One body of each action, in a stable order, for the snapshot.
    let mut seen = std::collections::BTreeMap::new();
    for body in hooks.bodies() {
        let name = body["stream"].as_str().unwrap_or("").to_owned();
        let key = format!("{} {}", body["action"].as_str().unwrap(), name);
        seen.entry(key).or_insert(body);
    }
    let port = format!(":{}/", weir.rtmp);
    for body in seen.values_mut() {
        if let Some(tc_url) = body["tcUrl"].as_str() {
            body["tcUrl"] = tc_url.replace(&port, ":[port]/").into();
        }
    }
    insta::assert_yaml_snapshot!(seen, {
        ".*.client_id" => "[client id]",
        ".*.server_id" => "[server id]",
        ".*.service_id" => "[service id]",
        ".*.stream_id" => "[stream id]",
        ".*.send_bytes" => "[bytes]",
        ".*.recv_bytes" => "[bytes]",
    });
}

#[test]
fn on_hls_tells_of_each_segment_with_srs_fields() {
    let hooks = HookServer::start();
    let url = format!("hooks.on_hls={}", hooks.url());
    let weir = Weir::start(&["hooks.enabled=true", &url, "hls.fragment=1"]);
    let mut publisher = ffmpeg_publish(&format!("{}?key=k", weir.rtmp_url("seg")), 4);
    let body = hooks.wait_for("on_hls", "seg");
    assert!(publisher.wait().unwrap().success());
    assert_eq!(body["seq_no"], 0);
    assert_eq!(body["url"], "live/seg-0.ts");
    assert_eq!(body["m3u8_url"], "live/seg.m3u8");
    assert_eq!(body["param"], "?key=k");
    assert_eq!(body["stream_url"], "/live/seg");
    let duration = body["duration"].as_f64().unwrap();
    assert!((0.9..=2.0).contains(&duration), "{body:#}");
    // The segment it names is served.
    let segment = format!(
        "http://127.0.0.1:{}/{}",
        weir.http,
        body["url"].as_str().unwrap()
    );
    assert_eq!(reqwest::blocking::get(&segment).unwrap().status(), 200);
    let client = body["client_id"].as_str().unwrap();
    assert!(!client.is_empty(), "the publisher's client id: {body:#}");
}

/// SRT callers pass the same hooks: the stream id's extra keys reach `on_publish` as the
/// param, and a denied stream id is refused at the handshake (libsrt's 1403, "forbidden").
#[test]
fn srt_stream_ids_reach_the_hooks_which_may_refuse_them() {
    let hooks = HookServer::start();
    let url = hooks.url();
    let on_publish = format!("hooks.on_publish={url}");
    let weir = Weir::start(&["hooks.enabled=true", &on_publish]);
    let port = weir.srt.unwrap();
    let srt = |stream_id: &str| format!("srt://127.0.0.1:{port}?streamid={stream_id}");

    let mut allowed = support::ffmpeg_publish_as(
        &srt("#!::r=live/cam?secret=s3,token=t1,m=publish"),
        30,
        "mpegts",
    );
    let body = hooks.wait_for("on_publish", "cam");
    assert_eq!(body["app"], "live");
    let param = body["param"].as_str().unwrap();
    assert!(
        param.contains("secret=s3") && param.contains("token=t1"),
        "{body:#}"
    );
    assert!(
        body["tcUrl"].as_str().unwrap().starts_with("srt://"),
        "{body:#}"
    );
    weir.wait_for_stream("cam", Duration::from_secs(15));

    let denied = support::ffmpeg_publish_as(&srt("#!::r=live/denied,m=publish"), 5, "mpegts");
    let (ok, _, _) = finish(denied, Duration::from_secs(20));
    assert!(!ok, "ffmpeg's SRT publish of a denied stream fails");
    hooks.wait_for("on_publish", "denied");
    assert!(weir.log().contains("refused"), "{}", weir.log());
    let _ = allowed.kill();
    let _ = allowed.wait();
}
