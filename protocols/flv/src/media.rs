//! The bridge between FLV tag bodies (also RTMP audio and video message bodies) and the
//! `weir_media` model, both directions. RTMP sessions and HTTP-FLV use it.
//!
//! Reading: legacy and enhanced headers become [`MediaPacket`]s; frame payloads are views of
//! the input body (no copy). `dts` is the tag's time (plus any TimestampOffsetNano ModEx),
//! `pts` adds the composition time. The tag's time is given on the media clock: FLV files and
//! RTMP carry 32-bit milliseconds, which their readers extend to a 64-bit timeline first. Every audio frame is a keyframe. Multitrack track ids
//! become [`Track::index`]. Packets that are not media (video command frames, video metadata,
//! MPEG2TSSequenceStart, audio MultichannelConfig) produce no packet.
//!
//! Writing picks the header every player understands: the legacy header for codecs FLV 10.1
//! defines (AVC, AAC, MP3, H.263, VP6, screen video, G.711, PCM, ...) on track 0, the enhanced
//! FourCC header otherwise (HEVC, AV1, VP8, VP9, Opus, FLAC, AC-3, E-AC-3, and any codec on
//! another track, sent as a OneTrack multitrack packet). Canonical bodies – those written this
//! way – read back into the same packets and write back to the same bytes.

use crate::Error;
use crate::audio::{AacPacketType, AudioPacketType, AudioTag, LegacyAudio, SoundFormat};
use crate::enhanced::{ExBody, FourCc, MultitrackType, PacketType, TrackData};
use crate::video::{
    AvcHeader, AvcPacketType, FrameType, LegacyVideo, VideoCodecId, VideoPacketType, VideoTag,
};
use bytes::Bytes;
use weir_media::{Codec, Frame, MediaKind, MediaPacket, Timestamp, Track, TrackConfig, Violation};

/// The codecs Enhanced RTMP names by FourCC.
const FOURCC_CODECS: [(FourCc, Codec); 11] = [
    (FourCc::AVC1, Codec::H264),
    (FourCc::HVC1, Codec::H265),
    (FourCc::VP08, Codec::Vp8),
    (FourCc::VP09, Codec::Vp9),
    (FourCc::AV01, Codec::Av1),
    (FourCc::OPUS, Codec::Opus),
    (FourCc::FLAC, Codec::Flac),
    (FourCc::AC3, Codec::Ac3),
    (FourCc::EAC3, Codec::Eac3),
    (FourCc::MP3, Codec::Mp3),
    (FourCc::MP4A, Codec::Aac),
];

fn codec_of_fourcc(fourcc: FourCc) -> Codec {
    FOURCC_CODECS
        .iter()
        .find(|(f, _)| *f == fourcc)
        .map_or(Codec::Unknown(fourcc.as_u32()), |(_, c)| *c)
}

fn fourcc_of_codec(codec: Codec) -> Option<FourCc> {
    match codec {
        Codec::Unknown(code) if code > 0xff => Some(FourCc(code.to_be_bytes())),
        _ => FOURCC_CODECS
            .iter()
            .find(|(_, c)| *c == codec)
            .map(|(f, _)| *f),
    }
}

fn sound_format_codec(format: SoundFormat) -> Codec {
    use SoundFormat::*;
    match format {
        PcmPlatformEndian | PcmLittleEndian => Codec::Pcm,
        Adpcm => Codec::Adpcm,
        Mp3 | Mp3At8k => Codec::Mp3,
        Nellymoser16kMono | Nellymoser8kMono | Nellymoser => Codec::Nellymoser,
        G711ALaw => Codec::Pcma,
        G711MuLaw => Codec::Pcmu,
        Aac => Codec::Aac,
        Speex => Codec::Speex,
        DeviceSpecific => Codec::Unknown(DeviceSpecific as u32),
    }
}

