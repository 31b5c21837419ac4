//! `weir check` on SRT: the corpus's locally generated captures (FFmpeg 5.1 calling
//! srt-live-transmit 1.5.1: plain, AES-128, and through a relay that drops every 20th first
//! transmission) and the project's own (`captures/`: AES-256, and a wrong passphrase
//! rejected), each with its pinned transcript and its key numbers as the corpus README and
//! `captures/README.md` state them; the same transcript however the capture's data is split;
//! and a hostile table of hand-made datagrams, each naming the rule it breaks.

mod support;

use std::cell::RefCell;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use support::pipeline::{resplit, run_events, transcript_of};
use weir_conformance::capture::{CaptureEvents, Direction, Event, Limits};
use weir_conformance::check::{self, Coverage, Input, Options, Report};
use weir_conformance::observe::sdp::Learned;
use weir_conformance::observe::srt::SrtObserver;
use weir_conformance::observe::{Observation, Observer};
use weir_conformance::transcript::EntryKind;
use weir_conformance::verdict::Status;
use weir_media::Level;
use weir_srt::ack::{Ack, AckTiming};
use weir_srt::data::{KeyFlags, Position};
use weir_srt::extension::SrtFlags;
use weir_srt::handshake::{Encryption, PeerIp, SRT_MAGIC, UDT_DGRAM};
use weir_srt::nak::LossRange;
use weir_srt::{
    Control, ControlPacket, DataPacket, Extension, Handshake, HandshakeType, Header, LossList,
    MsgNumber, Packet, SeqNumber, SrtOptions,
};
use weir_testkit::corpus;

fn local(name: &str) -> PathBuf {
    corpus::path(&format!("srt/locally_generated/{name}.pcapng"))
}

fn captured(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../captures"))
        .join(format!("{name}.pcapng"))
}

fn check_with(path: PathBuf, passphrase: Option<&str>) -> Report {
    let mut options = Options::default();
    options.decode_as.given.srt_passphrase = passphrase.map(str::to_owned);
    check::run(&[Input::Capture(path)], &options)
}

