//! `weir check` on transport streams and playlists: every TS capture and TS file of the corpus
//! through the whole pipeline, with its expected transcript (insta snapshots) and exit code;
//! the same media whatever carries the packets (a file, M2TS, TCP, UDP behind a VLAN tag,
//! 204-byte packets over IPv6, RTP with CSRCs, extension and padding) and however a file's
//! bytes are split; RTP losses told apart from continuity errors; files edited to break a
//! rule failing it at its byte; every corpus playlist read.

mod support;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use support::packets::{ethernet, ethernet_capture, ipv4, ipv6, udp};
use support::pipeline::{resplit, rule_failures, run_events, transcript_of};
use weir_conformance::capture::{
    CaptureEvents, Direction, Event, FileEvents, FlowEvent, FlowId, Limits, StreamPair, Transport,
};
use weir_conformance::check::{self, Coverage, Input, InputReport, Options, Report};
use weir_media::MediaKind;
use weir_testkit::corpus::dir as corpus;

const PACKET: usize = 188;

fn mpegts(name: &str) -> PathBuf {
    corpus().join("mpegts").join(name)
}

fn check_one(path: &Path) -> Report {
    check::run(&[Input::Capture(path.to_owned())], &Options::default())
}

/// Each track: (direction-free name, codec, frames, keyframes, bytes, first ms, last ms).
type Media = Vec<(String, String, u64, u64, u64, Option<i64>, Option<i64>)>;

fn media(input: &InputReport) -> Media {
    input
        .flows
        .iter()
        .flat_map(|f| &f.tracks)
        .map(|(_, track, s)| {
            (
                weir_conformance::media_summary::track_name(*track),
                s.codec.map(|c| c.to_string()).unwrap_or_default(),
                s.frames,
                s.keyframes,
                s.bytes,
                s.first_ms,
                s.last_ms,
            )
        })
        .collect()
}

/// The rules failed, with their counts.
fn failed(input: &InputReport) -> Vec<(&'static str, u64)> {
    support::pipeline::failed_counts(input)
}

fn file_events(data: &[u8]) -> Vec<Event> {
    FileEvents::new(data).map(Result::unwrap).collect()
}

