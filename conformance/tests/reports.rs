//! One set of renderers for every report: a probe's and a replay's (built by hand here; the
//! check's are rendered from real captures in check_corpus and the CLI tests) in text, JSON,
//! JUnit XML and HTML, each verdict's kind shown the same way — a counted failure a JUnit
//! failure, a case that could not run an error, one that did not run skipped — and every page
//! self-contained.

use std::collections::BTreeMap;
use std::time::Duration;

use weir_conformance::capture::FlowId;
use weir_conformance::probe::{CaseInfo, CaseResult, Options, Outcome, ProbeReport};
use weir_conformance::replay::answers::Answers;
use weir_conformance::replay::{FlowReplay, ReplayReport};
use weir_conformance::report::{Rendered, html, json, junit, text};
use weir_conformance::verdict::Kind;
use weir_rtmp::rules::CHUNK_CSID_RANGE;

/// How many test cases, failures, errors and skips a JUnit document holds.
fn junit_counts(xml: &str) -> [usize; 4] {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut counts = [0; 4];
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            quick_xml::events::Event::Eof => return counts,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let slot = ["testcase", "failure", "error", "skipped"]
                    .iter()
                    .position(|name| e.name().as_ref() == name.as_bytes());
                if let Some(slot) = slot {
                    counts[slot] += 1;
                }
            }
            _ => {}
        }
    }
}

/// Every format of `report`: text, JSON, JUnit XML, the HTML page.
fn every_format(report: &impl Rendered) -> (String, serde_json::Value, String, String) {
    let json = serde_json::from_str(&json::render(report)).expect("JSON");
    let page = html::render(report);
    assert!(
        page.starts_with("<!DOCTYPE html>") && !page.contains("<script") && !page.contains("src="),
        "self-contained: {page}"
    );
    (
        text::render(report),
        json,
        junit::render(report).unwrap(),
        page,
    )
}

/// The rules the cases here name.
static RULES: [&weir_media::Rule; 1] = [&CHUNK_CSID_RANGE];

fn case(id: &'static str, outcome: Outcome, counts: bool) -> CaseResult {
    CaseResult {
        case: CaseInfo {
            id,
            rules: &RULES,
            description: "a case",
        },
        outcome,
        elapsed: Duration::from_millis(5),
        counts,
    }
}

#[test]
fn a_probe_report_in_every_format() {
    let mut report = ProbeReport::new(&Options {
        url: "rtmp://127.0.0.1/live/x".into(),
        ..Options::default()
    });
    report.results = vec![
        case("a.pass", Outcome::pass("seen"), true),
        case("a.fail", Outcome::fail("this", "that"), true),
        case("a.should", Outcome::fail("this", "that"), false),
        case("a.info", Outcome::info("a choice"), true),
        case(
            "a.skipped",
            Outcome::Skipped("nothing to judge".into()),
            true,
        ),
        case("a.error", Outcome::error("cannot connect"), true),
    ];
    let kinds: Vec<Kind> = report.results.iter().map(|r| r.outcome.kind()).collect();
    assert_eq!(
        kinds,
        [
            Kind::Pass,
            Kind::Fail,
            Kind::Fail,
            Kind::Informational,
            Kind::NotChecked,
            Kind::NotChecked
        ]
    );
    let (text, json, xml, page) = every_format(&report);
    assert!(text.ends_with("FAIL: a counted case failed\n"), "{text}");
    assert!(text.contains("FAIL (not counted) a.should"), "{text}");
    assert_eq!(json["cases"][4]["outcome"]["status"], "skipped");
    assert_eq!(json["cases"][5]["outcome"]["status"], "error");
    assert_eq!(json["exit_code"], 1);
    assert_eq!(junit_counts(&xml), [6, 1, 1, 1], "{xml}");
    assert!(
        page.contains("a.skipped") && page.contains("class=\"fail\""),
        "{page}"
    );
}

fn flow(id: u64, live: &[&str], error: Option<&str>) -> FlowReplay {
    let answers = |lines: &[&str]| Answers {
        lines: lines.iter().map(|l| l.to_string()).collect(),
        frames: BTreeMap::from([("video h264".to_owned(), 25)]),
        metadata_updates: 0,
    };
    FlowReplay {
        flow: FlowId(id),
        client: "127.0.0.1:50000".parse().unwrap(),
        server: "127.0.0.1:1935".parse().unwrap(),
        sent: 4,
        captured_messages: 4,
        captured: answers(&["_result connect", "onStatus status NetStream.Publish.Start"]),
        live: answers(live),
        error: error.map(str::to_owned),
        truncated: None,
        elapsed: Duration::from_secs(1),
    }
}

#[test]
fn a_replay_report_in_every_format() {
    let report = ReplayReport {
        input: "session.pcapng".into(),
        url: "rtmp://127.0.0.1/live/x".into(),
        error: None,
        flows: vec![
            flow(
                1,
                &["_result connect", "onStatus status NetStream.Publish.Start"],
                None,
            ),
            flow(2, &["_error connect"], None),
            flow(3, &[], Some("cannot connect")),
        ],
        not_replayed: 0,
    };
    let kinds: Vec<Kind> = report.flows.iter().map(FlowReplay::kind).collect();
    assert_eq!(kinds, [Kind::Pass, Kind::Fail, Kind::NotChecked]);
    let (text, json, xml, page) = every_format(&report);
    assert!(
        text.contains("the answers differ:\n    --- captured server"),
        "{text}"
    );
    assert!(
        text.ends_with("ERROR: the replay did not complete\n"),
        "{text}"
    );
    assert_eq!(json["flows"][1]["differs"], true);
    assert_eq!(json["exit_code"], 2);
    assert_eq!(junit_counts(&xml), [3, 1, 1, 0], "{xml}");
    assert!(page.contains("flow 2: the answers differ"), "{page}");
    // An input that could not be read is one error case.
    let unread = ReplayReport {
        error: Some("x.pcap: no such file".into()),
        flows: Vec::new(),
        ..report
    };
    assert_eq!(junit_counts(&junit::render(&unread).unwrap()), [1, 0, 1, 0]);
}
