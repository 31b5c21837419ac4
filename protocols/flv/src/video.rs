//! The video tag body: legacy VideoTagHeader (FLV 10.1 §E.4.3.1) and Enhanced RTMP's
//! ExVideoTagHeader (E-RTMP v2 §ExVideoTagHeader), parse and write.

use crate::enhanced::{
    Codes, ExBody, FourCc, ModEx, PacketType, put_i24, read_mod_ex, write_mod_ex,
};
use crate::{Error, rules};
use bytes::{BufMut, Bytes, BytesMut};
use weir_media::Reader;
use weir_media::Violation;

/// FrameType (FLV 10.1 §E.4.3.1; the same values in E-RTMP v2's VideoFrameType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// A seekable frame (IDR for AVC).
    Key = 1,
    /// An inter frame: decoding needs earlier frames.
    Inter = 2,
    /// A disposable inter frame (H.263 only in legacy FLV).
    DisposableInter = 3,
    /// A keyframe a server generated for seeking.
    GeneratedKey = 4,
    /// A video info/command frame: a command byte, not media.
    Command = 5,
}

impl FrameType {
    /// The FrameType in the low 3 bits of `v` (the high nibble of the first byte; its top bit
    /// is the enhanced-header flag).
    fn from_nibble(v: u8) -> Result<Self, Error> {
        Ok(match v & 7 {
            1 => FrameType::Key,
            2 => FrameType::Inter,
            3 => FrameType::DisposableInter,
            4 => FrameType::GeneratedKey,
            5 => FrameType::Command,
            other => {
                return Err(Error::rule(
                    &rules::VIDEO_FRAME_TYPE,
                    0,
                    format!("FrameType {other} is reserved"),
                ));
            }
        })
    }

    /// Whether decoding can start at this frame.
    pub fn is_keyframe(self) -> bool {
        matches!(self, FrameType::Key | FrameType::GeneratedKey)
    }
}

/// Legacy CodecID values (FLV 10.1 §E.4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoCodecId {
    /// 2: Sorenson H.263.
    SorensonH263 = 2,
    /// 3: Screen video.
    ScreenVideo = 3,
    /// 4: On2 VP6.
    Vp6 = 4,
    /// 5: On2 VP6 with alpha channel.
    Vp6Alpha = 5,
    /// 6: Screen video version 2.
    ScreenVideo2 = 6,
    /// 7: AVC (H.264); an [`AvcHeader`] follows the first byte.
    Avc = 7,
}

impl VideoCodecId {
    fn from_nibble(v: u8) -> Option<Self> {
        use VideoCodecId::*;
        Some(match v {
            2 => SorensonH263,
            3 => ScreenVideo,
            4 => Vp6,
            5 => Vp6Alpha,
            6 => ScreenVideo2,
            7 => Avc,
            _ => return None,
        })
    }
}

/// AVCPacketType (FLV 10.1 §E.4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AvcPacketType {
    /// The body is an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
    SequenceHeader = 0,
    /// The body is one access unit of length-prefixed NAL units.
    Nalu = 1,
    /// The end of the sequence; the body is empty.
    EndOfSequence = 2,
}

/// The four bytes legacy AVC tags add after the first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AvcHeader {
    /// AVCPacketType: what the body holds.
    pub packet_type: AvcPacketType,
    /// Composition time offset in milliseconds (pts - dts), SI24.
    pub composition_time: i32,
}

/// A legacy video tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyVideo {
    /// FrameType: keyframe, inter frame, command frame, ...
    pub frame_type: FrameType,
    /// CodecID.
    pub codec: VideoCodecId,
    /// Present for AVC media tags; absent for other codecs and for command frames.
    pub avc: Option<AvcHeader>,
    /// The codec's data; for a command frame, the bytes after the first (the spec puts the AVC
    /// header before an AVC command byte, encoders disagree, so they are kept unparsed).
    pub data: Bytes,
}

