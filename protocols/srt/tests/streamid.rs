//! Stream ids as SRS users and libsrt's access-control guideline write them: every form and
//! what it parses to, every rule fired by an input, the canonical form parsing back to the
//! same value, no panic on arbitrary strings, and the stream id FFmpeg 5.1 put on the wire in
//! the corpus's captures.

use proptest::prelude::*;
use std::fs::File;
use std::io::BufReader;
use weir_capture::flow::CaptureEvents;
use weir_capture::{FlowEvent, Limits};
use weir_srt::rules::CATALOG;
use weir_srt::streamid::{MAX_KEYS, MAX_LEN, Mode, StreamId};
use weir_testkit::{corpus, rule_table};

/// A stream id with no vhost, user, session, type or parameters.
fn id(app: &str, stream: &str, mode: Mode) -> StreamId {
    StreamId::new(app, stream, mode)
}

fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_accepted_form_parses_to_what_srs_routes_by() {
    use Mode::{Publish, Request};
    let vhost = |mut id: StreamId, vhost: &str| {
        id.vhost = Some(vhost.into());
        id
    };
    let with = |mut id: StreamId, list: &[(&str, &str)]| {
        id.params = params(list);
        id
    };
    let table: Vec<(&str, StreamId)> = vec![
        // libsrt's access-control syntax.
        ("#!::r=live/test,m=publish", id("live", "test", Publish)),
        ("#!::r=live/test", id("live", "test", Request)),
        ("#!::r=live/test,m=request", id("live", "test", Request)),
        ("#!::m=PUBLISH,r=live/test", id("live", "test", Publish)),
        (
            "#!::u=alice,r=live/test,s=abc123,t=stream,m=publish,token=x,z=",
            StreamId {
                user: Some("alice".into()),
                session: Some("abc123".into()),
                kind: Some("stream".into()),
                params: params(&[("token", "x"), ("z", "")]),
                ..id("live", "test", Publish)
            },
        ),
        // SRS: query parameters inside the resource, `?` as a separator.
        (
            "#!::r=live/livestream?secret=x&token=y,m=publish",
            with(
                id("live", "livestream", Publish),
                &[("secret", "x"), ("token", "y")],
            ),
        ),
        (
            "#!::r=live/livestream?secret=x,m=publish",
            with(id("live", "livestream", Publish), &[("secret", "x")]),
        ),
        // SRS: h=vhost beside r=.
        (
            "#!::h=example.com,r=app/stream,key1=value1",
            with(
                vhost(id("app", "stream", Request), "example.com"),
                &[("key1", "value1")],
            ),
        ),
        // SRS's older forms: h=app/stream and h=vhost/app/stream.
        (
            "#!::h=live/livestream,m=publish",
            id("live", "livestream", Publish),
        ),
        (
            "#!::h=srs.srt.com.cn/live/livestream,m=request",
            vhost(id("live", "livestream", Request), "srs.srt.com.cn"),
        ),
        (
            "#!::h=live/livestream?secret=x,m=publish",
            with(id("live", "livestream", Publish), &[("secret", "x")]),
        ),
        // SRS: a resource without `/` is a stream of the default app.
        (
            "#!::r=livestream,m=publish",
            id("live", "livestream", Publish),
        ),
        // SRS: the rest of the resource after the first `/` is the stream.
        ("#!::r=live/a/b", id("live", "a/b", Request)),
        // The bare legacy forms are play requests.
        ("live/livestream", id("live", "livestream", Request)),
        ("livestream", id("live", "livestream", Request)),
        (
            "live/livestream?secret=x&token=y",
            with(
                id("live", "livestream", Request),
                &[("secret", "x"), ("token", "y")],
            ),
        ),
        // The empty stream id publishes to live/livestream (SRS 5's SrsMpegtsSrtConn::do_cycle).
        ("", id("live", "livestream", Publish)),
        // FFmpeg 5.1's undecoded `#` (see the module docs for why we decode it).
        ("%23!::r=live/test,m=publish", id("live", "test", Publish)),
    ];
    for (text, expected) in table {
        assert_eq!(StreamId::parse(text), Ok(expected), "{text:?}");
    }
}

