//! `weir probe http://…/whip/…` against an independent WHIP/WHEP server, aiortc 1.16 behind
//! aiohttp (`tests/webrtc/whip_server.py`, a relay of WHIP-published tracks to WHEP players),
//! and against `weir serve`. Every case's verdict is pinned with the reason it gives, so a
//! change in the probe or in either server shows up here; `conformance/FINDINGS.md` explains
//! the failures. A careless server fails the case bound to each rule it breaks, one that
//! checks no DTLS fingerprint fails `media.forged-fingerprint`: between them every
//! `whip.server.*` rule fails ([`LIVE_RULES`]). An unreachable server exits 2.
//!
//! A test against another server is one more `#[test]`: start it, then [`pin`] its WHIP URL
//! with the verdicts expected.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::pki::Pki;
use support::{free_port, pin, probe};
use weir_testkit::TempPath;

/// aiortc's WHIP/WHEP server on a free port, killed on drop.
struct Aiortc {
    child: Child,
    port: u16,
}

impl Aiortc {
    fn start(token: Option<&str>) -> Aiortc {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let present = Command::new(&python)
            .args([
                "-c",
                "import aiortc, aiohttp; assert aiortc.__version__ == '1.16.0'",
            ])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            present,
            "aiortc 1.16.0 and aiohttp are missing: pip install aiortc==1.16.0 aiohttp \
             (ci/install-peers does)"
        );
        let port = free_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webrtc/whip_server.py");
        let mut command = Command::new(&python);
        command.arg(script).arg(port.to_string());
        if let Some(token) = token {
            command.args(["--token", token]);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), format!("listening {port}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiortc's server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Aiortc { child, port }
    }

    /// SRS's WHIP path, as issue 12 names it.
    fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/rtc/v1/whip/?app=live&stream=probe",
            self.port
        )
    }
}

impl Drop for Aiortc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A case's expected verdict: id, status, words its verdict holds.
type Row = (&'static str, &'static str, &'static [&'static str]);

/// The DELETE cases of a server that ends sessions as RFC 9725 §4.3 says.
const DELETES_PASS: [Row; 3] = [
    ("whip.delete", "pass", &[": 200"]),
    ("whip.delete-again", "pass", &["404"]),
    ("whep.delete", "pass", &[": 200"]),
];

/// 415 for a wrong type, a CORS preflight allowing POST, and no token asked for.
const REFUSALS_PASS: [Row; 4] = [
    ("whip.content-type", "pass", &["HTTP 415"]),
    ("whip.options", "pass", &["204", "POST"]),
    ("whip.auth.missing", "skipped", &["demands none"]),
    ("whip.auth.bad", "skipped", &["demands none"]),
];

/// The token the token tests' servers want, and the cases they run with it.
const TOKEN_CASES: [&str; 6] = [
    "--token",
    "s3cret",
    "--case",
    "whip.auth",
    "--case",
    "whip.offer.chromium",
];

/// The rows of `parts`, in order.
fn rows(parts: &[&[Row]]) -> Vec<Row> {
    parts.concat()
}

