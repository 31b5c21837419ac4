//! Every codec a publisher can send, on every delivery that can carry it, in one table: five
//! FFmpeg publishers at once (RTMP, SRT and MPEG-TS over UDP: H.264, H.265, AAC, MP3 at an
//! MPEG-1 and an MPEG-2 rate, Opus), and ffprobe on RTMP, HTTP-FLV, HTTP-TS, HLS, SRT and the
//! audio-only `.mp3` and `.aac` of each. The table says what ffprobe must find; a pairing a
//! delivery cannot carry says why, and what it gets instead.
//!
//! Opus is published in MPEG-TS over SRT (as `serve_transcode.rs` does over UDP), not by WHIP:
//! the server's Opus ingest is the same track either way, and a WHIP publisher here would be
//! a browser or the WebRTC test's hand-made peer for one row.

mod support;

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{Weir, run};
use weir_testkit::peer;

/// How a publisher reaches the server.
#[derive(Clone, Copy)]
enum Via {
    Rtmp,
    Srt,
    /// MPEG-TS over UDP: the stream is `mpegts.stream` (set to `live/{name}` below).
    Udp,
}

/// One publisher: its stream name, how it publishes, its encoders and audio rate and channels.
struct Publisher {
    name: &'static str,
    via: Via,
    video: &'static [&'static str],
    audio: &'static [&'static str],
    /// What the API must say of its audio: codec, sample rate, channels.
    api_audio: (&'static str, u64, u64),
}

const X264: &[&str] = &[
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-tune",
    "zerolatency",
];
const X265: &[&str] = &[
    "-c:v",
    "libx265",
    "-preset",
    "ultrafast",
    "-x265-params",
    "log-level=error",
];

/// A publisher of the table.
const fn publisher(
    name: &'static str,
    via: Via,
    video: &'static [&'static str],
    audio: &'static [&'static str],
    api_audio: (&'static str, u64, u64),
) -> Publisher {
    Publisher {
        name,
        via,
        video,
        audio,
        api_audio,
    }
}

const AAC_44K: &[&str] = &["-c:a", "aac", "-ar", "44100", "-ac", "2"];
const AAC_48K: &[&str] = &["-c:a", "aac", "-ar", "48000", "-ac", "2"];
const MP3_44K: &[&str] = &["-c:a", "libmp3lame", "-ar", "44100", "-ac", "2"];
const MP3_22K_MONO: &[&str] = &["-c:a", "libmp3lame", "-ar", "22050", "-ac", "1"];
const OPUS: &[&str] = &["-c:a", "libopus", "-ar", "48000", "-ac", "2"];

const PUBLISHERS: &[Publisher] = &[
    publisher("h264-aac", Via::Rtmp, X264, AAC_44K, ("AAC", 44100, 2)),
    publisher("h264-mp3", Via::Rtmp, X264, MP3_44K, ("MP3", 44100, 2)),
    publisher(
        "h264-mp3-lsf",
        Via::Udp,
        X264,
        MP3_22K_MONO,
        ("MP3", 22050, 1),
    ),
    publisher("hevc-aac", Via::Srt, X265, AAC_48K, ("AAC", 48000, 2)),
    publisher("h264-opus", Via::Srt, X264, OPUS, ("Opus", 48000, 2)),
];

/// Where a player reads the stream.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Delivery {
    Rtmp,
    HttpFlv,
    HttpTs,
    Hls,
    Srt,
    Mp3,
    Aac,
}

