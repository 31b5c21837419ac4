//! Sample-rate conversion to Opus's 48 kHz (RFC 6716 §2: Opus codes at 8, 12, 16, 24 or
//! 48 kHz; AAC is often 44.1 or 32 kHz), through `rubato`'s FFT resampler.

use rubato::{FftFixedIn, Resampler as _};
use weir_media::Error;

/// Input samples per channel per resampler run.
const CHUNK: usize = 1024;

/// Converts interleaved 16-bit PCM from one rate to another, keeping what does not fill a
/// chunk for the next call. Its own delay is trimmed from the start of its output, so that
/// output sample `n` is the input's sample at the same instant.
pub struct Resampler {
    inner: FftFixedIn<f32>,
    channels: usize,
    from: u32,
    /// Planar input waiting for a whole chunk.
    input: Vec<Vec<f32>>,
    output: Vec<Vec<f32>>,
    /// Output samples per channel still to drop (the resampler's delay).
    skip: usize,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("channels", &self.channels)
            .finish()
    }
}

impl Resampler {
    /// A resampler of `channels` channels from `from` Hz to `to` Hz.
    pub fn new(from: u32, to: u32, channels: usize) -> Result<Self, Error> {
        let inner = FftFixedIn::new(from as usize, to as usize, CHUNK, 2, channels)
            .map_err(|e| Error::usage(format!("resampler {from} -> {to} Hz: {e}")))?;
        let output = inner.output_buffer_allocate(true);
        let skip = inner.output_delay();
        Ok(Resampler {
            inner,
            channels,
            from,
            input: vec![Vec::with_capacity(CHUNK * 2); channels],
            output,
            skip,
        })
    }

    /// The input rate.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Resamples `samples` (interleaved), appending what is ready to `out` (interleaved).
    pub fn process(&mut self, samples: &[i16], out: &mut Vec<i16>) {
        for frame in samples.chunks_exact(self.channels) {
            for (channel, &s) in self.input.iter_mut().zip(frame) {
                channel.push(f32::from(s) / 32768.0);
            }
        }
        while self.input[0].len() >= self.inner.input_frames_next() {
            let need = self.inner.input_frames_next();
            let Ok((_, made)) = self
                .inner
                .process_into_buffer(&self.input, &mut self.output, None)
            else {
                // Cannot happen with whole chunks; drop the input rather than loop.
                self.input.iter_mut().for_each(Vec::clear);
                return;
            };
            for channel in &mut self.input {
                channel.drain(..need);
            }
            let skip = self.skip.min(made);
            self.skip -= skip;
            for i in skip..made {
                for channel in &self.output {
                    let s = (channel[i] * 32768.0).round().clamp(-32768.0, 32767.0);
                    out.push(s as i16);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_44100_to_48000_at_the_rate_ratio() {
        let mut resampler = Resampler::new(44_100, 48_000, 2).unwrap();
        let input = vec![1000i16; 44_100 * 2];
        let mut out = Vec::new();
        resampler.process(&input, &mut out);
        let frames = out.len() / 2;
        // One second in, one second out, less the delay and the chunk still buffered.
        assert!((44_000..=48_000).contains(&frames), "{frames}");
        // A constant stays that constant once the filter has settled.
        assert!(
            out[out.len() / 2].abs_diff(1000) < 10,
            "{}",
            out[out.len() / 2]
        );
    }
}
