//! What the reader tests share (and the `http_message` fuzz target, which includes this
//! file): a reader driven over input cut at given points, its outputs with each body joined
//! (how a body is cut into events follows the input's cuts; its bytes do not).
#![allow(dead_code)] // each test file uses its own part

use weir_http::{Event, Limits, MessageReader, Role};
use weir_testkit::{Outputs, run, split};

/// A reader of `role`'s messages; a response reader is told of `requests` (methods) first.
pub fn reader(role: Role, limits: Limits, requests: &[&str]) -> MessageReader {
    let mut reader = MessageReader::new(role, limits);
    for method in requests {
        reader.expect_response(method);
    }
    reader
}

/// `input` through `reader`, cut at `cuts`, then its end (the sender's FIN) when `end`.
pub fn run_cut(
    reader: &mut MessageReader,
    input: &[u8],
    cuts: &[usize],
    end: bool,
) -> Outputs<Event> {
    joined(run(reader, split::pieces(input, cuts), end))
}

/// `input` through a fresh reader, cut at `cuts`, then its end when `end`.
pub fn read_cut(
    role: Role,
    requests: &[&str],
    input: &[u8],
    cuts: &[usize],
    end: bool,
) -> Outputs<Event> {
    run_cut(
        &mut reader(role, Limits::default(), requests),
        input,
        cuts,
        end,
    )
}

/// `input` whole, and byte by byte (which must say the same), then its end.
pub fn read(role: Role, requests: &[&str], input: &[u8]) -> Outputs<Event> {
    let whole = read_cut(role, requests, input, &[], true);
    let bytewise = read_cut(role, requests, input, &split::every_byte(input.len()), true);
    assert_eq!(whole, bytewise, "byte by byte");
    whole
}

/// The outputs with each run of body events that continue one another joined into one (a
/// violation between two stays between them), and the violations placed among the joined
/// events.
pub fn joined(out: Outputs<Event>) -> Outputs<Event> {
    let mut events: Vec<Event> = Vec::new();
    // After k events of `out`, how many joined events there are.
    let mut count = vec![0];
    for (i, event) in out.events.into_iter().enumerate() {
        let after_violation = out.violations_after.contains(&i);
        match (events.last_mut(), &event) {
            (
                Some(Event::Body { offset, data }),
                Event::Body {
                    offset: next,
                    data: more,
                },
            ) if !after_violation && *offset + data.len() as u64 == *next => {
                *data = [&data[..], &more[..]].concat().into();
            }
            _ => events.push(event),
        }
        count.push(events.len());
    }
    Outputs {
        violations_after: out.violations_after.iter().map(|&k| count[k]).collect(),
        events,
        ..out
    }
}

/// The events in short: `head <start line>`, `body <offset> <text>`, `gap <len>`, `end <how>`,
/// `head cut <len> <how>`.
pub fn said(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|event| match event {
            Event::Head { head, answers } => {
                let start = match &head.start {
                    weir_http::Start::Request { method, target } => format!("{method} {target}"),
                    weir_http::Start::Response { status, .. } => status.to_string(),
                };
                let answers = answers.map_or(String::new(), |n| format!(" answers {n}"));
                format!("head {start} {}{answers}", head.framing.name())
            }
            Event::Body { offset, data } => {
                format!("body {offset} {}", String::from_utf8_lossy(data))
            }
            Event::BodyGap(len) => format!("gap {len}"),
            Event::End(end) => format!("end {end:?}"),
            Event::HeadCut { len, end } => format!("head cut {len} {end:?}"),
        })
        .collect()
}
