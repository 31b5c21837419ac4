//! The audio tag body: legacy AudioTagHeader (FLV 10.1 §E.4.2.1) and Enhanced RTMP's
//! ExAudioTagHeader (E-RTMP v2 §ExAudioTagHeader), parse and write.

use crate::enhanced::{Codes, ExBody, FourCc, PacketType};
use crate::{Error, rules};
use bytes::{BufMut, Bytes, BytesMut};
use weir_media::Reader;
use weir_media::Violation;

/// Legacy SoundFormat values (FLV 10.1 §E.4.2.1); 9 announces an ExAudioTagHeader instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoundFormat {
    /// 0: linear PCM in the byte order of the platform that wrote the file.
    PcmPlatformEndian = 0,
    /// 1: ADPCM (SWF's).
    Adpcm = 1,
    /// 2: MP3.
    Mp3 = 2,
    /// 3: linear PCM, little-endian.
    PcmLittleEndian = 3,
    /// 4: Nellymoser, 16 kHz mono.
    Nellymoser16kMono = 4,
    /// 5: Nellymoser, 8 kHz mono.
    Nellymoser8kMono = 5,
    /// 6: Nellymoser, at the SoundRate given.
    Nellymoser = 6,
    /// 7: G.711 A-law PCM.
    G711ALaw = 7,
    /// 8: G.711 µ-law PCM.
    G711MuLaw = 8,
    /// 10: AAC; an [`AacPacketType`] byte follows the header.
    Aac = 10,
    /// 11: Speex.
    Speex = 11,
    /// 14: MP3 at 8 kHz.
    Mp3At8k = 14,
    /// 15: device-specific sound.
    DeviceSpecific = 15,
}

impl SoundFormat {
    /// SoundFormat 9: the tag carries an ExAudioTagHeader.
    pub const EX_HEADER: u8 = 9;

    fn from_nibble(v: u8) -> Option<Self> {
        use SoundFormat::*;
        Some(match v {
            0 => PcmPlatformEndian,
            1 => Adpcm,
            2 => Mp3,
            3 => PcmLittleEndian,
            4 => Nellymoser16kMono,
            5 => Nellymoser8kMono,
            6 => Nellymoser,
            7 => G711ALaw,
            8 => G711MuLaw,
            10 => Aac,
            11 => Speex,
            14 => Mp3At8k,
            15 => DeviceSpecific,
            _ => return None,
        })
    }
}

/// The AAC packet type byte that follows the legacy header for SoundFormat 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AacPacketType {
    /// The body is an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
    SequenceHeader = 0,
    /// The body is one raw AAC access unit.
    Raw = 1,
}

/// A legacy audio tag: one header byte (two for AAC) and the codec's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyAudio {
    /// SoundFormat: the codec.
    pub format: SoundFormat,
    /// SoundRate: 0 = 5.5 kHz, 1 = 11 kHz, 2 = 22 kHz, 3 = 44 kHz.
    pub rate: u8,
    /// SoundSize: 16-bit samples (else 8-bit).
    pub sixteen_bit: bool,
    /// SoundType: stereo (else mono).
    pub stereo: bool,
    /// Present exactly when `format` is AAC.
    pub aac_packet_type: Option<AacPacketType>,
    /// The codec's data after the header byte(s); a view of the tag body.
    pub data: Bytes,
}

impl LegacyAudio {
    /// The header byte, as FLV 10.1 §E.4.2.1 packs it.
    pub fn header_byte(&self) -> u8 {
        (self.format as u8) << 4
            | (self.rate & 3) << 2
            | u8::from(self.sixteen_bit) << 1
            | u8::from(self.stereo)
    }
}

/// Enhanced AudioPacketType values that describe a payload (Multitrack 5 and ModEx 7 are
/// consumed while parsing the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioPacketType {
    /// The payload is the codec's configuration (AudioSpecificConfig for mp4a, OpusHead for
    /// Opus, the FLAC STREAMINFO for fLaC).
    SequenceStart = 0,
    /// The payload is one or more coded audio frames.
    CodedFrames = 1,
    /// The end of the sequence: no payload.
    SequenceEnd = 2,
    /// The payload is a [`MultichannelConfig`].
    MultichannelConfig = 4,
}

impl PacketType for AudioPacketType {
    const CODES: Codes = Codes {
        mod_ex: 7,
        multitrack: 5,
    };
    const RULE: &'static weir_media::Rule = &rules::AUDIO_PACKET_TYPE;
    const FOURCC_RULE: &'static weir_media::Rule = &rules::AUDIO_FOURCC;

    fn from_nibble(v: u8) -> Option<Self> {
        match v {
            0 => Some(AudioPacketType::SequenceStart),
            1 => Some(AudioPacketType::CodedFrames),
            2 => Some(AudioPacketType::SequenceEnd),
            4 => Some(AudioPacketType::MultichannelConfig),
            _ => None,
        }
    }

