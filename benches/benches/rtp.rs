//! RTP parsing, H.264 depacketizing and packetizing of a real stream, and the same work by
//! str0m side by side.
//!
//! The input is the RTP of corpus `rtp/str0m_h264.pcap` (Chromium's H.264, packetization mode
//! 1, three packets lost in the capture), cut to whole frames and repeated [`REPEATS`] times
//! with its sequence numbers and timestamps shifted so that the stream goes on. Each packet
//! arrives at its timestamp's time, so a loss is given up after the depacketizer's reorder wait.
//! Throughput counts RTP datagram bytes (for the packetizer, the bytes of the packets it makes).

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::time::{Duration, Instant};
use str0m::rtp::{ExtensionMap, RtpHeader};
use str0m::unversioned::{Depacketizer as _, H264Depacketizer};
use weir_capture::flow::CaptureEvents;
use weir_capture::{FlowEvent, Limits as CaptureLimits};
use weir_media::{MediaPacket, Output};
use weir_rtp::packetizer::{Packetizer, Start};
use weir_rtp::payload::Unit;
use weir_rtp::{Depacketizer, Event, Format, Limits, RtpPacket};
use weir_testkit::corpus;

/// How many times the capture's frames are sent, one after the other.
const REPEATS: usize = 16;

/// The H.264 clock.
const RATE: u64 = 90_000;

/// The capture's RTP datagrams, in order.
fn captured() -> Vec<Bytes> {
    let path = corpus::path("rtp/str0m_h264.pcap");
    let events = CaptureEvents::new(
        BufReader::new(File::open(&path).expect("the capture opens")),
        CaptureLimits::default(),
    )
    .expect("the capture is a pcap");
    events
        .filter_map(|event| match event.expect("the capture reads").event {
            FlowEvent::Datagram { bytes, .. } => Some(bytes),
            _ => None,
        })
        .collect()
}

fn sequence(d: &[u8]) -> u16 {
    u16::from_be_bytes([d[2], d[3]])
}

fn timestamp(d: &[u8]) -> u32 {
    u32::from_be_bytes([d[4], d[5], d[6], d[7]])
}

fn marker(d: &[u8]) -> bool {
    d[1] & 0x80 != 0
}

/// A steady stream: the capture from its first frame's first packet (after its first marker)
/// to its last marker, `repeats` times, each copy's sequence numbers and timestamps going on
/// from the last one's. With each datagram, when it arrives (at its timestamp's time).
fn stream(capture: &[Bytes], repeats: usize) -> Vec<(Duration, Bytes)> {
    let first = 1 + capture.iter().position(|d| marker(d)).expect("a marker");
    let last = capture.iter().rposition(|d| marker(d)).expect("a marker");
    let frames = &capture[first..=last];
    let (seq0, ts0) = (sequence(&frames[0]), timestamp(&frames[0]));
    let seq_span = sequence(&frames[frames.len() - 1]).wrapping_sub(seq0) + 1;
    // The next copy's first frame one frame interval (the last one's) after the last frame.
    let mut stamps: Vec<u32> = frames.iter().map(|d| timestamp(d)).collect();
    stamps.dedup();
    let interval = stamps[stamps.len() - 1].wrapping_sub(stamps[stamps.len() - 2]);
    let ts_span = stamps[stamps.len() - 1].wrapping_sub(ts0) + interval;
    let mut out = Vec::with_capacity(frames.len() * repeats);
    for copy in 0..repeats {
        for d in frames {
            let mut d = BytesMut::from(&d[..]);
            let seq = sequence(&d).wrapping_add(seq_span.wrapping_mul(copy as u16));
            let ts = timestamp(&d).wrapping_add(ts_span.wrapping_mul(copy as u32));
            d[2..4].copy_from_slice(&seq.to_be_bytes());
            d[4..8].copy_from_slice(&ts.to_be_bytes());
            let ticks = u64::from(ts.wrapping_sub(ts0));
            out.push((Duration::from_micros(ticks * 1_000_000 / RATE), d.freeze()));
        }
    }
    out
}

fn h264() -> Format {
    Format::new("H264", 90_000).with_fmtp("packetization-mode=1")
}

/// What our depacketizer made of a stream.
#[derive(Debug, Default)]
struct Made {
    frames: usize,
    frame_bytes: usize,
    media: Vec<MediaPacket>,
}

/// Every datagram parsed and through our depacketizer, as a receiver's loop does it: outputs
/// drained after each push, the reorder wait's timeout handled when it is due, then the end.
fn weir_depacketize(stream: &[(Duration, Bytes)], start: Instant, keep: bool) -> Made {
    let mut d = Depacketizer::new(&h264(), Limits::default()).expect("H.264 depacketizes");
    let mut made = Made::default();
    let drain = |d: &mut Depacketizer, made: &mut Made| {
        while let Some(out) = d.poll_output() {
            if let Output::Event(Event::Unit(Unit::Media(media))) = out {
                if let MediaPacket::Frame(f) = &media {
                    made.frames += 1;
                    made.frame_bytes += f.data.len();
                }
                if keep {
                    made.media.push(media);
                } else {
                    black_box(&media);
                }
            }
        }
    };
    for (index, (at, datagram)) in stream.iter().enumerate() {
        let now = start + *at;
        let packet = RtpPacket::parse(datagram).expect("the capture's RTP parses");
        d.push(now, index as u64, packet);
        drain(&mut d, &mut made);
        if d.poll_timeout().is_some_and(|due| due <= now) {
            d.handle_timeout(now);
            drain(&mut d, &mut made);
        }
    }
    d.finish();
    drain(&mut d, &mut made);
    made
}

