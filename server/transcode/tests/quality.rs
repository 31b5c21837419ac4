//! Quality against FFmpeg: a 1 kHz sine made by FFmpeg's AAC encoder goes AAC -> Opus -> AAC
//! through our transcoders, and through FFmpeg's own `libopus` then `aac`; both results are
//! decoded by FFmpeg and measured the same way (peak frequency, SNR of the fitted sine, RMS).
//! Ours must stay within a few dB of FFmpeg's. Run with `--nocapture` to see the numbers.

mod common;

use bytes::Bytes;
use common::{decode_to_pcm, measure, run_ffmpeg, scratch};
use weir_media::aac::AudioSpecificConfig;
use weir_media::adts::{AdtsHeader, adts_frames, raw_to_adts};
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track, TrackConfig};
use weir_transcode::{AudioTranscoder, Want};

/// Pushes `input` through a transcoder into `want`.
fn transcode(want: Want, input: &[MediaPacket]) -> Vec<MediaPacket> {
    let mut transcoder = AudioTranscoder::new(want);
    let mut out = Vec::new();
    for packet in input {
        transcoder.push(packet, &mut out).unwrap();
    }
    assert_eq!(transcoder.dropped(), 0);
    out
}

#[test]
fn a_sine_through_aac_opus_aac_is_as_good_as_ffmpegs_own_transcode() {
    let dir = scratch("quality");
    let tone = dir.join("tone.aac");
    run_ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=1000:sample_rate=48000",
        "-t",
        "3",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-f",
        "adts",
        tone.to_str().unwrap(),
    ]);

    // Ours: the ADTS frames as the hub carries AAC (config + raw access units).
    let bytes = std::fs::read(&tone).unwrap();
    let first = AdtsHeader::parse(&bytes).unwrap();
    let asc = first.audio_specific_config();
    let mut input = vec![MediaPacket::Config(TrackConfig {
        track: Track::AUDIO,
        codec: Codec::Aac,
        data: Bytes::from(asc.to_bytes().unwrap()),
    })];
    for (i, frame) in adts_frames(&bytes).enumerate() {
        let frame = frame.unwrap();
        let time = Timestamp(i as i64 * 1024 * 90_000 / 48_000);
        input.push(MediaPacket::Frame(Frame {
            track: Track::AUDIO,
            codec: Codec::Aac,
            pts: time,
            dts: time,
            keyframe: true,
            data: Bytes::copy_from_slice(frame.payload),
        }));
    }
    let opus = transcode(Want::Opus, &input);
    let aac = transcode(Want::Aac, &opus);
    let MediaPacket::Config(config) = &aac[0] else {
        panic!("no AAC config first");
    };
    let config = AudioSpecificConfig::parse(&config.data).unwrap();
    let mut adts = Vec::new();
    for packet in &aac[1..] {
        if let MediaPacket::Frame(frame) = packet {
            adts.extend(raw_to_adts(&config, &frame.data).unwrap());
        }
    }
    let ours_file = dir.join("ours.aac");
    std::fs::write(&ours_file, adts).unwrap();

    // FFmpeg's: libopus then aac, at our bitrates (mono: Opus 64k, AAC 64k).
    let ogg = dir.join("ffmpeg.ogg");
    let theirs_file = dir.join("ffmpeg.aac");
    run_ffmpeg(&[
        "-i",
        tone.to_str().unwrap(),
        "-c:a",
        "libopus",
        "-b:a",
        "64k",
        ogg.to_str().unwrap(),
    ]);
    run_ffmpeg(&[
        "-i",
        ogg.to_str().unwrap(),
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-f",
        "adts",
        theirs_file.to_str().unwrap(),
    ]);

    let source = measure(&decode_to_pcm(&tone), 1, 48_000);
    let ours = measure(&decode_to_pcm(&ours_file), 1, 48_000);
    let theirs = measure(&decode_to_pcm(&theirs_file), 1, 48_000);
    println!("source tone  {source:?}");
    println!("ours         {ours:?}");
    println!("ffmpeg       {theirs:?}");

    assert!((ours.peak_hz - 1000.0).abs() <= 1.0, "peak moved: {ours:?}");
    assert!(
        ours.snr_db >= theirs.snr_db - 6.0,
        "ours {ours:?} against FFmpeg's {theirs:?}"
    );
    assert!(
        (ours.rms_dbfs - theirs.rms_dbfs).abs() <= 1.0,
        "level: {ours:?} against {theirs:?}"
    );
}