    fn nibble(self) -> u8 {
        self as u8
    }

    fn has_composition_time(self, _: FourCc) -> bool {
        false
    }
}

/// One audio tag body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioTag {
    /// SoundFormat 0-15 except 9: the FLV 10.1 header.
    Legacy(LegacyAudio),
    /// SoundFormat 9: an ExAudioTagHeader and its tracks.
    Enhanced(ExBody<AudioPacketType>),
}

/// The enhanced audio codecs E-RTMP v2 defines.
pub const AUDIO_FOURCCS: [FourCc; 6] = [
    FourCc::AC3,
    FourCc::EAC3,
    FourCc::OPUS,
    FourCc::MP3,
    FourCc::FLAC,
    FourCc::MP4A,
];

impl AudioTag {
    /// Parses a tag body; offsets in errors are within `body`. The payload is a view of `body`.
    pub fn parse(body: &Bytes) -> Result<AudioTag, Error> {
        let mut cur = Reader::of(body, &rules::AUDIO_HEADER);
        let first = cur.u8("SoundFormat")?;
        if first >> 4 == SoundFormat::EX_HEADER {
            return Ok(AudioTag::Enhanced(ExBody::read(&mut cur, first & 0x0f)?));
        }
        let format = SoundFormat::from_nibble(first >> 4).ok_or_else(|| {
            Error::rule(
                &rules::AUDIO_SOUND_FORMAT,
                0,
                format!("SoundFormat {} is reserved", first >> 4),
            )
        })?;
        let aac_packet_type = match format {
            SoundFormat::Aac => match cur.u8("AACPacketType")? {
                0 => Some(AacPacketType::SequenceHeader),
                1 => Some(AacPacketType::Raw),
                other => {
                    return Err(Error::rule(
                        &rules::AAC_PACKET_TYPE,
                        1,
                        format!("AACPacketType {other} is not 0 or 1"),
                    ));
                }
            },
            _ => None,
        };
        Ok(AudioTag::Legacy(LegacyAudio {
            format,
            rate: (first >> 2) & 3,
            sixteen_bit: first & 2 != 0,
            stereo: first & 1 != 0,
            aac_packet_type,
            data: cur.view_rest(),
        }))
    }

    /// Requirements a parsed tag can break without being unreadable (SHOULD-level or
    /// liberal-accept rules); offsets are within the body.
    pub fn violations(&self) -> Vec<Violation> {
        let mut found = Vec::new();
        match self {
            AudioTag::Legacy(legacy) => {
                // §E.4.2.1 asks AAC for SoundRate 3 and SoundType 1 only: SoundSize "only
                // pertains to uncompressed formats", so 0xad is as good as 0xaf.
                if legacy.format == SoundFormat::Aac && (legacy.rate != 3 || !legacy.stereo) {
                    found.push(Violation::new(
                        &rules::AAC_FLAGS,
                        0,
                        format!(
                            "AAC header byte {:#04x}: SoundRate {} and SoundType {}, expected 3 and 1",
                            legacy.header_byte(),
                            legacy.rate,
                            u8::from(legacy.stereo)
                        ),
                    ));
                }
            }
            AudioTag::Enhanced(body) => {
                for track in body
                    .tracks
                    .iter()
                    .filter(|t| !AUDIO_FOURCCS.contains(&t.fourcc))
                {
                    found.push(Violation::new(
                        &rules::AUDIO_FOURCC,
                        0,
                        format!(
                            "unknown audio FourCC '{}' on track {}",
                            track.fourcc, track.track_id
                        ),
                    ));
                }
                // A MultichannelConfig payload has a layout of its own (E-RTMP v2
                // §ExAudioTagBody); no frame comes of it, so a bad one is reported, not fatal.
                if body.packet_type == AudioPacketType::MultichannelConfig {
                    for track in &body.tracks {
                        if let Err(e) = MultichannelConfig::parse(&track.data) {
                            found.push(Violation::new(
                                &rules::AUDIO_MULTICHANNEL,
                                0,
                                format!("track {}: {}", track.track_id, e.detail),
                            ));
                        }
                    }
                }
            }
        }
        found
    }

    /// Appends the tag body to `out`.
    pub fn write(&self, out: &mut BytesMut) -> Result<(), Error> {
        match self {
            AudioTag::Legacy(legacy) => {
                if (legacy.format == SoundFormat::Aac) != legacy.aac_packet_type.is_some() {
                    return Err(Error::usage(
                        "an AAC packet type goes with AAC, and only with AAC",
                    ));
                }
                out.put_u8(legacy.header_byte());
                if let Some(kind) = legacy.aac_packet_type {
                    out.put_u8(kind as u8);
                }
                out.extend_from_slice(&legacy.data);
                Ok(())
            }
            AudioTag::Enhanced(body) => body.write(out, SoundFormat::EX_HEADER),
        }
    }

