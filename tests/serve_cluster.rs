//! The origin cluster (`[cluster] redis`): several `weir serve` origins share one real
//! `redis-server`. Publishers (FFmpeg) land on different origins; a player asking any origin
//! for any stream reaches it, redirected by HTTP 302 (ffprobe follows it, for HTTP-FLV, and HLS)
//! and by RTMP 302 (SRS's form; FFmpeg's own RTMP client does not follow it, so our client
//! does); a second publisher of a stream on another origin is refused; a killed origin's
//! entries expire; Redis stopped and started again mid-test is logged once and the origins
//! register again; with `on_miss = "pull"` an origin pulls instead, and edges ask the registry
//! first or follow an origin's RTMP 302.

mod support;

use std::process::Child;
use std::time::{Duration, Instant};
use support::redis::Redis;
use support::{Client, Weir, codecs, ffmpeg_publish, ffprobe_streams, finish};
use weir_rtmp::handshake::HandshakeKind;
use weir_rtmp::session::ClientEvent;

/// Entries live 3 s without a refresh; refreshed every 0.5 s.
const EXPIRY: f64 = 3.0;

fn origin(redis: &Redis) -> Weir {
    Weir::start(&[
        &format!("cluster.redis={}", redis.url()),
        "cluster.heartbeat=0.5",
        &format!("cluster.expiry={EXPIRY}"),
        "hls.fragment=1",
    ])
}

/// The node name an origin registers by default: its RTMP `host:port`.
fn node(weir: &Weir) -> String {
    format!("127.0.0.1:{}", weir.rtmp)
}

fn stream_key(name: &str) -> String {
    format!("weir:stream:__defaultVhost__/live/{name}")
}

fn node_key(weir: &Weir) -> String {
    format!("weir:node:{}", node(weir))
}

