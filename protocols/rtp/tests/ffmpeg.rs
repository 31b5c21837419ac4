//! FFmpeg (5.1) as the peer: what its RTP muxer sends comes out of our depacketizers as whole
//! frames, with the configuration its encoder made; and what our packetizers send, FFmpeg's
//! RTP demuxer takes and its decoders decode, frame for frame.

mod support;

use std::process::{Command, Stdio};
use support::peer::{
    assert_same, assert_video, crcs, depacketized, format_in, free_port, listen, made, output,
    receive, send, ts_media, wait_listening,
};
use weir_media::{CodecConfig, MediaPacket};
use weir_rtp::Format;
use weir_testkit::TempPath;
use weir_testkit::peer;

/// Runs `ffmpeg` with `args` (the input and encoder), sending RTP to us in real time, and
/// depacketizes all it sent.
fn from_ffmpeg(args: &str, muxer: &str) -> support::peer::Received {
    let (socket, port) = listen();
    let sdp = TempPath::new("ffmpeg.sdp");
    let mut child = Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-hide_banner", "-loglevel", "error", "-re"])
        .args(args.split_whitespace())
        .args(["-f", muxer])
        // RTP/MPEG-TS is static payload type 33: FFmpeg writes no SDP for it.
        .args(match muxer {
            "rtp_mpegts" => vec![],
            _ => vec!["-sdp_file".as_ref(), sdp.path().as_os_str()],
        })
        .arg(format!("rtp://127.0.0.1:{port}?pkt_size=1200"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let datagrams = receive(&socket, &mut child);
    let format = match muxer {
        "rtp_mpegts" => Format::of_static(33).unwrap(),
        _ => format_in(&std::fs::read_to_string(sdp.path()).unwrap()),
    };
    depacketized(&format, datagrams)
}

const VIDEO: &str = "-f lavfi -t 1 -i testsrc=size=320x240:rate=25 -pix_fmt yuv420p";

#[test]
fn h264_from_ffmpeg() {
    let got = from_ffmpeg(&format!("{VIDEO} -c:v libx264 -g 10 -bf 0"), "rtp");
    assert_video(&got, Some((320, 240)));
    assert_eq!(got.frames.iter().filter(|f| f.keyframe).count(), 3);
}

#[test]
fn h265_from_ffmpeg() {
    let got = from_ffmpeg(
        &format!("{VIDEO} -c:v libx265 -x265-params log-level=none:keyint=10:bframes=0"),
        "rtp",
    );
    assert_video(&got, Some((320, 240)));
    assert_eq!(got.frames.iter().filter(|f| f.keyframe).count(), 3);
}

#[test]
fn vp8_from_ffmpeg() {
    let got = from_ffmpeg(&format!("{VIDEO} -c:v libvpx -g 10 -b:v 500k"), "rtp");
    assert_video(&got, None);
    assert_eq!(got.frames.iter().filter(|f| f.keyframe).count(), 3);
}

#[test]
fn vp9_from_ffmpeg() {
    let got = from_ffmpeg(
        &format!("{VIDEO} -c:v libvpx-vp9 -g 10 -b:v 500k -strict experimental"),
        "rtp",
    );
    assert_video(&got, None);
}

const AUDIO: &str = "-f lavfi -t 1 -i sine=frequency=440:sample_rate=48000";

#[test]
fn opus_from_ffmpeg() {
    let got = from_ffmpeg(&format!("{AUDIO} -c:a libopus -frame_duration 20"), "rtp");
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    // 50 frames of 20 ms, and the encoder's look-ahead flushed at the end.
    assert!(
        (50..=52).contains(&got.frames.len()),
        "{}",
        got.frames.len()
    );
    assert!(matches!(got.configs[..], [CodecConfig::Opus(_)]));
}

#[test]
fn aac_from_ffmpeg() {
    let got = from_ffmpeg(&format!("{AUDIO} -c:a aac -ac 2"), "rtp");
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    // Every AU FFmpeg sent, counted from the AU headers (FFmpeg 5.1 puts three in a packet
    // and keeps the last of its 48 unsent).
    let sent: usize = got
        .payloads
        .iter()
        .map(|p| usize::from(u16::from_be_bytes([p[0], p[1]])) / 16)
        .sum();
    assert_eq!(got.frames.len(), sent);
    assert!(sent >= 45);
    for pair in got.frames.windows(2) {
        assert_eq!(pair[1].pts.0 - pair[0].pts.0, 1920);
    }
    let s = got.configs[0].summary();
    assert_eq!((s.sample_rate, s.channels), (Some(48_000), Some(2)));
}

#[test]
fn pcmu_from_ffmpeg() {
    let got = from_ffmpeg(
        "-f lavfi -t 1 -i sine=sample_rate=8000 -c:a pcm_mulaw",
        "rtp",
    );
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    let samples: usize = got.frames.iter().map(|f| f.data.len()).sum();
    assert_eq!(samples, 8000);
}

#[test]
fn mpegts_from_ffmpeg() {
    let got = from_ffmpeg(&format!("{VIDEO} -c:v libx264 -g 10"), "rtp_mpegts");
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    assert!(!got.mux.is_empty() && got.mux.len().is_multiple_of(188));
    // Our demuxer and ffprobe find the same frames in the TS bytes we depacketized.
    let ours = ts_media(&got.mux)
        .iter()
        .filter(|m| matches!(m, MediaPacket::Frame(_)))
        .count();
    let ts = TempPath::new("rtp.ts");
    std::fs::write(ts.path(), &got.mux).unwrap();
    let theirs = output(
        Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args(["-v", "error", "-count_packets", "-select_streams", "v:0"])
            .args([
                "-show_entries",
                "stream=nb_read_packets",
                "-of",
                "default=nw=1:nk=1",
            ])
            .arg(ts.path()),
    );
    assert_eq!(theirs.lines().next(), Some(ours.to_string().as_str()));
    assert!(ours >= 20, "{ours} frames");
}

/// Sends `media` (of one track) as RTP to FFmpeg, which decodes it; returns what it decoded
/// (as [`crcs`]).
fn to_ffmpeg(media: &[MediaPacket], sdp_format: &str) -> Vec<String> {
    let port = free_port();
    let sdp = TempPath::new("to-ffmpeg.sdp");
    let (kind, rtpmap, fmtp) = match sdp_format.split_once(' ') {
        Some((rtpmap, fmtp)) => (rtpmap, rtpmap, Some(fmtp)),
        None => (sdp_format, sdp_format, None),
    };
    let kind = if kind.starts_with("H26") {
        "video"
    } else {
        "audio"
    };
    let mut text = format!(
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=weir\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm={kind} {port} RTP/AVP 96\r\na=rtpmap:96 {rtpmap}\r\n"
    );
    if let Some(fmtp) = fmtp {
        text.push_str(&format!("a=fmtp:96 {fmtp}\r\n"));
    }
    std::fs::write(sdp.path(), &text).unwrap();
    let out = TempPath::new("decoded.crc");
    let mut child = Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-protocol_whitelist",
            "file,udp,rtp",
        ])
        .args(["-reorder_queue_size", "0", "-i"])
        .arg(sdp.path())
        .args(["-f", "framecrc"])
        .arg(out.path())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port);
    send(media, &format_in(&text), port);
    // FFmpeg's UDP thread has read every datagram into its own queue; give its demuxer and
    // decoder the time to take them from there before it is stopped.
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SIGINT: FFmpeg ends its output cleanly.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    crcs(&std::fs::read_to_string(out.path()).unwrap())
}

