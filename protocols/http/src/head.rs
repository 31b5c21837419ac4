//! One message head: the start line and field lines of a request or a response (RFC 9112
//! §2.1, §3, §4, §5), parsed with `httparse`, and what its fields say of the body's length
//! (RFC 9112 §6.3) before the request method or the status code have their say.

use weir_media::Rule;

use crate::rules;

/// Which side sent the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The client: requests.
    Request,
    /// The server: responses.
    Response,
}

/// The start line (RFC 9112 §3, §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// `method SP request-target SP HTTP-version` (§3).
    Request {
        /// The method token, e.g. `GET`.
        method: String,
        /// The request target as sent (origin, absolute, authority or asterisk form, §3.2).
        target: String,
    },
    /// `HTTP-version SP status-code SP reason-phrase` (§4).
    Response {
        /// The three-digit status code.
        status: u16,
        /// The reason phrase, possibly empty.
        reason: String,
    },
}

/// How a message body's end is found (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    Empty,
    /// Content-Length octets.
    Length(u64),
    /// The chunked transfer coding (RFC 9112 §7.1).
    Chunked,
    /// Until the server closes the connection (responses only).
    UntilClose,
    /// The length cannot be known: the connection cannot be read further (§6.3 items 4, 5).
    Unknown,
    /// The connection is no longer HTTP/1.x after this message (101, a CONNECT tunnel).
    Switched,
}

impl Framing {
    /// How the transcript names it.
    pub fn name(self) -> &'static str {
        match self {
            Framing::Empty => "no body",
            Framing::Length(_) => "Content-Length",
            Framing::Chunked => "chunked",
            Framing::UntilClose => "until close",
            Framing::Unknown => "length unknown",
            Framing::Switched => "protocol switched",
        }
    }
}

/// A rule the head breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flaw {
    /// The rule.
    pub rule: &'static Rule,
    /// What was wrong.
    pub detail: String,
}

/// One parsed head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The request or status line.
    pub start: Start,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Content-Type (RFC 9110 §8.3), cut to 200 characters.
    pub content_type: Option<String>,
    /// Content-Encoding, when it is another than identity: the body is not read.
    pub content_encoding: Option<String>,
    /// Transfer codings other than chunked: the body is not read.
    pub other_coding: Option<String>,
    /// The first Host field (§3.2), cut to 200 characters.
    pub host: Option<String>,
    /// What the fields say (§6.3 items 3 to 7): `Unknown` when they contradict themselves.
    /// In a [`MessageReader`](crate::MessageReader)'s events, the framing the body has: the
    /// request method and the status code had their say too (items 1 and 2).
    pub framing: Framing,
    /// Rules broken, in the order the head breaks them; the message is still read unless
    /// `framing` is `Unknown`, and then the last is the one that leaves the length unknown.
    pub flaws: Vec<Flaw>,
    /// Fields two servers' answers are compared by beside the framing and type (`weir
    /// replay`): [`KEPT_FIELDS`], lower-case name and value (cut to 200 characters), in order.
    pub kept: Vec<(&'static str, String)>,
}

/// Fields [`Head::kept`] holds: CORS (Fetch standard §3.2.3), which browsers' players need
/// on a media response, and Location (RFC 9110 §10.2.2), where a redirect sends the client.
pub const KEPT_FIELDS: [&str; 3] = [
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "location",
];

/// What parsing the bytes so far gave.
#[derive(Debug)]
pub enum Parsed {
    /// The head goes on.
    Partial,
    /// The head ended with an empty line.
    Complete(Head),
    /// The bytes break the grammar: the rule and what was wrong.
    Invalid(Flaw),
}

/// Field values kept for the transcript are cut to this many characters.
const MAX_VALUE_KEPT: usize = 200;