/// Enhanced VideoPacketType values that describe a payload (Multitrack 6 and ModEx 7 are
/// consumed while parsing the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoPacketType {
    /// The payload is the codec's configuration record.
    SequenceStart = 0,
    /// Coded frames; avc1 and hvc1 put an SI24 composition time first.
    CodedFrames = 1,
    /// The end of the sequence: no payload.
    SequenceEnd = 2,
    /// Coded frames with an implied composition time of 0.
    CodedFramesX = 3,
    /// AMF-encoded metadata (e.g. colorInfo).
    Metadata = 4,
    /// An AV1 video descriptor as MPEG-2 TS carries it.
    Mpeg2TsSequenceStart = 5,
}

impl PacketType for VideoPacketType {
    const CODES: Codes = Codes {
        mod_ex: 7,
        multitrack: 6,
    };
    const RULE: &'static weir_media::Rule = &rules::VIDEO_PACKET_TYPE;
    const FOURCC_RULE: &'static weir_media::Rule = &rules::VIDEO_FOURCC;

    fn from_nibble(v: u8) -> Option<Self> {
        use VideoPacketType::*;
        Some(match v {
            0 => SequenceStart,
            1 => CodedFrames,
            2 => SequenceEnd,
            3 => CodedFramesX,
            4 => Metadata,
            5 => Mpeg2TsSequenceStart,
            _ => return None,
        })
    }

    fn nibble(self) -> u8 {
        self as u8
    }

    fn has_composition_time(self, fourcc: FourCc) -> bool {
        self == VideoPacketType::CodedFrames && (fourcc == FourCc::AVC1 || fourcc == FourCc::HVC1)
    }
}

/// The enhanced video codecs E-RTMP v2 defines.
pub const VIDEO_FOURCCS: [FourCc; 5] = [
    FourCc::AVC1,
    FourCc::HVC1,
    FourCc::VP08,
    FourCc::VP09,
    FourCc::AV01,
];

/// One video tag body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoTag {
    /// FLV 10.1's header: the IsExHeader bit is clear.
    Legacy(LegacyVideo),
    /// An ExVideoTagHeader (IsExHeader set) describing media, metadata or a sequence start/end.
    Enhanced {
        /// The VideoFrameType.
        frame_type: FrameType,
        /// ModEx records, packet type and tracks.
        body: ExBody<VideoPacketType>,
    },
    /// An enhanced command frame (FrameType 5 with any packet type but Metadata): one
    /// VideoCommand byte (0 = start of seek, 1 = end of seek).
    EnhancedCommand {
        /// The ModEx records before the packet type, in wire order.
        mod_ex: Vec<ModEx>,
        /// The VideoPacketType nibble as sent (kept raw: any value but Metadata makes a command).
        packet_type: u8,
        /// `VideoCommand`: 0 start of seek, 1 end of seek.
        command: u8,
    },
}

const EX_HEADER_BIT: u8 = 0x80;

impl VideoTag {
    /// Parses a tag body; offsets in errors are within `body`. Payloads are views of `body`.
    pub fn parse(body: &Bytes) -> Result<VideoTag, Error> {
        let mut cur = Reader::of(body, &rules::VIDEO_HEADER);
        let first = cur.u8("FrameType and CodecID")?;
        let frame_type = FrameType::from_nibble(first >> 4)?;
        if first & EX_HEADER_BIT != 0 {
            let (mod_ex, packet_type) =
                read_mod_ex(&mut cur, first & 0x0f, VideoPacketType::CODES)?;
            if frame_type == FrameType::Command && packet_type != VideoPacketType::Metadata as u8 {
                let command = cur.with_rule(&rules::VIDEO_COMMAND, |cur| cur.u8("VideoCommand"))?;
                return Ok(VideoTag::EnhancedCommand {
                    mod_ex,
                    packet_type,
                    command,
                });
            }
            let body = ExBody::read_after_mod_ex(&mut cur, mod_ex, packet_type)?;
            return Ok(VideoTag::Enhanced { frame_type, body });
        }
        let codec = VideoCodecId::from_nibble(first & 0x0f).ok_or_else(|| {
            Error::rule(
                &rules::VIDEO_CODEC_ID,
                0,
                format!("CodecID {} is not a video codec FLV defines", first & 0x0f),
            )
        })?;
        let avc = match (codec, frame_type) {
            (VideoCodecId::Avc, ft) if ft != FrameType::Command => {
                let packet_type = match cur.u8("AVCPacketType")? {
                    0 => AvcPacketType::SequenceHeader,
                    1 => AvcPacketType::Nalu,
                    2 => AvcPacketType::EndOfSequence,
                    other => {
                        return Err(Error::rule(
                            &rules::AVC_PACKET_TYPE,
                            1,
                            format!("AVCPacketType {other} is not 0, 1 or 2"),
                        ));
                    }
                };
                let composition_time = cur.i24("CompositionTime")?;
                Some(AvcHeader {
                    packet_type,
                    composition_time,
                })
            }
            _ => None,
        };
        if frame_type == FrameType::Command && cur.remaining() == 0 {
            return Err(Error::rule(
                &rules::VIDEO_COMMAND,
                1,
                "a command frame without its command byte",
            ));
        }
        Ok(VideoTag::Legacy(LegacyVideo {
            frame_type,
            codec,
            avc,
            data: cur.view_rest(),
        }))
    }

