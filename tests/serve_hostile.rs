//! Hostile peers against `weir serve`, each in its own test, while a good player receives every
//! frame a publisher sends: garbage after the handshake, a message over the size limit, a
//! player that never reads, and a thousand connections that never finish the handshake.

mod support;

use bytes::{BufMut, Bytes, BytesMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::{Client, Weir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use weir_rtmp::handshake::HandshakeKind;
use weir_rtmp::session::{ClientEvent, PublishKind, StreamData};
use weir_testkit::corpus;

/// Frames a second the publisher sends.
const FPS: u32 = 50;

/// A video message body: AVC, keyframe or not, one NAL unit of `size` bytes.
fn video_body(keyframe: bool, size: usize, seed: u32) -> Bytes {
    let mut body = BytesMut::with_capacity(size + 9);
    body.put_slice(&[if keyframe { 0x17 } else { 0x27 }, 1, 0, 0, 0]);
    body.put_u32(size as u32);
    body.put_u8(if keyframe { 0x65 } else { 0x41 });
    body.extend((1..size).map(|i| (i as u32).wrapping_mul(seed | 1) as u8));
    body.freeze()
}

/// The sequence header of a real H.264 stream (the corpus's avatar.flv).
fn sequence_header() -> Bytes {
    corpus::flv_media("flv/avatar.flv")
        .into_iter()
        .find(|(video, _, body)| *video && body.get(1) == Some(&0))
        .expect("avatar.flv has an AVC sequence header")
        .2
}

async fn wait_for(client: &mut Client, what: &str, found: impl Fn(&ClientEvent) -> bool) {
    client.until(Duration::from_secs(10), what, found).await;
    client.events.clear();
}

/// Publishes `seconds` of `frame_size`-byte frames at [`FPS`] (a keyframe a second); returns
/// how many media messages it sent.
async fn publish(port: u16, name: &str, seconds: u32, frame_size: usize) -> usize {
    let mut publisher = Client::connect(port, HandshakeKind::Simple).await;
    publisher.session.publish(name, PublishKind::Live).unwrap();
    publisher.flush().await;
    wait_for(&mut publisher, "Publishing", |e| {
        matches!(e, ClientEvent::Publishing { .. })
    })
    .await;
    publisher
        .session
        .send_media(0, true, sequence_header())
        .unwrap();
    let start = tokio::time::Instant::now();
    let frames = seconds * FPS;
    for i in 0..frames {
        let ts = i * 1000 / FPS;
        tokio::time::sleep_until(start + Duration::from_millis(ts.into())).await;
        let body = video_body(i % FPS == 0, frame_size, i);
        publisher.session.send_media(ts, true, body).unwrap();
        publisher.flush().await;
        // Take what the server sends (acknowledgements), never waiting.
        publisher.read(Duration::from_millis(0)).await;
        publisher.events.clear();
    }
    1 + frames as usize
}

/// Plays `name` until `expected` media messages arrived or `wait` passed; returns the count.
/// A `chatty` player sends `receiveAudio true` about every 2 s, as players that toggle media
/// do: each command takes the player back from the stream's direct writes.
async fn play_until(
    client: &mut Client,
    expected: &AtomicCount,
    wait: Duration,
    chatty: bool,
) -> usize {
    let deadline = Instant::now() + wait;
    let mut received = 0;
    for reads in 1.. {
        if chatty && reads % 20 == 0 {
            let on = vec![weir_amf0::Value::Boolean(true)];
            client.session.send_command(1, "receiveAudio", on).unwrap();
            client.flush().await;
        }
        client.read(Duration::from_millis(100)).await;
        received += client
            .events
            .drain(..)
            .filter(|e| {
                matches!(
                    e,
                    ClientEvent::Data {
                        data: StreamData::Media(_),
                        ..
                    }
                )
            })
            .count();
        let target = expected.get();
        if (target > 0 && received >= target) || Instant::now() > deadline {
            return received;
        }
    }
    unreachable!("the reads never end")
}

/// The publisher's final count, once known.
#[derive(Default, Clone)]
struct AtomicCount(Arc<std::sync::atomic::AtomicUsize>);

impl AtomicCount {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    fn set(&self, n: usize) {
        self.0.store(n, Ordering::SeqCst)
    }
}

/// A good player joins, a publisher sends `seconds` of media, `hostile` runs meanwhile; the
/// player must receive every message.
async fn with_good_player<F>(weir: &Weir, seconds: u32, frame_size: usize, chatty: bool, hostile: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let port = weir.rtmp;
    let mut player = Client::connect(port, HandshakeKind::Simple).await;
    player.session.play("good", -2.0).unwrap();
    player.flush().await;
    wait_for(&mut player, "Playing", |e| {
        matches!(e, ClientEvent::Playing { .. })
    })
    .await;
    let expected = AtomicCount::default();
    let sent = expected.clone();
    let publisher = tokio::spawn(async move {
        let n = publish(port, "good", seconds, frame_size).await;
        sent.set(n);
        n
    });
    let hostile = tokio::spawn(hostile);
    let received = play_until(
        &mut player,
        &expected,
        Duration::from_secs(seconds as u64 + 20),
        chatty,
    )
    .await;
    let sent = publisher.await.unwrap();
    hostile.await.unwrap();
    assert_eq!(
        received,
        sent,
        "the good player received every message\n{}",
        weir.log()
    );
}

/// A TCP connection that has finished the simple handshake as a client would.
async fn handshaken(port: u16) -> TcpStream {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut c0c1 = vec![0u8; 1537];
    c0c1[0] = 3;
    tcp.write_all(&c0c1).await.unwrap();
    let mut s0s1s2 = vec![0u8; 3073];
    tcp.read_exact(&mut s0s1s2).await.unwrap();
    tcp.write_all(&s0s1s2[1..1537]).await.unwrap(); // C2 echoes S1
    tcp
}

/// Reads until the server closes the connection; fails after `wait`.
async fn closed_by_server(tcp: &mut TcpStream, wait: Duration) {
    let mut buf = vec![0u8; 65536];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the server did not close the connection within {wait:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_after_the_handshake_closes_that_connection_only() {
    let weir = Weir::start(&[]);
    let port = weir.rtmp;
    with_good_player(&weir, 3, 2000, false, async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut tcp = handshaken(port).await;
        // A chunk on stream 2 with message type 0, then noise.
        let garbage: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let _ = tcp.write_all(&garbage).await;
        closed_by_server(&mut tcp, Duration::from_secs(5)).await;
    })
    .await;
    let log = weir.log();
    assert!(
        log.contains("closed error=rtmp."),
        "the log names the rule:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_is_refused_before_it_is_buffered() {
    let weir = Weir::start(&["rtmp.max_message_size=1048576"]);
    let port = weir.rtmp;
    with_good_player(&weir, 3, 2000, false, async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut tcp = handshaken(port).await;
        // fmt 0 on chunk stream 3: timestamp 0, length 0xFFFFFF (16 MiB), video, stream 1.
        let header = [0x03, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0];
        tcp.write_all(&header).await.unwrap();
        let _ = tcp.write_all(&[0u8; 128]).await;
        closed_by_server(&mut tcp, Duration::from_secs(5)).await;
    })
    .await;
    let log = weir.log();
    assert!(log.contains("exceeds the limit of 1048576 bytes"), "{log}");
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_that_never_reads_stays_bounded_and_is_dropped() {
    const QUEUE_FRAMES: usize = 128;
    const FRAME: usize = 20_000;
    // HLS off: its window of segments (a minute of this 8 Mbit/s stream) is memory the server
    // keeps by design, and would hide what the stuck player costs.
    let weir = Weir::start(&[
        "hub.queue_frames=128",
        "hub.stall_timeout=12",
        "hls.enabled=false",
    ]);
    let port = weir.rtmp;
    let pid = weir.pid();
    let api = weir.api_url("/api/v1/clients/?count=100");
    let done = Arc::new(AtomicBool::new(false));
    let finished = done.clone();
    // 20 KB frames at 50 fps: 8 Mbit/s, which fills the socket's buffers in seconds.
    with_good_player(&weir, 30, FRAME, false, async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        // While every player keeps up, the shared ring lets go of each frame once all have
        // taken it; the stuck player will keep the whole ring alive.
        let baseline = rss_kib(pid);
        // The stuck player: a small receive buffer, plays, then never reads again.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let tcp = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
        let mut stuck = Client::from_stream(tcp, port, HandshakeKind::Simple).await;
        stuck.session.play("good", -2.0).unwrap();
        stuck.flush().await;
        wait_for(&mut stuck, "Playing", |e| {
            matches!(e, ClientEvent::Playing { .. })
        })
        .await;
        // Never read again: watch the server's memory until it drops us.
        let mut peak = baseline;
        let deadline = Instant::now() + Duration::from_secs(25);
        let mut dropped = false;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
            peak = peak.max(rss_kib(pid));
            let url = api.clone();
            let clients: serde_json::Value = tokio::task::spawn_blocking(move || {
                reqwest::blocking::get(url).unwrap().json().unwrap()
            })
            .await
            .unwrap();
            let players = clients["clients"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["type"] == "rtmp-play")
                .count();
            if players == 1 {
                dropped = true;
                break;
            }
        }
        assert!(dropped, "the stuck player was not dropped within 25 s");
        // What one stuck player may keep alive: the ring and one batch, each frame held in up
        // to three forms (payload, FLV body, chunked body), plus 4 MiB of allocator slack.
        // Without those bounds it would keep every frame of its 12 s stall: over 30 MiB.
        let bound = (3 * (QUEUE_FRAMES * FRAME + weir_hub::MAX_BATCH_BYTES)) as u64 / 1024;
        eprintln!("baseline {baseline} KiB, peak {peak} KiB, bound {bound} KiB + 4 MiB");
        assert!(
            peak < baseline + bound + 4096,
            "server memory grew from {baseline} KiB to {peak} KiB for one stuck player \\
             (bound {bound} KiB + 4 MiB)"
        );
        finished.store(true, Ordering::SeqCst);
        drop(stuck);
    })
    .await;
    assert!(done.load(Ordering::SeqCst));
    let metrics = reqwest::get(weir.api_url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("weir_stalled_players_total 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_unfinished_handshakes_time_out_while_the_server_serves() {
    raise_file_limit();
    let weir = Weir::start(&["rtmp.handshake_timeout=3"]);
    let port = weir.rtmp;
    let metrics = weir.api_url("/metrics");
    with_good_player(&weir, 8, 2000, false, async move {
        let mut idle = Vec::new();
        for i in 0..1000 {
            let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            if i % 2 == 0 {
                tcp.write_all(&[3]).await.unwrap(); // C0 only
            }
            idle.push(tcp);
        }
        // The server accepted them all: its count of RTMP connections ever accepted (the
        // first may already have timed out while the last were opening on a busy machine).
        let url = metrics.clone();
        let accepted = tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let text = reqwest::blocking::get(&url).unwrap().text().unwrap();
                let accepted = text
                    .lines()
                    .find_map(|l| l.strip_prefix("weir_connections_total{protocol=\"rtmp\"} "))
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .unwrap_or(0);
                if accepted >= 1002 || Instant::now() > deadline {
                    return accepted;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
        .await
        .unwrap();
        // The good player, its publisher and the thousand.
        assert!(accepted >= 1002, "{accepted} connections accepted");
        for tcp in &mut idle {
            closed_by_server(tcp, Duration::from_secs(10)).await;
        }
    })
    .await;
    let summary = reqwest::get(weir.api_url("/api/v1/summaries"))
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert!(
        summary["data"]["system"]["conn_srs"].as_u64().unwrap() <= 2,
        "{summary:#}"
    );
}

fn raise_file_limit() {
    // SAFETY: `rlimit` is two integers, so all zeroes is a valid value; getrlimit writes
    // only through the pointer to this live local and setrlimit only reads it.
    unsafe {
        let mut limit = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// A player that sends commands mid-stream (`receiveAudio true` every 2 s) is taken back from
/// the stream's direct writes each time, and must still get every message: it joined before
/// the stream had video, so the writes it went back to the ring from had no keyframe to wait
/// for (before the fix, each handover dropped the rest of the GOP: 121 of 151 arrived).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_that_sends_commands_mid_stream_gets_every_message() {
    let weir = Weir::start(&[]);
    with_good_player(&weir, 6, 2000, true, async {}).await;
}