#[test]
fn every_rule_fires_on_its_input() {
    let long = format!("#!::r=live/{}", "x".repeat(MAX_LEN));
    let many: String = (0..=MAX_KEYS).map(|i| format!(",k{i}=v")).collect();
    let many = format!("#!::r=live/a{many}");
    let inputs: &[(&str, &str)] = &[
        ("srt.streamid.too-long", &long),
        ("srt.streamid.too-many-keys", &many),
        ("srt.streamid.syntax", "#!::r=live/a,novalue"),
        ("srt.streamid.syntax", "#!::r=live/a,=v"),
        ("srt.streamid.syntax", "#!::r=live/a,k=v=w"),
        ("srt.streamid.syntax", "#!::r=live/a,u="),
        ("srt.streamid.syntax", "#!:{\"r\":\"live/a\"}"),
        ("srt.streamid.syntax", "live/test,m=publish"),
        ("srt.streamid.syntax", "live/test?m=publish"),
        (
            "srt.streamid.duplicate-key",
            "#!::r=live/a,m=publish,m=request",
        ),
        ("srt.streamid.duplicate-key", "#!::r=live/a?k=1&k=2"),
        ("srt.streamid.mode", "#!::r=live/a,m=bidirectional"),
        ("srt.streamid.mode", "#!::r=live/a,m=push"),
        ("srt.streamid.resource", "#!::m=publish"),
        ("srt.streamid.resource", "#!::r=,m=publish"),
        ("srt.streamid.resource", "#!::r=live/"),
        ("srt.streamid.resource", "#!::r=/stream"),
        ("srt.streamid.resource", "#!::h=example.com,m=publish"),
        ("srt.streamid.resource", "#!::h=//a/b"),
        ("srt.streamid.resource", "#!::h=a/b,r=c/d"),
        ("srt.streamid.resource", "/stream"),
        ("srt.streamid.type", "#!::r=live/a,t=video"),
        ("srt.streamid.empty-item", "#!::r=live/a,,m=publish,"),
        (
            "srt.streamid.percent-encoded",
            "%23!::r=live/test,m=publish",
        ),
    ];
    let mut table: Vec<(&str, Vec<&str>)> = Vec::new();
    for (rule, input) in inputs {
        let fired = match StreamId::parse_checked(input) {
            Ok((_, violations)) => violations.iter().map(|v| v.rule.id).collect(),
            Err(e) => vec![e.rule_id()],
        };
        table.push((rule, fired));
    }
    rule_table::check(&rule_table::area(CATALOG, &["srt.streamid."]), &table);
}

#[test]
fn errors_say_where_in_the_stream_id() {
    let e = StreamId::parse("#!::r=live/a,m=push").unwrap_err();
    assert_eq!((e.rule_id(), e.offset), ("srt.streamid.mode", 13));
    let e = StreamId::parse("#!::r=live/a,m=publish,r=x/y").unwrap_err();
    assert_eq!((e.rule_id(), e.offset), ("srt.streamid.duplicate-key", 23));
    let e = StreamId::parse("#!::r=live/").unwrap_err();
    assert_eq!((e.rule_id(), e.offset), ("srt.streamid.resource", 6));
    let e = StreamId::parse("#!::h=vh/live/").unwrap_err();
    assert_eq!((e.rule_id(), e.offset), ("srt.streamid.resource", 9));
    let (_, violations) = StreamId::parse_checked("#!::r=live/a,t=video").unwrap();
    assert_eq!(violations[0].offset, 13);
}

#[test]
fn a_stream_id_of_the_limit_is_accepted_and_one_byte_more_is_not() {
    let at_limit = format!("#!::r=live/{}", "x".repeat(MAX_LEN - 11));
    assert_eq!(at_limit.len(), MAX_LEN);
    assert!(StreamId::parse(&at_limit).is_ok());
    let over = format!("{at_limit}x");
    assert_eq!(
        StreamId::parse(&over).unwrap_err().rule_id(),
        "srt.streamid.too-long"
    );
}

#[test]
fn display_writes_the_canonical_form() {
    let parsed =
        StreamId::parse("#!::token=t,m=publish,h=vh,u=bob,r=app/s?x=1,t=stream,s=S").unwrap();
    assert_eq!(
        parsed.to_string(),
        "#!::h=vh,r=app/s,m=publish,u=bob,s=S,t=stream,token=t,x=1"
    );
    assert_eq!(
        StreamId::parse("").unwrap().to_string(),
        "#!::r=live/livestream,m=publish"
    );
}