    /// Requirements a parsed tag can break without being unreadable; offsets are within the
    /// body.
    pub fn violations(&self) -> Vec<Violation> {
        let mut found = Vec::new();
        match self {
            VideoTag::Legacy(LegacyVideo { avc: Some(avc), .. })
                if avc.packet_type != AvcPacketType::Nalu && avc.composition_time != 0 =>
            {
                found.push(Violation::new(
                    &rules::COMPOSITION_TIME,
                    2,
                    format!(
                        "CompositionTime {} on AVCPacketType {:?}",
                        avc.composition_time, avc.packet_type
                    ),
                ));
            }
            VideoTag::Enhanced { body, .. } => {
                for track in &body.tracks {
                    if !VIDEO_FOURCCS.contains(&track.fourcc) {
                        found.push(Violation::new(
                            &rules::VIDEO_FOURCC,
                            0,
                            format!(
                                "unknown video FourCC '{}' on track {}",
                                track.fourcc, track.track_id
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
        found
    }

    /// Appends the tag body to `out`.
    pub fn write(&self, out: &mut BytesMut) -> Result<(), Error> {
        match self {
            VideoTag::Legacy(legacy) => {
                out.put_u8((legacy.frame_type as u8) << 4 | legacy.codec as u8);
                let wants_avc =
                    legacy.codec == VideoCodecId::Avc && legacy.frame_type != FrameType::Command;
                match (wants_avc, legacy.avc) {
                    (true, Some(avc)) => {
                        out.put_u8(avc.packet_type as u8);
                        put_i24(out, avc.composition_time)?;
                    }
                    (false, None) => {}
                    _ => {
                        return Err(Error::usage(
                            "an AVC header goes with AVC media tags, and only with them",
                        ));
                    }
                }
                out.extend_from_slice(&legacy.data);
                Ok(())
            }
            VideoTag::Enhanced { frame_type, body } => {
                // E-RTMP v2 reads a command byte for FrameType 5 unless the packet type right
                // after the ModEx chain is Metadata, so a multitrack command frame is a command.
                let metadata =
                    body.packet_type == VideoPacketType::Metadata && body.multitrack.is_none();
                if *frame_type == FrameType::Command && !metadata {
                    return Err(Error::usage(
                        "a FrameType 5 tag other than plain Metadata is VideoTag::EnhancedCommand",
                    ));
                }
                body.write(out, EX_HEADER_BIT >> 4 | *frame_type as u8)
            }
            VideoTag::EnhancedCommand {
                mod_ex,
                packet_type,
                command,
            } => {
                if *packet_type > 0x0f
                    || *packet_type == VideoPacketType::Metadata as u8
                    || *packet_type == VideoPacketType::CODES.mod_ex
                {
                    return Err(Error::usage(format!(
                        "packet type {packet_type} cannot carry a command"
                    )));
                }
                let high = EX_HEADER_BIT >> 4 | FrameType::Command as u8;
                write_mod_ex(out, high, mod_ex, *packet_type, VideoPacketType::CODES)?;
                out.put_u8(*command);
                Ok(())
            }
        }
    }

    /// The tag body as bytes; the errors of [`VideoTag::write`].
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        let mut out = BytesMut::new();
        self.write(&mut out)?;
        Ok(out.freeze())
    }
}