/// Parses `bytes`, which hold the head from its first byte (leading empty lines allowed, RFC
/// 9112 §2.2) up to a line's end; `max_fields` field lines at most.
pub fn parse(role: Role, bytes: &[u8], max_fields: usize) -> Parsed {
    let mut fields = vec![httparse::EMPTY_HEADER; max_fields];
    let parsed = match role {
        Role::Request => {
            let mut request = httparse::Request::new(&mut fields);
            match request.parse(bytes) {
                Ok(httparse::Status::Complete(_)) => Ok(Some((
                    Start::Request {
                        method: request.method.unwrap_or_default().to_owned(),
                        target: request.path.unwrap_or_default().to_owned(),
                    },
                    request.version.unwrap_or(1),
                    request.headers.to_vec(),
                ))),
                Ok(httparse::Status::Partial) => Ok(None),
                Err(e) => Err(e),
            }
        }
        Role::Response => {
            let mut response = httparse::Response::new(&mut fields);
            match response.parse(bytes) {
                Ok(httparse::Status::Complete(_)) => Ok(Some((
                    Start::Response {
                        status: response.code.unwrap_or_default(),
                        reason: response.reason.unwrap_or_default().to_owned(),
                    },
                    response.version.unwrap_or(1),
                    response.headers.to_vec(),
                ))),
                Ok(httparse::Status::Partial) => Ok(None),
                Err(e) => Err(e),
            }
        }
    };
    match parsed {
        Ok(None) => Parsed::Partial,
        Ok(Some((start, minor_version, fields))) => {
            let fields: Vec<(&str, &[u8])> = fields.iter().map(|f| (f.name, f.value)).collect();
            Parsed::Complete(head(role, start, minor_version, &fields))
        }
        Err(e) => Parsed::Invalid(Flaw {
            rule: match e {
                httparse::Error::HeaderName | httparse::Error::HeaderValue => &rules::FIELD_LINE,
                httparse::Error::TooManyHeaders => &rules::LIMITS,
                _ => &rules::START_LINE,
            },
            detail: match e {
                httparse::Error::TooManyHeaders => format!("more than {max_fields} field lines"),
                httparse::Error::Version => {
                    "an HTTP-version other than HTTP/1.0 or HTTP/1.1".into()
                }
                e => e.to_string(),
            },
        }),
    }
}

/// The head from its parts: the fields that matter here, and their flaws.
fn head(role: Role, start: Start, minor_version: u8, fields: &[(&str, &[u8])]) -> Head {
    let values = |name| values(fields, name);
    let text = |v: &[u8]| {
        let s = String::from_utf8_lossy(v);
        match s.char_indices().nth(MAX_VALUE_KEPT) {
            Some((cut, _)) => format!("{}…", &s[..cut]),
            None => s.into_owned(),
        }
    };
    let mut flaws = Vec::new();
    let hosts: Vec<&[u8]> = values("host").collect();
    if role == Role::Request && minor_version == 1 && hosts.len() != 1 {
        flaws.push(Flaw {
            rule: &rules::HOST,
            detail: format!("{} Host fields in an HTTP/1.1 request", hosts.len()),
        });
    }
    let content_encoding = values("content-encoding")
        .flat_map(list)
        .find(|c| !c.eq_ignore_ascii_case("identity"));
    let codings: Vec<String> = values("transfer-encoding").flat_map(list).collect();
    let other_coding = codings
        .iter()
        .find(|c| !c.eq_ignore_ascii_case("chunked"))
        .cloned();
    let lengths: Vec<&[u8]> = values("content-length").collect();
    let framing = framing(role, &codings, &lengths, &mut flaws);
    Head {
        start,
        minor_version,
        content_type: values("content-type").next().map(text),
        content_encoding,
        other_coding,
        host: hosts.first().map(|h| text(h)),
        framing,
        flaws,
        kept: KEPT_FIELDS
            .iter()
            .flat_map(|&name| values(name).map(move |v| (name, text(v))))
            .collect(),
    }
}

/// The values of every field named `name` (case-insensitive, RFC 9110 §5.1), in order.
fn values<'a>(fields: &'a [(&'a str, &'a [u8])], name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    fields
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// The elements of a comma-separated list field (RFC 9110 §5.6.1), trimmed, empty ones left
/// out.
fn list(value: &[u8]) -> impl Iterator<Item = String> + '_ {
    value
        .split(|&b| b == b',')
        .map(|e| String::from_utf8_lossy(e.trim_ascii()).into_owned())
        .filter(|e| !e.is_empty())
}

