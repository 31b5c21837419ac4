//! AAC through the Fraunhofer FDK AAC library (the `fdk-aac` crate, which compiles the library's
//! own sources with `cc`): a decoder of raw access units under an AudioSpecificConfig
//! (ISO/IEC 14496-3 §1.6.2.1, §4.5.2.1) and an AAC LC encoder that makes them.

use crate::pcm::Pcm;
use crate::rules::{AAC_CONFIG, AAC_FRAME};
use bytes::Bytes;
use fdk_aac::dec::{Decoder, DecoderError, Transport as DecTransport};
use fdk_aac::enc::{AudioObjectType, BitRate, ChannelMode, Encoder, EncoderParams, Transport};
use weir_media::Error;
use weir_media::aac::{AudioSpecificConfig, object_type};

/// Samples per channel in the largest frame FDK outputs (HE-AAC doubles 1024), times the
/// channels it may output before the downmix to two: the decode buffer's size.
const MAX_DECODED: usize = 2048 * 8;

/// The encoder's input frame: 1024 samples per channel (AAC LC, ISO/IEC 14496-3 §4.5.1.1).
pub const AAC_FRAME_SAMPLES: usize = 1024;

/// The largest raw access unit: 6144 bits per channel (ISO/IEC 14496-3 §4.5.3.2).
const MAX_ACCESS_UNIT: usize = 768 * 2;

/// Decodes one AAC track's raw access units to PCM, mixed down to at most two channels.
pub struct AacDecoder {
    decoder: Decoder,
    config: AudioSpecificConfig,
    pcm: Vec<i16>,
}

impl std::fmt::Debug for AacDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AacDecoder")
            .field("config", &self.config)
            .finish()
    }
}

impl AacDecoder {
    /// A decoder for the track `config` (AudioSpecificConfig bytes) configures; the config is
    /// parsed with [`AudioSpecificConfig::parse`] first, so the library only sees one that
    /// parses, of an object type it decodes.
    pub fn new(config: &[u8]) -> Result<Self, Error> {
        let parsed = AudioSpecificConfig::parse(config)
            .map_err(|e| Error::rule(&AAC_CONFIG, e.offset, e.to_string()))?;
        let decodable = matches!(
            parsed.object_type,
            object_type::AAC_LC | object_type::SBR | object_type::PS
        );
        if !decodable {
            return Err(Error::rule(
                &AAC_CONFIG,
                0,
                format!("audio object type {} is not decoded", parsed.object_type),
            ));
        }
        let mut decoder = Decoder::new(DecTransport::Raw);
        decoder
            .config_raw(config)
            .map_err(|e| Error::rule(&AAC_CONFIG, 0, format!("decoder refused it: {e}")))?;
        // Mix 5.1 and the like down to stereo: Opus family 0 carries two channels at most.
        let _ = decoder.set_max_output_channels(2);
        Ok(AacDecoder {
            decoder,
            config: parsed,
            pcm: vec![0; MAX_DECODED],
        })
    }

    /// The configuration the decoder runs under.
    pub fn config(&self) -> &AudioSpecificConfig {
        &self.config
    }

    /// Decodes one raw access unit: its PCM, at the rate and channel count it came out in.
    pub fn decode(&mut self, access_unit: &[u8]) -> Result<Pcm<'_>, Error> {
        let broken = |what: &str, e: DecoderError| {
            Error::rule(
                &AAC_FRAME,
                0,
                format!("{what} ({} bytes): {e}", access_unit.len()),
            )
        };
        if access_unit.is_empty() {
            return Err(Error::rule(&AAC_FRAME, 0, "empty access unit"));
        }
        self.decoder
            .fill(access_unit)
            .map_err(|e| broken("not taken", e))?;
        self.decoder
            .decode_frame(&mut self.pcm)
            .map_err(|e| broken("not decoded", e))?;
        let info = self.decoder.stream_info();
        let channels = usize::try_from(info.numChannels).unwrap_or(0);
        let frame = usize::try_from(info.frameSize).unwrap_or(0);
        let rate = u32::try_from(info.sampleRate).unwrap_or(0);
        let len = channels * frame;
        if channels == 0 || channels > 2 || rate == 0 || len > self.pcm.len() {
            return Err(Error::rule(
                &AAC_FRAME,
                0,
                format!("decoded to {channels} channels of {frame} samples at {rate} Hz"),
            ));
        }
        Ok(Pcm {
            samples: &self.pcm[..len],
            channels,
            rate,
        })
    }
}

/// Encodes PCM to AAC LC raw access units of 1024 samples per channel.
pub struct AacEncoder {
    encoder: Encoder,
    channels: usize,
    rate: u32,
    config: Bytes,
    out: Vec<u8>,
}

impl std::fmt::Debug for AacEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AacEncoder")
            .field("channels", &self.channels)
            .field("rate", &self.rate)
            .finish()
    }
}

impl AacEncoder {
    /// An AAC LC encoder at `rate` Hz for one or two channels, 64 kbit/s per channel (128 kbit/s
    /// stereo, as FFmpeg's default for stereo AAC).
    pub fn new(rate: u32, channels: usize) -> Result<Self, Error> {
        let mode = match channels {
            1 => ChannelMode::Mono,
            2 => ChannelMode::Stereo,
            _ => {
                return Err(Error::usage(format!(
                    "{channels} channels: AAC is encoded mono or stereo"
                )));
            }
        };
        let encoder = Encoder::new(EncoderParams {
            bit_rate: BitRate::Cbr(64_000 * channels as u32),
            sample_rate: rate,
            transport: Transport::Raw,
            channels: mode,
            audio_object_type: AudioObjectType::Mpeg4LowComplexity,
        })
        .map_err(|e| Error::usage(format!("AAC encoder at {rate} Hz: {e}")))?;
        let info = encoder
            .info()
            .map_err(|e| Error::usage(format!("AAC encoder info: {e}")))?;
        let size = usize::try_from(info.confSize)
            .unwrap_or(0)
            .min(info.confBuf.len());
        let config = Bytes::copy_from_slice(&info.confBuf[..size]);
        Ok(AacEncoder {
            encoder,
            channels,
            rate,
            config,
            out: vec![0; MAX_ACCESS_UNIT * 2],
        })
    }

    /// The AudioSpecificConfig of what it encodes (the FLV sequence header, the MP4 `esds`).
    pub fn config(&self) -> &Bytes {
        &self.config
    }

    /// Its channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Its sample rate.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Encodes one frame of [`AAC_FRAME_SAMPLES`] interleaved samples per channel; `None`
    /// while the encoder still fills its look-ahead.
    pub fn encode(&mut self, frame: &[i16]) -> Result<Option<Bytes>, Error> {
        debug_assert_eq!(frame.len(), AAC_FRAME_SAMPLES * self.channels);
        let info = self
            .encoder
            .encode(frame, &mut self.out)
            .map_err(|e| Error::usage(format!("AAC encoding failed: {e}")))?;
        let size = info.output_size.min(self.out.len());
        Ok((size > 0).then(|| Bytes::copy_from_slice(&self.out[..size])))
    }
}