/// What ffprobe must find.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// These codec names (sorted), the audio at this sample rate.
    Codecs(&'static [&'static str], u32),
    /// Refused (HTTP 415): the delivery cannot carry the stream's audio.
    LeftOut(&'static str),
    /// Sent in a form this ffprobe predates, which it misreads: what it says names this.
    Misread(&'static str),
}
use Delivery::*;
use Expect::*;

/// (publisher, delivery, what ffprobe must say). Everything the publishers send goes
/// everywhere, but for what the notes say.
const PAIRINGS: &[(&str, Delivery, Expect)] = &[
    ("h264-aac", Rtmp, Codecs(&["aac", "h264"], 44100)),
    ("h264-aac", HttpFlv, Codecs(&["aac", "h264"], 44100)),
    ("h264-aac", HttpTs, Codecs(&["aac", "h264"], 44100)),
    ("h264-aac", Hls, Codecs(&["aac", "h264"], 44100)),
    ("h264-aac", Srt, Codecs(&["aac", "h264"], 44100)),
    ("h264-aac", Aac, Codecs(&["aac"], 44100)),
    (
        "h264-aac",
        Mp3,
        LeftOut("AAC is not MP3: no transcoding to MP3"),
    ),
    // MP3 at 44.1 kHz: MPEG-1 audio, stream_type 0x03 in TS.
    ("h264-mp3", Rtmp, Codecs(&["h264", "mp3"], 44100)),
    ("h264-mp3", HttpFlv, Codecs(&["h264", "mp3"], 44100)),
    ("h264-mp3", HttpTs, Codecs(&["h264", "mp3"], 44100)),
    ("h264-mp3", Hls, Codecs(&["h264", "mp3"], 44100)),
    ("h264-mp3", Srt, Codecs(&["h264", "mp3"], 44100)),
    ("h264-mp3", Mp3, Codecs(&["mp3"], 44100)),
    (
        "h264-mp3",
        Aac,
        LeftOut("MP3 is not AAC: no transcoding from MP3"),
    ),
    // MP3 at 22.05 kHz mono from MPEG-TS over UDP: MPEG-2 audio, stream_type 0x04; FLV's
    // rate field says 22 kHz.
    ("h264-mp3-lsf", Rtmp, Codecs(&["h264", "mp3"], 22050)),
    ("h264-mp3-lsf", HttpFlv, Codecs(&["h264", "mp3"], 22050)),
    ("h264-mp3-lsf", HttpTs, Codecs(&["h264", "mp3"], 22050)),
    ("h264-mp3-lsf", Hls, Codecs(&["h264", "mp3"], 22050)),
    ("h264-mp3-lsf", Srt, Codecs(&["h264", "mp3"], 22050)),
    ("h264-mp3-lsf", Mp3, Codecs(&["mp3"], 22050)),
    ("h264-mp3-lsf", Aac, LeftOut("MP3 is not AAC")),
    // H.265 goes to RTMP and FLV players as Enhanced RTMP (FourCC hvc1), which FFmpeg 5.1's
    // FLV demuxer predates: it reads the extended header's low bits (PacketType 1 or 3) as
    // the legacy CodecID, 3 being Screen Video, and fails decoding it as that (6.1 reads it).
    ("hevc-aac", Rtmp, Misread("flashsv")),
    ("hevc-aac", HttpFlv, Misread("flashsv")),
    ("hevc-aac", HttpTs, Codecs(&["aac", "hevc"], 48000)),
    ("hevc-aac", Hls, Codecs(&["aac", "hevc"], 48000)),
    ("hevc-aac", Srt, Codecs(&["aac", "hevc"], 48000)),
    ("hevc-aac", Aac, Codecs(&["aac"], 48000)),
    ("hevc-aac", Mp3, LeftOut("AAC is not MP3")),
    // Opus goes out as AAC (transcoded once per stream) wherever Opus has no place: RTMP,
    // FLV, TS, HLS, SRT and `.aac`.
    ("h264-opus", Rtmp, Codecs(&["aac", "h264"], 48000)),
    ("h264-opus", HttpFlv, Codecs(&["aac", "h264"], 48000)),
    ("h264-opus", HttpTs, Codecs(&["aac", "h264"], 48000)),
    ("h264-opus", Hls, Codecs(&["aac", "h264"], 48000)),
    ("h264-opus", Srt, Codecs(&["aac", "h264"], 48000)),
    ("h264-opus", Aac, Codecs(&["aac"], 48000)),
    ("h264-opus", Mp3, LeftOut("Opus is not MP3")),
];

/// `ffmpeg` publishing `p` in real time for `seconds`.
fn publish(weir: &Weir, p: &Publisher, seconds: u32) -> Child {
    let (format, url) = match p.via {
        Via::Rtmp => ("flv", weir.rtmp_url(p.name)),
        Via::Srt => ("mpegts", weir.srt_url(p.name, "publish")),
        Via::Udp => (
            "mpegts",
            format!(
                "udp://127.0.0.1:{}?pkt_size=1316",
                weir.mpegts.expect("MPEG-TS over UDP listens")
            ),
        ),
    };
    Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-v", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args(["-t", &seconds.to_string()])
        .args(p.video)
        .args(["-g", "25", "-pix_fmt", "yuv420p"])
        .args(p.audio)
        .args(["-f", format, &url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg starts")
}

fn url(weir: &Weir, name: &str, delivery: Delivery) -> String {
    let http = |ext: &str| format!("http://127.0.0.1:{}/live/{name}.{ext}", weir.http);
    match delivery {
        Rtmp => weir.rtmp_url(name),
        HttpFlv => weir.flv_url(name),
        HttpTs => http("ts"),
        Hls => http("m3u8"),
        Srt => weir.srt_url(name, "request"),
        Mp3 => http("mp3"),
        Aac => http("aac"),
    }
}

/// What ffprobe found: the sorted codec names and the audio's sample rate, or its error.
fn probe(url: &str) -> Result<(Vec<String>, u32), String> {
    let (ok, stdout, stderr) = run(
        Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args(["-v", "error", "-rw_timeout", "10000000"])
            .args(["-show_entries", "stream=codec_name,codec_type,sample_rate"])
            .args(["-of", "json", url]),
        Duration::from_secs(25),
    );
    if !ok {
        return Err(stderr);
    }
    let json: Value = serde_json::from_str(&stdout).map_err(|e| format!("{e}: {stdout}"))?;
    let streams = json["streams"].as_array().cloned().unwrap_or_default();
    let mut codecs: Vec<String> = streams
        .iter()
        .filter_map(|s| s["codec_name"].as_str().map(str::to_owned))
        .collect();
    codecs.sort();
    let rate = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .and_then(|s| s["sample_rate"].as_str()?.parse().ok())
        .unwrap_or(0);
    Ok((codecs, rate))
}

/// The status and body of a GET that the server answers at once (a refusal).
fn refusal(url: &str) -> (u16, String) {
    let (_, stdout, stderr) = run(
        Command::new("curl").args(["-s", "--max-time", "3", "-w", "\n%{http_code}", url]),
        Duration::from_secs(10),
    );
    let (body, code) = stdout.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), format!("{body}{stderr}"))
}

#[test]
fn every_codec_plays_on_every_delivery_that_can_carry_it() {
    let weir = Weir::start(&[
        "hls.fragment=1",
        "mpegts.stream=live/h264-mp3-lsf",
        "mpegts.timeout=5",
    ]);
    let mut publishers: Vec<Child> = PUBLISHERS.iter().map(|p| publish(&weir, p, 50)).collect();
    for p in PUBLISHERS {
        let api = weir.wait_for_stream(p.name, Duration::from_secs(20));
        let (codec, rate, channels) = p.api_audio;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut audio = api["audio"].clone();
        while audio["codec"] != codec && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            audio = weir.wait_for_stream(p.name, Duration::from_secs(5))["audio"].clone();
        }
        assert_eq!(
            (&audio["codec"], &audio["sample_rate"], &audio["channel"]),
            (
                &Value::from(codec),
                &Value::from(rate),
                &Value::from(channels)
            ),
            "{}: the API's audio {audio:#}",
            p.name
        );
    }
    for p in PUBLISHERS {
        weir.wait_for_hls(p.name, 2);
    }
    // Every probe at once: each reads a few seconds of a live stream.
    let found: Vec<_> = std::thread::scope(|s| {
        let probes: Vec<_> = PAIRINGS
            .iter()
            .map(|&(name, delivery, expect)| {
                let url = url(&weir, name, delivery);
                s.spawn(move || match expect {
                    Codecs(..) | Misread(_) => {
                        probe(&url).map_err(|e| format!("ffprobe {url}: {e}"))
                    }
                    LeftOut(_) => Err(format!("{:?}", refusal(&url))),
                })
            })
            .collect();
        probes.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let mut table = String::from("publisher      delivery  ffprobe\n");
    let mut wrong = Vec::new();
    for (&(name, delivery, expect), found) in PAIRINGS.iter().zip(&found) {
        let said = match (found, expect) {
            (Ok((codecs, rate)), _) => format!("{} @ {rate} Hz", codecs.join(",")),
            (Err(e), LeftOut(why)) => format!("left out ({why}): {}", e.trim()),
            (Err(e), Misread(_)) => format!("misread: {}", e.trim()),
            (Err(e), _) => e.trim().to_owned(),
        };
        table += &format!("{name:<14} {:<9} {said}\n", format!("{delivery:?}"));
        let right = match (expect, found) {
            (Codecs(codecs, rate), Ok((got, got_rate))) => got == codecs && *got_rate == rate,
            (LeftOut(_), Err(e)) => e.starts_with("(415,"),
            (Misread(what), found) => said.contains(what) && found.is_err(),
            _ => false,
        };
        if !right {
            wrong.push(format!(
                "{name} on {delivery:?}: expected {expect:?}, found {said}"
            ));
        }
    }
    println!("{table}");
    for p in &mut publishers {
        let _ = p.kill();
        let _ = p.wait();
    }
    assert!(wrong.is_empty(), "{}\n\n{table}", wrong.join("\n"));
}
