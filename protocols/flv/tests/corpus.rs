//! Every FLV file of the public corpus, end to end: FlvReader → script/audio/video bodies →
//! media packets, with ground truth from `ffprobe -show_streams -count_frames` (FFmpeg 5.1)
//! for the legacy files and from the spec and the bytes for the Enhanced RTMP ones (FFmpeg
//! 5.1 cannot read FourCC tags: it reports the HEVC file as VP6 and the AV1 one as unknown).

use bytes::Bytes;
use std::collections::BTreeMap;
use weir_amf0::{Limits, Value};
use weir_flv::media::{read_audio_checked, read_video_checked};
use weir_flv::{FlvReader, FlvWriter, ScriptData, TagType, write_packet};
use weir_media::MediaPacket;
use weir_media::{Codec, Machine, MediaKind, Timestamp};
use weir_testkit::split;

fn corpus(name: &str) -> Vec<u8> {
    weir_testkit::corpus::read(&format!("flv/{name}"))
}

#[derive(Debug, Default, PartialEq)]
struct TrackStats {
    codec: Option<Codec>,
    config: Option<Bytes>,
    frames: usize,
    keyframes: usize,
    ends: usize,
    first_pts: Option<Timestamp>,
    first_dts: Option<Timestamp>,
    last_dts: Option<Timestamp>,
}

#[derive(Debug, Default, PartialEq)]
struct Summary {
    tags: usize,
    metadata: Option<Value>,
    tracks: BTreeMap<(MediaKind, u8), TrackStats>,
    violations: Vec<String>,
    /// Audio/video bodies that `write_packet` does not reproduce byte for byte.
    not_canonical: BTreeMap<String, usize>,
    rewritten: Vec<u8>,
}

fn read(name: &str, chunk: usize) -> Summary {
    let file = corpus(name);
    let mut reader = FlvReader::new();
    let mut writer = FlvWriter::new(true, true);
    let mut s = Summary::default();
    for piece in split::pieces(&file, &split::sizes(file.len(), &[chunk])) {
        let out = weir_testkit::run(&mut reader, [piece], false);
        assert!(out.error.is_none(), "{name}: {:?}", out.error);
        s.violations
            .extend(out.violations.iter().map(|v| v.to_string()));
        for tag in out.events {
            s.tags += 1;
            let ts = tag.header.timestamp;
            let bytes = writer
                .write_tag(tag.header.tag_type, ts, &tag.body)
                .unwrap();
            s.rewritten.extend_from_slice(&bytes);
            let mut packets = Vec::new();
            let mut violations = Vec::new();
            let mut out = |p| packets.push(p);
            match tag.header.tag_type {
                TagType::Script => {
                    let script = ScriptData::parse(&tag.body, &Limits::default()).unwrap();
                    assert_eq!(script.to_bytes(), tag.body, "script tag at {}", tag.offset);
                    s.metadata = script.metadata().cloned();
                    continue;
                }
                TagType::Audio => read_audio_checked(
                    Timestamp::from_millis(ts.into()),
                    tag.body.clone(),
                    &mut out,
                    &mut violations,
                )
                .unwrap(),
                TagType::Video => read_video_checked(
                    Timestamp::from_millis(ts.into()),
                    tag.body.clone(),
                    &mut out,
                    &mut violations,
                )
                .unwrap(),
                TagType::Other(t) => panic!("tag type {t} at {}", tag.offset),
            }
            s.violations.extend(
                violations
                    .iter()
                    .map(|v| format!("{v} (tag at {})", tag.offset)),
            );
            let written = match packets.as_slice() {
                [one] => write_packet(one).ok(),
                _ => None,
            };
            if written.as_ref() != Some(&tag.body) {
                let head = tag
                    .body
                    .iter()
                    .take(1)
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>();
                *s.not_canonical.entry(head).or_default() += 1;
            }
            for p in packets {
                let track = p.track();
                let stats = s.tracks.entry((track.kind, track.index)).or_default();
                match p {
                    MediaPacket::Config(c) => {
                        stats.codec = Some(c.codec);
                        stats.config = Some(c.data);
                    }
                    MediaPacket::Frame(f) => {
                        assert_eq!(
                            stats.codec,
                            Some(f.codec),
                            "frame before its config at {}",
                            tag.offset
                        );
                        stats.frames += 1;
                        stats.keyframes += usize::from(f.keyframe);
                        stats.first_pts.get_or_insert(f.pts);
                        stats.first_dts.get_or_insert(f.dts);
                        stats.last_dts = Some(f.dts);
                    }
                    MediaPacket::EndOfSequence { .. } => stats.ends += 1,
                }
            }
        }
    }
    reader.handle_end(std::time::Instant::now()).unwrap();
    assert_eq!(
        s.rewritten, file,
        "FlvWriter reproduces {name} byte for byte"
    );
    s
}

