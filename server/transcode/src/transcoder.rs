//! One stream's audio in one direction: AAC to Opus or Opus to AAC. Media packets of the
//! source codec go in (configurations and frames, in order), media packets of the target codec
//! come out, with the target's configuration first whenever it is new.
//!
//! ```text
//!  Config ──► decoder set up, encoder made ──► Config (AudioSpecificConfig / OpusHead)
//!  Frame ──► decode ─► remix to the encoder's channels ─► resample to its rate ─► buffer
//!        ──► one Frame per whole encoder frame (1024 samples AAC, 960 Opus), timed by Clock
//! ```
//!
//! A broken frame or configuration is dropped and counted ([`AudioTranscoder::dropped`]),
//! with an error naming its rule; nothing buffered grows past one encoder frame and one
//! decoded frame.

use crate::Want;
use crate::aac::{AAC_FRAME_SAMPLES, AacDecoder, AacEncoder};
use crate::clock::Clock;
use crate::opus::{OPUS_FRAME_SAMPLES, OPUS_PRE_SKIP, OPUS_RATE, OpusDecoder, OpusEncoder};
use crate::pcm::remix;
use crate::resample::Resampler;
use crate::rules::{AAC_FRAME_BEFORE_CONFIG, OPUS_PACKET};
use bytes::Bytes;
use weir_media::{Error, Frame, MediaPacket, Track, TrackConfig};

/// The stateful transcoder of one stream's audio track into the codec a delivery wants.
#[derive(Debug)]
pub struct AudioTranscoder {
    want: Want,
    /// The source configuration the pipeline runs under.
    source: Option<Bytes>,
    pipeline: Option<Pipeline>,
    /// The target configuration last handed out.
    announced: Option<Bytes>,
    dropped: u64,
}

#[derive(Debug)]
enum Decoder {
    Aac(AacDecoder),
    Opus(OpusDecoder),
}

#[derive(Debug)]
enum Encoder {
    Aac(AacEncoder),
    Opus(Box<OpusEncoder>),
}

impl Encoder {
    fn channels(&self) -> usize {
        match self {
            Encoder::Aac(e) => e.channels(),
            Encoder::Opus(e) => e.channels(),
        }
    }

    fn rate(&self) -> u32 {
        match self {
            Encoder::Aac(e) => e.rate(),
            Encoder::Opus(_) => OPUS_RATE,
        }
    }

    fn frame_samples(&self) -> usize {
        match self {
            Encoder::Aac(_) => AAC_FRAME_SAMPLES,
            Encoder::Opus(_) => OPUS_FRAME_SAMPLES,
        }
    }
}

#[derive(Debug)]
struct Pipeline {
    track: Track,
    decoder: Decoder,
    encoder: Encoder,
    /// The target configuration.
    config: Bytes,
    resampler: Option<Resampler>,
    clock: Clock,
    /// Decoded samples per channel still to drop from the start (Opus `pre_skip`).
    skip: usize,
    /// Interleaved samples at the encoder's rate and channels, less than one frame after a
    /// push.
    pending: Vec<i16>,
    mixed: Vec<i16>,
}

impl AudioTranscoder {
    /// A transcoder into `want`'s codec, from the other one.
    pub fn new(want: Want) -> Self {
        AudioTranscoder {
            want,
            source: None,
            pipeline: None,
            announced: None,
            dropped: 0,
        }
    }

    /// The codec it makes.
    pub fn want(&self) -> Want {
        self.want
    }

    /// Packets dropped because they were broken (or came before any usable configuration).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Takes one packet of the stream and appends what it becomes to `out`: nothing for
    /// packets of other tracks and codecs; an error naming the rule for a broken packet, which
    /// is dropped (the pipeline carries on with the next one).
    pub fn push(&mut self, packet: &MediaPacket, out: &mut Vec<MediaPacket>) -> Result<(), Error> {
        if packet.codec() != self.want.source() {
            return Ok(());
        }
        let result = match packet {
            MediaPacket::Config(config) => self.configure(config, out),
            MediaPacket::Frame(frame) => self.frame(frame, out),
            MediaPacket::EndOfSequence { track, .. } => {
                out.push(MediaPacket::EndOfSequence {
                    track: *track,
                    codec: self.want.codec(),
                });
                Ok(())
            }
        };
        if result.is_err() {
            self.dropped += 1;
        }
        result
    }

    /// A source configuration: the pipeline is (re)built unless it is the one running, and
    /// the target configuration goes out either way, so that every copy of the source's
    /// configuration (a late joiner's) has its counterpart.
    fn configure(&mut self, config: &TrackConfig, out: &mut Vec<MediaPacket>) -> Result<(), Error> {
        if self.source.as_ref() != Some(&config.data) || self.pipeline.is_none() {
            self.pipeline = None;
            self.source = None;
            let pipeline = self.build(config.track, &config.data, None)?;
            self.source = Some(config.data.clone());
            self.pipeline = Some(pipeline);
        }
        self.announce(out, true);
        Ok(())
    }

