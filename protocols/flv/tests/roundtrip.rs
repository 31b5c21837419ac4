//! Property tests: every header and body type round-trips, every parser survives arbitrary
//! bytes, and the reader gives the same tags, violations and errors however input is split.

use bytes::Bytes;
use proptest::prelude::*;
use weir_flv::audio::{AacPacketType, AudioPacketType, AudioTag, LegacyAudio, SoundFormat};
use weir_flv::enhanced::{ExBody, FourCc, ModEx, MultitrackType, TrackData};
use weir_flv::video::{
    AvcHeader, AvcPacketType, FrameType, LegacyVideo, VideoCodecId, VideoPacketType, VideoTag,
};
use weir_flv::{FlvReader, Tag, read_audio, read_video, write_packet};
use weir_media::MediaPacket;
use weir_media::{Codec, Frame, MediaKind, Timestamp, Track, TrackConfig, Violation};
use weir_testkit::split;

fn data() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..40).prop_map(Bytes::from)
}

fn mod_ex() -> impl Strategy<Value = Vec<ModEx>> {
    let record = prop_oneof![
        (0u32..1_000_000).prop_map(|n| ModEx {
            kind: 0,
            data: Bytes::copy_from_slice(&n.to_be_bytes()[1..])
        }),
        (1u8..16, proptest::collection::vec(any::<u8>(), 1..300)).prop_map(|(kind, d)| ModEx {
            kind,
            data: d.into()
        }),
    ];
    proptest::collection::vec(record, 0..3)
}

fn fourcc() -> impl Strategy<Value = FourCc> {
    prop_oneof![
        Just(FourCc::AVC1),
        Just(FourCc::HVC1),
        Just(FourCc::AV01),
        Just(FourCc::OPUS),
        any::<[u8; 4]>().prop_map(FourCc)
    ]
}

/// A consistent enhanced body: track count and FourCCs that its multitrack type allows,
/// composition times only where `has_cts` says the wire carries them.
fn ex_body<P: Copy + std::fmt::Debug + 'static>(
    packet_type: impl Strategy<Value = P>,
    has_cts: fn(P, FourCc) -> bool,
) -> impl Strategy<Value = ExBody<P>> {
    let multitrack = prop_oneof![
        Just(None),
        Just(Some(MultitrackType::OneTrack)),
        Just(Some(MultitrackType::ManyTracks)),
        Just(Some(MultitrackType::ManyTracksManyCodecs)),
    ];
    (
        mod_ex(),
        packet_type,
        multitrack,
        fourcc(),
        proptest::collection::vec(
            (fourcc(), any::<u8>(), -0x80_0000i32..0x80_0000, data()),
            1..4,
        ),
    )
        .prop_map(move |(mod_ex, packet_type, multitrack, shared, raw)| {
            let count = match multitrack {
                None | Some(MultitrackType::OneTrack) => 1,
                _ => raw.len(),
            };
            let tracks = raw
                .into_iter()
                .take(count)
                .map(|(own, id, cts, data)| {
                    let fourcc = if multitrack == Some(MultitrackType::ManyTracksManyCodecs) {
                        own
                    } else {
                        shared
                    };
                    let track_id = if multitrack.is_some() { id } else { 0 };
                    let composition_time = if has_cts(packet_type, fourcc) { cts } else { 0 };
                    TrackData {
                        track_id,
                        fourcc,
                        composition_time,
                        data,
                    }
                })
                .collect();
            ExBody {
                mod_ex,
                packet_type,
                multitrack,
                tracks,
            }
        })
}

fn audio_tag() -> impl Strategy<Value = AudioTag> {
    use SoundFormat::*;
    let format = prop::sample::select(vec![
        PcmPlatformEndian,
        Adpcm,
        Mp3,
        PcmLittleEndian,
        Nellymoser16kMono,
        Nellymoser8kMono,
        Nellymoser,
        G711ALaw,
        G711MuLaw,
        Aac,
        Speex,
        Mp3At8k,
        DeviceSpecific,
    ]);
    let legacy = (
        format,
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        data(),
    )
        .prop_map(|(format, rate, sixteen_bit, stereo, config, data)| {
            let aac_packet_type = (format == Aac).then_some(if config {
                AacPacketType::SequenceHeader
            } else {
                AacPacketType::Raw
            });
            AudioTag::Legacy(LegacyAudio {
                format,
                rate,
                sixteen_bit,
                stereo,
                aac_packet_type,
                data,
            })
        });
    let packet_type = prop::sample::select(vec![
        AudioPacketType::SequenceStart,
        AudioPacketType::CodedFrames,
        AudioPacketType::SequenceEnd,
        AudioPacketType::MultichannelConfig,
    ]);
    prop_oneof![
        legacy,
        ex_body(packet_type, |_, _| false).prop_map(AudioTag::Enhanced)
    ]
}

fn frame_type() -> impl Strategy<Value = FrameType> {
    use FrameType::*;
    prop::sample::select(vec![Key, Inter, DisposableInter, GeneratedKey, Command])
}

