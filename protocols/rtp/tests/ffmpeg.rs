//! FFmpeg (5.1) as the peer: what its RTP muxer sends comes out of our depacketizers as whole
//! frames, with the configuration its encoder made; and what our packetizers send, FFmpeg's
//! RTP demuxer takes and its decoders decode, frame for frame.

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use weir_media::{CodecConfig, Frame, Machine, MediaPacket, Output, Timestamp, Track};
use weir_mpegts::{DemuxEvent, Demuxer, Limits as TsLimits};
use weir_rtp::packetizer::{Packetizer, Start};
use weir_rtp::payload::Unit;
use weir_rtp::{Depacketizer, Event, Format, Limits, RtpPacket};
use weir_testkit::TempPath;
use weir_testkit::peer;

/// The format of payload type `pt` in an SDP (its rtpmap and fmtp lines, or the static
/// type's). weir-sdp reads SDP for real; a test only needs these two lines of FFmpeg's.
fn format_in(sdp: &str) -> Format {
    let pt: u8 = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m="))
        .and_then(|m| m.split_whitespace().nth(3))
        .and_then(|pt| pt.parse().ok())
        .expect("an m= line");
    let attr = |name: &str| {
        let prefix = format!("a={name}:{pt} ");
        sdp.lines()
            .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
    };
    let Some(rtpmap) = attr("rtpmap") else {
        return Format::of_static(pt).expect("a static payload type");
    };
    let mut parts = rtpmap.split('/');
    let name = parts.next().unwrap_or_default();
    let rate = parts.next().and_then(|r| r.parse().ok()).unwrap_or(90_000);
    let mut format = Format::new(name, rate);
    if let Some(ch) = parts.next().and_then(|c| c.parse().ok()) {
        format = format.with_channels(ch);
    }
    match attr("fmtp") {
        Some(fmtp) => format.with_fmtp(&fmtp),
        None => format,
    }
}

/// What FFmpeg's RTP stream gave.
#[derive(Debug, Default)]
struct Received {
    configs: Vec<CodecConfig>,
    frames: Vec<Frame>,
    mux: Vec<u8>,
    problems: Vec<String>,
    /// The RTP payloads as they arrived.
    payloads: Vec<bytes::Bytes>,
}

/// Runs `ffmpeg` with `args` (the input and encoder), sending RTP to us in real time, and
/// depacketizes all it sent.
fn from_ffmpeg(args: &str, muxer: &str) -> Received {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
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
    let mut datagrams = Vec::new();
    let mut buf = vec![0; 65_536];
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match socket.recv(&mut buf) {
            Ok(n) => datagrams.push(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                    break;
                }
            }
            Err(e) => panic!("{e}"),
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "ffmpeg {args}: {status}");
    let format = match muxer {
        "rtp_mpegts" => Format::of_static(33).unwrap(),
        _ => format_in(&std::fs::read_to_string(sdp.path()).unwrap()),
    };
    let mut d = Depacketizer::new(&format, Limits::default()).unwrap();
    let now = Instant::now();
    let mut got = Received::default();
    let mut outputs = Vec::new();
    for (i, bytes) in datagrams.into_iter().enumerate() {
        let packet = RtpPacket::parse(&bytes.into()).unwrap();
        got.payloads.push(packet.payload.clone());
        d.push(now, i as u64, packet);
        outputs.extend(std::iter::from_fn(|| d.poll_output()));
    }
    d.finish();
    outputs.extend(std::iter::from_fn(|| d.poll_output()));
    for o in outputs {
        match o {
            Output::Event(Event::Unit(Unit::Media(MediaPacket::Config(c)))) => {
                got.configs.push(CodecConfig::parse(&c).unwrap())
            }
            Output::Event(Event::Unit(Unit::Media(MediaPacket::Frame(f)))) => got.frames.push(f),
            Output::Event(Event::Unit(Unit::Mux(b))) => got.mux.extend_from_slice(&b),
            other => got.problems.push(format!("{other:?}")),
        }
    }
    got
}

const VIDEO: &str = "-f lavfi -t 1 -i testsrc=size=320x240:rate=25 -pix_fmt yuv420p";

/// One second of 25 fps video: 25 whole frames, the first a keyframe, nothing lost or broken.
fn assert_video(got: &Received, size: Option<(u32, u32)>) {
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    assert_eq!(got.frames.len(), 25);
    assert!(got.frames[0].keyframe);
    for (n, f) in got.frames.iter().enumerate() {
        assert_eq!(f.pts, Timestamp(n as i64 * 3600), "frame {n}");
    }
    if let Some((w, h)) = size {
        let s = got.configs[0].summary();
        assert_eq!((s.width, s.height), (Some(w), Some(h)));
    }
}

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
    let mut demuxer = Demuxer::new(TsLimits::default());
    demuxer.handle_input(Instant::now(), &got.mux).unwrap();
    demuxer.handle_end(Instant::now()).unwrap();
    let ours = std::iter::from_fn(|| demuxer.poll_output())
        .filter(|o| matches!(o, Output::Event(DemuxEvent::Frame(_))))
        .count();
    let ts = TempPath::new("rtp.ts");
    std::fs::write(ts.path(), &got.mux).unwrap();
    let out = Command::new(peer::binary("FFPROBE", "ffprobe"))
        .args(["-v", "error", "-count_packets", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "default=nw=1:nk=1",
        ])
        .arg(ts.path())
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = String::from_utf8_lossy(&out.stdout);
    assert_eq!(theirs.lines().next(), Some(ours.to_string().as_str()));
    assert!(ours >= 20, "{ours} frames");
}

