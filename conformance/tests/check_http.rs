//! `weir check` on HTTP/1.x connections built by hand: keep-alive with a playlist loaded twice
//! (its reload compared) and a segment between, pipelined HEAD and GET, chunked bodies cut at
//! awkward places, HTTP-FLV read until close, broken framing failing its rule at its byte,
//! messages the capture cut (reported, not blamed), missing bytes inside a body; the same
//! transcript however the bytes are split, and no panic on hostile bytes.

mod support;

use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use support::pipeline::{resplit, rule_failures, run_events, transcript_of};
use weir_conformance::capture::{Direction, Event, FlowEvent, FlowId, Transport};
use weir_conformance::check::{Coverage, InputReport};
use weir_conformance::verdict::Status;
use weir_media::MediaKind;
use weir_testkit::corpus::dir as corpus;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

/// One connection's events: each piece one data event, a millisecond apart; then both FINs
/// when `fin`; without them the capture simply ends (the checker closes the flow).
fn connection(pieces: &[(Direction, &[u8])], fin: bool) -> Vec<Event> {
    let flow = FlowId(1);
    let mut events = vec![FlowEvent::Opened {
        flow,
        client: "10.0.0.1:50000".parse().unwrap(),
        server: "10.0.0.2:8080".parse().unwrap(),
        transport: Transport::Tcp,
        midstream: false,
    }];
    let mut offsets = [0u64; 2];
    for (direction, bytes) in pieces {
        events.push(FlowEvent::Data {
            flow,
            direction: *direction,
            offset: offsets[direction.index()],
            bytes: Bytes::copy_from_slice(bytes),
        });
        offsets[direction.index()] += bytes.len() as u64;
    }
    if fin {
        for direction in [C2S, S2C] {
            let offset = offsets[direction.index()];
            events.push(FlowEvent::Finished {
                flow,
                direction,
                offset,
            });
        }
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Event {
            time: Duration::from_millis(i as u64),
            packet: i as u64,
            event,
        })
        .collect()
}

/// `body` in the chunked coding (RFC 9112 §7.1), chunk sizes taken in turn from `sizes`, an
/// extension on every third chunk, and a trailer field.
fn chunked(body: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut at, mut i) = (0, 0);
    while at < body.len() {
        let n = sizes[i % sizes.len()].min(body.len() - at);
        let ext = if i % 3 == 2 { ";ext=\"x\"" } else { "" };
        out.extend(format!("{n:X}{ext}\r\n").bytes());
        out.extend(&body[at..at + n]);
        out.extend(b"\r\n");
        at += n;
        i += 1;
    }
    out.extend(b"0\r\nX-Checksum: none\r\n\r\n");
    out
}

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: example.test\r\nUser-Agent: test\r\n\r\n").into_bytes()
}

fn ok(fields: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 200 OK\r\n{fields}\r\n").into_bytes();
    out.extend(body);
    out
}

fn ok_sized(content_type: &str, body: &[u8]) -> Vec<u8> {
    ok(
        &format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ),
        body,
    )
}

fn file(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(corpus().join(dir).join(name)).unwrap()
}

/// (frames, keyframes) of the flow's video and audio tracks.
fn media(report: &InputReport) -> [(u64, u64); 2] {
    let of = |kind| {
        report.flows[0]
            .tracks
            .iter()
            .filter(|(_, t, _)| t.kind == kind)
            .map(|(_, _, s)| (s.frames, s.keyframes))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    };
    [of(MediaKind::Video), of(MediaKind::Audio)]
}

fn status(report: &InputReport, rule: &str) -> Status {
    report.flows[0]
        .verdicts
        .iter()
        .find(|v| v.rule.id == rule)
        .map(|v| v.status.clone())
        .unwrap()
}

/// The transcript's event lines of one direction.
fn said(report: &InputReport, dir: &str) -> Vec<String> {
    transcript_of(report.clone())
        .split("\n- ")
        .filter(|e| e.contains(&format!("dir: {dir}\n")))
        .filter_map(|e| e.split_once("event: "))
        .map(|(_, t)| t.trim().trim_matches('\'').replace("''", "'"))
        .collect()
}