fn capture_events(file: &[u8]) -> Vec<Event> {
    CaptureEvents::new(file, Limits::default())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every file of `mpegts/` and the HLS capture, with the exit code `weir check` gives it.
const INPUTS: [(&str, i32); 12] = [
    // nDPI: one datagram of 7 packets on one PID, no PAT: read, nothing to judge against.
    ("mpegts/mpegts.pcap", 0),
    // One PCR gap of 2.9 s (mpegts.pcr.interval), PCRs 41 ms apart (SHOULD).
    ("mpegts/sintel-captions.ts", 1),
    // TSDuck: RTP payload type 33 over VLAN-tagged multicast; no PAT, no PES start.
    ("mpegts/test-162.pcap", 0),
    // TSDuck: 204-byte packets over UDP; PAT and PMTs, but no PES starts on the video PIDs.
    ("mpegts/test-171.11.pcapng", 0),
    // TSDuck: the same PID over IPv4 and IPv6 flows; no PAT, no PES start.
    ("mpegts/test-176.pcapng", 0),
    // Raw ADTS AAC: no capture, no TS, no playlist.
    ("mpegts/test-aac-segment.aac", 2),
    ("mpegts/test-middle-pat-pmt.ts", 0),
    // mux.js segments: PCRs 200 ms apart (mpegts.pcr.interval).
    ("mpegts/test-no-audio-segment.ts", 1),
    ("mpegts/test-segment.ts", 1),
    // adaptation_field_length 183 with a payload.
    ("mpegts/test-stuffed-pes.ts", 1),
    // A Git LFS pointer.
    ("mpegts/testsrc.ts", 2),
    // nDPI: an HTTP GET of a playlist (VLC and Python's http.server), read by the HTTP observer.
    ("hls/hls.pcapng", 0),
];

#[test]
fn every_ts_input_of_the_corpus_has_its_expected_transcript_and_exit_code() {
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus().join("mpegts"))
        .unwrap()
        .map(|e| format!("mpegts/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    on_disk.push("hls/hls.pcapng".into());
    on_disk.sort();
    let mut pinned: Vec<&str> = INPUTS.iter().map(|(name, _)| *name).collect();
    pinned.sort();
    assert_eq!(
        on_disk, pinned,
        "a file was added to or removed from the corpus"
    );
    for (name, code) in INPUTS {
        let report = check_one(&corpus().join(name));
        let text = weir_conformance::report::text::render(&report);
        assert_eq!(report.exit_code(), code, "{name}: {text}");
        let snapshot = name.replace(['/', '.'], "-");
        // Errors name the file by its path: where the corpus is differs from machine to machine.
        let root = corpus().display().to_string();
        insta::assert_snapshot!(
            snapshot,
            report.transcript_yaml().replace(&root, "[corpus]")
        );
    }
}

#[test]
fn ts_files_hold_the_frames_the_demuxer_pins() {
    // protocols/mpegts/tests/corpus.rs pins the same counts (checked there against ffprobe).
    for (name, video, audio) in [
        ("test-segment.ts", (134, 9), 369),
        ("test-middle-pat-pmt.ts", (15, 1), 28),
        ("sintel-captions.ts", (240, 2), 212),
    ] {
        let report = check_one(&mpegts(name));
        let flow = report.flows().next().unwrap();
        assert_eq!(flow.coverage, Coverage::Full, "{name}");
        let of = |kind| {
            flow.tracks
                .iter()
                .find(|(_, t, _)| t.kind == kind)
                .map(|(_, _, s)| s)
                .unwrap()
        };
        let v = of(MediaKind::Video);
        assert_eq!((v.frames, v.keyframes), (video.0, video.1), "{name}");
        assert_eq!(of(MediaKind::Audio).frames, audio, "{name}");
    }
}

/// test-segment.ts cut into datagrams of `per` packets of `stride` bytes (16 parity bytes of
/// zero after each when 204).
fn datagrams(ts: &[u8], per: usize, stride: usize) -> Vec<Vec<u8>> {
    ts.chunks(PACKET * per)
        .map(|chunk| {
            chunk
                .chunks(PACKET)
                .flat_map(|p| {
                    let mut p = p.to_vec();
                    p.resize(stride, 0);
                    p
                })
                .collect()
        })
        .collect()
}

/// An RTP packet (RFC 3550 §5.1) of payload type 33 with one CSRC, a one-word header
/// extension and three bytes of padding around `payload`.
fn rtp(seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80 | 0x20 | 0x10 | 1, 33];
    p.extend(seq.to_be_bytes());
    p.extend((u32::from(seq) * 3600).to_be_bytes());
    p.extend([0x0b, 0xad, 0xca, 0xfe]);
    p.extend([0, 0, 0, 7]);
    p.extend([0xbe, 0xde, 0, 1, 1, 2, 3, 4]);
    p.extend(payload);
    p.extend([0, 0, 3]);
    p
}

fn udp4_frame(vlan: Option<u16>, payload: &[u8]) -> Vec<u8> {
    let ip = ipv4(
        17,
        [10, 0, 0, 1],
        [239, 1, 1, 1],
        1,
        0,
        &udp(5000, 1234, payload),
    );
    ethernet(vlan, 0x0800, &ip)
}

fn udp6_frame(payload: &[u8]) -> Vec<u8> {
    ethernet(None, 0x86DD, &ipv6(17, 1, 2, &udp(5000, 1234, payload)))
}

fn rtp_frames(ts: &[u8], drop: Option<usize>) -> Vec<Vec<u8>> {
    datagrams(ts, 7, PACKET)
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != drop)
        // Sequence numbers wrap from 65535 to 0 on the way.
        .map(|(i, d)| udp4_frame(None, &rtp(65530u16.wrapping_add(i as u16), d)))
        .collect()
}

