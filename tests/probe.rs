//! `weir probe` against live servers: every case passes on `weir serve` (strict, so SHOULD
//! cases count too), and nginx-rtmp's and node-media-server's known departures from the spec
//! are pinned case by case (conformance/FINDINGS.md tells them with their evidence); a careless
//! server of ours, in one of four ways, fails every `rtmp.server.*` rule ([`LIVE_RULES`]).

mod support;

use std::process::Command;
use std::time::Duration;
use support::{Nginx, Nms, Weir, weir_json};
use weir_testkit::TempPath;

/// Runs `weir probe` with JSON output; returns the exit code and the report.
fn probe(url: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["probe", url, "--format", "json", "--timeout", "20"])
            .args(extra),
    )
}

/// Each case's id and status.
fn statuses(report: &serde_json::Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["outcome"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_case_passes_against_weir_serve() {
    let weir = Weir::start(&[]);
    let junit = TempPath::new("probe.xml");
    let junit_arg = junit.to_str().unwrap().to_owned();
    let (code, report) = probe(
        &weir.rtmp_url("probe"),
        &["--strict", "--junit", &junit_arg],
    );
    let failed: Vec<_> = statuses(&report)
        .into_iter()
        .filter(|(_, status)| status != "pass" && status != "informational")
        .collect();
    assert!(failed.is_empty(), "{failed:?}\n{report:#}\n{}", weir.log());
    assert_eq!(code, 0);
    assert!(statuses(&report).len() >= 41);
    // The JUnit report parses and has one test case per probe case.
    let xml = std::fs::read_to_string(&junit).unwrap();
    drop(junit);
    let cases = xml.matches("<testcase ").count();
    assert_eq!(cases, statuses(&report).len(), "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
}

#[test]
fn nginx_rtmp_departs_from_the_spec_where_findings_say() {
    let nginx = Nginx::start();
    let (code, report) = probe(&nginx.url("probe"), &[]);
    let got = statuses(&report);
    let status_of = |id: &str| {
        got.iter()
            .find(|(case, _)| case == id)
            .map(|(_, s)| s.as_str())
            .unwrap_or_else(|| panic!("no case {id}"))
    };
    // conformance/FINDINGS.md: nginx-rtmp refuses chunk sizes above its limit, misreads the
    // stream after Set Chunk Size 1, closes on chunk stream ids from 32 up (its max_streams),
    // does not discard an aborted message, ignores Set Peer Bandwidth, sends no Stream Begin
    // to a player of a running stream and gives every createStream message stream 1.
    let departures = [
        "chunk.size-max",
        "chunk.abort",
        "chunk.size-1",
        "chunk.size-changes",
        "chunk.csid-2byte",
        "chunk.csid-3byte",
        "flow.peer-bandwidth",
        "control.stream-begin",
        "command.create-stream-twice",
    ];
    for id in departures {
        assert_eq!(status_of(id), "fail", "{id}\n{report:#}");
    }
    for (id, status) in &got {
        if !departures.contains(&id.as_str()) {
            assert!(
                status == "pass" || status == "informational",
                "{id} is {status}\n{report:#}\n{}",
                Nginx::log_of(&nginx.dir)
            );
        }
    }
    // Seven MUST cases fail: the run fails.
    assert_eq!(code, 1);
    assert_eq!(report["counted_failures"], 7);
}

#[test]
fn node_media_server_departs_from_the_spec_where_findings_say() {
    let nms = Nms::start();
    // conformance/FINDINGS.md, "node-media-server": media to players on message stream 0,
    // Abort and Set Peer Bandwidth ignored, no Acknowledgement ever, garbage tolerated.
    let stray = "video on message stream 0, not the played stream 1";
    let expected: &[(&str, &str, &[&str])] = &[
        ("handshake.simple", "pass", &[]),
        ("handshake.complex-scheme0", "pass", &["S2 digest valid"]),
        (
            "handshake.complex-scheme1",
            "pass",
            &["S1 digest valid (Scheme1)"],
        ),
        ("handshake.split", "pass", &[]),
        ("handshake.c2-mismatch", "informational", &["accepted"]),
        ("chunk.size-128", "fail", &[stray]),
        ("chunk.size-4096", "fail", &[stray]),
        ("chunk.size-65536", "fail", &[stray]),
        ("chunk.size-max", "fail", &[stray]),
        ("chunk.interleave", "pass", &["identical"]),
        ("chunk.abort", "fail", &["1 of 4 video frames arrived"]),
        ("chunk.size-1", "fail", &[stray]),
        ("chunk.size-changes", "pass", &["identical"]),
        ("chunk.csid-2byte", "pass", &["identical"]),
        ("chunk.csid-3byte", "pass", &["identical"]),
        ("timestamp.extended", "pass", &["identical"]),
        ("timestamp.wrap", "pass", &["identical"]),
        (
            "flow.acknowledgement",
            "fail",
            &["no Acknowledgement after"],
        ),
        (
            "flow.peer-bandwidth",
            "fail",
            &["while the player acknowledged nothing"],
        ),
        ("flow.ack-sequence", "fail", &["no Acknowledgement after"]),
        ("control.window-ack-size", "pass", &[]),
        ("control.set-peer-bandwidth", "pass", &[]),
        ("control.stream-begin", "pass", &[]),
        ("connect.ecma-array", "pass", &[]),
        ("connect.amf3", "pass", &[]),
        ("sequence.ffmpeg", "pass", &[]),
        ("sequence.obs", "pass", &["onMetaData relayed"]),
        ("sequence.republish", "pass", &[]),
        ("sequence.plain-publish", "pass", &[]),
        ("command.unknown", "pass", &["ignored it"]),
        (
            "command.create-stream-twice",
            "pass",
            &["stream ids 1 and 2"],
        ),
        ("sequence.delete-stream", "pass", &[]),
        ("sequence.close-stream", "pass", &[]),
        ("sequence.publisher-dropped", "pass", &[]),
        ("relay.echo", "fail", &[stray]),
        ("relay.two-players", "fail", &[stray]),
        ("relay.audio-only", "fail", &["audio on message stream 0"]),
        ("relay.video-only", "fail", &[stray]),
        ("relay.late-join", "pass", &["a keyframe"]),
        ("invalid.version", "pass", &[]),
        (
            "invalid.garbage-after-handshake",
            "fail",
            &["kept the connection open"],
        ),
    ];
    let (code, report) = support::pin(&nms.url("probe"), &[], expected);
    assert_eq!(code, 1, "{}", nms.log());
    // flow.peer-bandwidth is a SHOULD: not counted without --strict.
    assert_eq!(report["counted_failures"], 13);
}

/// node-media-server's HTTP-FLV body, saved as a file, passes `weir check`'s FLV and media
/// rules: its departures are RTMP's alone.
#[test]
fn node_media_server_http_flv_passes_the_flv_rules() {
    let nms = Nms::start();
    let flv_url = format!("http://127.0.0.1:{}/live/h.flv", nms.http);
    let publisher = support::ffmpeg_publish(&nms.url("h"), 3);
    // The publisher stops after 3 s; node-media-server keeps the response open, idle, and the
    // read ends at 10 s: between two tags, so the file is whole.
    let body = support::http_body_for(&flv_url, Duration::from_secs(10));
    let (ok, _, stderr) = support::finish(publisher, Duration::from_secs(10));
    assert!(ok, "{stderr}");
    assert!(body.starts_with(b"FLV\x01"), "{}", nms.log());
    let file = TempPath::new("nms.flv");
    std::fs::write(&file, &body).unwrap();
    let (code, report) = weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["check", "--format", "json"])
            .arg(file.path()),
    );
    assert_eq!(code, 0, "{report:#}");
    let text = report.to_string();
    assert!(text.contains("\"flv\""), "{report:#}");
    assert!(text.contains("h264") && text.contains("aac"), "{report:#}");
}

#[test]
fn an_unreachable_server_exits_2_and_list_needs_no_server() {
    let port = support::free_port();
    let (code, report) = probe(&format!("rtmp://127.0.0.1:{port}/live/x"), &[]);
    assert_eq!(code, 2);
    assert!(
        report["unreachable"]
            .as_str()
            .unwrap()
            .contains("cannot connect")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["probe", "--list", "--case", "chunk."])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("chunk.size-65536") && !text.contains("handshake.simple"),
        "{text}"
    );
    assert!(text.contains("rules: rtmp.server.chunk-size"), "{text}");
}