#[test]
fn aiortc_answers_every_signalling_case_and_holds_back_the_stream_tail() {
    let server = Aiortc::start(None);
    let junit = TempPath::new("probe-whip.xml");
    let (code, report) = pin(
        &server.url(),
        &["--junit", junit.to_str().unwrap()],
        &rows(&[
            &[
                (
                    "whip.offer.chromium",
                    "pass",
                    &["full ICE, setup active", "H264"],
                ),
                ("whip.offer.firefox", "pass", &["setup active"]),
                ("whip.offer.audio-only", "pass", &["audio opus"]),
                ("whip.offer.video-only", "pass", &["video VP8"]),
                // aiortc knows H.264 only in packetization-mode 1.
                (
                    "whip.offer.h264-mode0",
                    "informational",
                    &[
                        "HTTP 400",
                        "Failed to set remote video description send parameters",
                    ],
                ),
                ("whip.offer.no-common-codec", "pass", &["HTTP 400"]),
                ("whep.offer.chromium", "pass", &["setup active"]),
                ("whep.offer.firefox", "pass", &["setup active"]),
            ],
            &DELETES_PASS,
            &[
                ("whip.trickle", "pass", &["204"]),
                ("whip.trickle.if-match", "pass", &["412"]),
                ("whip.malformed-offer", "pass", &["HTTP 400"]),
            ],
            &REFUSALS_PASS,
            &[
                // aiortc's receiver holds the last video frame until a packet of the next one
                // arrives, and the last 4 Opus packets (its audio jitter buffer's prefetch):
                // when the publisher stops, they never reach the player.
                (
                    "media.relay",
                    "fail",
                    &[
                        "video frames: 49 of 50",
                        "the last 1 missing",
                        "audio packets: 96 of 100",
                        "the last 4 missing",
                    ],
                ),
                (
                    "media.dtls-role",
                    "pass",
                    &["whip: setup active, ClientHello from the server true, from us false"],
                ),
                // aiortc checks the fingerprint once the handshake is over, then sets up no
                // SRTP: the impostor connects but gets nothing.
                (
                    "media.forged-fingerprint",
                    "pass",
                    &["the handshake finished, but no media came"],
                ),
                ("media.consent", "pass", &["whip: 1 of 1", "whep: 1 of 1"]),
            ],
        ]),
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["counted_failures"], 1);
    // The JUnit report has a test case per probe case and the one failure.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 22, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
}

#[test]
fn aiortc_with_a_token_refuses_a_missing_one_with_401_and_a_wrong_one_with_403() {
    let server = Aiortc::start(Some("s3cret"));
    let (code, _) = pin(
        &server.url(),
        &TOKEN_CASES,
        &[
            ("whip.offer.chromium", "pass", &["full ICE"]),
            (
                "whip.auth.missing",
                "pass",
                &["401, WWW-Authenticate: Bearer"],
            ),
            ("whip.auth.bad", "pass", &["HTTP 403"]),
        ],
    );
    assert_eq!(code, 0);
    // Without the token, the server's 401 is seen as a demand for one.
    pin(
        &server.url(),
        &["--case", "whip.auth.missing", "--case", "whip.offer.audio"],
        &[
            ("whip.offer.audio-only", "fail", &["status 401"]),
            ("whip.auth.missing", "pass", &["401"]),
        ],
    );
}

