//! `dOps`, the Opus specific box of an `Opus` sample entry ("Encapsulation of Opus in ISO
//! Base Media File Format" §4.3.2): the fields of the `OpusHead` identification header
//! (RFC 7845 §5.1) after its 8-byte magic, with version 0 and the multi-byte fields
//! (PreSkip, InputSampleRate, OutputGain) big-endian instead of little-endian.

use crate::writer::{Put, write_box};

/// Writes `dOps` from the track's `OpusHead` (as [`weir_media::OpusHead::parse`] accepted
/// it; a shorter one writes an empty box).
pub fn write_dops(out: &mut Vec<u8>, opus_head: &[u8]) {
    write_box(out, b"dOps", |o| {
        let Some(fields) = opus_head.get(8..).filter(|f| f.len() >= 11) else {
            return;
        };
        let mut fields = fields.to_vec();
        fields[0] = 0; // Version
        for range in [2..4, 4..8, 8..10] {
            fields[range].reverse();
        }
        o.bytes(&fields);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dops_is_opushead_big_endian_without_magic() {
        // OpusHead: version 1, 2 channels, pre-skip 312, 48000 Hz, gain 0, family 0.
        let head = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00";
        let mut out = Vec::new();
        write_dops(&mut out, head);
        assert_eq!(&out[8..], &[0, 2, 0x01, 0x38, 0, 0, 0xbb, 0x80, 0, 0, 0]);
    }
}
