//! MPEG-PS demuxing (issue 14: at least 1 GB/s on one core): a program stream of our muxer
//! made from corpus `flv/avc_aac.flv` (H.264 + AAC), repeated [`REPEATS`] times with its
//! timestamps shifted so that the stream goes on, fed whole and in 1400-byte pieces (what a
//! GB28181 device's RTP payloads are). Throughput counts program stream bytes.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Instant;
use weir_media::{Machine, MediaPacket, Output};
use weir_mpegps::{Demuxer, Muxer, PsEvent};
use weir_testkit::corpus;

/// How many times the file's frames are muxed, one after the other.
const REPEATS: i64 = 24;

/// The program stream.
fn stream() -> Vec<u8> {
    let packets = corpus::flv_packets("flv/avc_aac.flv");
    let span = packets
        .iter()
        .filter_map(|p| match p {
            MediaPacket::Frame(f) => Some(f.dts.0),
            _ => None,
        })
        .max()
        .unwrap_or(0)
        + 3600;
    let mut muxer = Muxer::default();
    let mut out = Vec::new();
    for k in 0..REPEATS {
        for p in &packets {
            match p {
                MediaPacket::Config(c) if k == 0 => muxer.handle_config(c).expect("config"),
                MediaPacket::Frame(f) => {
                    let mut f = f.clone();
                    f.pts.0 += k * span;
                    f.dts.0 += k * span;
                    muxer.handle_frame(&f).expect("frame");
                }
                _ => {}
            }
            while let Some(Output::Transmit(b)) = muxer.poll_output() {
                out.extend_from_slice(&b);
            }
        }
    }
    out
}

fn demux(pieces: &[&[u8]]) -> usize {
    let now = Instant::now();
    let mut d = Demuxer::default();
    let mut frames = 0;
    for piece in pieces {
        d.handle_input(now, piece).expect("no error");
        while let Some(o) = d.poll_output() {
            frames += usize::from(matches!(o, Output::Event(PsEvent::Frame(_))));
        }
    }
    d.handle_end(now).expect("no error");
    while let Some(o) = d.poll_output() {
        frames += usize::from(matches!(o, Output::Event(PsEvent::Frame(_))));
    }
    frames
}

fn bench(c: &mut Criterion) {
    let ps = stream();
    let mut group = c.benchmark_group("mpegps");
    group.throughput(Throughput::Bytes(ps.len() as u64));
    group.bench_function("demux_whole", |b| b.iter(|| black_box(demux(&[&ps]))));
    let pieces: Vec<&[u8]> = ps.chunks(1400).collect();
    group.bench_function("demux_1400", |b| b.iter(|| black_box(demux(&pieces))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
