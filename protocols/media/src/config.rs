//! One entry point for consumers of codec configurations: [`CodecConfig::parse`] turns a
//! [`TrackConfig`] into the parsed record of its codec, and [`CodecConfig::summary`] gives what
//! an SRS-compatible HTTP API reports (codec, profile, level, size, sample rate, channels).

use crate::aac::AudioSpecificConfig;
use crate::av1::SequenceHeader;
use crate::avc::{self, AvcDecoderConfig, Sps};
pub use crate::h26x::FrameRate;
use crate::hevc::{HevcDecoderConfig, HevcSps};
use crate::mpa::MpaHeader;
use crate::opus::OpusHead;
use crate::{Codec, Error, TrackConfig};
use bytes::Bytes;

/// A parsed codec configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecConfig {
    /// The AVC record and its first SPS, parsed (`None` when the record has no SPS).
    Avc {
        /// The `AVCDecoderConfigurationRecord`.
        record: AvcDecoderConfig,
        /// Its first SPS.
        sps: Option<Sps>,
    },
    /// The HEVC record and its first SPS, parsed (`None` when the record has no SPS).
    Hevc {
        /// The `HEVCDecoderConfigurationRecord`.
        record: HevcDecoderConfig,
        /// Its first SPS.
        sps: Option<HevcSps>,
    },
    /// The AAC AudioSpecificConfig.
    Aac(AudioSpecificConfig),
    /// The Opus identification header.
    Opus(OpusHead),
    /// MP3's stand-in record: a frame header's fixed fields ([`MpaHeader::record`]).
    Mp3(MpaHeader),
    /// A codec whose record Weir keeps as is (AV1, VP9, ...).
    Opaque {
        /// The track's codec.
        codec: Codec,
        /// The configuration bytes as the track carried them.
        data: Bytes,
    },
}

/// What a server reports about a track; `None` for what the configuration does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSummary {
    /// The track's codec.
    pub codec: Codec,
    /// The profile name as FFmpeg prints it ("High", "Main 10", "LC", "HE-AAC"...).
    pub profile: Option<&'static str>,
    /// The level as a number, "3", "3.1" (H.264, H.265).
    pub level: Option<String>,
    /// Displayed width in pixels, after cropping (from the SPS).
    pub width: Option<u32>,
    /// Displayed height in pixels, after cropping (from the SPS).
    pub height: Option<u32>,
    /// Frames per second: the SPS timing information, else (H.265) the record's `avgFrameRate`.
    pub frame_rate: Option<FrameRate>,
    /// The sample rate a decoder outputs, in Hz.
    pub sample_rate: Option<u32>,
    /// Output channels (AAC: see [`AudioSpecificConfig::channels`]).
    pub channels: Option<u8>,
}

impl ConfigSummary {
    /// What a frame of a track that has no configuration record tells (VP8 carries none: its
    /// keyframes say the picture size, RFC 6386 §9.1); `None` for codecs whose frames do not
    /// stand in for a record.
    pub fn of_frame(frame: &crate::Frame) -> Option<Self> {
        let mut summary = ConfigSummary::new(frame.codec);
        match frame.codec {
            Codec::Vp8 => {
                // A keyframe: the 3-byte frame tag (bit 0 clear), the start code 9d 01 2a,
                // then 14-bit width and height (the top 2 bits are the scaling).
                let d = &frame.data;
                if frame.keyframe && d.len() >= 10 && d[0] & 1 == 0 && d[3..6] == [0x9d, 0x01, 0x2a]
                {
                    summary.width = Some(u32::from(u16::from_le_bytes([d[6], d[7]]) & 0x3fff));
                    summary.height = Some(u32::from(u16::from_le_bytes([d[8], d[9]]) & 0x3fff));
                }
                Some(summary)
            }
            // A keyframe's temporal unit begins with a sequence header (AV1 §7.5).
            Codec::Av1 => {
                if let Some(Ok(seq)) = SequenceHeader::find(&frame.data) {
                    summary.av1(&seq);
                }
                Some(summary)
            }
            Codec::Vp9 | Codec::Pcma | Codec::Pcmu => Some(summary),
            _ => None,
        }
    }