/// The transcript's lines that contain `needle`.
fn lines_with(report: &Report, needle: &str) -> Vec<String> {
    report
        .transcript_yaml()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

fn assert_has(report: &Report, needle: &str) {
    assert!(
        !lines_with(report, needle).is_empty(),
        "no line with {needle:?} in\n{}",
        report.transcript_yaml()
    );
}

fn srt_flows(report: &Report) -> usize {
    report
        .flows()
        .filter(|f| f.protocol.name() == "srt")
        .count()
}

#[test]
fn plain_capture_has_its_transcript_and_counts() {
    let report = check_with(local("srt_ffmpeg_caller_to_slt_listener_plain"), None);
    assert_eq!(report.exit_code(), 0);
    assert_eq!(srt_flows(&report), 1);
    // The corpus README: 159 DATA, 108 ACK, 108 ACKACK, 1 SHUTDOWN.
    assert_has(
        &report,
        "SRT data: 159 packets, 150964 payload bytes; 0 retransmitted",
    );
    assert_has(&report, "108 full, 0 small, 0 light; 108 ACK/ACKACK pairs");
    assert_has(&report, "1 shutdowns");
    assert_has(&report, "latency caller→listener 120 ms");
    assert_has(
        &report,
        "stream id \"%23!::r=live/test,m=publish\": live/test (publish)",
    );
    // The TS inside was demuxed: 25 fps for 4 s.
    assert_has(&report, "frames: 100");
    insta::assert_snapshot!("srt-plain", report.transcript_yaml());
}

#[test]
fn aes128_capture_decrypts_with_the_passphrase() {
    let report = check_with(
        local("srt_ffmpeg_caller_to_slt_listener_aes128"),
        Some("testpassphrase123"),
    );
    // This recording ends one SRT packet early (158 against the plain one's 159: the sender
    // closed with it unsent), so the last audio PES is short when the flow ends; the TS
    // observer fails it, and only it.
    let failed: Vec<_> = report
        .flows()
        .flat_map(|f| &f.verdicts)
        .filter(|v| matches!(v.status, Status::Fail { .. }) && v.rule.level == Level::Must)
        .map(|v| v.rule.id)
        .collect();
    assert_eq!(failed, ["mpegts.pes.length"]);
    assert_has(&report, "KMREQ (AES-128): the keys unwrap");
    assert_has(&report, "KMRSP accepts the keys");
    assert_has(&report, "158 encrypted, 158 decrypted");
    assert_has(&report, "frames: 100");
    insta::assert_snapshot!("srt-aes128", report.transcript_yaml());
}

#[test]
fn encrypted_payloads_without_the_passphrase_are_noted_not_read() {
    let report = check_with(local("srt_ffmpeg_caller_to_slt_listener_aes128"), None);
    assert_eq!(report.exit_code(), 0);
    assert_has(&report, "no --srt-passphrase given");
    assert_has(&report, "158 encrypted, 0 decrypted");
    // Nothing went to the TS observer, and no mpegts rule was judged.
    assert!(lines_with(&report, "rule: mpegts.").is_empty());
    assert!(lines_with(&report, "frames:").is_empty());
    let flow = report.flows().next().unwrap();
    match &flow.coverage {
        Coverage::Partial(why) => assert!(
            why.contains("158 of 158 encrypted payloads not decrypted (no keys"),
            "{why}"
        ),
        other => panic!("an undecrypted flow is observed in part: {other:?}"),
    }
}

#[test]
fn wrong_passphrase_given_is_a_note_not_a_violation() {
    let report = check_with(
        local("srt_ffmpeg_caller_to_slt_listener_aes128"),
        Some("not-the-passphrase"),
    );
    assert_eq!(report.exit_code(), 0);
    assert_has(&report, "not unwrapped with the passphrase given");
}

#[test]
fn loss_capture_counts_seven_naks_and_seven_retransmissions() {
    let report = check_with(local("srt_ffmpeg_caller_to_slt_listener_loss_nak"), None);
    assert_eq!(report.exit_code(), 0);
    // The corpus README: 7 LOSSREPORT from the listener, 7 retransmitted DATA (R flag).
    assert_has(
        &report,
        "SRT NAKs from the receiver: 7 (7 ranges, 7 packets reported lost); 7 retransmitted \
         after a NAK, 0 never retransmitted",
    );
    assert_has(
        &report,
        "7 retransmitted (7 asked by a NAK, 0 not asked); 7 gaps of 7 packets in the capture, 7 \
         filled later",
    );
    assert_eq!(lines_with(&report, "as NAK #").len(), 7);
    assert_has(&report, "latency caller→listener 200 ms");
    assert_has(
        &report,
        "against a latency of 200 ms (0 acknowledged later)",
    );
    // Every retransmission came before the TS needed it: nothing was lost to the demuxer.
    assert!(lines_with(&report, "the demuxer starts afresh").is_empty());
    assert_has(&report, "frames: 100");
    insta::assert_snapshot!("srt-loss-nak", report.transcript_yaml());
}

#[test]
fn aes256_capture_decrypts_with_the_passphrase() {
    // captures/README.md: passphrase weir-aes256-passphrase, pbkeylen 32, 2 s at 15 fps.
    let report = check_with(
        captured("ffmpeg-slt-srt-aes256"),
        Some("weir-aes256-passphrase"),
    );
    assert_eq!(report.exit_code(), 0);
    assert_has(&report, "KMREQ (AES-256): the keys unwrap");
    assert_has(&report, "65 encrypted, 65 decrypted");
    assert_has(&report, "frames: 29");
    insta::assert_snapshot!("srt-aes256", report.transcript_yaml());
}

#[test]
fn bad_secret_capture_shows_the_rejection() {
    // captures/README.md: the caller's passphrase is not-the-right-passphrase, the listener's
    // weir-aes256-passphrase; the listener rejects the conclusion (1010, BADSECRET).
    let report = check_with(
        captured("ffmpeg-slt-srt-badsecret"),
        Some("weir-aes256-passphrase"),
    );
    assert_eq!(report.exit_code(), 0);
    assert_has(&report, "rejects the connection: BADSECRET (1010)");
    assert_has(&report, "not unwrapped with the passphrase given");
    let with_callers = check_with(
        captured("ffmpeg-slt-srt-badsecret"),
        Some("not-the-right-passphrase"),
    );
    assert_has(&with_callers, "KMREQ (AES-256): the keys unwrap");
    insta::assert_snapshot!("srt-badsecret", report.transcript_yaml());
}

#[test]
fn srt_transcripts_do_not_depend_on_how_the_input_is_split() {
    for path in [
        local("srt_ffmpeg_caller_to_slt_listener_plain"),
        local("srt_ffmpeg_caller_to_slt_listener_loss_nak"),
        captured("ffmpeg-slt-srt-badsecret"),
    ] {
        let file = BufReader::new(File::open(&path).unwrap());
        let events: Vec<Event> = CaptureEvents::new(file, Limits::default())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let whole = transcript_of(run_events(events.clone()));
        assert_eq!(whole, transcript_of(run_events(resplit(&events, |_| 1))));
        // Datagram by datagram through the observer alone, twice: the same observations.
        let again = |events: &[Event]| observe_events(events);
        assert_eq!(again(&events), again(&events));
    }
}

/// The observer alone over a capture's datagrams.
fn observe_events(events: &[Event]) -> Vec<Observation> {
    use weir_conformance::capture::FlowEvent;
    let mut observer = SrtObserver::new(Rc::new(RefCell::new(Learned::default())));
    let mut out = Vec::new();
    let start = events.first().map(|e| e.time).unwrap_or_default();
    for event in events {
        if let FlowEvent::Datagram {
            direction, bytes, ..
        } = &event.event
        {
            observer.datagram(
                *direction,
                event.time.saturating_sub(start),
                bytes,
                &mut out,
            );
        }
    }
    observer.closed(&mut out);
    out
}

// --- the hostile table ---

/// Datagrams of a flow, each with its direction.
type Datagrams = Vec<(Direction, Bytes)>;

const CALLER: u32 = 0x1111;
const LISTENER: u32 = 0x2222;
const COOKIE: u32 = 0xc00c1e;
const ISN: u32 = 1000;
const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

fn handshake(kind: HandshakeType, version: u32, socket_id: u32, cookie: u32) -> Handshake {
    Handshake {
        version,
        encryption: Encryption::NONE,
        extension_field: 0,
        initial_seq: SeqNumber::new(ISN),
        mtu: 1500,
        flow_window: 8192,
        kind,
        socket_id,
        syn_cookie: cookie,
        peer_ip: PeerIp::default(),
        extensions: Vec::new(),
    }
}

fn control(dst: u32, control: Control) -> Bytes {
    Packet::Control(ControlPacket {
        header: Header {
            timestamp: Default::default(),
            dst_socket: dst,
        },
        control,
    })
    .to_bytes()
}

fn options(latency: u16) -> SrtOptions {
    SrtOptions {
        version: 0x010501,
        flags: SrtFlags(0xbf),
        recv_delay_ms: latency,
        send_delay_ms: latency,
    }
}

fn induction_request(cookie: u32) -> Bytes {
    let mut hs = handshake(HandshakeType::Induction, 4, CALLER, cookie);
    hs.extension_field = UDT_DGRAM;
    control(0, Control::Handshake(hs))
}

fn induction_answer() -> Bytes {
    let mut hs = handshake(HandshakeType::Induction, 5, CALLER, COOKIE);
    hs.extension_field = SRT_MAGIC;
    control(CALLER, Control::Handshake(hs))
}

fn conclusion_request(cookie: u32, extensions: Vec<Extension>) -> Bytes {
    let mut hs = handshake(HandshakeType::Conclusion, 5, CALLER, cookie);
    hs.extensions = extensions;
    hs.extension_field = hs.present_flags();
    control(0, Control::Handshake(hs))
}

fn conclusion_answer(extensions: Vec<Extension>) -> Bytes {
    let mut hs = handshake(HandshakeType::Conclusion, 5, LISTENER, 0);
    hs.extensions = extensions;
    hs.extension_field = hs.present_flags();
    control(CALLER, Control::Handshake(hs))
}

fn data(seq: u32, key: KeyFlags) -> Bytes {
    Packet::Data(DataPacket {
        header: Header {
            timestamp: Default::default(),
            dst_socket: LISTENER,
        },
        seq: SeqNumber::new(seq),
        position: Position::Single,
        in_order: false,
        key,
        retransmitted: false,
        msg: MsgNumber::new(1),
        payload: Bytes::from_static(&[0x47; 188]),
    })
    .to_bytes()
}

/// A whole handshake at 120 ms latency each way.
fn session() -> Vec<(Direction, Bytes)> {
    vec![
        (C2S, induction_request(0)),
        (S2C, induction_answer()),
        (
            C2S,
            conclusion_request(COOKIE, vec![Extension::HsReq(options(120))]),
        ),
        (S2C, conclusion_answer(vec![Extension::HsRsp(options(120))])),
    ]
}

/// A session's first three data packets.
fn with_data(mut datagrams: Vec<(Direction, Bytes)>) -> Vec<(Direction, Bytes)> {
    for seq in ISN..ISN + 3 {
        datagrams.push((C2S, data(seq, KeyFlags::None)));
    }
    datagrams
}

fn rules_of(datagrams: &[(Direction, Bytes)]) -> Vec<&'static str> {
    let mut observer = SrtObserver::new(Rc::new(RefCell::new(Learned::default())));
    let mut out = Vec::new();
    for (i, (dir, bytes)) in datagrams.iter().enumerate() {
        observer.datagram(*dir, Duration::from_millis(i as u64), bytes, &mut out);
    }
    observer.closed(&mut out);
    let mut ids: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Observation::Entry(_, EntryKind::Violation { rule, .. }) => Some(rule.id),
            _ => None,
        })
        .collect();
    ids.dedup();
    ids
}

