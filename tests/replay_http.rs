//! `weir replay --to http://...`: the HTTP flows of a capture (FFmpeg playing HTTP-FLV and HLS
//! from `weir serve`, `captures/ffmpeg-weir-http.pcapng`) re-sent to a live server fed by an
//! FFmpeg publisher like the captured one. A fresh `weir serve` answers the same; one without
//! the stream answers otherwise, and the diff says where. FFmpeg playing HTTP-TS, recorded
//! here with dumpcap, replays the same way. `--to udp://...`: TS datagrams
//! re-sent to `weir serve`'s MPEG-TS over UDP port make a stream whose media, read back over
//! HTTP-FLV (`--play`), is the captured TS's; GB28181 PS over RTP the same to its port.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;
use support::{Weir, ffmpeg_publish_like_captures, weir_json};

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// Kills the publisher when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn replay(url: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("replay")
            .arg(capture("ffmpeg-weir-http.pcapng"))
            .args(["--to", url, "--format", "json"])
            .args(extra),
    )
}

#[test]
fn http_flv_and_hls_sessions_recorded_against_weir_get_the_same_answers_again() {
    let weir = Weir::start(&["hls.fragment=1"]);
    let _publisher = Killed(ffmpeg_publish_like_captures(&weir.rtmp_url("x"), 30));
    // The captured player found two segments in the playlist.
    weir.wait_for_hls("x", 2);
    let junit = std::env::temp_dir().join(format!("weir-replay-http-{}.xml", std::process::id()));
    let (code, report) = replay(&weir.flv_url("x"), &["--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(
        flows.len(),
        5,
        "one HTTP-FLV and four HLS connections: {report:#}"
    );
    for flow in flows {
        assert_eq!(flow["sent"], flow["captured_messages"], "{flow:#}");
    }
    let all: Vec<&str> = flows
        .iter()
        .flat_map(|f| f["live"].as_array().unwrap())
        .map(|l| l.as_str().unwrap())
        .collect();
    for line in [
        "GET /live/x.flv: status 200",
        "  Content-Type video/x-flv",
        "  video0 configuration: h264 High level 1.2 320x180 15/1 fps",
        "  video0 h264 frames, the first a keyframe",
        "GET /live/x.m3u8: status 200",
        "  media playlist: target duration 2 s, 1 to 9 segments",
        "GET /live/cap-3.ts: status 200",
    ] {
        assert!(all.contains(&line), "{line:?} not in {all:#?}");
    }
    let video = flows[0]["live_frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["track"] == "video0 h264");
    assert!(
        video.is_some_and(|t| t["frames"].as_u64().unwrap() > 10),
        "{:#}",
        flows[0]
    );
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(junit.matches("<testcase").count(), 5, "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
}

/// `weir serve` answers a player of a stream nobody publishes with 200 and waits for it (as
/// SRS does), and its playlist with 404: the media is what differs.
#[test]
fn a_server_without_the_stream_answers_otherwise_and_exits_1() {
    let weir = Weir::start(&["hls.fragment=1"]);
    let (code, report) = replay(
        &weir.flv_url("absent"),
        &["--speed", "4", "--answer-timeout", "1"],
    );
    assert_eq!(code, 1, "the answers differ: {report:#}");
    let flv = &report["flows"][0];
    assert!(flv["error"].is_null(), "{flv:#}");
    let diff = flv["diff"].as_str().unwrap();
    assert!(
        diff.contains("-  video0 h264 frames, the first a keyframe")
            && diff.contains("+  body cut"),
        "{diff}"
    );
    let playlist = report["flows"][1]["diff"].as_str().unwrap();
    assert!(
        playlist.contains("-GET /live/absent.m3u8: status 200"),
        "{playlist}"
    );
}

#[test]
fn a_server_that_is_not_there_is_an_error_not_a_difference() {
    let port = support::free_port();
    let (code, report) = replay(
        &format!("http://127.0.0.1:{port}/live/x.flv"),
        &["--as-fast-as-possible"],
    );
    assert_eq!(code, 2, "{report:#}");
    let error = report["flows"][0]["error"].as_str().unwrap();
    assert!(error.contains("cannot connect"), "{error}");
}

/// A capture of MPEG-TS over UDP, crafted: 3 s of FFmpeg's TS (as the captures' publisher
/// encodes it) in datagrams of 7 packets, spread evenly over 3 s.
fn ts_over_udp_capture() -> PathBuf {
    let dir = std::env::temp_dir();
    let ts = dir.join(format!("weir-replay-udp-{}.ts", std::process::id()));
    let status = Command::new(weir_testkit::peer::binary("FFMPEG", "ffmpeg"))
        .args(["-v", "error", "-nostdin", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"])
        .args([
            "-t", "3", "-c:v", "libx264", "-preset", "veryfast", "-g", "15",
        ])
        .args([
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "1", "-f", "mpegts",
        ])
        .arg(&ts)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let bytes = std::fs::read(&ts).unwrap();
    let datagrams: Vec<&[u8]> = bytes.chunks(7 * 188).collect();
    let mut pcap = weir_capture::write::PcapWriter::new();
    let (from, to) = (
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:1234".parse().unwrap(),
    );
    for (i, datagram) in datagrams.iter().enumerate() {
        let at = Duration::from_secs(3) * i as u32 / datagrams.len() as u32;
        pcap.udp(at, from, to, datagram);
    }
    let path = dir.join(format!("weir-replay-udp-{}.pcap", std::process::id()));
    std::fs::write(&path, pcap.into_bytes()).unwrap();
    let _ = std::fs::remove_file(&ts);
    path
}

fn replay_udp(capture: &PathBuf, weir: &Weir, play: &str) -> (i32, serde_json::Value) {
    weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("replay")
            .arg(capture)
            .arg("--to")
            .arg(format!("udp://127.0.0.1:{}", weir.mpegts.unwrap()))
            .args(["--play", &weir.flv_url(play), "--format", "json"]),
    )
}

#[test]
fn ts_over_udp_replayed_makes_a_stream_with_the_captured_media_and_another_differs() {
    let capture = ts_over_udp_capture();
    let weir = Weir::start(&["mpegts.stream=live/udp"]);
    let (code, report) = replay_udp(&capture, &weir, "udp");
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    let flow = &report["flows"][0];
    assert_eq!(flow["sent"], flow["captured_messages"], "{flow:#}");
    let live = flow["live"].as_array().unwrap();
    for line in [
        "  video0 configuration: h264 High level 1.2 320x180 15/1 fps",
        "  video0 h264 frames, the first a keyframe",
        "  audio0 configuration: aac LC 22050 Hz 1 ch",
    ] {
        assert!(live.iter().any(|l| l == line), "{line:?} not in {flow:#}");
    }
    // A player of a stream the datagrams do not feed gets no media: the answers differ.
    let (code, report) = replay_udp(&capture, &weir, "elsewhere");
    assert_eq!(code, 1, "{report:#}");
    let diff = report["flows"][0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("-  video0 h264 frames, the first a keyframe"),
        "{diff}"
    );
}

/// Records, with dumpcap on the loopback interface, FFmpeg playing `url` (HTTP) for 2 s from
/// the server on `port`.
fn record_ffmpeg_playing(url: &str, port: u16) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("weir-replay-http-ts-{}.pcapng", std::process::id()));
    let mut dumpcap = Command::new(weir_testkit::peer::binary("DUMPCAP", "dumpcap"))
        .args(["-q", "-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dumpcap starts");
    // dumpcap creates the file once it captures.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "dumpcap did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let (played, _, err) = support::run(
        Command::new(weir_testkit::peer::binary("FFMPEG", "ffmpeg"))
            .args(["-v", "error", "-nostdin", "-i", url])
            .args(["-t", "2", "-c", "copy", "-f", "null", "-"]),
        Duration::from_secs(30),
    );
    assert!(played, "ffmpeg played {url}: {err}");
    std::thread::sleep(Duration::from_millis(500));
    // SIGINT: dumpcap writes what it holds and exits.
    let _ = Command::new("kill")
        .args(["-INT", &dumpcap.id().to_string()])
        .status();
    let _ = dumpcap.wait();
    path
}

#[test]
fn an_http_ts_session_recorded_against_weir_gets_the_same_answers_again() {
    let recorded = Weir::start(&[]);
    let _publisher = Killed(ffmpeg_publish_like_captures(&recorded.rtmp_url("cap"), 30));
    recorded.wait_for_stream("cap", Duration::from_secs(10));
    let capture = record_ffmpeg_playing(
        &format!("http://127.0.0.1:{}/live/cap.ts", recorded.http),
        recorded.http,
    );
    let weir = Weir::start(&[]);
    let _other = Killed(ffmpeg_publish_like_captures(&weir.rtmp_url("x"), 30));
    weir.wait_for_stream("x", Duration::from_secs(10));
    let (code, report) = weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("replay")
            .arg(&capture)
            .args(["--to", &format!("http://127.0.0.1:{}/live/x.ts", weir.http)])
            .args(["--format", "json"]),
    );
    let _ = std::fs::remove_file(&capture);
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 1, "{report:#}");
    let live = flows[0]["live"].as_array().unwrap();
    for line in [
        "GET /live/x.ts: status 200",
        "  Content-Type video/MP2T",
        "  video0 h264 frames, the first a keyframe",
    ] {
        assert!(live.iter().any(|l| l == line), "{line:?} not in {report:#}");
    }
}