    /// What an AV1 sequence header says: the largest frame size (frames may be smaller, AV1
    /// §6.8.2, but encoders keep to one size in practice), profile and level.
    fn av1(&mut self, seq: &SequenceHeader) {
        self.width = Some(seq.max_frame_width);
        self.height = Some(seq.max_frame_height);
        self.profile = Some(seq.profile_name());
        self.level = seq.level_name();
    }

    fn new(codec: Codec) -> Self {
        // G.711 is 8 kHz mono wherever it travels (ITU-T G.711; RFC 3551 §4.5.14).
        let g711 = matches!(codec, Codec::Pcma | Codec::Pcmu);
        ConfigSummary {
            codec,
            profile: None,
            level: None,
            width: None,
            height: None,
            frame_rate: None,
            sample_rate: g711.then_some(8000),
            channels: g711.then_some(1),
        }
    }
}

impl CodecConfig {
    /// Parses `config.data` as the record of `config.codec`. A parameter set that does not
    /// parse is an error too: it names the rule and the offset within the record.
    pub fn parse(config: &TrackConfig) -> Result<CodecConfig, Error> {
        let data = &config.data[..];
        Ok(match config.codec {
            Codec::H264 => {
                let record = AvcDecoderConfig::parse(data)?;
                let sps = record.first_sps().transpose()?;
                CodecConfig::Avc { record, sps }
            }
            Codec::H265 => {
                let record = HevcDecoderConfig::parse(data)?;
                let sps = record.first_sps().transpose()?;
                CodecConfig::Hevc { record, sps }
            }
            Codec::Aac => CodecConfig::Aac(AudioSpecificConfig::parse(data)?),
            Codec::Opus => CodecConfig::Opus(OpusHead::parse(data)?),
            // An empty MP3 configuration (made before this record existed) says nothing.
            Codec::Mp3 if !data.is_empty() => CodecConfig::Mp3(MpaHeader::parse(data)?),
            codec => CodecConfig::Opaque {
                codec,
                data: config.data.clone(),
            },
        })
    }

    /// The codec this configuration belongs to.
    pub fn codec(&self) -> Codec {
        match self {
            CodecConfig::Avc { .. } => Codec::H264,
            CodecConfig::Hevc { .. } => Codec::H265,
            CodecConfig::Aac(_) => Codec::Aac,
            CodecConfig::Opus(_) => Codec::Opus,
            CodecConfig::Mp3(_) => Codec::Mp3,
            CodecConfig::Opaque { codec, .. } => *codec,
        }
    }