fn video_codec(id: VideoCodecId) -> Codec {
    match id {
        VideoCodecId::SorensonH263 => Codec::H263,
        VideoCodecId::ScreenVideo | VideoCodecId::ScreenVideo2 => Codec::ScreenVideo,
        VideoCodecId::Vp6 | VideoCodecId::Vp6Alpha => Codec::Vp6,
        VideoCodecId::Avc => Codec::H264,
    }
}

/// The tag's time with the sub-millisecond ModEx offset.
fn tag_time(time: Timestamp, offset_nanos: u32) -> Timestamp {
    Timestamp(time.0 + i64::from(offset_nanos) * 90 / 1_000_000)
}

/// What a packet type says its (media) payload is.
#[derive(Debug, Clone, Copy)]
enum Payload {
    Config,
    Frame,
    EndOfSequence,
}

/// The packet one track's payload makes; `dts` is the tag time, `pts` adds the composition
/// time.
fn packet(
    payload: Payload,
    track: Track,
    codec: Codec,
    dts: Timestamp,
    composition_ms: i32,
    keyframe: bool,
    data: Bytes,
) -> MediaPacket {
    match payload {
        Payload::Config => MediaPacket::Config(TrackConfig { track, codec, data }),
        Payload::Frame => MediaPacket::Frame(Frame {
            track,
            codec,
            pts: Timestamp(dts.0 + Timestamp::from_millis(composition_ms.into()).0),
            dts,
            keyframe,
            data,
        }),
        Payload::EndOfSequence => MediaPacket::EndOfSequence { track, codec },
    }
}

/// One packet per track of an enhanced body, on tracks of `kind` numbered by track id.
fn enhanced_packets<P>(
    kind: MediaKind,
    time: Timestamp,
    ex: ExBody<P>,
    payload: Payload,
    keyframe: bool,
    out: &mut impl FnMut(MediaPacket),
) {
    let dts = tag_time(time, ex.timestamp_offset_nanos());
    for t in ex.tracks {
        let track = Track {
            kind,
            index: t.track_id,
        };
        let codec = codec_of_fourcc(t.fourcc);
        out(packet(
            payload,
            track,
            codec,
            dts,
            t.composition_time,
            keyframe,
            t.data,
        ));
    }
}

/// One RTMP audio message / FLV audio tag body -> packets (several for multitrack).
pub fn read_audio(
    time: Timestamp,
    body: Bytes,
    out: &mut impl FnMut(MediaPacket),
) -> Result<(), Error> {
    read_audio_checked(time, body, out, &mut Vec::new())
}

/// [`read_audio`], also reporting the rules the body breaks without being unreadable.
pub fn read_audio_checked(
    time: Timestamp,
    body: Bytes,
    out: &mut impl FnMut(MediaPacket),
    violations: &mut Vec<Violation>,
) -> Result<(), Error> {
    let tag = AudioTag::parse(&body)?;
    violations.extend(tag.violations());
    match tag {
        AudioTag::Legacy(legacy) => {
            let payload = match legacy.aac_packet_type {
                Some(AacPacketType::SequenceHeader) => Payload::Config,
                _ => Payload::Frame,
            };
            let codec = sound_format_codec(legacy.format);
            let dts = tag_time(time, 0);
            out(packet(
                payload,
                Track::AUDIO,
                codec,
                dts,
                0,
                true,
                legacy.data,
            ));
        }
        AudioTag::Enhanced(ex) => {
            let payload = match ex.packet_type {
                AudioPacketType::SequenceStart => Payload::Config,
                AudioPacketType::CodedFrames => Payload::Frame,
                AudioPacketType::SequenceEnd => Payload::EndOfSequence,
                AudioPacketType::MultichannelConfig => return Ok(()),
            };
            enhanced_packets(MediaKind::Audio, time, ex, payload, true, out);
        }
    }
    Ok(())
}

/// One RTMP video message / FLV video tag body -> packets (several for multitrack).
pub fn read_video(
    time: Timestamp,
    body: Bytes,
    out: &mut impl FnMut(MediaPacket),
) -> Result<(), Error> {
    read_video_checked(time, body, out, &mut Vec::new())
}

