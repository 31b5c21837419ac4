//! Hostile input as a table: each rule of the catalog, and the input that makes it fire; then
//! random bytes in every place a packet goes, which must never panic nor grow the output.

use bytes::Bytes;
use proptest::prelude::*;
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track, TrackConfig};
use weir_transcode::rules::CATALOG;
use weir_transcode::{AacEncoder, AudioTranscoder, Want};

fn config(codec: Codec, data: &[u8]) -> MediaPacket {
    MediaPacket::Config(TrackConfig {
        track: Track::AUDIO,
        codec,
        data: Bytes::copy_from_slice(data),
    })
}

fn frame(codec: Codec, ticks: i64, data: &[u8]) -> MediaPacket {
    MediaPacket::Frame(Frame {
        track: Track::AUDIO,
        codec,
        pts: Timestamp(ticks),
        dts: Timestamp(ticks),
        keyframe: true,
        data: Bytes::copy_from_slice(data),
    })
}

fn aac_lc_stereo() -> Vec<u8> {
    AacEncoder::new(48_000, 2).unwrap().config().to_vec()
}

fn opus_head(channels: u8, family: u8) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.extend_from_slice(&[1, channels, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, family]);
    if family != 0 {
        head.extend_from_slice(&[4, 2]);
        head.extend((0..channels).map(|c| c.min(5)));
    }
    head
}

/// The rule id the last packet of `input` fails with.
fn fails_with(want: Want, input: &[MediaPacket]) -> &'static str {
    let mut transcoder = AudioTranscoder::new(want);
    let mut out = Vec::new();
    let (last, before) = input.split_last().unwrap();
    for packet in before {
        transcoder.push(packet, &mut out).unwrap();
    }
    let error = transcoder.push(last, &mut out).unwrap_err();
    assert_eq!(transcoder.dropped(), 1);
    error.rule_id()
}

#[test]
fn every_rule_fires_on_its_input() {
    let aac = aac_lc_stereo();
    let cases: Vec<(&str, Want, Vec<MediaPacket>)> = vec![
        // Audio object type 0 is reserved (ISO/IEC 14496-3 Table 1.1).
        (
            "transcode.aac.config",
            Want::Opus,
            vec![config(Codec::Aac, &[0x00, 0x10])],
        ),
        // AAC Main (object type 1), which FDK does not decode.
        (
            "transcode.aac.config",
            Want::Opus,
            vec![config(Codec::Aac, &[0x0a, 0x10])],
        ),
        (
            "transcode.aac.frame-before-config",
            Want::Opus,
            vec![frame(Codec::Aac, 0, &[0x21, 0x10])],
        ),
        (
            "transcode.aac.frame",
            Want::Opus,
            vec![config(Codec::Aac, &aac), frame(Codec::Aac, 0, &[])],
        ),
        (
            "transcode.aac.frame",
            Want::Opus,
            vec![config(Codec::Aac, &aac), frame(Codec::Aac, 0, &[0xff; 40])],
        ),
        (
            "transcode.opus.head",
            Want::Aac,
            vec![config(Codec::Opus, b"OpusHead\x01")],
        ),
        (
            "transcode.opus.head",
            Want::Aac,
            vec![config(Codec::Opus, &opus_head(6, 1))],
        ),
        (
            "transcode.opus.packet",
            Want::Aac,
            vec![
                config(Codec::Opus, &opus_head(2, 0)),
                frame(Codec::Opus, 0, &[]),
            ],
        ),
        // Code 3 with a frame count of 0 (RFC 6716 §3.2.5).
        (
            "transcode.opus.packet",
            Want::Aac,
            vec![
                config(Codec::Opus, &opus_head(2, 0)),
                frame(Codec::Opus, 0, &[0x03, 0x00]),
            ],
        ),
    ];
    for (rule, want, input) in &cases {
        assert_eq!(fails_with(*want, input), *rule, "{input:?}");
    }
    for rule in CATALOG {
        assert!(
            cases.iter().any(|(id, ..)| *id == rule.id),
            "no input fires {}",
            rule.id
        );
    }
}

#[test]
fn a_broken_frame_is_dropped_and_the_next_one_transcodes() {
    let mut transcoder = AudioTranscoder::new(Want::Aac);
    let mut out = Vec::new();
    transcoder
        .push(&config(Codec::Opus, &opus_head(1, 0)), &mut out)
        .unwrap();
    assert!(
        transcoder
            .push(&frame(Codec::Opus, 0, &[0x03, 0x00]), &mut out)
            .is_err()
    );
    // A 20 ms CELT silence frame (TOC config 31, code 0) decodes.
    let mut encoder = weir_transcode::OpusEncoder::new(1).unwrap();
    let silence = encoder.encode(&[0; 960]).unwrap();
    for i in 0..10 {
        transcoder
            .push(&frame(Codec::Opus, 1800 * (i + 1), &silence), &mut out)
            .unwrap();
    }
    assert_eq!(transcoder.dropped(), 1);
    assert!(out.iter().any(|p| matches!(p, MediaPacket::Frame(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_never_panic_nor_grow_the_output(
        frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..400), 1..20),
        head in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        for want in [Want::Aac, Want::Opus] {
            let source = want.source();
            let good = match want { Want::Aac => opus_head(2, 0), Want::Opus => aac_lc_stereo() };
            for first in [config(source, &head), config(source, &good)] {
                let mut transcoder = AudioTranscoder::new(want);
                let mut out = Vec::new();
                let _ = transcoder.push(&first, &mut out);
                for (i, data) in frames.iter().enumerate() {
                    let before = out.len();
                    let _ = transcoder.push(&frame(source, i as i64 * 1800, data), &mut out);
                    // At most a config and the frames 120 ms of audio make.
                    prop_assert!(out.len() - before <= 8);
                }
            }
        }
    }
}