fn track(s: &Summary, kind: MediaKind) -> &TrackStats {
    &s.tracks[&(kind, 0)]
}

fn ms(t: Option<Timestamp>) -> i64 {
    t.unwrap().as_millis()
}

fn meta_number(s: &Summary, key: &str) -> f64 {
    s.metadata
        .as_ref()
        .and_then(|m| m.get(key))
        .and_then(Value::as_f64)
        .unwrap()
}

/// The fields of an AudioSpecificConfig's first two bytes (ISO/IEC 14496-3 §1.6.2.1):
/// object type, sampling frequency index, channel configuration.
fn asc(config: &[u8]) -> (u8, u8, u8) {
    (
        config[0] >> 3,
        (config[0] & 7) << 1 | config[1] >> 7,
        (config[1] >> 3) & 0x0f,
    )
}

#[test]
fn avatar_h264_aac() {
    let s = read("avatar.flv", 4096);
    assert_eq!(s.tags, 772);
    assert_eq!(s.tracks.len(), 2);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert!(s.not_canonical.is_empty(), "{:?}", s.not_canonical);
    assert_eq!(meta_number(&s, "width"), 768.0);
    assert_eq!(meta_number(&s, "height"), 320.0);

    let v = track(&s, MediaKind::Video);
    assert_eq!(v.codec, Some(Codec::H264));
    // AVCDecoderConfigurationRecord: version 1, profile 100 (High), compatibility 0, level 32
    // (ffprobe: profile=High level=32 extradata_size=41).
    let config = v.config.as_ref().unwrap();
    assert_eq!((&config[..4], config.len()), (&[1, 100, 0, 32][..], 41));
    assert_eq!((v.frames, v.keyframes, v.ends), (282, 7, 1)); // ffprobe nb_read_frames=282, 7 K packets
    assert_eq!((ms(v.first_dts), ms(v.first_pts)), (0, 80)); // ffprobe start_pts=80

    let a = track(&s, MediaKind::Audio);
    assert_eq!(a.codec, Some(Codec::Aac));
    // AAC LC (2), 44100 Hz (index 4), stereo (ffprobe: LC, 44100, 2 channels, extradata 2).
    assert_eq!(a.config.as_deref(), Some(&[0x12, 0x10][..]));
    assert_eq!(asc(a.config.as_ref().unwrap()), (2, 4, 2));
    assert_eq!((a.frames, a.keyframes), (486, 486)); // ffprobe nb_read_frames=486
    assert_eq!(ms(a.first_dts), 4); // ffprobe start_pts=4
}