/// The cases added for issue 15 ("live probe cases ≥ 100") and what [`Careless`] gets: it
/// fails the case of each rule it breaks. The ones it passes fail against a reference server
/// (pinned above): `chunk.size-1`, `chunk.size-changes` and `chunk.csid-*` against nginx-rtmp,
/// `chunk.size-1` and `relay.two-players`, `relay.audio-only` and `relay.video-only` against
/// node-media-server.
const CARELESS: &[(&str, &str)] = &[
    ("chunk.size-1", "pass"),
    ("chunk.size-changes", "pass"),
    ("chunk.csid-2byte", "pass"),
    ("chunk.csid-3byte", "pass"),
    ("flow.ack-sequence", "fail"),
    ("control.window-ack-size", "fail"),
    ("control.set-peer-bandwidth", "fail"),
    ("control.stream-begin", "fail"),
    ("command.create-stream-twice", "fail"),
    ("sequence.delete-stream", "fail"),
    ("sequence.close-stream", "fail"),
    ("sequence.publisher-dropped", "fail"),
    ("relay.two-players", "pass"),
    ("relay.audio-only", "pass"),
    ("relay.video-only", "pass"),
    ("relay.late-join", "fail"),
];

#[test]
fn a_careless_server_fails_the_new_case_of_each_rule_it_breaks() {
    let careless = Careless::start(Carelessness::Plain);
    let mut args = Vec::new();
    for (id, _) in CARELESS {
        args.extend(["--case", id]);
    }
    let (code, report) = probe(&format!("rtmp://127.0.0.1:{}/live/x", careless.0), &args);
    // A prefix selects more (chunk.size-1 also chunk.size-128): only the new cases matter.
    let got = statuses(&report);
    for (id, want) in CARELESS {
        let status = got.iter().find(|(case, _)| case == id).map(|(_, s)| s);
        assert_eq!(status.map(String::as_str), Some(*want), "{id}\n{report:#}");
    }
    let late = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "relay.late-join")
        .unwrap();
    let said = late["outcome"]["actual"].as_str().unwrap();
    assert!(said.contains("is not a keyframe"), "{said}");
    assert_eq!(code, 1);
}