fn video_tag() -> impl Strategy<Value = VideoTag> {
    use VideoCodecId::*;
    let codec = prop::sample::select(vec![
        SorensonH263,
        ScreenVideo,
        Vp6,
        Vp6Alpha,
        ScreenVideo2,
        Avc,
    ]);
    let avc_type = prop::sample::select(vec![
        AvcPacketType::SequenceHeader,
        AvcPacketType::Nalu,
        AvcPacketType::EndOfSequence,
    ]);
    let legacy = (
        frame_type(),
        codec,
        avc_type,
        -0x80_0000i32..0x80_0000,
        data(),
        any::<u8>(),
    )
        .prop_map(
            |(frame_type, codec, packet_type, composition_time, mut data, command)| {
                let command_frame = frame_type == FrameType::Command;
                let avc = (codec == Avc && !command_frame).then_some(AvcHeader {
                    packet_type,
                    composition_time,
                });
                if command_frame && data.is_empty() {
                    data = Bytes::copy_from_slice(&[command]);
                }
                VideoTag::Legacy(LegacyVideo {
                    frame_type,
                    codec,
                    avc,
                    data,
                })
            },
        );
    use VideoPacketType::*;
    let packet_type = prop::sample::select(vec![
        SequenceStart,
        CodedFrames,
        SequenceEnd,
        CodedFramesX,
        Metadata,
        Mpeg2TsSequenceStart,
    ]);
    let enhanced = (
        frame_type(),
        ex_body(packet_type, |p, f| {
            p == CodedFrames && (f == FourCc::AVC1 || f == FourCc::HVC1)
        }),
    )
        .prop_map(|(frame_type, mut body)| {
            if frame_type == FrameType::Command {
                body.packet_type = Metadata;
                body.multitrack = None;
                body.tracks.truncate(1);
                body.tracks[0].track_id = 0;
                body.tracks[0].composition_time = 0;
            }
            VideoTag::Enhanced { frame_type, body }
        });
    let command = (
        mod_ex(),
        (0u8..16).prop_filter("not Metadata or ModEx", |p| *p != 4 && *p != 7),
        any::<u8>(),
    )
        .prop_map(|(mod_ex, packet_type, command)| VideoTag::EnhancedCommand {
            mod_ex,
            packet_type,
            command,
        });
    prop_oneof![legacy, enhanced, command]
}

/// A media packet that `write_packet` can express: legacy-only codecs on track 0, configs
/// only for codecs that have one, composition times only for H.264/H.265, whole milliseconds.
fn media_packet() -> impl Strategy<Value = MediaPacket> {
    use Codec::*;
    let codec = prop::sample::select(vec![
        H264,
        H265,
        Av1,
        Vp8,
        Vp9,
        H263,
        Vp6,
        ScreenVideo,
        Aac,
        Mp3,
        Opus,
        Flac,
        Ac3,
        Eac3,
        Pcma,
        Pcmu,
        Pcm,
        Adpcm,
        Nellymoser,
        Speex,
    ]);
    (
        codec,
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        0i64..1 << 31,
        -1000i64..1000,
        data(),
    )
        .prop_map(|(codec, index, as_config, key, dts, cts, data)| {
            let kind = codec.kind().unwrap();
            let enhanced_capable = matches!(
                codec,
                H264 | H265 | Av1 | Vp8 | Vp9 | Aac | Mp3 | Opus | Flac | Ac3 | Eac3
            );
            let track = Track {
                kind,
                index: if enhanced_capable { index } else { 0 },
            };
            let has_config = matches!(
                codec,
                H264 | H265 | Av1 | Vp8 | Vp9 | Aac | Opus | Flac | Ac3 | Eac3
            );
            // Every codec with a sequence start also has a sequence end.
            let has_end = has_config && codec != Aac;
            if as_config && has_end && dts % 4 == 0 {
                return MediaPacket::EndOfSequence { track, codec };
            }
            if as_config && has_config {
                return MediaPacket::Config(TrackConfig { track, codec, data });
            }
            let cts = if matches!(codec, H264 | H265) { cts } else { 0 };
            let keyframe = key || kind == MediaKind::Audio;
            let dts = Timestamp::from_millis(dts);
            let pts = Timestamp::from_millis(dts.as_millis() + cts);
            MediaPacket::Frame(Frame {
                track,
                codec,
                pts,
                dts,
                keyframe,
                data,
            })
        })
}

fn read_packets(kind: MediaKind, ts: u32, body: Bytes) -> Vec<MediaPacket> {
    let mut out = Vec::new();
    match kind {
        MediaKind::Audio => read_audio(Timestamp::from_millis(ts.into()), body, &mut |p| {
            out.push(p)
        }),
        _ => read_video(Timestamp::from_millis(ts.into()), body, &mut |p| {
            out.push(p)
        }),
    }
    .unwrap();
    out
}

