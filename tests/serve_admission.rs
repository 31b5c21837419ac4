//! Every way into `weir serve` goes through one admission path (server/src/session.rs): a
//! security rule stops, and a denying callback stops, an RTMP publisher and player, an MPEG-TS
//! over UDP sender, HTTP-FLV and HTTP-TS players; HLS requests meet the security rules (they
//! are not asked of callbacks). One server denies by rule, another by callback.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Client, Weir};
use weir_rtmp::handshake::HandshakeKind;
use weir_rtmp::session::{ClientEvent, PublishKind};

/// A callback server that denies everything (`{"code":1}`) and records the actions asked.
struct Denier {
    port: u16,
    actions: Arc<Mutex<Vec<String>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Denier {
    fn start() -> Denier {
        let actions = Arc::new(Mutex::new(Vec::new()));
        let recorded = actions.clone();
        let (runtime, listener, port) = support::background_listener();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |axum::Json(body): axum::Json<serde_json::Value>| async move {
                    let action = body["action"].as_str().unwrap_or("").to_owned();
                    recorded.lock().unwrap().push(action);
                    r#"{"code":1}"#
                },
            ),
        );
        runtime.spawn(async move { axum::serve(listener, app).await });
        Denier {
            port,
            actions,
            _runtime: runtime,
        }
    }

    fn asked(&self, action: &str) -> bool {
        self.actions.lock().unwrap().iter().any(|a| a == action)
    }
}

/// An RTMP client's publish (or play) of `stream`; true when the server accepted it.
fn rtmp_allowed(weir: &Weir, stream: &str, publish: bool) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = Client::connect(weir.rtmp, HandshakeKind::Simple).await;
        let connected = |e: &ClientEvent| matches!(e, ClientEvent::Connected { .. });
        let refused = |e: &ClientEvent| matches!(e, ClientEvent::ConnectRejected(_));
        client
            .until(Duration::from_secs(10), "connect's answer", |e| {
                connected(e) || refused(e)
            })
            .await;
        if client.events.iter().any(refused) {
            return false;
        }
        match publish {
            true => client.session.publish(stream, PublishKind::Live).unwrap(),
            false => client.session.play(stream, -1.0).unwrap(),
        }
        client.flush().await;
        let answered = |e: &ClientEvent| {
            matches!(
                e,
                ClientEvent::Publishing { .. } | ClientEvent::Playing { .. }
            )
        };
        let failed =
            |e: &ClientEvent| matches!(e, ClientEvent::Status { status, .. } if status.is_error());
        client
            .until(Duration::from_secs(10), "the publish or play answer", |e| {
                answered(e) || failed(e)
            })
            .await;
        client.events.iter().any(answered)
    })
}

/// The HTTP status of `GET path` on the HTTP server.
fn http_status(weir: &Weir, path: &str) -> u16 {
    let url = format!("http://127.0.0.1:{}{path}", weir.http);
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(url)
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Sends a TS file's packets to the server's MPEG-TS port; true if the stream `udp` appeared.
fn mpegts_published(weir: &Weir) -> bool {
    let ts = weir_testkit::corpus::read("mpegts/test-segment.ts");
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = weir.mpegts.expect("MPEG-TS over UDP is on");
    for datagram in ts.chunks(7 * 188).take(200) {
        socket.send_to(datagram, ("127.0.0.1", port)).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(300));
    weir.api("/api/v1/streams/").to_string().contains("\"udp\"")
}

/// Both servers deny the same requests, each for its own reason.
fn assert_every_way_in_is_denied(weir: &Weir, what: &str) {
    assert!(!rtmp_allowed(weir, "cam", true), "{what}: RTMP publish");
    assert!(!rtmp_allowed(weir, "cam", false), "{what}: RTMP play");
    assert_eq!(http_status(weir, "/live/cam.flv"), 403, "{what}: HTTP-FLV");
    assert_eq!(http_status(weir, "/live/cam.ts"), 403, "{what}: HTTP-TS");
    assert!(!mpegts_published(weir), "{what}: MPEG-TS over UDP");
    let log = weir.log();
    assert!(log.contains("publish denied"), "{what}: {log}");
    assert!(log.contains("play denied"), "{what}: {log}");
}

#[test]
fn a_security_rule_stops_every_way_in() {
    let weir = Weir::start(&[
        "security.enabled=true",
        "security.rules=deny publish 127.0.0.1,deny play 127.0.0.1",
        "mpegts.stream=live/udp",
    ]);
    assert_every_way_in_is_denied(&weir, "security");
    assert_eq!(http_status(&weir, "/live/cam.m3u8"), 403, "HLS playlist");
    assert_eq!(http_status(&weir, "/live/cam-0.ts"), 403, "HLS segment");
}

#[test]
fn a_denying_callback_stops_every_way_in() {
    let denier = Denier::start();
    let url = format!("http://127.0.0.1:{}/hook", denier.port);
    let settings = [
        "hooks.enabled=true".to_owned(),
        format!("hooks.on_publish={url}"),
        format!("hooks.on_play={url}"),
        "mpegts.stream=live/udp".to_owned(),
    ];
    let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
    let weir = Weir::start(&settings);
    assert_every_way_in_is_denied(&weir, "callback");
    assert!(denier.asked("on_publish") && denier.asked("on_play"));
}

/// The same checks pass on a server with no rule and no callback: the denials above are the
/// admission path's, not the checks'.
#[test]
fn with_no_rule_and_no_callback_every_way_in_is_open() {
    let weir = Weir::start(&["mpegts.stream=live/udp"]);
    assert!(rtmp_allowed(&weir, "cam", true), "RTMP publish");
    assert!(rtmp_allowed(&weir, "cam", false), "RTMP play");
    assert_eq!(http_status(&weir, "/live/cam.flv"), 200, "HTTP-FLV");
    assert_eq!(http_status(&weir, "/live/cam.ts"), 200, "HTTP-TS");
    assert!(mpegts_published(&weir), "MPEG-TS over UDP");
}
