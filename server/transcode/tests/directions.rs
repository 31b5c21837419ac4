//! Each direction on its own, with tones made in the test: what comes out is the target codec,
//! configured first, timed by its samples, and still the tone.

mod common;

use bytes::Bytes;
use common::{measure, sine};
use weir_media::aac::AudioSpecificConfig;
use weir_media::opus::OpusHead;
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track, TrackConfig};
use weir_transcode::aac::AAC_FRAME_SAMPLES;
use weir_transcode::opus::OPUS_FRAME_SAMPLES;
use weir_transcode::{AacDecoder, AacEncoder, AudioTranscoder, OpusDecoder, OpusEncoder, Want};

fn config(codec: Codec, data: Bytes) -> MediaPacket {
    MediaPacket::Config(TrackConfig {
        track: Track::AUDIO,
        codec,
        data,
    })
}

fn frame(codec: Codec, ticks: i64, data: Bytes) -> MediaPacket {
    MediaPacket::Frame(Frame {
        track: Track::AUDIO,
        codec,
        pts: Timestamp(ticks),
        dts: Timestamp(ticks),
        keyframe: true,
        data,
    })
}

/// `pcm` encoded as AAC at `rate`: its config and frames, timed from `start`.
fn aac_stream(pcm: &[i16], rate: u32, channels: usize, start: i64) -> Vec<MediaPacket> {
    let mut encoder = AacEncoder::new(rate, channels).unwrap();
    let mut out = vec![config(Codec::Aac, encoder.config().clone())];
    for (i, chunk) in pcm.chunks_exact(AAC_FRAME_SAMPLES * channels).enumerate() {
        if let Some(au) = encoder.encode(chunk).unwrap() {
            let ticks = start + (i * AAC_FRAME_SAMPLES) as i64 * 90_000 / i64::from(rate);
            out.push(frame(Codec::Aac, ticks, au));
        }
    }
    out
}

/// `pcm` (48 kHz) encoded as Opus: its `OpusHead` and 20 ms packets, timed from `start`.
fn opus_stream(pcm: &[i16], channels: usize, start: i64) -> Vec<MediaPacket> {
    let mut encoder = OpusEncoder::new(channels).unwrap();
    let mut out = vec![config(
        Codec::Opus,
        weir_transcode::opus::head(channels, 48_000),
    )];
    for (i, chunk) in pcm.chunks_exact(OPUS_FRAME_SAMPLES * channels).enumerate() {
        let packet = encoder.encode(chunk).unwrap();
        out.push(frame(Codec::Opus, start + i as i64 * 1800, packet));
    }
    out
}

fn transcode(want: Want, input: &[MediaPacket]) -> (Vec<MediaPacket>, AudioTranscoder) {
    let mut transcoder = AudioTranscoder::new(want);
    let mut out = Vec::new();
    for packet in input {
        transcoder.push(packet, &mut out).unwrap();
    }
    (out, transcoder)
}

