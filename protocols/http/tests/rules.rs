//! Broken input: each broken rule at its byte, as an error when no later message can be
//! found (then every later call fails alike) and as a violation when reading goes on; and
//! every rule of the catalog fired by one of these inputs, so that none is one nothing can
//! trigger (issue 15). `messages.rs` shows well-formed messages breaking none.

mod support;

use support::{read, reader};
use weir_http::{Limits, Role};

/// One broken input: who sends it, the bytes, the violations reading goes on after (rule,
/// offset) and the rule and offset of the error that stops it, if one does.
struct Case {
    name: &'static str,
    role: Role,
    input: &'static str,
    violations: &'static [(&'static str, u64)],
    error: Option<(&'static str, u64)>,
}

const CASES: &[Case] = &[
    Case {
        name: "HTTP/2 is no HTTP/1.x start line",
        role: Role::Request,
        input: "GET / HTTP/2.0\r\n\r\n",
        violations: &[],
        error: Some(("http.message.start-line", 0)),
    },
    Case {
        name: "the start line is the first that is not empty",
        role: Role::Request,
        input: "\r\n\r\nG@T / HTTP/1.1\r\n\r\n",
        violations: &[],
        error: Some(("http.message.start-line", 4)),
    },
    Case {
        name: "a field name with a space, at its line",
        role: Role::Request,
        input: "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
        violations: &[],
        error: Some(("http.message.field-line", 25)),
    },
    Case {
        name: "obsolete line folding",
        role: Role::Response,
        input: "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
        violations: &[],
        error: Some(("http.message.field-line", 23)),
    },
    Case {
        name: "no Host in HTTP/1.1: reported, and the next request is read",
        role: Role::Request,
        input: "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        violations: &[("http.request.host", 0)],
        error: None,
    },
    Case {
        name: "two Content-Lengths that differ: the body's length is unknown",
        role: Role::Request,
        input: "POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\nabcdefg",
        violations: &[("http.request.host", 0)],
        error: Some(("http.framing.content-length", 0)),
    },
    Case {
        name: "a request whose last coding is not chunked",
        role: Role::Request,
        input: "GET /x HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\nbody",
        violations: &[],
        error: Some(("http.framing.transfer-encoding", 0)),
    },
    Case {
        name: "Content-Length beside Transfer-Encoding: chunked wins",
        role: Role::Response,
        input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        violations: &[("http.framing.content-length-with-transfer-encoding", 0)],
        error: None,
    },
    Case {
        name: "a chunk size that is no number",
        role: Role::Response,
        input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
        violations: &[],
        error: Some(("http.chunked.size-line", 55)),
    },
    Case {
        name: "chunk data longer than its size",
        role: Role::Response,
        input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
        violations: &[],
        error: Some(("http.chunked.data-crlf", 53)),
    },
    Case {
        name: "a broken trailer field: reported, the message still ends",
        role: Role::Response,
        input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad field\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        violations: &[("http.message.field-line", 50)],
        error: None,
    },
];

#[test]
fn each_broken_rule_is_reported_at_its_byte() {
    for case in CASES {
        let out = read(case.role, &["GET", "GET"], case.input.as_bytes());
        assert_eq!(out.rule_offsets(), case.violations, "{}", case.name);
        let error = out.error.as_ref().map(|e| (e.rule_id(), e.offset));
        assert_eq!(error, case.error, "{}", case.name);
    }
}

/// The rule ids reading `input` as `role` broke, the error's last.
fn fired(role: Role, limits: Limits, input: &str) -> Vec<&'static str> {
    let out = weir_testkit::run(
        &mut reader(role, limits, &["GET"]),
        vec![input.as_bytes()],
        true,
    );
    let mut ids: Vec<_> = out.violations.iter().map(|v| v.rule.id).collect();
    ids.extend(out.error.map(|e| e.rule_id()));
    ids
}

/// Every rule of the catalog fires on an input made to break it: the cases above, and a head
/// over the reader's limit.
#[test]
fn every_rule_of_the_catalog_fires_on_its_input() {
    let mut table: Vec<(&str, Vec<&str>)> = CASES
        .iter()
        .flat_map(|case| {
            let fired = fired(case.role, Limits::default(), case.input);
            case.violations
                .iter()
                .chain(&case.error)
                .map(move |(rule, _)| (*rule, fired.clone()))
        })
        .collect();
    let limits = Limits {
        max_fields: 4,
        ..Limits::default()
    };
    let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(5));
    table.push(("http.message.limits", fired(Role::Request, limits, &many)));
    weir_testkit::rule_table::check(weir_http::rules::CATALOG, &table);
}
