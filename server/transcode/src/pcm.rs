//! Decoded audio between a decoder and an encoder: interleaved 16-bit samples, and the channel
//! mix from what a decoder gives to what an encoder takes.

/// A decoder's output: interleaved 16-bit samples.
#[derive(Debug, Clone, Copy)]
pub struct Pcm<'a> {
    /// Interleaved samples, `channels` per instant.
    pub samples: &'a [i16],
    /// Channels (1 or 2).
    pub channels: usize,
    /// Samples per second per channel.
    pub rate: u32,
}

impl Pcm<'_> {
    /// Samples per channel.
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1)
    }
}

/// Appends `samples` (interleaved, `from` channels) to `out` as `to` channels: mono is copied
/// to both sides, stereo is averaged to mono; anything else is copied as it is.
pub fn remix(samples: &[i16], from: usize, to: usize, out: &mut Vec<i16>) {
    match (from, to) {
        (1, 2) => out.extend(samples.iter().flat_map(|&s| [s, s])),
        (2, 1) => out.extend(
            samples
                .chunks_exact(2)
                .map(|lr| ((i32::from(lr[0]) + i32::from(lr[1])) / 2) as i16),
        ),
        _ => out.extend_from_slice(samples),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_becomes_both_sides_of_stereo() {
        let mut out = Vec::new();
        remix(&[1, -2], 1, 2, &mut out);
        assert_eq!(out, [1, 1, -2, -2]);
    }

    #[test]
    fn stereo_is_averaged_to_mono_without_overflow() {
        let mut out = Vec::new();
        remix(&[i16::MAX, i16::MAX, -4, 2], 2, 1, &mut out);
        assert_eq!(out, [i16::MAX, -1]);
    }
}