fn frames(out: &[MediaPacket]) -> Vec<&Frame> {
    out.iter()
        .filter_map(|p| match p {
            MediaPacket::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn opus_becomes_aac_configured_first_and_timed_by_1024_samples() {
    let pcm = sine(1000.0, 48_000, 1.0, 8000.0, 2);
    let (out, transcoder) = transcode(Want::Aac, &opus_stream(&pcm, 2, 90_000));
    let MediaPacket::Config(config) = &out[0] else {
        panic!("first out is not a config: {:?}", out[0]);
    };
    assert_eq!(config.codec, Codec::Aac);
    let asc = AudioSpecificConfig::parse(&config.data).unwrap();
    assert_eq!(
        (asc.object_type, asc.sampling.hz(), asc.channels()),
        (2, 48_000, Some(2))
    );
    let frames = frames(&out);
    // 50 packets of 960 make 46.875 frames of 1024, less what the encoder still holds.
    assert!((40..=46).contains(&frames.len()), "{} frames", frames.len());
    assert!(frames.iter().all(|f| f.codec == Codec::Aac));
    for pair in frames.windows(2) {
        assert_eq!(
            pair[1].dts.0 - pair[0].dts.0,
            1920,
            "1024 samples at 48 kHz"
        );
    }
    assert!(frames[0].dts >= Timestamp(90_000));
    assert_eq!(transcoder.dropped(), 0);
}

#[test]
fn aac_at_44100_becomes_20ms_opus_packets_that_still_carry_the_tone() {
    let pcm = sine(1000.0, 44_100, 1.5, 8000.0, 1);
    let (out, _) = transcode(Want::Opus, &aac_stream(&pcm, 44_100, 1, 0));
    let MediaPacket::Config(config) = &out[0] else {
        panic!("first out is not a config");
    };
    let head = OpusHead::parse(&config.data).unwrap();
    assert_eq!((head.channels, head.input_sample_rate), (1, 44_100));
    let packets = frames(&out);
    for pair in packets.windows(2) {
        assert_eq!(pair[1].dts.0 - pair[0].dts.0, 1800, "20 ms");
    }
    assert!(packets.len() >= 60, "{} packets", packets.len());
    let mut decoder = OpusDecoder::new(1).unwrap();
    let mut decoded = Vec::new();
    for packet in &packets {
        let pcm = decoder.decode(&packet.data).unwrap();
        assert_eq!(pcm.frames(), OPUS_FRAME_SAMPLES);
        decoded.extend_from_slice(pcm.samples);
    }
    let tone = measure(&decoded, 1, 48_000);
    assert!((tone.peak_hz - 1000.0).abs() <= 1.0, "{tone:?}");
    assert!(tone.snr_db > 20.0, "{tone:?}");
}

#[test]
fn aac_decoder_gives_back_the_tone_the_encoder_took() {
    let pcm = sine(1000.0, 48_000, 1.5, 8000.0, 2);
    let stream = aac_stream(&pcm, 48_000, 2, 0);
    let MediaPacket::Config(config) = &stream[0] else {
        unreachable!()
    };
    let mut decoder = AacDecoder::new(&config.data).unwrap();
    let mut decoded = Vec::new();
    for packet in &frames(&stream) {
        let pcm = decoder.decode(&packet.data).unwrap();
        assert_eq!((pcm.channels, pcm.rate, pcm.frames()), (2, 48_000, 1024));
        decoded.extend_from_slice(pcm.samples);
    }
    let tone = measure(&decoded, 2, 48_000);
    assert!((tone.peak_hz - 1000.0).abs() <= 1.0, "{tone:?}");
    assert!(tone.snr_db > 30.0, "{tone:?}");
}

#[test]
fn a_repeated_config_is_answered_again_without_a_new_encoder() {
    let pcm = sine(1000.0, 48_000, 0.2, 8000.0, 2);
    let mut input = opus_stream(&pcm, 2, 0);
    input.push(input[0].clone());
    let (out, _) = transcode(Want::Aac, &input);
    let configs: Vec<_> = out
        .iter()
        .filter(|p| matches!(p, MediaPacket::Config(_)))
        .collect();
    assert_eq!(configs.len(), 2);
    assert_eq!(configs[0], configs[1]);
}

#[test]
fn opus_without_a_head_takes_its_channels_from_the_toc() {
    let pcm = sine(1000.0, 48_000, 0.2, 8000.0, 1);
    let input = opus_stream(&pcm, 1, 0);
    let (out, _) = transcode(Want::Aac, &input[1..]);
    let MediaPacket::Config(config) = &out[0] else {
        panic!("no config before the first frame");
    };
    assert_eq!(
        AudioSpecificConfig::parse(&config.data).unwrap().channels(),
        Some(1)
    );
}

#[test]
fn a_jump_in_input_time_restarts_output_time_there() {
    let pcm = sine(1000.0, 48_000, 0.4, 8000.0, 2);
    let mut input = opus_stream(&pcm, 2, 0);
    let later = opus_stream(&pcm, 2, 90_000 * 10);
    input.extend(later.into_iter().skip(1));
    let (out, _) = transcode(Want::Aac, &input);
    let times: Vec<i64> = frames(&out).iter().map(|f| f.dts.0).collect();
    assert!(times.windows(2).all(|w| w[1] > w[0]), "{times:?}");
    assert!(times.iter().any(|&t| t >= 90_000 * 10), "{times:?}");
}

#[test]
fn other_codecs_and_tracks_pass_by_untouched() {
    let mut transcoder = AudioTranscoder::new(Want::Aac);
    let mut out = Vec::new();
    let video = MediaPacket::Frame(Frame {
        track: Track::VIDEO,
        codec: Codec::H264,
        pts: Timestamp(0),
        dts: Timestamp(0),
        keyframe: true,
        data: Bytes::from_static(&[0, 0, 0, 1, 0x65]),
    });
    transcoder.push(&video, &mut out).unwrap();
    transcoder
        .push(&frame(Codec::Aac, 0, Bytes::from_static(&[1, 2])), &mut out)
        .unwrap();
    assert!(out.is_empty());
}
