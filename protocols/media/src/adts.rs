//! ADTS: the Audio Data Transport Stream framing of AAC (ISO/IEC 13818-7 §6.2, ISO/IEC
//! 14496-3 §1.A.2) used by MPEG-TS, HLS and `.aac` files. Frames carry raw AAC access units;
//! Weir's [`Frame`](crate::Frame)s carry them without the header and the
//! [`AudioSpecificConfig`] separately, so ingest strips headers and delivery adds them.

use crate::Error;
use crate::aac::{AudioSpecificConfig, SamplingFrequency};
use crate::bits::{BitReader, BitWriter};
use crate::rules::{
    AAC_SAMPLING_INDEX, ADTS_FRAME_LENGTH, ADTS_LAYER, ADTS_PROFILE, ADTS_SYNCWORD, ADTS_TRUNCATED,
};

/// Bytes of an ADTS header without CRC.
pub const HEADER_LEN: usize = 7;

/// One ADTS header (`adts_fixed_header` and `adts_variable_header`, §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsHeader {
    /// `ID`: true for MPEG-2 AAC, false for MPEG-4.
    pub mpeg2: bool,
    /// `protection_absent` is 0: a CRC follows the header.
    pub has_crc: bool,
    /// `profile_ObjectType`: the audio object type minus one (0-3).
    pub profile: u8,
    /// `sampling_frequency_index` (0-12).
    pub sampling_index: u8,
    /// `private_bit`: free for private use, ignored by decoders.
    pub private_bit: bool,
    /// `channel_configuration` (0-7).
    pub channel_configuration: u8,
    /// `original_copy`: set on an original, clear on a copy.
    pub original_copy: bool,
    /// `home`.
    pub home: bool,
    /// `copyright_identification_bit`: one bit of the 72-bit copyright identifier, which
    /// consecutive frames carry in turn.
    pub copyright_id_bit: bool,
    /// `copyright_identification_start`: this frame's `copyright_id_bit` is the first
    /// bit of the identifier.
    pub copyright_id_start: bool,
    /// `aac_frame_length`: header, CRC and payload bytes.
    pub frame_length: u16,
    /// `adts_buffer_fullness` (0x7FF: variable bit rate).
    pub buffer_fullness: u16,
    /// `number_of_raw_data_blocks_in_frame` plus one.
    pub raw_data_blocks: u8,
    /// `crc_check`, when present.
    pub crc: Option<u16>,
}

impl AdtsHeader {
    /// Header length: 7 bytes, plus 2 for the CRC, plus 2 per further raw data block position
    /// when a multi-block frame is protected (§6.2.2 `adts_header_error_check`).
    pub fn header_len(&self) -> usize {
        match (self.has_crc, self.raw_data_blocks) {
            (false, _) => HEADER_LEN,
            (true, blocks) => HEADER_LEN + 2 * usize::from(blocks.max(1)),
        }
    }

