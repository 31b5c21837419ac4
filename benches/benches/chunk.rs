//! RTMP chunk stream throughput: a realistic publish session (the audio and video tags of
//! corpus flv/avatar.flv as RTMP messages, csid 4 audio, 6 video, message stream 1), decoded
//! and encoded at chunk sizes 4096 and 128.

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use weir_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, RawMessage};
use weir_rtmp::message::Message;

fn corpus_file(path: &str) -> Vec<u8> {
    let dir = std::env::var("WEIR_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus").into());
    let path = format!("{dir}/{path}");
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("corpus file {path} is missing ({e}); set WEIR_CORPUS"))
}

/// Audio and video tags of an FLV file (FLV 10.1 §E.2, §E.3): 9-byte header and the first
/// back pointer, then tags of an 11-byte header, body and 4-byte back pointer.
fn flv_media_messages(flv: &[u8]) -> Vec<RawMessage> {
    let mut messages = Vec::new();
    let mut pos = 9 + 4;
    while let Some(header) = flv.get(pos..pos + 11) {
        let size =
            (usize::from(header[1]) << 16) | (usize::from(header[2]) << 8) | usize::from(header[3]);
        let timestamp = u32::from_be_bytes([header[7], header[4], header[5], header[6]]);
        let Some(body) = flv.get(pos + 11..pos + 11 + size) else {
            break;
        };
        let csid = match header[0] & 0x1F {
            8 => 4,
            9 => 6,
            _ => 0,
        };
        if csid != 0 {
            messages.push(RawMessage {
                csid,
                timestamp,
                type_id: header[0] & 0x1F,
                stream_id: 1,
                payload: Bytes::copy_from_slice(body),
            });
        }
        pos += 11 + size + 4;
    }
    messages
}

fn publish_stream(messages: &[RawMessage], chunk_size: u32) -> Bytes {
    let mut encoder = ChunkEncoder::new();
    let mut out = BytesMut::new();
    encoder.encode(&Message::SetChunkSize(chunk_size).to_raw(2, 0, 0), &mut out);
    for msg in messages {
        encoder.encode(msg, &mut out);
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
    let messages = flv_media_messages(&corpus_file("flv/avatar.flv"));
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
