//! `weir probe srt://…` against libsrt 1.5.1's `srt-live-transmit` as a listener (relaying one
//! listener port to another, encrypted or not, and publish-only) and against `weir serve`'s
//! SRT. Every case's verdict is pinned with the words it gives, so a change in the probe or in
//! either server shows up here; `conformance/FINDINGS.md` says what srt-live-transmit does
//! differently. Skipped, with a message, when `srt-live-transmit` (or `$SRT_LIVE_TRANSMIT`) is
//! missing: `ci/install-peers` installs srt-tools. A careless listener of ours ([`Careless`])
//! fails the case of every rule it breaks: each `srt.server.*` rule fails against one of its two
//! modes ([`LIVE_RULES`]).

mod support;

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use weir_srt::established::{LIVE_FLAGS, SRT_VERSION};
use weir_srt::handshake::SRT_MAGIC;
use weir_srt::{
    Control, ControlPacket, Extension, HandshakeType, Header, Packet, RejectReason, SrtOptions,
    Timestamp,
};

use support::{Weir, free_port, pin, probe};
use weir_testkit::{TempPath, peer};

/// The passphrase of the encrypted runs.
const SECRET: &str = "probe-secret-1";

/// srt-live-transmit, killed on drop.
struct Slt(Child);

impl Slt {
    /// `srt-live-transmit SOURCE TARGET`, or `None` (and a message) when it is missing.
    fn start(source: &str, target: &str) -> Option<Slt> {
        let Some(bin) = peer::srt_live_transmit() else {
            eprintln!(
                "skipped: srt-live-transmit is missing (ci/install-peers installs srt-tools)"
            );
            return None;
        };
        let child = Command::new(bin)
            .args([source, target])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("srt-live-transmit starts");
        // It binds at once; give it a moment to listen.
        std::thread::sleep(Duration::from_millis(300));
        Some(Slt(child))
    }

    /// A relay from a listener at one free port to a listener at another, with `options`
    /// (`&passphrase=…`) on both: (publisher port, player port).
    fn relay(options: &str) -> Option<(Slt, u16, u16)> {
        let (input, output) = (free_port(), free_port());
        let slt = Slt::start(
            &format!("srt://:{input}?mode=listener{options}"),
            &format!("srt://:{output}?mode=listener{options}"),
        )?;
        Some((slt, input, output))
    }
}

impl Drop for Slt {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A case's expected verdict: id, status, words its verdict holds.
type Row = (&'static str, &'static str, &'static [&'static str]);

/// The handshake cases every libsrt-like listener passes (the stream id mode aside).
const HANDSHAKES: [Row; 5] = [
    (
        "srt.handshake.induction",
        "pass",
        &["version 5", "extension field 0x4a17"],
    ),
    ("srt.handshake.caller", "pass", &["accepted", "0x010501"]),
    ("srt.handshake.no-stream-id", "pass", &["accepted"]),
    ("srt.handshake.wrong-cookie", "pass", &["ignored"]),
    (
        "srt.handshake.unknown-extension",
        "pass",
        &["accepted", "0x7f00 skipped"],
    ),
];

/// The two encryption cases without a passphrase in the URL.
const CLEAR: [Row; 2] = [
    ("srt.crypto.bad-secret", "skipped", &["not applicable"]),
    ("srt.crypto.no-passphrase", "skipped", &["not applicable"]),
];

/// The two encryption cases with one.
const ENCRYPTED: [Row; 2] = [
    ("srt.crypto.bad-secret", "pass", &["BADSECRET (1010)"]),
    ("srt.crypto.no-passphrase", "pass", &["UNSECURE (1011)"]),
];

/// srt-live-transmit reads no stream ids: it takes any.
const ANY_STREAM_ID: Row = (
    "srt.streamid.malformed",
    "informational",
    &["does not read stream ids"],
);

