//! `weir serve` transcodes Opus to AAC for the classic players: FFmpeg publishes H.264 + Opus
//! in MPEG-TS over UDP; ffprobe reads AAC over RTMP, HTTP-FLV, HTTP-TS and HLS, FFmpeg decodes
//! the FLV's audio without an error, and the API still reports what the publisher sends.

mod support;

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{Weir, ffprobe_streams, run};
use weir_testkit::peer;

/// `ffmpeg` sending a test pattern (H.264) and a 1 kHz tone (Opus 48 kHz stereo) as MPEG-TS
/// over UDP in real time for `seconds`.
fn ffmpeg_ts_opus(port: u16, seconds: u32) -> Child {
    Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-v", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000"])
        .args(["-t", &seconds.to_string()])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-g",
            "25",
        ])
        .args([
            "-pix_fmt", "yuv420p", "-c:a", "libopus", "-ac", "2", "-b:a", "64k",
        ])
        .args([
            "-f",
            "mpegts",
            &format!("udp://127.0.0.1:{port}?pkt_size=1316"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg starts")
}

fn audio(probe: &Value) -> &Value {
    probe["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s.get("sample_rate").is_some()))
        .unwrap_or_else(|| panic!("no audio stream in {probe:#}"))
}

#[test]
fn opus_published_over_ts_plays_as_aac_on_rtmp_flv_ts_and_hls() {
    let weir = Weir::start(&["hls.fragment=1", "mpegts.stream=live/opus"]);
    let port = weir.mpegts.expect("MPEG-TS over UDP listens");
    let mut publisher = ffmpeg_ts_opus(port, 40);

    let api = weir.wait_for_stream("opus", Duration::from_secs(15));
    assert_eq!(
        api["audio"]["codec"], "Opus",
        "the API reports what is published: {api:#}"
    );

    let http = |path: &str| format!("http://127.0.0.1:{}/live/{path}", weir.http);
    let urls = [
        weir.rtmp_url("opus"),
        weir.flv_url("opus"),
        http("opus.ts"),
        http("opus.m3u8"),
    ];
    // HLS needs a segment or two first.
    std::thread::sleep(Duration::from_secs(3));
    let handles: Vec<_> = urls
        .iter()
        .cloned()
        .map(|url| std::thread::spawn(move || ffprobe_streams(&url)))
        .collect();
    for (url, handle) in urls.iter().zip(handles) {
        let probed = handle.join().unwrap();
        let audio = audio(&probed);
        assert_eq!(audio["codec_name"], "aac", "{url}: {probed:#}");
        assert_eq!(audio["sample_rate"], "48000", "{url}");
        assert_eq!(audio["channels"], 2, "{url}");
    }

    let (ok, _, stderr) = run(
        Command::new(peer::binary("FFMPEG", "ffmpeg"))
            .args([
                "-v",
                "error",
                "-rw_timeout",
                "10000000",
                "-i",
                &weir.flv_url("opus"),
            ])
            .args(["-map", "0:a", "-t", "3", "-f", "null", "-"]),
        Duration::from_secs(30),
    );
    assert!(
        ok && stderr.trim().is_empty(),
        "FLV's AAC does not decode cleanly: {stderr}"
    );
    let _ = publisher.kill();
    let _ = publisher.wait();
}