/// RFC 9112 §6.3 items 3 to 7, from the Transfer-Encoding codings and the Content-Length values.
fn framing(role: Role, codings: &[String], lengths: &[&[u8]], flaws: &mut Vec<Flaw>) -> Framing {
    let mut flaw = |rule, detail: String| flaws.push(Flaw { rule, detail });
    if !codings.is_empty() {
        if !lengths.is_empty() {
            flaw(
                &rules::BOTH_LENGTHS,
                "Content-Length beside Transfer-Encoding (Transfer-Encoding wins)".into(),
            );
        }
        let chunked = codings.iter().filter(|c| c.eq_ignore_ascii_case("chunked"));
        let last_is_chunked = codings
            .last()
            .is_some_and(|c| c.eq_ignore_ascii_case("chunked"));
        if chunked.count() > 1 {
            flaw(
                &rules::TRANSFER_ENCODING,
                format!("chunked applied more than once ({})", codings.join(", ")),
            );
        }
        return match (last_is_chunked, role) {
            (true, _) => Framing::Chunked,
            (false, Role::Response) => Framing::UntilClose,
            (false, Role::Request) => {
                flaw(
                    &rules::TRANSFER_ENCODING,
                    format!(
                        "a request whose final transfer coding is not chunked ({}): its length cannot be known",
                        codings.join(", ")
                    ),
                );
                Framing::Unknown
            }
        };
    }
    if lengths.is_empty() {
        return match role {
            Role::Request => Framing::Empty,
            Role::Response => Framing::UntilClose,
        };
    }
    let mut length = None;
    for value in lengths.iter().flat_map(|v| v.split(|&b| b == b',')) {
        let value = value.trim_ascii();
        let number = (!value.is_empty() && value.iter().all(u8::is_ascii_digit))
            .then(|| std::str::from_utf8(value).ok()?.parse::<u64>().ok())
            .flatten();
        match (number, length) {
            (Some(n), None) => length = Some(n),
            (Some(n), Some(m)) if n == m => {}
            _ => {
                let shown: Vec<_> = lengths.iter().map(|v| String::from_utf8_lossy(v)).collect();
                flaw(
                    &rules::CONTENT_LENGTH,
                    format!(
                        "Content-Length {:?}: the body's length cannot be known",
                        shown.join(", ")
                    ),
                );
                return Framing::Unknown;
            }
        }
    }
    length.map_or(Framing::Unknown, Framing::Length)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(role: Role, text: &str) -> Head {
        match parse(role, text.as_bytes(), 16) {
            Parsed::Complete(head) => head,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn rules_of(head: &Head) -> Vec<&'static str> {
        head.flaws.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn cors_and_location_are_kept_in_order_and_other_fields_are_not() {
        let head = complete(
            Role::Response,
            "HTTP/1.1 302 Found\r\nLocation: http://h:8080/live/x.flv\r\n\
             Access-Control-Allow-Origin: *\r\nServer: s\r\n\r\n",
        );
        assert_eq!(
            head.kept,
            [
                ("access-control-allow-origin", "*".to_owned()),
                ("location", "http://h:8080/live/x.flv".to_owned())
            ]
        );
        let bare = complete(
            Role::Response,
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(bare.kept.is_empty());
    }

    #[test]
    fn framing_follows_rfc_9112_section_6_3() {
        let get = complete(
            Role::Request,
            "\r\nGET /a.m3u8?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
        );
        assert_eq!(
            get.start,
            Start::Request {
                method: "GET".into(),
                target: "/a.m3u8?x=1".into()
            }
        );
        assert_eq!(
            (get.framing, get.host.as_deref()),
            (Framing::Empty, Some("h"))
        );
        let cases = [
            ("HTTP/1.1 200 OK\r\n\r\n", Framing::UntilClose, vec![]),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\n",
                Framing::Length(7),
                vec![],
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n",
                Framing::Length(7),
                vec![],
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 3\r\n\r\n",
                Framing::Chunked,
                vec!["http.framing.content-length-with-transfer-encoding"],
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                Framing::UntilClose,
                vec![],
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n",
                Framing::Unknown,
                vec!["http.framing.content-length"],
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                Framing::Unknown,
                vec!["http.framing.content-length"],
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                Framing::Chunked,
                vec!["http.framing.transfer-encoding"],
            ),
        ];
        for (text, framing, rules) in cases {
            let head = complete(Role::Response, text);
            assert_eq!(
                (head.framing, rules_of(&head)),
                (framing, rules),
                "{text:?}"
            );
        }
        let post = complete(
            Role::Request,
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        );
        assert_eq!(post.framing, Framing::Unknown);
        assert_eq!(
            rules_of(&post),
            ["http.request.host", "http.framing.transfer-encoding"]
        );
        let gz = complete(
            Role::Response,
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
        );
        assert_eq!(gz.content_encoding.as_deref(), Some("gzip"));
    }

    #[test]
    fn broken_heads_name_their_rule() {
        for (role, text, rule) in [
            (
                Role::Request,
                "GET / HTTP/2.0\r\n",
                "http.message.start-line",
            ),
            (
                Role::Request,
                "G@T / HTTP/1.1\r\n",
                "http.message.start-line",
            ),
            (
                Role::Response,
                "HTTP/1.1 2000 OK\r\n",
                "http.message.start-line",
            ),
            (
                Role::Request,
                "GET / HTTP/1.1\r\nBad Name: x\r\n",
                "http.message.field-line",
            ),
            (
                Role::Response,
                "HTTP/1.1 200 OK\r\nHost : x\r\n",
                "http.message.field-line",
            ),
            (
                Role::Request,
                "GET / HTTP/1.1\r\nX: a\r\n folded\r\n",
                "http.message.field-line",
            ),
        ] {
            match parse(role, text.as_bytes(), 16) {
                Parsed::Invalid(flaw) => assert_eq!(flaw.rule.id, rule, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(17));
        match parse(Role::Request, many.as_bytes(), 16) {
            Parsed::Invalid(flaw) => assert_eq!(flaw.rule.id, "http.message.limits"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(Role::Request, b"GET / HTTP/1.1\r\nHost: x\r\n", 16),
            Parsed::Partial
        ));
    }
}