/// Each `rtmp.server.*` rule and the [`Carelessness`] of the careless server whose probe run
/// fails it (issue 15: every rule has an input that makes it fail); `weir serve` passes them
/// all (`every_case_passes_against_weir_serve`).
const LIVE_RULES: &[(&str, &str)] = &[
    ("rtmp.server.stream-boundaries", "rude"),
    ("rtmp.server.chunk-size", "picky"),
    ("rtmp.server.interleaved-chunks", "lossy"),
    ("rtmp.server.abort", "lossy"),
    ("rtmp.server.acknowledgement", "picky"),
    ("rtmp.server.peer-bandwidth", "plain"),
    ("rtmp.server.extended-timestamp", "picky"),
    ("rtmp.server.timestamp-wrap", "picky"),
    ("rtmp.server.command-flow", "plain"),
    ("rtmp.server.fmle-commands", "rude"),
    ("rtmp.server.unknown-command", "rude"),
    ("rtmp.server.relay", "lossy"),
    ("rtmp.server.invalid-input", "plain"),
    ("rtmp.server.connect-sequence", "plain"),
    ("rtmp.server.stream-begin", "plain"),
    ("rtmp.server.chunk-stream-ids", "picky"),
    ("rtmp.server.stream-ids", "plain"),
    ("rtmp.server.stream-release", "plain"),
    ("rtmp.server.late-join", "plain"),
    ("rtmp.server.ack-sequence", "plain"),
];