const PLAYLIST: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n\
#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:4.0,\na-0.ts\n#EXTINF:4.0,\na-1.ts\n#EXTINF:4.0,\na-2.ts\n\
#EXTINF:4.0,\na-3.ts\n";

/// The playlist one segment later (still three target durations long, RFC 8216 §6.2.2), its
/// segment 1 named `one`.
fn reloaded(one: &str) -> String {
    format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:1\n\
         #EXTINF:4.0,\n{one}\n#EXTINF:4.0,\na-2.ts\n#EXTINF:4.0,\na-3.ts\n#EXTINF:4.0,\na-4.ts\n"
    )
}

/// Keep-alive: the playlist, a segment, the playlist again (chunked), on one connection.
fn keep_alive(one: &str) -> (Vec<Event>, u64) {
    let ts = file("mpegts", "test-middle-pat-pmt.ts");
    let third = reloaded(one);
    let responses = [
        ok_sized("application/vnd.apple.mpegurl", PLAYLIST.as_bytes()),
        ok_sized("video/MP2T", &ts),
        ok(
            "Content-Type: application/x-mpegURL\r\nTransfer-Encoding: chunked\r\n",
            &chunked(third.as_bytes(), &[40, 7]),
        ),
    ];
    // Where the third playlist's text begins: after the first two responses, the third's
    // head and its first chunk size line.
    let third_head = responses[2].len() - chunked(third.as_bytes(), &[40, 7]).len();
    let third_at = (responses[0].len() + responses[1].len() + third_head + "28\r\n".len()) as u64;
    let pieces: Vec<(Direction, Vec<u8>)> = vec![
        (C2S, get("/live/a.m3u8")),
        (S2C, responses[0].clone()),
        (C2S, get("/live/a-0.ts")),
        (S2C, responses[1][..1000].to_vec()),
        (S2C, responses[1][1000..].to_vec()),
        (C2S, get("/live/a.m3u8")),
        (S2C, responses[2].clone()),
    ];
    let pieces: Vec<(Direction, &[u8])> = pieces.iter().map(|(d, b)| (*d, &b[..])).collect();
    (connection(&pieces, true), third_at)
}

#[test]
fn keep_alive_reads_a_playlist_its_reload_and_a_segment() {
    let (events, _) = keep_alive("a-1.ts");
    let report = run_events(events);
    let text = transcript_of(report.clone());
    assert_eq!(report.flows.len(), 1);
    let flow = &report.flows[0];
    assert_eq!(flow.protocol.name(), "http", "{text}");
    assert_eq!(flow.coverage, Coverage::Full, "{text}");
    assert_eq!(flow.counted_failures(), 0, "{text}");
    // The segment's frames, as the TS file gives them (check_mpegts pins the same).
    assert_eq!(media(&report), [(15, 1), (28, 28)], "{text}");
    let requests = said(&report, "c2s");
    assert_eq!(
        requests[..3],
        [
            "request GET /live/a.m3u8 HTTP/1.1",
            "request GET /live/a-0.ts HTTP/1.1",
            "request GET /live/a.m3u8 HTTP/1.1"
        ]
    );
    let responses = said(&report, "s2c");
    let first = format!(
        "response HTTP/1.1 200 OK, application/vnd.apple.mpegurl, {} bytes (Content-Length), \
         read as a playlist (by its Content-Type): media playlist version 3",
        PLAYLIST.len()
    );
    assert!(responses[0].starts_with(&first), "{responses:?}");
    assert!(
        responses[1].contains(
            "video/MP2T, 12032 bytes (Content-Length), read as TS (by its Content-Type): 43 frames"
        ),
        "{responses:?}"
    );
    assert!(
        responses[2]
            .contains("(chunked), read as a playlist (by its Content-Type): media playlist"),
        "{responses:?}"
    );
    // The reload was compared (RFC 8216 §6.2.1) and kept its segments.
    assert_eq!(status(&report, "hls.reload.segments"), Status::Pass);
    assert_eq!(status(&report, "http.chunked.size-line"), Status::Pass);
    assert_eq!(
        status(&report, "rtmp.chunk.csid-range"),
        Status::NotApplicable
    );

    // Segment 1 renamed in the reload: its media sequence number now names another segment.
    let (events, third_at) = keep_alive("b-1.ts");
    let report = run_events(events);
    assert_eq!(
        rule_failures(&report, "hls.reload.segments"),
        [(1, Some(third_at))]
    );
    assert_eq!(report.flows[0].counted_failures(), 1);
}