/// The decoded frames FFmpeg makes of `input` (stream `map`), as size and CRC: its
/// `framecrc` lines without their times, which the two sides give differently.
fn decoded(input: &[&std::ffi::OsStr], map: &str) -> Vec<String> {
    let out = Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-hide_banner", "-loglevel", "error"])
        .args(input)
        .args(["-map", map, "-f", "framecrc", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crcs(&String::from_utf8_lossy(&out.stdout))
}

fn crcs(framecrc: &str) -> Vec<String> {
    framecrc
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(',').skip(4).collect::<Vec<_>>().join(","))
        .collect()
}

/// A file FFmpeg makes from `args` in `container` (`flv` or `mpegts`), the media of its
/// video (else audio) track as our readers read it, and FFmpeg's decoding of that track.
fn made(args: &str, container: &str, video: bool) -> (Vec<MediaPacket>, Vec<String>) {
    let file = TempPath::new(&format!("made.{container}"));
    let status = Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-hide_banner", "-loglevel", "error"])
        .args(args.split_whitespace())
        .args(["-f", container])
        .arg(file.path())
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(file.path()).unwrap();
    let mut media = Vec::new();
    let mut push = |m: MediaPacket| {
        let is_video = match &m {
            MediaPacket::Config(c) => c.track == Track::VIDEO,
            MediaPacket::Frame(f) => f.track == Track::VIDEO,
            MediaPacket::EndOfSequence { .. } => return,
        };
        if is_video == video {
            media.push(m);
        }
    };
    if container == "flv" {
        for (is_video, ts, body) in weir_testkit::flv::media_tags(&bytes) {
            let time = Timestamp::from_millis(i64::from(ts));
            match is_video {
                true => weir_flv::media::read_video(time, body, &mut push).unwrap(),
                false => weir_flv::media::read_audio(time, body, &mut push).unwrap(),
            }
        }
    } else {
        let mut demuxer = Demuxer::new(TsLimits::default());
        let now = Instant::now();
        demuxer.handle_input(now, &bytes).unwrap();
        demuxer.handle_end(now).unwrap();
        while let Some(out) = demuxer.poll_output() {
            match out {
                Output::Event(DemuxEvent::Config(c)) => push(MediaPacket::Config(c)),
                Output::Event(DemuxEvent::Frame(f)) => push(MediaPacket::Frame(f)),
                _ => {}
            }
        }
    }
    let map = if video { "0:v" } else { "0:a" };
    let crcs = decoded(&["-i".as_ref(), file.path().as_os_str()], map);
    (media, crcs)
}

/// Sends `media` (of one track) as RTP to FFmpeg, which decodes it; returns what it decoded
/// (as [`crcs`]).
fn to_ffmpeg(media: &[MediaPacket], sdp_format: &str) -> Vec<String> {
    let port = {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
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
    let mut child: Child = Command::new(peer::binary("FFMPEG", "ffmpeg"))
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
    // FFmpeg listens once the port is taken.
    let deadline = Instant::now() + Duration::from_secs(20);
    while UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "ffmpeg never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let format = format_in(&text);
    let start = Start {
        ssrc: 0x1234_5678,
        sequence: 40_000,
        timestamp: 123_456,
    };
    let mut p = Packetizer::new(&format, 96, start, 1200).unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut packets = Vec::new();
    for m in media {
        packets.clear();
        p.packetize(m, &mut packets).unwrap();
        for packet in &packets {
            socket
                .send_to(&packet.to_bytes().unwrap(), ("127.0.0.1", port))
                .unwrap();
        }
        // Paced, so that no socket buffer overflows.
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SIGINT: FFmpeg ends its output cleanly.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    crcs(&std::fs::read_to_string(out.path()).unwrap())
}

/// FFmpeg decoded what we sent exactly as it decodes the source file: the same frames, byte
/// for byte. An RTP input never ends, so when FFmpeg is interrupted its parser and decoder
/// still hold the last frame or two: those may be missing, nothing else.
fn assert_same(sent: &[String], source: &[String]) {
    assert!(
        sent.len() + 2 >= source.len() && sent.len() <= source.len(),
        "{} frames decoded of {}",
        sent.len(),
        source.len()
    );
    assert_eq!(sent, &source[..sent.len()]);
}

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
    assert_same(&to_ffmpeg(&media, "H265/90000"), &source);
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
    assert_same(&to_ffmpeg(&media, &fmtp), &source);
}
