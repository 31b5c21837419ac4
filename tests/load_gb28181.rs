//! `weir load --gb28181` against a live `weir serve`: simulated devices register through the
//! server's `POST /gb/v1/publish/`, stream a corpus file as PS over RTP over TCP and over UDP
//! (clean, and with start codes split across packets and a header extension on every packet),
//! and ffprobe plays each device's stream over RTMP and HTTP-FLV as H.264 + AAC.

mod support;

use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{Weir, codecs, ffprobe_streams, finish};
use weir_testkit::corpus;

/// Two devices streaming for `seconds` over `transport`, with `extra` flags; each device's
/// stream plays as H.264 + AAC; the run's JSON summary.
fn devices_play(transport: &str, extra: &[&str]) -> Value {
    let weir = Weir::start(&[]);
    let file = corpus::path("flv/avatar.flv");
    let load = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["load", "--gb28181", "--devices", "2", "--duration", "12"])
        .args(["--api", &weir.api_url("")])
        .args(["--transport", transport, "--json"])
        .args(["--publish", file.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weir load starts");
    for device in ["34020000001320000000", "34020000001320000001"] {
        let stream = weir.wait_for_stream(device, Duration::from_secs(15));
        assert_eq!(stream["video"]["codec"], "H264", "{stream}");
        let both = ["aac", "h264"];
        assert_eq!(codecs(&ffprobe_streams(&weir.rtmp_url(device))), both);
        assert_eq!(codecs(&ffprobe_streams(&weir.flv_url(device))), both);
    }
    let (ok, stdout, stderr) = finish(load, Duration::from_secs(30));
    let summary: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    assert!(ok, "{summary:#}\n{stderr}\n{}", weir.log());
    assert_eq!(summary["streaming"], 2, "{summary:#}");
    assert_eq!(summary["errors"], 0, "{summary:#}");
    summary
}

/// A source file FFmpeg makes from its test patterns with `args` (codecs, format), in `dir`.
fn ffmpeg_source(dir: &weir_testkit::TempPath, name: &str, args: &str) -> std::path::PathBuf {
    let source = dir.path().join(name);
    let (ok, _, stderr) = support::run(
        Command::new(weir_testkit::peer::binary("FFMPEG", "ffmpeg"))
            .args(args.split_whitespace())
            .arg(&source),
        Duration::from_secs(60),
    );
    assert!(ok, "{stderr}");
    source
}

/// One simulated device streaming `source` to `weir` over `transport` for 10 s.
fn one_device(weir: &Weir, transport: &str, source: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["load", "--gb28181", "--devices", "1", "--duration", "10"])
        .args([
            "--api",
            &weir.api_url(""),
            "--transport",
            transport,
            "--json",
        ])
        .arg("--publish")
        .arg(source)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weir load starts")
}

#[test]
fn devices_over_tcp_play_over_rtmp_and_http_flv() {
    let summary = devices_play("tcp", &[]);
    assert_eq!(summary["transport"], "TCP");
}

#[test]
fn devices_over_udp_play_over_rtmp_and_http_flv() {
    let summary = devices_play("udp", &[]);
    assert_eq!(summary["transport"], "UDP");
}

#[test]
fn split_start_codes_and_header_extensions_still_play() {
    devices_play("udp", &["--mangle", "split-start-codes"]);
    devices_play("tcp", &["--mangle", "header-extension"]);
}

#[test]
fn pcap_writes_a_capture_without_a_server_and_a_bad_mangle_is_refused() {
    let file = corpus::path("flv/avc_aac.flv");
    let out = weir_testkit::TempPath::new("gbsim.pcap");
    let (ok, _, stderr) = support::run(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args([
                "load",
                "--gb28181",
                "--transport",
                "udp",
                "--mangle",
                "no-psm",
            ])
            .args(["--publish", file.to_str().unwrap()])
            .arg("--pcap")
            .arg(out.path()),
        Duration::from_secs(30),
    );
    assert!(ok, "{stderr}");
    let pcap = std::fs::read(out.path()).unwrap();
    let datagrams = weir_capture::CaptureEvents::new(&pcap[..], Default::default())
        .unwrap()
        .filter(|e| {
            matches!(
                e.as_ref().unwrap().event,
                weir_capture::FlowEvent::Datagram { .. }
            )
        })
        .count();
    assert!(datagrams > 100, "{datagrams} datagrams");
    let (ok, _, stderr) = support::run(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args([
                "load",
                "--gb28181",
                "--mangle",
                "nope",
                "--pcap",
                "/dev/null",
            ])
            .args(["--publish", file.to_str().unwrap()]),
        Duration::from_secs(30),
    );
    assert!(!ok && stderr.contains("no mangle \"nope\""), "{stderr}");
}

