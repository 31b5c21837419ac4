//! What the `check` tests share: running events through the pipeline, and cutting a capture's
//! data events into other pieces (the same bytes, split differently).
#![allow(dead_code)] // each test crate uses its own part

use weir_conformance::capture::{Event, FlowEvent};
use weir_conformance::check::{Checker, InputReport, Options, Report};

pub fn transcript_of(input: InputReport) -> String {
    Report {
        inputs: vec![input],
        strict: false,
    }
    .transcript_yaml()
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
