//! RTMP chunk stream throughput: a realistic publish session (the audio and video tags of
//! corpus flv/avatar.flv as RTMP messages, csid 4 audio, 6 video, message stream 1), decoded
//! and encoded at chunk sizes 4096 and 128.

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use weir_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, RawMessage};
use weir_rtmp::message::Message;

/// The audio and video tags of corpus `flv/avatar.flv` as RTMP messages: audio on csid 4,
/// video on 6, message stream 1.
fn media_messages() -> Vec<RawMessage> {
    weir_testkit::corpus::flv_media("flv/avatar.flv")
        .into_iter()
        .map(|(video, timestamp, payload)| RawMessage {
            csid: if video { 6 } else { 4 },
            timestamp,
            type_id: if video { 9 } else { 8 },
            stream_id: 1,
            payload,
        })
        .collect()
}

fn publish_stream(messages: &[RawMessage], chunk_size: u32) -> Bytes {
    let mut encoder = ChunkEncoder::new();
    let mut out = BytesMut::new();
    encoder
        .encode(&Message::SetChunkSize(chunk_size).to_raw(2, 0, 0), &mut out)
        .unwrap();
    for msg in messages {
        encoder.encode(msg, &mut out).unwrap();
    }
    out.freeze()
}

fn decode_all(stream: &[u8]) -> usize {
    let mut decoder = ChunkDecoder::new(ChunkLimits::default(), 3073);
    decoder.push(stream);
    let mut violations = Vec::new();
    let mut count = 0;
    while let Some(msg) = decoder
        .next_message(&mut violations)
        .expect("the stream decodes")
    {
        black_box(&msg);
        count += 1;
    }
    count
}

fn bench(c: &mut Criterion) {
    let messages = media_messages();
    assert!(messages.len() > 100, "avatar.flv has its media tags");
    let payload_bytes: usize = messages.iter().map(|m| m.payload.len()).sum();
    let mut group = c.benchmark_group("rtmp_chunk");
    for chunk_size in [4096u32, 128] {
        let stream = publish_stream(&messages, chunk_size);
        assert_eq!(decode_all(&stream), messages.len() + 1);
        group.throughput(Throughput::Bytes(stream.len() as u64));
        group.bench_function(format!("decode/chunk_{chunk_size}"), |b| {
            b.iter(|| decode_all(black_box(&stream)))
        });
        group.throughput(Throughput::Bytes(payload_bytes as u64));
        group.bench_function(format!("encode/chunk_{chunk_size}"), |b| {
            b.iter(|| publish_stream(black_box(&messages), chunk_size).len())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
