//! HTTP/1.x messages from hostile bytes: a request reader and a response reader (told of a
//! GET, a HEAD and a CONNECT, so that every framing rule is reached) over the data — behind a
//! request or response head chosen by its first byte, so that bodies and chunks are reached
//! too — whole and cut where the data chooses. Nothing panics, the same heads, bodies, ends,
//! violations and error come out however the input is cut, and a reader that failed stays
//! failed.
#![no_main]

mod support;

/// The reader tests' driver: bodies joined, since their cuts follow the input's.
#[path = "../../protocols/http/tests/support/mod.rs"]
mod messages;

use libfuzzer_sys::fuzz_target;
use weir_http::{Event, Limits, Role};
use weir_testkit::{Outputs, split};

/// Heads put in front of the data: none, a chunked request, a chunked response, a sized one.
const HEADS: [&[u8]; 4] = [
    b"",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
];

/// Limits small enough that a fuzz input reaches them.
const LIMITS: Limits = Limits {
    max_head: 4096,
    max_fields: 16,
    max_pending: 2,
};

/// `input` cut at `cuts` through a fresh reader of `role`, its input ended.
fn read(role: Role, input: &[u8], cuts: &[usize]) -> Outputs<Event> {
    let mut reader = messages::reader(role, LIMITS, &["GET", "HEAD", "CONNECT"]);
    let out = messages::run_cut(&mut reader, input, cuts, true);
    support::stays_closed(&mut reader, out.error.clone());
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let input = [HEADS[usize::from(first) % HEADS.len()], rest].concat();
    let cuts = split::cuts(rest.get(..16).unwrap_or_default(), input.len());
    for role in [Role::Request, Role::Response] {
        assert_eq!(read(role, &input, &[]), read(role, &input, &cuts));
    }
});
