//! Opus: a decoder of raw Opus packets (RFC 6716 §3) at 48 kHz (libopus, through
//! [`crate::libopus`]) and an encoder of 20 ms packets (`mousiki`, a pure-Rust port of
//! libopus with a safe API), with the `OpusHead` identification header (RFC 7845 §5.1) that
//! is the track configuration.

use crate::libopus::LibopusDecoder;
use crate::pcm::Pcm;
use crate::rules::{OPUS_HEAD, OPUS_PACKET};
use bytes::Bytes;
use mousiki::{Application, Bitrate, Channels, Encoder};
use std::panic::{AssertUnwindSafe, catch_unwind};
use weir_media::Error;
use weir_media::opus::{ChannelMapping, OpusHead};

/// Opus's decoding rate (RFC 7845 §5.1: always 48 kHz whatever the input rate was).
pub const OPUS_RATE: u32 = 48_000;

/// One 20 ms frame at 48 kHz: what the encoder takes per packet.
pub const OPUS_FRAME_SAMPLES: usize = 960;

/// The longest packet: 120 ms (RFC 6716 §3.2.5), in samples per channel at 48 kHz.
const MAX_PACKET_SAMPLES: usize = 5760;

/// The encoder's complexity (0-10; libopus defaults to 10). 5 keeps a tone within a dB of
/// what 10 gives (`tests/quality.rs`) at about half the encoding time, which is what keeps
/// AAC -> Opus well past 50x real time on one core (`benches/benches/transcode.rs`).
pub const OPUS_COMPLEXITY: i32 = 5;

/// The largest packet the encoder writes (RFC 6716 §3.4: 1275 bytes per frame).
const MAX_PACKET_BYTES: usize = 1500;

/// The encoder's look-ahead at 48 kHz (2.5 ms plus 4 ms of delay compensation), which
/// `pre_skip` tells a decoder to drop (RFC 7845 §4.2).
pub const OPUS_PRE_SKIP: u16 = 312;

fn channels(count: usize) -> Channels {
    if count == 1 {
        Channels::Mono
    } else {
        Channels::Stereo
    }
}

/// The channel count of a track configuration (`OpusHead`): mapping family 0 only.
pub fn head_channels(config: &[u8]) -> Result<usize, Error> {
    let head =
        OpusHead::parse(config).map_err(|e| Error::rule(&OPUS_HEAD, e.offset, e.to_string()))?;
    match (head.mapping, head.channels) {
        (ChannelMapping::MonoOrStereo, c @ 1..=2) => Ok(usize::from(c)),
        (_, c) => Err(Error::rule(
            &OPUS_HEAD,
            18,
            format!("{c} channels with a mapping table: only family 0 (mono or stereo) is decoded"),
        )),
    }
}

/// The `OpusHead` of what [`OpusEncoder`] makes from `input_rate` Hz audio.
pub fn head(channels: usize, input_rate: u32) -> Bytes {
    let head = OpusHead {
        version: 1,
        channels: channels as u8,
        pre_skip: OPUS_PRE_SKIP,
        input_sample_rate: input_rate,
        output_gain: 0,
        mapping: ChannelMapping::MonoOrStereo,
    };
    Bytes::from(
        head.to_bytes()
            .expect("a family 0 header of 1 or 2 channels is valid"),
    )
}

/// Decodes one Opus track's packets to 48 kHz PCM.
pub struct OpusDecoder {
    decoder: LibopusDecoder,
    channels: usize,
    pcm: Vec<i16>,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("channels", &self.channels)
            .finish()
    }
}

impl OpusDecoder {
    /// A decoder of `channels` (1 or 2) output channels at 48 kHz.
    pub fn new(channels: usize) -> Result<Self, Error> {
        let channels = channels.clamp(1, 2);
        let decoder = LibopusDecoder::new(channels)
            .ok_or_else(|| Error::usage("libopus refused a 48 kHz decoder"))?;
        Ok(OpusDecoder {
            decoder,
            channels,
            pcm: vec![0; MAX_PACKET_SAMPLES * channels],
        })
    }

    /// Its output channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Decodes one packet. The packet's length is checked with
    /// [`weir_media::opus::packet_samples`] first, and a panic of the decoder on a hostile
    /// packet is caught and reported as a broken packet (the decoder is then made afresh).
    pub fn decode(&mut self, packet: &[u8]) -> Result<Pcm<'_>, Error> {
        weir_media::opus::packet_samples(packet)
            .map_err(|e| Error::rule(&OPUS_PACKET, e.offset, e.to_string()))?;
        let (decoder, pcm) = (&mut self.decoder, &mut self.pcm);
        let decoded = catch_unwind(AssertUnwindSafe(|| decoder.decode(packet, pcm)));
        let frames = match decoded {
            Ok(Ok(frames)) => frames,
            Ok(Err(e)) => {
                return Err(Error::rule(
                    &OPUS_PACKET,
                    0,
                    format!("not decoded: libopus error {e}"),
                ));
            }
            Err(_) => {
                *self = OpusDecoder::new(self.channels)?;
                return Err(Error::rule(&OPUS_PACKET, 0, "the decoder failed on it"));
            }
        };
        let len = (frames * self.channels).min(self.pcm.len());
        Ok(Pcm {
            samples: &self.pcm[..len],
            channels: self.channels,
            rate: OPUS_RATE,
        })
    }
}

/// Encodes 48 kHz PCM into 20 ms Opus packets.
pub struct OpusEncoder {
    encoder: Encoder,
    channels: usize,
    out: Vec<u8>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("channels", &self.channels)
            .finish()
    }
}

impl OpusEncoder {
    /// An encoder of `channels` (1 or 2) at 48 kHz, tuned for music: 96 kbit/s stereo,
    /// 64 kbit/s mono (what browsers' WebRTC stacks decode comfortably).
    pub fn new(channels: usize) -> Result<Self, Error> {
        let channels = channels.clamp(1, 2);
        let bitrate = if channels == 2 { 96_000 } else { 64_000 };
        let encoder = Encoder::builder(OPUS_RATE, self::channels(channels), Application::Audio)
            .bitrate(Bitrate::Bits(bitrate))
            .complexity(OPUS_COMPLEXITY)
            .build()
            .map_err(|e| Error::usage(format!("Opus encoder: {e:?}")))?;
        Ok(OpusEncoder {
            encoder,
            channels,
            out: vec![0; MAX_PACKET_BYTES],
        })
    }

    /// Its channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Encodes one 20 ms frame ([`OPUS_FRAME_SAMPLES`] interleaved samples per channel).
    pub fn encode(&mut self, frame: &[i16]) -> Result<Bytes, Error> {
        debug_assert_eq!(frame.len(), OPUS_FRAME_SAMPLES * self.channels);
        let len = self
            .encoder
            .encode(frame, &mut self.out)
            .map_err(|e| Error::usage(format!("Opus encoding failed: {e:?}")))?;
        Ok(Bytes::copy_from_slice(&self.out[..len.min(self.out.len())]))
    }
}
