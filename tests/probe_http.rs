//! `weir probe http://…/x.flv` and `….ts`, the HTTP live prober: `weir serve` passes every case
//! on both containers (strict); node-media-server's HTTP-FLV is pinned case by case
//! (conformance/FINDINGS.md); a careless server fails every case, each by the rule bound to
//! it, so that every live rule of the prober (`http.live.*`) has a server that breaks it
//! ([`LIVE_RULES`]) and one that keeps it (`weir serve`).

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use support::{Nms, Weir, outcomes, pin, probe};
use weir_testkit::corpus;

#[test]
fn weir_serve_passes_every_case_on_flv_and_ts() {
    let weir = Weir::start(&[]);
    let mut publisher = support::ffmpeg_publish(&weir.rtmp_url("h"), 30);
    weir.wait_for_stream("h", Duration::from_secs(15));
    for url in [weir.flv_url("h"), weir.flv_url("h").replace(".flv", ".ts")] {
        let (code, report) = probe(&url, &["--strict", "--duration", "5"]);
        for (id, status, said) in outcomes(&report) {
            assert!(
                status == "pass" || (id == "live.unknown-stream" && status == "informational"),
                "{url} {id}: {status} {said}\n{}",
                weir.log()
            );
        }
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(report["cases"].as_array().unwrap().len(), 10);
    }
    let _ = publisher.kill();
    let _ = publisher.wait();
}

#[test]
fn node_media_server_sends_no_content_type() {
    let nms = Nms::start();
    let mut publisher = support::ffmpeg_publish(&nms.url("h"), 30);
    let url = format!("http://127.0.0.1:{}/live/h.flv", nms.http);
    // conformance/FINDINGS.md, "node-media-server": HTTP-FLV without a Content-Type; a stream
    // nobody publishes gets a 200 that waits.
    let expected: &[(&str, &str, &[&str])] = &[
        ("live.available", "pass", &["frames"]),
        ("live.content-type", "fail", &["no Content-Type"]),
        ("live.framing", "pass", &["chunked"]),
        ("live.cors", "pass", &["*"]),
        ("live.container", "pass", &["FLV"]),
        ("live.config-first", "pass", &["2 track(s)"]),
        ("live.keyframe-first", "pass", &["keyframe"]),
        ("live.timestamps", "pass", &[]),
        ("live.pacing", "pass", &[]),
        ("live.unknown-stream", "informational", &["200"]),
    ];
    // The stream exists once FFmpeg has connected; the probe waits for its body.
    std::thread::sleep(Duration::from_secs(2));
    let (code, _) = pin(&url, &["--duration", "5"], expected);
    // Its one failure is a SHOULD: not counted without --strict.
    assert_eq!(code, 0, "{}", nms.log());
    let _ = publisher.kill();
    let _ = publisher.wait();
}

/// One FLV tag with its PreviousTagSize (`previous`: what that field says, when not the truth).
fn tag(kind: u8, ms: u32, body: &[u8], previous: Option<u32>) -> Vec<u8> {
    let size = body.len() as u32;
    let mut out = vec![kind];
    out.extend_from_slice(&size.to_be_bytes()[1..]);
    out.extend_from_slice(&ms.to_be_bytes()[1..]);
    out.push((ms >> 24) as u8);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(body);
    out.extend_from_slice(&previous.unwrap_or(11 + size).to_be_bytes());
    out
}

/// A server that gets everything wrong: text/plain with a Content-Length and no CORS; an
/// inter frame before the sequence header and first; timestamps that go back; a wrong
/// PreviousTagSize; 20 s of media at once, then silence (the body stalls); 500 for a stream
/// nobody publishes.
fn careless_server() -> u16 {
    let media = corpus::flv_media("flv/avc_aac.flv");
    let video: Vec<_> = media.iter().filter(|(v, ..)| *v).collect();
    let config = &video[0].2;
    let key = &video
        .iter()
        .find(|(_, _, b)| b[0] >> 4 == 1 && b[1] == 1)
        .unwrap()
        .2;
    let inter = &video.iter().find(|(_, _, b)| b[0] >> 4 == 2).unwrap().2;
    let mut flv = b"FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
    flv.extend(tag(9, 5000, inter, None));
    flv.extend(tag(9, 5000, config, None));
    flv.extend(tag(9, 1000, key, None));
    for n in 0..500 {
        flv.extend(tag(9, 1040 + n * 40, inter, None));
    }
    flv.extend(tag(9, 21_000, inter, Some(7)));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let flv = flv.clone();
            std::thread::spawn(move || {
                let mut head = [0u8; 2048];
                let n = stream.read(&mut head).unwrap_or(0);
                let request = String::from_utf8_lossy(&head[..n]).into_owned();
                if request.contains("nobody") {
                    let _ = stream.write_all(
                        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
                    );
                    return;
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000000\r\n\r\n",
                );
                let _ = stream.write_all(&flv);
                std::thread::sleep(Duration::from_secs(30));
            });
        }
    });
    port
}

/// Each `http.live.*` rule and the fake whose probe run fails it (issue 15: every rule has an
/// input that makes it fail); `weir serve` passes them all above.
const LIVE_RULES: &[(&str, &str)] = &[
    ("http.live.available", "careless"),
    ("http.live.content-type", "careless"),
    ("http.live.framing", "careless"),
    ("http.live.cors", "careless"),
    ("http.live.config-first", "careless"),
    ("http.live.keyframe-first", "careless"),
    ("http.live.timestamps", "careless"),
    ("http.live.pacing", "careless"),
    ("http.live.unknown-stream", "careless"),
];

#[test]
fn a_careless_server_fails_every_case_by_its_rule() {
    let port = careless_server();
    let url = format!("http://127.0.0.1:{port}/live/x.flv");
    let expected: &[(&str, &str, &[&str])] = &[
        ("live.available", "fail", &["no byte after"]),
        ("live.content-type", "fail", &["Content-Type: text/plain"]),
        ("live.framing", "fail", &["Content-Length: 100000000"]),
        ("live.cors", "fail", &["no Access-Control-Allow-Origin"]),
        ("live.container", "fail", &["flv.tag.previous-tag-size"]),
        (
            "live.config-first",
            "fail",
            &["a video0 frame (body event #0)"],
        ),
        ("live.keyframe-first", "fail", &["is not a keyframe"]),
        ("live.timestamps", "fail", &["video0 5000ms then 1000ms"]),
        ("live.pacing", "fail", &["0.0 s of video0 in"]),
        ("live.unknown-stream", "fail", &["500"]),
    ];
    let (code, report) = pin(&url, &["--strict", "--duration", "4"], expected);
    assert_eq!(code, 1);
    support::check_live_rules(
        weir_conformance::probe::http_live::rules::CATALOG,
        LIVE_RULES,
        &[("careless", support::failed_rules(&report))],
    );
}