/// A case of a careless run: id, status, words its verdict holds.
type CarelessCase = (&'static str, &'static str, &'static [&'static str]);

/// The cases each careless server is probed with, and the verdict each gets.
const CARELESS_RUNS: &[(&str, Carelessness, &[CarelessCase])] = &[
    (
        "plain",
        Carelessness::Plain,
        &[
            // Its acknowledgements come on time, if with a wrong number.
            ("flow.acknowledgement", "pass", &["acknowledged"]),
            (
                "flow.peer-bandwidth",
                "fail",
                &["arrived while the player acknowledged nothing"],
            ),
            ("flow.ack-sequence", "fail", &["Acknowledgement 1"]),
            ("control.window-ack-size", "fail", &["none"]),
            ("control.set-peer-bandwidth", "fail", &["none"]),
            ("control.stream-begin", "fail", &["none"]),
            ("sequence.republish", "fail", &["BadName"]),
            ("command.create-stream-twice", "fail", &["[1.0, 1.0]"]),
            ("sequence.delete-stream", "fail", &["BadName"]),
            ("relay.late-join", "fail", &["is not a keyframe"]),
            (
                "invalid.garbage-after-handshake",
                "fail",
                &["kept the connection open"],
            ),
        ],
    ),
    (
        "lossy",
        Carelessness::Lossy,
        &[
            ("chunk.interleave", "fail", &["video frames arrived"]),
            ("chunk.abort", "fail", &["frames arrived"]),
            ("relay.echo", "fail", &["video frames arrived"]),
        ],
    ),
    (
        "picky",
        Carelessness::Picky,
        &[
            (
                "flow.acknowledgement",
                "fail",
                &["no Acknowledgement after"],
            ),
            ("chunk.size-128", "pass", &["identical, same spacing"]),
            ("chunk.size-4096", "pass", &["identical, same spacing"]),
            ("chunk.size-65536", "fail", &["closed the connection"]),
            ("chunk.size-max", "fail", &["closed the connection"]),
            ("chunk.csid-2byte", "fail", &[]),
            ("chunk.csid-3byte", "fail", &[]),
            ("timestamp.extended", "fail", &["arrived at +4278190520 ms"]),
            ("timestamp.wrap", "fail", &["arrived at +4278190520 ms"]),
        ],
    ),
    (
        "rude",
        Carelessness::Rude,
        &[
            ("handshake.split", "fail", &[]),
            ("sequence.ffmpeg", "fail", &["closed the connection"]),
            ("command.unknown", "fail", &["closed the connection"]),
        ],
    ),
];