    /// What an SRS-compatible API reports for this configuration; the SPS is preferred to the
    /// record's copy of its fields.
    pub fn summary(&self) -> ConfigSummary {
        let mut s = ConfigSummary::new(self.codec());
        match self {
            CodecConfig::Avc { record, sps } => {
                // The SPS when there is one, else the record's copy of its first bytes.
                let (profile_idc, constraints, level_idc) = match sps {
                    Some(sps) => (sps.profile_idc, sps.constraint_flags, sps.level_idc),
                    None => (
                        record.profile_indication,
                        record.profile_compatibility,
                        record.level_indication,
                    ),
                };
                s.profile = avc::profile_name(profile_idc, constraints);
                s.level = Some(avc::level_name(profile_idc, constraints, level_idc));
                if let Some(sps) = sps {
                    (s.width, s.height, s.frame_rate) =
                        (Some(sps.width), Some(sps.height), sps.frame_rate);
                }
            }
            CodecConfig::Hevc { record, sps } => {
                let general = sps.as_ref().map_or(record.general, |sps| sps.general);
                s.profile = general.profile_name();
                s.level = Some(general.level_name());
                // The SPS timing, else the record's avgFrameRate (frames per 256 s).
                s.frame_rate = sps
                    .as_ref()
                    .and_then(|sps| sps.frame_rate)
                    .or_else(|| FrameRate::new(record.avg_frame_rate.into(), 256));
                if let Some(sps) = sps {
                    (s.width, s.height) = (Some(sps.width), Some(sps.height));
                }
            }
            CodecConfig::Aac(asc) => {
                s.profile = asc.profile_name();
                s.sample_rate = Some(asc.output_sample_rate());
                s.channels = asc.channels();
            }
            CodecConfig::Opus(head) => {
                s.sample_rate = Some(48_000);
                s.channels = Some(head.channels);
            }
            CodecConfig::Mp3(header) => {
                s.sample_rate = Some(header.sample_rate);
                s.channels = Some(header.channels());
            }
            // An av1C record's configOBUs hold the sequence header.
            CodecConfig::Opaque {
                codec: Codec::Av1,
                data,
            } => {
                if let Some(Ok(seq)) = SequenceHeader::of_record(data) {
                    s.av1(&seq);
                }
            }
            CodecConfig::Opaque { .. } => {}
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_is_8_khz_mono_from_its_empty_configuration_or_a_frame() {
        let config = TrackConfig {
            track: crate::Track::AUDIO,
            codec: Codec::Pcmu,
            data: bytes::Bytes::new(),
        };
        let summary = CodecConfig::parse(&config).unwrap().summary();
        assert_eq!(
            (summary.sample_rate, summary.channels),
            (Some(8000), Some(1))
        );
        let frame = crate::Frame {
            track: crate::Track::AUDIO,
            codec: Codec::Pcma,
            pts: crate::Timestamp(0),
            dts: crate::Timestamp(0),
            keyframe: true,
            data: bytes::Bytes::from_static(&[0xd5; 160]),
        };
        let summary = ConfigSummary::of_frame(&frame).unwrap();
        assert_eq!(
            (summary.sample_rate, summary.channels),
            (Some(8000), Some(1))
        );
    }

    #[test]
    fn mp3_is_configured_by_its_first_frame() {
        // MPEG-2 layer III, 64 kbit/s, 22.05 kHz, stereo; then the same at 48 kHz mono.
        let frame = |data: &'static [u8]| crate::Frame {
            track: Track::AUDIO,
            codec: Codec::Mp3,
            pts: crate::Timestamp(0),
            dts: crate::Timestamp(0),
            keyframe: true,
            data: Bytes::from_static(data),
        };
        let config = TrackConfig::of_frame(&frame(&[0xff, 0xf3, 0x80, 0x00, 0x11])).unwrap();
        let s = CodecConfig::parse(&config).unwrap().summary();
        assert_eq!(
            (s.codec, s.sample_rate, s.channels),
            (Codec::Mp3, Some(22050), Some(2))
        );
        let config = TrackConfig::of_frame(&frame(&[0xff, 0xfb, 0x94, 0xc0])).unwrap();
        let s = CodecConfig::parse(&config).unwrap().summary();
        assert_eq!((s.sample_rate, s.channels), (Some(48000), Some(1)));
        // No header, no configuration; an old empty one parses as an opaque record.
        assert_eq!(TrackConfig::of_frame(&frame(&[0xff])), None);
        let empty = TrackConfig {
            data: Bytes::new(),
            ..config
        };
        assert!(matches!(
            CodecConfig::parse(&empty),
            Ok(CodecConfig::Opaque { .. })
        ));
        // Codecs with a record of their own are not configured by a frame.
        let aac = crate::Frame {
            codec: Codec::Aac,
            ..frame(&[0x21])
        };
        assert_eq!(TrackConfig::of_frame(&aac), None);
    }

    #[test]
    fn an_av1_keyframe_gives_the_picture_size_from_its_sequence_header() {
        // The start of FFmpeg 5.1's first temporal unit (`-f obu`) of a testsrc2 picture:
        // temporal delimiter, sequence header, then the frame OBU's first bytes; from libaom
        // 3.6 at 640x360 (level 2.1) and SVT-AV1 1.4.1 at 1280x720 (level 3.1).
        for (data, size, level) in [
            ("12000a0b0000000cc4ff6736be401032a01a", (640, 360), "2.1"),
            ("12000a0b0000002d4cffb3cfbf900432b1b5", (1280, 720), "3.1"),
        ] {
            let frame = crate::Frame {
                track: crate::Track::VIDEO,
                codec: Codec::Av1,
                pts: crate::Timestamp(0),
                dts: crate::Timestamp(0),
                keyframe: true,
                data: hex(data).into(),
            };
            let s = ConfigSummary::of_frame(&frame).unwrap();
            assert_eq!((s.width, s.height), (Some(size.0), Some(size.1)), "{data}");
            assert_eq!((s.profile, s.level.as_deref()), (Some("Main"), Some(level)));
        }
    }

    #[test]
    fn a_vp8_keyframe_gives_the_picture_size() {
        // Frame tag of a keyframe, start code, 640 (0x280) by 360 (0x168), scaling 0.
        let data = [
            0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01, 0x00,
        ];
        let frame = crate::Frame {
            track: crate::Track::VIDEO,
            codec: Codec::Vp8,
            pts: crate::Timestamp(0),
            dts: crate::Timestamp(0),
            keyframe: true,
            data: Bytes::copy_from_slice(&data),
        };
        let summary = ConfigSummary::of_frame(&frame).unwrap();
        assert_eq!((summary.width, summary.height), (Some(640), Some(360)));
        let h264 = crate::Frame {
            codec: Codec::H264,
            ..frame
        };
        assert_eq!(
            ConfigSummary::of_frame(&h264),
            None,
            "H.264's record says it all"
        );
    }
    use crate::Track;
    use crate::avc::tests::hex;
    use proptest::prelude::*;

    fn track(codec: Codec, data: &str) -> TrackConfig {
        TrackConfig {
            track: Track::VIDEO,
            codec,
            data: Bytes::from(hex(data)),
        }
    }

    #[test]
    fn summarises_avc_record_from_avatar_flv() {
        // The AVC sequence header of the SRS sample avatar.flv; ffprobe: h264 High, level 32,
        // 768x320, 25/1.
        let config = CodecConfig::parse(&track(
            Codec::H264,
            "01640020ffe1001967640020acd940c029b011000003000100000300320f18319601000568ebecb22c",
        ))
        .unwrap();
        let s = config.summary();
        assert_eq!(
            (s.codec, s.profile, s.level.as_deref()),
            (Codec::H264, Some("High"), Some("3.2"))
        );
        assert_eq!(
            (s.width, s.height, s.frame_rate),
            (Some(768), Some(320), FrameRate::new(25, 1))
        );
        assert_eq!((s.sample_rate, s.channels), (None, None));
    }

    #[test]
    fn summarises_audio_and_opaque() {
        let s = CodecConfig::parse(&track(Codec::Aac, "1210"))
            .unwrap()
            .summary();
        assert_eq!(
            (s.profile, s.sample_rate, s.channels, s.width),
            (Some("LC"), Some(44100), Some(2), None)
        );
        let s = CodecConfig::parse(&track(
            Codec::Opus,
            "4f707573486561640102380180bb0000000000",
        ))
        .unwrap()
        .summary();
        assert_eq!(
            (s.codec, s.sample_rate, s.channels),
            (Codec::Opus, Some(48000), Some(2))
        );
        let av1 = track(Codec::Av1, "810d0c000a0f0000006aea7fecf804332020202080");
        let config = CodecConfig::parse(&av1).unwrap();
        assert_eq!(
            config,
            CodecConfig::Opaque {
                codec: Codec::Av1,
                data: av1.data.clone()
            }
        );
        let s = config.summary();
        assert_eq!((s.width, s.height), (Some(2560), Some(1440)));
        assert_eq!((s.profile, s.level.as_deref()), (Some("Main"), Some("5.1")));
    }

    #[test]
    fn sps_errors_count_from_the_record() {
        let mut data = hex(
            "01640020ffe1001967640020acd940c029b011000003000100000300320f18319601000568ebecb22c",
        );
        data[8] = 0x68; // the SPS's header byte now says PPS
        let e = CodecConfig::parse(&TrackConfig {
            track: Track::VIDEO,
            codec: Codec::H264,
            data: data.into(),
        })
        .unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("media.avc.sps", 8));
    }

    #[test]
    fn frame_rate_reduces() {
        assert_eq!(FrameRate::new(60, 2), Some(FrameRate { num: 30, den: 1 }));
        assert_eq!(
            FrameRate::new(30000, 1001).unwrap().to_string(),
            "30000/1001"
        );
        assert_eq!(FrameRate::new(0, 1), None);
    }

    proptest! {
        #[test]
        fn no_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..96), codec in 0usize..5) {
            let codec = [Codec::H264, Codec::H265, Codec::Aac, Codec::Opus, Codec::Vp9][codec];
            let config = TrackConfig { track: Track::VIDEO, codec, data: data.into() };
            if let Ok(parsed) = CodecConfig::parse(&config) {
                prop_assert_eq!(parsed.summary().codec, codec);
            }
        }
    }
}
