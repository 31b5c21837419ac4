//! MPEG-TS throughput on one core: demuxing and muxing a realistic live stream — 10 s of
//! 30 fps H.264 at about 4 Mbit/s (a 120 kB IDR every 2 s, 14 kB P-frames, SPS/PPS of a real
//! High-profile stream) with 128 kbit/s AAC-LC, muxed as an HLS segmenter would (a segment
//! per keyframe) — and demuxing corpus mpegts/sintel-captions.ts, a real low-rate segment.
//! Throughput counts transport stream bytes.

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Instant;
use weir_media::Machine;
use weir_media::{Codec, Frame, Output, Timestamp, Track, TrackConfig};
use weir_mpegts::{Demuxer, Limits, Muxer};
use weir_testkit::corpus::read as corpus_file;

const AVC_RECORD: &str =
    "01640020ffe1001967640020acd940c029b011000003000100000300320f18319601000568ebecb22c";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Pseudo-random NAL unit body bytes with no start-code emulation.
fn body(len: usize, seed: &mut u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed as u8) | 0x10
        })
        .collect()
}

fn nal(header: u8, len: usize, seed: &mut u64) -> Vec<u8> {
    let mut out = ((len + 1) as u32).to_be_bytes().to_vec();
    out.push(header);
    out.extend(body(len, seed));
    out
}

/// Configs, then frames interleaved by DTS.
fn live_stream() -> (Vec<TrackConfig>, Vec<Frame>) {
    let configs = vec![
        TrackConfig {
            track: Track::VIDEO,
            codec: Codec::H264,
            data: unhex(AVC_RECORD).into(),
        },
        TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Aac,
            data: Bytes::from_static(&[0x12, 0x10]),
        },
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let mut frames = Vec::new();
    for i in 0..300i64 {
        let key = i % 60 == 0;
        let mut data = nal(0x06, 30, &mut seed);
        data.extend(if key {
            nal(0x65, 120_000, &mut seed)
        } else {
            nal(0x41, 14_000, &mut seed)
        });
        frames.push(Frame {
            track: Track::VIDEO,
            codec: Codec::H264,
            pts: Timestamp(i * 3000 + 6000),
            dts: Timestamp(i * 3000),
            keyframe: key,
            data: data.into(),
        });
    }
    for i in 0..431i64 {
        frames.push(Frame {
            track: Track::AUDIO,
            codec: Codec::Aac,
            pts: Timestamp(i * 2090),
            dts: Timestamp(i * 2090),
            keyframe: true,
            data: body(370, &mut seed).into(),
        });
    }
    frames.sort_by_key(|f| f.dts);
    (configs, frames)
}

fn mux(configs: &[TrackConfig], frames: &[Frame]) -> Vec<Bytes> {
    let mut m = Muxer::default();
    for c in configs {
        m.handle_config(c).unwrap();
    }
    let mut out = Vec::with_capacity(frames.len());
    for f in frames {
        if f.keyframe && f.track == Track::VIDEO {
            m.start_segment();
        }
        m.handle_frame(f).unwrap();
        while let Some(Output::Transmit(bytes)) = m.poll_output() {
            out.push(bytes);
        }
    }
    out
}

/// Demuxes `ts` in 64 kB reads; returns the frames.
fn demux(ts: &[u8]) -> usize {
    let now = Instant::now();
    let mut d = Demuxer::new(Limits::default());
    let mut frames = 0;
    for piece in ts.chunks(64 * 1024) {
        d.handle_input(now, piece).unwrap();
        while let Some(out) = d.poll_output() {
            frames += usize::from(matches!(
                out,
                Output::Event(weir_mpegts::DemuxEvent::Frame(_))
            ));
        }
    }
    d.handle_end(Instant::now()).unwrap();
    while let Some(out) = d.poll_output() {
        frames += usize::from(matches!(
            out,
            Output::Event(weir_mpegts::DemuxEvent::Frame(_))
        ));
    }
    frames
}

fn bench(c: &mut Criterion) {
    let (configs, frames) = live_stream();
    let ts: Vec<u8> = mux(&configs, &frames).concat();
    assert_eq!(demux(&ts), frames.len());

    let mut group = c.benchmark_group("mpegts");
    group.throughput(Throughput::Bytes(ts.len() as u64));
    group.bench_function("demux 4 Mbit/s H.264 + AAC", |b| {
        b.iter(|| demux(black_box(&ts)))
    });
    group.bench_function("mux 4 Mbit/s H.264 + AAC", |b| {
        b.iter(|| mux(black_box(&configs), black_box(&frames)))
    });
    let sintel = corpus_file("mpegts/sintel-captions.ts");
    group.throughput(Throughput::Bytes(sintel.len() as u64));
    group.bench_function("demux sintel-captions.ts", |b| {
        b.iter(|| demux(black_box(&sintel)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
