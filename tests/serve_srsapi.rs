//! `weir serve`'s SRS-compatible API beyond streams and clients: `/api/v1/summaries` with real
//! numbers, `/api/v1/vhosts`, the `/api/` and `/api/v1/` indexes, JSONP, HTTP basic
//! authentication (checked with curl), and `/metrics` with SRS's exporter names, read by
//! Prometheus's own Python parser (`prometheus_client`, installed by `ci/install-peers`).

mod support;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Weir, ffmpeg_publish, run};
use weir_testkit::TempPath;

fn wait_until(what: &str, wait: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + wait;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {wait:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// curl `url` with extra `args`: (HTTP status, headers, body).
fn curl(url: &str, args: &[&str]) -> (u16, String, String) {
    let (ok, out, err) = run(
        Command::new("curl")
            .args(["-s", "-D", "-", "--max-time", "10"])
            .args(args)
            .arg(url),
        Duration::from_secs(15),
    );
    assert!(ok, "curl {url}: {err}");
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn number(value: &Value, path: &str) -> f64 {
    let v = value
        .pointer(path)
        .unwrap_or_else(|| panic!("{path} missing: {value:#}"));
    v.as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number: {value:#}"))
}

#[test]
fn summaries_report_real_numbers() {
    let weir = Weir::start(&[]);
    let before = weir.api("/api/v1/summaries");
    assert_eq!(before["code"], 0, "{before:#}");
    assert!(number(&before, "/data/self/mem_kbyte") > 0.0, "{before:#}");
    assert_eq!(number(&before, "/data/self/pid") as u32, weir.pid());
    assert!(number(&before, "/data/self/ppid") > 0.0, "{before:#}");
    assert!(number(&before, "/data/system/mem_ram_kbyte") > 0.0);
    assert!(number(&before, "/data/system/cpus") >= 1.0);
    assert!(number(&before, "/data/system/cpus_online") >= 1.0);
    assert!(number(&before, "/data/system/uptime") > 0.0);
    for load in ["load_1m", "load_5m", "load_15m"] {
        assert!(number(&before, &format!("/data/system/{load}")) >= 0.0);
    }
    assert_eq!(before["data"]["ok"], true, "{before:#}");
    let recv_before = number(&before, "/data/system/srs_recv_bytes");

    let mut publisher = ffmpeg_publish(&weir.rtmp_url("summaries"), 20);
    weir.wait_for_stream("summaries", Duration::from_secs(15));
    // Two samples apart (2 s each) the CPU percentages are differences, and plausible.
    std::thread::sleep(Duration::from_secs(5));
    let after = weir.api("/api/v1/summaries");
    let recv_after = number(&after, "/data/system/srs_recv_bytes");
    assert!(
        recv_after > recv_before + 10_000.0,
        "{recv_before} -> {recv_after}"
    );
    let cpu = number(&after, "/data/self/cpu_percent");
    assert!(
        cpu > 0.0 && cpu < 64.0,
        "encoding nothing, the server used {cpu} cores"
    );
    let system_cpu = number(&after, "/data/system/cpu_percent");
    assert!((0.0..=1.0).contains(&system_cpu), "{system_cpu}");
    assert!(number(&after, "/data/system/conn_srs") >= 1.0);
    // Sampled while the publisher's RTMP connection is up: it is one of the machine's sockets.
    assert!(number(&after, "/data/system/conn_sys") >= 1.0, "{after:#}");
    assert!(
        number(&after, "/data/system/conn_sys_et") >= 1.0,
        "{after:#}"
    );
    assert!(number(&after, "/data/self/mem_percent") > 0.0);
    let _ = publisher.kill();
    let _ = publisher.wait();
}

#[test]
fn vhosts_are_listed_with_their_streams() {
    let dir = TempPath::dir("srsapi-vhosts");
    let config = dir.join("weir.toml");
    std::fs::write(
        &config,
        "[vhosts.\"studio.example\".security]\nenabled = false\n",
    )
    .unwrap();
    let weir = Weir::start_with_config(&config, &[]);
    let url = format!("rtmp://127.0.0.1:{}/live?vhost=studio.example/v", weir.rtmp);
    let mut publisher = ffmpeg_publish(&url, 20);
    weir.wait_for_stream("v", Duration::from_secs(15));

    let list = weir.api("/api/v1/vhosts");
    assert_eq!(list["code"], 0, "{list:#}");
    let vhosts = list["vhosts"].as_array().unwrap();
    let names: Vec<&str> = vhosts.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names, ["__defaultVhost__", "studio.example"], "{list:#}");
    let studio = &vhosts[1];
    assert_eq!(studio["streams"], 1, "{list:#}");
    assert_eq!(studio["clients"], 1, "{list:#}");
    assert_eq!(studio["enabled"], true);
    assert_eq!(studio["hls"]["enabled"], true);
    assert_eq!(vhosts[0]["streams"], 0, "{list:#}");
    wait_until(
        "the studio's bytes are counted",
        Duration::from_secs(10),
        || {
            let id = studio["id"].as_str().unwrap();
            let one = weir.api(&format!("/api/v1/vhosts/{id}"));
            one["vhost"]["recv_bytes"].as_u64().unwrap_or(0) > 0
        },
    );
    let id = studio["id"].as_str().unwrap();
    let one = weir.api(&format!("/api/v1/vhosts/{id}"));
    assert_eq!(one["vhost"]["name"], "studio.example", "{one:#}");
    let missing = reqwest::blocking::get(weir.api_url("/api/v1/vhosts/vid-nothere")).unwrap();
    assert_eq!(missing.status(), 404);
    let missing: Value = missing.json().unwrap();
    assert_eq!(missing["code"], 2014, "{missing:#}");

    // The indexes list what is served, as SRS's do.
    let root = weir.api("/api/");
    assert!(root["urls"]["v1"].is_string(), "{root:#}");
    assert!(root["urls"]["rtc"]["v1"]["publish"].is_string(), "{root:#}");
    // Lists say how many there are in all, for paging (`?start=&count=`).
    let page = weir.api("/api/v1/streams/?start=0&count=0");
    assert_eq!(page["total"], 1, "{page:#}");
    assert_eq!(page["streams"].as_array().unwrap().len(), 0, "{page:#}");
    assert_eq!(weir.api("/api/v1/clients/")["total"], 1);
    let v1 = weir.api("/api/v1/");
    for path in ["versions", "summaries", "vhosts", "streams", "clients"] {
        assert!(v1["urls"][path].is_string(), "{path}: {v1:#}");
        let reply = weir.api(&format!("/api/v1/{path}"));
        assert_eq!(reply["code"], 0, "{path}: {reply:#}");
    }
    let _ = publisher.kill();
    let _ = publisher.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn jsonp_wraps_every_json_reply() {
    let weir = Weir::start(&[]);
    for path in [
        "/api/v1/versions",
        "/api/v1/summaries",
        "/api/v1/streams/",
        "/api/v1/streams/vid-nothere",
    ] {
        let url = weir.api_url(&format!("{path}?callback=jQuery_1.cb%24"));
        let (status, head, body) = curl(&url, &[]);
        assert!(
            head.contains("content-type: application/javascript"),
            "{path}: {head}"
        );
        let inner = body
            .strip_prefix("jQuery_1.cb$(")
            .and_then(|b| b.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{path}: {body}"));
        let json: Value = serde_json::from_str(inner).unwrap();
        assert!(json["code"].is_number(), "{path}: {json:#}");
        assert_eq!(
            status == 200,
            json["code"] == 0,
            "{path}: {status} {json:#}"
        );
    }
    // Anything but letters, digits, _, . and $ would be script: refused before it runs.
    for bad in ["alert(1)//", "a%3Cb", "a+b", "a%2"] {
        let (status, _, body) = curl(
            &weir.api_url(&format!("/api/v1/versions?callback={bad}")),
            &[],
        );
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(!body.contains(bad), "{bad}: {body}");
    }
    // No callback: plain JSON.
    let (_, head, body) = curl(&weir.api_url("/api/v1/versions"), &[]);
    assert!(head.contains("content-type: application/json"), "{head}");
    serde_json::from_str::<Value>(&body).unwrap();
}

#[test]
fn basic_auth_guards_the_api_and_metrics() {
    let weir = Weir::start(&["api.username=admin", "api.password=s3cret"]);
    let url = weir.api_url("/api/v1/versions");
    let (status, head, _) = curl(&url, &[]);
    assert_eq!(status, 401);
    assert!(
        head.contains("www-authenticate: basic realm=\"weir\""),
        "{head}"
    );
    let (status, _, _) = curl(&url, &["-u", "admin:wrong"]);
    assert_eq!(status, 401, "wrong password");
    let (status, _, _) = curl(&url, &["-u", "root:s3cret"]);
    assert_eq!(status, 401, "wrong user");
    let (status, _, body) = curl(&url, &["-u", "admin:s3cret"]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], 0);
    // JSONP does not get around it.
    let (status, _, _) = curl(&format!("{url}?callback=cb"), &[]);
    assert_eq!(status, 401);
    // WebRTC signalling keeps its own bearer token (rtc.token): no basic challenge there (415:
    // this offer is not SDP). SRS's GB28181 binding is part of the API and asks.
    let whip = weir.api_url("/rtc/v1/whip/?app=live&stream=s");
    assert_eq!(curl(&whip, &["-X", "POST", "-d", "x"]).0, 415);
    let gb = weir.api_url("/gb/v1/publish/");
    assert_eq!(curl(&gb, &["-X", "POST", "-d", "{}"]).0, 401);
    // /metrics follows the API's credentials by default.
    let metrics = weir.api_url("/metrics");
    assert_eq!(curl(&metrics, &[]).0, 401);
    assert_eq!(curl(&metrics, &["-u", "admin:s3cret"]).0, 200);
    drop(weir);

    // ... unless told otherwise: then Prometheus scrapes without, and the API still asks.
    let weir = Weir::start(&[
        "api.username=admin",
        "api.password=s3cret",
        "api.metrics_auth=false",
    ]);
    assert_eq!(curl(&weir.api_url("/metrics"), &[]).0, 200);
    assert_eq!(curl(&weir.api_url("/api/v1/summaries"), &[]).0, 401);
}

/// Every line of a text-format 0.0.4 exposition is a comment (`# HELP`/`# TYPE` naming a valid
/// metric) or `name{labels} value`, with a valid name, quoted label values and a number.
fn strict_lines(text: &str) {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let (kind, name) = (words.next().unwrap(), words.next().unwrap_or(""));
            assert!(matches!(kind, "HELP" | "TYPE"), "{line}");
            assert!(name_ok(name), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        assert!(value.parse::<f64>().is_ok(), "{line}");
        let name = series.split('{').next().unwrap();
        assert!(name_ok(name), "{line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
        }
    }
}

/// The families Prometheus's own parser reads from `text`: name -> [(labels, value)].
fn prometheus_parse(text: &str) -> Value {
    const SCRIPT: &str = "\
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        out.setdefault(sample.name, []).append([sample.labels, sample.value])
print(json.dumps(out))
";
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "prometheus_client rejects /metrics (pip install prometheus-client): {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn metrics_carry_srs_names_and_bounded_stream_series() {
    let weir = Weir::start(&["api.metrics_streams=1"]);
    let mut one = ffmpeg_publish(&weir.rtmp_url("one"), 20);
    let mut two = ffmpeg_publish(&weir.rtmp_url("two"), 20);
    weir.wait_for_stream("one", Duration::from_secs(15));
    weir.wait_for_stream("two", Duration::from_secs(15));
    let mut player = Command::new("ffmpeg")
        .args(["-v", "error", "-i", &weir.flv_url("two"), "-t", "15"])
        .args(["-c", "copy", "-f", "null", "-"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the player plays", Duration::from_secs(10), || {
        weir.client_of_type("flv-play").is_some()
    });
    std::thread::sleep(Duration::from_secs(3));

    let text = reqwest::blocking::get(weir.api_url("/metrics"))
        .unwrap()
        .text()
        .unwrap();
    strict_lines(&text);
    let families = prometheus_parse(&text);
    let value = |name: &str| -> f64 {
        families[name][0][1]
            .as_f64()
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
    };
    assert!(value("srs_receive_bytes_total") > 10_000.0, "{text}");
    assert!(value("srs_send_bytes_total") > 0.0, "{text}");
    assert_eq!(value("srs_streams"), 2.0, "{text}");
    assert_eq!(value("srs_clients"), 3.0, "{text}");
    assert!(value("srs_clients_total") >= 3.0, "{text}");
    assert!(value("srs_clients_errs_total") >= 0.0, "{text}");
    assert!(value("srs_memory") > 0.0, "{text}");
    assert!(value("srs_cpu_percent") >= 0.0, "{text}");
    assert_eq!(value("srs_build_info"), 1.0, "{text}");
    assert_eq!(
        families["srs_build_info"][0][0]["version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(value("srs_node_uname_info"), 1.0, "{text}");
    assert!(
        value("weir_clients") >= 3.0,
        "the weir_* families stay beside"
    );
    // One stream (the one with a player) gets series; the other is counted as omitted.
    assert_eq!(value("weir_streams_omitted"), 1.0, "{text}");
    for name in [
        "weir_stream_players",
        "weir_stream_bitrate_in_kbps",
        "weir_stream_bitrate_out_kbps",
        "weir_stream_received_bytes_total",
        "weir_stream_sent_bytes_total",
        "weir_stream_frames_total",
    ] {
        let series = families[name].as_array().unwrap();
        assert_eq!(series.len(), 1, "{name}: {text}");
        let labels = &series[0][0];
        assert_eq!(labels["stream"], "two", "{name}: the stream with a player");
        assert_eq!(labels["app"], "live");
        assert_eq!(labels["vhost"], "__defaultVhost__");
    }
    assert_eq!(value("weir_stream_players"), 1.0, "{text}");
    assert!(value("weir_stream_frames_total") > 25.0, "{text}");
    assert!(value("weir_stream_bitrate_in_kbps") > 0.0, "{text}");
    assert!(
        value("weir_stream_received_bytes_total") > 10_000.0,
        "{text}"
    );
    assert!(value("weir_stream_sent_bytes_total") > 0.0, "{text}");
    for child in [&mut one, &mut two, &mut player] {
        let _ = child.kill();
        let _ = child.wait();
    }
}
