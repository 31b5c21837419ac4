//! Every rule of the codec catalog fires on an input made to break it, and the table names
//! every rule, so none is one nothing can trigger (issue 15); the same builders with sane
//! values break none (`well_formed_inputs_break_no_rule`). The parsers of this crate emit
//! every rule; the demuxers and observers that use them report what they return.

use weir_media::aac::SamplingFrequency;
use weir_media::adts::adts_frames;
use weir_media::av1::SequenceHeader;
use weir_media::bits::BitWriter;
use weir_media::nal::length_prefixed_nals;
use weir_media::opus::packet_samples;
use weir_media::rules::CATALOG;
use weir_media::{
    AdtsHeader, AudioSpecificConfig, AvcDecoderConfig, Error, HevcDecoderConfig, HevcSps,
    MpaHeader, OpusHead, Sps,
};
use weir_testkit::rule_table;

/// mux.js's test segment's record: Constrained Baseline 388x300, one SPS, one PPS.
const AVC_RECORD: &str =
    "0142c015ffe1001c6742c015ab40c84fcf7ff80768075880000003008000000f078b175001000468ce3c80";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `bytes` with byte `at` set to `value`.
fn with(mut bytes: Vec<u8>, at: usize, value: u8) -> Vec<u8> {
    bytes[at] = value;
    bytes
}

fn put_ue(w: &mut BitWriter, value: u32) {
    let v = u64::from(value) + 1;
    let bits = 64 - v.leading_zeros();
    w.put(bits - 1, 0);
    w.put(bits, v);
}

/// A 640x368 Constrained Baseline SPS without VUI that crops `bottom` pairs of lines
/// (H.264 §7.3.2.1.1).
fn avc_sps(bottom: u32) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.put(8, 0x67);
    w.put(24, 0x42_c0_1e);
    for ue in [0, 0, 0, 0, 0] {
        put_ue(&mut w, ue); // sps id, frame num, poc type 0, poc lsb, ref frames
    }
    w.put(1, 0); // gaps_in_frame_num_value_allowed_flag
    put_ue(&mut w, 39);
    put_ue(&mut w, 22);
    w.put(3, 0b101); // frame_mbs_only, direct_8x8, frame_cropping
    for ue in [0, 0, 0, bottom] {
        put_ue(&mut w, ue);
    }
    w.put(2, 0b01); // no VUI, stop bit
    w.finish()
}

/// A 320x184 Main 4:2:0 SPS whose conformance window cuts `bottom` pairs of lines
/// (H.265 §7.3.2.2.1), nothing after the bit depths.
fn hevc_sps(bottom: u32) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.put(16, 0x4201);
    w.put(8, 0x01); // VPS 0, one sub-layer, nesting
    w.put(8, 0x01); // profile space 0, Main tier, Main profile
    w.put(32, 0x6000_0000);
    w.put(48, 0x9000_0000_0000);
    w.put(8, 60);
    for ue in [0, 1, 320, 184] {
        put_ue(&mut w, ue); // sps id, chroma_format_idc, width, height
    }
    w.put(1, 1); // conformance_window_flag
    for ue in [0, 0, 0, bottom, 0, 0] {
        put_ue(&mut w, ue); // the window, then both bit depths
    }
    w.put(1, 1);
    w.finish()
}

/// An hvcC without arrays: Main, level 2, 4-byte NAL lengths (ISO/IEC 14496-15 §8.3.3.1).
fn hevc_record() -> Vec<u8> {
    let mut r = vec![1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 60];
    r.extend_from_slice(&[0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0]);
    r
}

/// A reduced still-picture sequence header of a 640x360 picture (AV1 §5.5.1), `profile`.
fn av1_sequence_header(profile: u64) -> Vec<u8> {
    let mut w = BitWriter::new();
    w.put(3, profile);
    w.put(2, 0b11); // still_picture, reduced_still_picture_header
    w.put(5, 8); // seq_level_idx
    w.put(4, 9); // frame_width_bits_minus_1
    w.put(4, 8); // frame_height_bits_minus_1
    w.put(10, 639);
    w.put(9, 359);
    w.put(27, 0);
    w.finish()
}

/// An OpusHead of `channels` with mapping family `family` and, for a family other than 0,
/// `streams`, `coupled` and `mapping` (RFC 7845 §5.1).
fn opus_head(version: u8, channels: u8, family: u8, table: &[u8]) -> Vec<u8> {
    let mut h = b"OpusHead".to_vec();
    h.extend_from_slice(&[version, channels, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, family]);
    h.extend_from_slice(table);
    h
}

/// An ADTS frame of `len` bytes (header included): AAC-LC, 44.1 kHz, stereo.
fn adts(len: u16) -> Vec<u8> {
    let mut f = vec![
        0xff,
        0xf1,
        0x50,
        0x80 | (len >> 11) as u8,
        (len >> 3) as u8,
        ((len & 7) << 5) as u8 | 0x1f,
        0xfc,
    ];
    f.resize(usize::from(len.max(7)), 0x21);
    f
}

fn rule<T>(result: Result<T, Error>) -> Vec<&'static str> {
    result.err().map(|e| e.rule_id()).into_iter().collect()
}

/// The rules the ADTS frames of `data` broke.
fn adts_rules(data: &[u8]) -> Vec<&'static str> {
    adts_frames(data)
        .filter_map(|f| f.err().map(|e| e.rule_id()))
        .collect()
}

