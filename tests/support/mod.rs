//! What the integration tests share: free ports, `weir serve` and nginx-rtmp as child
//! processes, and a small tokio loop around our RTMP client machine. (Peers, the corpus,
//! temp files and FLV media come from `weir_testkit`.)
#![allow(dead_code)] // each test crate uses its own part

pub mod pki;
pub mod redis;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use weir_media::Machine;
use weir_media::Output;
use weir_rtmp::handshake::HandshakeKind;
use weir_rtmp::session::{ClientEvent, ClientOptions, ClientSession, SessionConfig};
use weir_testkit::{SeededRng, TempPath, peer};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx with the RTMP module, in its own prefix directory, killed on drop.
pub struct Nginx {
    child: Child,
    pub port: u16,
    pub dir: TempPath,
}

impl Nginx {
    pub fn start() -> Nginx {
        let nginx = peer::binary("NGINX", "nginx");
        let module = Path::new("/usr/lib/nginx/modules/ngx_rtmp_module.so");
        assert!(
            module.exists(),
            "nginx's RTMP module is missing: apt-get install libnginx-mod-rtmp"
        );
        let port = free_port();
        let dir = TempPath::dir("nginx");
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {dir}/nginx.pid;\n\
             error_log {dir}/logs/error.log info;\nload_module {module};\n\
             events {{ worker_connections 64; }}\n\
             rtmp {{ server {{ listen 127.0.0.1:{port}; chunk_size 4096;\n\
             application live {{ live on; record off; }} }} }}\n",
            dir = dir.display(),
            module = module.display(),
        );
        std::fs::write(dir.join("nginx.conf"), config).unwrap();
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {port}: {}",
                Nginx::log_of(&dir)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Nginx { child, port, dir }
    }

    pub fn url(&self, stream: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{stream}", self.port)
    }

    pub fn log_of(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// node-media-server (npm, pinned in `tests/nms/package.json`; `ci/install-peers` installs
/// it), started here on free loopback ports with its own config file: the program writes
/// generated secrets back into its config, so it gets a copy of its own, secrets filled in.
pub struct Nms {
    child: Child,
    pub rtmp: u16,
    pub http: u16,
    pub dir: TempPath,
}

impl Nms {
    pub fn start() -> Nms {
        let app = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/nms/node_modules/node-media-server/bin/app.js");
        assert!(
            app.exists(),
            "node-media-server is missing: run ci/install-peers (npm ci in tests/nms)"
        );
        let (rtmp, http) = (free_port(), free_port());
        let dir = TempPath::dir("nms");
        let config = serde_json::json!({
            "bind": "127.0.0.1",
            "notify": { "url": "" },
            "store": { "path": dir.join("data"), "maxHistory": 100 },
            "auth": {
                "play": false, "publish": false, "secret": "weir-tests",
                "jwt": { "secret": "weir-tests", "expiresIn": "1h", "refreshExpiresIn": "1h",
                         "algorithm": "HS256", "users": [] }
            },
            "rtmp": { "port": rtmp },
            "http": { "port": http },
            "webadmin": { "enable": false },
            "record": { "auto": false, "path": dir.join("record") }
        });
        std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
        let child = Command::new(peer::binary("NODE", "node"))
            .arg(&app)
            .arg("-c")
            .arg(dir.join("config.json"))
            .stdout(std::fs::File::create(dir.join("log")).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in [rtmp, http] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "node-media-server did not listen on {port}: {}",
                    std::fs::read_to_string(dir.join("log")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Nms {
            child,
            rtmp,
            http,
            dir,
        }
    }

    pub fn url(&self, stream: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{stream}", self.rtmp)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Nms {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a GET of `url` as far as it came within `total` (the request is tried again
/// until the server answers 200): for a live body whose publisher stops well before `total`,
/// the whole of what was sent.
pub fn http_body_for(url: &str, total: Duration) -> Vec<u8> {
    use std::io::Read;
    let deadline = Instant::now() + total;
    let client = reqwest::blocking::Client::new();
    let mut response = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "{url} did not answer 200 within {total:?}");
        match client.get(url).timeout(left).send() {
            Ok(r) if r.status().is_success() => break r,
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let mut body = Vec::new();
    let mut buf = [0u8; 16384];
    // The request's timeout ends the read: an error here is the deadline, or the end.
    while let Ok(n @ 1..) = response.read(&mut buf) {
        body.extend_from_slice(&buf[..n]);
    }
    body
}

/// The small tokio loop around our client machine.
pub struct Client {
    pub tcp: TcpStream,
    pub session: ClientSession,
    pub events: Vec<ClientEvent>,
    pub violations: Vec<weir_media::Violation>,
}

impl Client {
    pub async fn connect(port: u16, handshake: HandshakeKind) -> Client {
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect to the server");
        Client::from_stream(tcp, port, handshake).await
    }

    /// A client over a connection the caller made (with its own socket options).
    pub async fn from_stream(tcp: TcpStream, port: u16, handshake: HandshakeKind) -> Client {
        tcp.set_nodelay(true).unwrap();
        let mut options = ClientOptions::new(&format!("rtmp://127.0.0.1:{port}/live"), "live");
        options.handshake = handshake;
        let rng = Box::new(SeededRng::new(port.into()));
        let session = ClientSession::new(SessionConfig::default(), options, Instant::now(), rng);
        let mut client = Client {
            tcp,
            session,
            events: Vec::new(),
            violations: Vec::new(),
        };
        client.flush().await;
        client
    }

    /// Writes what the machine wants to send; keeps its events and violations.
    pub async fn flush(&mut self) {
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Transmit(bytes) => {
                    self.tcp.write_all(&bytes).await.expect("write to nginx")
                }
                Output::Event(event) => self.events.push(event),
                Output::Violation(v) => self.violations.push(v),
            }
        }
    }

    /// Reads once from nginx (at most `wait`) and hands the bytes to the machine. False on EOF
    /// or when nothing came.
    pub async fn read(&mut self, wait: Duration) -> bool {
        let mut buf = vec![0; 64 * 1024];
        let n = match tokio::time::timeout(wait, self.tcp.read(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => panic!("read from the server: {e}"),
            Err(_) => return false,
        };
        if n == 0 {
            return false;
        }
        self.session
            .handle_input(Instant::now(), &buf[..n])
            .expect("the server's bytes decode");
        self.flush().await;
        true
    }

    /// How many audio and video messages the client has received.
    pub fn media_messages(&self) -> usize {
        self.events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    ClientEvent::Data {
                        data: weir_rtmp::session::StreamData::Media(_),
                        ..
                    }
                )
            })
            .count()
    }

    /// Reads until an event matches, or fails after `wait`.
    pub async fn until(
        &mut self,
        wait: Duration,
        what: &str,
        found: impl Fn(&ClientEvent) -> bool,
    ) {
        let deadline = Instant::now() + wait;
        while !self.events.iter().any(&found) {
            assert!(
                Instant::now() < deadline,
                "no {what} within {wait:?}: {:#?}",
                self.events
            );
            self.read(Duration::from_millis(200)).await;
        }
    }
}

/// `weir serve` on free loopback ports, its log in a file; stopped with SIGTERM on drop.
pub struct Weir {
    child: Child,
    pub rtmp: u16,
    pub http: u16,
    pub api: u16,
    /// The MPEG-TS over UDP port, unless the settings turned it off.
    pub mpegts: Option<u16>,
    /// The WebRTC media (UDP) port, unless the settings turned WebRTC off.
    pub rtc: Option<u16>,
    /// The SRT (UDP) port, unless the settings turned SRT off.
    pub srt: Option<u16>,
    /// The GB28181 media port (TCP and UDP), unless the settings turned it off.
    pub gb28181: Option<u16>,
    log: PathBuf,
}

impl Weir {
    /// Starts the server with extra `--set key=value` settings.
    pub fn start(settings: &[&str]) -> Weir {
        Weir::launch(None, settings)
    }

    /// Starts the server with a config file and extra settings.
    pub fn start_with_config(config: &Path, settings: &[&str]) -> Weir {
        Weir::launch(Some(config), settings)
    }

    /// Starts `weir serve` on port 0 for every listener and learns the ports it bound from its
    /// log: picking "free" ports beforehand races with every other test (two listeners were once
    /// handed the same port).
    fn launch(config: Option<&Path>, settings: &[&str]) -> Weir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static LAUNCHED: AtomicU32 = AtomicU32::new(0);
        let n = LAUNCHED.fetch_add(1, Ordering::Relaxed);
        let log = std::env::temp_dir().join(format!("weir-serve-{}-{n}.log", std::process::id()));
        let out = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
        command
            .arg("serve")
            .args(["--rtmp-listen", "127.0.0.1:0"])
            .args(["--http-listen", "127.0.0.1:0"])
            .args(["--api-listen", "127.0.0.1:0"])
            .args(["--set", "mpegts.listen=127.0.0.1:0"])
            .args(["--set", "rtc.listen=127.0.0.1:0"])
            .args(["--set", "srt.listen=127.0.0.1:0"])
            .args(["--set", "gb28181.listen=127.0.0.1:0"]);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        for setting in settings {
            command.args(["--set", setting]);
        }
        let child = command
            .env("RUST_LOG", "info,weir_server=debug")
            .env("NO_COLOR", "1")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("weir serve starts");
        let mut weir = Weir {
            child,
            rtmp: 0,
            http: 0,
            api: 0,
            mpegts: None,
            rtc: None,
            srt: None,
            gb28181: None,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = weir.log();
            let port = |key: &str| {
                let at = text.find(key)? + key.len();
                let addr = text[at..].split_whitespace().next()?;
                addr.rsplit_once(':')?.1.parse::<u16>().ok()
            };
            if let (Some(rtmp), Some(http), Some(api)) =
                (port("rtmp_addr="), port("http_addr="), port("api_addr="))
            {
                (weir.rtmp, weir.http, weir.api) = (rtmp, http, api);
                weir.mpegts = port("mpegts_addr=");
                weir.rtc = port("rtc_addr=");
                weir.srt = port("srt_addr=");
                weir.gb28181 = port("gb28181_addr=");
                return weir;
            }
            if let Some(status) = weir.child.try_wait().unwrap() {
                panic!("weir serve exited ({status}): {text}");
            }
            assert!(
                Instant::now() < deadline,
                "weir serve did not listen within 10 s: {text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn rtmp_url(&self, stream: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{stream}", self.rtmp)
    }

    /// The SRT URL of `live/{stream}` in mode `mode` (`publish` or `request`), as ffmpeg takes
    /// it (the stream id's `#` literal).
    pub fn srt_url(&self, stream: &str, mode: &str) -> String {
        let port = self.srt.expect("SRT is on");
        format!("srt://127.0.0.1:{port}?streamid=#!::r=live/{stream},m={mode}")
    }

    pub fn flv_url(&self, stream: &str) -> String {
        format!("http://127.0.0.1:{}/live/{stream}.flv", self.http)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (at most 10 s) for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) takes integers and touches no memory of this process, so the call is
        // sound whatever the pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "weir serve ignored SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The first client the API lists with `type` (`rtc-publish`, `mpegts-publish`...).
    pub fn client_of_type(&self, kind: &str) -> Option<serde_json::Value> {
        let clients = self.api("/api/v1/clients/");
        clients["clients"]
            .as_array()?
            .iter()
            .find(|c| c["type"] == kind)
            .cloned()
    }

    /// The Prometheus value of an unlabelled series of `/metrics`.
    pub fn metric(&self, name: &str) -> u64 {
        let text = reqwest::blocking::get(self.api_url("/metrics"))
            .unwrap()
            .text()
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    }

    pub fn api_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.api)
    }

    /// GETs an API path (e.g. `/api/v1/streams/`) and parses the JSON.
    pub fn api(&self, path: &str) -> serde_json::Value {
        let url = format!("http://127.0.0.1:{}{path}", self.api);
        let response = reqwest::blocking::get(&url).unwrap_or_else(|e| panic!("GET {url}: {e}"));
        response
            .json()
            .unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
    }

    /// The HLS URL of stream `name`, once its playlist lists `segments` segments.
    pub fn wait_for_hls(&self, name: &str, segments: usize) -> String {
        let url = format!("http://127.0.0.1:{}/live/{name}.m3u8", self.http);
        let deadline = Instant::now() + Duration::from_secs(15);
        while !reqwest::blocking::get(&url)
            .and_then(|r| r.text())
            .is_ok_and(|t| t.matches("#EXTINF").count() >= segments)
        {
            assert!(
                Instant::now() < deadline,
                "no {segments} HLS segments for {name}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        url
    }

    /// Kicks client `id` through the API (`DELETE /api/v1/clients/{id}`); whether it answered
    /// with success.
    pub fn kick(&self, id: &str) -> bool {
        reqwest::blocking::Client::new()
            .delete(self.api_url(&format!("/api/v1/clients/{id}")))
            .send()
            .is_ok_and(|r| r.status().is_success())
    }

    /// The API's stream named `name` once its publisher is active and its video is known.
    pub fn wait_for_stream(&self, name: &str, wait: Duration) -> serde_json::Value {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(stream) = self.live_stream(name) {
                return stream;
            }
            assert!(
                Instant::now() < deadline,
                "stream {name} not live within {wait:?}: {:#}\n{}",
                self.api("/api/v1/streams/"),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stream `name` as the API lists it, if it is published and its video is known.
    pub fn live_stream(&self, name: &str) -> Option<serde_json::Value> {
        let streams = self.api("/api/v1/streams/");
        streams["streams"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["name"] == name))
            .filter(|s| s["publish"]["active"] == true && s["video"].is_object())
            .cloned()
    }
}

impl Drop for Weir {
    fn drop(&mut self) {
        // SAFETY: kill(2) takes integers and touches no memory of this process, so the call is
        // sound whatever the pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        } else {
            eprintln!("weir serve log:\n{}", self.log());
        }
    }
}

/// `ffmpeg` publishing a test pattern (H.264 Main 640x360 at 25 fps, one keyframe a second)
/// and a tone (AAC 44.1 kHz stereo) in real time for `seconds`, to `url`.
pub fn ffmpeg_publish(url: &str, seconds: u32) -> Child {
    ffmpeg_publish_as(url, seconds, "flv")
}

/// [`ffmpeg_publish`] in container `format` (`mpegts` for SRT and UDP).
pub fn ffmpeg_publish_as(url: &str, seconds: u32, format: &str) -> Child {
    ffmpeg_publish_with(url, seconds, format, &[])
}

/// [`ffmpeg_publish_as`] with extra output options (`-ca_file`, say) before the URL.
pub fn ffmpeg_publish_with(url: &str, seconds: u32, format: &str, options: &[&str]) -> Child {
    let encode = [
        &["-profile:v", "main", "-g", "25", "-pix_fmt", "yuv420p"][..],
        &["-c:a", "aac", "-ac", "2", "-b:a", "64k", "-f", format],
        options,
    ]
    .concat();
    ffmpeg_publisher(url, seconds, ("640x360", 25), 44100, &encode)
}

/// `ffmpeg` publishing in FLV what the publisher of `captures/*-weir*.pcapng` published
/// (captures/README.md): H.264 High 320x180 at 15 fps and AAC mono 22.05 kHz, for `seconds`.
pub fn ffmpeg_publish_like_captures(url: &str, seconds: u32) -> Child {
    let encode = ["-g", "15", "-pix_fmt", "yuv420p", "-b:v", "150k"];
    let audio = ["-c:a", "aac", "-ac", "1", "-b:a", "32k", "-f", "flv"];
    ffmpeg_publisher(
        url,
        seconds,
        ("320x180", 15),
        22050,
        &[&encode[..], &audio].concat(),
    )
}

/// `ffmpeg -re` encoding a test pattern of `video` (size, rate) and a tone at `audio_rate`
/// with x264 (veryfast, zerolatency) and the `encode` options, to `url`.
fn ffmpeg_publisher(
    url: &str,
    seconds: u32,
    video: (&str, u32),
    audio_rate: u32,
    encode: &[&str],
) -> Child {
    let ffmpeg = peer::binary("FFMPEG", "ffmpeg");
    Command::new(ffmpeg)
        .args(["-v", "error", "-re"])
        .args(["-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={}:rate={}", video.0, video.1))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:sample_rate={audio_rate}"))
        .args(["-t", &seconds.to_string()])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
        ])
        .args(encode)
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg starts")
}