#[test]
fn the_same_stream_gives_the_same_media_whatever_carries_it() {
    let ts = std::fs::read(mpegts("test-segment.ts")).unwrap();
    let reference = run_events(file_events(&ts));
    assert_eq!(media(&reference).len(), 2);

    let m2ts: Vec<u8> = ts
        .chunks(PACKET)
        .enumerate()
        .flat_map(|(i, p)| {
            let mut unit = (i as u32).to_be_bytes().to_vec();
            unit.extend_from_slice(p);
            unit
        })
        .collect();
    let tcp = StreamPair {
        client: "10.0.0.1:50000".parse().unwrap(),
        server: "10.0.0.2:9000".parse().unwrap(),
        client_to_server: Bytes::from(ts.clone()),
        server_to_client: Bytes::new(),
    };
    let vlan: Vec<_> = datagrams(&ts, 7, PACKET)
        .iter()
        .map(|d| udp4_frame(Some(42), d))
        .collect();
    let rs: Vec<_> = datagrams(&ts, 7, 204)
        .iter()
        .map(|d| udp6_frame(d))
        .collect();
    let carriers = [
        ("M2TS file", run_events(file_events(&m2ts)), "192 bytes"),
        ("TCP", run_events(tcp.events()), "188 bytes"),
        (
            "UDP behind VLAN 42",
            run_events(capture_events(&ethernet_capture(&vlan))),
            "188 bytes",
        ),
        (
            "204-byte packets over UDP on IPv6",
            run_events(capture_events(&ethernet_capture(&rs))),
            "204 bytes",
        ),
        (
            "RTP with CSRC, extension and padding",
            run_events(capture_events(&ethernet_capture(&rtp_frames(&ts, None)))),
            "RTP payload type 33",
        ),
    ];
    for (name, report, detected) in carriers {
        assert_eq!(report.flows.len(), 1, "{name}");
        assert_eq!(report.flows[0].protocol.name(), "mpegts", "{name}");
        assert!(
            report.flows[0].detected_by.to_string().contains(detected),
            "{name}: {}",
            report.flows[0].detected_by
        );
        assert_eq!(report.flows[0].coverage, Coverage::Full, "{name}");
        assert_eq!(media(&report), media(&reference), "{name}");
        assert_eq!(failed(&report), failed(&reference), "{name}");
    }
}

#[test]
fn an_rtp_loss_is_an_event_and_a_udp_loss_a_continuity_error() {
    let ts = std::fs::read(mpegts("test-segment.ts")).unwrap();
    // RTP says a packet is missing: the demuxer starts afresh, nothing is blamed on the
    // stream, and the flow counts as observed in part.
    let report = run_events(capture_events(&ethernet_capture(&rtp_frames(
        &ts,
        Some(20),
    ))));
    let yaml = transcript_of(report.clone());
    assert!(
        yaml.contains("RTP: sequence number 15 where 14 was due: 1 packet(s) lost"),
        "{yaml}"
    );
    assert!(matches!(report.flows[0].coverage, Coverage::Partial(_)));
    let rules: Vec<_> = failed(&report).into_iter().map(|(r, _)| r).collect();
    assert!(!rules.contains(&"mpegts.packet.continuity"), "{rules:?}");
    // The same loss in plain UDP: only the continuity counters tell.
    let mut plain: Vec<_> = datagrams(&ts, 7, PACKET)
        .iter()
        .map(|d| udp4_frame(None, d))
        .collect();
    plain.remove(20);
    let report = run_events(capture_events(&ethernet_capture(&plain)));
    let rules: Vec<_> = failed(&report).into_iter().map(|(r, _)| r).collect();
    assert!(rules.contains(&"mpegts.packet.continuity"), "{rules:?}");
    // A repeated RTP packet is not read twice.
    let mut frames = rtp_frames(&ts, None);
    frames.insert(11, frames[10].clone());
    let report = run_events(capture_events(&ethernet_capture(&frames)));
    assert!(transcript_of(report.clone()).contains("(repeated or reordered): not read"));
    assert_eq!(
        media(&report),
        media(&run_events(file_events(&ts))),
        "nothing lost"
    );
}