#[test]
fn hostile_datagrams_name_the_rule_they_break() {
    let mut truncated_handshake = induction_request(0).to_vec();
    truncated_handshake.truncate(16 + 20);
    let session_then = |extra: Vec<(Direction, Bytes)>| {
        let mut all = with_data(session());
        all.extend(extra);
        all
    };
    let nak = |first: u32, last: u32| {
        let range = LossRange {
            first: SeqNumber::new(first),
            last: SeqNumber::new(last),
        };
        control(
            CALLER,
            Control::Nak(LossList {
                ranges: vec![range],
            }),
        )
    };
    let ack = |last: u32| {
        let ack = Ack {
            ack_number: 1,
            last_ack: SeqNumber::new(last),
            timing: Some(AckTiming {
                rtt: 100,
                rtt_variance: 50,
                available_buffer: 8000,
            }),
            rates: None,
        };
        control(CALLER, Control::Ack(ack))
    };
    let cases: Vec<(&str, Datagrams, &[&str])> = vec![
        (
            "a datagram shorter than the header",
            vec![(C2S, Bytes::from_static(&[0x80, 0, 0, 0, 0]))],
            &["srt.packet.truncated"],
        ),
        (
            "a handshake cut inside its body",
            vec![(C2S, Bytes::from(truncated_handshake))],
            &["srt.handshake.truncated"],
        ),
        (
            "an induction request that already carries a cookie",
            vec![(C2S, induction_request(7)), (S2C, induction_answer())],
            &["srt.handshake.induction-cookie"],
        ),
        (
            "a conclusion with another cookie than the induction answer gave",
            vec![
                (C2S, induction_request(0)),
                (S2C, induction_answer()),
                (
                    C2S,
                    conclusion_request(COOKIE + 1, vec![Extension::HsReq(options(120))]),
                ),
            ],
            &["srt.handshake.cookie"],
        ),
        (
            "a version-5 conclusion without HSREQ",
            vec![
                (C2S, induction_request(0)),
                (S2C, induction_answer()),
                (C2S, conclusion_request(COOKIE, Vec::new())),
            ],
            &["srt.handshake.hsreq-missing"],
        ),
        (
            "a conclusion answer without HSRSP",
            vec![
                (C2S, induction_request(0)),
                (S2C, induction_answer()),
                (
                    C2S,
                    conclusion_request(COOKIE, vec![Extension::HsReq(options(120))]),
                ),
                (S2C, conclusion_answer(Vec::new())),
            ],
            &["srt.handshake.hsrsp-missing"],
        ),
        (
            "an HSRSP latency below the caller's",
            vec![
                (C2S, induction_request(0)),
                (S2C, induction_answer()),
                (
                    C2S,
                    conclusion_request(COOKIE, vec![Extension::HsReq(options(200))]),
                ),
                (S2C, conclusion_answer(vec![Extension::HsRsp(options(120))])),
            ],
            &["srt.handshake.latency"],
        ),
        (
            "a wavehand sent to a listener",
            vec![
                (C2S, induction_request(0)),
                (
                    C2S,
                    control(
                        0,
                        Control::Handshake(handshake(HandshakeType::Wavehand, 5, CALLER, 0)),
                    ),
                ),
            ],
            &["srt.handshake.listener-type"],
        ),
        (
            "data before the handshake gave a socket id",
            vec![
                (C2S, induction_request(0)),
                (S2C, induction_answer()),
                (C2S, data(ISN, KeyFlags::None)),
            ],
            &["srt.connection.socket-id"],
        ),
        (
            "a NAK of packets never sent",
            session_then(vec![(S2C, nak(ISN + 10, ISN + 12))]),
            &["srt.connection.nak-range"],
        ),
        (
            "a NAK whose range runs backwards",
            session_then(vec![(S2C, nak(ISN + 2, ISN + 1))]),
            &["srt.nak.range-order"],
        ),
        (
            "an ACK of packets never sent",
            session_then(vec![(S2C, ack(ISN + 50))]),
            &["srt.connection.ack-range"],
        ),
        (
            "encrypted data on a connection that exchanged no keys",
            session_then(vec![(C2S, data(ISN + 3, KeyFlags::Even))]),
            &["srt.connection.unencrypted"],
        ),
    ];
    for (name, datagrams, expected) in cases {
        assert_eq!(rules_of(&datagrams), expected, "{name}");
    }
    // And a clean session breaks nothing.
    assert_eq!(rules_of(&with_data(session())), Vec::<&str>::new());
}

#[test]
fn huge_ranges_and_floods_stay_bounded() {
    use weir_srt::dropreq::DropRequest;
    let mut datagrams = with_data(session());
    let far = ISN + (1 << 29);
    // A NAK and a drop request each spanning half a billion packets, data that jumps as far,
    // and a flood of out-of-order packets the TS must hold: all end at once, in bounded memory.
    let range = LossRange {
        first: SeqNumber::new(ISN),
        last: SeqNumber::new(far),
    };
    datagrams.push((
        S2C,
        control(
            CALLER,
            Control::Nak(LossList {
                ranges: vec![range],
            }),
        ),
    ));
    let drop = DropRequest {
        message_number: 1,
        first: SeqNumber::new(ISN + 3),
        last: SeqNumber::new(far),
    };
    datagrams.push((C2S, control(LISTENER, Control::DropReq(drop))));
    for n in 0..3000 {
        datagrams.push((C2S, data(far + 10 + 2 * n, KeyFlags::None)));
    }
    let ids = rules_of(&datagrams);
    assert_eq!(ids, ["srt.connection.nak-range"]);
}