#[test]
fn reloads_are_compared_across_connections() {
    let first = connection(
        &[
            (C2S, &get("/live/a.m3u8")),
            (
                S2C,
                &ok_sized("application/vnd.apple.mpegurl", PLAYLIST.as_bytes()),
            ),
        ],
        true,
    );
    let second: Vec<Event> = connection(
        &[
            (C2S, &get("/live/a.m3u8")),
            (
                S2C,
                &ok_sized(
                    "application/vnd.apple.mpegurl",
                    reloaded("b-1.ts").as_bytes(),
                ),
            ),
        ],
        true,
    )
    .into_iter()
    .map(|mut e| {
        match &mut e.event {
            FlowEvent::Opened { flow, client, .. } => {
                *flow = FlowId(2);
                *client = "10.0.0.1:50001".parse().unwrap();
            }
            FlowEvent::Data { flow, .. } | FlowEvent::Finished { flow, .. } => *flow = FlowId(2),
            _ => {}
        }
        e
    })
    .collect();
    let report = run_events(first.into_iter().chain(second));
    let failed: Vec<_> = report.flows.iter().map(|f| f.counted_failures()).collect();
    assert_eq!(failed, [0, 1]);
}

#[test]
fn chunked_bodies_cut_at_awkward_places_read_as_the_file() {
    let ts = file("mpegts", "test-segment.ts");
    // Sizes that cut packets, headers and PES anywhere; no type, no extension: the first
    // bytes say TS.
    let body = chunked(&ts, &[1, 187, 188, 189, 4096, 3, 65536]);
    let events = connection(
        &[
            (C2S, &get("/segment?n=1")),
            (S2C, &ok("Transfer-Encoding: chunked\r\n", &body)),
        ],
        true,
    );
    let report = run_events(events);
    assert_eq!(media(&report), [(134, 9), (369, 369)]);
    let responses = events_of(&report);
    assert!(
        responses.contains("187436 bytes (chunked), read as TS (by its first bytes): 503 frames"),
        "{responses}"
    );
    // test-segment.ts's own PCR spacing (check_mpegts pins it) fails as it does in the file.
    assert_eq!(
        rule_failures(&report, "mpegts.pcr.interval").len(),
        1,
        "{responses}"
    );
}

fn events_of(report: &InputReport) -> String {
    said(report, "s2c").join("\n")
}

fn http_flv(fin: bool, cut: Option<usize>) -> Vec<Event> {
    let flv = file("flv", "avc_aac.flv");
    let flv = &flv[..cut.unwrap_or(flv.len())];
    let request = b"GET /live/s.flv HTTP/1.0\r\n\r\n";
    let mut response = b"HTTP/1.0 200 OK\r\nContent-Type: video/x-flv\r\n\r\n".to_vec();
    response.extend(flv);
    let (a, b) = response.split_at(response.len() / 3);
    connection(&[(C2S, request), (S2C, a), (S2C, b)], fin)
}

#[test]
fn http_flv_until_close_reads_every_frame() {
    let report = run_events(http_flv(true, None));
    let text = transcript_of(report.clone());
    // ffprobe counts 59 video frames (1 keyframe) and 47 audio frames (protocols/flv's tests).
    assert_eq!(media(&report), [(59, 1), (47, 47)], "{text}");
    assert_eq!(report.flows[0].counted_failures(), 0, "{text}");
    assert!(
        text.contains("147487 bytes (until close), read as FLV (by its Content-Type): "),
        "{text}"
    );
}