/// An HTTP server on a free port, on its own runtime, stopped on drop.
struct HttpServer {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

impl HttpServer {
    fn start(app: axum::Router) -> HttpServer {
        let (runtime, listener, port) = support::background_listener();
        runtime.spawn(async move { axum::serve(listener, app).await });
        HttpServer {
            port,
            _runtime: runtime,
        }
    }
}

/// A careless endpoint: it answers every POST, whatever its body, type or token, with 201 and
/// the offer mirrored as an answer (setup active, directions turned, H.264 mode 0 made 1,
/// no candidate) and, when `located`, a Location; every DELETE with 204, every PATCH with 200,
/// OPTIONS with 500; it never connects.
fn careless(located: bool) -> axum::Router {
    use axum::http::{HeaderMap, Method, StatusCode};
    axum::Router::new().fallback(move |method: Method, body: String| async move {
        let mut headers = HeaderMap::new();
        let status = match method {
            Method::POST => {
                if located {
                    headers.insert("location", "/resource/1".parse().unwrap());
                }
                headers.insert("content-type", "application/sdp".parse().unwrap());
                headers.insert("etag", "\"1\"".parse().unwrap());
                StatusCode::CREATED
            }
            Method::DELETE => StatusCode::NO_CONTENT,
            Method::PATCH => StatusCode::OK,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let answer = body
            .lines()
            .filter(|l| !l.starts_with("a=candidate"))
            .map(|l| format!("{l}\r\n"))
            .collect::<String>()
            .replace("a=setup:actpass", "a=setup:active")
            .replace("a=sendonly", "a=recvonly")
            .replace("packetization-mode=0", "packetization-mode=1");
        (status, headers, answer)
    })
}

/// Each `whip.server.*` rule and the fake whose probe run fails it (issue 15: every rule has an
/// input that makes it fail): [`careless`] (`unlocated`: `careless(false)`, whose 201 has no
/// Location), and [`trusting`] for the fingerprint. `weir serve` passes them all
/// ([`weir_serve_rows`]).
const LIVE_RULES: &[(&str, &str)] = &[
    ("whip.server.created", "unlocated"),
    ("whip.server.no-common-codec", "careless"),
    ("whip.server.h264-packetization-mode", "careless"),
    ("whip.server.delete", "careless"),
    ("whip.server.delete-gone", "careless"),
    ("whip.server.trickle", "careless"),
    ("whip.server.if-match", "careless"),
    ("whip.server.malformed-offer", "careless"),
    ("whip.server.content-type", "careless"),
    ("whip.server.options", "careless"),
    ("whip.server.auth", "careless"),
    ("whip.server.dtls-role", "careless"),
    ("whip.server.fingerprint", "trusting"),
    ("whip.server.consent", "careless"),
    ("whip.server.relay", "careless"),
];

/// The forged-fingerprint case against [`trusting`].
const FORGED_FINGERPRINT_FAILS: Row = (
    "media.forged-fingerprint",
    "fail",
    &["media packets reached the impostor"],
);

#[test]
fn a_careless_server_fails_every_rule_it_breaks() {
    let server = HttpServer::start(careless(true));
    let url = format!("http://127.0.0.1:{}/whip/cam", server.port);
    let not_connected: &[&str] = &["not connected; DTLS ClientHello from the server: false"];
    let (code, report) = pin(
        &url,
        &["--token", "t", "--timeout", "8"],
        &[
            ("whip.offer.chromium", "pass", &["full ICE, setup active"]),
            ("whip.offer.firefox", "pass", &[]),
            ("whip.offer.audio-only", "pass", &[]),
            ("whip.offer.video-only", "pass", &[]),
            ("whip.offer.h264-mode0", "fail", &["packetization-mode 1"]),
            ("whip.offer.no-common-codec", "fail", &["HTTP 201"]),
            // recvonly mirrored is recvonly: not an answer to recvonly.
            (
                "whep.offer.chromium",
                "fail",
                &["sdp.offer-answer.direction: offer recvonly answered with recvonly"],
            ),
            (
                "whep.offer.firefox",
                "fail",
                &["sdp.offer-answer.direction"],
            ),
            ("whip.delete", "fail", &["HTTP 204"]),
            ("whip.delete-again", "fail", &["HTTP 204"]),
            ("whep.delete", "fail", &["HTTP 204"]),
            ("whip.trickle", "fail", &["HTTP 200"]),
            ("whip.trickle.if-match", "fail", &["HTTP 200"]),
            ("whip.malformed-offer", "fail", &["HTTP 201"]),
            ("whip.content-type", "fail", &["HTTP 201"]),
            ("whip.options", "fail", &["HTTP 500"]),
            ("whip.auth.missing", "fail", &["HTTP 201"]),
            ("whip.auth.bad", "fail", &["HTTP 201"]),
            ("media.relay", "fail", not_connected),
            ("media.dtls-role", "fail", not_connected),
            // No media at all: nothing to judge of its DTLS, which is no pass.
            (
                "media.forged-fingerprint",
                "error",
                &["no stream to play, so nothing was judged"],
            ),
            ("media.consent", "fail", not_connected),
        ],
    );
    assert_eq!(code, 1);
    // The one rule the careless server cannot break (it never connects): its own fake.
    let trusting = HttpServer::start(trusting());
    let (_, trusting_report) = pin(
        &format!("http://127.0.0.1:{}/whip/cam", trusting.port),
        &["--case", "media.forged-fingerprint"],
        &[FORGED_FINGERPRINT_FAILS],
    );
    // A 201 without a Location: the session has no resource.
    let unlocated = HttpServer::start(careless(false));
    let (_, unlocated_report) = pin(
        &format!("http://127.0.0.1:{}/whip/cam", unlocated.port),
        &["--case", "whip.offer.chromium"],
        &[("whip.offer.chromium", "fail", &["no Location"])],
    );
    support::check_live_rules(
        weir_conformance::probe::whip::rules::CATALOG,
        LIVE_RULES,
        &[
            ("careless", support::failed_rules(&report)),
            ("trusting", support::failed_rules(&trusting_report)),
            ("unlocated", support::failed_rules(&unlocated_report)),
        ],
    );
}

#[test]
fn an_unreachable_endpoint_exits_2_and_list_shows_the_whip_cases() {
    let port = free_port();
    let (code, report) = probe(
        &format!("http://127.0.0.1:{port}/rtc/v1/whip/?stream=x"),
        &[],
    );
    assert_eq!(code, 2, "{report:#}");
    assert!(report["unreachable"].as_str().unwrap().contains("OPTIONS"));
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["probe", "--list", "--case", "media."])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("# http://host[:port]/…/whip/…"), "{text}");
    assert!(
        text.contains("media.relay") && !text.contains("whip.delete"),
        "{text}"
    );
    assert!(text.contains("rules: whip.server.relay"), "{text}");
}