/// GB28181's PS over RTP over `transport` (`udp`, `tcp`: RFC 4571), as `weir load --gb28181
/// --pcap` writes it from a corpus file, replayed to `weir serve`'s GB28181 port once the
/// captured SSRC is bound to a device (as a SIP server binds it): the device's stream, read
/// back over HTTP-FLV, has the captured PS's media.
fn gb28181_ps_replayed_makes_the_device_stream(transport: &str) {
    let capture = std::env::temp_dir().join(format!(
        "weir-replay-gb-{transport}-{}.pcap",
        std::process::id()
    ));
    let source = weir_testkit::corpus::path("flv/avc_aac.flv");
    let (ok, _, stderr) = support::run(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["load", "--gb28181", "--transport", transport, "--publish"])
            .arg(&source)
            .arg("--pcap")
            .arg(&capture),
        Duration::from_secs(60),
    );
    assert!(ok, "{stderr}");
    let pcap = std::fs::read(&capture).unwrap();
    let ssrc = weir_capture::CaptureEvents::new(&pcap[..], Default::default())
        .unwrap()
        .find_map(|e| match e.unwrap().event {
            weir_capture::FlowEvent::Datagram { bytes, .. } => {
                Some(u32::from_be_bytes(bytes[8..12].try_into().unwrap()))
            }
            // Behind the RFC 4571 length.
            weir_capture::FlowEvent::Data { bytes, .. } => {
                Some(u32::from_be_bytes(bytes[10..14].try_into().unwrap()))
            }
            _ => None,
        })
        .expect("a datagram");
    let weir = Weir::start(&[]);
    let bound: serde_json::Value = reqwest::blocking::Client::new()
        .post(weir.api_url("/gb/v1/publish/"))
        .json(&serde_json::json!({"id": "replayed", "ssrc": ssrc}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(bound["code"], 0, "{bound}");
    let (code, report) = weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("replay")
            .arg(&capture)
            .arg("--to")
            .arg(format!("{transport}://127.0.0.1:{}", weir.gb28181.unwrap()))
            .args(["--play", &weir.flv_url("replayed"), "--format", "json"]),
    );
    let _ = std::fs::remove_file(&capture);
    assert_eq!(code, 0, "{report:#}\n{}", weir.log());
    let flow = &report["flows"][0];
    assert_eq!(flow["sent"], flow["captured_messages"], "{flow:#}");
    let live = flow["live"].as_array().unwrap();
    assert!(
        live.iter()
            .any(|l| l == "  video0 h264 frames, the first a keyframe"),
        "{report:#}"
    );
}

#[test]
fn gb28181_ps_over_udp_replayed_makes_the_device_stream() {
    gb28181_ps_replayed_makes_the_device_stream("udp");
}

#[test]
fn gb28181_ps_over_tcp_replayed_makes_the_device_stream() {
    gb28181_ps_replayed_makes_the_device_stream("tcp");
}