#[test]
fn ts_transcripts_do_not_depend_on_how_the_bytes_were_split() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for name in [
        "test-segment.ts",
        "test-middle-pat-pmt.ts",
        "sintel-captions.ts",
        "test-stuffed-pes.ts",
    ] {
        let events = file_events(&std::fs::read(mpegts(name)).unwrap());
        let whole = transcript_of(run_events(events.clone()));
        assert!(whole.contains("packets:"), "{name}");
        let bytewise = transcript_of(run_events(resplit(&events, |_| 1)));
        assert_eq!(whole, bytewise, "{name}: byte by byte");
        for _ in 0..3 {
            let random = resplit(&events, |left| rng.random_range(1..=left.min(5000)));
            assert_eq!(whole, transcript_of(run_events(random)), "{name}: random");
        }
    }
}

/// A TCP flow from a server carrying `ts`, closed by its sender when `fin`; otherwise the
/// capture simply ends.
fn tcp_flow(ts: &[u8], fin: bool) -> Vec<Event> {
    let flow = FlowId(1);
    let mut events = vec![
        FlowEvent::Opened {
            flow,
            client: "10.0.0.1:50000".parse().unwrap(),
            server: "10.0.0.2:9000".parse().unwrap(),
            transport: Transport::Tcp,
            midstream: false,
        },
        FlowEvent::Data {
            flow,
            direction: Direction::ServerToClient,
            offset: 0,
            bytes: Bytes::copy_from_slice(ts),
        },
    ];
    if fin {
        events.push(FlowEvent::Finished {
            flow,
            direction: Direction::ServerToClient,
            offset: ts.len() as u64,
        });
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Event {
            time: std::time::Duration::from_millis(i as u64),
            packet: i as u64,
            event,
        })
        .collect()
}

#[test]
fn what_ends_short_is_blamed_on_the_sender_only_when_it_closed_the_stream() {
    let ts = std::fs::read(mpegts("test-middle-pat-pmt.ts")).unwrap();
    let cut = &ts[..ts.len() - 100];
    let closed = run_events(tcp_flow(cut, true));
    assert_eq!(
        rule_failures(&closed, "mpegts.packet.truncated"),
        [(1, Some(cut.len() as u64 - 88))]
    );
    // The capture ended first: what it cut is noted, not judged.
    let ended = run_events(tcp_flow(cut, false));
    assert_eq!(rule_failures(&ended, "mpegts.packet.truncated"), []);
    let transcript = transcript_of(ended);
    assert!(
        transcript.contains(&format!(
            "mpegts.packet.truncated at offset {} is about what it cut, not judged",
            cut.len() - 88
        )),
        "{transcript}"
    );
    // A whole stream the capture ended passes.
    assert_eq!(
        rule_failures(&run_events(tcp_flow(&ts, false)), "mpegts.packet.truncated"),
        []
    );
}

fn pid(packet: &[u8]) -> u16 {
    u16::from(packet[1] & 0x1f) << 8 | u16::from(packet[2])
}