/// [`read_video`], also reporting the rules the body breaks without being unreadable.
pub fn read_video_checked(
    time: Timestamp,
    body: Bytes,
    out: &mut impl FnMut(MediaPacket),
    violations: &mut Vec<Violation>,
) -> Result<(), Error> {
    let tag = VideoTag::parse(&body)?;
    violations.extend(tag.violations());
    match tag {
        VideoTag::Legacy(LegacyVideo {
            frame_type: FrameType::Command,
            ..
        })
        | VideoTag::EnhancedCommand { .. } => {}
        VideoTag::Legacy(legacy) => {
            let (payload, composition_ms) = match legacy.avc {
                Some(avc) => match avc.packet_type {
                    AvcPacketType::SequenceHeader => (Payload::Config, 0),
                    AvcPacketType::Nalu => (Payload::Frame, avc.composition_time),
                    AvcPacketType::EndOfSequence => (Payload::EndOfSequence, 0),
                },
                None => (Payload::Frame, 0),
            };
            let codec = video_codec(legacy.codec);
            let dts = tag_time(time, 0);
            let keyframe = legacy.frame_type.is_keyframe();
            out(packet(
                payload,
                Track::VIDEO,
                codec,
                dts,
                composition_ms,
                keyframe,
                legacy.data,
            ));
        }
        VideoTag::Enhanced { frame_type, body } => {
            let payload = match body.packet_type {
                VideoPacketType::SequenceStart => Payload::Config,
                VideoPacketType::CodedFrames | VideoPacketType::CodedFramesX => Payload::Frame,
                VideoPacketType::SequenceEnd => Payload::EndOfSequence,
                VideoPacketType::Metadata | VideoPacketType::Mpeg2TsSequenceStart => return Ok(()),
            };
            let keyframe = frame_type.is_keyframe();
            enhanced_packets(MediaKind::Video, time, body, payload, keyframe, out);
        }
    }
    Ok(())
}

/// Packet -> tag body: the legacy header for codecs FLV 10.1 defines on track 0, the
/// enhanced FourCC header otherwise (see the module documentation).
pub fn write_packet(packet: &MediaPacket) -> Result<Bytes, Error> {
    match packet {
        MediaPacket::Config(c) => write_config(c),
        MediaPacket::Frame(f) => write_frame(f),
        MediaPacket::EndOfSequence { track, codec } => write_end_of_sequence(*track, *codec),
    }
}

/// The end-of-sequence body for `codec` on `track`.
pub fn write_end_of_sequence(track: Track, codec: Codec) -> Result<Bytes, Error> {
    check_kind(track, codec)?;
    match (track.kind, legacy_on(track, codec)) {
        (MediaKind::Video, Some(LegacyCodec::Video(VideoCodecId::Avc))) => legacy_video(
            FrameType::Key,
            VideoCodecId::Avc,
            Some((AvcPacketType::EndOfSequence, 0)),
            Bytes::new(),
        ),
        (MediaKind::Audio, Some(_)) => Err(Error::usage(format!(
            "legacy FLV has no end of sequence for {codec}"
        ))),
        _ => enhanced(track, codec, Payload::EndOfSequence, true, 0, Bytes::new()),
    }
}

/// A codec with a legacy FLV header, when written on `track`.
enum LegacyCodec {
    Audio(SoundFormat),
    Video(VideoCodecId),
}

