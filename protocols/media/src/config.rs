//! One entry point for consumers of codec configurations: [`CodecConfig::parse`] turns a
//! [`TrackConfig`] into the parsed record of its codec, and [`CodecConfig::summary`] gives what
//! an SRS-compatible HTTP API reports (codec, profile, level, size, sample rate, channels).

use crate::aac::AudioSpecificConfig;
use crate::avc::{AvcDecoderConfig, Sps};
use crate::hevc::{HevcDecoderConfig, HevcSps};
use crate::opus::OpusHead;
use crate::{Codec, ConfigError, TrackConfig};
use bytes::Bytes;
use std::fmt;

/// A frame rate as a fraction, reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRate {
    pub num: u32,
    pub den: u32,
}

impl FrameRate {
    /// `num / den` reduced; `None` when either is 0.
    pub fn new(num: u32, den: u32) -> Option<Self> {
        if num == 0 || den == 0 {
            return None;
        }
        let (mut a, mut b) = (num, den);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        Some(FrameRate {
            num: num / a,
            den: den / a,
        })
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// A parsed codec configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecConfig {
    /// The AVC record and its first SPS, parsed (`None` when the record has no SPS).
    Avc {
        record: AvcDecoderConfig,
        sps: Option<Sps>,
    },
    /// The HEVC record and its first SPS, parsed (`None` when the record has no SPS).
    Hevc {
        record: HevcDecoderConfig,
        sps: Option<HevcSps>,
    },
    Aac(AudioSpecificConfig),
    Opus(OpusHead),
    /// A codec whose record Weir keeps as is (AV1, VP9, ...).
    Opaque {
        codec: Codec,
        data: Bytes,
    },
}

/// What a server reports about a track; `None` for what the configuration does not say.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigSummary {
    pub codec: Codec,
    /// The profile name as FFmpeg prints it ("High", "Main 10", "LC", "HE-AAC"...).
    pub profile: Option<&'static str>,
    /// The level as a number, "3", "3.1" (H.264, H.265).
    pub level: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frame_rate: Option<FrameRate>,
    /// The sample rate a decoder outputs, in Hz.
    pub sample_rate: Option<u32>,
    pub channels: Option<u8>,
}

impl ConfigSummary {
    fn new(codec: Codec) -> Self {
        ConfigSummary {
            codec,
            profile: None,
            level: None,
            width: None,
            height: None,
            frame_rate: None,
            sample_rate: None,
            channels: None,
        }
    }
}

impl CodecConfig {
    /// Parses `config.data` as the record of `config.codec`. A parameter set that does not
    /// parse is an error too: it names the rule and the offset within the record.
    pub fn parse(config: &TrackConfig) -> Result<CodecConfig, ConfigError> {
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
            codec => CodecConfig::Opaque {
                codec,
                data: config.data.clone(),
            },
        })
    }

    pub fn codec(&self) -> Codec {
        match self {
            CodecConfig::Avc { .. } => Codec::H264,
            CodecConfig::Hevc { .. } => Codec::H265,
            CodecConfig::Aac(_) => Codec::Aac,
            CodecConfig::Opus(_) => Codec::Opus,
            CodecConfig::Opaque { codec, .. } => *codec,
        }
    }

    pub fn summary(&self) -> ConfigSummary {
        let mut s = ConfigSummary::new(self.codec());
        match self {
            CodecConfig::Avc { record, sps } => {
                s.profile = crate::avc::profile_name(
                    record.profile_indication,
                    record.profile_compatibility,
                );
                s.level = Some(crate::avc::level_name(
                    record.profile_indication,
                    record.profile_compatibility,
                    record.level_indication,
                ));
                if let Some(sps) = sps {
                    s.profile = sps.profile_name();
                    s.level = Some(sps.level_name());
                    (s.width, s.height, s.frame_rate) =
                        (Some(sps.width), Some(sps.height), sps.frame_rate);
                }
            }
            CodecConfig::Hevc { record, sps } => {
                let general = sps.as_ref().map_or(record.general, |sps| sps.general);
                s.profile = general.profile_name();
                s.level = Some(general.level_name());
                if let Some(sps) = sps {
                    (s.width, s.height) = (Some(sps.width), Some(sps.height));
                }
                // avgFrameRate is in frames per 256 s.
                s.frame_rate = FrameRate::new(record.avg_frame_rate.into(), 256);
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
            CodecConfig::Opaque { .. } => {}
        }
        s
    }
}
