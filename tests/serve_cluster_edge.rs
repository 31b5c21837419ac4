//! Edges (`[cluster] mode = "edge"`, issue 17): `weir serve` edges pull a stream FFmpeg
//! publishes to a `weir serve` origin, once per edge however many players it has, and serve
//! it by every delivery; the upstream closes after the last player; an edge fails over to
//! the next origin, follows an RTMP redirect, pulls by HTTP-FLV, and forwards a publish to
//! its origin.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Weir, codecs, eventually, ffmpeg_publish, ffprobe_streams, finish};
use weir_media::{Machine, Output};
use weir_rtmp::session::{ServerEvent, ServerSession, SessionConfig};
use weir_testkit::peer;

/// An edge whose origins are `origins` (comma-separated), with a short grace and HLS
/// segments of a second.
fn edge(origins: &str) -> Weir {
    Weir::start(&[
        "cluster.mode=edge",
        &format!("cluster.origins={origins}"),
        "cluster.grace=2",
        "hls.fragment=1",
    ])
}

/// The API's clients of `weir` of type `kind`.
fn clients_of_type(weir: &Weir, kind: &str) -> Vec<serde_json::Value> {
    let clients = weir.api("/api/v1/clients/");
    clients["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == kind)
        .cloned()
        .collect()
}

/// FFmpeg playing `url` for at most `seconds`, copying to nowhere.
fn ffmpeg_play(url: &str, seconds: u32) -> Child {
    Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-v", "error", "-rw_timeout", "15000000", "-i", url])
        .args(["-t", &seconds.to_string(), "-c", "copy", "-f", "null", "-"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg starts")
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn two_edges_serve_every_delivery_through_one_upstream_each_until_the_last_player_leaves() {
    let origin = Weir::start(&[]);
    let at = format!("127.0.0.1:{}", origin.rtmp);
    let edges = [edge(&at), edge(&format!("rtmp://{at}"))];
    let publisher = ffmpeg_publish(&origin.rtmp_url("cam"), 60);
    origin.wait_for_stream("cam", Duration::from_secs(20));
    // Three long players on each edge (RTMP, HTTP-FLV, SRT)...
    let mut players: Vec<Child> = edges
        .iter()
        .flat_map(|e| {
            [
                ffmpeg_play(&e.rtmp_url("cam"), 40),
                ffmpeg_play(&e.flv_url("cam"), 40),
                ffmpeg_play(&e.srt_url("cam", "request"), 40),
            ]
        })
        .collect();
    for edge in &edges {
        edge.wait_for_stream("cam", Duration::from_secs(20));
        eventually("three players on the edge", Duration::from_secs(20), || {
            ["rtmp-play", "flv-play", "srt-play"]
                .iter()
                .all(|kind| clients_of_type(edge, kind).len() == 1)
        });
    }
    // ... and a probe of each delivery on both edges.
    for edge in &edges {
        for url in [edge.rtmp_url("cam"), edge.flv_url("cam")] {
            assert_eq!(codecs(&ffprobe_streams(&url)), ["aac", "h264"], "{url}");
        }
        let srt = edge.srt_url("cam", "request");
        assert!(
            codecs(&ffprobe_streams(&srt)).contains(&"h264".to_owned()),
            "{srt}"
        );
        let hls = edge.wait_for_hls("cam", 2);
        assert_eq!(codecs(&ffprobe_streams(&hls)), ["aac", "h264"], "{hls}");
        // The edge lists its upstream, as a publisher of the stream.
        let pulls = clients_of_type(edge, "edge-pull");
        assert_eq!(pulls.len(), 1, "{pulls:#?}");
        assert_eq!(pulls[0]["url"], "/live/cam", "{:#}", pulls[0]);
        assert_eq!(pulls[0]["publish"], true, "{:#}", pulls[0]);
        let from = format!("rtmp://127.0.0.1:{}/live/cam", origin.rtmp);
        assert_eq!(pulls[0]["tcUrl"], from.as_str(), "{:#}", pulls[0]);
        assert_eq!(edge.metric("weir_edge_upstreams"), 1);
    }
    // The origin sees one RTMP player per edge, whatever the edges' players.
    let upstreams = clients_of_type(&origin, "rtmp-play");
    assert_eq!(upstreams.len(), 2, "{upstreams:#?}");
    // A kicked upstream whose players remain is replaced.
    let kicked = clients_of_type(&edges[0], "edge-pull")[0]["id"].clone();
    assert!(edges[0].kick(kicked.as_str().unwrap()));
    eventually("a new upstream", Duration::from_secs(15), || {
        let pulls = clients_of_type(&edges[0], "edge-pull");
        pulls.len() == 1 && pulls[0]["id"] != kicked
    });
    eventually(
        "two upstreams at the origin",
        Duration::from_secs(15),
        || clients_of_type(&origin, "rtmp-play").len() == 2,
    );
    // The last player gone, each upstream closes after its grace.
    for player in &mut players {
        kill(player);
    }
    eventually(
        "the upstreams closed at the origin",
        Duration::from_secs(30),
        || clients_of_type(&origin, "rtmp-play").is_empty(),
    );
    for edge in &edges {
        assert_eq!(edge.metric("weir_edge_upstreams"), 0);
        assert!(clients_of_type(edge, "edge-pull").is_empty());
        assert!(edge.log().contains("no player left: upstream closed"));
    }
    let _ = finish(publisher, Duration::from_secs(1));
}

/// A fake origin of a cluster: refuses every RTMP connect with SRS's redirect to `to`.
fn redirecting_origin(to: String) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let to = to.clone();
            std::thread::spawn(move || {
                let rng = Box::new(weir_testkit::SeededRng::new(7));
                let mut session = ServerSession::new(SessionConfig::default(), Instant::now(), rng);
                let mut buffer = [0; 16 * 1024];
                loop {
                    let Ok(n) = socket.read(&mut buffer) else {
                        return;
                    };
                    if n == 0 || session.handle_input(Instant::now(), &buffer[..n]).is_err() {
                        return;
                    }
                    while let Some(output) = session.poll_output() {
                        match output {
                            Output::Transmit(bytes) if socket.write_all(&bytes).is_err() => {
                                return;
                            }
                            Output::Event(ServerEvent::Connect(request)) => {
                                session.redirect_connect(request.id, &to).unwrap();
                            }
                            _ => {}
                        }
                    }
                }
            });
        }
    });
    port
}

