//! Browser RTP captured by str0m's authors (SRTP removed), through the depacketizers: every
//! frame the capture holds whole comes out, the ones hit by the capture's losses are dropped
//! and reported, and nothing a browser sent breaks a rule. The numbers are tshark's
//! (`tshark -r FILE -d udp.port==P,rtp -T fields -e rtp.seq -e rtp.timestamp -e rtp.marker`)
//! and the transcript str0m ships beside the H.264 capture (`rtp/str0m_h264.txt`).

use std::fs::File;
use std::io::BufReader;
use std::time::{Duration, Instant};
use weir_capture::flow::CaptureEvents;
use weir_capture::{FlowEvent, Limits as CaptureLimits};
use weir_media::{MediaPacket, Output};
use weir_rtp::payload::Unit;
use weir_rtp::{Depacketizer, Event, Format, Limits, RtpPacket};
use weir_testkit::corpus;

/// What a capture's RTP stream gave.
#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    packets: usize,
    configs: usize,
    frames: usize,
    keyframes: usize,
    lost: Vec<(u16, u64)>,
    dropped: usize,
    violations: Vec<String>,
}

fn depacketize(file: &str, format: &Format) -> Summary {
    let path = corpus::path(file);
    let events = CaptureEvents::new(
        BufReader::new(File::open(&path).unwrap()),
        CaptureLimits::default(),
    )
    .unwrap();
    let mut d = Depacketizer::new(format, Limits::default()).unwrap();
    let start = Instant::now();
    let mut s = Summary::default();
    let mut outputs = Vec::new();
    for event in events {
        let event = event.unwrap();
        let FlowEvent::Datagram { bytes, .. } = event.event else {
            continue;
        };
        let packet = RtpPacket::parse(&bytes).unwrap();
        s.packets += 1;
        let now = start + event.time;
        d.push(now, event.packet, packet);
        outputs.extend(std::iter::from_fn(|| d.poll_output()));
        // The capture's clock barely moves: let every wait run out before the next packet.
        if let Some(at) = d.poll_timeout() {
            d.handle_timeout(at.max(now) + Duration::from_secs(1));
            outputs.extend(std::iter::from_fn(|| d.poll_output()));
        }
    }
    d.finish();
    outputs.extend(std::iter::from_fn(|| d.poll_output()));
    for o in outputs {
        match o {
            Output::Event(Event::Unit(Unit::Media(MediaPacket::Config(_)))) => s.configs += 1,
            Output::Event(Event::Unit(Unit::Media(MediaPacket::Frame(f)))) => {
                s.frames += 1;
                s.keyframes += usize::from(f.keyframe);
            }
            Output::Event(Event::Lost { first, count }) => s.lost.push((first, count)),
            Output::Event(Event::Dropped { .. }) => s.dropped += 1,
            Output::Violation(v) => s.violations.push(format!("{}: {}", v.rule.id, v.detail)),
            other => panic!("{other:?}"),
        }
    }
    s
}

/// Chromium's H.264 (PT 126, packetization mode 1): 298 packets of 268 timestamps, three
/// packets missing (19412, 19459, 19509), each from the middle of a non-IDR frame, which is
/// dropped; the frame after each starts with a first slice and is kept. Seven IDR frames,
/// each after a STAP-A of SPS and PPS that differ from the last ones (Chromium changes the
/// resolution), so seven configurations. The STAP-A of sequence number 19388 claims a
/// 1021-byte third unit where 994 bytes remain (tshark: "Bad NAL Length"; str0m's
/// transcript lists it as `STAP-A SPS PPS [Bad NAL Length]`): its frame is dropped with the
/// rule.
#[test]
fn chromium_h264_from_str0m() {
    let s = depacketize(
        "rtp/str0m_h264.pcap",
        &Format::new("H264", 90_000).with_fmtp("packetization-mode=1"),
    );
    assert_eq!(
        s.violations,
        ["rtp.h264.stap-size: an aggregation unit of 1021 bytes where 994 remain"]
    );
    assert_eq!(s.packets, 298);
    assert_eq!(s.lost, [(19412, 1), (19459, 1), (19509, 1)]);
    assert_eq!(s.dropped, 3 + 1);
    assert_eq!(s.frames, 268 - 4);
    assert_eq!(s.keyframes, 7);
    assert_eq!(s.configs, 7);
    // The same, from str0m's transcript of the capture.
    let t = transcript();
    assert_eq!(s.packets, t.packets);
    assert_eq!(s.frames, t.timestamps - t.broken);
    assert_eq!(s.keyframes, t.idr);
}

/// What `rtp/str0m_h264.txt` (tshark's lines for the capture, shipped by str0m) says.
struct Transcript {
    packets: usize,
    /// Frames: distinct RTP timestamps.
    timestamps: usize,
    /// Frames with a sequence number missing inside them, or a bad NAL length.
    broken: usize,
    /// Whole frames with an IDR slice.
    idr: usize,
}

fn transcript() -> Transcript {
    let text = String::from_utf8(corpus::read("rtp/str0m_h264.txt")).unwrap();
    // (sequence, timestamp, marker, IDR, bad) per packet.
    let packets: Vec<(u16, u32, bool, bool, bool)> = text
        .lines()
        .filter(|l| l.contains("Seq="))
        .map(|l| {
            let field = |name: &str| {
                let at = l.find(name).unwrap() + name.len();
                l[at..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            };
            let idr = l.contains("IDR-Slice") && !l.contains("non-IDR");
            (
                field("Seq=") as u16,
                field("Time=") as u32,
                l.contains("Mark"),
                idr,
                l.contains("Bad NAL Length"),
            )
        })
        .collect();
    let mut timestamps: Vec<u32> = packets.iter().map(|p| p.1).collect();
    timestamps.dedup();
    let mut broken: Vec<u32> = Vec::new();
    for pair in packets.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // A gap after a packet without the marker is inside its frame.
        if b.0 != a.0.wrapping_add(1) && !a.2 {
            broken.push(a.1);
        }
    }
    broken.extend(packets.iter().filter(|p| p.4).map(|p| p.1));
    broken.dedup();
    let idr = packets
        .iter()
        .filter(|p| p.3 && !broken.contains(&p.1))
        .count();
    Transcript {
        packets: packets.len(),
        timestamps: timestamps.len(),
        broken: broken.len(),
        idr,
    }
}

/// Chromium's VP8 (PT 96): 104 packets of 101 frames, none missing; three keyframes (the
/// frame tag's P bit clear on a frame's first packet, counted from tshark's payload bytes).
#[test]
fn chromium_vp8_from_str0m() {
    let s = depacketize("rtp/str0m_vp8.pcap", &Format::new("VP8", 90_000));
    assert_eq!(s.violations, Vec::<String>::new());
    assert_eq!((s.packets, s.frames, s.dropped), (104, 101, 0));
    assert_eq!(s.keyframes, 3);
    assert!(s.lost.is_empty());
}

/// Chromium's AV1 (PT 45): 201 packets of 45 temporal units, none missing; the capture ends
/// inside the last one (no marker), which is dropped at the end. One packet sets N (a new
/// coded video sequence): one keyframe.
#[test]
fn chromium_av1_from_str0m() {
    let s = depacketize("rtp/str0m_av1.pcap", &Format::new("AV1", 90_000));
    assert_eq!(s.violations, Vec::<String>::new());
    assert_eq!((s.packets, s.frames, s.dropped), (201, 44, 1));
    assert_eq!(s.keyframes, 1);
    assert!(s.lost.is_empty());
}
