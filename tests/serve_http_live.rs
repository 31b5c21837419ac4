//! HTTP live players (HTTP-FLV and HTTP-TS) see a stream end when its publisher stops: the
//! response ends with its chunked terminator, as SRS's do since 6.0.152, so that curl, FFmpeg
//! and mpegts.js finish (or reconnect) instead of waiting forever.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Weir, ffmpeg_publish, finish};
use weir_testkit::{TempPath, peer};

/// curl reading `url` into `path` for at most 60 s; it exits 0 only if the response ended
/// properly (for chunked bodies, their terminator).
fn curl(url: &str, path: &std::path::Path) -> std::process::Child {
    Command::new(peer::binary("CURL", "curl"))
        .args(["-sS", "--max-time", "60", "-o"])
        .arg(path)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl starts")
}

#[test]
fn http_flv_and_http_ts_players_end_when_the_publisher_stops() {
    let weir = Weir::start(&[]);
    let publisher = ffmpeg_publish(&weir.rtmp_url("ends"), 4);
    weir.wait_for_stream("ends", Duration::from_secs(10));
    let dir = TempPath::dir("ends");
    let (flv, ts) = (dir.path().join("ends.flv"), dir.join("ends.ts"));
    let flv_player = curl(&weir.flv_url("ends"), &flv);
    let ts_player = curl(&format!("http://127.0.0.1:{}/live/ends.ts", weir.http), &ts);
    let (published, _, stderr) = finish(publisher, Duration::from_secs(30));
    assert!(published, "ffmpeg could not publish: {stderr}");
    let stopped = Instant::now();
    for (name, player, path, magic) in [
        ("HTTP-FLV", flv_player, &flv, &b"FLV"[..]),
        ("HTTP-TS", ts_player, &ts, &[0x47][..]),
    ] {
        let (ended, _, stderr) = finish(player, Duration::from_secs(70));
        let waited = stopped.elapsed();
        assert!(
            ended,
            "the {name} response did not end properly after the publisher stopped: {stderr}\n{}",
            weir.log()
        );
        assert!(
            waited < Duration::from_secs(15),
            "the {name} response ended {waited:?} after the publisher"
        );
        let body = std::fs::read(path).unwrap();
        assert!(
            body.starts_with(magic) && body.len() > 100_000,
            "the {name} player got {} bytes before the end",
            body.len()
        );
    }
    // The players' sessions are over: the API lists no player of the stream.
    let deadline = Instant::now() + Duration::from_secs(5);
    while weir.client_of_type("flv-play").is_some() || weir.client_of_type("ts-play").is_some() {
        assert!(
            Instant::now() < deadline,
            "players still listed after the end"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_player_that_comes_back_plays_the_next_publisher() {
    let weir = Weir::start(&[]);
    let dir = TempPath::dir("again");
    for round in 0..2 {
        let publisher = ffmpeg_publish(&weir.rtmp_url("again"), 3);
        weir.wait_for_stream("again", Duration::from_secs(10));
        let path = dir.path().join(format!("again-{round}.flv"));
        let player = curl(&weir.flv_url("again"), &path);
        let (published, _, stderr) = finish(publisher, Duration::from_secs(30));
        assert!(published, "ffmpeg could not publish: {stderr}");
        let (ended, _, stderr) = finish(player, Duration::from_secs(70));
        assert!(ended, "round {round}: the response did not end: {stderr}");
        let probe = support::ffprobe_streams(path.to_str().unwrap());
        assert_eq!(
            support::codecs(&probe),
            ["aac", "h264"],
            "round {round}: {probe:#}"
        );
    }
}

/// WebSocket-FLV and -TS (`ws://host:8080/{app}/{stream}.flv`, `.ts`), as flv.js and mpegts.js
/// read them, in Chromium: the messages hold a file ffprobe reads (H.264 and AAC), and the
/// server closes the socket (1000) when the publisher stops.
#[test]
fn chromium_reads_websocket_flv_and_ts_until_the_publisher_stops() {
    let weir = Weir::start(&[]);
    let publisher = ffmpeg_publish(&weir.rtmp_url("ws"), 5);
    weir.wait_for_stream("ws", Duration::from_secs(10));
    let dir = TempPath::dir("ws");
    let readers: Vec<_> = ["flv", "ts"]
        .into_iter()
        .map(|format| {
            let url = format!("ws://127.0.0.1:{}/live/ws.{format}", weir.http);
            let out = dir.path().join(format!("ws.{format}"));
            let options = serde_json::json!({"url": url, "seconds": 30, "out": out});
            let thread = std::thread::spawn(move || {
                support::browser("websocket.mjs", options, Duration::from_secs(60))
            });
            (format, out, thread)
        })
        .collect();
    let (published, _, stderr) = finish(publisher, Duration::from_secs(30));
    assert!(published, "ffmpeg could not publish: {stderr}");
    for (format, out, thread) in readers {
        let result = thread.join().unwrap();
        assert_eq!(
            result["closed"]["code"],
            1000,
            "{format}: the socket was not closed when the publisher stopped: {result}\n{}",
            weir.log()
        );
        assert!(result["messages"].as_u64() > Some(50), "{format}: {result}");
        let probe = support::ffprobe_streams(out.to_str().unwrap());
        assert_eq!(
            support::codecs(&probe),
            ["aac", "h264"],
            "{format}: {probe:#}"
        );
    }
}