/// H.265 + AAC from a device: FFmpeg makes the TS the simulator streams as PS; HLS (TS, which
/// FFmpeg 5.1 reads with HEVC, unlike Enhanced RTMP) plays it back as hevc + aac.
#[test]
fn an_h265_device_plays_over_hls() {
    let dir = weir_testkit::TempPath::dir("gb-h265");
    let source = ffmpeg_source(
        &dir,
        "h265.ts",
        "-v error -f lavfi -i testsrc2=size=320x180:rate=25 -f lavfi \
         -i sine=frequency=440:sample_rate=44100 -t 4 -c:v libx265 \
         -x265-params log-level=none:keyint=25:bframes=0 -pix_fmt yuv420p \
         -c:a aac -ac 2 -f mpegts",
    );
    let weir = Weir::start(&["hls.fragment=1"]);
    let load = one_device(&weir, "tcp", &source);
    let device = "34020000001320000000";
    let stream = weir.wait_for_stream(device, Duration::from_secs(15));
    assert_eq!(stream["video"]["codec"], "H265", "{stream}");
    let hls = weir.wait_for_hls(device, 2);
    assert_eq!(codecs(&ffprobe_streams(&hls)), ["aac", "hevc"]);
    let (ok, stdout, stderr) = finish(load, Duration::from_secs(30));
    assert!(ok, "{stdout}\n{stderr}");
}

/// H.264 + G.711 A-law from a device over UDP (FFmpeg's FLV, whose legacy audio carries no
/// configuration, through the simulator as PS with stream type 0x90): the API reports the
/// audio as 8 kHz mono A-law, HTTP-FLV plays both tracks (FLV carries G.711), and HLS, whose
/// MPEG-TS has no G.711 stream type, plays the video alone while the log says the track was
/// left out.
#[test]
fn a_g711_device_plays_over_flv_and_hls_leaves_its_audio_out_with_a_notice() {
    let dir = weir_testkit::TempPath::dir("gb-g711");
    let source = ffmpeg_source(
        &dir,
        "g711.flv",
        "-v error -f lavfi -i testsrc2=size=320x180:rate=25 -f lavfi \
         -i sine=frequency=440:sample_rate=8000 -t 4 -c:v libx264 -g 25 \
         -pix_fmt yuv420p -c:a pcm_alaw -ar 8000 -ac 1 -f flv",
    );
    let weir = Weir::start(&["hls.fragment=1"]);
    let load = one_device(&weir, "udp", &source);
    let device = "34020000001320000000";
    let stream = weir.wait_for_stream(device, Duration::from_secs(15));
    assert_eq!(stream["audio"]["codec"], "PCM_ALAW", "{stream}");
    assert_eq!(stream["audio"]["sample_rate"], 8000, "{stream}");
    assert_eq!(stream["audio"]["channel"], 1, "{stream}");
    assert_eq!(
        codecs(&ffprobe_streams(&weir.flv_url(device))),
        ["h264", "pcm_alaw"]
    );
    let hls = weir.wait_for_hls(device, 2);
    assert_eq!(codecs(&ffprobe_streams(&hls)), ["h264"]);
    let log = weir.log();
    assert!(
        log.lines()
            .any(|l| l.contains("track left out of HLS") && l.contains("pcm_alaw")),
        "{log}"
    );
    let (ok, stdout, stderr) = finish(load, Duration::from_secs(30));
    assert!(ok, "{stdout}\n{stderr}");
}

/// Against an API with basic authentication (SRS's `http_api.auth`), devices register with
/// the credentials of the `--api` URL, and the report hides the password; without them, the
/// registration is refused with the API's 401 and `weir load` fails.
#[test]
fn devices_register_with_the_credentials_of_the_api_url() {
    let weir = Weir::start(&["api.username=admin", "api.password=s3cret"]);
    let file = corpus::path("flv/avatar.flv");
    let load = |api: String| {
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["load", "--gb28181", "--duration", "3", "--json", "--api"])
            .arg(api)
            .arg("--publish")
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weir load starts")
    };
    let (ok, _, stderr) = finish(load(weir.api_url("")), Duration::from_secs(30));
    assert!(!ok && stderr.contains("HTTP 401"), "{stderr}");
    let with = weir.api_url("").replace("http://", "http://admin:s3cret@");
    let (ok, stdout, stderr) = finish(load(with), Duration::from_secs(30));
    let summary: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    assert!(ok, "{summary:#}\n{stderr}\n{}", weir.log());
    assert_eq!(summary["streaming"], 1, "{summary:#}");
    let api = summary["api"].as_str().unwrap();
    assert!(
        api.contains("admin:***@") && !stdout.contains("s3cret"),
        "{summary:#}"
    );
}
