//! `weir probe` against live servers: every case passes on `weir serve` (strict, so SHOULD
//! cases count too), and nginx-rtmp's and node-media-server's known departures from the spec
//! are pinned case by case (conformance/FINDINGS.md tells them with their evidence).

mod support;

use std::process::Command;
use std::time::Duration;
use support::{Nginx, Nms, Weir, weir_json};
use weir_testkit::TempPath;

/// Runs `weir probe` with JSON output; returns the exit code and the report.
fn probe(url: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["probe", url, "--format", "json", "--timeout", "20"])
            .args(extra),
    )
}

/// Each case's id and status.
fn statuses(report: &serde_json::Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["outcome"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_case_passes_against_weir_serve() {
    let weir = Weir::start(&[]);
    let junit = TempPath::new("probe.xml");
    let junit_arg = junit.to_str().unwrap().to_owned();
    let (code, report) = probe(
        &weir.rtmp_url("probe"),
        &["--strict", "--junit", &junit_arg],
    );
    let failed: Vec<_> = statuses(&report)
        .into_iter()
        .filter(|(_, status)| status != "pass" && status != "informational")
        .collect();
    assert!(failed.is_empty(), "{failed:?}\n{report:#}\n{}", weir.log());
    assert_eq!(code, 0);
    assert!(statuses(&report).len() >= 25);
    // The JUnit report parses and has one test case per probe case.
    let xml = std::fs::read_to_string(&junit).unwrap();
    drop(junit);
    let cases = xml.matches("<testcase ").count();
    assert_eq!(cases, statuses(&report).len(), "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
}

#[test]
fn nginx_rtmp_departs_from_the_spec_where_findings_say() {
    let nginx = Nginx::start();
    let (code, report) = probe(&nginx.url("probe"), &[]);
    let got = statuses(&report);
    let status_of = |id: &str| {
        got.iter()
            .find(|(case, _)| case == id)
            .map(|(_, s)| s.as_str())
            .unwrap_or_else(|| panic!("no case {id}"))
    };
    // conformance/FINDINGS.md: nginx-rtmp refuses chunk sizes above its limit, does not
    // discard an aborted message, and ignores Set Peer Bandwidth.
    let departures = ["chunk.size-max", "chunk.abort", "flow.peer-bandwidth"];
    for id in departures {
        assert_eq!(status_of(id), "fail", "{id}\n{report:#}");
    }
    for (id, status) in &got {
        if !departures.contains(&id.as_str()) {
            assert!(
                status == "pass" || status == "informational",
                "{id} is {status}\n{report:#}\n{}",
                Nginx::log_of(&nginx.dir)
            );
        }
    }
    // Two MUST cases fail: the run fails.
    assert_eq!(code, 1);
    assert_eq!(report["counted_failures"], 2);
}

#[test]
fn node_media_server_departs_from_the_spec_where_findings_say() {
    let nms = Nms::start();
    // conformance/FINDINGS.md, "node-media-server": media to players on message stream 0,
    // Abort and Set Peer Bandwidth ignored, no Acknowledgement ever, garbage tolerated.
    let stray = "video on message stream 0, not the played stream 1";
    let expected: &[(&str, &str, &[&str])] = &[
        ("handshake.simple", "pass", &[]),
        ("handshake.complex-scheme0", "pass", &["S2 digest valid"]),
        (
            "handshake.complex-scheme1",
            "pass",
            &["S1 digest valid (Scheme1)"],
        ),
        ("handshake.split", "pass", &[]),
        ("handshake.c2-mismatch", "informational", &["accepted"]),
        ("chunk.size-128", "fail", &[stray]),
        ("chunk.size-4096", "fail", &[stray]),
        ("chunk.size-65536", "fail", &[stray]),
        ("chunk.size-max", "fail", &[stray]),
        ("chunk.interleave", "pass", &["identical"]),
        ("chunk.abort", "fail", &["1 of 4 video frames arrived"]),
        ("timestamp.extended", "pass", &["identical"]),
        ("timestamp.wrap", "pass", &["identical"]),
        (
            "flow.acknowledgement",
            "fail",
            &["no Acknowledgement after"],
        ),
        (
            "flow.peer-bandwidth",
            "fail",
            &["while the player acknowledged nothing"],
        ),
        ("connect.ecma-array", "pass", &[]),
        ("connect.amf3", "pass", &[]),
        ("sequence.ffmpeg", "pass", &[]),
        ("sequence.obs", "pass", &["onMetaData relayed"]),
        ("sequence.republish", "pass", &[]),
        ("sequence.plain-publish", "pass", &[]),
        ("command.unknown", "pass", &["ignored it"]),
        ("relay.echo", "fail", &[stray]),
        ("invalid.version", "pass", &[]),
        (
            "invalid.garbage-after-handshake",
            "fail",
            &["kept the connection open"],
        ),
    ];
    let (code, report) = support::pin(&nms.url("probe"), &[], expected);
    assert_eq!(code, 1, "{}", nms.log());
    // flow.peer-bandwidth is a SHOULD: not counted without --strict.
    assert_eq!(report["counted_failures"], 8);
}

/// node-media-server's HTTP-FLV body, saved as a file, passes `weir check`'s FLV and media
/// rules: its departures are RTMP's alone.
#[test]
fn node_media_server_http_flv_passes_the_flv_rules() {
    let nms = Nms::start();
    let flv_url = format!("http://127.0.0.1:{}/live/h.flv", nms.http);
    let publisher = support::ffmpeg_publish(&nms.url("h"), 3);
    // The publisher stops after 3 s; node-media-server keeps the response open, idle, and the
    // read ends at 10 s: between two tags, so the file is whole.
    let body = support::http_body_for(&flv_url, Duration::from_secs(10));
    let (ok, _, stderr) = support::finish(publisher, Duration::from_secs(10));
    assert!(ok, "{stderr}");
    assert!(body.starts_with(b"FLV\x01"), "{}", nms.log());
    let file = TempPath::new("nms.flv");
    std::fs::write(&file, &body).unwrap();
    let (code, report) = weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["check", "--format", "json"])
            .arg(file.path()),
    );
    assert_eq!(code, 0, "{report:#}");
    let text = report.to_string();
    assert!(text.contains("\"flv\""), "{report:#}");
    assert!(text.contains("h264") && text.contains("aac"), "{report:#}");
}

#[test]
fn an_unreachable_server_exits_2_and_list_needs_no_server() {
    let port = support::free_port();
    let (code, report) = probe(&format!("rtmp://127.0.0.1:{port}/live/x"), &[]);
    assert_eq!(code, 2);
    assert!(
        report["unreachable"]
            .as_str()
            .unwrap()
            .contains("cannot connect")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["probe", "--list", "--case", "chunk."])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("chunk.size-65536") && !text.contains("handshake.simple"),
        "{text}"
    );
    assert!(text.contains("rules: rtmp.server.chunk-size"), "{text}");
}
