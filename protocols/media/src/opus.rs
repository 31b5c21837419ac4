//! Opus: the identification header `OpusHead` (RFC 7845 §5.1, also the codec configuration of
//! Enhanced RTMP, MP4 `dOps` aside) and packet durations from the TOC byte (RFC 6716 §3.1).

use crate::Error;
use crate::rules::{
    OPUS_CHANNELS, OPUS_MAGIC, OPUS_MAPPING, OPUS_PACKET, OPUS_SYNTAX, OPUS_VERSION,
};

const MAGIC: &[u8; 8] = b"OpusHead";

/// The Opus identification header (RFC 7845 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusHead {
    /// The version byte; the upper four bits (major version) are 0.
    pub version: u8,
    /// Output channel count.
    pub channels: u8,
    /// Samples at 48 kHz to discard from the decoder output at the start.
    pub pre_skip: u16,
    /// The sample rate of the original input (informational; Opus always decodes at 48 kHz).
    pub input_sample_rate: u32,
    /// Output gain in Q7.8 dB.
    pub output_gain: i16,
    /// The channel mapping family and, for families other than 0, its table.
    pub mapping: ChannelMapping,
}

/// How coded streams map to output channels (RFC 7845 §5.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelMapping {
    /// Family 0: one stream, mono or coupled stereo.
    MonoOrStereo,
    /// Families 1 (Vorbis order, up to 8 channels), 255 (undefined order) and others: a table.
    Table {
        /// `channel_mapping_family` (1, 255 or another non-zero value).
        family: u8,
        /// Number of Opus streams in each packet.
        streams: u8,
        /// How many of them are coupled (stereo).
        coupled: u8,
        /// For each output channel, the decoded channel it takes (255: silence).
        mapping: Vec<u8>,
    },
}