/// Polls `weir`'s log (at most 20 s) until it holds `text`.
fn wait_for_log(weir: &Weir, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !weir.log().contains(text) {
        assert!(
            Instant::now() < deadline,
            "no {text:?} in the log:\n{}",
            weir.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// An HTTP GET that does not follow redirects: (status, Location).
fn get_unfollowed(url: &str) -> (u16, Option<String>) {
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(url).send().unwrap();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), location)
}

/// Our RTMP client plays `stream` at `port`, follows one RTMP 302 if it gets one, and returns
/// (the URL it was redirected to, the number of media messages it then received).
async fn play_following_redirect(port: u16, stream: &str) -> (Option<String>, usize) {
    let mut client = Client::connect(port, HandshakeKind::Simple).await;
    client.session.play(stream, -1.0).unwrap();
    client.flush().await;
    client
        .until(Duration::from_secs(10), "Play.Start or a redirect", |e| {
            matches!(e, ClientEvent::Playing { .. })
                || matches!(e, ClientEvent::Status { status, .. } if status.redirect(stream).is_some())
        })
        .await;
    let redirect = client.events.iter().find_map(|e| match e {
        ClientEvent::Status { status, .. } => status.redirect(stream),
        _ => None,
    });
    if let Some(url) = &redirect {
        // rtmp://127.0.0.1:PORT/live/STREAM
        let rest = url
            .strip_prefix("rtmp://127.0.0.1:")
            .expect("a loopback URL");
        let (port, path) = rest.split_once('/').unwrap();
        assert_eq!(path, format!("live/{stream}"), "{url}");
        client = Client::connect(port.parse().unwrap(), HandshakeKind::Simple).await;
        client.session.play(stream, -1.0).unwrap();
        client.flush().await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while client.media_messages() < 50 && Instant::now() < deadline {
        client.read(Duration::from_millis(200)).await;
    }
    (redirect, client.media_messages())
}

#[test]
fn three_origins_share_one_registry() {
    let redis = Redis::start();
    let origins: Vec<Weir> = (0..3).map(|_| origin(&redis)).collect();
    for weir in &origins {
        redis.wait_for(
            &node_key(weir),
            Duration::from_secs(10),
            "registered",
            |v| v.is_some_and(|v| v.contains(&format!("\"rtmp\":\"{}\"", node(weir)))),
        );
    }
    let mut a = ffmpeg_publish(&origins[0].rtmp_url("a"), 60);
    let mut b = ffmpeg_publish(&origins[1].rtmp_url("b"), 60);
    origins[0].wait_for_stream("a", Duration::from_secs(15));
    origins[1].wait_for_stream("b", Duration::from_secs(15));
    assert_eq!(redis.get(&stream_key("a")), Some(node(&origins[0])));
    assert_eq!(redis.get(&stream_key("b")), Some(node(&origins[1])));

    // HTTP-FLV: any origin answers 302 to the one that holds the stream; ffprobe follows.
    let (status, location) = get_unfollowed(&origins[2].flv_url("a"));
    assert_eq!(status, 302);
    assert_eq!(location.as_deref(), Some(origins[0].flv_url("a").as_str()));
    let ts = format!("http://127.0.0.1:{}/live/a.ts?token=1", origins[1].http);
    assert_eq!(
        get_unfollowed(&ts).1,
        Some(format!(
            "http://127.0.0.1:{}/live/a.ts?token=1",
            origins[0].http
        ))
    );
    for (weir, name) in [(&origins[2], "a"), (&origins[0], "b"), (&origins[1], "a")] {
        let probed = ffprobe_streams(&weir.flv_url(name));
        assert_eq!(codecs(&probed), ["aac", "h264"], "{name} via {}", weir.http);
    }
    // HLS: the playlist is redirected; its segments are relative to where it came from.
    origins[1].wait_for_hls("b", 2);
    let m3u8 = format!("http://127.0.0.1:{}/live/b.m3u8", origins[2].http);
    let (status, location) = get_unfollowed(&m3u8);
    assert_eq!(status, 302);
    assert_eq!(
        location,
        Some(format!("http://127.0.0.1:{}/live/b.m3u8", origins[1].http))
    );
    assert_eq!(codecs(&ffprobe_streams(&m3u8)), ["aac", "h264"]);

    // RTMP: SRS's 302, followed by our client, which then plays the stream's media.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (redirect, media) = runtime.block_on(play_following_redirect(origins[2].rtmp, "b"));
    assert_eq!(redirect, Some(origins[1].rtmp_url("b")));
    assert!(media >= 50, "{media} media messages after the redirect");
    // Where the stream is, nobody is redirected.
    let (redirect, media) = runtime.block_on(play_following_redirect(origins[0].rtmp, "a"));
    assert_eq!(redirect, None);
    assert!(media >= 50, "{media} media messages");
    // ffprobe may ask again for the playlist it was redirected from: at least one each.
    assert_eq!(origins[2].metric("weir_cluster_registry_up"), 1);
    for (protocol, least) in [("http", 2), ("hls", 2), ("rtmp", 1)] {
        let series = format!("weir_cluster_redirects_total{{protocol=\"{protocol}\"}}");
        let count = origins[2].metric(&series);
        assert!(count >= least, "{series} {count}");
    }
    let view = origins[0].api("/api/v1/cluster");
    assert_eq!(view["registry"]["node"]["node"], node(&origins[0]));
    assert_eq!(
        view["registry"]["streams"][0]["stream"],
        "__defaultVhost__/live/a"
    );

    // A second publisher of "a", on another origin, is refused and told where it is.
    let second = ffmpeg_publish(&origins[1].rtmp_url("a"), 5);
    let (ok, _, stderr) = finish(second, Duration::from_secs(20));
    assert!(!ok, "the second publisher was accepted: {stderr}");
    wait_for_log(
        &origins[1],
        &format!("already being published at node {}", node(&origins[0])),
    );
    assert_eq!(redis.get(&stream_key("a")), Some(node(&origins[0])));
    assert!(origins[0].live_stream("a").is_some(), "the first goes on");

    // The end of a publish releases its claim at once (not only by expiry).
    kill(&mut a);
    wait_for_log(&origins[0], "claim released");
    assert!(
        origins[0].log().contains("released=Ok(1)"),
        "{}",
        origins[0].log()
    );

    // A killed origin's entries disappear within their expiry.
    let mut origins = origins;
    let dead = origins.remove(1);
    let (dead_node, dead_pid) = (node_key(&dead), dead.pid());
    // SAFETY: kill(2) takes integers and touches no memory of this process.
    unsafe { libc::kill(dead_pid as i32, libc::SIGKILL) };
    let bound = Duration::from_secs_f64(EXPIRY * 5.0);
    redis.wait_for(&stream_key("b"), bound, "expired", |v| v.is_none());
    redis.wait_for(&dead_node, bound, "expired", |v| v.is_none());
    kill(&mut b);
    drop(dead);
    // Nobody holds "b" now: a player of it waits here instead of being redirected.
    assert_eq!(
        get_unfollowed(&format!("http://127.0.0.1:{}/live/b.m3u8", origins[1].http)).0,
        404
    );
    // A clean shutdown removes the node's entry itself, before it exits.
    let mut leaving = origins.remove(0);
    assert!(leaving.terminate().success());
    assert_eq!(redis.get(&node_key(&leaving)), None);
}

#[test]
fn redis_stopped_and_started_again_mid_test() {
    let mut redis = Redis::start();
    let origins: Vec<Weir> = (0..2).map(|_| origin(&redis)).collect();
    let mut r = ffmpeg_publish(&origins[0].rtmp_url("r"), 60);
    origins[0].wait_for_stream("r", Duration::from_secs(15));
    redis.wait_for(&stream_key("r"), Duration::from_secs(10), "claimed", |v| {
        v == Some(node(&origins[0]).as_str())
    });

    redis.stop();
    for weir in &origins {
        wait_for_log(
            weir,
            "cluster registry unreachable: publishes are accepted locally",
        );
    }
    // The origins keep serving; a publish during the outage is accepted locally.
    let mut s = ffmpeg_publish(&origins[1].rtmp_url("s"), 60);
    origins[1].wait_for_stream("s", Duration::from_secs(15));
    wait_for_log(&origins[1], "publish accepted locally");
    assert_eq!(
        codecs(&ffprobe_streams(&origins[0].flv_url("r"))),
        ["aac", "h264"]
    );
    assert_eq!(origins[0].metric("weir_cluster_registry_up"), 0);

    // Back: every node and stream is registered again, within a few heartbeats.
    redis.restart();
    let bound = Duration::from_secs(15);
    redis.wait_for(&stream_key("r"), bound, "claimed again", |v| {
        v == Some(node(&origins[0]).as_str())
    });
    redis.wait_for(&stream_key("s"), bound, "claimed", |v| {
        v == Some(node(&origins[1]).as_str())
    });
    for weir in &origins {
        redis.wait_for(&node_key(weir), bound, "registered again", |v| v.is_some());
        wait_for_log(weir, "cluster registry reachable again");
        let log = weir.log();
        assert_eq!(
            log.matches("cluster registry unreachable: publishes")
                .count(),
            1,
            "the outage is logged once:\n{log}"
        );
        assert_eq!(weir.metric("weir_cluster_registry_up"), 1);
        assert!(weir.metric("weir_cluster_registry_errors_total") >= 1);
    }
    // And redirects work again.
    let (status, location) = get_unfollowed(&origins[0].flv_url("s"));
    assert_eq!(status, 302);
    assert_eq!(location, Some(origins[1].flv_url("s")));
    kill(&mut r);
    kill(&mut s);
}

/// A Redis that accepts connections but never answers (SIGSTOP) holds nothing up for long: a
/// publish goes through within the call bound, the outage is logged, and once Redis answers
/// again the stream is claimed.
#[test]
fn a_redis_that_hangs_holds_nothing_up() {
    let redis = Redis::start();
    let weir = origin(&redis);
    redis.wait_for(
        &node_key(&weir),
        Duration::from_secs(10),
        "registered",
        |v| v.is_some(),
    );
    redis.signal(libc::SIGSTOP);
    wait_for_log(
        &weir,
        "cluster registry unreachable: publishes are accepted locally",
    );
    let mut h = ffmpeg_publish(&weir.rtmp_url("h"), 60);
    weir.wait_for_stream("h", Duration::from_secs(15));
    redis.signal(libc::SIGCONT);
    redis.wait_for(&stream_key("h"), Duration::from_secs(15), "claimed", |v| {
        v == Some(node(&weir).as_str())
    });
    wait_for_log(&weir, "cluster registry reachable again");
    kill(&mut h);
}

/// `on_miss = "pull"`: an origin asked for a stream another origin holds pulls it from there
/// (one `edge-pull` upstream, no redirect); an edge with the registry pulls from the origin
/// the registry names, although its own list names only another origin.
#[test]
fn on_miss_pull_and_an_edge_that_asks_the_registry() {
    let redis = Redis::start();
    let holder = origin(&redis);
    let registry = |more: &[&str]| {
        let mut settings = vec![
            format!("cluster.redis={}", redis.url()),
            "cluster.heartbeat=0.5".to_owned(),
            format!("cluster.expiry={EXPIRY}"),
        ];
        settings.extend(more.iter().map(|s| s.to_string()));
        settings
    };
    let pulling = registry(&["cluster.on_miss=pull"]);
    let puller = Weir::start(&pulling.iter().map(String::as_str).collect::<Vec<_>>());
    let mut publisher = ffmpeg_publish(&holder.rtmp_url("p"), 30);
    redis.wait_for(&stream_key("p"), Duration::from_secs(15), "claimed", |v| {
        v == Some(node(&holder).as_str())
    });
    let from_holder = format!("rtmp://127.0.0.1:{}/live/p", holder.rtmp);

    // The second origin answers 200 and pulls: ffprobe gets both tracks from it.
    assert_eq!(get_unfollowed(&puller.flv_url("p")), (200, None));
    let streams = ffprobe_streams(&puller.flv_url("p"));
    assert_eq!(codecs(&streams), ["aac", "h264"], "{}", puller.log());
    let pull = puller.client_of_type("edge-pull").expect("an upstream");
    assert_eq!(pull["tcUrl"], from_holder.as_str(), "{pull:#}");

    // An edge whose list names only the second origin asks the registry first.
    let edge_settings = registry(&[
        "cluster.mode=edge",
        &format!("cluster.origins=127.0.0.1:{}", puller.rtmp),
    ]);
    let edge = Weir::start(&edge_settings.iter().map(String::as_str).collect::<Vec<_>>());
    let streams = ffprobe_streams(&edge.rtmp_url("p"));
    assert_eq!(codecs(&streams), ["aac", "h264"], "{}", edge.log());
    let pull = edge.client_of_type("edge-pull").expect("an upstream");
    assert_eq!(pull["tcUrl"], from_holder.as_str(), "{pull:#}");

    // An edge without the registry, pointed at an origin that redirects (SRS's RTMP 302 in
    // the play's status), follows it to the holder.
    let redirector = origin(&redis);
    let blind = Weir::start(&[
        "cluster.mode=edge",
        &format!("cluster.origins=127.0.0.1:{}", redirector.rtmp),
    ]);
    let streams = ffprobe_streams(&blind.rtmp_url("p"));
    assert_eq!(codecs(&streams), ["aac", "h264"], "{}", blind.log());
    assert!(
        blind.log().contains("origin redirected the pull"),
        "{}",
        blind.log()
    );
    kill(&mut publisher);
}