/// Weir refuses a stream id it cannot read with libsrt's predefined 400.
const BAD_STREAM_ID_400: Row = (
    "srt.streamid.malformed",
    "pass",
    &["PREDEFINED 1400 (HTTP-like 400)"],
);

/// Keep-alives, ACKs, NAKs and the shutdown: every server here passes them.
const SESSION: [Row; 4] = [
    ("srt.session.keepalive", "pass", &["keep-alives"]),
    ("srt.media.ack", "pass", &["ACK delay median"]),
    (
        "srt.media.nak",
        "pass",
        &["5 left out, 5 NAKed", "5 retransmitted"],
    ),
    ("srt.media.shutdown", "pass", &["silent after our shutdown"]),
];

/// srt-live-transmit passes TS through: every packet, byte for byte.
const RELAYED_AS_IS: Row = (
    "srt.media.relay",
    "pass",
    &["identical and in order", "5 of the 5 left out"],
);

/// The rows of `parts`, in order.
fn rows(parts: &[&[Row]]) -> Vec<Row> {
    parts.concat()
}

#[test]
fn srt_live_transmit_relaying_passes_every_case_but_reads_no_stream_id() {
    let Some((_slt, input, output)) = Slt::relay("") else {
        return;
    };
    let junit = TempPath::new("probe-srt.xml");
    let (code, report) = pin(
        &format!("srt://127.0.0.1:{input}?play=127.0.0.1:{output}"),
        &["--junit", junit.to_str().unwrap()],
        &rows(&[
            &HANDSHAKES,
            &CLEAR,
            &[ANY_STREAM_ID],
            &SESSION,
            &[RELAYED_AS_IS],
        ]),
    );
    assert_eq!(code, 0, "{report:#}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 13, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 0, "{xml}");
}

#[test]
fn srt_live_transmit_with_a_passphrase_refuses_a_wrong_one_and_none() {
    let Some((_slt, input, output)) = Slt::relay(&format!("&passphrase={SECRET}&pbkeylen=16"))
    else {
        return;
    };
    let (code, report) = pin(
        &format!("srt://127.0.0.1:{input}?play=127.0.0.1:{output}&passphrase={SECRET}"),
        &[],
        &rows(&[
            &HANDSHAKES,
            &ENCRYPTED,
            &[ANY_STREAM_ID],
            &SESSION,
            &[RELAYED_AS_IS],
        ]),
    );
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn srt_live_transmit_publish_only_has_no_player_to_relay_to() {
    let port = free_port();
    // file://con: standard output, which goes nowhere.
    let Some(_slt) = Slt::start(&format!("srt://:{port}?mode=listener"), "file://con") else {
        return;
    };
    let (code, report) = pin(
        &format!("srt://127.0.0.1:{port}?play=none"),
        &["--case", "srt.media"],
        &rows(&[
            &SESSION[1..],
            &[("srt.media.relay", "skipped", &["not applicable: play=none"])],
        ]),
    );
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn nothing_listening_is_unreachable() {
    let started = Instant::now();
    let (code, report) = probe(&format!("srt://127.0.0.1:{}", free_port()), &[]);
    assert_eq!(code, 2, "{report:#}");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn weir_serve_passes_every_case_and_plays_back_every_frame() {
    let weir = Weir::start(&[]);
    let port = weir.srt.expect("SRT is on");
    let (code, report) = pin(
        &format!("srt://127.0.0.1:{port}?streamid=%23!::r=live/probe"),
        &[],
        &rows(&[
            &HANDSHAKES,
            &CLEAR,
            &[BAD_STREAM_ID_400],
            &SESSION,
            // Weir demuxes what is published and muxes afresh for players.
            &[(
                "srt.media.relay",
                "pass",
                &[
                    "repackaged",
                    "75 video frames",
                    "audio frames",
                    "same spacing",
                ],
            )],
        ]),
    );
    assert_eq!(code, 0, "{report:#}");
    // Like libsrt, Weir does not answer the caller's shutdown with its own.
    let outcomes = support::outcomes(&report);
    let (_, _, said) = outcomes
        .iter()
        .find(|(id, _, _)| id == "srt.media.shutdown")
        .unwrap();
    assert!(!said.contains("its own shutdown"), "{said}");
}

#[test]
fn weir_serve_with_a_passphrase_refuses_a_wrong_one_and_none() {
    let weir = Weir::start(&[&format!("srt.passphrase={SECRET}")]);
    let port = weir.srt.expect("SRT is on");
    let (code, report) = pin(
        &format!("srt://127.0.0.1:{port}?streamid=%23!::r=live/probe&passphrase={SECRET}"),
        &[
            "--case",
            "srt.handshake.caller",
            "--case",
            "srt.crypto",
            "--case",
            "srt.media.relay",
        ],
        &[
            HANDSHAKES[1],
            ENCRYPTED[0],
            ENCRYPTED[1],
            ("srt.media.relay", "pass", &["repackaged", "same spacing"]),
        ],
    );
    assert_eq!(code, 0, "{report:#}");
}

/// A careless SRT listener: a v5 induction answer with cookie 0, any conclusion accepted (any
/// cookie, key material or not) but one with an unknown extension (ROGUE); no ACK, NAK or
/// keep-alive but one keep-alive per 50 data packets; keep-alives after a shutdown; nothing
/// relayed. `strict` refuses every stream id (PEER) and ignores the one with `nonsense`.
struct Careless {
    port: u16,
    stop: Arc<AtomicBool>,
}

/// The careless listener's socket id.
const CARELESS_ID: u32 = 0x0c0f_fee0;

impl Careless {
    fn start(strict: bool) -> Careless {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut callers: HashMap<SocketAddr, u32> = HashMap::new();
            let mut data = 0u32;
            let mut buf = [0u8; 2048];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let datagram = Bytes::copy_from_slice(&buf[..n]);
                let send = |dst: u32, control: Control| {
                    let header = Header {
                        timestamp: Timestamp::new(0),
                        dst_socket: dst,
                    };
                    let bytes = Packet::Control(ControlPacket { header, control }).to_bytes();
                    let _ = socket.send_to(&bytes, from);
                };
                match Packet::parse(&datagram, &mut Vec::new()) {
                    Ok(Packet::Control(ControlPacket {
                        control: Control::Handshake(hs),
                        ..
                    })) => {
                        let caller = hs.socket_id;
                        let mut answer = hs.clone();
                        answer.socket_id = CARELESS_ID;
                        answer.extensions.clear();
                        match hs.kind {
                            HandshakeType::Induction => {
                                answer.version = 5;
                                answer.extension_field = SRT_MAGIC;
                                answer.syn_cookie = 0;
                            }
                            HandshakeType::Conclusion => {
                                let unknown = hs
                                    .extensions
                                    .iter()
                                    .any(|e| matches!(e, Extension::Unknown { .. }));
                                let sid = hs.stream_id().map(str::to_owned);
                                if strict && sid.as_deref().is_some_and(|s| s.contains("nonsense"))
                                {
                                    continue;
                                }
                                if unknown {
                                    answer.kind = HandshakeType::Rejection(RejectReason::ROGUE);
                                } else if strict && sid.is_some() {
                                    answer.kind = HandshakeType::Rejection(RejectReason::PEER);
                                } else {
                                    answer.extensions.push(Extension::HsRsp(SrtOptions {
                                        version: SRT_VERSION,
                                        flags: LIVE_FLAGS,
                                        recv_delay_ms: 120,
                                        send_delay_ms: 120,
                                    }));
                                    answer.extension_field = 1;
                                    callers.insert(from, caller);
                                }
                            }
                            _ => continue,
                        }
                        send(caller, Control::Handshake(answer));
                    }
                    Ok(Packet::Control(ControlPacket {
                        control: Control::Shutdown,
                        ..
                    })) => {
                        let Some(&caller) = callers.get(&from) else {
                            continue;
                        };
                        let socket = socket.try_clone().unwrap();
                        std::thread::spawn(move || {
                            for _ in 0..3 {
                                std::thread::sleep(Duration::from_millis(300));
                                let header = Header {
                                    timestamp: Timestamp::new(0),
                                    dst_socket: caller,
                                };
                                let keepalive = ControlPacket {
                                    header,
                                    control: Control::KeepAlive,
                                };
                                let _ =
                                    socket.send_to(&Packet::Control(keepalive).to_bytes(), from);
                            }
                        });
                    }
                    Ok(Packet::Data(_)) => {
                        data += 1;
                        if let (0, Some(&caller)) = (data % 50, callers.get(&from)) {
                            send(caller, Control::KeepAlive);
                        }
                    }
                    _ => {}
                }
            }
        });
        Careless { port, stop }
    }
}

impl Drop for Careless {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Each `srt.server.*` rule and the careless listener whose probe run fails it (issue 15: every
/// rule has an input that makes it fail): `careless` is `Careless::start(false)`, `strict`
/// `Careless::start(true)`. `weir serve` passes them all above.
const LIVE_RULES: &[(&str, &str)] = &[
    ("srt.server.induction", "careless"),
    ("srt.server.conclusion", "strict"),
    ("srt.server.cookie", "careless"),
    ("srt.server.bad-secret", "careless"),
    ("srt.server.unsecure", "careless"),
    ("srt.server.bad-stream-id", "strict"),
    ("srt.server.unknown-extension", "careless"),
    ("srt.server.ack", "careless"),
    ("srt.server.keepalive", "careless"),
    ("srt.server.nak", "careless"),
    ("srt.server.shutdown", "careless"),
    ("srt.server.relay", "careless"),
];

#[test]
fn a_careless_listener_fails_the_case_of_every_rule_it_breaks() {
    let careless = Careless::start(false);
    let (code, report) = pin(
        &format!("srt://127.0.0.1:{}?passphrase={SECRET}", careless.port),
        &["--timeout", "15"],
        &[
            ("srt.handshake.induction", "fail", &["cookie 0x00000000"]),
            ("srt.handshake.caller", "pass", &["accepted"]),
            ("srt.handshake.no-stream-id", "pass", &["accepted"]),
            ("srt.handshake.wrong-cookie", "fail", &["accepted"]),
            ("srt.handshake.unknown-extension", "fail", &["ROGUE (1004)"]),
            (
                "srt.crypto.bad-secret",
                "fail",
                &["accepted with a wrong passphrase"],
            ),
            ("srt.crypto.no-passphrase", "fail", &["in the clear"]),
            ("srt.streamid.malformed", "informational", &["accepted"]),
            ("srt.session.keepalive", "fail", &["0 keep-alives"]),
            ("srt.media.ack", "fail", &["never acknowledged"]),
            ("srt.media.nak", "fail", &["never NAKed"]),
            ("srt.media.shutdown", "fail", &["3 datagrams"]),
            ("srt.media.relay", "fail", &["no TS packet"]),
        ],
    );
    assert_eq!(code, 1, "{report:#}");
    let strict = Careless::start(true);
    let (_, strict_report) = pin(
        &format!("srt://127.0.0.1:{}", strict.port),
        &["--case", "srt.handshake.caller", "--case", "srt.streamid"],
        &[
            ("srt.handshake.caller", "fail", &["rejected: PEER (1002)"]),
            ("srt.streamid.malformed", "fail", &["no answer"]),
        ],
    );
    support::check_live_rules(
        weir_conformance::probe::srt::rules::CATALOG,
        LIVE_RULES,
        &[
            ("careless", support::failed_rules(&report)),
            ("strict", support::failed_rules(&strict_report)),
        ],
    );
}