fn legacy_on(track: Track, codec: Codec) -> Option<LegacyCodec> {
    if track.index != 0 {
        return None;
    }
    Some(match codec {
        Codec::H264 => LegacyCodec::Video(VideoCodecId::Avc),
        Codec::H263 => LegacyCodec::Video(VideoCodecId::SorensonH263),
        Codec::Vp6 => LegacyCodec::Video(VideoCodecId::Vp6),
        Codec::ScreenVideo => LegacyCodec::Video(VideoCodecId::ScreenVideo),
        Codec::Aac => LegacyCodec::Audio(SoundFormat::Aac),
        Codec::Mp3 => LegacyCodec::Audio(SoundFormat::Mp3),
        Codec::Pcm => LegacyCodec::Audio(SoundFormat::PcmLittleEndian),
        Codec::Adpcm => LegacyCodec::Audio(SoundFormat::Adpcm),
        Codec::Nellymoser => LegacyCodec::Audio(SoundFormat::Nellymoser),
        Codec::Pcma => LegacyCodec::Audio(SoundFormat::G711ALaw),
        Codec::Pcmu => LegacyCodec::Audio(SoundFormat::G711MuLaw),
        Codec::Speex => LegacyCodec::Audio(SoundFormat::Speex),
        Codec::Unknown(15) if track.kind == MediaKind::Audio => {
            LegacyCodec::Audio(SoundFormat::DeviceSpecific)
        }
        _ => return None,
    })
}

fn check_kind(track: Track, codec: Codec) -> Result<(), Error> {
    match codec.kind() {
        Some(kind) if kind != track.kind => {
            Err(Error::usage(format!("{codec} cannot travel on {track:?}")))
        }
        _ if track.kind == MediaKind::Data => Err(Error::usage(
            "FLV audio and video tags carry no data tracks",
        )),
        _ => Ok(()),
    }
}

fn write_config(c: &TrackConfig) -> Result<Bytes, Error> {
    check_kind(c.track, c.codec)?;
    match (c.track.kind, legacy_on(c.track, c.codec)) {
        (_, Some(LegacyCodec::Video(VideoCodecId::Avc))) => legacy_video(
            FrameType::Key,
            VideoCodecId::Avc,
            Some((AvcPacketType::SequenceHeader, 0)),
            c.data.clone(),
        ),
        (_, Some(LegacyCodec::Audio(SoundFormat::Aac))) => legacy_audio(
            SoundFormat::Aac,
            Some(AacPacketType::SequenceHeader),
            c.data.clone(),
        ),
        (_, Some(_)) => Err(Error::usage(format!(
            "legacy FLV carries no configuration for {}",
            c.codec
        ))),
        (_, None) => enhanced(c.track, c.codec, Payload::Config, true, 0, c.data.clone()),
    }
}

fn write_frame(f: &Frame) -> Result<Bytes, Error> {
    check_kind(f.track, f.codec)?;
    // Milliseconds; the writers check that it fits the 24-bit field.
    let composition = f
        .pts
        .0
        .checked_sub(f.dts.0)
        .and_then(|ticks| i32::try_from(ticks.div_euclid(90)).ok())
        .ok_or_else(|| {
            Error::usage(format!(
                "pts {} and dts {} are too far apart for a composition time",
                f.pts.0, f.dts.0
            ))
        })?;
    let frame_type = if f.keyframe {
        FrameType::Key
    } else {
        FrameType::Inter
    };
    match (f.track.kind, legacy_on(f.track, f.codec)) {
        (_, Some(LegacyCodec::Video(id))) => {
            let avc = (id == VideoCodecId::Avc).then_some((AvcPacketType::Nalu, composition));
            legacy_video(frame_type, id, avc, f.data.clone())
        }
        (_, Some(LegacyCodec::Audio(SoundFormat::Aac))) => {
            legacy_audio(SoundFormat::Aac, Some(AacPacketType::Raw), f.data.clone())
        }
        (_, Some(LegacyCodec::Audio(format))) => legacy_audio(format, None, f.data.clone()),
        (_, None) => enhanced(
            f.track,
            f.codec,
            Payload::Frame,
            f.keyframe,
            composition,
            f.data.clone(),
        ),
    }
}

fn legacy_video(
    frame_type: FrameType,
    codec: VideoCodecId,
    avc: Option<(AvcPacketType, i32)>,
    data: Bytes,
) -> Result<Bytes, Error> {
    let avc = avc.map(|(packet_type, composition_time)| AvcHeader {
        packet_type,
        composition_time,
    });
    VideoTag::Legacy(LegacyVideo {
        frame_type,
        codec,
        avc,
        data,
    })
    .to_bytes()
}