#[test]
fn every_live_rule_fails_against_a_careless_server() {
    let mut runs = Vec::new();
    for (name, carelessness, cases) in CARELESS_RUNS {
        let careless = Careless::start(*carelessness);
        let mut args = Vec::new();
        for (id, ..) in *cases {
            args.extend(["--case", id]);
        }
        let (_, report) = probe(&format!("rtmp://127.0.0.1:{}/live/x", careless.0), &args);
        let got = support::outcomes(&report);
        let wrong: Vec<_> = cases
            .iter()
            .filter(|(id, want, words)| {
                !got.iter().any(|(case, status, said)| {
                    case == id && status == want && words.iter().all(|w| said.contains(w))
                })
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{name}: not as {wrong:?}\n{got:?}\n{report:#}"
        );
        runs.push((*name, support::failed_rules(&report)));
    }
    support::check_live_rules(
        weir_conformance::probe::rtmp::rules::CATALOG,
        LIVE_RULES,
        &runs,
    );
}

/// A careless RTMP server on an ephemeral port: it echoes the handshake and answers connect,
/// createStream, publish and play with success, and does little else a server should. It sends
/// no Window Acknowledgement Size, Set Peer Bandwidth or Stream Begin, gives every createStream
/// message stream 1, acknowledges with a sequence number 1 MB ahead of what it received, never
/// forgets a name once published (a later publisher gets NetStream.Publish.BadName), and
/// relays media to the players of a name from the next message on, after the sequence headers
/// it kept, but with no keyframe to start from. Its threads end with the test process.
struct Careless(u16);

/// What else the careless server gets wrong.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carelessness {
    /// Nothing else.
    Plain,
    /// Its relay loses every third frame a publisher sends (sequence headers aside).
    Lossy,
    /// It closes the connection on Set Chunk Size above 4096 and on a message of chunk stream
    /// 64 or above (as nginx-rtmp does past its limits, conformance/FINDINGS.md), relays
    /// timestamps cut to their low 24 bits (as if it never read an extended timestamp), and
    /// never acknowledges.
    Picky,
    /// It takes the first read for the whole of C0 and C1 and closes when it is short, and
    /// closes the connection on any command but connect, createStream, publish and play.
    Rude,
}

/// What the careless server shares between connections: the names ever published, and per
/// name its players and the last sequence header of each track.
#[derive(Default)]
struct CarelessState {
    names: Vec<String>,
    players: Vec<(String, std::net::TcpStream)>,
    headers: Vec<(String, bool, bytes::Bytes)>,
}

impl Careless {
    fn start(carelessness: Carelessness) -> Careless {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = std::sync::Arc::new(std::sync::Mutex::new(CarelessState::default()));
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let state = state.clone();
                std::thread::spawn(move || {
                    let _ = careless_connection(tcp, &state, carelessness);
                });
            }
        });
        Careless(port)
    }
}

/// One audio or video message as the careless server writes it to a player: a single type 0
/// chunk header (csid 6, message stream 1), then 128-byte chunks.
fn careless_media(video: bool, timestamp: u32, body: &bytes::Bytes) -> bytes::BytesMut {
    use weir_rtmp::message::Message;
    let message = if video {
        Message::Video(body.clone())
    } else {
        Message::Audio(body.clone())
    };
    let mut out = bytes::BytesMut::new();
    let raw = message.to_raw(6, timestamp, 1);
    let _ = weir_rtmp::chunk::ChunkEncoder::new().encode(&raw, &mut out);
    out
}