    /// Parses a header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let mut r = BitReader::new(data, &ADTS_TRUNCATED);
        let sync = r.u(12, "syncword")?;
        if sync != 0xfff {
            return Err(Error::rule(
                &ADTS_SYNCWORD,
                0,
                format!("syncword {sync:#05x}, not 0xfff"),
            ));
        }
        let mpeg2 = r.flag("ID")?;
        let layer = r.u(2, "layer")?;
        if layer != 0 {
            return Err(Error::rule(&ADTS_LAYER, 1, format!("layer {layer}, not 0")));
        }
        let has_crc = !r.flag("protection_absent")?;
        let profile = r.u(2, "profile_ObjectType")? as u8;
        let sampling_index = r.u(4, "sampling_frequency_index")? as u8;
        if sampling_index > 12 {
            return Err(Error::rule(
                &AAC_SAMPLING_INDEX,
                2,
                format!("sampling_frequency_index {sampling_index} is reserved"),
            ));
        }
        let mut header = AdtsHeader {
            mpeg2,
            has_crc,
            profile,
            sampling_index,
            private_bit: r.flag("private_bit")?,
            channel_configuration: r.u(3, "channel_configuration")? as u8,
            original_copy: r.flag("original_copy")?,
            home: r.flag("home")?,
            copyright_id_bit: r.flag("copyright_identification_bit")?,
            copyright_id_start: r.flag("copyright_identification_start")?,
            frame_length: r.u(13, "aac_frame_length")? as u16,
            buffer_fullness: r.u(11, "adts_buffer_fullness")? as u16,
            raw_data_blocks: r.u(2, "number_of_raw_data_blocks_in_frame")? as u8 + 1,
            crc: None,
        };
        if usize::from(header.frame_length) < header.header_len() {
            return Err(Error::rule(
                &ADTS_FRAME_LENGTH,
                3,
                format!(
                    "aac_frame_length {} is shorter than the {}-byte header",
                    header.frame_length,
                    header.header_len()
                ),
            ));
        }
        if has_crc {
            r.skip(
                16 * (usize::from(header.raw_data_blocks) - 1),
                "raw_data_block_position",
            )?;
            header.crc = Some(r.u16("crc_check")?);
        }
        Ok(header)
    }

    /// Writes the header (and its CRC field, when `has_crc`; multi-block positions as zero).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = BitWriter::new();
        w.put(12, 0xfff);
        w.flag(self.mpeg2);
        w.put(2, 0);
        w.flag(!self.has_crc);
        w.put(2, self.profile.into());
        w.put(4, self.sampling_index.into());
        w.flag(self.private_bit);
        w.put(3, self.channel_configuration.into());
        w.flag(self.original_copy);
        w.flag(self.home);
        w.flag(self.copyright_id_bit);
        w.flag(self.copyright_id_start);
        w.put(13, self.frame_length.into());
        w.put(11, self.buffer_fullness.into());
        w.put(2, u64::from(self.raw_data_blocks.clamp(1, 4) - 1));
        if self.has_crc {
            w.put(16 * (u32::from(self.raw_data_blocks.clamp(1, 4)) - 1), 0);
            w.put(16, self.crc.unwrap_or(0).into());
        }
        w.finish()
    }

    /// The AudioSpecificConfig this header implies (object type = profile + 1).
    pub fn audio_specific_config(&self) -> AudioSpecificConfig {
        AudioSpecificConfig::new(
            self.profile + 1,
            SamplingFrequency::Index(self.sampling_index),
            self.channel_configuration,
        )
    }

    /// A header for one raw access unit of `payload_len` bytes coded as `config` says.
    ///
    /// ADTS carries the core config only: an HE-AAC config yields its AAC-LC core, with SBR
    /// implicit. Object types above 4, explicit frequencies outside the table, channel
    /// configurations above 7 and frames over 8191 bytes cannot be carried.
    pub fn for_payload(config: &AudioSpecificConfig, payload_len: usize) -> Result<Self, Error> {
        let fail = |detail: String| Error::rule(&ADTS_PROFILE, 0, detail);
        if !(1..=4).contains(&config.object_type) {
            return Err(fail(format!(
                "audio object type {} cannot be carried in ADTS",
                config.object_type
            )));
        }
        let sampling_index = config.sampling.index().filter(|&i| i < 13).ok_or_else(|| {
            fail(format!(
                "sampling frequency {} Hz has no ADTS index",
                config.sampling.hz()
            ))
        })?;
        if config.channel_configuration > 7 {
            return Err(fail(format!(
                "channel configuration {} cannot be carried in ADTS",
                config.channel_configuration
            )));
        }
        let frame_length = u16::try_from(payload_len + HEADER_LEN)
            .ok()
            .filter(|&l| l < 1 << 13)
            .ok_or_else(|| {
                Error::rule(
                    &ADTS_FRAME_LENGTH,
                    0,
                    format!("a {payload_len}-byte payload does not fit a 13-bit frame length"),
                )
            })?;
        Ok(AdtsHeader {
            mpeg2: false,
            has_crc: false,
            profile: config.object_type - 1,
            sampling_index,
            private_bit: false,
            channel_configuration: config.channel_configuration,
            original_copy: false,
            home: false,
            copyright_id_bit: false,
            copyright_id_start: false,
            frame_length,
            buffer_fullness: 0x7ff,
            raw_data_blocks: 1,
            crc: None,
        })
    }
}

/// Prefixes one raw AAC access unit with an ADTS header built from `config`.
pub fn raw_to_adts(config: &AudioSpecificConfig, raw: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = AdtsHeader::for_payload(config, raw.len())?.to_bytes();
    out.extend_from_slice(raw);
    Ok(out)
}

/// One ADTS frame found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdtsFrame<'a> {
    /// The frame's header, as parsed.
    pub header: AdtsHeader,
    /// Offset of the header in the buffer.
    pub offset: usize,
    /// The raw data block(s) after the header and CRC.
    pub payload: &'a [u8],
}