/// Legacy audio header bits. AAC is always 0xAF (FLV 10.1 §E.4.2.1: decoders take the real
/// values from the AudioSpecificConfig). MP3 takes rate and channels from its frame header
/// (MPEG-1 → 44 kHz, MPEG-2 → 22 kHz, MPEG-2.5 → 11 kHz; mono when the channel mode is 3),
/// 44 kHz stereo when there is none. G.711 and Speex carry their fixed rate elsewhere and are
/// written as FFmpeg writes them (rate field 0, 16-bit, mono); PCM, ADPCM and Nellymoser,
/// whose rate the frame does not say, as 44 kHz 16-bit (stereo for PCM and ADPCM).
fn legacy_audio(
    format: SoundFormat,
    aac: Option<AacPacketType>,
    data: Bytes,
) -> Result<Bytes, Error> {
    let (rate, stereo) = match format {
        SoundFormat::Mp3 => mp3_rate_and_stereo(&data).unwrap_or((3, true)),
        SoundFormat::G711ALaw | SoundFormat::G711MuLaw | SoundFormat::Speex => (0, false),
        SoundFormat::Nellymoser => (3, false),
        _ => (3, true),
    };
    let tag = LegacyAudio {
        format,
        rate,
        sixteen_bit: true,
        stereo,
        aac_packet_type: aac,
        data,
    };
    AudioTag::Legacy(tag).to_bytes()
}

/// The FLV SoundRate and SoundType an MP3 frame header implies (ISO/IEC 11172-3 §2.4.1.3).
fn mp3_rate_and_stereo(data: &[u8]) -> Option<(u8, bool)> {
    let [0xff, b1, _, b3, ..] = *data else {
        return None;
    };
    if b1 & 0xe0 != 0xe0 {
        return None;
    }
    let rate = match (b1 >> 3) & 3 {
        3 => 3,
        2 => 2,
        0 => 1,
        _ => return None,
    };
    Some((rate, b3 >> 6 != 3))
}

fn enhanced_fourcc(codec: Codec) -> Result<FourCc, Error> {
    fourcc_of_codec(codec)
        .ok_or_else(|| Error::usage(format!("Enhanced RTMP has no FourCC for {codec}")))
}

fn enhanced_body<P>(
    track: Track,
    codec: Codec,
    packet_type: P,
    composition_time: i32,
    data: Bytes,
) -> Result<ExBody<P>, Error> {
    let fourcc = enhanced_fourcc(codec)?;
    let multitrack = (track.index != 0).then_some(MultitrackType::OneTrack);
    let tracks = vec![TrackData {
        track_id: track.index,
        fourcc,
        composition_time,
        data,
    }];
    Ok(ExBody {
        mod_ex: Vec::new(),
        packet_type,
        multitrack,
        tracks,
    })
}

