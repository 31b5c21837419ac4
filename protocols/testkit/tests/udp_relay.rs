//! The lossy UDP relay between real sockets: everything through at 0 % loss, exactly what its
//! counters say at 20 %, both directions; and an SRT session from FFmpeg to
//! srt-live-transmit through it at 5 % loss that loses no video frame (skipped, saying so,
//! when either tool is missing).

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use weir_testkit::netsim::{Profile, SeedGuard};
use weir_testkit::udp_relay::RelayStats;
use weir_testkit::{TempPath, UdpRelay};

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Counts datagrams on `socket` until none comes for `quiet`, answering each to its sender
/// when `echo` is set; on a thread, so no socket buffer fills while the test sends.
fn receiver(socket: UdpSocket, echo: bool, quiet: Duration) -> JoinHandle<usize> {
    socket.set_read_timeout(Some(quiet)).unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let mut got = 0;
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            got += 1;
            if echo {
                socket.send_to(&buf[..n], from).unwrap();
            }
        }
        got
    })
}

/// Sends `count` numbered datagrams from a client through a relay with `loss` to an upstream
/// socket, which answers each one it gets to where it came from (the relay); returns (what
/// reached upstream, what came back to the client, the relay's counters).
fn echo_through(loss: f64, seed: u64, count: u32) -> (usize, usize, RelayStats) {
    let quiet = Duration::from_millis(500);
    let upstream = UdpSocket::bind(localhost()).unwrap();
    let relay = UdpRelay::start(
        localhost(),
        upstream.local_addr().unwrap(),
        Profile::lossy(loss, Duration::from_millis(2)),
        seed,
    )
    .unwrap();
    let upstream = receiver(upstream, true, quiet);
    let client = UdpSocket::bind(localhost()).unwrap();
    client.connect(relay.local_addr()).unwrap();
    let back = receiver(client.try_clone().unwrap(), false, quiet);
    for i in 0..count {
        client.send(&i.to_be_bytes()).unwrap();
        if i % 10 == 9 {
            // Paced (10 000 datagrams/s), so no socket buffer on the way overflows.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let (up, back) = (upstream.join().unwrap(), back.join().unwrap());
    let stats = relay.stop().unwrap();
    (up, back, stats)
}

#[test]
fn a_healed_relay_loses_nothing_more() {
    let quiet = Duration::from_millis(500);
    let upstream = UdpSocket::bind(localhost()).unwrap();
    let relay = UdpRelay::start(
        localhost(),
        upstream.local_addr().unwrap(),
        Profile::lossy(1.0, Duration::from_millis(2)),
        1,
    )
    .unwrap();
    let upstream = receiver(upstream, false, quiet);
    let client = UdpSocket::bind(localhost()).unwrap();
    client.connect(relay.local_addr()).unwrap();
    let send = |n: u32| {
        for i in 0..n {
            client.send(&i.to_be_bytes()).unwrap();
        }
    };
    send(100);
    // Every one of those is lost before the relay hears of the heal.
    while relay.stats().to_upstream.sent < 100 {
        std::thread::sleep(Duration::from_millis(1));
    }
    relay.heal();
    std::thread::sleep(Duration::from_millis(50));
    send(100);
    assert_eq!(upstream.join().unwrap(), 100);
    let stats = relay.stop().unwrap();
    assert_eq!(
        (stats.to_upstream.dropped, stats.to_upstream.delivered),
        (100, 100)
    );
}

#[test]
fn a_clean_relay_forwards_every_datagram_both_ways() {
    let (up, back, stats) = echo_through(0.0, 1, 1_000);
    assert_eq!((up, back), (1_000, 1_000));
    assert_eq!(stats.to_upstream.dropped, 0);
    assert_eq!(stats.to_client.delivered, 1_000);
}

#[test]
fn a_lossy_relay_drops_what_its_counters_say_and_about_its_share() {
    let guard = SeedGuard::from_env(20);
    let (up, back, stats) = echo_through(0.2, guard.seed(), 2_000);
    assert_eq!(stats.to_upstream.sent, 2_000);
    assert_eq!(stats.to_upstream.delivered, up as u64, "{stats:?}");
    assert_eq!(
        stats.to_upstream.sent - stats.to_upstream.dropped,
        up as u64
    );
    assert_eq!(stats.to_client.sent, up as u64);
    assert_eq!(stats.to_client.delivered, back as u64);
    // Binomial(2000, 0.2): a standard deviation of about 18.
    let lost = 2_000 - up;
    assert!(
        (320..=480).contains(&lost),
        "{lost} lost of 2000: {stats:?}"
    );
    // Back the same way: 20 % of what reached upstream, give or take.
    let lost_back = up - back;
    assert!(
        lost_back * 100 >= up * 14 && lost_back * 100 <= up * 26,
        "{lost_back} of {up}"
    );
}

/// An installed tool, or `None` with a message saying the test is skipped.
fn tool(var: &str, name: &str) -> Option<String> {
    let bin = std::env::var(var).unwrap_or_else(|_| name.to_owned());
    let found = Command::new(&bin)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("skipped: {name} is missing (apt-get install ffmpeg srt-tools, or set {var})");
    }
    found.then_some(bin)
}

fn free_udp_port() -> u16 {
    UdpSocket::bind(localhost())
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The timestamps (90 kHz) of the video frames ffprobe decodes in `path`, in order.
fn video_frames(ffprobe: &str, path: &std::path::Path) -> Vec<i64> {
    let out = Command::new(ffprobe)
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "frame=pts", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut pts: Vec<i64> = text
        .lines()
        .map(|line| line.trim().trim_end_matches(','))
        .filter(|line| !line.is_empty())
        .map(|line| {
            line.parse()
                .unwrap_or_else(|_| panic!("ffprobe of {}: {line:?}", path.display()))
        })
        .collect();
    pts.sort_unstable();
    pts
}

/// Ends a child the way a user would (SIGTERM lets srt-live-transmit flush), then for good.
fn finish(child: &mut Child, grace: Duration) {
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_srt_session_through_five_percent_loss_loses_no_frame() {
    let (Some(ffmpeg), Some(ffprobe), Some(slt)) = (
        tool("FFMPEG", "ffmpeg"),
        tool("FFPROBE", "ffprobe"),
        tool("SRT_LIVE_TRANSMIT", "srt-live-transmit"),
    ) else {
        return;
    };
    let guard = SeedGuard::from_env(5);
    // A 6 s source, made ahead so its frames are known: 150 at 25 fps. The frames checked
    // are its first 5 s: the last second is padding, as a receiver drops what is still in its
    // latency window when the caller's SHUTDOWN arrives (libsrt does), so the tail of any
    // stream is lost however clean the link.
    let source = TempPath::new("source.ts");
    let status = Command::new(&ffmpeg)
        .args("-v error -f lavfi -i testsrc=size=320x240:rate=25:duration=6".split(' '))
        .args("-c:v libx264 -preset ultrafast -g 25 -f mpegts -y".split(' '))
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success());
    let mut sent = video_frames(&ffprobe, &source);
    assert_eq!(sent.len(), 150);
    sent.truncate(125);

    let port = free_udp_port();
    let received = TempPath::new("received.ts");
    let mut listener = Command::new(&slt)
        .args(["-a:no", "-q"])
        .arg(format!("srt://127.0.0.1:{port}?mode=listener&latency=200"))
        .arg("file://con")
        .stdout(std::fs::File::create(&received).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let relay = UdpRelay::start(
        localhost(),
        format!("127.0.0.1:{port}").parse().unwrap(),
        Profile::lossy(0.05, Duration::from_millis(10)),
        guard.seed(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let url = format!(
        "srt://{}?mode=caller&latency=200000&pkt_size=1316&linger=1",
        relay.local_addr()
    );
    let mut caller = Command::new(&ffmpeg)
        .args(["-v", "error", "-re", "-i"])
        .arg(&source)
        .args(["-c", "copy", "-f", "mpegts"])
        .arg(&url)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    finish(&mut caller, Duration::from_secs(10));
    // What is in the listener's latency window, then its own exit on the caller's shutdown.
    finish(&mut listener, Duration::from_secs(2));
    let stats = relay.stop().unwrap();
    assert!(stats.to_upstream.dropped > 0, "no loss happened: {stats:?}");
    let mut received = video_frames(&ffprobe, &received);
    received.truncate(125);
    assert_eq!(received, sent, "{stats:?}");
}