    /// A pipeline for source configuration `config`; for Opus without one, `stereo` from a
    /// packet's TOC byte decides the channels.
    fn build(&self, track: Track, config: &[u8], stereo: Option<bool>) -> Result<Pipeline, Error> {
        let (decoder, encoder, target, skip) = match self.want {
            Want::Opus => {
                let decoder = AacDecoder::new(config)?;
                let channels = decoder.config().channels().unwrap_or(2).clamp(1, 2).into();
                let rate = decoder.config().output_sample_rate();
                let encoder = OpusEncoder::new(channels)?;
                let head = crate::opus::head(channels, rate);
                (
                    Decoder::Aac(decoder),
                    Encoder::Opus(Box::new(encoder)),
                    head,
                    0,
                )
            }
            Want::Aac => {
                let (channels, skip) = match stereo {
                    Some(stereo) => (1 + usize::from(stereo), 0),
                    None => (
                        crate::opus::head_channels(config)?,
                        usize::from(OPUS_PRE_SKIP),
                    ),
                };
                let skip = match weir_media::opus::OpusHead::parse(config) {
                    Ok(head) => usize::from(head.pre_skip),
                    Err(_) => skip,
                };
                let decoder = OpusDecoder::new(channels)?;
                let encoder = AacEncoder::new(OPUS_RATE, channels)?;
                let asc = encoder.config().clone();
                (Decoder::Opus(decoder), Encoder::Aac(encoder), asc, skip)
            }
        };
        Ok(Pipeline {
            track,
            decoder,
            encoder,
            config: target,
            resampler: None,
            clock: Clock::default(),
            skip,
            pending: Vec::new(),
            mixed: Vec::new(),
        })
    }

    /// Appends the target configuration when it is new (or `always`).
    fn announce(&mut self, out: &mut Vec<MediaPacket>, always: bool) {
        let Some(pipeline) = &self.pipeline else {
            return;
        };
        if always || self.announced.as_ref() != Some(&pipeline.config) {
            self.announced = Some(pipeline.config.clone());
            out.push(MediaPacket::Config(TrackConfig {
                track: pipeline.track,
                codec: self.want.codec(),
                data: pipeline.config.clone(),
            }));
        }
    }

    fn frame(&mut self, frame: &Frame, out: &mut Vec<MediaPacket>) -> Result<(), Error> {
        if self.pipeline.is_none() {
            match self.want {
                Want::Opus => {
                    return Err(Error::rule(
                        &AAC_FRAME_BEFORE_CONFIG,
                        0,
                        "AAC frame before any AudioSpecificConfig",
                    ));
                }
                Want::Aac => {
                    // Opus without OpusHead: RFC 7587 §7 signals stereo in the TOC byte.
                    let toc = frame
                        .data
                        .first()
                        .ok_or_else(|| Error::rule(&OPUS_PACKET, 0, "empty packet: no TOC byte"))?;
                    let pipeline = self.build(frame.track, &[], Some(toc & 0x04 != 0))?;
                    self.pipeline = Some(pipeline);
                }
            }
        }
        self.announce(out, false);
        let want = self.want;
        let Some(p) = self.pipeline.as_mut() else {
            return Ok(());
        };
        let pcm = match &mut p.decoder {
            Decoder::Aac(d) => d.decode(&frame.data)?,
            Decoder::Opus(d) => d.decode(&frame.data)?,
        };
        if p.clock.input(frame.dts, pcm.frames(), pcm.rate) {
            p.pending.clear();
            p.resampler = None;
        }
        let channels = p.encoder.channels();
        p.mixed.clear();
        let skip = p.skip.min(pcm.frames());
        p.skip -= skip;
        remix(
            &pcm.samples[skip * pcm.channels..],
            pcm.channels,
            channels,
            &mut p.mixed,
        );
        if pcm.rate == p.encoder.rate() {
            p.pending.extend_from_slice(&p.mixed);
        } else {
            if p.resampler.as_ref().map(Resampler::from_rate) != Some(pcm.rate) {
                p.resampler = Some(Resampler::new(pcm.rate, p.encoder.rate(), channels)?);
            }
            if let Some(resampler) = &mut p.resampler {
                resampler.process(&p.mixed, &mut p.pending);
            }
        }
        let size = p.encoder.frame_samples() * channels;
        let rate = p.encoder.rate();
        let mut used = 0;
        while p.pending.len() - used >= size {
            let samples = &p.pending[used..used + size];
            used += size;
            let coded = match &mut p.encoder {
                Encoder::Aac(e) => e.encode(samples)?,
                Encoder::Opus(e) => Some(e.encode(samples)?),
            };
            let time = p.clock.output(size / channels, rate);
            if let Some(data) = coded {
                out.push(MediaPacket::Frame(Frame {
                    track: p.track,
                    codec: want.codec(),
                    pts: time,
                    dts: time,
                    keyframe: true,
                    data,
                }));
            }
        }
        p.pending.drain(..used);
        Ok(())
    }
}