/// Iterator over the ADTS frames of a buffer of consecutive frames.
///
/// Bytes that are not a valid header where one is due yield one error (naming
/// `media.adts.syncword` and the offset) and the iterator resynchronises on the next valid
/// header; a frame cut short by the end of the buffer yields `media.adts.truncated` and ends.
#[derive(Debug, Clone)]
pub struct AdtsFrames<'a> {
    data: &'a [u8],
    offset: usize,
}

/// The ADTS frames of `data`.
pub fn adts_frames(data: &[u8]) -> AdtsFrames<'_> {
    AdtsFrames { data, offset: 0 }
}

impl<'a> Iterator for AdtsFrames<'a> {
    type Item = Result<AdtsFrame<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.get(self.offset..).filter(|r| !r.is_empty())?;
        match AdtsHeader::parse(rest) {
            Ok(header) => {
                let start = self.offset;
                let Some(frame) = rest.get(..usize::from(header.frame_length)) else {
                    self.offset = self.data.len();
                    return Some(Err(Error::rule(
                        &ADTS_TRUNCATED,
                        start as u64,
                        format!(
                            "aac_frame_length {} with only {} bytes left",
                            header.frame_length,
                            rest.len()
                        ),
                    )));
                };
                self.offset += frame.len();
                let payload = frame.get(header.header_len()..).unwrap_or_default();
                Some(Ok(AdtsFrame {
                    header,
                    offset: start,
                    payload,
                }))
            }
            Err(e) if e.rule == Some(&ADTS_TRUNCATED) => {
                let start = self.offset;
                self.offset = self.data.len();
                Some(Err(e.shifted(start as u64)))
            }
            Err(e) => {
                let start = self.offset;
                // Resynchronise: the next 0xFFF that starts a valid header.
                let skip = (1..rest.len())
                    .find(|&i| {
                        rest.get(i..).is_some_and(|r| {
                            matches!(r, [0xff, b, ..] if b & 0xf0 == 0xf0)
                                && AdtsHeader::parse(r).is_ok()
                        })
                    })
                    .unwrap_or(rest.len());
                self.offset += skip;
                Some(Err(Error::rule(
                    &ADTS_SYNCWORD,
                    start as u64,
                    format!(
                        "{} bytes without a valid ADTS header skipped ({})",
                        skip, e.detail
                    ),
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avc::tests::hex;
    use proptest::prelude::*;

    /// The first frame of ffmpeg 5.1's native AAC encoder, `-f adts`, 44100 Hz stereo LC:
    /// header `fff150802b3ffc`, 345 bytes (ffprobe: aac LC 44100 Hz 2 channels).
    const FFMPEG_HEADER: &str = "fff150802b3ffc";

    #[test]
    fn parses_ffmpeg_header() {
        let header = AdtsHeader::parse(&hex(FFMPEG_HEADER)).unwrap();
        assert_eq!(
            (header.mpeg2, header.has_crc, header.profile),
            (false, false, 1)
        );
        assert_eq!(
            (header.sampling_index, header.channel_configuration),
            (4, 2)
        );
        assert_eq!(
            (
                header.frame_length,
                header.buffer_fullness,
                header.raw_data_blocks
            ),
            (345, 0x7ff, 1)
        );
        assert_eq!(header.header_len(), 7);
        assert_eq!(
            header.audio_specific_config().to_bytes().unwrap(),
            [0x12, 0x10]
        );
        assert_eq!(header.to_bytes(), hex(FFMPEG_HEADER));
    }

    #[test]
    fn header_with_crc() {
        let config = AudioSpecificConfig::new(2, SamplingFrequency::Index(3), 1);
        let mut header = AdtsHeader::for_payload(&config, 100).unwrap();
        header.has_crc = true;
        header.crc = Some(0xbeef);
        header.frame_length = 109;
        let bytes = header.to_bytes();
        assert_eq!(bytes.len(), 9);
        assert_eq!(&bytes[7..], &[0xbe, 0xef]);
        assert_eq!(AdtsHeader::parse(&bytes).unwrap(), header);
        let mut frame = bytes;
        frame.extend_from_slice(&[0x55; 100]);
        let frames: Vec<_> = adts_frames(&frame).collect::<Result<_, _>>().unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].payload, &[0x55; 100]);
    }

    #[test]
    fn splits_resyncs_and_reports() {
        let config = AudioSpecificConfig::new(2, SamplingFrequency::Index(4), 2);
        let mut data = b"junk".to_vec();
        data.extend(raw_to_adts(&config, &[1, 2, 3]).unwrap());
        data.extend(raw_to_adts(&config, &[4; 10]).unwrap());
        data.extend_from_slice(&[0xff, 0xf3, 0x00]); // layer 1: not a header
        data.extend(raw_to_adts(&config, &[5]).unwrap());
        data.extend(&raw_to_adts(&config, &[6; 20]).unwrap()[..12]);
        let items: Vec<_> = adts_frames(&data).collect();
        assert_eq!(items.len(), 6);
        let e = items[0].as_ref().unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("media.adts.syncword", 0));
        assert!(e.detail.starts_with("4 bytes"), "{e}");
        let frame = items[1].as_ref().unwrap();
        assert_eq!(
            (
                frame.offset,
                frame.payload,
                frame.header.audio_specific_config()
            ),
            (4, &[1u8, 2, 3][..], config.clone())
        );
        assert_eq!(items[2].as_ref().unwrap().payload, &[4; 10]);
        let e = items[3].as_ref().unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("media.adts.syncword", 31));
        assert_eq!(items[4].as_ref().unwrap().payload, &[5]);
        let e = items[5].as_ref().unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("media.adts.truncated", 42));
    }