/// What `weir serve` answers every case with, over http:// or https://.
fn weir_serve_rows() -> Vec<Row> {
    let answered: &'static [&'static str] = &["ICE-lite, setup passive, 1 candidates"];
    rows(&[
        &[
            ("whip.offer.chromium", "pass", answered),
            ("whip.offer.firefox", "pass", answered),
            ("whip.offer.audio-only", "pass", &["audio opus"]),
            ("whip.offer.video-only", "pass", &["video H264"]),
            ("whip.offer.h264-mode0", "pass", &["answered with mode 0"]),
            ("whip.offer.no-common-codec", "pass", &["HTTP 406"]),
            ("whep.offer.chromium", "pass", answered),
            ("whep.offer.firefox", "pass", answered),
        ],
        &DELETES_PASS,
        &[
            // A trickle fragment carries the session's current ice-ufrag and ice-pwd (RFC
            // 8840 §4.4): weir serve trickles it (it took it for an ICE restart until the
            // probe found it).
            ("whip.trickle", "pass", &["204"]),
            ("whip.trickle.if-match", "pass", &["412"]),
            (
                "whip.malformed-offer",
                "pass",
                &["HTTP 400", "sdp.line.syntax"],
            ),
        ],
        &REFUSALS_PASS,
        &[
            (
                "media.relay",
                "pass",
                &["50 video frames and 100 Opus packets sent and received"],
            ),
            (
                "media.dtls-role",
                "pass",
                &["whip: setup passive, ClientHello from the server false, from us true"],
            ),
            (
                "media.forged-fingerprint",
                "pass",
                &["never connected; ClientHello from the server false, from us true"],
            ),
            ("media.consent", "pass", &["whip: 1 of 1", "whep: 1 of 1"]),
        ],
    ])
}

#[test]
fn weir_serve_passes_every_case() {
    let weir = support::Weir::start(&[]);
    let url = weir.api_url("/rtc/v1/whip/?app=live&stream=probe");
    let (code, report) = pin(&url, &[], &weir_serve_rows());
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
}

/// The same cases over https (the API's `api.https_*` listener, a test CA's certificate):
/// the probe trusts the CA `--ca` names; without it the certificate is refused, and the
/// endpoint counts as unreachable (exit 2).
#[test]
fn weir_serve_over_https_passes_every_case_when_the_probe_trusts_its_ca() {
    let pki = Pki::new("probe-whip");
    pki.issue("");
    let (cert, key) = (pki.arg("cert.pem"), pki.arg("key.pem"));
    let weir = support::Weir::start(&[
        "api.https_enabled=true",
        "api.https_listen=127.0.0.1:0",
        &format!("api.https_cert={cert}"),
        &format!("api.https_key={key}"),
    ]);
    let port = support::logged_port(&weir, "api_https_addr=");
    let url = format!("https://127.0.0.1:{port}/rtc/v1/whip/?app=live&stream=probe");
    let (code, report) = pin(&url, &["--ca", &pki.arg("ca.pem")], &weir_serve_rows());
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    assert!(
        report["notes"][0]
            .as_str()
            .is_some_and(|n| n.starts_with("WHIP https://")),
        "{report:#}"
    );
    let (code, report) = probe(&url, &[]);
    assert_eq!(code, 2, "{report:#}");
    let refused = report["unreachable"].as_str().unwrap_or_default();
    assert!(refused.contains("UnknownIssuer"), "{report:#}");
}