/// The enhanced audio or video body for `payload` on `track` (audio has no composition time).
fn enhanced(
    track: Track,
    codec: Codec,
    payload: Payload,
    keyframe: bool,
    composition_time: i32,
    data: Bytes,
) -> Result<Bytes, Error> {
    if track.kind != MediaKind::Video {
        let packet_type = match payload {
            Payload::Config => AudioPacketType::SequenceStart,
            Payload::Frame => AudioPacketType::CodedFrames,
            Payload::EndOfSequence => AudioPacketType::SequenceEnd,
        };
        return AudioTag::Enhanced(enhanced_body(track, codec, packet_type, 0, data)?).to_bytes();
    }
    let packet_type = match payload {
        Payload::Config => VideoPacketType::SequenceStart,
        Payload::EndOfSequence => VideoPacketType::SequenceEnd,
        // Like FFmpeg: CodedFramesX when an avc1/hvc1 frame needs no composition time; other
        // codecs have no composition time field, so CodedFrames says it all.
        Payload::Frame
            if composition_time == 0
                && fourcc_of_codec(codec)
                    .is_some_and(|f| VideoPacketType::CodedFrames.has_composition_time(f)) =>
        {
            VideoPacketType::CodedFramesX
        }
        Payload::Frame => VideoPacketType::CodedFrames,
    };
    let frame_type = if keyframe {
        FrameType::Key
    } else {
        FrameType::Inter
    };
    let body = enhanced_body(track, codec, packet_type, composition_time, data)?;
    VideoTag::Enhanced { frame_type, body }.to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kind: MediaKind, ts: u32, body: &[u8]) -> Vec<MediaPacket> {
        let mut packets = Vec::new();
        let body = Bytes::copy_from_slice(body);
        match kind {
            MediaKind::Audio => read_audio(Timestamp::from_millis(ts.into()), body, &mut |p| {
                packets.push(p)
            }),
            _ => read_video(Timestamp::from_millis(ts.into()), body, &mut |p| {
                packets.push(p)
            }),
        }
        .unwrap();
        packets
    }

    fn round_trip(kind: MediaKind, body: &[u8]) -> Vec<MediaPacket> {
        let packets = read(kind, 40, body);
        assert_eq!(packets.len(), 1);
        assert_eq!(write_packet(&packets[0]).unwrap().as_ref(), body);
        packets
    }

    #[test]
    fn legacy_avc_frame_carries_composition_time() {
        let packets = round_trip(
            MediaKind::Video,
            &[0x17, 0x01, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0x65],
        );
        let MediaPacket::Frame(f) = &packets[0] else {
            panic!("{packets:?}")
        };
        assert_eq!(
            (f.codec, f.keyframe, f.track),
            (Codec::H264, true, Track::VIDEO)
        );
        assert_eq!((f.dts.as_millis(), f.pts.as_millis()), (40, 120));
        assert_eq!(f.data.as_ref(), &[0, 0, 0, 1, 0x65]);
    }

    #[test]
    fn negative_composition_time_is_signed() {
        let packets = round_trip(MediaKind::Video, &[0x27, 0x01, 0xff, 0xff, 0xd8, 9]);
        let MediaPacket::Frame(f) = &packets[0] else {
            panic!()
        };
        assert_eq!((f.pts.as_millis(), f.keyframe), (0, false));
    }

    #[test]
    fn legacy_avc_config_and_end() {
        let packets = round_trip(MediaKind::Video, &[0x17, 0x00, 0, 0, 0, 1, 0x64, 0, 0x1f]);
        assert_eq!(
            packets[0],
            MediaPacket::Config(TrackConfig {
                track: Track::VIDEO,
                codec: Codec::H264,
                data: Bytes::from_static(&[1, 0x64, 0, 0x1f])
            })
        );
        assert_eq!(
            round_trip(MediaKind::Video, &[0x17, 0x02, 0, 0, 0]),
            [MediaPacket::EndOfSequence {
                track: Track::VIDEO,
                codec: Codec::H264
            }]
        );
    }

    #[test]
    fn aac_config_and_frame() {
        let packets = round_trip(MediaKind::Audio, &[0xaf, 0x00, 0x12, 0x10]);
        assert!(
            matches!(&packets[0], MediaPacket::Config(c) if c.codec == Codec::Aac && c.data.as_ref() == [0x12, 0x10])
        );
        let packets = round_trip(MediaKind::Audio, &[0xaf, 0x01, 0x21, 0x00]);
        assert!(matches!(&packets[0], MediaPacket::Frame(f) if f.keyframe && f.dts == f.pts));
    }

    #[test]
    fn mp3_header_bits_follow_the_frame_header() {
        // MPEG-1 layer 3, 44.1 kHz, joint stereo.
        round_trip(MediaKind::Audio, &[0x2f, 0xff, 0xfb, 0x90, 0x44]);
        // MPEG-2 layer 3, 22.05 kHz, mono.
        round_trip(MediaKind::Audio, &[0x2a, 0xff, 0xf3, 0x90, 0xc4]);
        // No frame header: 44 kHz stereo.
        round_trip(MediaKind::Audio, &[0x2f, 0x00]);
    }

    #[test]
    fn hevc_is_enhanced_with_composition_time_only_when_needed() {
        // Key frame, CodedFrames, hvc1, cts 33.
        let body = [0x91, b'h', b'v', b'c', b'1', 0, 0, 33, 0xaa];
        let packets = round_trip(MediaKind::Video, &body);
        let MediaPacket::Frame(f) = &packets[0] else {
            panic!()
        };
        assert_eq!(
            (f.codec, f.pts.as_millis() - f.dts.as_millis()),
            (Codec::H265, 33)
        );
        // Inter frame, CodedFramesX.
        round_trip(MediaKind::Video, &[0xa3, b'h', b'v', b'c', b'1', 0xbb]);
        // AV1 CodedFrames has no composition time.
        let packets = round_trip(MediaKind::Video, &[0x91, b'a', b'v', b'0', b'1', 0x12, 0]);
        assert!(
            matches!(&packets[0], MediaPacket::Frame(f) if f.codec == Codec::Av1 && f.data.len() == 2)
        );
        round_trip(
            MediaKind::Video,
            &[0x90, b'a', b'v', b'0', b'1', 0x81, 0, 0x0c, 0],
        );
    }

    #[test]
    fn opus_is_enhanced_audio() {
        let packets = round_trip(
            MediaKind::Audio,
            &[0x90, b'O', b'p', b'u', b's', b'O', b'p', b'u', b's', b'H'],
        );
        assert!(
            matches!(&packets[0], MediaPacket::Config(c) if c.codec == Codec::Opus && c.data.len() == 5)
        );
        round_trip(MediaKind::Audio, &[0x91, b'O', b'p', b'u', b's', 0xfc]);
        let end = [0x92, b'O', b'p', b'u', b's'];
        assert_eq!(
            read(MediaKind::Audio, 0, &end),
            [MediaPacket::EndOfSequence {
                track: Track::AUDIO,
                codec: Codec::Opus
            }]
        );
        let packet = MediaPacket::EndOfSequence {
            track: Track::AUDIO,
            codec: Codec::Opus,
        };
        assert_eq!(write_packet(&packet).unwrap().as_ref(), end);
    }

    #[test]
    fn other_tracks_use_one_track_multitrack() {
        // Audio Multitrack(5), OneTrack + CodedFrames, mp4a, track 2.
        let packets = round_trip(
            MediaKind::Audio,
            &[0x95, 0x01, b'm', b'p', b'4', b'a', 2, 0x21],
        );
        let MediaPacket::Frame(f) = &packets[0] else {
            panic!()
        };
        assert_eq!((f.track.index, f.codec), (2, Codec::Aac));
    }

    #[test]
    fn many_tracks_many_codecs_give_one_packet_per_track() {
        let body = [
            0x96, 0x21, // key frame, Multitrack; ManyTracksManyCodecs + CodedFrames
            b'a', b'v', b'c', b'1', 0, 0, 0, 5, 0, 0, 2, 0xaa, 0xbb, // track 0: cts 2
            b'a', b'v', b'0', b'1', 1, 0, 0, 1, 0xcc, // track 1
        ];
        let packets = read(MediaKind::Video, 10, &body);
        let frames: Vec<_> = packets
            .iter()
            .map(|p| match p {
                MediaPacket::Frame(f) => (f.track.index, f.codec, f.pts.as_millis(), f.data.len()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(frames, [(0, Codec::H264, 12, 2), (1, Codec::Av1, 10, 1)]);
    }

    #[test]
    fn timestamp_offset_nano_mod_ex_refines_the_timestamp() {
        // ModEx(7): size 3, 500000 ns, then type 0 / CodedFramesX(3); vp09.
        let body = [0x97, 2, 0x07, 0xa1, 0x20, 0x03, b'v', b'p', b'0', b'9', 1];
        let packets = read(MediaKind::Video, 1, &body);
        let MediaPacket::Frame(f) = &packets[0] else {
            panic!()
        };
        assert_eq!((f.codec, f.dts.ticks()), (Codec::Vp9, 90 + 45));
    }

    #[test]
    fn command_frames_are_not_media() {
        assert!(read(MediaKind::Video, 0, &[0x57, 0x00]).is_empty());
        assert!(read(MediaKind::Video, 0, &[0xd0, 0x01]).is_empty());
    }

    #[test]
    fn unknown_fourcc_is_reported_and_kept() {
        let mut violations = Vec::new();
        let mut packets = Vec::new();
        let body = Bytes::from_static(&[0x91, b'x', b'y', b'z', b'w', 0, 0, 0, 1]);
        read_video_checked(
            Timestamp(0),
            body,
            &mut |p| packets.push(p),
            &mut violations,
        )
        .unwrap();
        assert_eq!(violations[0].rule.id, "flv.video.fourcc");
        let MediaPacket::Frame(f) = &packets[0] else {
            panic!()
        };
        assert_eq!(f.codec, Codec::Unknown(u32::from_be_bytes(*b"xyzw")));
        assert_eq!(
            write_packet(&packets[0]).unwrap().as_ref(),
            &[0x91, b'x', b'y', b'z', b'w', 0, 0, 0, 1][..]
        );
    }

    #[test]
    fn errors_name_rule_and_offset() {
        let e = read_video(
            Timestamp(0),
            Bytes::from_static(&[0x17, 0x01, 0x00]),
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!((e.rule.unwrap().id, e.offset), ("flv.video.header", 2));
        let e =
            read_audio(Timestamp(0), Bytes::from_static(&[0xaf, 0x05]), &mut |_| {}).unwrap_err();
        assert_eq!(
            (e.rule.unwrap().id, e.offset),
            ("flv.audio.aac-packet-type", 1)
        );
        let e =
            read_video(Timestamp(0), Bytes::from_static(&[0x96, 0x30]), &mut |_| {}).unwrap_err();
        assert_eq!(e.rule.unwrap().id, "flv.av.multitrack");
    }

    #[test]
    fn a_reserved_packet_type_is_placed_at_the_byte_that_holds_it() {
        let cases: [(&[u8], u64); 3] = [
            (&[0x9e, b'a', b'v', b'0', b'1', 0], 0),
            // Multitrack: the packet type is in the AvMultitrackType byte.
            (&[0x96, 0x0e, b'a', b'v', b'0', b'1', 0, 0], 1),
            // After a TimestampOffsetNano ModEx: in the byte that ends the chain.
            (
                &[0x97, 2, 0x07, 0xa1, 0x20, 0x0e, b'a', b'v', b'0', b'1'],
                5,
            ),
        ];
        for (body, offset) in cases {
            let e =
                read_video(Timestamp(0), Bytes::copy_from_slice(body), &mut |_| {}).unwrap_err();
            assert_eq!(
                (e.rule.unwrap().id, e.offset),
                ("flv.video.packet-type", offset)
            );
        }
    }

    #[test]
    fn far_apart_pts_and_dts_are_an_error_not_an_overflow() {
        let frame = Frame {
            track: Track::VIDEO,
            codec: Codec::H264,
            pts: Timestamp(i64::MAX),
            dts: Timestamp(-1),
            keyframe: true,
            data: Bytes::new(),
        };
        let e = write_packet(&MediaPacket::Frame(frame)).unwrap_err();
        assert_eq!(e.rule, None);
        assert!(e.detail.contains("too far apart"), "{e}");
    }

    #[test]
    fn frames_are_views_of_the_body() {
        let body = Bytes::from_static(&[0xaf, 0x01, 1, 2, 3]);
        let mut packets = Vec::new();
        read_audio(Timestamp(0), body.clone(), &mut |p| packets.push(p)).unwrap();
        let MediaPacket::Frame(f) = &packets[0] else {
            panic!()
        };
        assert_eq!(f.data.as_ptr(), body[2..].as_ptr());
    }
}
