//! `weir check` on the corpus's RTMP material: expected transcripts (insta snapshots), the same
//! transcript however each flow's bytes are split, damaged captures (packets dropped,
//! duplicated, reordered) that report the gap or heal and never panic, and streams edited to
//! break a rule, which fail that rule at the right byte.

mod support;

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use support::pipeline::{resplit, rule_failures, run_events, transcript_of};
use weir_conformance::capture::{
    CaptureEvents, CaptureReader, Event, FlowTable, Limits, Packet, StreamPair,
};
use weir_conformance::check::{self, Input, InputReport, Options, Report};
use weir_conformance::report;
use weir_conformance::verdict::Status;
use weir_testkit::corpus::dir as corpus;

fn rtmp(name: &str) -> PathBuf {
    corpus().join("rtmp").join(name)
}

fn check_one(input: Input) -> Report {
    check::run(&[input], &Options::default())
}

fn capture_events(name: &str) -> Vec<Event> {
    let file = BufReader::new(File::open(rtmp(name)).unwrap());
    CaptureEvents::new(file, Limits::default())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn pair(client: &str, server: &str) -> StreamPair {
    check::read_pair(&rtmp(client), &rtmp(server)).unwrap()
}

#[test]
fn snapshot_rtmp_sample_cap() {
    let report = check_one(Input::Capture(rtmp("rtmp_sample.cap")));
    assert_eq!(report.exit_code(), 0);
    insta::assert_snapshot!(report.transcript_yaml());
}

#[test]
fn snapshot_rtmp_pcap_with_its_gtp_u_tunnelled_flows() {
    let report = check_one(Input::Capture(rtmp("rtmp.pcap")));
    let flows: Vec<_> = report
        .flows()
        .map(|f| (f.id.0, f.protocol.name(), f.server.port(), f.bytes))
        .collect();
    // Pinned with `tshark -r rtmp.pcap -q -z conv,tcp` (the GTP-U flows are the inner ones).
    assert_eq!(
        flows,
        [
            (1, "rtmp", 1935, [3452, 3496]),
            (2, "rtmp", 1935, [3347, 3365]),
            (3, "rtmp", 6002, [3376, 3412]),
        ]
    );
    insta::assert_snapshot!(report.transcript_yaml());
}

#[test]
fn snapshot_fms_stream_pair_found_from_one_file() {
    // `client_stream` is no capture: its `server_stream` sibling makes it a pair.
    let report = check_one(Input::Capture(rtmp("client_stream")));
    let flow = report.flows().next().unwrap();
    assert_eq!(flow.bytes, [4727, 337828]);
    let video = &flow
        .tracks
        .iter()
        .find(|t| t.1.kind == weir_media::MediaKind::Video);
    let (_, _, video) = video.unwrap();
    // ffprobe cannot read the raw stream; the frame count and span come from the FLV tags
    // the server sent: 99 Sorenson H.263 frames over 16.1 s, 10 of them keyframes.
    assert_eq!((video.frames, video.keyframes), (99, 10));
    assert_eq!((video.first_ms, video.last_ms), (Some(0), Some(16138)));
    insta::assert_snapshot!(report.transcript_yaml());
}

#[test]
fn snapshot_ffmpeg_stream_pair_and_its_real_violations() {
    let report = check_one(Input::Pair {
        client: rtmp("ffmpeg_client_stream"),
        server: rtmp("ffmpeg_server_stream"),
    });
    // FFmpeg's client plays an empty stream name, and its `-listen 1` server answers with a
    // NetStream.Play.Start description whose first bytes are not UTF-8: both MUST rules fail.
    let failed: Vec<_> = report
        .flows()
        .flat_map(|f| &f.verdicts)
        .filter(|v| v.counted_failure())
        .map(|v| v.rule.id)
        .collect();
    assert_eq!(failed, ["amf0.string.utf8", "rtmp.command.stream-name"]);
    assert_eq!(report.exit_code(), 1);
    insta::assert_snapshot!(report.transcript_yaml());
}

/// Without a transcript (`weir check FILE`: observers do not word their events and no entry
/// is kept) every report says what it says with one: verdicts, failures with their bytes,
/// coverage and media summaries.
#[test]
fn reports_are_the_same_without_the_transcript() {
    let captures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../captures");
    let mut inputs = vec![
        Input::Capture(rtmp("rtmp_sample.cap")),
        Input::Capture(rtmp("rtmp.pcap")),
        Input::Pair {
            client: rtmp("client_stream"),
            server: rtmp("server_stream"),
        },
        Input::Pair {
            client: rtmp("ffmpeg_client_stream"),
            server: rtmp("ffmpeg_server_stream"),
        },
    ];
    for entry in std::fs::read_dir(&captures).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pcapng") {
            inputs.push(Input::Capture(path));
        }
    }
    let without = Options {
        no_transcript: true,
        ..Options::default()
    };
    for input in inputs {
        let full = check::run(std::slice::from_ref(&input), &Options::default());
        let bare = check::run(std::slice::from_ref(&input), &without);
        let name = input.name();
        assert!(!full.inputs[0].entries.is_empty(), "{name}");
        assert!(bare.inputs[0].entries.is_empty(), "{name}");
        assert_eq!(
            report::json::render(&bare),
            report::json::render(&full),
            "{name}"
        );
        assert_eq!(
            report::text::render(&bare),
            report::text::render(&full),
            "{name}"
        );
    }
}