/// FFmpeg decoded what we sent exactly as it decodes the source file. An RTP input never
/// ends, so when FFmpeg is interrupted its parser and decoder still hold the last frame or
/// two: those may be missing, nothing else.
const FFMPEG_HOLDS: usize = 2;

#[test]
fn ffmpeg_decodes_our_h264() {
    let (media, source) = made(
        "-f lavfi -t 2 -i testsrc=size=640x360:rate=25 -c:v libx264 -g 20 -bf 0",
        "flv",
        true,
    );
    assert_same(
        &to_ffmpeg(&media, "H264/90000 packetization-mode=1"),
        &source,
        FFMPEG_HOLDS,
    );
}

/// FFmpeg 5.1 writes no HEVC into FLV: the source is MPEG-TS, read by weir-mpegts.
#[test]
fn ffmpeg_decodes_our_h265() {
    let (media, source) = made(
        "-f lavfi -t 2 -i testsrc=size=640x360:rate=25 -c:v libx265 -x265-params log-level=none:keyint=20:bframes=0",
        "mpegts",
        true,
    );
    assert_same(&to_ffmpeg(&media, "H265/90000"), &source, FFMPEG_HOLDS);
}

#[test]
fn ffmpeg_decodes_our_aac() {
    let (media, source) = made(
        "-f lavfi -t 2 -i sine=sample_rate=48000 -c:a aac -ac 2",
        "flv",
        false,
    );
    let config = media
        .iter()
        .find_map(|m| match m {
            MediaPacket::Config(c) => Some(
                c.data
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
            ),
            _ => None,
        })
        .unwrap();
    let fmtp = format!(
        "MPEG4-GENERIC/48000/2 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config={config}"
    );
    assert_same(&to_ffmpeg(&media, &fmtp), &source, FFMPEG_HOLDS);
}