#[test]
fn responses_cut_by_the_capture_are_reported_not_blamed() {
    // HTTP-FLV cut inside a tag by the capture's end: not flv.tag.truncated.
    let report = run_events(http_flv(false, Some(100_000)));
    let text = transcript_of(report.clone());
    assert_eq!(report.flows[0].counted_failures(), 0, "{text}");
    assert!(
        text.contains("100000 bytes (until close, cut: the flow ended first"),
        "{text}"
    );
    // A Content-Length body, and then a head, cut.
    let ts = file("mpegts", "test-middle-pat-pmt.ts");
    let mut response = ok_sized("video/mp2t", &ts);
    response.truncate(response.len() - 5_000);
    for (fin, cut) in [
        (false, "cut: the flow ended first"),
        (true, "cut: the connection closed first"),
    ] {
        let report = run_events(connection(&[(C2S, &get("/a.ts")), (S2C, &response)], fin));
        let text = events_of(&report);
        assert_eq!(report.flows[0].counted_failures(), 0, "{text}");
        assert!(text.contains(cut), "{text}");
    }
    let report = run_events(connection(
        &[(C2S, &get("/a.ts")), (S2C, b"HTTP/1.1 200 OK\r\nContent-")],
        false,
    ));
    assert!(
        events_of(&report).contains("response head cut after 25 bytes: the flow ended"),
        "{}",
        events_of(&report)
    );
}

#[test]
fn pipelined_head_interim_and_not_modified_responses_frame_right() {
    let requests = [
        b"HEAD /a.m3u8 HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(),
        get("/a.m3u8"),
        get("/a.m3u8"),
    ]
    .concat();
    let responses = [
        // HEAD: Content-Length, no body (RFC 9112 §6.3 item 1).
        b"HTTP/1.1 200 OK\r\nContent-Length: 117\r\n\r\n".to_vec(),
        b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(),
        ok_sized("application/vnd.apple.mpegurl", PLAYLIST.as_bytes()),
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 117\r\n\r\n".to_vec(),
    ]
    .concat();
    let report = run_events(connection(&[(C2S, &requests), (S2C, &responses)], true));
    let lines = said(&report, "s2c");
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0], "response HTTP/1.1 200 OK, no body");
    assert_eq!(lines[1], "response HTTP/1.1 100 Continue (interim)");
    assert!(lines[2].contains("read as a playlist"), "{lines:?}");
    assert_eq!(lines[3], "response HTTP/1.1 304 Not Modified, no body");
    assert_eq!(report.flows[0].coverage, Coverage::Full);
    assert_eq!(report.flows[0].counted_failures(), 0);
}

#[test]
fn broken_framing_fails_its_rule_at_its_byte() {
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    let at = head.len() as u64;
    for (body, rule, offset) in [
        (
            &b"5\r\nhello\r\nxyz\r\n"[..],
            "http.chunked.size-line",
            at + 10,
        ),
        (b"5\r\nhelloXX", "http.chunked.data-crlf", at + 8),
        (b"5;\x00\r\n", "http.chunked.size-line", at + 2),
    ] {
        let response = [&head[..], body].concat();
        let report = run_events(connection(&[(C2S, &get("/x")), (S2C, &response)], true));
        assert_eq!(
            rule_failures(&report, rule),
            [(1, Some(offset))],
            "{body:?}"
        );
        assert!(matches!(report.flows[0].coverage, Coverage::Partial(_)));
        assert!(events_of(&report).contains("(chunked, framing lost)"));
    }
    let cases: [(&[u8], &str, u64); 4] = [
        (b"GET / HTTP/1.1\r\n\r\n", "http.request.host", 0),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nBad Field: x\r\n\r\n",
            "http.message.field-line",
            25,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "http.framing.content-length",
            0,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /\x01 HTTP/1.1\r\n\r\n",
            "http.message.start-line",
            27,
        ),
    ];
    for (request, rule, offset) in cases {
        let report = run_events(connection(&[(C2S, request)], true));
        assert_eq!(
            rule_failures(&report, rule),
            [(1, Some(offset))],
            "{}",
            transcript_of(report.clone())
        );
    }
    let long = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "a".repeat(70_000)
    );
    let report = run_events(connection(&[(C2S, long.as_bytes())], true));
    assert_eq!(
        rule_failures(&report, "http.message.limits"),
        [(1, Some(0))]
    );
}