#[test]
fn weir_serve_with_a_token_refuses_a_missing_or_wrong_one() {
    let weir = support::Weir::start(&["rtc.token=s3cret"]);
    let url = weir.api_url("/rtc/v1/whip/?app=live&stream=probe");
    let (code, _) = pin(
        &url,
        &TOKEN_CASES,
        &[
            ("whip.offer.chromium", "pass", &["ICE-lite"]),
            ("whip.auth.missing", "pass", &["401"]),
            ("whip.auth.bad", "pass", &["HTTP 40"]),
        ],
    );
    assert_eq!(code, 0, "{}", weir.log());
}

/// A WHIP/WHEP endpoint that checks no fingerprint: each POST gets a str0m answerer of its own
/// (ICE-lite, `set_fingerprint_verification(false)`) on its own UDP socket, driven on a thread
/// for 15 s; a WHEP session, once connected, sends an Opus packet every 20 ms. Nothing is
/// relayed: only the forged-fingerprint case is run against it.
fn trusting() -> axum::Router {
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    axum::Router::new().fallback(|method: Method, uri: Uri, body: String| async move {
        let mut headers = HeaderMap::new();
        if method != Method::POST {
            return (StatusCode::OK, headers, String::new());
        }
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let local = socket.local_addr().unwrap();
        let mut rtc = str0m::RtcConfig::new()
            .set_crypto_provider(std::sync::Arc::new(str0m::crypto::from_feature_flags()))
            .set_ice_lite(true)
            .set_fingerprint_verification(false)
            .build(Instant::now());
        rtc.add_local_candidate(str0m::Candidate::host(local, "udp").unwrap());
        let offer = str0m::change::SdpOffer::from_sdp_string(&body).unwrap();
        let answer = rtc.sdp_api().accept_offer(offer).unwrap().to_sdp_string();
        let player = uri.to_string().contains("whep");
        std::thread::spawn(move || trusting_session(rtc, socket, player));
        headers.insert("location", "/resource/1".parse().unwrap());
        headers.insert("content-type", "application/sdp".parse().unwrap());
        (StatusCode::CREATED, headers, answer)
    })
}

/// Drives one of [`trusting`]'s sessions.
fn trusting_session(mut rtc: str0m::Rtc, socket: std::net::UdpSocket, player: bool) {
    use str0m::media::{Frequency, MediaTime};
    use str0m::{Event, Input, Output};
    let local = socket.local_addr().unwrap();
    let end = Instant::now() + Duration::from_secs(15);
    let (mut connected, mut sent, mut buf) = (false, 0u64, vec![0u8; 2048]);
    let mut mids = Vec::new();
    while Instant::now() < end && rtc.is_alive() {
        loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(_)) | Err(_) => break,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination);
                }
                Ok(Output::Event(Event::Connected)) => connected = true,
                Ok(Output::Event(Event::MediaAdded(m))) => mids.push(m.mid),
                Ok(Output::Event(_)) => {}
            }
        }
        while let Ok((n, source)) = socket.recv_from(&mut buf) {
            let Ok(contents) = buf[..n].try_into() else {
                continue;
            };
            let receive = str0m::net::Receive {
                proto: str0m::net::Protocol::Udp,
                source,
                destination: local,
                contents,
            };
            let _ = rtc.handle_input(Input::Receive(Instant::now(), receive));
        }
        let _ = rtc.handle_input(Input::Timeout(Instant::now()));
        if player && connected {
            for &mid in &mids {
                let Some(writer) = rtc.writer(mid) else {
                    continue;
                };
                let opus = writer
                    .payload_params()
                    .find(|p| p.spec().codec == str0m::format::Codec::Opus)
                    .map(|p| p.pt());
                if let Some(pt) = opus {
                    let time = MediaTime::new(sent * 960, Frequency::FORTY_EIGHT_KHZ);
                    let _ = writer.write(pt, Instant::now(), time, vec![0xf8, 0xff, 0xfe]);
                    sent += 1;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_server_that_checks_no_fingerprint_fails_the_forged_fingerprint_case() {
    let server = HttpServer::start(trusting());
    let url = format!("http://127.0.0.1:{}/whip/cam", server.port);
    let (code, _) = pin(
        &url,
        &["--case", "media.forged-fingerprint"],
        &[FORGED_FINGERPRINT_FAILS],
    );
    assert_eq!(code, 1);
}
