//! The one place this crate calls unsafe code: libopus's decoder as `unsafe-libopus` offers
//! it (libopus 1.3.1 translated to Rust by c2rust; no C is compiled). It is here because the
//! pure-Rust `mousiki` decoder, whose encoder [`crate::opus`] uses, loses the waveform (a 1 kHz
//! tone comes out at 18 dB SNR where libopus gives 45-48 dB, see `tests/quality.rs`).
//!
//! The decoder is owned by [`LibopusDecoder`] alone; every call passes a live state and
//! buffers whose lengths are the ones given.

#![allow(unsafe_code)]

use unsafe_libopus::{OpusDecoder, opus_decode, opus_decoder_create, opus_decoder_destroy};

/// An owned libopus decoder state.
pub struct LibopusDecoder {
    state: *mut OpusDecoder,
    channels: usize,
}

// SAFETY: the state is a heap block owned by this value alone, with no thread-local or shared
// data: moving it to another thread is moving a Box.
unsafe impl Send for LibopusDecoder {}

impl LibopusDecoder {
    /// A decoder at 48 kHz of 1 or 2 channels; `None` if libopus refuses.
    pub fn new(channels: usize) -> Option<Self> {
        let channels = channels.clamp(1, 2);
        let mut error = 0;
        // SAFETY: valid arguments (48 kHz, 1 or 2 channels) and a live out-pointer; the result
        // is checked for null.
        let state = unsafe { opus_decoder_create(48_000, channels as i32, &mut error) };
        (!state.is_null() && error == 0).then_some(LibopusDecoder { state, channels })
    }

    /// Decodes `packet` into `pcm` (interleaved); the samples per channel it made, or
    /// libopus's negative error code.
    pub fn decode(&mut self, packet: &[u8], pcm: &mut [i16]) -> Result<usize, i32> {
        let len = i32::try_from(packet.len()).map_err(|_| -1)?;
        let frames = i32::try_from(pcm.len() / self.channels).map_err(|_| -1)?;
        // SAFETY: `state` is live (freed only in Drop); libopus reads `len` bytes from
        // `packet` and writes at most `frames * channels` samples, which is within `pcm`.
        let made = unsafe {
            opus_decode(
                self.state,
                packet.as_ptr(),
                len,
                pcm.as_mut_ptr(),
                frames,
                0,
            )
        };
        usize::try_from(made).map_err(|_| made)
    }
}

impl Drop for LibopusDecoder {
    fn drop(&mut self) {
        // SAFETY: made by opus_decoder_create and destroyed once, here.
        unsafe { opus_decoder_destroy(self.state) }
    }
}