impl OpusHead {
    /// Parses the header. Bytes after the mapping table are ignored (§5.1).
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        if data.get(..8) != Some(MAGIC) {
            return Err(Error::rule(
                &OPUS_MAGIC,
                0,
                "does not start with \"OpusHead\"",
            ));
        }
        let fixed = data.get(8..19).ok_or_else(|| {
            Error::rule(
                &OPUS_SYNTAX,
                (data.len()) as u64,
                format!("{} bytes, the fixed header needs 19", data.len()),
            )
        })?;
        let version = fixed[0];
        if version >> 4 != 0 {
            return Err(Error::rule(
                &OPUS_VERSION,
                8,
                format!("version {version} has major version {}", version >> 4),
            ));
        }
        let channels = fixed[1];
        let family = fixed[10];
        let mapping = match family {
            0 => ChannelMapping::MonoOrStereo,
            _ => {
                let table = data.get(19..21).ok_or_else(|| {
                    Error::rule(
                        &OPUS_SYNTAX,
                        19,
                        format!("mapping family {family} without stream counts"),
                    )
                })?;
                let mapping = data.get(21..21 + usize::from(channels)).ok_or_else(|| {
                    Error::rule(
                        &OPUS_SYNTAX,
                        21,
                        format!("mapping table of {channels} channels is truncated"),
                    )
                })?;
                ChannelMapping::Table {
                    family,
                    streams: table[0],
                    coupled: table[1],
                    mapping: mapping.to_vec(),
                }
            }
        };
        let head = OpusHead {
            version,
            channels,
            pre_skip: u16::from_le_bytes([fixed[2], fixed[3]]),
            input_sample_rate: u32::from_le_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            output_gain: i16::from_le_bytes([fixed[8], fixed[9]]),
            mapping,
        };
        head.validate()?;
        Ok(head)
    }

    /// Checks the channel count and mapping rules (§5.1.1).
    fn validate(&self) -> Result<(), Error> {
        let channels = self.channels;
        let family = match &self.mapping {
            ChannelMapping::MonoOrStereo => 0,
            ChannelMapping::Table { family: 0, .. } => {
                return Err(Error::rule(
                    &OPUS_MAPPING,
                    18,
                    "mapping family 0 has no mapping table",
                ));
            }
            ChannelMapping::Table { family, .. } => *family,
        };
        let channels_ok = match family {
            0 => (1..=2).contains(&channels),
            1 => (1..=8).contains(&channels),
            _ => channels >= 1,
        };
        if !channels_ok {
            return Err(Error::rule(
                &OPUS_CHANNELS,
                9,
                format!("{channels} channels with mapping family {family}"),
            ));
        }
        if let ChannelMapping::Table {
            streams,
            coupled,
            mapping,
            ..
        } = &self.mapping
        {
            let decoded = u16::from(*streams) + u16::from(*coupled);
            if *streams == 0 || coupled > streams || decoded > 255 {
                return Err(Error::rule(
                    &OPUS_MAPPING,
                    19,
                    format!("{streams} streams with {coupled} coupled"),
                ));
            }
            if mapping.len() != usize::from(channels) {
                return Err(Error::rule(
                    &OPUS_MAPPING,
                    21,
                    format!("{} mapping entries for {channels} channels", mapping.len()),
                ));
            }
            if let Some(i) = mapping
                .iter()
                .position(|&m| m != 255 && u16::from(m) >= decoded)
            {
                return Err(Error::rule(
                    &OPUS_MAPPING,
                    (21 + i) as u64,
                    format!(
                        "channel {i} maps to decoded channel {}, beyond the {decoded} decoded channels",
                        mapping[i]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Writes the header; fails, naming the rule, for a header [`OpusHead::parse`] would reject.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        self.validate()?;
        if self.version >> 4 != 0 {
            return Err(Error::rule(&OPUS_VERSION, 8, "major version is not 0"));
        }
        let mut out = Vec::with_capacity(21 + usize::from(self.channels));
        out.extend_from_slice(MAGIC);
        out.push(self.version);
        out.push(self.channels);
        out.extend_from_slice(&self.pre_skip.to_le_bytes());
        out.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        out.extend_from_slice(&self.output_gain.to_le_bytes());
        match &self.mapping {
            ChannelMapping::MonoOrStereo => out.push(0),
            ChannelMapping::Table {
                family,
                streams,
                coupled,
                mapping,
            } => {
                out.extend_from_slice(&[*family, *streams, *coupled]);
                out.extend_from_slice(mapping);
            }
        }
        Ok(out)
    }
}

/// Samples at 48 kHz of one frame of the configuration in a TOC byte (RFC 6716 §3.1,
/// Table 2): SILK 10/20/40/60 ms, Hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
pub fn frame_samples(toc: u8) -> u32 {
    let config = toc >> 3;
    let ms_tenths = match config {
        0..=11 => [100, 200, 400, 600][usize::from(config % 4)],
        12..=15 => [100, 200][usize::from(config % 2)],
        _ => [25, 50, 100, 200][usize::from(config % 4)],
    };
    ms_tenths * 48 / 10
}

/// Samples at 48 kHz of a whole packet: frames per packet (§3.2) times the frame duration.
pub fn packet_samples(packet: &[u8]) -> Result<u32, Error> {
    let (&toc, rest) = packet
        .split_first()
        .ok_or_else(|| Error::rule(&OPUS_PACKET, 0, "empty packet: no TOC byte"))?;
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => {
            let count = rest.first().ok_or_else(|| {
                Error::rule(&OPUS_PACKET, 1, "code 3 packet without a frame count byte")
            })? & 0x3f;
            if count == 0 {
                return Err(Error::rule(
                    &OPUS_PACKET,
                    1,
                    "code 3 packet with a frame count of 0",
                ));
            }
            u32::from(count)
        }
    };
    let samples = frames * frame_samples(toc);
    if samples > 5760 {
        return Err(Error::rule(
            &OPUS_PACKET,
            1,
            format!("{frames} frames last {} ms, more than 120 ms", samples / 48),
        ));
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avc::tests::hex;
    use proptest::prelude::*;

    /// libopus via ffmpeg 5.1 (`sine=sample_rate=48000 -c:a libopus -f ogg`): mono,
    /// pre-skip 312, input rate 48000, family 0.
    const LIBOPUS_HEAD: &str = "4f707573486561640101380180bb0000000000";

    #[test]
    fn parses_libopus_head() {
        let head = OpusHead::parse(&hex(LIBOPUS_HEAD)).unwrap();
        assert_eq!(
            head,
            OpusHead {
                version: 1,
                channels: 1,
                pre_skip: 312,
                input_sample_rate: 48000,
                output_gain: 0,
                mapping: ChannelMapping::MonoOrStereo
            }
        );
        assert_eq!(head.to_bytes().unwrap(), hex(LIBOPUS_HEAD));
    }

    #[test]
    fn surround_mapping_and_errors() {
        // 5.1 in Vorbis order (RFC 7845 §5.1.1.2): 4 streams, 2 coupled.
        let head = OpusHead {
            version: 1,
            channels: 6,
            pre_skip: 312,
            input_sample_rate: 44100,
            output_gain: -256,
            mapping: ChannelMapping::Table {
                family: 1,
                streams: 4,
                coupled: 2,
                mapping: vec![0, 4, 1, 2, 3, 5],
            },
        };
        let bytes = head.to_bytes().unwrap();
        assert_eq!(bytes.len(), 27);
        assert_eq!(OpusHead::parse(&bytes).unwrap(), head);
        let mut bad = bytes.clone();
        bad[26] = 6; // beyond 4 + 2 decoded channels
        let e = OpusHead::parse(&bad).unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("media.opus.mapping", 26));
        let mut bad = bytes.clone();
        bad[20] = 5; // more coupled than streams
        assert_eq!(
            OpusHead::parse(&bad).unwrap_err().rule_id(),
            "media.opus.mapping"
        );
        assert_eq!(
            OpusHead::parse(&bytes[..24]).unwrap_err().rule_id(),
            "media.opus.syntax"
        );
        let mut bad = hex(LIBOPUS_HEAD);
        bad[9] = 3; // 3 channels in family 0
        assert_eq!(
            OpusHead::parse(&bad).unwrap_err().rule_id(),
            "media.opus.channels"
        );
        bad[8] = 0x10;
        assert_eq!(
            OpusHead::parse(&bad).unwrap_err().rule_id(),
            "media.opus.version"
        );
        assert_eq!(
            OpusHead::parse(b"OpusTags").unwrap_err().rule_id(),
            "media.opus.magic"
        );
    }

    #[test]
    fn packet_durations() {
        assert_eq!(frame_samples(0x00), 480); // SILK NB 10 ms
        assert_eq!(frame_samples(0x18), 2880); // SILK 60 ms
        assert_eq!(frame_samples(0x78), 960); // Hybrid FB 20 ms
        assert_eq!(frame_samples(0x80), 120); // CELT 2.5 ms
        assert_eq!(frame_samples(0xf8), 960); // CELT FB 20 ms
        assert_eq!(packet_samples(&[0xf8, 0xaa]).unwrap(), 960);
        assert_eq!(packet_samples(&[0xf9]).unwrap(), 1920);
        assert_eq!(packet_samples(&[0xfb, 0x06]).unwrap(), 5760);
        assert_eq!(
            packet_samples(&[0xfb, 0x07]).unwrap_err().rule_id(),
            "media.opus.packet"
        );
        assert_eq!(
            packet_samples(&[0xfb, 0x00]).unwrap_err().rule_id(),
            "media.opus.packet"
        );
        assert_eq!(
            packet_samples(&[0x1b, 0x03]).unwrap_err().rule_id(),
            "media.opus.packet"
        );
        assert_eq!(
            packet_samples(&[]).unwrap_err().rule_id(),
            "media.opus.packet"
        );
    }

    prop_compose! {
        fn head()(
            version in 0u8..16,
            fixed in (any::<u16>(), any::<u32>(), any::<i16>()),
            family in prop_oneof![Just(0u8), Just(1), Just(255), 2u8..255],
            streams in 1u8..10,
            coupled in 0u8..10,
            channels in 1u8..9,
            picks in proptest::collection::vec(any::<u8>(), 8),
        ) -> OpusHead {
            let (channels, mapping) = if family == 0 {
                (channels.min(2), ChannelMapping::MonoOrStereo)
            } else {
                let coupled = coupled.min(streams);
                let decoded = streams + coupled;
                let mapping = picks[..usize::from(channels)].iter().map(|&p| if p == 255 { 255 } else { p % decoded }).collect();
                (channels, ChannelMapping::Table { family, streams, coupled, mapping })
            };
            OpusHead { version, channels, pre_skip: fixed.0, input_sample_rate: fixed.1, output_gain: fixed.2, mapping }
        }
    }

    proptest! {
        #[test]
        fn parse_write_round_trip(head in head()) {
            let bytes = head.to_bytes().unwrap();
            prop_assert_eq!(OpusHead::parse(&bytes).unwrap(), head);
        }

        #[test]
        fn no_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut head = b"OpusHead".to_vec();
            head.extend_from_slice(&data);
            if let Ok(parsed) = OpusHead::parse(&head) {
                prop_assert!(parsed.to_bytes().is_ok());
            }
            if let Ok(samples) = packet_samples(&data) {
                prop_assert!((120..=5760).contains(&samples));
            }
        }
    }
}