#[test]
fn every_rule_fires_on_an_input_that_breaks_it() {
    let avc = hex(AVC_RECORD);
    let table: Vec<(&str, Vec<&str>)> = vec![
        (
            "media.avc.config-version",
            rule(AvcDecoderConfig::parse(&with(avc.clone(), 0, 2))),
        ),
        // The record cut inside its SPS.
        (
            "media.avc.config-syntax",
            rule(AvcDecoderConfig::parse(&avc[..20])),
        ),
        // lengthSizeMinusOne 2.
        (
            "media.avc.length-size",
            rule(AvcDecoderConfig::parse(&with(avc.clone(), 4, 0xfe))),
        ),
        ("media.avc.sps", rule(Sps::parse(&avc_sps(4)[..6]))),
        // 200 pairs of lines cropped from 368, or all 184 of them.
        ("media.avc.sps-cropping", rule(Sps::parse(&avc_sps(200)))),
        ("media.avc.sps-cropping", rule(Sps::parse(&avc_sps(184)))),
        (
            "media.hevc.config-version",
            rule(HevcDecoderConfig::parse(&with(hevc_record(), 0, 0))),
        ),
        (
            "media.hevc.config-syntax",
            rule(HevcDecoderConfig::parse(&hevc_record()[..15])),
        ),
        (
            "media.hevc.length-size",
            rule(HevcDecoderConfig::parse(&with(hevc_record(), 21, 0x0e))),
        ),
        ("media.hevc.sps", rule(HevcSps::parse(&hevc_sps(2)[..10]))),
        (
            "media.hevc.sps-conformance-window",
            rule(HevcSps::parse(&hevc_sps(100))),
        ),
        // seq_profile 3 is reserved.
        (
            "media.av1.sequence-header",
            rule(SequenceHeader::parse(&av1_sequence_header(3))),
        ),
        // AAC-LC whose sampling index is cut off.
        (
            "media.aac.config-syntax",
            rule(AudioSpecificConfig::parse(&[0x12])),
        ),
        (
            "media.aac.object-type",
            rule(AudioSpecificConfig::parse(&[0x00, 0x10])),
        ),
        // samplingFrequencyIndex 0xD.
        (
            "media.aac.sampling-index",
            rule(AudioSpecificConfig::parse(&[0x16, 0x90])),
        ),
        ("media.adts.syncword", adts_rules(&[0x12; 20])),
        (
            "media.adts.layer",
            rule(AdtsHeader::parse(&with(adts(20), 1, 0xf3))),
        ),
        ("media.adts.frame-length", rule(AdtsHeader::parse(&adts(5)))),
        ("media.adts.truncated", adts_rules(&adts(20)[..15])),
        // HE-AAC v2's object type (29) is no ADTS profile.
        (
            "media.adts.profile",
            rule(AdtsHeader::for_payload(
                &AudioSpecificConfig::new(29, SamplingFrequency::Index(4), 2),
                10,
            )),
        ),
        // Bitrate index 15.
        (
            "media.mpa.header",
            rule(MpaHeader::parse(&[0xff, 0xfb, 0xf0, 0x00])),
        ),
        ("media.opus.magic", rule(OpusHead::parse(b"OpusTags\x01"))),
        (
            "media.opus.version",
            rule(OpusHead::parse(&opus_head(0x10, 2, 0, &[]))),
        ),
        // Family 1 without its stream counts.
        (
            "media.opus.syntax",
            rule(OpusHead::parse(&opus_head(1, 2, 1, &[]))),
        ),
        (
            "media.opus.channels",
            rule(OpusHead::parse(&opus_head(1, 3, 0, &[]))),
        ),
        // A mapping entry (5) past streams + coupled (2).
        (
            "media.opus.mapping",
            rule(OpusHead::parse(&opus_head(1, 2, 1, &[1, 1, 0, 5]))),
        ),
        // A code-3 packet with a frame count of 0.
        ("media.opus.packet", rule(packet_samples(&[0xfb, 0x00]))),
        (
            "media.nal.length-size",
            length_prefixed_nals(&[0, 0, 1, 0x65], 3)
                .filter_map(|n| n.err().map(|e| e.rule_id()))
                .collect(),
        ),
        (
            "media.nal.length-overflow",
            length_prefixed_nals(&[0, 0, 0, 9, 0x65], 4)
                .filter_map(|n| n.err().map(|e| e.rule_id()))
                .collect(),
        ),
    ];
    rule_table::check(CATALOG, &table);
}

#[test]
fn well_formed_inputs_break_no_rule() {
    let avc = AvcDecoderConfig::parse(&hex(AVC_RECORD)).unwrap();
    assert_eq!(avc.first_sps().unwrap().unwrap().width, 388);
    assert_eq!(Sps::parse(&avc_sps(4)).unwrap().height, 360);
    assert_eq!(
        HevcDecoderConfig::parse(&hevc_record())
            .unwrap()
            .length_size,
        4
    );
    assert_eq!(HevcSps::parse(&hevc_sps(2)).unwrap().height, 180);
    SequenceHeader::parse(&av1_sequence_header(0)).unwrap();
    AudioSpecificConfig::parse(&[0x12, 0x10]).unwrap();
    assert_eq!(adts_frames(&[adts(20), adts(30)].concat()).count(), 2);
    assert!(adts_rules(&[adts(20), adts(30)].concat()).is_empty());
    MpaHeader::parse(&[0xff, 0xfb, 0x90, 0x64]).unwrap();
    OpusHead::parse(&opus_head(1, 2, 0, &[])).unwrap();
    OpusHead::parse(&opus_head(1, 2, 1, &[1, 1, 0, 1])).unwrap();
    assert_eq!(packet_samples(&[0xfb, 0x03]).unwrap(), 3 * 960);
    assert!(
        length_prefixed_nals(&[0, 0, 0, 1, 0x65], 4).all(|n| n.is_ok()),
        "one whole NAL unit"
    );
}
