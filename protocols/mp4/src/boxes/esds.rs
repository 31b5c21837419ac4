//! `esds` (ISO/IEC 14496-14 §5.6): the MPEG-4 elementary stream descriptor of an `mp4a`
//! sample entry, which names the codec (`objectTypeIndication`, ISO/IEC 14496-1 §7.2.6.6)
//! and carries AAC's AudioSpecificConfig as the decoder specific info.

use crate::writer::{Put, write_full_box};

/// `objectTypeIndication` of MPEG-4 audio (AAC) (ISO/IEC 14496-1 Table 5).
pub const OBJECT_TYPE_AAC: u8 = 0x40;
/// `objectTypeIndication` of MPEG-1 audio (MP3) (ISO/IEC 14496-1 Table 5).
pub const OBJECT_TYPE_MP3: u8 = 0x6B;

/// Writes `esds` with an ES_Descriptor for `object_type`, and `specific_info` (the
/// AudioSpecificConfig) when not empty.
pub fn write_esds(out: &mut Vec<u8>, object_type: u8, specific_info: &[u8]) {
    // DecoderConfigDescriptor (14496-1 §7.2.6.6): type, streamType 5 (audio) << 2 | upStream 0
    // | reserved 1, bufferSizeDB, maxBitrate, avgBitrate (0: unknown), then DecoderSpecificInfo.
    let mut decoder = vec![object_type, 0x15, 0, 0, 0];
    decoder.u32(0);
    decoder.u32(0);
    if !specific_info.is_empty() {
        descriptor(&mut decoder, 0x05, specific_info);
    }
    // ES_Descriptor (§7.2.6.5): ES_ID 0, no dependency, URL or OCR stream; then the decoder
    // config and an SLConfigDescriptor with predefined 2 (MP4 files, 14496-14 §3.1.2).
    let mut es = vec![0, 0, 0];
    descriptor(&mut es, 0x04, &decoder);
    descriptor(&mut es, 0x06, &[0x02]);
    write_full_box(out, b"esds", 0, 0, |o| descriptor(o, 0x03, &es));
}

/// A descriptor: its tag, its size in the expandable 7-bits-per-byte form (14496-1 §8.3.3),
/// then its body.
fn descriptor(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.u8(tag);
    let len = body.len() as u32;
    let mut started = false;
    for shift in [21, 14, 7] {
        let part = (len >> shift) & 0x7f;
        if part != 0 || started {
            out.u8(0x80 | part as u8);
            started = true;
        }
    }
    out.u8((len & 0x7f) as u8);
    out.bytes(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_sizes_use_seven_bits_a_byte() {
        let mut out = Vec::new();
        descriptor(&mut out, 5, &[0; 200]);
        assert_eq!(&out[..3], &[5, 0x81, 0x48]);
        assert_eq!(out.len(), 203);
    }
}
