//! What the `check` tests share: the corpus, running events through the pipeline, cutting a
//! capture's data events into other pieces (the same bytes, split differently), and hand-built
//! packets ([`packets`]).
#![allow(dead_code)] // each test crate uses its own part

pub mod packets;

use std::path::PathBuf;

use weir_conformance::capture::{Event, FlowEvent};
use weir_conformance::check::{Checker, InputReport, Options, Report};
use weir_conformance::verdict::Status;

/// `$WEIR_CORPUS`, by default `../shared/corpus` beside the project.
pub fn corpus() -> PathBuf {
    let dir: PathBuf = std::env::var("WEIR_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus").into())
        .into();
    assert!(
        dir.join("MANIFEST.md").is_file(),
        "corpus missing at {}",
        dir.display()
    );
    dir
}

pub fn transcript_of(input: InputReport) -> String {
    Report {
        inputs: vec![input],
        strict: false,
    }
    .transcript_yaml()
}

/// Each failed verdict of `rule` in the report: (times broken, offset of the first).
pub fn rule_failures(report: &InputReport, rule: &str) -> Vec<(u64, Option<u64>)> {
    report
        .flows
        .iter()
        .flat_map(|f| &f.verdicts)
        .filter(|v| v.rule.id == rule)
        .filter_map(|v| match &v.status {
            Status::Fail { count, first } => Some((*count, first[0].offset)),
            _ => None,
        })
        .collect()
}

/// Runs events through the same pipeline `weir check` uses.
pub fn run_events(events: impl IntoIterator<Item = Event>) -> InputReport {
    let options = Options::default();
    let mut checker = Checker::new("events", &options);
    for event in events {
        checker.push(event);
    }
    checker.finish()
}

/// The same events with every data event cut into pieces by `cut` (same time, same packet).
pub fn resplit(events: &[Event], mut cut: impl FnMut(usize) -> usize) -> Vec<Event> {
    let mut out = Vec::new();
    for event in events {
        let FlowEvent::Data {
            flow,
            direction,
            offset,
            bytes,
        } = &event.event
        else {
            out.push(event.clone());
            continue;
        };
        let mut at = 0;
        while at < bytes.len() {
            let len = cut(bytes.len() - at).clamp(1, bytes.len() - at);
            out.push(Event {
                event: FlowEvent::Data {
                    flow: *flow,
                    direction: *direction,
                    offset: offset + at as u64,
                    bytes: bytes.slice(at..at + len),
                },
                ..event.clone()
            });
            at += len;
        }
    }
    out
}
