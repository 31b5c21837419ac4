//! The `weir check` pipeline over capture events, and its split invariance: the same data
//! events cut into other pieces. The pipeline is not a `Machine`, so this is its own check;
//! where to cut comes from `weir_testkit::split`. Shared with the fuzz targets
//! (`fuzz/fuzz_targets/support`), which include this file.

use weir_conformance::capture::{Event, FlowEvent};
use weir_conformance::check::{Checker, InputReport, Options, Report};
use weir_conformance::verdict::Status;
use weir_testkit::split;

pub fn transcript_of(input: InputReport) -> String {
    Report {
        inputs: vec![input],
        strict: false,
        require_full_coverage: false,
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

/// The rules failed in the report, with how many times each was broken.
pub fn failed_counts(report: &InputReport) -> Vec<(&'static str, u64)> {
    report
        .flows
        .iter()
        .flat_map(|f| &f.verdicts)
        .filter_map(|v| match &v.status {
            Status::Fail { count, .. } => Some((v.rule.id, *count)),
            _ => None,
        })
        .collect()
}

/// Runs events through the same pipeline `weir check` uses.
pub fn run_events(events: impl IntoIterator<Item = Event>) -> InputReport {
    run_events_with(events, &Options::default())
}

/// [`run_events`] with `options`.
pub fn run_events_with(events: impl IntoIterator<Item = Event>, options: &Options) -> InputReport {
    let mut checker = Checker::new("events", options);
    for event in events {
        checker.push(event);
    }
    checker.finish()
}

/// The same events with every data event cut into pieces of the sizes `size` gives, asked
/// with how many bytes are left (see `split::walk`); the same time and packet for each piece.
pub fn resplit(events: &[Event], mut size: impl FnMut(usize) -> usize) -> Vec<Event> {
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
        let cuts = split::walk(bytes.len(), &mut size);
        let mut at = *offset;
        for piece in split::pieces(bytes, &cuts)
            .into_iter()
            .filter(|p| !p.is_empty())
        {
            out.push(Event {
                event: FlowEvent::Data {
                    flow: *flow,
                    direction: *direction,
                    offset: at,
                    bytes: bytes.slice_ref(piece),
                },
                ..event.clone()
            });
            at += piece.len() as u64;
        }
    }
    out
}
