//! What the tests with a real peer (FFmpeg, GStreamer) share: the payload format a peer
//! announced (an SDP or GStreamer caps) as a [`Format`] and back; its datagrams received and
//! depacketized; media made by FFmpeg in a file and read by our readers; that media packetized
//! and sent to a peer at the pace it reads; and decoded frames compared by their CRCs.

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::net::UdpSocket;
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use weir_media::{Codec, CodecConfig, Frame, Machine, MediaPacket, Output, Timestamp, Track};
use weir_mpegts::{DemuxEvent, Demuxer, Limits as TsLimits};
use weir_rtp::packetizer::{Packetizer, Start};
use weir_rtp::payload::Unit;
use weir_rtp::{Depacketizer, Event, Format, Limits, RtpPacket};
use weir_testkit::TempPath;
use weir_testkit::peer;

/// The format of payload type `pt` in an SDP (its rtpmap and fmtp lines, or the static
/// type's). weir-sdp reads SDP for real; a test only needs these two lines of a peer's.
pub fn format_in(sdp: &str) -> Format {
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

/// The fields of serialized GStreamer caps (`application/x-rtp, clock-rate=(int)90000,
/// sprop-parameter-sets=(string)"Z0I\=\,aM4"`), after the media type: names and values, the
/// type, the quotes and the backslash escapes taken off.
fn caps_fields(caps: &str) -> Vec<(String, String)> {
    let (mut fields, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, caps.trim().chars());
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.extend(chars.next()),
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
        .iter()
        .skip(1)
        .filter_map(|f| {
            let (name, value) = f.trim().split_once('=')?;
            let value = match value.strip_prefix('(') {
                Some(typed) => typed.split_once(')')?.1,
                None => value,
            };
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

/// The format GStreamer's caps for an RTP stream (`application/x-rtp, ...`) name: the encoding
/// name, clock rate and channels (`encoding-params`), and its other fields as the format's
/// parameters, as RFC 3555's mapping of caps fields to SDP makes them.
pub fn format_of_caps(caps: &str) -> Format {
    let fields = caps_fields(caps);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let name = field("encoding-name").expect("an encoding-name");
    let rate = field("clock-rate")
        .and_then(|r| r.parse().ok())
        .expect("a clock-rate");
    let mut format = Format::new(name, rate);
    if let Some(channels) = field("encoding-params").and_then(|c| c.parse().ok()) {
        format = format.with_channels(channels);
    }
    // What is about the stream, not the format.
    const STREAM: &[&str] = &[
        "media",
        "clock-rate",
        "encoding-name",
        "encoding-params",
        "payload",
        "ssrc",
        "timestamp-offset",
        "seqnum-offset",
    ];
    format.params = fields
        .into_iter()
        .filter(|(n, _)| !STREAM.contains(&n.as_str()))
        .collect();
    format
}

/// The caps GStreamer's `udpsrc` needs to receive `format` as payload type 96, every value
/// quoted (the inverse of [`format_of_caps`]).
pub fn caps_of(format: &Format, media: &str) -> String {
    let mut caps = format!(
        "application/x-rtp,media={media},clock-rate={},encoding-name={},payload=96",
        format.clock_rate,
        format.name.to_ascii_uppercase()
    );
    if let Some(channels) = format.channels {
        caps.push_str(&format!(",encoding-params=(string){channels}"));
    }
    for (name, value) in &format.params {
        caps.push_str(&format!(",{name}=(string)\"{value}\""));
    }
    caps
}

/// What a peer's RTP stream gave.
#[derive(Debug, Default)]
pub struct Received {
    /// The configurations, parsed.
    pub configs: Vec<CodecConfig>,
    /// The frames.
    pub frames: Vec<Frame>,
    /// Multiplex bytes (MPEG-TS).
    pub mux: Vec<u8>,
    /// Every other output: violations, losses, dropped frames.
    pub problems: Vec<String>,
    /// The RTP payloads as they arrived.
    pub payloads: Vec<bytes::Bytes>,
}

/// The datagrams `socket` receives while `child` runs (after it ends, till none come for the
/// socket's read timeout; 30 s at most); the child must end well.
pub fn receive(socket: &UdpSocket, child: &mut Child) -> Vec<Vec<u8>> {
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
    assert!(status.success(), "the peer ended with {status}");
    datagrams
}

/// A socket on a free local port for a peer to send to, and the port.
pub fn listen() -> (UdpSocket, u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// `datagrams` through a depacketizer for `format`, in the order they arrived.
pub fn depacketized(format: &Format, datagrams: Vec<Vec<u8>>) -> Received {
    let mut d = Depacketizer::new(format, Limits::default()).unwrap();
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

/// One second of 25 fps video: 25 whole frames, the first a keyframe, one frame time apart,
/// nothing lost or broken; and the size the configuration gives, when asked.
pub fn assert_video(got: &Received, size: Option<(u32, u32)>) {
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

/// The decoded frames FFmpeg makes of `input` (stream `map`), as size and CRC: its
/// `framecrc` lines without their times, which the two sides give differently.
pub fn decoded(input: &[&OsStr], map: &str) -> Vec<String> {
    crcs(&output(
        Command::new(peer::binary("FFMPEG", "ffmpeg"))
            .args(["-hide_banner", "-loglevel", "error"])
            .args(input)
            .args(["-map", map, "-f", "framecrc", "-"]),
    ))
}

/// What `command` writes to its standard output; it must end well and write no error.
pub fn output(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The size and CRC of each frame in FFmpeg's `framecrc` output.
pub fn crcs(framecrc: &str) -> Vec<String> {
    framecrc
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(',').skip(4).collect::<Vec<_>>().join(","))
        .collect()
}

/// A file FFmpeg makes from `args` in `container` (`flv`, `mpegts`, or `ivf` for VP8, which
/// neither of the others carries), the media of its video (else audio) track as our readers
/// read it, and FFmpeg's decoding of that track (as [`crcs`]).
pub fn made(args: &str, container: &str, video: bool) -> (Vec<MediaPacket>, Vec<String>) {
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
    match container {
        "flv" => {
            for (is_video, ts, body) in weir_testkit::flv::media_tags(&bytes) {
                let time = Timestamp::from_millis(i64::from(ts));
                match is_video {
                    true => weir_flv::media::read_video(time, body, &mut push).unwrap(),
                    false => weir_flv::media::read_audio(time, body, &mut push).unwrap(),
                }
            }
        }
        "ivf" => ivf_vp8(&bytes).into_iter().for_each(push),
        _ => ts_media(&bytes).into_iter().for_each(push),
    }
    let map = if video { "0:v" } else { "0:a" };
    let crcs = decoded(&["-i".as_ref(), file.path().as_os_str()], map);
    (media, crcs)
}

/// The configurations and frames our demuxer finds in an MPEG-TS file.
pub fn ts_media(file: &[u8]) -> Vec<MediaPacket> {
    let mut demuxer = Demuxer::new(TsLimits::default());
    let now = Instant::now();
    demuxer.handle_input(now, file).unwrap();
    demuxer.handle_end(now).unwrap();
    std::iter::from_fn(|| demuxer.poll_output())
        .filter_map(|out| match out {
            Output::Event(DemuxEvent::Config(c)) => Some(MediaPacket::Config(c)),
            Output::Event(DemuxEvent::Frame(f)) => Some(MediaPacket::Frame(f)),
            _ => None,
        })
        .collect()
}

/// The VP8 frames of an IVF file FFmpeg wrote: a 32-byte file header whose bytes 16..20 and
/// 20..24 are the time base's denominator and numerator, then per frame its 4-byte size and
/// 8-byte time (all little-endian) and the frame; a frame is a keyframe when bit 0 of its
/// first byte is clear (RFC 6386 §9.1).
fn ivf_vp8(file: &[u8]) -> Vec<MediaPacket> {
    assert_eq!(&file[..4], b"DKIF");
    let le = |b: &[u8]| b.iter().rev().fold(0u64, |v, &x| v << 8 | u64::from(x));
    let (rate, scale) = (le(&file[16..20]) as i64, le(&file[20..24]) as i64);
    let mut frames = Vec::new();
    let mut at = 32;
    while at + 12 <= file.len() {
        let size = le(&file[at..at + 4]) as usize;
        let pts = Timestamp(le(&file[at + 4..at + 12]) as i64 * scale * Timestamp::HZ / rate);
        let data = bytes::Bytes::copy_from_slice(&file[at + 12..at + 12 + size]);
        frames.push(MediaPacket::Frame(Frame {
            track: Track::VIDEO,
            codec: Codec::Vp8,
            pts,
            dts: pts,
            keyframe: data[0] & 1 == 0,
            data,
        }));
        at += 12 + size;
    }
    frames
}

/// The bytes waiting in the receive queues of the local UDP sockets on `port` (`None` when
/// there are none), from Linux's `/proc/net/udp` tables (the `tx_queue:rx_queue` column, hex).
fn queued(port: u16) -> Option<u64> {
    let mut found = None;
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields.get(1).and_then(|a| a.rsplit(':').next());
            if local_port.and_then(|p| u16::from_str_radix(p, 16).ok()) != Some(port) {
                continue;
            }
            let rx = fields
                .get(4)
                .and_then(|q| q.split(':').nth(1))
                .and_then(|q| u64::from_str_radix(q, 16).ok())
                .unwrap_or(0);
            found = Some(found.unwrap_or(0) + rx);
        }
    }
    found
}

/// A local UDP port nothing uses (now).
pub fn free_port() -> u16 {
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// Waits until `done(queued)` holds for the receive queue of `port` (see [`queued`]), or
/// panics with `what` after 20 s.
fn wait_for(port: u16, what: &str, done: impl Fn(Option<u64>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(queued(port)) {
        assert!(Instant::now() < deadline, "{what} (port {port})");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until a peer has a socket on `port`.
pub fn wait_listening(port: u16) {
    wait_for(port, "the peer never listened", |q| q.is_some());
}

/// Sends `media` (of one track) to `port` as payload type 96 of `format`, media packet by
/// media packet, each after the peer has read all before it: nothing is lost to a full
/// socket buffer, however slowly the peer reads. Returns when the peer has read everything.
pub fn send(media: &[MediaPacket], format: &Format, port: u16) {
    let start = Start {
        ssrc: 0x1234_5678,
        sequence: 40_000,
        timestamp: 123_456,
    };
    let mut p = Packetizer::new(format, 96, start, 1200).unwrap();
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
        wait_for(port, "the peer stopped reading", |q| q == Some(0));
    }
}

/// The frames a peer decoded of what we sent are the frames FFmpeg decodes of the source file,
/// byte for byte, but for the last `held` at most, which the peer's parser or decoder may
/// still hold when it is stopped.
pub fn assert_same(sent: &[String], source: &[String], held: usize) {
    assert!(
        sent.len() + held >= source.len() && sent.len() <= source.len(),
        "{} frames decoded of {}",
        sent.len(),
        source.len()
    );
    assert_eq!(sent, &source[..sent.len()]);
}