fn careless_connection(
    mut tcp: std::net::TcpStream,
    state: &std::sync::Mutex<CarelessState>,
    carelessness: Carelessness,
) -> std::io::Result<()> {
    use std::io::{Read, Write};
    use weir_amf0::Value;
    use weir_rtmp::chunk::{ChunkDecoder, ChunkEncoder};
    use weir_rtmp::message::{Command, Message};

    let mut c0c1 = [0u8; 1537];
    if carelessness == Carelessness::Rude {
        if tcp.read(&mut c0c1)? < c0c1.len() {
            return Ok(());
        }
    } else {
        tcp.read_exact(&mut c0c1)?;
    }
    let mut s0s1s2 = vec![3u8];
    s0s1s2.extend_from_slice(&[0; 1536]);
    s0s1s2.extend_from_slice(&c0c1[1..]);
    tcp.write_all(&s0s1s2)?;
    tcp.read_exact(&mut [0u8; 1536])?;

    let mut decoder = ChunkDecoder::new(Default::default(), 0);
    let mut encoder = ChunkEncoder::new();
    let (mut received, mut acked, mut window) = (0u64, 0u64, None::<u64>);
    let mut publishing = None::<String>;
    let mut frames = 0u64;
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = tcp.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        received += n as u64;
        decoder.push(&buf[..n]);
        let mut out = bytes::BytesMut::new();
        let mut violations = Vec::new();
        let mut send = |stream_id: u32, message: Message, out: &mut bytes::BytesMut| {
            let _ = encoder.encode(&message.to_raw(3, 0, stream_id), out);
        };
        while let Ok(Some(raw)) = decoder.next_message(&mut violations) {
            let stream_id = raw.stream_id;
            let message =
                match Message::decode(&raw, &weir_amf0::Limits::default(), &mut violations) {
                    Ok(message) => message,
                    Err(_) => continue,
                };
            let too_big = matches!(message, Message::SetChunkSize(size) if size > 4096);
            if carelessness == Carelessness::Picky && (too_big || raw.csid >= 64) {
                return Ok(());
            }
            let command = match message {
                Message::WindowAckSize(size) => {
                    window = Some(u64::from(size));
                    continue;
                }
                Message::Audio(body) | Message::Video(body) => {
                    let (Some(name), video) = (&publishing, raw.type_id == 9) else {
                        continue;
                    };
                    let mut state = state.lock().unwrap();
                    if body.get(1) == Some(&0) {
                        state.headers.retain(|(n, v, _)| n != name || *v != video);
                        state.headers.push((name.clone(), video, body.clone()));
                    } else {
                        frames += 1;
                        if carelessness == Carelessness::Lossy && frames.is_multiple_of(3) {
                            continue;
                        }
                    }
                    let timestamp = match carelessness {
                        Carelessness::Picky => raw.timestamp & 0xff_ffff,
                        _ => raw.timestamp,
                    };
                    let message = careless_media(video, timestamp, &body);
                    for (_, player) in state.players.iter_mut().filter(|(n, _)| n == name) {
                        let _ = player.write_all(&message);
                    }
                    continue;
                }
                Message::Command(command) => command,
                _ => continue,
            };
            let answer = |name: &str, object: Value, args: Vec<Value>| {
                Message::Command(Command {
                    name: name.into(),
                    transaction_id: command.transaction_id,
                    object,
                    args,
                    amf3: false,
                })
            };
            let status = |level: &str, code: &str| {
                Value::object([
                    ("level", Value::string(level)),
                    ("code", Value::string(code)),
                    ("description", Value::string("careless")),
                ])
            };
            let name = || match command.args.first() {
                Some(Value::String(name)) => name.clone(),
                _ => String::new(),
            };
            match command.name.as_str() {
                "connect" => {
                    let ok = status("status", "NetConnection.Connect.Success");
                    send(0, answer("_result", Value::Null, vec![ok]), &mut out);
                }
                "createStream" => {
                    let id = Value::Number(1.0);
                    send(0, answer("_result", Value::Null, vec![id]), &mut out);
                }
                "publish" => {
                    let name = name();
                    let mut state = state.lock().unwrap();
                    let code = if state.names.contains(&name) {
                        status("error", "NetStream.Publish.BadName")
                    } else {
                        state.names.push(name.clone());
                        publishing = Some(name);
                        status("status", "NetStream.Publish.Start")
                    };
                    send(
                        stream_id,
                        answer("onStatus", Value::Null, vec![code]),
                        &mut out,
                    );
                }
                "play" => {
                    let name = name();
                    let code = status("status", "NetStream.Play.Start");
                    send(
                        stream_id,
                        answer("onStatus", Value::Null, vec![code]),
                        &mut out,
                    );
                    // Play.Start, then the kept sequence headers; the player's own thread
                    // writes this answer before the publisher's thread can add media.
                    let mut state = state.lock().unwrap();
                    tcp.write_all(&std::mem::take(&mut out))?;
                    for (_, video, body) in state.headers.iter().filter(|(n, ..)| *n == name) {
                        tcp.write_all(&careless_media(*video, 0, body))?;
                    }
                    state.players.push((name, tcp.try_clone()?));
                }
                _ if carelessness == Carelessness::Rude => return Ok(()),
                _ => {}
            }
        }
        if let Some(window) = window
            && carelessness != Carelessness::Picky
            && received - acked >= window
        {
            acked = received;
            let sequence = (received + 1_000_000) as u32;
            send(0, Message::Acknowledgement { sequence }, &mut out);
        }
        // Under the lock, so as not to cut into media another thread writes to this player.
        let _writing = state.lock().unwrap();
        tcp.write_all(&out)?;
    }
}
