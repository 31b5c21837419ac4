//! Real peer: our RTMP client machine, driven by a small tokio loop, against nginx-rtmp
//! (Debian's libnginx-mod-rtmp), started here on a free loopback port with its own config.
//!
//! - A stream our client publishes (the real media of the corpus's avatar.flv) plays back in
//!   `ffprobe` with the right codecs and size.
//! - A stream `ffmpeg` publishes plays through our client with every frame, byte for byte.
//!
//! Peers are found on PATH or through `NGINX`, `FFMPEG` and `FFPROBE`; `ci/test` installs them.

use bytes::Bytes;
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use weir_flv::{FlvReader, TagType};
use weir_media::Output;
use weir_rtmp::handshake::{DigestScheme, HandshakeKind};
use weir_rtmp::session::{
    ClientEvent, ClientOptions, ClientSession, PublishKind, SessionConfig, StreamData,
};

/// A peer's binary: `$var`, else `name` on PATH, else /usr/sbin/`name` (where Debian puts nginx,
/// and which a non-root PATH may lack).
fn tool(var: &str, name: &str) -> String {
    let runs = |bin: &str| {
        let quiet = Stdio::null;
        Command::new(bin)
            .arg("-version")
            .stdout(quiet())
            .stderr(quiet())
            .status()
            .is_ok()
    };
    let sbin = format!("/usr/sbin/{name}");
    let bin = match std::env::var(var) {
        Ok(bin) => bin,
        Err(_) if !runs(name) && runs(&sbin) => sbin,
        Err(_) => name.to_owned(),
    };
    assert!(
        runs(&bin),
        "{name} is missing: run ci/install-peers (apt-get install {name}) or set {var}"
    );
    bin
}

