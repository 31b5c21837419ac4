//! `weir probe` against live servers: every case passes on `weir serve` (strict, so SHOULD
//! cases count too), and nginx-rtmp's known departures from the spec are pinned case by case
//! (conformance/FINDINGS.md tells them with their evidence).

mod support;

use std::process::Command;
use support::{Nginx, Weir, weir_json};
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
