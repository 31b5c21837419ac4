//! `weir serve` as a GB28181 media server: SRS's `POST /gb/v1/publish/` binds a device id to an
//! SSRC and answers the port; RTP that no binding claims, and senders that break the framing or
//! send junk, are dropped, counted and cut off alone; a device (`weir load --gb28181`, the
//! simulator) that goes quiet is unpublished, comes back and publishes again, plays over HLS,
//! and is kicked like any publisher.

mod support;

use serde_json::{Value, json};
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{Weir, codecs, ffprobe_streams, finish};
use weir_testkit::corpus;

/// The stream of the simulator's first device.
const DEVICE: &str = "34020000001320000000";

/// One simulated device streaming avatar.flv for `seconds` over `transport`, with `extra`
/// flags.
fn device(weir: &Weir, transport: &str, seconds: u32, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["load", "--gb28181", "--devices", "1"])
        .args(extra)
        .args(["--duration", &seconds.to_string()])
        .args(["--api", &weir.api_url("")])
        .args(["--transport", transport, "--json"])
        .arg("--publish")
        .arg(corpus::path("flv/avatar.flv"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weir load starts")
}

/// Whether a stream named `name` is being published.
fn publishing(weir: &Weir, name: &str) -> bool {
    weir.api("/api/v1/streams/")["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s["name"] == name && s["publish"]["active"] == true)
}

fn bind(weir: &Weir, body: Value) -> Value {
    reqwest::blocking::Client::new()
        .post(weir.api_url("/gb/v1/publish/"))
        .json(&body)
        .send()
        .expect("the API answers")
        .json()
        .expect("a JSON answer")
}

/// `weir_dropped_packets_total{reason="..."}` from /metrics.
fn dropped(weir: &Weir, reason: &str) -> u64 {
    let text = reqwest::blocking::get(weir.api_url("/metrics"))
        .unwrap()
        .text()
        .unwrap();
    let key = format!("weir_dropped_packets_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// A minimal RTP packet: version 2, PT 96, `ssrc`, and `payload`.
fn rtp(ssrc: u32, sequence: u16, payload: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x80, 96];
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(&0u32.to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend_from_slice(payload);
    packet
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_publish_api_binds_devices_as_srs_answers_and_refuses_bad_requests() {
    let weir = Weir::start(&[]);
    let port = weir.gb28181.expect("GB28181 is on by default");
    let answer = bind(
        &weir,
        json!({"id": "34020000001320000001", "ssrc": "1234567890"}),
    );
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(answer["port"], port, "{answer}");
    assert_eq!(answer["is_tcp"], true, "{answer}");
    // The same pair again (a SIP server's re-invite), and an SSRC given as a number.
    let again = bind(
        &weir,
        json!({"id": "34020000001320000001", "ssrc": 1234567890}),
    );
    assert_eq!(again["code"], 0, "{again}");
    // Bad requests: SRS's ERROR_HTTP_DATA_INVALID, with a description.
    for body in [
        json!({"ssrc": "1"}),
        json!({"id": "cam", "ssrc": "twelve"}),
        json!({"id": "cam", "ssrc": "4294967296"}),
        json!({"id": "cam", "ssrc": "0"}),
        json!({"id": "../etc", "ssrc": "7"}),
        json!(["not", "an", "object"]),
    ] {
        let answer = bind(&weir, body.clone());
        assert_eq!(answer["code"], 3008, "{body} -> {answer}");
        assert!(
            answer["desc"].as_str().is_some_and(|d| !d.is_empty()),
            "{answer}"
        );
    }
    // Rebinding an idle device to another SSRC is allowed (nothing publishes for it).
    let moved = bind(&weir, json!({"id": "34020000001320000001", "ssrc": "42"}));
    assert_eq!(moved["code"], 0, "{moved}");
}

#[test]
fn unbound_ssrcs_junk_and_broken_framing_are_dropped_and_cut_off_alone() {
    let weir = Weir::start(&["gb28181.timeout=2"]);
    let port = weir.gb28181.unwrap();
    // UDP: RTP from an SSRC nobody bound, and a datagram that is not RTP.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for sequence in 0..5 {
        udp.send_to(
            &rtp(777, sequence, b"\x00\x00\x01\xba"),
            ("127.0.0.1", port),
        )
        .unwrap();
    }
    udp.send_to(b"hello", ("127.0.0.1", port)).unwrap();
    wait_until("unknown SSRCs counted", || {
        dropped(&weir, "gb28181-unknown-ssrc") >= 5 && dropped(&weir, "gb28181-not-rtp") >= 1
    });

    // TCP: a device that sends RTP of an unbound SSRC, RFC 4571 framed, is read, dropped and,
    // sending nothing a device of ours would, closed after gb28181.timeout.
    let mut stranger = TcpStream::connect(("127.0.0.1", port)).unwrap();
    for sequence in 0..3 {
        let packet = rtp(888, sequence, &[0u8; 100]);
        stranger
            .write_all(&(packet.len() as u16).to_be_bytes())
            .unwrap();
        stranger.write_all(&packet).unwrap();
    }
    // A peer announcing a 65 535-byte frame and sending a little of it holds at most that.
    let mut hog = TcpStream::connect(("127.0.0.1", port)).unwrap();
    hog.write_all(&[0xff, 0xff]).unwrap();
    hog.write_all(&[0u8; 1000]).unwrap();
    wait_until("the stranger's packets counted", || {
        dropped(&weir, "gb28181-unknown-ssrc") >= 8
    });
    // Both are cut off within the timeout (2 s) and a little.
    for (name, mut conn) in [("stranger", stranger), ("hog", hog)] {
        conn.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
        let mut byte = [0u8; 1];
        let started = Instant::now();
        let read = std::io::Read::read(&mut conn, &mut byte);
        // Closed (end of stream, or reset): not a read timeout, and well within it.
        let closed = match &read {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        };
        assert!(
            closed && started.elapsed() < Duration::from_secs(5),
            "{name}: {read:?} after {:?}",
            started.elapsed()
        );
    }
    // None of them became a publisher; the server still binds devices.
    assert_eq!(weir.api("/api/v1/streams/")["streams"], json!([]));
    let answer = bind(&weir, json!({"id": "cam", "ssrc": "9"}));
    assert_eq!(answer["code"], 0, "{answer}");
}

#[test]
fn a_quiet_device_is_unpublished_and_publishes_again_when_it_comes_back() {
    let weir = Weir::start(&["gb28181.timeout=2", "hls.fragment=1"]);
    // Over UDP: the stream plays over HLS too, and ends once the device has been quiet 2 s.
    let first = device(&weir, "udp", 6, &[]);
    weir.wait_for_stream(DEVICE, Duration::from_secs(15));
    let hls = weir.wait_for_hls(DEVICE, 2);
    assert_eq!(codecs(&ffprobe_streams(&hls)), ["aac", "h264"]);
    let (ok, _, stderr) = finish(first, Duration::from_secs(20));
    assert!(ok, "{stderr}");
    wait_until("the quiet device unpublished", || {
        !publishing(&weir, DEVICE)
    });
    assert!(weir.log().contains("gb28181 device silent: unpublished"));
    // The same device (same id and SSRC, bound again) comes back over TCP.
    let again = device(&weir, "tcp", 4, &[]);
    weir.wait_for_stream(DEVICE, Duration::from_secs(15));
    assert_eq!(
        codecs(&ffprobe_streams(&weir.rtmp_url(DEVICE))),
        ["aac", "h264"]
    );
    let (ok, _, stderr) = finish(again, Duration::from_secs(20));
    assert!(ok, "{stderr}");
}

#[test]
fn a_kicked_device_is_cut_off_and_its_stream_ends() {
    let weir = Weir::start(&[]);
    let sim = device(&weir, "tcp", 8, &[]);
    let stream = weir.wait_for_stream(DEVICE, Duration::from_secs(15));
    let client = weir
        .client_of_type("gb28181-publish")
        .expect("a gb28181-publish client");
    assert_eq!(stream["publish"]["cid"], client["id"], "{stream:#}");
    let cid = client["id"].as_str().unwrap().to_owned();
    assert!(weir.kick(&cid), "the kick was answered");
    wait_until("the kicked device's stream ended", || {
        !publishing(&weir, DEVICE)
    });
    // The simulator sees its connection closed: an error, and it stops.
    let (ok, _, _) = finish(sim, Duration::from_secs(30));
    assert!(!ok, "the simulator did not notice the kick");
}

/// A camera whose connection the server cuts reconnects, as real ones do: with
/// `--reconnect`, the kicked simulator registers again, connects anew and publishes from its
/// next keyframe; the stream plays again under a new client, and the run ends without error.
#[test]
fn a_kicked_device_that_reconnects_publishes_again_and_plays() {
    let weir = Weir::start(&[]);
    let sim = device(&weir, "tcp", 12, &["--reconnect", "0.5"]);
    weir.wait_for_stream(DEVICE, Duration::from_secs(15));
    let first = weir
        .client_of_type("gb28181-publish")
        .expect("a gb28181-publish client");
    let cid = first["id"].as_str().unwrap().to_owned();
    assert!(weir.kick(&cid), "the kick was answered");
    wait_until("a new publisher of the device's stream", || {
        weir.client_of_type("gb28181-publish")
            .is_some_and(|c| c["id"] != cid.as_str() && c["publish"] == true)
    });
    let stream = weir.wait_for_stream(DEVICE, Duration::from_secs(15));
    assert_ne!(stream["publish"]["cid"], cid.as_str(), "{stream:#}");
    assert_eq!(
        codecs(&ffprobe_streams(&weir.flv_url(DEVICE))),
        ["aac", "h264"]
    );
    let (ok, stdout, stderr) = finish(sim, Duration::from_secs(30));
    let summary: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    assert!(ok, "{summary:#}\n{stderr}");
    // Once, or more should the first try meet the old session still closing.
    assert!(summary["reconnects"].as_u64() >= Some(1), "{summary:#}");
    assert_eq!(summary["errors"], 0, "{summary:#}");
}
