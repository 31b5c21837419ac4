//! `weir serve` over TLS, with a test CA and server certificates made here (rcgen): FFmpeg
//! publishes over RTMPS and ffprobe plays HTTP-FLV over HTTPS, both verifying the certificate;
//! the API answers curl over HTTPS; an `https://` hook verified with `hooks.ca` hears
//! `on_publish`; a plain RTMP client on the RTMPS port is closed cleanly; a reload serves the
//! new certificate to new connections while a player of the old one keeps playing.

mod support;

use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::pki::Pki;
use support::{Weir, ffmpeg_publish_with, finish, logged_port, run};
use weir_testkit::peer;

/// A rustls client config that trusts only the CA in `ca`.
fn client_config(ca: &Path) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca).unwrap();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A TLS handshake with `127.0.0.1:port` trusting only `ca`: the server's leaf certificate,
/// or the error.
async fn handshake(port: u16, ca: &Path) -> Result<Vec<u8>, std::io::Error> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let connector = tokio_rustls::TlsConnector::from(client_config(ca));
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let stream = connector.connect(name, tcp).await?;
    let (_, session) = stream.get_ref();
    Ok(session.peer_certificates().unwrap()[0].to_vec())
}

/// An HTTPS hook server with the PKI's certificate: records every body, allows everything.
struct HookServer {
    port: u16,
    bodies: Arc<Mutex<Vec<Value>>>,
    _runtime: tokio::runtime::Runtime,
}

/// `axum::serve`'s listener over TLS: connections whose handshake fails are skipped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, peer)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

