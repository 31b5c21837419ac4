//! Messages one after another on a connection (RFC 9112 §9.3): requests framed by their own
//! fields, responses framed by their fields, their status and the request they answer (§6.3),
//! chunked bodies decoded (§7.1), bodies read until close whole only when the sender closed
//! (§8), missing bytes skipped inside a body; the same events however the input is cut.

mod support;

use proptest::prelude::*;
use std::time::Instant;
use support::{read, read_cut, reader, said};
use weir_http::{Limits, Role};
use weir_media::Machine;
use weir_testkit::split;

const REQUESTS: &str = "GET /live/a.m3u8 HTTP/1.1\r\nHost: h\r\n\r\n\
POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello\
\r\nPUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext\r\nde\r\n0\r\nTrailer: 1\r\n\r\n";

#[test]
fn requests_follow_one_another_each_framed_by_its_fields() {
    let out = read(Role::Request, &[], REQUESTS.as_bytes());
    let put = REQUESTS.find("PUT").unwrap();
    let first_chunk = put + REQUESTS[put..].find("abc").unwrap();
    assert_eq!(
        said(&out.events),
        [
            "head GET /live/a.m3u8 no body".to_owned(),
            "end Complete".into(),
            "head POST /upload Content-Length".into(),
            format!("body {} hello", REQUESTS.find("hello").unwrap()),
            "end Complete".into(),
            "head PUT /x chunked".into(),
            format!("body {first_chunk} abc"),
            format!("body {} de", REQUESTS.find("de\r\n0").unwrap()),
            "end Complete".into(),
        ]
    );
    assert!(out.violations.is_empty() && out.error.is_none());
}

#[test]
fn responses_are_framed_by_the_requests_they_answer_and_their_status() {
    let responses = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\
HTTP/1.1 100 Continue\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\
HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n\
HTTP/1.1 304 Not Modified\r\n\r\n\
HTTP/1.0 200 OK\r\n\r\nuntil close";
    let out = read(
        Role::Response,
        &["HEAD", "POST", "GET", "GET", "GET"],
        responses.as_bytes(),
    );
    let last = responses.find("until").unwrap();
    assert_eq!(
        said(&out.events),
        [
            // A HEAD's answer has no body whatever its fields say (§6.3 item 1).
            "head 200 no body answers 0".to_owned(),
            "end Complete".into(),
            "head 100 no body".into(),
            "end Complete".into(),
            "head 200 Content-Length answers 1".into(),
            format!("body {} ok", responses.find("ok").unwrap()),
            "end Complete".into(),
            "head 204 no body answers 2".into(),
            "end Complete".into(),
            "head 304 no body answers 3".into(),
            "end Complete".into(),
            "head 200 until close answers 4".into(),
            format!("body {last} until close"),
            // The server closed: read until close, the body is whole (§6.3 item 8).
            "end Complete".into(),
        ]
    );
}

#[test]
fn a_body_read_until_close_is_cut_when_the_input_stops_without_a_close() {
    let mut reader = reader(Role::Response, Limits::default(), &["GET"]);
    let out = weir_testkit::run(&mut reader, [&b"HTTP/1.1 200 OK\r\n\r\nabc"[..]], false);
    assert_eq!(
        said(&out.events),
        ["head 200 until close answers 0", "body 19 abc"]
    );
    reader.handle_interrupt();
    assert_eq!(
        said(&drain(&mut reader)),
        ["end Interrupted"],
        "a reset or a capture's end"
    );
    let closed = read_cut(
        Role::Response,
        &["GET"],
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
        &[],
        true,
    );
    assert_eq!(said(&closed.events).last().unwrap(), "end Closed");
}

#[test]
fn missing_bytes_inside_a_body_are_skipped_and_elsewhere_end_the_direction() {
    let mut r = reader(Role::Response, Limits::default(), &["GET", "GET"]);
    let now = Instant::now();
    r.handle_input(now, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123")
        .unwrap();
    assert!(r.handle_gap(4));
    r.handle_input(now, b"89HTTP/1.1 200 OK\r\nContent-Le")
        .unwrap();
    assert!(!r.handle_gap(3), "inside a head: where it ends is unknown");
    r.handle_input(now, b"ngth: 1\r\n\r\nx").unwrap();
    assert_eq!(
        said(&drain(&mut r)),
        [
            "head 200 Content-Length answers 0",
            "body 39 0123",
            "gap 4",
            "body 47 89",
            "end Complete",
            "head cut 27 Gap",
        ]
    );
}

#[test]
fn switching_protocols_and_tunnels_end_http() {
    let out = read(
        Role::Response,
        &["GET"],
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
    );
    assert_eq!(said(&out.events), ["head 101 protocol switched"]);
    let out = read(
        Role::Response,
        &["CONNECT"],
        b"HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01",
    );
    assert_eq!(said(&out.events), ["head 200 protocol switched answers 0"]);
    // A CONNECT refused is an ordinary response.
    let out = read(
        Role::Response,
        &["CONNECT"],
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno",
    );
    assert_eq!(said(&out.events)[0], "head 403 Content-Length answers 0");
}

#[test]
fn responses_beyond_the_requests_remembered_are_framed_as_a_gets() {
    let limits = Limits {
        max_pending: 1,
        ..Limits::default()
    };
    let mut r = reader(Role::Response, limits, &["GET"]);
    assert_eq!(r.expect_response("HEAD"), None, "one waits already");
    let head_answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab";
    let out = weir_testkit::run(&mut r, [&head_answer[..]], true);
    assert_eq!(
        said(&out.events),
        [
            "head 200 Content-Length answers 0",
            "end Complete",
            "head 200 Content-Length",
            "body 76 ab",
            "end Complete"
        ]
    );
}

fn drain(reader: &mut weir_http::MessageReader) -> Vec<weir_http::Event> {
    let mut out = weir_testkit::Outputs::default();
    out.drain(reader);
    support::joined(out).events
}

proptest! {
    #[test]
    fn the_same_events_however_the_input_is_cut(
        sizes in proptest::collection::vec(1usize..64, 1..16),
        requests in any::<bool>(),
    ) {
        let input = match requests {
            true => REQUESTS.as_bytes().to_vec(),
            false => [
                &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n"[..],
                &[b'x'; 26],
                b"\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.0 200 OK\r\n\r\nrest",
            ]
            .concat(),
        };
        let role = if requests { Role::Request } else { Role::Response };
        let whole = read_cut(role, &["GET", "GET", "GET"], &input, &[], true);
        let cut = read_cut(role, &["GET", "GET", "GET"], &input, &split::sizes(input.len(), &sizes), true);
        prop_assert_eq!(whole, cut);
    }
}
