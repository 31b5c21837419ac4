//! Codec configurations from the public corpus (`$WEIR_CORPUS`), checked against what
//! ffprobe (FFmpeg 5.1) reports for the same files.

use bytes::Bytes;
use weir_media::adts::adts_frames;
use weir_media::nal::{annexb_nals, annexb_to_length_prefixed, length_prefixed_nals};
use weir_media::{
    AudioSpecificConfig, Codec, CodecConfig, ConfigSummary, FrameRate, Track, TrackConfig,
};
use weir_testkit::corpus::read as corpus;

/// The tags of an FLV file as (TagType, body), with the least FLV walking that can find them
/// (FLV 10.1 §E.2, §E.4.1).
fn flv_tags(file: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let header_len = u32::from_be_bytes(file[5..9].try_into().unwrap()) as usize;
    let mut offset = header_len + 4;
    std::iter::from_fn(move || {
        let header = file.get(offset..offset + 11)?;
        let size = u32::from_be_bytes([0, header[1], header[2], header[3]]) as usize;
        let body = &file[offset + 11..offset + 11 + size];
        offset += 11 + size + 4;
        Some((header[0] & 0x1f, body))
    })
}

/// The sequence headers of an FLV file (FLV 10.1 §E.4; Enhanced RTMP v2 for
/// `ExVideoTagHeader`): (codec, record) in file order.
fn flv_sequence_headers(file: &[u8]) -> Vec<(Codec, Bytes)> {
    let mut found = Vec::new();
    for (tag_type, body) in flv_tags(file) {
        match (tag_type, body) {
            // Enhanced RTMP: IsExHeader, PacketTypeSequenceStart (0), FourCC.
            (9, [b0, fourcc @ ..]) if b0 & 0x80 != 0 && b0 & 0x0f == 0 => {
                let codec = match &fourcc[..4] {
                    b"avc1" => Codec::H264,
                    b"hvc1" => Codec::H265,
                    b"av01" => Codec::Av1,
                    other => panic!("unexpected FourCC {other:?}"),
                };
                found.push((codec, Bytes::copy_from_slice(&body[5..])));
            }
            // Legacy AVC: CodecID 7, AVCPacketType 0 (sequence header), composition time.
            (9, [b0, 0, ..]) if b0 & 0x0f == 7 => {
                found.push((Codec::H264, Bytes::copy_from_slice(&body[5..])))
            }
            // AAC: SoundFormat 10, AACPacketType 0.
            (8, [b0, 0, ..]) if b0 >> 4 == 10 => {
                found.push((Codec::Aac, Bytes::copy_from_slice(&body[2..])))
            }
            _ => {}
        }
    }
    found
}

fn summaries(path: &str) -> Vec<ConfigSummary> {
    flv_sequence_headers(&corpus(path))
        .into_iter()
        .map(|(codec, data)| {
            let config = TrackConfig {
                track: Track::VIDEO,
                codec,
                data,
            };
            let parsed = CodecConfig::parse(&config).unwrap_or_else(|e| panic!("{path}: {e}"));
            parsed.summary()
        })
        .collect()
}

fn video(
    codec: Codec,
    profile: &'static str,
    level: &str,
    size: (u32, u32),
    rate: Option<FrameRate>,
) -> ConfigSummary {
    ConfigSummary {
        codec,
        profile: Some(profile),
        level: Some(level.into()),
        width: Some(size.0),
        height: Some(size.1),
        frame_rate: rate,
        sample_rate: None,
        channels: None,
    }
}

fn aac(sample_rate: u32) -> ConfigSummary {
    ConfigSummary {
        codec: Codec::Aac,
        profile: Some("LC"),
        level: None,
        width: None,
        height: None,
        frame_rate: None,
        sample_rate: Some(sample_rate),
        channels: Some(2),
    }
}

#[test]
fn avatar_flv_h264_high_768x320_and_aac_lc() {
    // ffprobe: h264 High level 32 768x320 25/1; aac LC 44100 Hz stereo.
    assert_eq!(
        summaries("flv/avatar.flv"),
        [
            video(
                Codec::H264,
                "High",
                "3.2",
                (768, 320),
                FrameRate::new(25, 1)
            ),
            aac(44100)
        ]
    );
}

#[test]
fn avc_aac_flv_h264_high_2160p60() {
    // ffprobe: h264 High level 51 3840x2160 60/1; aac LC 48000 Hz stereo.
    assert_eq!(
        summaries("flv/avc_aac.flv"),
        [
            video(
                Codec::H264,
                "High",
                "5.1",
                (3840, 2160),
                FrameRate::new(60, 1)
            ),
            aac(48000)
        ]
    );
}

