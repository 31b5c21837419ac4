//! AMF0 decode and encode throughput on the two messages every RTMP session carries: the
//! client's connect command and the publisher's @setDataFrame/onMetaData data message.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use weir_amf0::{Limits, Value, decode_all, encode_all};

/// A player's connect command, shaped like FFmpeg's (RTMP 1.0 §7.2.1.1).
fn connect_command() -> Vec<Value> {
    vec![
        Value::from("connect"),
        Value::Number(1.0),
        Value::object([
            ("app", Value::from("live")),
            ("flashVer", Value::from("LNX 9,0,124,2")),
            ("tcUrl", Value::from("rtmp://127.0.0.1:1935/live")),
            ("fpad", Value::Boolean(false)),
            ("capabilities", Value::Number(15.0)),
            ("audioCodecs", Value::Number(4071.0)),
            ("videoCodecs", Value::Number(252.0)),
            ("videoFunction", Value::Number(1.0)),
        ]),
    ]
}

/// A publisher's metadata for an H.264/AAC stream (FLV 10.1 §E.5, onMetaData).
fn on_metadata() -> Vec<Value> {
    let number = |k: &str, n: f64| (k.to_owned(), Value::Number(n));
    vec![
        Value::from("@setDataFrame"),
        Value::from("onMetaData"),
        Value::EcmaArray(vec![
            number("duration", 0.0),
            number("width", 1920.0),
            number("height", 1080.0),
            number("videodatarate", 2500.0),
            number("framerate", 30.0),
            number("videocodecid", 7.0),
            number("audiodatarate", 128.0),
            number("audiosamplerate", 48000.0),
            number("audiosamplesize", 16.0),
            ("stereo".to_owned(), Value::Boolean(true)),
            number("audiocodecid", 10.0),
            ("encoder".to_owned(), Value::from("Lavf59.27.100")),
            number("filesize", 0.0),
        ]),
    ]
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    for (name, message) in [
        ("connect", connect_command()),
        ("onMetaData", on_metadata()),
    ] {
        let mut bytes = Vec::new();
        encode_all(&message, &mut bytes);
        assert_eq!(decode_all(&bytes, &limits).unwrap(), message);

        let mut group = c.benchmark_group(format!("amf0/{name}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("decode", |b| {
            b.iter(|| decode_all(black_box(&bytes), &limits).unwrap())
        });
        let mut out = Vec::with_capacity(bytes.len());
        group.bench_function("encode", |b| {
            b.iter(|| {
                out.clear();
                encode_all(black_box(&message), &mut out);
                out.len()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