#[test]
fn missing_bytes_inside_a_body_are_skipped() {
    let ts = file("mpegts", "test-segment.ts");
    let response = ok_sized("video/mp2t", &ts);
    let head = response.len() - ts.len();
    let (a, rest) = response.split_at(head + 188 * 100);
    let b = &rest[188 * 20..];
    let mut events = connection(&[(C2S, &get("/a.ts")), (S2C, a)], false);
    let flow = FlowId(1);
    let gap_at = a.len() as u64;
    for event in [
        FlowEvent::Gap {
            flow,
            direction: S2C,
            offset: gap_at,
            len: 188 * 20,
        },
        FlowEvent::Data {
            flow,
            direction: S2C,
            offset: gap_at + 188 * 20,
            bytes: Bytes::copy_from_slice(b),
        },
        FlowEvent::Data {
            flow,
            direction: C2S,
            offset: get("/a.ts").len() as u64,
            bytes: Bytes::from(get("/b.ts")),
        },
        FlowEvent::Gap {
            flow,
            direction: S2C,
            offset: (response.len()) as u64,
            len: 10,
        },
    ] {
        events.push(Event {
            time: Duration::from_millis(10),
            packet: 0,
            event,
        });
    }
    let report = run_events(events);
    let text = transcript_of(report.clone());
    assert!(
        text.contains("187436 bytes (Content-Length), read as TS (by its Content-Type): "),
        "{text}"
    );
    assert!(text.contains(", with bytes missing"), "{text}");
    // Between messages, missing bytes lose the framing.
    assert!(
        text.contains("where the next message starts is unknown"),
        "{text}"
    );
    assert!(matches!(report.flows[0].coverage, Coverage::Partial(_)));
}

/// Every hand-built connection above.
fn scenarios() -> Vec<Vec<Event>> {
    let ts = file("mpegts", "test-segment.ts");
    let chunked_ts = connection(
        &[
            (C2S, &get("/s")),
            (
                S2C,
                &ok(
                    "Transfer-Encoding: chunked\r\n",
                    &chunked(&ts, &[1, 187, 3000]),
                ),
            ),
        ],
        true,
    );
    let bad = connection(
        &[
            (C2S, &get("/x")),
            (
                S2C,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nxyz\r\n",
            ),
        ],
        true,
    );
    vec![
        keep_alive("a-1.ts").0,
        keep_alive("b-1.ts").0,
        chunked_ts,
        http_flv(true, None),
        http_flv(false, Some(100_000)),
        bad,
    ]
}

#[test]
fn http_transcripts_do_not_depend_on_how_the_bytes_were_split() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(41);
    for (i, events) in scenarios().into_iter().enumerate() {
        let whole = transcript_of(run_events(events.clone()));
        let bytewise = transcript_of(run_events(resplit(&events, |_| 1)));
        assert_eq!(whole, bytewise, "scenario {i}: byte by byte");
        for _ in 0..3 {
            let random = resplit(&events, |left| rng.random_range(1..=left.min(700)));
            assert_eq!(whole, transcript_of(run_events(random)), "scenario {i}");
        }
    }
}

/// Starts that take hostile bytes into each state of the reader.
const RESPONSE_STARTS: [&[u8]; 5] = [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\n\r\nFLV\x01\x05\0\0\0\x09\0\0\0\0",
    b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nContent-Length: 400\r\n\r\nG",
    b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpegurl\r\nContent-Length: 40\r\n\r\n#EXTM3U\n",
    b"HTTP/1.",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn hostile_bytes_never_panic_and_split_the_same(
        start in 0..RESPONSE_STARTS.len(),
        request in proptest::collection::vec(any::<u8>(), 0..300),
        response in proptest::collection::vec(any::<u8>(), 0..1500),
        cuts in proptest::collection::vec(1usize..64, 1..16),
        fin in any::<bool>(),
    ) {
        let mut client = b"GET /a.m3u8 HTTP/1.1\r\n".to_vec();
        client.extend(&request);
        let mut server = RESPONSE_STARTS[start].to_vec();
        server.extend(&response);
        let (a, b) = server.split_at(server.len() / 2);
        let events = connection(&[(C2S, &client), (S2C, a), (C2S, b"\r\n\r\n"), (S2C, b)], fin);
        let whole = transcript_of(run_events(events.clone()));
        let mut i = 0;
        let split = resplit(&events, |_| {
            i += 1;
            cuts[i % cuts.len()]
        });
        prop_assert_eq!(whole, transcript_of(run_events(split)));
    }
}