fn corpus(path: &str) -> PathBuf {
    let root = std::env::var("WEIR_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus").into());
    let file = PathBuf::from(root).join(path);
    assert!(
        file.exists(),
        "corpus file {} is missing (set WEIR_CORPUS)",
        file.display()
    );
    file
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx with the RTMP module, in its own prefix directory, killed on drop.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start() -> Nginx {
        let nginx = tool("NGINX", "nginx");
        let module = Path::new("/usr/lib/nginx/modules/ngx_rtmp_module.so");
        assert!(
            module.exists(),
            "nginx's RTMP module is missing: apt-get install libnginx-mod-rtmp"
        );
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("weir-nginx-{}-{port}", std::process::id()));
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

    fn url(&self, stream: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{stream}", self.port)
    }

    fn log_of(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The small tokio loop around our client machine.
struct Client {
    tcp: TcpStream,
    session: ClientSession,
    events: Vec<ClientEvent>,
    violations: Vec<weir_media::Violation>,
}

impl Client {
    async fn connect(port: u16, handshake: HandshakeKind) -> Client {
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect to nginx");
        tcp.set_nodelay(true).unwrap();
        let mut options = ClientOptions::new(&format!("rtmp://127.0.0.1:{port}/live"), "live");
        options.handshake = handshake;
        let rng = Box::new(rand::rngs::StdRng::seed_from_u64(port.into()));
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
    async fn flush(&mut self) {
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
    async fn read(&mut self, wait: Duration) -> bool {
        let mut buf = vec![0; 64 * 1024];
        let n = match tokio::time::timeout(wait, self.tcp.read(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => panic!("read from nginx: {e}"),
            Err(_) => return false,
        };
        if n == 0 {
            return false;
        }
        self.session
            .handle_input(Instant::now(), &buf[..n])
            .expect("nginx's bytes decode");
        self.flush().await;
        true
    }

    /// Reads until an event matches, or fails after `wait`.
    async fn until(&mut self, wait: Duration, what: &str, found: impl Fn(&ClientEvent) -> bool) {
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

/// Audio and video tags of an FLV file: (is_video, timestamp, body).
fn media_tags(file: &Path) -> Vec<(bool, u32, Bytes)> {
    let mut reader = FlvReader::new();
    reader.push(&std::fs::read(file).unwrap());
    let mut tags = Vec::new();
    while let Some(tag) = reader.next_tag().expect("the FLV file reads") {
        match tag.header.tag_type {
            TagType::Audio => tags.push((false, tag.header.timestamp, tag.body)),
            TagType::Video => tags.push((true, tag.header.timestamp, tag.body)),
            _ => {}
        }
    }
    tags
}

#[tokio::test(flavor = "current_thread")]
async fn our_client_publishes_to_nginx_rtmp_and_ffprobe_plays_it() {
    let ffprobe = tool("FFPROBE", "ffprobe");
    let nginx = Nginx::start();
    let mut publisher = Client::connect(
        nginx.port,
        HandshakeKind::Complex {
            scheme: DigestScheme::Scheme0,
        },
    )
    .await;
    publisher
        .session
        .publish("ours", PublishKind::Live)
        .unwrap();
    publisher.flush().await;
    publisher
        .until(Duration::from_secs(5), "Publishing", |e| {
            matches!(e, ClientEvent::Publishing { .. })
        })
        .await;

    // ffprobe joins while we publish the file's media in real time, twice over.
    let url = nginx.url("ours");
    let probe = tokio::process::Command::new(ffprobe)
        .args([
            "-v",
            "error",
            "-rw_timeout",
            "15000000",
            "-show_entries",
            "stream=codec_name,width,height,sample_rate,channels",
        ])
        .args(["-of", "compact", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("ffprobe starts");
    let tags = media_tags(&corpus("flv/avatar.flv"));
    let last = tags.last().map(|t| t.1).unwrap_or(0);
    let start = tokio::time::Instant::now();
    for round in 0..2u32 {
        for (video, ts, body) in &tags {
            let at = round * (last + 40) + ts;
            tokio::time::sleep_until(start + Duration::from_millis(at.into())).await;
            publisher
                .session
                .send_media(at, *video, body.clone())
                .unwrap();
            publisher.flush().await;
        }
    }
    let output = tokio::time::timeout(Duration::from_secs(20), probe.wait_with_output())
        .await
        .expect("ffprobe finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ffprobe failed: {stderr}\nnginx: {}",
        Nginx::log_of(&nginx.dir)
    );
    assert!(
        stdout.contains("codec_name=h264|width=768|height=320"),
        "{stdout}"
    );
    assert!(
        stdout.contains("codec_name=aac") && stdout.contains("sample_rate=44100|channels=2"),
        "{stdout}"
    );
    assert!(
        publisher.violations.is_empty(),
        "nginx broke no rule: {:#?}",
        publisher.violations
    );
}

#[tokio::test(flavor = "current_thread")]
async fn ffmpeg_publishes_to_nginx_rtmp_and_our_client_plays_every_frame() {
    let ffmpeg = tool("FFMPEG", "ffmpeg");
    let nginx = Nginx::start();
    // The reference: an FLV file made by ffmpeg, whose every tag we expect back.
    let file = nginx.dir.join("source.flv");
    let made = Command::new(&ffmpeg)
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=25",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            "3",
        ])
        .args([
            "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv",
        ])
        .arg(&file)
        .status()
        .unwrap();
    assert!(made.success(), "ffmpeg made the source file");
    let sent = media_tags(&file);
    let (video_sent, audio_sent) = (
        sent.iter().filter(|t| t.0).count(),
        sent.iter().filter(|t| !t.0).count(),
    );
    assert!(
        video_sent >= 75 && audio_sent >= 100,
        "{video_sent} video and {audio_sent} audio tags"
    );

    // Our client plays first and waits (nginx-rtmp keeps idle streams); then ffmpeg publishes.
    let mut player = Client::connect(nginx.port, HandshakeKind::Simple).await;
    player.session.play("theirs", -2.0).unwrap();
    player.flush().await;
    player
        .until(Duration::from_secs(5), "Playing", |e| {
            matches!(e, ClientEvent::Playing { .. })
        })
        .await;
    let mut publisher = tokio::process::Command::new(&ffmpeg)
        .args(["-v", "error", "-re", "-i"])
        .arg(&file)
        .args(["-c", "copy", "-f", "flv", &nginx.url("theirs")])
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let frames = |events: &[ClientEvent]| {
        events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    ClientEvent::Data {
                        data: StreamData::Media(_),
                        ..
                    }
                )
            })
            .count()
    };
    while frames(&player.events) < sent.len() && Instant::now() < deadline {
        player.read(Duration::from_millis(500)).await;
    }
    let status = publisher.wait().await.unwrap();
    assert!(status.success(), "ffmpeg published");

    // Every tag ffmpeg sent arrived, in order, with the same body and timestamp.
    let received: Vec<(bool, u32, Bytes)> = player
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Data {
                timestamp,
                data: StreamData::Media(p),
                ..
            } => Some((p, *timestamp)),
            _ => None,
        })
        .map(|(packet, ts)| {
            let video = packet.track().kind == weir_media::MediaKind::Video;
            (video, ts, weir_flv::write_packet(packet).unwrap())
        })
        .collect();
    // Each track's tags in order (nginx may interleave the two tracks differently at equal
    // timestamps, which changes nothing for a player).
    for video in [true, false] {
        let track = |tags: &[(bool, u32, Bytes)]| -> Vec<(u32, Bytes)> {
            tags.iter()
                .filter(|t| t.0 == video)
                .map(|t| (t.1, t.2.clone()))
                .collect()
        };
        let (got, want) = (track(&received), track(&sent));
        let kind = if video { "video" } else { "audio" };
        assert_eq!(got.len(), want.len(), "every {kind} tag arrives");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                g == w,
                "{kind} tag {i} differs: {} bytes at {} ms, sent {} bytes at {} ms",
                g.1.len(),
                g.0,
                w.1.len(),
                w.0
            );
        }
    }
    assert!(
        player.violations.is_empty(),
        "nginx broke no rule: {:#?}",
        player.violations
    );
}