/// A fake HTTP origin: answers every request with a 302 to the same path at `to`
/// (`http://host:port`).
fn http_redirecting_origin(to: String) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let mut head = Vec::new();
            let mut byte = [0];
            while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split_whitespace().nth(1).unwrap_or("/");
            let answer = format!(
                "HTTP/1.1 302 Found\r\nLocation: {to}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = socket.write_all(answer.as_bytes());
        }
    });
    port
}

#[test]
fn edges_pull_by_http_flv_and_follow_rtmp_and_http_redirects() {
    let origin = Weir::start(&[]);
    let by_http = edge(&format!("http://127.0.0.1:{}", origin.http));
    let fake = redirecting_origin(format!("rtmp://127.0.0.1:{}/live", origin.rtmp));
    let redirected = edge(&format!("127.0.0.1:{fake}"));
    let fake_http = http_redirecting_origin(format!("http://127.0.0.1:{}", origin.http));
    let http_redirected = edge(&format!("http://127.0.0.1:{fake_http}"));
    let publisher = ffmpeg_publish(&origin.rtmp_url("far"), 30);
    origin.wait_for_stream("far", Duration::from_secs(20));
    assert_eq!(
        codecs(&ffprobe_streams(&by_http.rtmp_url("far"))),
        ["aac", "h264"],
        "{}",
        by_http.log()
    );
    let pulls = clients_of_type(&origin, "flv-play");
    assert_eq!(pulls.len(), 1, "{pulls:#?}");
    assert_eq!(
        codecs(&ffprobe_streams(&redirected.flv_url("far"))),
        ["aac", "h264"],
        "{}",
        redirected.log()
    );
    assert!(
        redirected.log().contains("origin redirected the pull"),
        "{}",
        redirected.log()
    );
    assert_eq!(
        codecs(&ffprobe_streams(&http_redirected.rtmp_url("far"))),
        ["aac", "h264"],
        "{}",
        http_redirected.log()
    );
    // (The fake serves nothing but its redirect: the stream came from the origin.)
    let _ = finish(publisher, Duration::from_secs(1));
}

/// When a player's video frame count grew, and to what.
type Progress = Arc<Mutex<Vec<(Instant, u64)>>>;