#[test]
fn avc_aac_4k() {
    let s = read("avc_aac.flv", 65536);
    assert_eq!(s.tags, 110);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert!(s.not_canonical.is_empty(), "{:?}", s.not_canonical);
    assert_eq!(meta_number(&s, "width"), 3840.0);

    let v = track(&s, MediaKind::Video);
    let config = v.config.as_ref().unwrap();
    // High profile, level 51 (ffprobe: profile=High level=51 extradata_size=42).
    assert_eq!(
        (v.codec, &config[..4], config.len()),
        (Some(Codec::H264), &[1, 100, 0, 51][..], 42)
    );
    assert_eq!((v.frames, v.keyframes, v.ends), (59, 1, 1)); // ffprobe nb_read_frames=59, 1 K packet

    let a = track(&s, MediaKind::Audio);
    let config = a.config.as_ref().unwrap();
    // AAC LC, 48000 Hz (index 3), stereo, 5 bytes (ffprobe: LC 48000 2ch extradata_size=5).
    assert_eq!(
        (a.codec, asc(config), config.len()),
        (Some(Codec::Aac), (2, 3, 2), 5)
    );
    assert_eq!((a.frames, ms(a.first_dts)), (47, 0)); // ffprobe nb_read_frames=47, start_pts=0
}

#[test]
fn hevc_aac_enhanced() {
    let s = read("hevc_aac.flv", 1000);
    assert_eq!(s.tags, 219);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    // The one Metadata packet (frame type 5, packet type 4: colorInfo) is not media.
    assert_eq!(s.not_canonical, BTreeMap::from([("d4".to_string(), 1)]));
    assert_eq!(meta_number(&s, "width"), 3840.0);

    let v = track(&s, MediaKind::Video);
    let config = v.config.as_ref().unwrap();
    // HEVCDecoderConfigurationRecord: configurationVersion 1, then profile space 0, tier 0,
    // general_profile_idc 1 (Main); general_level_idc (byte 12) 153 = level 5.1.
    assert_eq!(
        (v.codec, config[0], config[1], config[12]),
        (Some(Codec::H265), 1, 0x01, 153)
    );
    // 1 key CodedFrames + 75 CodedFrames + 44 CodedFramesX.
    assert_eq!((v.frames, v.keyframes, v.ends), (120, 1, 0));
    assert_eq!((ms(v.first_dts), ms(v.first_pts)), (0, 33)); // composition time 0x21

    let a = track(&s, MediaKind::Audio);
    assert_eq!(
        (a.codec, asc(a.config.as_ref().unwrap())),
        (Some(Codec::Aac), (2, 3, 2))
    );
    assert_eq!(a.frames, 95);
}

#[test]
fn av1_aac_enhanced() {
    let s = read("av1_aac.flv", 8191);
    assert_eq!(s.tags, 541);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    // Only the SequenceEnd (sent as an inter frame, a2) is written differently: as a keyframe.
    assert_eq!(s.not_canonical, BTreeMap::from([("a2".to_string(), 1)]));
    assert_eq!(meta_number(&s, "width"), 2560.0);
    let encoder = s
        .metadata
        .as_ref()
        .and_then(|m| m.get("encoder"))
        .and_then(Value::as_str);
    assert!(encoder.unwrap().starts_with("obs-output module"));

    let v = track(&s, MediaKind::Video);
    let config = v.config.as_ref().unwrap();
    // AV1CodecConfigurationRecord: marker 1 + version 1 (0x81), seq_profile 0, seq_level_idx 13.
    assert_eq!(
        (v.codec, config[0], config[1] >> 5, config[1] & 0x1f),
        (Some(Codec::Av1), 0x81, 0, 13)
    );
    assert_eq!((v.frames, v.keyframes, v.ends), (405, 2, 1));

    let a = track(&s, MediaKind::Audio);
    assert_eq!(
        (a.codec, asc(a.config.as_ref().unwrap())),
        (Some(Codec::Aac), (2, 3, 2))
    );
    assert_eq!((a.frames, ms(a.first_dts)), (132, 13)); // ffprobe: nb_read_frames=132, start_pts=13
}

#[test]
fn reading_is_split_invariant_on_real_files() {
    let whole = read("avc_aac.flv", usize::MAX);
    assert_eq!(read("avc_aac.flv", 1), whole);
    assert_eq!(read("avc_aac.flv", 13), whole);
}
