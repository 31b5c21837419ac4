//! Audio transcoding speed, each direction on one core: one second of stereo audio per
//! iteration (AAC 44.1 kHz -> Opus 48 kHz, the usual RTMP publisher to a WebRTC player; Opus
//! 48 kHz -> AAC 48 kHz, a WebRTC publisher to RTMP/HLS players). Criterion's throughput is
//! in samples per channel: divided by the source rate it is the speed in times real time
//! (48 000 elem/s is 1x for Opus, 44 100 for AAC); the brief's bar is 50x.

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track, TrackConfig};
use weir_transcode::aac::AAC_FRAME_SAMPLES;
use weir_transcode::opus::OPUS_FRAME_SAMPLES;
use weir_transcode::{AacEncoder, AudioTranscoder, OpusEncoder, Want};

/// One second of music-like stereo at `rate`: a chord of three tones with a little noise.
fn music(rate: u32) -> Vec<i16> {
    let mut noise = 0x1234_5678u32;
    (0..rate)
        .flat_map(|i| {
            let t = f64::from(i) / f64::from(rate);
            let tone = [220.0, 277.2, 329.6]
                .iter()
                .map(|f| (2.0 * std::f64::consts::PI * f * t).sin())
                .sum::<f64>();
            noise = noise.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let hiss = f64::from(noise >> 16) / 65536.0 - 0.5;
            let s = (tone * 6000.0 + hiss * 600.0) as i16;
            [s, s / 2]
        })
        .collect()
}

fn packet(codec: Codec, index: usize, samples: usize, rate: u32, data: Bytes) -> MediaPacket {
    let time = Timestamp((index * samples) as i64 * 90_000 / i64::from(rate));
    MediaPacket::Frame(Frame {
        track: Track::AUDIO,
        codec,
        pts: time,
        dts: time,
        keyframe: true,
        data,
    })
}

fn config(codec: Codec, data: Bytes) -> MediaPacket {
    MediaPacket::Config(TrackConfig {
        track: Track::AUDIO,
        codec,
        data,
    })
}

/// One second of 44.1 kHz stereo AAC: the config and the frames.
fn aac_second() -> (MediaPacket, Vec<MediaPacket>) {
    let mut encoder = AacEncoder::new(44_100, 2).unwrap();
    let frames = music(44_100)
        .chunks_exact(AAC_FRAME_SAMPLES * 2)
        .filter_map(|pcm| encoder.encode(pcm).unwrap())
        .enumerate()
        .map(|(i, au)| packet(Codec::Aac, i, AAC_FRAME_SAMPLES, 44_100, au))
        .collect();
    (config(Codec::Aac, encoder.config().clone()), frames)
}

/// One second of 48 kHz stereo Opus: the header and 50 packets.
fn opus_second() -> (MediaPacket, Vec<MediaPacket>) {
    let mut encoder = OpusEncoder::new(2).unwrap();
    let frames = music(48_000)
        .chunks_exact(OPUS_FRAME_SAMPLES * 2)
        .enumerate()
        .map(|(i, pcm)| {
            let data = encoder.encode(pcm).unwrap();
            packet(Codec::Opus, i, OPUS_FRAME_SAMPLES, 48_000, data)
        })
        .collect();
    let head = weir_transcode::opus::head(2, 48_000);
    (config(Codec::Opus, head), frames)
}

fn bench(c: &mut Criterion) {
    for (name, want, (config, frames), rate) in [
        ("aac44k-to-opus", Want::Opus, aac_second(), 44_100u64),
        ("opus-to-aac48k", Want::Aac, opus_second(), 48_000u64),
    ] {
        let mut transcoder = AudioTranscoder::new(want);
        let mut out = Vec::new();
        transcoder.push(&config, &mut out).unwrap();
        let mut group = c.benchmark_group("transcode");
        group.throughput(Throughput::Elements(rate));
        group.bench_function(format!("{name}/1s-stereo"), |b| {
            b.iter(|| {
                out.clear();
                for frame in &frames {
                    transcoder.push(black_box(frame), &mut out).unwrap();
                }
                black_box(out.len())
            })
        });
        group.finish();
        assert_eq!(transcoder.dropped(), 0);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
