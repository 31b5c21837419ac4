//! What the reader tests share: a reader of one role driven over input cut at given points,
//! its outputs with each body joined (how a body is cut into events follows the input's
//! cuts; the bytes do not).
#![allow(dead_code)] // each test file uses its own part

use weir_http::{Event, Limits, MessageReader, Role, join_bodies};
use weir_testkit::{Outputs, run, split};

/// A reader of `role`'s messages; a response reader is told of `requests` (methods) first.
pub fn reader(role: Role, limits: Limits, requests: &[&str]) -> MessageReader {
    let mut reader = MessageReader::new(role, limits);
    for method in requests {
        reader.expect_response(method);
    }
    reader
}

/// `input` through a fresh reader, cut at `cuts`, then its end (the sender's FIN) when `end`.
pub fn read_cut(
    role: Role,
    requests: &[&str],
    input: &[u8],
    cuts: &[usize],
    end: bool,
) -> Outputs<Event> {
    let mut reader = reader(role, Limits::default(), requests);
    let mut out = run(&mut reader, split::pieces(input, cuts), end);
    out.events = join_bodies(std::mem::take(&mut out.events));
    out
}

/// `input` whole, and byte by byte (which must say the same), then its end.
pub fn read(role: Role, requests: &[&str], input: &[u8]) -> Outputs<Event> {
    let whole = read_cut(role, requests, input, &[], true);
    let bytewise = read_cut(role, requests, input, &split::every_byte(input.len()), true);
    assert_eq!(whole, bytewise, "byte by byte");
    whole
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