impl HookServer {
    fn start(pki: &Pki) -> HookServer {
        let tls =
            weir_server::tls::Tls::load("test.", &pki.path("cert.pem"), &pki.path("key.pem"), &[])
                .unwrap();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let recorded = bodies.clone();
        let (runtime, tcp, port) = support::background_listener();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                recorded.lock().unwrap().push(body);
                async { "0" }
            }),
        );
        let listener = TlsListener {
            tcp,
            acceptor: tls.acceptor(),
        };
        runtime.spawn(async move { axum::serve(listener, app).await });
        HookServer {
            port,
            bodies,
            _runtime: runtime,
        }
    }

    /// Waits until a body for `action` has arrived.
    fn wait_for(&self, action: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let bodies = self.bodies.lock().unwrap().clone();
            if let Some(body) = bodies.iter().find(|b| b["action"] == action) {
                return body.clone();
            }
            assert!(Instant::now() < deadline, "no {action}: {bodies:#?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The settings that turn on the three TLS listeners on free loopback ports with the PKI's
/// certificate, and an `https://` on_publish hook verified with the PKI's CA.
fn tls_settings(pki: &Pki, hook_port: u16) -> Vec<String> {
    let (cert, key) = (pki.arg("cert.pem"), pki.arg("key.pem"));
    vec![
        "rtmps.enabled=true".into(),
        "rtmps.listen=127.0.0.1:0".into(),
        format!("rtmps.cert={cert}"),
        format!("rtmps.key={key}"),
        "https.enabled=true".into(),
        "https.listen=127.0.0.1:0".into(),
        format!("https.cert={cert}"),
        format!("https.key={key}"),
        "api.https_enabled=true".into(),
        "api.https_listen=127.0.0.1:0".into(),
        format!("api.https_cert={cert}"),
        format!("api.https_key={key}"),
        "hooks.enabled=true".into(),
        format!("hooks.on_publish=https://127.0.0.1:{hook_port}/hook"),
        format!("hooks.ca={}", pki.arg("ca.pem")),
    ]
}

#[test]
fn rtmps_publish_https_play_api_and_https_hook_verify_the_certificate() {
    let pki = Pki::new("serve");
    pki.issue("");
    let hooks = HookServer::start(&pki);
    let settings = tls_settings(&pki, hooks.port);
    let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
    let weir = Weir::start(&settings);
    let rtmps = logged_port(&weir, "rtmps_addr=");
    let https = logged_port(&weir, "https_addr=");
    let api = logged_port(&weir, "api_https_addr=");
    let ca = pki.arg("ca.pem");
    let verify = ["-tls_verify", "1", "-ca_file", &ca];
    let url = format!("rtmps://127.0.0.1:{rtmps}/live/s");
    let publisher = ffmpeg_publish_with(&url, 6, "flv", &verify);

    let body = hooks.wait_for("on_publish");
    assert_eq!(body["stream"], "s", "{body}");
    weir.wait_for_stream("s", Duration::from_secs(10));

    let flv = format!("https://127.0.0.1:{https}/live/s.flv");
    let (ok, stdout, stderr) = run(
        Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args(["-v", "error", "-rw_timeout", "10000000"])
            .args(verify)
            .args(["-show_entries", "stream=codec_name", "-of", "json", &flv]),
        Duration::from_secs(20),
    );
    assert!(ok, "ffprobe {flv} failed: {stderr}");
    let probe: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        support::codecs(&probe),
        ["aac", "h264"],
        "{probe} {}",
        weir.log()
    );

    let streams = format!("https://127.0.0.1:{api}/api/v1/streams/");
    let (ok, stdout, stderr) = run(
        Command::new("curl").args(["-sSf", "--cacert", &ca, &streams]),
        Duration::from_secs(10),
    );
    assert!(ok, "curl {streams}: {stderr}");
    let answer: Value = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> = answer["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["s"], "{answer}");
    // The publisher is an RTMP client like any other in the API.
    let publisher_kind = weir.client_of_type("fmle-publish");
    assert!(publisher_kind.is_some(), "{}", weir.api("/api/v1/clients/"));

    // Without the CA, curl refuses the certificate: it is really verified.
    let (ok, _, _) = run(
        Command::new("curl").args(["-sSf", &streams]),
        Duration::from_secs(10),
    );
    assert!(!ok, "curl accepted a certificate of an unknown CA");
    let (ok, _, stderr) = finish(publisher, Duration::from_secs(20));
    assert!(ok, "ffmpeg over RTMPS: {stderr}");
}

/// `weir serve` with RTMPS on a free loopback port, with the PKI's `cert.pem` and `key.pem`:
/// the server and the RTMPS port.
fn start_rtmps(pki: &Pki) -> (Weir, u16) {
    let (cert, key) = (pki.arg("cert.pem"), pki.arg("key.pem"));
    let settings = [
        "rtmps.enabled=true".to_owned(),
        "rtmps.listen=127.0.0.1:0".into(),
        format!("rtmps.cert={cert}"),
        format!("rtmps.key={key}"),
    ];
    let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
    let weir = Weir::start(&settings);
    let port = logged_port(&weir, "rtmps_addr=");
    (weir, port)
}

#[test]
fn plain_rtmp_on_the_rtmps_port_is_closed_with_one_log_line() {
    let pki = Pki::new("plain");
    pki.issue("");
    let (weir, rtmps) = start_rtmps(&pki);
    // An RTMP C0 and C1 (RTMP 1.0 §5.2.2, §5.2.3): version 3, then 1536 bytes.
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", rtmps)).unwrap();
    let mut hello = vec![3u8];
    hello.extend([0u8; 1536]);
    socket.write_all(&hello).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // A TLS alert at most, then the end: never an RTMP S0.
    let mut answer = Vec::new();
    socket
        .read_to_end(&mut answer)
        .expect("closed, not timed out");
    assert!(answer.first() != Some(&3), "an RTMP answer: {answer:?}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !weir.log().contains("TLS handshake failed") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = weir.log();
    assert_eq!(
        log.matches("TLS handshake failed").count(),
        1,
        "one line for the failed handshake: {log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    // The server goes on: the API answers.
    assert_eq!(weir.api("/api/v1/versions")["code"], 0);
}

#[test]
fn enabled_tls_without_a_certificate_stops_start_up_with_the_key() {
    let (ok, _, stderr) = run(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["serve", "--rtmp-listen", "127.0.0.1:0"])
            .args(["--set", "rtmps.enabled=true"]),
        Duration::from_secs(10),
    );
    assert!(!ok);
    assert!(stderr.contains("rtmps.cert is not set"), "{stderr}");
}

/// Counts the bytes a child writes to its stdout, from a thread.
fn count_stdout(child: &mut std::process::Child) -> Arc<AtomicU64> {
    let count = Arc::new(AtomicU64::new(0));
    let counted = count.clone();
    let mut stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            counted.fetch_add(n as u64, Ordering::Relaxed);
        }
    });
    count
}