/// FFmpeg playing `url` and reporting its progress.
fn progress_player(url: &str) -> (Child, Progress) {
    let mut child = Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-v", "error", "-rw_timeout", "30000000", "-i", url])
        .args(["-c", "copy", "-f", "null", "-"])
        .args(["-progress", "pipe:1", "-stats_period", "0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg starts");
    let frames = Arc::new(Mutex::new(Vec::new()));
    let seen = frames.clone();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(n) = line
                .strip_prefix("frame=")
                .and_then(|n| n.trim().parse().ok())
            {
                let mut seen = seen.lock().unwrap();
                if seen.last().is_none_or(|(_, last)| n > *last) {
                    seen.push((Instant::now(), n));
                }
            }
        }
    });
    (child, frames)
}

#[test]
fn an_edge_fails_over_to_the_next_origin_and_its_player_resumes() {
    let mut first = Weir::start(&[]);
    let second = Weir::start(&[]);
    let edge = edge(&format!(
        "127.0.0.1:{},127.0.0.1:{}",
        first.rtmp, second.rtmp
    ));
    let publisher = ffmpeg_publish(&first.rtmp_url("fo"), 60);
    first.wait_for_stream("fo", Duration::from_secs(20));
    let (mut player, frames) = progress_player(&edge.rtmp_url("fo"));
    eventually("the player plays", Duration::from_secs(20), || {
        frames.lock().unwrap().last().is_some_and(|(_, n)| *n > 50)
    });
    // The first origin dies; the publisher moves to the second.
    // SAFETY: kill(2) takes integers and touches no memory of this process.
    unsafe { libc::kill(first.pid() as i32, libc::SIGKILL) };
    let killed = Instant::now();
    let _ = first.terminate();
    let mut publisher = publisher;
    kill(&mut publisher);
    let republisher = ffmpeg_publish(&second.rtmp_url("fo"), 60);
    let before = frames.lock().unwrap().last().unwrap().1;
    eventually("the player resumes", Duration::from_secs(30), || {
        frames
            .lock()
            .unwrap()
            .last()
            .is_some_and(|(_, n)| *n > before + 50)
    });
    // The longest wait between two frames since the kill.
    let seen = frames.lock().unwrap().clone();
    let gap = seen
        .windows(2)
        .filter(|w| w[1].0 > killed)
        .map(|w| w[1].0 - w[0].0)
        .max()
        .unwrap();
    eprintln!("failover gap: {gap:?} (frames every 0.1 s progress report)");
    // One upstream, now at the second origin.
    assert_eq!(clients_of_type(&edge, "edge-pull").len(), 1);
    assert_eq!(clients_of_type(&second, "rtmp-play").len(), 1);
    assert!(edge.log().contains("pull ended"), "{}", edge.log());
    kill(&mut player);
    let _ = finish(republisher, Duration::from_secs(1));
}

#[test]
fn a_publish_on_an_edge_is_forwarded_to_its_origin_where_a_second_is_refused() {
    let origin = Weir::start(&[]);
    let edge = edge(&format!("127.0.0.1:{}", origin.rtmp));
    let publisher = ffmpeg_publish(&edge.rtmp_url("up"), 30);
    origin.wait_for_stream("up", Duration::from_secs(20));
    assert_eq!(
        codecs(&ffprobe_streams(&origin.flv_url("up"))),
        ["aac", "h264"]
    );
    // The edge serves what is published to it itself: no pull.
    assert_eq!(
        codecs(&ffprobe_streams(&edge.flv_url("up"))),
        ["aac", "h264"]
    );
    assert!(clients_of_type(&edge, "edge-pull").is_empty());
    // The stream is the edge's at the origin: another publisher there is refused.
    let (ok, _, stderr) = finish(
        ffmpeg_publish(&origin.rtmp_url("up"), 5),
        Duration::from_secs(20),
    );
    assert!(!ok, "a second publish at the origin was accepted: {stderr}");
    let _ = finish(publisher, Duration::from_secs(1));
}