/// A file of tags with some PreviousTagSize fields and tag types made wrong on purpose.
fn flv_file() -> impl Strategy<Value = Vec<u8>> {
    let tag = (
        prop::sample::select(vec![8u8, 9, 18, 7]),
        any::<u32>(),
        data(),
        any::<bool>(),
    );
    proptest::collection::vec(tag, 0..8).prop_map(|tags| {
        let mut file = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        for (kind, ts, body, bad_size) in tags {
            let n = body.len() as u32;
            file.push(kind);
            file.extend_from_slice(&n.to_be_bytes()[1..]);
            file.extend_from_slice(&ts.to_be_bytes()[1..]);
            file.push((ts >> 24) as u8);
            file.extend_from_slice(&[0, 0, 0]);
            file.extend_from_slice(&body);
            file.extend_from_slice(&(11 + n + u32::from(bad_size)).to_be_bytes());
        }
        file
    })
}

type Outcome = (Vec<Tag>, Vec<Violation>, Option<weir_flv::Error>);

/// The reader's outputs for `file` cut at `cuts`.
fn read_split(file: &[u8], cuts: &[usize]) -> Outcome {
    let reader = &mut FlvReader::with_max_tag_size(1 << 16);
    let out = weir_testkit::run(reader, split::pieces(file, cuts), true);
    (out.events, out.violations, out.error)
}

proptest! {
    #[test]
    fn audio_tags_round_trip(tag in audio_tag()) {
        let bytes = tag.to_bytes().unwrap();
        prop_assert_eq!(AudioTag::parse(&bytes).unwrap(), tag);
    }

    #[test]
    fn video_tags_round_trip(tag in video_tag()) {
        let bytes = tag.to_bytes().unwrap();
        prop_assert_eq!(VideoTag::parse(&bytes).unwrap(), tag);
    }

    #[test]
    fn media_packets_round_trip(packet in media_packet()) {
        let body = write_packet(&packet).unwrap();
        let (kind, ts) = match &packet {
            MediaPacket::Frame(f) => (f.track.kind, f.dts.as_millis() as u32),
            MediaPacket::Config(c) => (c.track.kind, 0),
            MediaPacket::EndOfSequence { track, .. } => (track.kind, 0),
        };
        let packets = read_packets(kind, ts, body.clone());
        prop_assert_eq!(&packets, &vec![packet]);
        prop_assert_eq!(write_packet(&packets[0]).unwrap(), body);
    }

    #[test]
    fn body_parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..64), ts: u32) {
        let body = Bytes::from(body);
        // Whatever parses writes back to bytes that parse to the same value.
        if let Ok(tag) = AudioTag::parse(&body) {
            let _ = tag.violations();
            prop_assert_eq!(AudioTag::parse(&tag.to_bytes().unwrap()).unwrap(), tag);
        }
        if let Ok(tag) = VideoTag::parse(&body) {
            let _ = tag.violations();
            prop_assert_eq!(VideoTag::parse(&tag.to_bytes().unwrap()).unwrap(), tag);
        }
        let mut sink = |p: MediaPacket| { let _ = write_packet(&p); };
        let _ = read_audio(Timestamp::from_millis(ts.into()), body.clone(), &mut sink);
        let _ = read_video(Timestamp::from_millis(ts.into()), body, &mut sink);
    }

    #[test]
    fn reader_is_split_invariant(file in flv_file(), cuts in proptest::collection::vec(any::<usize>(), 0..12)) {
        let reader = || FlvReader::with_max_tag_size(1 << 16);
        split::check(reader, &file, &split::every_byte(file.len()));
        split::check(reader, &file, &cuts);
    }

    #[test]
    fn reader_survives_arbitrary_bytes(tail in proptest::collection::vec(any::<u8>(), 0..200), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let mut file = b"FLV\x01\x05\x00\x00\x00\x09".to_vec();
        file.extend_from_slice(&tail);
        split::check(|| FlvReader::with_max_tag_size(1 << 16), &file, &cuts);
        split::check(|| FlvReader::with_max_tag_size(1 << 16), &tail, &cuts);
    }
}

#[test]
fn reader_reports_bad_previous_tag_size_and_oversized_tags() {
    let file = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00\x08\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xaa\x00\x00\x00\x0b";
    let (tags, violations, error) = read_split(file, &[]);
    assert_eq!(tags.len(), 1);
    assert_eq!((tags[0].offset, tags[0].body.as_ref()), (13, &[0xaa][..]));
    assert_eq!(violations.len(), 1);
    assert_eq!(
        (violations[0].rule.id, violations[0].offset),
        ("flv.tag.previous-tag-size", 25)
    );
    assert!(error.is_none());

    let mut big = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00\x09\x01\x00\x01".to_vec();
    big.extend_from_slice(&[0; 7]);
    let (_, _, error) = read_split(&big, &[]);
    let error = error.unwrap();
    assert_eq!((error.rule.unwrap().id, error.offset), ("flv.tag.size", 14));

    let (_, _, error) = read_split(&file[..20], &[]);
    assert_eq!(error.unwrap().rule.unwrap().id, "flv.tag.truncated");
}