#[test]
fn edited_files_fail_the_rule_at_its_byte() {
    let ts = std::fs::read(mpegts("test-segment.ts")).unwrap();
    let clean = run_events(file_events(&ts));
    assert_eq!(rule_failures(&clean, "mpegts.packet.continuity"), []);
    assert_eq!(rule_failures(&clean, "mpegts.psi.crc"), []);

    // The continuity counter of the 11th video packet jumps by 5: that packet and the next of
    // its PID break the rule (ISO/IEC 13818-1 §2.4.3.3).
    let k = ts
        .chunks(PACKET)
        .enumerate()
        .filter(|(_, p)| pid(p) == 0x100)
        .nth(10)
        .map(|(i, _)| i)
        .unwrap();
    let mut jumped = ts.clone();
    let header = &mut jumped[k * PACKET + 3];
    *header = (*header & 0xf0) | ((*header + 5) & 0x0f);
    let report = run_events(file_events(&jumped));
    assert_eq!(
        rule_failures(&report, "mpegts.packet.continuity"),
        [(2, Some((k * PACKET) as u64))]
    );

    // The first PAT's CRC_32 (Annex A) with one byte flipped: reported at that byte.
    let pat = ts.chunks(PACKET).position(|p| pid(p) == 0).unwrap() * PACKET;
    let pointer = usize::from(ts[pat + 4]);
    let section = pat + 5 + pointer;
    let length = usize::from(ts[section + 1] & 0x0f) << 8 | usize::from(ts[section + 2]);
    let crc = section + 3 + length - 4;
    let mut corrupted = ts.clone();
    corrupted[crc] ^= 0xff;
    let report = run_events(file_events(&corrupted));
    assert_eq!(
        rule_failures(&report, "mpegts.psi.crc"),
        [(1, Some(crc as u64))]
    );
    assert!(report.flows[0].counted_failures() >= 1);
}

#[test]
fn every_corpus_playlist_reads_as_a_pseudo_flow() {
    let mut lines = Vec::new();
    for dir in ["grafov-m3u8", "videojs-m3u8-parser"] {
        for path in weir_testkit::corpus::files(&format!("hls/{dir}"), "m3u8") {
            let report = check_one(&path);
            let input = &report.inputs[0];
            let what = match (&input.error, input.flows.first()) {
                (Some(error), _) => {
                    let path = path.display().to_string();
                    format!("error: {}", error.strip_prefix(&path).unwrap_or(error))
                }
                (None, Some(flow)) => {
                    assert_eq!(flow.protocol.name(), "hls", "{}", path.display());
                    let rules: Vec<_> = failed(input)
                        .into_iter()
                        .map(|(r, n)| format!("{r} ×{n}"))
                        .collect();
                    rules.join(", ")
                }
                (None, None) => panic!("{}: no flow", path.display()),
            };
            lines.push(format!(
                "{dir}/{}: exit {}; {what}",
                path.file_name().unwrap().to_string_lossy(),
                report.exit_code()
            ));
        }
    }
    assert!(lines.len() > 80);
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn hostile_datagrams_and_files_never_panic() {
    use weir_conformance::capture::{Direction, FlowEvent, FlowId, Transport};
    let mut rng = rand::rngs::StdRng::seed_from_u64(29);
    let ts = std::fs::read(mpegts("test-segment.ts")).unwrap();
    for round in 0..20 {
        // TS and RTP datagrams with random bytes flipped, cut or made up.
        let flow = FlowId(1);
        let mut events = vec![FlowEvent::Opened {
            flow,
            client: "10.0.0.1:5000".parse().unwrap(),
            server: "239.0.0.1:1234".parse().unwrap(),
            transport: Transport::Udp,
            midstream: true,
        }];
        for (i, d) in datagrams(&ts, 7, PACKET).iter().take(60).enumerate() {
            let mut d = if round % 2 == 0 {
                rtp(i as u16, d)
            } else {
                d.clone()
            };
            for _ in 0..rng.random_range(0..8) {
                let at = rng.random_range(0..d.len());
                d[at] = rng.random();
            }
            d.truncate(rng.random_range(0..=d.len()));
            events.push(FlowEvent::Datagram {
                flow,
                direction: Direction::ClientToServer,
                bytes: Bytes::from(d),
            });
        }
        let events = events.into_iter().map(|event| Event {
            time: std::time::Duration::ZERO,
            packet: 0,
            event,
        });
        let report = run_events(events);
        assert_eq!(report.flows.len(), 1);
        // A file with bytes flipped and cut.
        let mut file = ts[..rng.random_range(0..ts.len())].to_vec();
        for _ in 0..rng.random_range(0..200) {
            if file.is_empty() {
                break;
            }
            let at = rng.random_range(0..file.len());
            file[at] = rng.random();
        }
        let report = run_events(file_events(&file));
        assert!(report.flows.len() <= 1);
    }
}