#[test]
fn chromium_plays_by_whep_on_an_edge_that_pulls_at_its_request() {
    let origin = Weir::start(&[]);
    let edge = edge(&format!("127.0.0.1:{}", origin.rtmp));
    let publisher = ffmpeg_publish(&origin.rtmp_url("web"), 30);
    origin.wait_for_stream("web", Duration::from_secs(20));
    // The edge has not pulled the stream yet: the WHEP request is its first player.
    assert!(clients_of_type(&edge, "edge-pull").is_empty());
    let whep = edge.api_url("/rtc/v1/whep/?app=live&stream=web");
    let options = serde_json::json!({"whep": whep, "codec": "H264", "seconds": 6});
    let browser = std::thread::spawn(move || {
        support::browser("chromium.mjs", options, Duration::from_secs(60))
    });
    // While it plays, the origin sees the edge's one upstream.
    eventually(
        "the edge's upstream at the origin",
        Duration::from_secs(30),
        || clients_of_type(&origin, "rtmp-play").len() == 1,
    );
    let out = browser.join().unwrap();
    let video = &out["play"]["stats"]["inbound-rtp-video"];
    assert_eq!(video["codec"], "video/H264", "{out:#}\n{}", edge.log());
    let decoded = video["framesDecoded"].as_u64().unwrap_or(0);
    assert!(decoded >= 50, "only {decoded} frames decoded: {out:#}");
    let audio = &out["play"]["stats"]["inbound-rtp-audio"];
    assert_eq!(audio["codec"], "audio/opus", "{out:#}");
    let _ = finish(publisher, Duration::from_secs(1));
}

#[test]
fn a_player_the_edge_refuses_starts_no_pull() {
    let origin = Weir::start(&[]);
    let edge = Weir::start(&[
        "cluster.mode=edge",
        &format!("cluster.origins=127.0.0.1:{}", origin.rtmp),
        "security.enabled=true",
        "security.rules=deny play 127.0.0.1",
    ]);
    let publisher = ffmpeg_publish(&origin.rtmp_url("no"), 20);
    origin.wait_for_stream("no", Duration::from_secs(20));
    let (ok, _, _) = support::run(
        Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args(["-v", "error", "-rw_timeout", "5000000"])
            .arg(edge.flv_url("no")),
        Duration::from_secs(20),
    );
    assert!(!ok, "the refused player played");
    assert!(clients_of_type(&edge, "edge-pull").is_empty());
    assert!(clients_of_type(&origin, "rtmp-play").is_empty());
    assert_eq!(edge.metric("weir_edge_pulls_total"), 0);
    let _ = finish(publisher, Duration::from_secs(1));
}

#[test]
fn an_origin_that_is_no_url_an_edge_can_pull_is_a_config_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["serve", "--set", "cluster.origins=ftp://example/live"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cluster.origins") && stderr.contains("host:port"),
        "{stderr}"
    );
}

/// A stream of a vhost other than the default is pulled from the origin under that vhost, by
/// RTMP (`app?vhost=`) and by HTTP-FLV (`?vhost=`): both ends define it, as SRS's edges and
/// origins do.
#[test]
fn edges_pull_a_stream_of_another_vhost_under_its_vhost() {
    let dir = weir_testkit::TempPath::dir("edge-vhost");
    let config = dir.join("weir.toml");
    std::fs::write(
        &config,
        "[vhosts.\"studio.example\".security]\nenabled = false\n",
    )
    .unwrap();
    let origin = Weir::start_with_config(&config, &[]);
    let edge_at = |origins: String| {
        Weir::start_with_config(
            &config,
            &["cluster.mode=edge", &format!("cluster.origins={origins}")],
        )
    };
    let by_rtmp = edge_at(format!("127.0.0.1:{}", origin.rtmp));
    let by_http = edge_at(format!("http://127.0.0.1:{}", origin.http));
    let publish = format!(
        "rtmp://127.0.0.1:{}/live?vhost=studio.example/v",
        origin.rtmp
    );
    let publisher = ffmpeg_publish(&publish, 30);
    let stream = origin.wait_for_stream("v", Duration::from_secs(20));
    assert_eq!(stream["vhost"], "studio.example", "{stream:#}");
    let plays = [
        (
            format!(
                "rtmp://127.0.0.1:{}/live?vhost=studio.example/v",
                by_rtmp.rtmp
            ),
            &by_rtmp,
        ),
        (
            format!(
                "http://127.0.0.1:{}/live/v.flv?vhost=studio.example",
                by_http.http
            ),
            &by_http,
        ),
    ];
    for (play, edge) in plays {
        assert_eq!(
            codecs(&ffprobe_streams(&play)),
            ["aac", "h264"],
            "{}",
            edge.log()
        );
    }
    // Each edge's pull is a client of the origin, on the stream's vhost.
    let clients = origin.api("/api/v1/clients/");
    let pulls: Vec<_> = clients["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "rtmp-play" || c["type"] == "flv-play")
        .collect();
    assert_eq!(pulls.len(), 2, "{clients:#}");
    assert!(
        pulls.iter().all(|c| c["vhost"] == "studio.example"),
        "{clients:#}"
    );
    let _ = finish(publisher, Duration::from_secs(1));
}