/// Waits until `check` holds (looking every 200 ms), for at most `wait`.
pub fn eventually(what: &str, wait: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + wait;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {wait:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs a command to completion within `wait`, killing it otherwise: (success, stdout, stderr).
pub fn run(command: &mut Command, wait: Duration) -> (bool, String, String) {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    finish(child, wait)
}

/// Waits for a child (its output piped) at most `wait`, killing it then: (success, stdout,
/// stderr).
pub fn finish(child: Child, wait: Duration) -> (bool, String, String) {
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let output = match rx.recv_timeout(wait) {
        Ok(output) => output,
        Err(_) => {
            // SAFETY: kill(2) takes integers and touches no memory of this process, so the call
            // is sound whatever the pid.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            rx.recv().unwrap()
        }
    }
    .unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// Runs a `weir` command that prints a JSON report: its exit code and the report.
pub fn weir_json(command: &mut Command) -> (i32, serde_json::Value) {
    let out = command.output().expect("weir runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

/// `weir probe URL --format json ARGS` (20 s per case unless ARGS say).
pub fn probe(url: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command.args(["probe", url, "--format", "json"]).args(args);
    if !args.contains(&"--timeout") {
        command.args(["--timeout", "20"]);
    }
    weir_json(&mut command)
}

/// A probe report's cases: (id, status, what it said: its note, actual or reason).
pub fn outcomes(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let o = &c["outcome"];
            let said = [&o["note"], &o["actual"], &o["why"]]
                .iter()
                .find_map(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            (
                c["id"].as_str().unwrap().to_owned(),
                o["status"].as_str().unwrap().to_owned(),
                said,
            )
        })
        .collect()
}

/// Probes `url` ([`probe`]) and checks every case against `expected` (id, status, words its
/// verdict holds; all of them, in order); returns the exit code and the report.
pub fn pin(
    url: &str,
    args: &[&str],
    expected: &[(&str, &str, &[&str])],
) -> (i32, serde_json::Value) {
    let (code, report) = probe(url, args);
    let got = outcomes(&report);
    let ids: Vec<&str> = got.iter().map(|(id, _, _)| id.as_str()).collect();
    let wanted: Vec<&str> = expected.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, wanted, "{report:#}");
    for ((id, status, said), (_, want, words)) in got.iter().zip(expected) {
        assert_eq!(status, want, "{id}: {said}\n{report:#}");
        for word in *words {
            assert!(said.contains(word), "{id}: {said:?} lacks {word:?}");
        }
    }
    (code, report)
}

/// What ffprobe says of a URL's streams (codec, profile, size, audio format), as JSON.
pub fn ffprobe_streams(url: &str) -> serde_json::Value {
    let (ok, stdout, stderr) = run(
        Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args(["-v", "error", "-rw_timeout", "10000000"])
            .args([
                "-show_entries",
                "stream=codec_name,profile,width,height,sample_rate,channels",
            ])
            .args(["-of", "json", url]),
        Duration::from_secs(20),
    );
    assert!(ok, "ffprobe {url} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// The codec names of an [`ffprobe_streams`] answer, sorted ("unknown" streams left out).
pub fn codecs(probe: &serde_json::Value) -> Vec<String> {
    let mut codecs: Vec<String> = probe["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["codec_name"].as_str().map(str::to_owned))
        .filter(|c| c != "unknown")
        .collect();
    codecs.sort();
    codecs
}

/// A one-thread runtime of a test's own (for a hook server, say) and a listener on a free
/// loopback port bound in it: (runtime, listener, port).
pub fn background_listener() -> (tokio::runtime::Runtime, tokio::net::TcpListener, u16) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    (runtime, listener, port)
}

/// Runs a headless Chromium driver script of tests/webrtc (its packages installed by
/// ci/install-peers) with `options` as its JSON argument, and parses the JSON it prints.
pub fn browser(script: &str, options: serde_json::Value, wait: Duration) -> serde_json::Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webrtc");
    assert!(
        Path::new(dir).join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run ci/install-peers (npm install in tests/webrtc)"
    );
    let (ok, stdout, stderr) = run(
        Command::new("node")
            .current_dir(dir)
            .arg(script)
            .arg(options.to_string()),
        wait,
    );
    assert!(ok, "the Chromium driver {script} failed: {stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
}

/// A hook server on a free port: records every body; allows unless the stream is "denied".
pub struct HookServer {
    port: u16,
    bodies: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    _runtime: tokio::runtime::Runtime,
}

impl HookServer {
    pub fn start() -> HookServer {
        let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = bodies.clone();
        let (runtime, listener, port) = background_listener();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
                let recorded = recorded.clone();
                async move {
                    let deny = body["stream"] == "denied";
                    recorded.lock().unwrap().push(body);
                    if deny { r#"{"code":1}"# } else { "0" }
                }
            }),
        );
        runtime.spawn(async move { axum::serve(listener, app).await });
        HookServer {
            port,
            bodies,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }

    /// Waits until a body for `action` on `stream` has arrived.
    pub fn wait_for(&self, action: &str, stream: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = self
                .bodies()
                .into_iter()
                .find(|b| b["action"] == action && b["stream"].as_str().unwrap_or("") == stream);
            if let Some(body) = found {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "no {action} for {stream}: {:#?}",
                self.bodies()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The port `weir serve` logged as `{key}=`, waiting for it a while.
pub fn logged_port(weir: &Weir, key: &str) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = weir.log();
        let port = log.find(key).and_then(|at| {
            let addr = log[at + key.len()..].split_whitespace().next()?;
            addr.rsplit_once(':')?.1.parse().ok()
        });
        if let Some(port) = port {
            return port;
        }
        assert!(Instant::now() < deadline, "no {key} in the log: {log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The rules of the cases a probe report failed: a failing case breaks every rule it is bound
/// to (the report lists them), which is how a live rule fails.
pub fn failed_rules(report: &serde_json::Value) -> Vec<String> {
    let mut rules: Vec<String> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"]["status"] == "fail")
        .flat_map(|c| c["rules"].as_array().unwrap().iter())
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

/// Issue 15's table for a prober's live rules: `breaks` names, for each rule, the misbehaving
/// fake whose probe run fails it, and `runs` holds each fake's [`failed_rules`]; every rule of
/// `catalog` must be named and fail in its fake's run ([`weir_testkit::rule_table::check`]).
pub fn check_live_rules(
    catalog: &[&weir_media::Rule],
    breaks: &[(&str, &str)],
    runs: &[(&str, Vec<String>)],
) {
    let table: Vec<(&str, Vec<&str>)> = breaks
        .iter()
        .map(|(rule, fake)| {
            let (_, failed) = runs
                .iter()
                .find(|(name, _)| name == fake)
                .unwrap_or_else(|| panic!("{rule}: no run of fake {fake}"));
            (*rule, failed.iter().map(String::as_str).collect())
        })
        .collect();
    weir_testkit::rule_table::check(catalog, &table);
}