/// The stream id in the SID handshake extension (type 5) of a conclusion handshake: libsrt
/// writes the string as 32-bit words in host order, so each group of four bytes is reversed
/// on a little-endian sender (draft-sharabayko-srt-01 §3.2.1.3 and libsrt's handshake.md).
fn sid_of(payload: &[u8]) -> Option<String> {
    // A control packet (F=1) of type 0, handshake, with extensions after the 48-byte CIF.
    if payload.len() < 64 || payload[0] & 0x80 == 0 || payload[..2] != [0x80, 0] {
        return None;
    }
    let mut at = 64;
    while at + 4 <= payload.len() {
        let kind = u16::from_be_bytes([payload[at], payload[at + 1]]);
        let words = u16::from_be_bytes([payload[at + 2], payload[at + 3]]) as usize;
        let body = payload.get(at + 4..at + 4 + words * 4)?;
        if kind == 5 {
            let bytes: Vec<u8> = body
                .chunks(4)
                .flat_map(|w| w.iter().rev().copied())
                .filter(|&b| b != 0)
                .collect();
            return String::from_utf8(bytes).ok();
        }
        at += 4 + words * 4;
    }
    None
}

#[test]
fn the_corpus_captures_stream_id_publishes_to_live_test() {
    for name in ["plain", "aes128", "loss_nak"] {
        let path = format!("srt/locally_generated/srt_ffmpeg_caller_to_slt_listener_{name}.pcapng");
        let file = BufReader::new(File::open(corpus::path(&path)).unwrap());
        let sids: Vec<String> = CaptureEvents::new(file, Limits::default())
            .unwrap()
            .filter_map(|event| match event.unwrap().event {
                FlowEvent::Datagram { bytes, .. } => sid_of(&bytes),
                _ => None,
            })
            .collect();
        // The caller's conclusion carries it; the listener's answer does not.
        assert_eq!(sids, ["%23!::r=live/test,m=publish"], "{name}");
        let (parsed, violations) = StreamId::parse_checked(&sids[0]).unwrap();
        assert_eq!(parsed, id("live", "test", Mode::Publish));
        let rules: Vec<_> = violations.iter().map(|v| v.rule.id).collect();
        assert_eq!(rules, ["srt.streamid.percent-encoded"]);
    }
}

/// Stream ids that parse: names and values of characters that are never separators.
fn valid() -> impl Strategy<Value = StreamId> {
    let name = "[a-zA-Z0-9._~%#!:-]{1,12}";
    (
        proptest::option::of(name),
        name,
        "[a-zA-Z0-9._-]{1,8}(/[a-z0-9]{1,4})?",
        prop_oneof![Just(Mode::Request), Just(Mode::Publish)],
        proptest::option::of(name),
        proptest::option::of(name),
        proptest::option::of(prop_oneof![
            Just("stream".to_string()),
            Just("file".to_string()),
            Just("auth".to_string())
        ]),
        proptest::collection::btree_map("x[a-z0-9]{0,6}", "[a-zA-Z0-9._-]{0,8}", 0..8),
    )
        .prop_map(
            |(vhost, app, stream, mode, user, session, kind, params)| StreamId {
                vhost: vhost.map(|v: String| v.replace('/', "")),
                app,
                stream,
                mode,
                user,
                session,
                kind,
                params: params.into_iter().collect(),
            },
        )
}

proptest! {
    #[test]
    fn the_canonical_form_parses_back_to_the_same_value(id in valid()) {
        let text = id.to_string();
        prop_assert_eq!(StreamId::parse_checked(&text), Ok((id, Vec::new())));
    }

    #[test]
    fn arbitrary_strings_never_panic_and_what_parses_round_trips(
        text in prop_oneof![
            ".{0,80}",
            "(#!::|%23!::)?[a-z=,&;?/]{0,40}",
            ".{500,600}",
        ]
    ) {
        if let Ok(parsed) = StreamId::parse(&text) {
            let canonical = parsed.to_string();
            prop_assert_eq!(StreamId::parse(&canonical), Ok(parsed));
        }
    }
}

/// A control character (a NUL, say) in a stream id is refused wherever it is: stream names
/// reach logs, file names and callbacks. (A fuzzer's input.)
#[test]
fn control_characters_are_refused() {
    for id in ["live/a\0b", "#!::r=live/a\u{1},m=publish", "\u{7f}"] {
        let e = StreamId::parse(id).unwrap_err();
        assert_eq!(e.rule_id(), "srt.streamid.syntax", "{id:?}");
    }
}
