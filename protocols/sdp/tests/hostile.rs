//! Hostile input at the limits: the largest descriptions the default limits let through
//! still parse quickly and round-trip, and one byte or line more is an error naming the
//! limit, not an allocation.

use std::time::{Duration, Instant};
use weir_sdp::{Limits, parse};

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n";

/// A description: `HEAD` then `body`.
fn sized(body: &str) -> String {
    format!("{HEAD}{body}")
}

fn parses_quickly(text: &str) {
    let started = Instant::now();
    let (sd, _) = parse(text).expect("within the limits");
    let (again, _) = parse(sd.write()).expect("written text parses");
    assert_eq!(again, sd);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_m_line_with_thousands_of_formats_and_attributes_naming_them_is_not_quadratic() {
    let formats: Vec<String> = (0..9000).map(|i| (i % 128).to_string()).collect();
    let mut body = format!("m=video 9 RTP/AVP {}\r\n", formats.join(" "));
    while body.len() < 60_000 {
        body.push_str("a=fmtp:99 x=1\r\n");
    }
    let text = sized(&body);
    assert!(text.len() <= Limits::default().max_bytes);
    parses_quickly(&text);
}

#[test]
fn thousands_of_rids_and_a_long_simulcast_list_are_not_quadratic() {
    let mut body = String::from("m=video 9 RTP/AVP 96\r\n");
    let mut ids = Vec::new();
    for i in 0..2500 {
        body.push_str(&format!("a=rid:r{i} send\r\n"));
        ids.push(format!("r{i}"));
    }
    body.push_str(&format!("a=simulcast:send {}\r\n", ids.join(";")));
    parses_quickly(&sized(&body));
}

#[test]
fn the_most_lines_the_limit_allows_parse_and_one_more_is_an_error() {
    let limit = Limits::default().max_lines;
    let head_lines = HEAD.matches("\r\n").count();
    let body = "a=x\r\n".repeat(limit - head_lines);
    parses_quickly(&sized(&body));
    let e = parse(sized(&format!("{body}a=x\r\n"))).expect_err("one line too many");
    assert_eq!(e.rule_id(), "sdp.limits.lines");
}

#[test]
fn a_nul_byte_or_invalid_utf8_is_an_error_at_its_offset() {
    let e = parse(format!("{HEAD}a=x\0\r\n")).expect_err("NUL");
    assert_eq!(
        (e.rule_id(), e.offset as usize),
        ("sdp.text.encoding", HEAD.len() + 3)
    );
    let mut bytes = HEAD.as_bytes().to_vec();
    bytes.extend_from_slice(b"s=\xc3\x28\r\n");
    let e = parse(&bytes).expect_err("bad UTF-8");
    assert_eq!(
        (e.rule_id(), e.offset as usize),
        ("sdp.text.encoding", HEAD.len() + 2)
    );
}

#[test]
fn empty_input_and_a_lone_line_end_are_errors_not_panics() {
    for input in ["", "\r\n", "\n", "v", "v=", "=0", "v=0"] {
        assert!(parse(input).is_err(), "{input:?}");
    }
}
