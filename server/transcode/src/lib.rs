//! Weir's audio transcoding: AAC to Opus for WebRTC players, Opus to AAC for RTMP, HTTP-FLV,
//! HTTP-TS and HLS players, done once per stream and direction, never per player, and only
//! for streams that need it.
//!
//! Files:
//!
//! - [`hub`]: [`needs`] and [`audio_as`], the once-per-stream expansion of a hub entry into
//!   entries of the wanted codec, kept in the hub's cache slots; [`each_as`], what a
//!   delivery calls for each entry it writes.
//! - [`transcoder`]: [`AudioTranscoder`], one stream's audio in one direction: media packets
//!   in, media packets of the other codec out, the target configuration first.
//! - [`aac`]: [`AacDecoder`] and [`AacEncoder`] (Fraunhofer FDK AAC, built from its own
//!   sources by `cc`).
//! - [`opus`]: [`OpusDecoder`] and [`OpusEncoder`] (the decoder is libopus through
//!   [`libopus`], `unsafe-libopus`'s Rust translation; the encoder `mousiki`'s pure-Rust port).
//! - [`resample`]: [`Resampler`] to Opus's 48 kHz (`rubato`).
//! - [`pcm`]: decoded audio between them, and the mono/stereo mix.
//! - [`clock`]: output timestamps from a sample counter, re-anchored on discontinuities.
//! - [`rules`]: what the decoders need of the publisher's audio.
//!
//! A delivery that carries AAC turns each hub entry into what it writes like this (what
//! [`each_as`] does):
//!
//! ```ignore
//! if needs(&media, Want::Aac) {
//!     for aac in audio_as(&stream, &media, Want::Aac) {
//!         write(aac); // its own slots cache on `aac`
//!     }
//! } else {
//!     write(&media);
//! }
//! ```
//!
//! Codecs: AAC is Fraunhofer's FDK AAC (`fdk-aac`, its C++ sources compiled by `cc`, no
//! system library, no cmake); Opus is decoded by libopus 1.3.1 as `unsafe-libopus` translated
//! it to Rust (no C) and encoded by `mousiki` (pure Rust, safe API), because `mousiki`'s
//! decoder loses the waveform (see [`libopus`]); resampling is `rubato`'s FFT resampler.

// Unsafe code is denied everywhere but in `libopus`, the decoder's binding (see there why).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod aac;
pub mod clock;
pub mod hub;
pub mod libopus;
pub mod opus;
pub mod pcm;
pub mod resample;
pub mod rules;
pub mod transcoder;

pub use aac::{AacDecoder, AacEncoder};
pub use hub::{audio_as, each_as, needs};
pub use opus::{OpusDecoder, OpusEncoder};
pub use resample::Resampler;
pub use transcoder::AudioTranscoder;

use weir_media::Codec;

/// The audio codec a delivery carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Want {
    /// AAC: RTMP, HTTP-FLV, HTTP-TS and HLS players (FFmpeg, hls.js, flv.js).
    Aac,
    /// Opus: WebRTC players (browsers).
    Opus,
}

impl Want {
    /// The codec it names.
    pub fn codec(self) -> Codec {
        match self {
            Want::Aac => Codec::Aac,
            Want::Opus => Codec::Opus,
        }
    }

    /// The codec transcoded into it.
    pub fn source(self) -> Codec {
        match self {
            Want::Aac => Codec::Opus,
            Want::Opus => Codec::Aac,
        }
    }
}
