//! `weir check --html`'s page in headless Chromium (issue 15, "A report people read"), for a
//! corpus stream pair whose FFmpeg client breaks two MUST rules and for a capture of a hundred
//! such RTMP flows written here: the summary lists every failed rule, every in-page link (the
//! summary's, each violation's to its arrow in the flow's ladder, each arrow's to its
//! verdict) lands on an element, failed and inconclusive verdicts are open and passed ones
//! closed, and the page loads within a bounded wait. Screenshots go to the target dir. The
//! JUnit file of the same run holds one test case per rule per flow, a failure's evidence (the
//! bytes at its offset) in its failure.

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddrV4;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use weir_capture::write::PcapWriter;
use weir_testkit::corpus::dir as corpus;

/// Where a run's files go: under the target dir, kept for a look after the test.
fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report_html")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `weir check --format json --junit --html` of `inputs`: (exit code, JSON, JUnit XML, page).
fn check(dir: &Path, inputs: &[&str]) -> (i32, Value, String, PathBuf) {
    let html = dir.join("html");
    let junit = dir.join("junit.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["check", "--format", "json", "--junit"])
        .arg(&junit)
        .arg("--html")
        .arg(&html)
        .args(inputs)
        .output()
        .expect("weir runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let xml = std::fs::read_to_string(&junit).unwrap();
    (
        out.status.code().unwrap_or(-1),
        json,
        xml,
        html.join("index.html"),
    )
}

/// The rules that failed in any flow of a JSON report.
fn failed_rules(json: &Value) -> BTreeSet<String> {
    json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["flows"].as_array().unwrap())
        .flat_map(|f| f["verdicts"].as_array().unwrap())
        .filter(|v| v["status"] == "fail")
        .map(|v| v["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// Opens each page in Chromium: what its DOM holds (tests/webrtc/report.mjs).
fn open(pages: &[&Path], dir: &Path) -> Vec<Value> {
    let shots: Vec<PathBuf> = (0..pages.len())
        .map(|n| dir.join(format!("page{n}.png")))
        .collect();
    let out = support::browser(
        "report.mjs",
        json!({"pages": pages, "shots": shots}),
        Duration::from_secs(180),
    );
    for shot in &shots {
        assert!(shot.exists(), "no screenshot {}", shot.display());
    }
    serde_json::from_value(out).unwrap()
}

/// What every page must show of the run whose JSON is `json`.
fn assert_usable(dom: &Value, json: &Value, flows: u64) {
    let listed: BTreeSet<String> = dom["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed,
        failed_rules(json),
        "the summary's failed rules: {dom:#}"
    );
    assert_eq!(dom["broken"], json!([]), "links to nothing: {dom:#}");
    assert!(dom["violations"].as_u64() > Some(0), "{dom:#}");
    assert_eq!(
        dom["onArrows"], dom["violations"],
        "every violation links to its arrow: {dom:#}"
    );
    assert_eq!(dom["flows"], flows);
    assert_eq!(dom["ladders"], flows);
    assert_eq!(
        dom["scripts"], 0,
        "no script: the page is the capture's, escaped"
    );
    let rules = &dom["rules"];
    for class in ["fail", "warn", "inconclusive"] {
        assert_eq!(
            rules[class]["closed"].as_u64().unwrap_or(0),
            0,
            "{class}: {dom:#}"
        );
    }
    assert!(rules["fail"]["open"].as_u64() > Some(0), "{dom:#}");
    assert!(rules["pass"]["closed"].as_u64() > Some(0), "{dom:#}");
    assert_eq!(rules["pass"]["open"].as_u64().unwrap_or(0), 0, "{dom:#}");
    assert!(
        dom["target"].as_str().is_some_and(|t| t.contains("-v-")),
        "following a violation link lands on its arrow: {dom:#}"
    );
}

/// One JUnit test case per rule per flow (and one "coverage" case per flow not judged in
/// full), and a counted failure's evidence in its failure: the first failure's line and the
/// bytes at its offset.
fn assert_junit(xml: &str, json: &Value) {
    let flows = json["inputs"][0]["flows"].as_array().unwrap();
    let rules = flows[0]["verdicts"].as_array().unwrap().len();
    let partial = flows
        .iter()
        .filter(|f| f["coverage"] != "observed in full")
        .count();
    assert_eq!(
        xml.matches("<testcase").count(),
        flows.len() * rules + partial,
        "{xml}"
    );
    let failure = json["inputs"][0]["flows"][0]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["status"] == "fail" && v["counts"] == true)
        .expect("a counted failure")["failures"][0]
        .clone();
    let excerpt = &failure["excerpt"];
    let (start, offset) = (excerpt["offset"].as_u64(), failure["offset"].as_u64());
    let hex: Vec<&str> = excerpt["hex"].as_str().expect("bytes").split(' ').collect();
    let (start, offset) = (start.unwrap(), offset.unwrap());
    let marked = format!("[{}]", hex[(offset - start) as usize]);
    let element = &xml[xml.find("<failure").unwrap()..];
    let element = &element[..element.find("</failure>").unwrap()];
    assert!(
        element.contains(&format!("byte {offset}")) && element.contains(&marked),
        "the failure's evidence ({marked} at byte {offset}): {element}"
    );
}

#[test]
fn a_corpus_pair_with_violations_reads_in_chromium() {
    let dir = out_dir("pair");
    let rtmp = corpus().join("rtmp");
    let (code, json, xml, page) = check(
        &dir,
        &[
            "--pair",
            rtmp.join("ffmpeg_client_stream").to_str().unwrap(),
            rtmp.join("ffmpeg_server_stream").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{json}");
    assert_junit(&xml, &json);
    let dom = open(&[&page], &dir);
    assert_usable(&dom[0], &json, 1);
}

/// A hundred TCP flows of the corpus's FFmpeg RTMP session, every tenth missing a segment of
/// its server's answers: failures in every flow, inconclusive verdicts in those ten.
fn hundred_flows() -> Vec<u8> {
    let rtmp = corpus().join("rtmp");
    let client = std::fs::read(rtmp.join("ffmpeg_client_stream")).unwrap();
    let server = std::fs::read(rtmp.join("ffmpeg_server_stream")).unwrap();
    let mut pcap = PcapWriter::new();
    let t = Duration::from_secs(1_800_000_000);
    let to = SocketAddrV4::new([10, 0, 1, 1].into(), 1935);
    for i in 0..100u16 {
        let at = t + Duration::from_millis(u64::from(i) * 10);
        let from = SocketAddrV4::new([10, 0, 0, 1 + i as u8].into(), 40_000 + i);
        let mut c = pcap.tcp_open(at, from, to);
        pcap.tcp_send(at, &mut c, &client);
        if i % 10 == 0 {
            // A segment lost halfway: RTMP cannot go on inside a chunk.
            let (half, lost) = (server.len() / 2, 1460);
            pcap.tcp_reply(at, &mut c, &server[..half]);
            pcap.tcp_reply_lost(&mut c, lost);
            pcap.tcp_reply(at, &mut c, &server[half + lost..]);
        } else {
            pcap.tcp_reply(at, &mut c, &server);
        }
        pcap.tcp_close(at + Duration::from_millis(5), &mut c);
    }
    pcap.into_bytes()
}

#[test]
fn a_hundred_flows_read_in_chromium() {
    let dir = out_dir("hundred");
    let capture = dir.join("hundred.pcap");
    std::fs::write(&capture, hundred_flows()).unwrap();
    let (code, json, xml, page) = check(&dir, &[capture.to_str().unwrap()]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["inputs"][0]["flows"].as_array().unwrap().len(), 100);
    assert_junit(&xml, &json);
    let dom = open(&[&page], &dir);
    assert_usable(&dom[0], &json, 100);
    assert!(
        dom[0]["rules"]["inconclusive"]["open"].as_u64() > Some(0),
        "{:#}",
        dom[0]
    );
    // Each lost segment is drawn on its flow's timeline.
    assert!(dom[0]["gaps"].as_u64() >= Some(10), "{:#}", dom[0]);
}