/// The same datagrams through str0m: its RTP header parser, then its H.264 depacketizer over
/// each frame's payloads as str0m's receive buffer feeds it — a frame is the packets of one
/// timestamp from one that can begin a frame (`is_partition_head`) to the marker bit, their
/// sequence numbers unbroken; a frame it fails to depacketize is dropped.
fn str0m_depacketize(stream: &[(Duration, Bytes)], exts: &ExtensionMap) -> (usize, usize) {
    let mut depacketizer = H264Depacketizer::default();
    // The frame being gathered: its timestamp, the last sequence number and its payloads.
    let mut frame: Option<(u32, u16)> = None;
    let mut payloads: Vec<&[u8]> = Vec::new();
    let (mut frames, mut frame_bytes) = (0, 0);
    for (_, datagram) in stream {
        let header = RtpHeader::_parse(datagram, exts).expect("the capture's RTP parses");
        let mut payload = &datagram[header.header_len..];
        if header.has_padding {
            let pad = usize::from(*payload.last().unwrap_or(&0));
            payload = &payload[..payload.len().saturating_sub(pad)];
        }
        let (seq, ts) = (header.sequence_number, header.timestamp);
        if let Some((frame_ts, last)) = frame
            && (last.wrapping_add(1) != seq || frame_ts != ts)
        {
            // A gap, or a new timestamp: the frame so far is given up.
            frame = None;
            payloads.clear();
        }
        if frame.is_none() && depacketizer.is_partition_head(payload) {
            frame = Some((ts, seq));
        }
        let Some((_, last)) = frame.as_mut() else {
            continue;
        };
        *last = seq;
        payloads.push(payload);
        if depacketizer.is_partition_tail(header.marker, payload) {
            let size = payloads.iter().map(|p| p.len()).sum();
            let mut out = Vec::with_capacity(depacketizer.out_size_hint(size).unwrap_or(size));
            let mut extra = str0m::format::CodecExtra::None;
            let whole = payloads
                .iter()
                .all(|p| depacketizer.depacketize(p, &mut out, &mut extra).is_ok());
            if whole {
                frames += 1;
                frame_bytes += out.len();
                black_box((&out, extra));
            }
            frame = None;
            payloads.clear();
        }
    }
    (frames, frame_bytes)
}

/// Our media packetized again at `mtu` bytes, each packet written out; the bytes written.
fn weir_packetize(media: &[MediaPacket], mtu: usize, packets: &mut Vec<RtpPacket>) -> usize {
    let start = Start {
        ssrc: 0x1234_5678,
        sequence: 1000,
        timestamp: 90_000,
    };
    let mut p = Packetizer::new(&h264(), 102, start, mtu).expect("H.264 packetizes");
    let mut wire = Vec::with_capacity(mtu);
    let mut bytes = 0;
    for m in media {
        packets.clear();
        p.packetize(m, packets).expect("our frames packetize");
        for packet in packets.iter() {
            wire.clear();
            packet.write(&mut wire).expect("our packets write");
            bytes += wire.len();
            black_box(&wire);
        }
    }
    bytes
}

fn bench(c: &mut Criterion) {
    let capture = captured();
    assert_eq!(capture.len(), 298, "str0m_h264.pcap has its RTP");
    let stream = stream(&capture, REPEATS);
    let bytes: usize = stream.iter().map(|(_, d)| d.len()).sum();
    let start = Instant::now();
    let exts = ExtensionMap::empty();

    // Both depacketizers make the same frames of the stream, or the comparison is worthless.
    let made = weir_depacketize(&stream, start, true);
    let (str0m_frames, str0m_bytes) = str0m_depacketize(&stream, &exts);
    assert_eq!(made.frames, str0m_frames, "both make the same frames");
    // Length-prefixed NAL units both: the same bytes, but that str0m keeps in-band parameter
    // sets (and access unit delimiters) in the frame where we move them to the configuration.
    assert!(made.frames > 200 * REPEATS && made.frame_bytes <= str0m_bytes);
    let mut packets = Vec::new();
    let written = weir_packetize(&made.media, 1200, &mut packets);
    eprintln!(
        "rtp: {} datagrams, {bytes} bytes, {} frames ({} bytes; str0m's {str0m_bytes}), \
         {} configurations; packetized again: {written} bytes",
        stream.len(),
        made.frames,
        made.frame_bytes,
        made.media.len() - made.frames
    );

    let mut group = c.benchmark_group("rtp");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for (_, d) in &stream {
                black_box(RtpPacket::parse(black_box(d)).expect("parses"));
            }
        })
    });
    group.bench_function("parse/str0m", |b| {
        b.iter(|| {
            for (_, d) in &stream {
                black_box(RtpHeader::_parse(black_box(d), &exts).expect("parses"));
            }
        })
    });
    group.bench_function("depacketize_h264", |b| {
        b.iter(|| weir_depacketize(black_box(&stream), start, false).frames)
    });
    group.bench_function("depacketize_h264/str0m", |b| {
        b.iter(|| str0m_depacketize(black_box(&stream), &exts).0)
    });
    group.throughput(Throughput::Bytes(written as u64));
    group.bench_function("packetize_h264/mtu_1200", |b| {
        b.iter(|| weir_packetize(black_box(&made.media), 1200, &mut packets))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
