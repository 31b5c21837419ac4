//! Hostile input: a reader that stopped stays stopped; heads and chunk lines held within
//! the limits; no panic, and the same outcome, however arbitrary bytes are cut. Each broken
//! rule at its byte is in `rules.rs`.

mod support;

use proptest::prelude::*;
use std::time::Instant;
use support::{read_cut, reader};
use weir_http::{Limits, Role};
use weir_media::Machine;
use weir_testkit::split;

#[test]
fn a_reader_that_stopped_stays_stopped() {
    let mut r = reader(Role::Request, Limits::default(), &[]);
    let now = Instant::now();
    let error = r.handle_input(now, b"NOT HTTP\r\n").unwrap_err();
    assert_eq!(
        r.handle_input(now, b"GET / HTTP/1.1\r\n"),
        Err(error.clone())
    );
    assert_eq!(r.handle_end(now), Err(error));
}

#[test]
fn heads_and_chunk_lines_are_held_within_the_limits() {
    let limits = Limits {
        max_head: 100,
        max_fields: 4,
        ..Limits::default()
    };
    let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(200));
    let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(5));
    let size_line = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}",
        "1".repeat(5000)
    );
    for (role, input) in [
        (Role::Request, long.as_str()),
        (Role::Request, many.as_str()),
        (Role::Response, size_line.as_str()),
    ] {
        let mut r = reader(role, limits, &["GET"]);
        // Fed in pieces: nothing waits for a line end past the limit.
        let out = weir_testkit::run(&mut r, split::pieces(input.as_bytes(), &[10, 60]), false);
        assert_eq!(
            out.error.map(|e| e.rule_id()),
            Some("http.message.limits"),
            "{input:.40}"
        );
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_read_alike_however_cut(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        head in 0usize..3,
        seed in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let heads = [
            &b""[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\n\r\n",
        ];
        let input = [heads[head], &bytes].concat();
        let cuts = split::cuts(&seed, input.len());
        for role in [Role::Request, Role::Response] {
            let whole = read_cut(role, &["GET"], &input, &[], true);
            prop_assert_eq!(whole, read_cut(role, &["GET"], &input, &cuts, true));
        }
    }
}
