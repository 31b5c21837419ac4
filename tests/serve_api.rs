//! `weir serve`'s HTTP API (SRS's `/api/v1` shapes, snapshot-tested), kicking a client, IP
//! security rules per vhost, and shutdown on SIGTERM.

mod support;

use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Weir, ffmpeg_publish, finish};
use weir_testkit::TempPath;
use weir_testkit::peer;

/// A player that plays `url` for `seconds` with ffmpeg and throws the media away.
fn ffmpeg_play(url: &str, seconds: u32) -> std::process::Child {
    Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-v", "error", "-rw_timeout", "10000000", "-i", url])
        .args(["-t", &seconds.to_string(), "-c", "copy", "-f", "null", "-"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ffmpeg starts")
}

fn wait_until(what: &str, wait: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + wait;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {wait:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Replaces what changes from run to run with a placeholder, by key.
fn redact(value: &mut Value) {
    const VOLATILE: &[&str] = &[
        "id",
        "cid",
        "server",
        "service",
        "pid",
        "stream",
        "live_ms",
        "now_ms",
        "alive",
        "send_bytes",
        "recv_bytes",
        "recv_30s",
        "send_30s",
        "frames",
        "mem_kbyte",
        "srs_uptime",
        "argv",
        "cwd",
        "tcUrl",
        "cpus",
        // /api/v1/summaries: the process's and the machine's numbers.
        "ppid",
        "mem_percent",
        "cpu_percent",
        "disk_read_KBps",
        "disk_write_KBps",
        "mem_ram_kbyte",
        "mem_ram_percent",
        "mem_swap_kbyte",
        "mem_swap_percent",
        "cpus_online",
        "uptime",
        "ilde_time",
        "load_1m",
        "load_5m",
        "load_15m",
        "net_sample_time",
        "net_recv_bytes",
        "net_send_bytes",
        "net_recvi_bytes",
        "net_sendi_bytes",
        "srs_sample_time",
        "srs_recv_bytes",
        "srs_send_bytes",
        "conn_sys",
        "conn_sys_et",
        "conn_sys_tw",
        "conn_sys_udp",
    ];
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if VOLATILE.contains(&key.as_str()) && !v.is_object() && !v.is_array() {
                    *v = Value::String(format!("[{key}]"));
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[test]
fn api_replies_keep_srs_shapes() {
    let weir = Weir::start(&[]);
    let mut publisher = ffmpeg_publish(&weir.rtmp_url("api"), 30);
    let stream = weir.wait_for_stream("api", Duration::from_secs(15));
    let mut player = ffmpeg_play(&weir.flv_url("api"), 20);
    wait_until("the player is listed", Duration::from_secs(10), || {
        weir.api("/api/v1/clients/")["clients"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "flv-play"))
    });

    let id = stream["id"].as_str().unwrap();
    let mut clients = weir.api("/api/v1/clients/");
    let publisher_id = clients["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["publish"] == true)
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .expect("the publisher is a client");
    assert_eq!(stream["publish"]["cid"], publisher_id.as_str());
    let mut one_client = weir.api(&format!("/api/v1/clients/{publisher_id}"));
    let mut one_stream = weir.api(&format!("/api/v1/streams/{id}"));
    assert_eq!(one_stream["stream"]["name"], "api");
    let mut missing = weir.api("/api/v1/streams/vid-nothere");
    let mut versions = weir.api("/api/v1/versions");
    let mut summaries = weir.api("/api/v1/summaries");
    for reply in [
        &mut clients,
        &mut one_client,
        &mut one_stream,
        &mut missing,
        &mut versions,
        &mut summaries,
    ] {
        assert!(
            reply["server"].is_string() && reply["service"].is_string(),
            "{reply:#}"
        );
        assert!(reply["pid"].is_string(), "{reply:#}");
        redact(reply);
    }
    // Clients in a stable order for the snapshot.
    clients["clients"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|c| c["type"].as_str().unwrap_or("").to_owned());
    insta::assert_json_snapshot!("clients", clients);
    insta::assert_json_snapshot!("client", one_client);
    insta::assert_json_snapshot!("stream", one_stream);
    insta::assert_json_snapshot!("stream_not_found", missing);
    insta::assert_json_snapshot!("versions", versions);
    insta::assert_json_snapshot!("summaries", summaries);

    let metrics = reqwest::blocking::get(weir.api_url("/metrics"))
        .unwrap()
        .text()
        .unwrap();
    for family in [
        "weir_connections_total{protocol=\"rtmp\"}",
        "weir_connections_total{protocol=\"http\"}",
        "weir_clients 2",
        "weir_streams 1",
        "weir_received_bytes_total",
        "weir_sent_bytes_total",
        "# TYPE weir_rule_violations_total counter",
        "# TYPE weir_hook_",
    ] {
        assert!(
            metrics.contains(family),
            "/metrics lacks {family}:\n{metrics}"
        );
    }
    let _ = player.kill();
    let _ = publisher.kill();
    let _ = player.wait();
    let _ = publisher.wait();
}

#[test]
fn deleting_a_client_kicks_it() {
    let weir = Weir::start(&[]);
    let publisher = ffmpeg_publish(&weir.rtmp_url("kick"), 30);
    let stream = weir.wait_for_stream("kick", Duration::from_secs(15));
    let cid = stream["publish"]["cid"].as_str().unwrap().to_owned();
    let url = weir.api_url(&format!("/api/v1/clients/{cid}"));
    let reply: Value = reqwest::blocking::Client::new()
        .delete(&url)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(reply["code"], 0, "{reply:#}");
    let (ok, _, _) = finish(publisher, Duration::from_secs(10));
    assert!(!ok, "ffmpeg notices it was kicked");
    wait_until("the stream is gone", Duration::from_secs(5), || {
        weir.api("/api/v1/streams/")["streams"]
            .as_array()
            .unwrap()
            .is_empty()
    });
    let gone: Value = reqwest::blocking::get(&url).unwrap().json().unwrap();
    assert_eq!(gone["code"], 2049, "{gone:#}");
}

#[test]
fn security_rules_deny_and_allow_by_cidr_per_vhost() {
    let dir = TempPath::dir("security");
    let config = dir.join("weir.toml");
    std::fs::write(
        &config,
        "[security]\nenabled = true\nrules = [\"deny publish 127.0.0.0/8\", \"allow play all\"]\n\n\
         [vhosts.\"studio.example\".security]\nenabled = true\n\
         rules = [\"allow publish 127.0.0.1/32\", \"deny play 127.0.0.1\"]\n",
    )
    .unwrap();
    let weir = Weir::start_with_config(&config, &[]);
    // The default vhost denies publishing from loopback.
    let (ok, _, _) = finish(
        ffmpeg_publish(&weir.rtmp_url("s"), 3),
        Duration::from_secs(15),
    );
    assert!(
        !ok,
        "publishing from 127.0.0.1 is denied on the default vhost"
    );
    assert!(
        weir.log()
            .contains("denied by security rule \"deny publish 127.0.0.0/8\""),
        "{}",
        weir.log()
    );
    // studio.example allows it (the vhost named in the app, as SRS reads `?vhost=`).
    let url = format!("rtmp://127.0.0.1:{}/live?vhost=studio.example/s", weir.rtmp);
    let mut publisher = ffmpeg_publish(&url, 30);
    let stream = weir.wait_for_stream("s", Duration::from_secs(15));
    assert_eq!(stream["vhost"], "studio.example");
    // ... and denies playing from loopback: FLV answers 403.
    let flv = format!(
        "http://127.0.0.1:{}/live/s.flv?vhost=studio.example",
        weir.http
    );
    let status = reqwest::blocking::get(&flv).unwrap().status();
    assert_eq!(status, 403);
    // HLS too: its playlist and segments answer 403 (before any other check).
    for path in ["s.m3u8", "s-0.ts"] {
        let url = format!(
            "http://127.0.0.1:{}/live/{path}?vhost=studio.example",
            weir.http
        );
        assert_eq!(
            reqwest::blocking::get(&url).unwrap().status(),
            403,
            "{path}"
        );
    }
    let _ = publisher.kill();
    let _ = publisher.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_ends_sessions_and_exits_cleanly() {
    let mut weir = Weir::start(&[]);
    let mut publisher = ffmpeg_publish(&weir.rtmp_url("bye"), 30);
    weir.wait_for_stream("bye", Duration::from_secs(15));
    let mut player = ffmpeg_play(&weir.rtmp_url("bye"), 30);
    std::thread::sleep(Duration::from_secs(1));
    let status = weir.terminate();
    assert!(status.success(), "{status:?}\n{}", weir.log());
    let log = weir.log();
    assert!(log.contains("shutting down signal=\"SIGTERM\""), "{log}");
    assert!(
        log.contains("what=\"unpublish\"") && log.contains("what=\"stop\""),
        "{log}"
    );
    // Both peers see their connection end.
    for child in [&mut publisher, &mut player] {
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "a peer outlived the server");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn http_flv_answers_head_and_options_with_cors() {
    let weir = Weir::start(&[]);
    let client = reqwest::blocking::Client::new();
    let url = weir.flv_url("anything");
    for method in [reqwest::Method::HEAD, reqwest::Method::OPTIONS] {
        let response = client.request(method.clone(), &url).send().unwrap();
        assert_eq!(response.status(), 200, "{method}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert_eq!(header("access-control-allow-origin"), "*", "{method}");
        assert!(
            header("access-control-allow-methods").contains("GET"),
            "{method}"
        );
        assert_eq!(header("content-type"), "video/x-flv", "{method}");
    }
    let missing = client
        .get(format!("http://127.0.0.1:{}/live/x.mp4", weir.http))
        .send()
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        weir.api("/api/v1/clients/")["clients"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "HEAD and OPTIONS do not register players"
    );
}