#[test]
fn hevc_aac_flv_enhanced_hvc1() {
    // ffprobe 5.1 cannot read Enhanced FLV; on the record's NAL units as Annex B it reports
    // hevc Main level 153 3840x2160 60/1 (from the SPS VUI; the record's avgFrameRate is 0).
    assert_eq!(
        summaries("flv/hevc_aac.flv"),
        [
            video(
                Codec::H265,
                "Main",
                "5.1",
                (3840, 2160),
                FrameRate::new(60, 1)
            ),
            aac(48000)
        ]
    );
    let (_, record) = flv_sequence_headers(&corpus("flv/hevc_aac.flv")).remove(0);
    let parsed = weir_media::HevcDecoderConfig::parse(&record).unwrap();
    assert_eq!(
        parsed.to_bytes().unwrap(),
        record,
        "the record is written back byte for byte"
    );
    let types: Vec<u8> = parsed.arrays.iter().map(|a| a.nal_type.0).collect();
    assert_eq!(types, [32, 33, 34, 39]);
    let g = parsed.general;
    assert_eq!(
        (
            g.profile_space,
            g.high_tier,
            g.profile_idc,
            g.profile_compatibility_flags,
            g.level_idc
        ),
        (0, false, 1, 0x6000_0000, 153)
    );
    assert_eq!(
        (
            parsed.chroma_format,
            parsed.bit_depth_luma,
            parsed.length_size,
            parsed.num_temporal_layers
        ),
        (1, 8, 4, 1)
    );
}

#[test]
fn av1_aac_flv_keeps_av1_opaque() {
    let headers = flv_sequence_headers(&corpus("flv/av1_aac.flv"));
    let codecs: Vec<Codec> = headers.iter().map(|h| h.0).collect();
    assert_eq!(codecs, [Codec::Aac, Codec::Av1]);
    let (asc, av1) = (&headers[0].1, &headers[1].1);
    let config = TrackConfig {
        track: Track::VIDEO,
        codec: Codec::Av1,
        data: av1.clone(),
    };
    assert_eq!(
        CodecConfig::parse(&config).unwrap(),
        CodecConfig::Opaque {
            codec: Codec::Av1,
            data: av1.clone()
        }
    );
    let parsed = AudioSpecificConfig::parse(asc).unwrap();
    assert_eq!(
        &parsed.to_bytes().unwrap()[..],
        &asc[..],
        "the sync extension is written back"
    );
}

#[test]
fn avc_records_round_trip_byte_for_byte() {
    for path in ["flv/avatar.flv", "flv/avc_aac.flv"] {
        let (_, record) = flv_sequence_headers(&corpus(path)).remove(0);
        let parsed = weir_media::AvcDecoderConfig::parse(&record).unwrap();
        assert_eq!(parsed.to_bytes().unwrap(), record, "{path}");
    }
}

#[test]
fn adts_segment_skips_id3_and_splits_430_frames() {
    // ffprobe -count_frames: 430 AAC LC frames, 44100 Hz stereo, after a 73-byte ID3 tag.
    let data = corpus("mpegts/test-aac-segment.aac");
    let mut frames = 0;
    let mut errors = Vec::new();
    let mut payload_bytes = 0;
    for item in adts_frames(&data) {
        match item {
            Ok(frame) => {
                frames += 1;
                payload_bytes += frame.payload.len() + frame.header.header_len();
                assert_eq!(
                    frame.header.audio_specific_config().to_bytes().unwrap(),
                    [0x12, 0x10]
                );
            }
            Err(e) => errors.push((e.rule_id(), e.offset)),
        }
    }
    assert_eq!(errors, [("media.adts.syncword", 0)]);
    assert_eq!(frames, 430);
    assert_eq!(payload_bytes + 73, data.len());
}

#[test]
fn avatar_flv_samples_convert_to_annexb_and_back() {
    // The first 50 AVC samples of avatar.flv (length-prefixed NAL units, 4-byte lengths per
    // its record) converted to Annex B and back.
    let file = corpus("flv/avatar.flv");
    let mut checked = 0;
    // Legacy AVC tags with AVCPacketType 1 (NAL units).
    let samples = flv_tags(&file).filter_map(|(tag_type, body)| match body {
        [b0, 1, _, _, _, sample @ ..] if tag_type == 9 && b0 & 0x0f == 7 => Some(sample),
        _ => None,
    });
    for sample in samples.take(50) {
        let nals: Vec<&[u8]> = length_prefixed_nals(sample, 4)
            .map(Result::unwrap)
            .collect();
        let annexb = weir_media::nal::length_prefixed_to_annexb(sample, 4).unwrap();
        assert_eq!(annexb_nals(&annexb).collect::<Vec<_>>(), nals);
        assert_eq!(annexb_to_length_prefixed(&annexb), sample);
        checked += 1;
    }
    assert_eq!(checked, 50);
}
