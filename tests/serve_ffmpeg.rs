//! `weir serve` with FFmpeg: ffmpeg publishes H.264 + AAC over RTMP; ffprobe sees the stream
//! over RTMP and HTTP-FLV; ffmpeg decodes both without an error; the API describes it; a late
//! joiner starts at a keyframe; a second publisher is refused while the first goes on.

mod support;

use serde_json::Value;
use std::process::Command;
use std::time::Duration;
use support::{Weir, ffmpeg_publish, ffprobe_streams, finish, run};
use weir_testkit::peer;

fn probe(url: &str) -> Value {
    ffprobe_streams(url)
}

fn stream<'a>(probe: &'a Value, codec: &str) -> &'a Value {
    probe["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["codec_name"] == codec))
        .unwrap_or_else(|| panic!("no {codec} stream in {probe:#}"))
}

/// Decodes 100 video frames (4 s) with ffmpeg: success and not one error message.
fn decode(url: &str) {
    let (ok, _, stderr) = run(
        Command::new(peer::binary("FFMPEG", "ffmpeg"))
            .args(["-v", "error", "-rw_timeout", "10000000", "-i", url])
            .args(["-frames:v", "100", "-f", "null", "-"]),
        Duration::from_secs(30),
    );
    assert!(
        ok && stderr.trim().is_empty(),
        "ffmpeg could not decode {url}: {stderr}"
    );
}

#[test]
fn ffmpeg_publishes_and_plays_over_rtmp_and_http_flv() {
    let weir = Weir::start(&[]);
    let mut publisher = ffmpeg_publish(&weir.rtmp_url("one"), 30);

    let api = weir.wait_for_stream("one", Duration::from_secs(15));
    assert_eq!(api["app"], "live");
    assert_eq!(api["url"], "/live/one");
    assert_eq!(api["vhost"], "__defaultVhost__");
    assert_eq!(api["video"]["codec"], "H264");
    assert_eq!(api["video"]["profile"], "Main");
    assert_eq!(api["video"]["width"], 640);
    assert_eq!(
        api["video"]["height"], 360,
        "the SPS's cropping counts: 360, not 368"
    );
    assert_eq!(api["audio"]["codec"], "AAC");
    assert_eq!(api["audio"]["sample_rate"], 44100);
    assert_eq!(api["audio"]["channel"], 2);
    assert_eq!(api["audio"]["profile"], "LC");
    assert_eq!(api["publish"]["active"], true);

    let rtmp = weir.rtmp_url("one");
    let flv = weir.flv_url("one");
    let handles: Vec<_> = [rtmp.clone(), flv.clone()]
        .into_iter()
        .map(|url| {
            std::thread::spawn(move || {
                let probed = probe(&url);
                decode(&url);
                probed
            })
        })
        .collect();
    for (url, handle) in [rtmp, flv].iter().zip(handles) {
        let probed = handle.join().unwrap();
        let video = stream(&probed, "h264");
        assert_eq!(video["width"], 640, "{url}");
        assert_eq!(video["height"], 360, "{url}");
        assert_eq!(video["profile"], "Main", "{url}");
        let audio = stream(&probed, "aac");
        assert_eq!(audio["sample_rate"], "44100", "{url}");
        assert_eq!(audio["channels"], 2, "{url}");
    }
    let _ = publisher.kill();
    let _ = publisher.wait();
}

#[test]
fn a_late_joiner_starts_at_a_keyframe() {
    let weir = Weir::start(&[]);
    let mut publisher = ffmpeg_publish(&weir.rtmp_url("late"), 30);
    weir.wait_for_stream("late", Duration::from_secs(15));
    // Join in the middle of a GOP (one keyframe a second).
    std::thread::sleep(Duration::from_millis(1500));
    for url in [weir.rtmp_url("late"), weir.flv_url("late")] {
        let (ok, stdout, stderr) = run(
            Command::new(peer::binary("FFPROBE", "ffprobe"))
                .args([
                    "-v",
                    "error",
                    "-rw_timeout",
                    "10000000",
                    "-select_streams",
                    "v:0",
                ])
                .args([
                    "-read_intervals",
                    "%+#10",
                    "-show_entries",
                    "frame=key_frame,pict_type",
                ])
                .args(["-of", "csv", &url]),
            Duration::from_secs(20),
        );
        assert!(ok, "ffprobe {url}: {stderr}");
        let first = stdout.lines().next().unwrap_or("");
        assert_eq!(
            first, "frame,1,I",
            "{url}: the first video frame is a keyframe:\n{stdout}"
        );
        assert!(stdout.lines().count() >= 10, "{url}: {stdout}");
    }
    let _ = publisher.kill();
    let _ = publisher.wait();
}

#[test]
fn a_second_publisher_is_refused_and_the_first_keeps_streaming() {
    let weir = Weir::start(&[]);
    let mut first = ffmpeg_publish(&weir.rtmp_url("taken"), 30);
    let before = weir.wait_for_stream("taken", Duration::from_secs(15));
    let cid = before["publish"]["cid"].clone();

    let second = ffmpeg_publish(&weir.rtmp_url("taken"), 5);
    let (ok, _, stderr) = finish(second, Duration::from_secs(15));
    assert!(!ok, "the second publisher must fail");
    assert!(
        weir.log().contains("publish refused: stream busy"),
        "{stderr}\n{}",
        weir.log()
    );

    // The first publisher is still the one, and its frames still arrive.
    let frames = before["frames"].as_u64().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let after = weir.wait_for_stream("taken", Duration::from_secs(5));
    assert_eq!(after["publish"]["cid"], cid);
    assert!(after["frames"].as_u64().unwrap() > frames + 25, "{after:#}");
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first ffmpeg still runs"
    );
    decode(&weir.flv_url("taken"));
    let _ = first.kill();
    let _ = first.wait();
}

#[test]
fn merged_writes_still_play_without_a_decode_error() {
    let weir = Weir::start(&["hub.merged_write_ms=300"]);
    let mut publisher = ffmpeg_publish(&weir.rtmp_url("merged"), 30);
    weir.wait_for_stream("merged", Duration::from_secs(15));
    let rtmp = weir.rtmp_url("merged");
    let flv = weir.flv_url("merged");
    let other = std::thread::spawn(move || decode(&flv));
    decode(&rtmp);
    other.join().unwrap();
    let _ = publisher.kill();
    let _ = publisher.wait();
}