#[test]
fn transcripts_do_not_depend_on_how_the_bytes_were_split() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let inputs: Vec<(&str, Vec<Event>)> = vec![
        ("rtmp_sample.cap", capture_events("rtmp_sample.cap")),
        ("rtmp.pcap", capture_events("rtmp.pcap")),
        ("fms pair", pair("client_stream", "server_stream").events()),
        (
            "ffmpeg pair",
            pair("ffmpeg_client_stream", "ffmpeg_server_stream").events(),
        ),
    ];
    for (name, events) in inputs {
        let whole = transcript_of(run_events(events.clone()));
        assert!(whole.contains("handshake"), "{name}");
        let bytewise = transcript_of(run_events(resplit(&events, |_| 1)));
        assert_eq!(whole, bytewise, "{name}: byte by byte");
        for _ in 0..4 {
            let random = resplit(&events, |left| rng.random_range(1..=left.min(3000)));
            assert_eq!(whole, transcript_of(run_events(random)), "{name}: random");
        }
    }
}

fn packets(name: &str) -> Vec<Packet> {
    let file = BufReader::new(File::open(rtmp(name)).unwrap());
    CaptureReader::new(file)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn through_flow_table(packets: &[Packet]) -> InputReport {
    let mut table = FlowTable::new(Limits::default());
    let mut events = Vec::new();
    for packet in packets {
        table.push(packet);
        events.extend(std::iter::from_fn(|| table.poll_event()));
    }
    table.finish(packets.last().map(|p| p.time).unwrap_or_default());
    events.extend(std::iter::from_fn(|| table.poll_event()));
    run_events(events)
}

#[test]
fn dropped_packets_are_reported_as_gaps_and_end_that_direction() {
    let packets = packets("rtmp_sample.cap");
    let mut gaps = Vec::new();
    for drop in 0..packets.len() {
        let mut damaged = packets.clone();
        damaged.remove(drop);
        let report = through_flow_table(&damaged);
        let yaml = transcript_of(report.clone());
        if yaml.contains("event: 'gap: ") {
            gaps.push(drop + 1);
            assert!(
                yaml.contains("RTMP cannot resynchronise inside a chunk stream"),
                "frame {}: {yaml}",
                drop + 1
            );
            assert!(!matches!(report.flows[0].coverage, check::Coverage::Full));
            // What was read before the gap is still judged; nothing is claimed to pass.
            assert!(
                report.flows[0]
                    .verdicts
                    .iter()
                    .all(|v| v.status != Status::Pass)
            );
        }
    }
    // The frames with TCP payload (tshark -T fields -e frame.number -e tcp.len), except the
    // last of each direction: a loss at the very end of a direction without FIN leaves no
    // trace in the capture.
    assert_eq!(gaps, [4, 6, 8, 10, 11, 13, 14, 17, 18, 19, 20, 22]);
}

#[test]
fn duplicated_and_reordered_packets_heal() {
    let packets = packets("rtmp_sample.cap");
    let original = transcript_of(through_flow_table(&packets));
    for i in 1..packets.len() - 1 {
        let mut duplicated = packets.clone();
        duplicated.insert(i + 1, packets[i].clone());
        assert_eq!(
            original,
            transcript_of(through_flow_table(&duplicated)),
            "packet {i} duplicated"
        );
        let mut swapped = packets.clone();
        swapped.swap(i, i + 1);
        // Swapping two packets of one direction heals exactly; across directions it may
        // change the order (and times) of entries, but must read the same flow.
        let report = through_flow_table(&swapped);
        assert_eq!(report.flows.len(), 1, "packets {i}, {} swapped", i + 1);
        let yaml = transcript_of(report);
        assert!(
            !yaml.contains("gap"),
            "packets {i}, {} swapped: {yaml}",
            i + 1
        );
    }
}

/// The client stream with `message` inserted at `at` (a chunk boundary).
fn edited_pair(at: usize, message: &[u8]) -> StreamPair {
    let mut pair = pair("client_stream", "server_stream");
    let mut client = pair.client_to_server.to_vec();
    client.splice(at..at, message.iter().copied());
    pair.client_to_server = Bytes::from(client);
    pair
}

fn failures(pair: &StreamPair, rule: &str) -> Vec<(u64, Option<u64>)> {
    rule_failures(&run_events(pair.events()), rule)
}

/// A whole chunk with a type 0 header (RTMP 1.0 §5.3.1.2.1): `payload` must fit in 128 bytes.
fn chunk(csid: u8, type_id: u8, stream_id: u32, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= 128);
    let len = (payload.len() as u32).to_be_bytes();
    let mut out = vec![csid, 0, 0, 0, len[1], len[2], len[3], type_id];
    out.extend_from_slice(&stream_id.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn amf0_string(s: &str, out: &mut Vec<u8>) {
    out.push(0x02);
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

const HANDSHAKE_END: usize = 3073;

#[test]
fn a_set_chunk_size_of_zero_fails_its_rule_at_its_byte() {
    let clean = pair("client_stream", "server_stream");
    assert_eq!(failures(&clean, "rtmp.control.set-chunk-size"), []);
    let edited = edited_pair(HANDSHAKE_END, &chunk(2, 1, 0, &[0, 0, 0, 0]));
    assert_eq!(
        failures(&edited, "rtmp.control.set-chunk-size"),
        [(1, Some(HANDSHAKE_END as u64))]
    );
    let report = run_events(edited.events());
    assert!(report.flows[0].counted_failures() >= 1);
}

#[test]
fn a_publish_before_create_stream_fails_its_rule_at_its_byte() {
    let clean = pair("client_stream", "server_stream");
    let client = &clean.client_to_server;
    // The createStream command's AMF0 name, and before it its chunk's type 1 header (8 bytes).
    let name = b"\x02\x00\x0ccreateStream";
    let at = client
        .windows(name.len())
        .position(|w| w == name)
        .expect("the client sends createStream");
    // Its chunk header: type 0 (12 bytes), 1 (8), 2 (4) or 3 (1), told by the first byte.
    let header = [(0, 12), (1, 8), (2, 4), (3, 1)]
        .into_iter()
        .find(|&(fmt, len)| client[at - len] >> 6 == fmt && client[at - len] & 0x3f == 3)
        .map(|(_, len)| at - len)
        .expect("createStream's chunk header on chunk stream 3");
    let mut publish = Vec::new();
    amf0_string("publish", &mut publish);
    publish.push(0x00);
    publish.extend_from_slice(&0f64.to_be_bytes());
    publish.push(0x05);
    amf0_string("early", &mut publish);
    amf0_string("live", &mut publish);
    // On a chunk stream of its own, so that the headers after it keep their meaning.
    let edited = edited_pair(header, &chunk(9, 20, 1, &publish));
    assert_eq!(failures(&clean, "rtmp.command.stream-before-create"), []);
    assert_eq!(
        failures(&edited, "rtmp.command.stream-before-create"),
        [(1, Some(header as u64))]
    );
}

#[test]
fn reports_render_and_parse() {
    let report = check::run(
        &[
            Input::Capture(rtmp("rtmp.pcap")),
            Input::Pair {
                client: rtmp("ffmpeg_client_stream"),
                server: rtmp("ffmpeg_server_stream"),
            },
        ],
        &Options::default(),
    );
    let json: serde_json::Value = serde_json::from_str(&report::json::render(&report)).unwrap();
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["inputs"][0]["flows"].as_array().unwrap().len(), 3);
    assert_eq!(json["inputs"][1]["flows"][0]["protocol"], "rtmp");

    let xml = report::junit::render(&report).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let rules = weir_conformance::catalog::all().count();
    assert_eq!(cases, 4 * rules, "one test case per rule per flow");
    assert_eq!(failures, 2);

    let text = report::text::render(&report);
    assert!(
        text.contains("FAIL amf0.string.utf8 (MUST, AMF0 §1.3)"),
        "{text}"
    );
    assert!(text.ends_with("FAIL: 2 rule verdict(s) failed\n"), "{text}");

    let html = report::html::render(&report);
    assert!(html.contains("<svg") && html.contains("amf0.string.utf8"));
    assert!(
        !html.contains("<script") && !html.contains("src="),
        "self-contained"
    );
}