    /// The tag body as bytes; the errors of [`AudioTag::write`].
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        let mut out = BytesMut::new();
        self.write(&mut out)?;
        Ok(out.freeze())
    }
}

/// How a MultichannelConfig payload maps channels to speakers (E-RTMP v2
/// §AudioChannelOrder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelMapping {
    /// Order 0: only the channel count is known.
    Unspecified,
    /// Order 1: native order, a 32-bit AudioChannelMask of the speakers present.
    Native(u32),
    /// Order 2: one AudioChannel byte per channel.
    Custom(Bytes),
}

/// The payload of an AudioPacketType MultichannelConfig packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultichannelConfig {
    /// `channelCount`: the number of audio channels.
    pub channel_count: u8,
    /// `AudioChannelOrder` and, for orders 1 and 2, the mapping that follows it.
    pub mapping: ChannelMapping,
}

impl MultichannelConfig {
    /// Parses a MultichannelConfig payload; a reserved order or a short payload is an error
    /// naming `flv.audio.multichannel-config`.
    pub fn parse(data: &Bytes) -> Result<Self, Error> {
        let mut cur = Reader::of(data, &rules::AUDIO_MULTICHANNEL);
        let order = cur.u8("AudioChannelOrder")?;
        let channel_count = cur.u8("channelCount")?;
        let mapping = match order {
            0 => ChannelMapping::Unspecified,
            1 => ChannelMapping::Native(cur.u32("audioChannelFlags")?),
            2 => ChannelMapping::Custom(cur.view(channel_count.into(), "audioChannelMapping")?),
            other => {
                return Err(Error::rule(
                    &rules::AUDIO_MULTICHANNEL,
                    0,
                    format!("AudioChannelOrder {other} is reserved"),
                ));
            }
        };
        Ok(MultichannelConfig {
            channel_count,
            mapping,
        })
    }

    /// Appends the payload to `out`; a custom mapping whose length is not `channel_count`
    /// is a usage error.
    pub fn write(&self, out: &mut BytesMut) -> Result<(), Error> {
        match &self.mapping {
            ChannelMapping::Unspecified => out.put_slice(&[0, self.channel_count]),
            ChannelMapping::Native(mask) => {
                out.put_slice(&[1, self.channel_count]);
                out.put_u32(*mask);
            }
            ChannelMapping::Custom(map) => {
                if map.len() != usize::from(self.channel_count) {
                    return Err(Error::usage(
                        "a custom channel mapping has one byte per channel",
                    ));
                }
                out.put_slice(&[2, self.channel_count]);
                out.extend_from_slice(map);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multichannel_config_layouts() {
        let cases: [(&[u8], MultichannelConfig); 3] = [
            (
                &[0, 6],
                MultichannelConfig {
                    channel_count: 6,
                    mapping: ChannelMapping::Unspecified,
                },
            ),
            (
                &[1, 2, 0, 0, 0, 3],
                MultichannelConfig {
                    channel_count: 2,
                    mapping: ChannelMapping::Native(3),
                },
            ),
            (
                &[2, 2, 0, 1],
                MultichannelConfig {
                    channel_count: 2,
                    mapping: ChannelMapping::Custom(Bytes::from_static(&[0, 1])),
                },
            ),
        ];
        for (bytes, expected) in cases {
            let parsed = MultichannelConfig::parse(&Bytes::copy_from_slice(bytes)).unwrap();
            assert_eq!(parsed, expected);
            let mut out = BytesMut::new();
            parsed.write(&mut out).unwrap();
            assert_eq!(out.as_ref(), bytes);
        }
        let e = MultichannelConfig::parse(&Bytes::from_static(&[2, 3, 0])).unwrap_err();
        assert_eq!(
            (e.rule.unwrap().id, e.offset),
            ("flv.audio.multichannel-config", 2)
        );
    }

    #[test]
    fn enhanced_multichannel_packet() {
        // ExHeader, MultichannelConfig(4), Opus, unspecified order, 2 channels.
        let body = Bytes::from_static(&[0x94, b'O', b'p', b'u', b's', 0, 2]);
        let AudioTag::Enhanced(ex) = AudioTag::parse(&body).unwrap() else {
            panic!()
        };
        assert_eq!(ex.packet_type, AudioPacketType::MultichannelConfig);
        assert_eq!(
            MultichannelConfig::parse(&ex.tracks[0].data)
                .unwrap()
                .channel_count,
            2
        );
    }

    #[test]
    fn reserved_sound_format_is_an_error() {
        let e = AudioTag::parse(&Bytes::from_static(&[0xc0])).unwrap_err();
        assert_eq!(e.rule.unwrap().id, "flv.audio.sound-format");
    }
}