/// Waits until `count` has grown past `from`.
fn wait_growth(count: &AtomicU64, from: u64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while count.load(Ordering::Relaxed) <= from {
        assert!(Instant::now() < deadline, "{what}: no bytes after {from}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn reload_serves_the_new_certificate_to_new_connections_and_keeps_live_ones() {
    let pki = Pki::new("reload");
    let first = pki.issue("a-");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (cert, key) = (pki.arg("cert.pem"), pki.arg("key.pem"));
    let overrides: Vec<(String, String)> = [
        ("rtmp.listen", "127.0.0.1:0"),
        ("rtmps.enabled", "true"),
        ("rtmps.listen", "127.0.0.1:0"),
        ("rtmps.cert", &cert),
        ("rtmps.key", &key),
        ("http.enabled", "false"),
        ("api.enabled", "false"),
        ("hls.enabled", "false"),
        ("mpegts.enabled", "false"),
        ("rtc.enabled", "false"),
        ("srt.enabled", "false"),
        ("gb28181.enabled", "false"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = weir_server::config::Config::load(None, std::iter::empty(), &overrides).unwrap();
    let server = runtime
        .block_on(weir_server::Server::start(config))
        .unwrap();
    let port = server.rtmps_addr.unwrap().port();
    let url = format!("rtmps://127.0.0.1:{port}/live/r");
    let ca_a = pki.arg("a-ca.pem");
    let verify = ["-tls_verify", "1", "-ca_file", ca_a.as_str()];
    let publisher = ffmpeg_publish_with(&url, 8, "flv", &verify);
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.context.hub.streams().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the RTMPS publish did not arrive"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut player = Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-v", "error", "-rw_timeout", "10000000"])
        .args(verify)
        .args(["-i", &url, "-c", "copy", "-f", "flv", "pipe:1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let played = count_stdout(&mut player);
    wait_growth(&played, 0, "the RTMPS player before the reload");

    // New files, from another CA: new connections get them, the player keeps its session.
    let second = pki.issue("b-");
    server.context.tls.reload().unwrap();
    let before = played.load(Ordering::Relaxed);
    runtime.block_on(async {
        assert_eq!(
            handshake(port, &pki.path("b-ca.pem")).await.unwrap(),
            second
        );
        assert!(handshake(port, &pki.path("a-ca.pem")).await.is_err());
    });
    wait_growth(&played, before, "the RTMPS player after the reload");
    assert_ne!(first, second);

    // A reload that fails (a key file that holds no key) keeps the certificate it had.
    std::fs::write(pki.path("key.pem"), "not a key\n").unwrap();
    let error = server.context.tls.reload().unwrap_err().to_string();
    assert!(
        error.contains("rtmps.key") && error.contains("key.pem"),
        "{error}"
    );
    runtime.block_on(async {
        assert_eq!(
            handshake(port, &pki.path("b-ca.pem")).await.unwrap(),
            second
        );
    });
    let before = played.load(Ordering::Relaxed);
    wait_growth(&played, before, "the RTMPS player after a failed reload");
    let _ = player.kill();
    let _ = player.wait();
    let (ok, _, stderr) = finish(publisher, Duration::from_secs(20));
    assert!(ok, "ffmpeg over RTMPS: {stderr}");
    runtime.block_on(server.shutdown(Duration::from_secs(2)));
}

#[test]
fn certificate_errors_name_the_key_and_the_file() {
    use weir_server::tls::Tls;
    let pki = Pki::new("errors");
    pki.issue("");
    std::fs::copy(pki.path("key.pem"), pki.path("old-key.pem")).unwrap();
    pki.issue("");
    let error = |cert: &str, key: &str| {
        let result = Tls::load("rtmps.", &pki.path(cert), &pki.path(key), &[]);
        result.err().map(|e| e.to_string()).unwrap_or_default()
    };
    assert_eq!(error("cert.pem", "key.pem"), "", "a matching pair loads");
    let mismatch = error("cert.pem", "old-key.pem");
    assert!(mismatch.contains("do not go together"), "{mismatch}");
    let missing = error("missing.pem", "key.pem");
    assert!(
        missing.starts_with("rtmps.cert = ") && missing.contains("missing.pem"),
        "{missing}"
    );
    let no_certificate = error("key.pem", "key.pem");
    assert!(
        no_certificate.contains("no CERTIFICATE"),
        "{no_certificate}"
    );
    let no_key = error("cert.pem", "cert.pem");
    assert!(no_key.starts_with("rtmps.key = "), "{no_key}");
    let unset = Tls::load("api.https_", &pki.path("cert.pem"), Path::new(""), &[]);
    let unset = unset.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(unset.starts_with("api.https_key is not set"), "{unset}");
}

#[test]
fn an_https_hook_whose_certificate_no_configured_ca_signed_denies() {
    let pki = Pki::new("unknown-ca");
    pki.issue("");
    let hooks = HookServer::start(&pki);
    let settings = [
        "hooks.enabled=true".to_owned(),
        format!("hooks.on_publish=https://127.0.0.1:{}/hook", hooks.port),
    ];
    let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
    let weir = Weir::start(&settings);
    let publisher = support::ffmpeg_publish(&weir.rtmp_url("s"), 3);
    let (ok, _, _) = finish(publisher, Duration::from_secs(20));
    assert!(
        !ok,
        "published past a hook whose certificate is not trusted"
    );
    assert!(
        hooks.bodies.lock().unwrap().is_empty(),
        "no request got through"
    );
    let log = weir.log();
    assert!(log.contains("publish denied"), "{log}");
    assert!(log.to_lowercase().contains("certificate"), "{log}");
}

#[test]
fn test_config_checks_the_certificate_files() {
    let pki = Pki::new("test-config");
    pki.issue("");
    let file = pki.path("weir.toml");
    let check = |text: String| {
        std::fs::write(&file, text).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
        let (ok, stdout, stderr) = run(
            command.args(["serve", "--test-config"]).arg(&file),
            Duration::from_secs(10),
        );
        (ok, stdout + &stderr)
    };
    let rtmps = |cert: &str| {
        let (cert, key) = (pki.arg(cert), pki.arg("key.pem"));
        format!("[rtmps]\nenabled = true\ncert = {cert:?}\nkey = {key:?}\n")
    };
    let (ok, out) = check(rtmps("cert.pem"));
    assert!(ok && out.contains("is good"), "{out}");
    let (ok, out) = check(rtmps("missing.pem"));
    assert!(!ok && out.contains("rtmps.cert = "), "{out}");
    let (ok, out) = check("[hooks]\nca = \"/nonexistent/ca.pem\"\n".into());
    assert!(!ok && out.contains("hooks.ca = "), "{out}");
}

#[test]
fn sighup_reloads_the_certificates_for_new_connections() {
    let pki = Pki::new("sighup");
    pki.issue("a-");
    let (weir, port) = start_rtmps(&pki);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let first = runtime.block_on(handshake(port, &pki.path("a-ca.pem")));
    assert!(first.is_ok(), "{first:?}");
    let second = pki.issue("b-");
    // SAFETY: kill(2) takes integers and touches no memory of this process.
    unsafe { libc::kill(weir.pid() as i32, libc::SIGHUP) };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = runtime.block_on(handshake(port, &pki.path("b-ca.pem")));
        if now.as_ref().ok() == Some(&second) {
            break;
        }
        assert!(Instant::now() < deadline, "{now:?}\n{}", weir.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}