    #[test]
    fn writer_refuses_what_adts_cannot_carry() {
        let he = AudioSpecificConfig::parse(&hex("2b920800")).unwrap();
        // HE-AAC goes out as its LC core (22050 Hz), SBR implicit.
        let header = AdtsHeader::for_payload(&he, 10).unwrap();
        assert_eq!((header.profile, header.sampling_index), (1, 7));
        let usac = AudioSpecificConfig::new(42, SamplingFrequency::Index(3), 2);
        assert_eq!(
            AdtsHeader::for_payload(&usac, 10).unwrap_err().rule_id(),
            "media.adts.profile"
        );
        let odd = AudioSpecificConfig::new(2, SamplingFrequency::Explicit(50_000), 2);
        assert_eq!(
            AdtsHeader::for_payload(&odd, 10).unwrap_err().rule_id(),
            "media.adts.profile"
        );
        let lc = AudioSpecificConfig::new(2, SamplingFrequency::Explicit(48_000), 2);
        assert_eq!(AdtsHeader::for_payload(&lc, 10).unwrap().sampling_index, 3);
        assert_eq!(
            AdtsHeader::for_payload(&lc, 8185).unwrap_err().rule_id(),
            "media.adts.frame-length"
        );
    }

    #[test]
    fn header_errors() {
        let mut bad = hex(FFMPEG_HEADER);
        bad[1] = 0xf3; // layer 1
        assert_eq!(
            AdtsHeader::parse(&bad).unwrap_err().rule_id(),
            "media.adts.layer"
        );
        let mut bad = hex(FFMPEG_HEADER);
        bad[2] = 0x7c; // sampling index 15
        assert_eq!(
            AdtsHeader::parse(&bad).unwrap_err().rule_id(),
            "media.aac.sampling-index"
        );
        let mut bad = hex(FFMPEG_HEADER);
        bad[3] = 0x80;
        bad[4] = 0x00;
        bad[5] = 0x1f; // frame length 0
        assert_eq!(
            AdtsHeader::parse(&bad).unwrap_err().rule_id(),
            "media.adts.frame-length"
        );
        assert_eq!(
            AdtsHeader::parse(&hex("fff150")).unwrap_err().rule_id(),
            "media.adts.truncated"
        );
    }

    proptest! {
        #[test]
        fn raw_adts_round_trip(
            object_type in 1u8..5,
            index in 0u8..13,
            channels in 0u8..8,
            frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..6),
        ) {
            let config = AudioSpecificConfig::new(object_type, SamplingFrequency::Index(index), channels);
            let mut stream = Vec::new();
            for raw in &frames {
                let adts = raw_to_adts(&config, raw).unwrap();
                prop_assert_eq!(AdtsHeader::parse(&adts).unwrap().to_bytes(), &adts[..7]);
                stream.extend(adts);
            }
            let parsed: Vec<AdtsFrame<'_>> = adts_frames(&stream).collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(parsed.len(), frames.len());
            for (frame, raw) in parsed.iter().zip(&frames) {
                prop_assert_eq!(frame.payload, &raw[..]);
                prop_assert_eq!(frame.header.audio_specific_config(), config.clone());
            }
        }

        #[test]
        fn no_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut covered = 0;
            for frame in adts_frames(&data).flatten() {
                covered += frame.header.frame_length as usize;
                prop_assert!(frame.offset + frame.header.frame_length as usize <= data.len());
            }
            prop_assert!(covered <= data.len());
        }
    }
}
