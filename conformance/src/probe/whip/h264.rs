//! The media the round publishes, made here (the probe carries no encoder and no file):
//!
//! - H.264: a decodable 16x16 Constrained Baseline stream written bit by bit from ITU-T
//!   H.264 — SPS (§7.3.2.1.1), PPS (§7.3.2.2), an IDR slice of one I_PCM macroblock
//!   (§7.3.5, mb_type 25) whose samples carry the frame number, and P slices that skip their
//!   one macroblock (mb_skip_run 1). Each access unit is Annex B (start codes), an IDR every
//!   [`GOP`] frames with SPS and PPS before it;
//! - Opus: one 20 ms CELT frame per packet (RFC 6716 §3.1, TOC config 31, mono, code 0)
//!   whose payload bytes carry the packet number. The round never decodes it: any payload
//!   after a valid TOC is a valid packet to relay.

use weir_media::bits::BitWriter;
use weir_media::nal::annexb_nals;

/// Frames between IDRs.
pub const GOP: usize = 10;
/// Video frame interval on the 90 kHz clock (25 fps).
pub const VIDEO_TICKS: u32 = 3600;
/// Opus packet interval on the 48 kHz clock (20 ms).
pub const AUDIO_TICKS: u32 = 960;

/// An RBSP written bit by bit: weir-media's writer with H.264's Exp-Golomb codes (§9.1).
#[derive(Default)]
struct Bits(BitWriter);

impl Bits {
    fn bit(&mut self, b: bool) {
        self.0.flag(b);
    }

    fn u(&mut self, n: u32, value: u32) {
        self.0.put(n, u64::from(value));
    }

    fn ue(&mut self, value: u32) {
        let v = u64::from(value) + 1;
        let len = 64 - v.leading_zeros();
        self.0.put(len - 1, 0);
        self.0.put(len, v);
    }

    fn se(&mut self, value: i32) {
        let mapped = if value > 0 {
            2 * value.unsigned_abs() - 1
        } else {
            2 * value.unsigned_abs()
        };
        self.ue(mapped);
    }

    /// Zero bits up to the next byte boundary (the writer pads so).
    fn aligned(self) -> Vec<u8> {
        self.0.finish()
    }

    /// rbsp_trailing_bits (§7.3.2.11).
    fn trailing(mut self) -> Vec<u8> {
        self.bit(true);
        self.aligned()
    }
}

/// A NAL unit: header byte and the RBSP with emulation prevention (§7.4.1).
fn nal(ref_idc: u8, kind: u8, rbsp: &[u8]) -> Vec<u8> {
    let mut out = vec![ref_idc << 5 | kind];
    let mut zeros = 0;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    out
}

fn sps() -> Vec<u8> {
    let mut b = Bits::default();
    b.u(8, 66); // profile_idc: Baseline
    b.u(8, 0xC0); // constraint_set0 and 1: Constrained Baseline
    b.u(8, 10); // level_idc 1.0
    b.ue(0); // seq_parameter_set_id
    b.ue(0); // log2_max_frame_num_minus4: frame_num is 4 bits
    b.ue(2); // pic_order_cnt_type 2: output order is decoding order
    b.ue(1); // max_num_ref_frames
    b.bit(false); // gaps_in_frame_num_value_allowed_flag
    b.ue(0); // pic_width_in_mbs_minus1: 16 pixels
    b.ue(0); // pic_height_in_map_units_minus1: 16 lines
    b.bit(true); // frame_mbs_only_flag
    b.bit(true); // direct_8x8_inference_flag
    b.bit(false); // frame_cropping_flag
    b.bit(false); // vui_parameters_present_flag
    nal(3, 7, &b.trailing())
}

fn pps() -> Vec<u8> {
    let mut b = Bits::default();
    b.ue(0); // pic_parameter_set_id
    b.ue(0); // seq_parameter_set_id
    b.bit(false); // entropy_coding_mode_flag: CAVLC
    b.bit(false); // bottom_field_pic_order_in_frame_present_flag
    b.ue(0); // num_slice_groups_minus1
    b.ue(0); // num_ref_idx_l0_default_active_minus1
    b.ue(0); // num_ref_idx_l1_default_active_minus1
    b.bit(false); // weighted_pred_flag
    b.u(2, 0); // weighted_bipred_idc
    b.se(0); // pic_init_qp_minus26
    b.se(0); // pic_init_qs_minus26
    b.se(0); // chroma_qp_index_offset
    b.bit(true); // deblocking_filter_control_present_flag
    b.bit(false); // constrained_intra_pred_flag
    b.bit(false); // redundant_pic_cnt_present_flag
    nal(3, 8, &b.trailing())
}

/// An IDR slice of one I_PCM macroblock whose luma is `shade`.
fn idr(idr_pic_id: u32, shade: u8) -> Vec<u8> {
    let mut b = Bits::default();
    b.ue(0); // first_mb_in_slice
    b.ue(7); // slice_type: I, all slices of the picture
    b.ue(0); // pic_parameter_set_id
    b.u(4, 0); // frame_num
    b.ue(idr_pic_id);
    b.bit(false); // no_output_of_prior_pics_flag
    b.bit(false); // long_term_reference_flag
    b.se(0); // slice_qp_delta
    b.ue(1); // disable_deblocking_filter_idc
    b.ue(25); // mb_type I_PCM
    let mut rbsp = b.aligned(); // pcm_alignment_zero_bit
    rbsp.extend(std::iter::repeat_n(shade.max(1), 256)); // pcm_sample_luma
    rbsp.extend(std::iter::repeat_n(0x80, 128)); // pcm_sample_chroma
    rbsp.push(0x80); // rbsp_stop_one_bit, then alignment
    nal(3, 5, &rbsp)
}

/// A P slice that skips its one macroblock.
fn skipped(frame_num: u32) -> Vec<u8> {
    let mut b = Bits::default();
    b.ue(0); // first_mb_in_slice
    b.ue(5); // slice_type: P, all slices of the picture
    b.ue(0); // pic_parameter_set_id
    b.u(4, frame_num % 16);
    b.bit(false); // num_ref_idx_active_override_flag
    b.bit(false); // ref_pic_list_modification_flag_l0
    b.bit(false); // adaptive_ref_pic_marking_mode_flag
    b.se(0); // slice_qp_delta
    b.ue(1); // disable_deblocking_filter_idc
    b.ue(1); // mb_skip_run
    nal(2, 1, &b.trailing())
}

/// Video frame `n` as its NAL units (no start codes): SPS, PPS and an IDR every [`GOP`]
/// frames, a skipped P frame otherwise.
pub fn video_frame(n: usize) -> Vec<Vec<u8>> {
    if n.is_multiple_of(GOP) {
        vec![
            sps(),
            pps(),
            idr((n / GOP) as u32 % 16, (n / GOP * 37 % 250) as u8),
        ]
    } else {
        vec![skipped((n % GOP) as u32)]
    }
}

/// NAL units as Annex B (four-byte start codes).
pub fn annex_b(units: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in units {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(unit);
    }
    out
}

/// The NAL units of an Annex B access unit, whatever its start codes' length (a relay may
/// rewrite four-byte start codes as three-byte ones).
pub fn nal_units(annex_b: &[u8]) -> Vec<Vec<u8>> {
    annexb_nals(annex_b).map(<[u8]>::to_vec).collect()
}

/// Opus packet `n`.
pub fn opus_packet(n: usize) -> Vec<u8> {
    let mut packet = vec![0xF8];
    packet.extend((0..20).map(|i| (n as u8).wrapping_mul(7).wrapping_add(i)));
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_codes_match_the_table_of_h264_9_1() {
        // Table 9-2: 0 -> 1, 1 -> 010, 2 -> 011, 3 -> 00100.
        let mut b = Bits::default();
        for v in [0, 1, 2, 3] {
            b.ue(v);
        }
        assert_eq!(b.trailing(), [0b1010_0110, 0b0100_1000]);
        let mut b = Bits::default();
        b.se(-1); // 2 -> 011
        b.se(1); // 1 -> 010
        assert_eq!(b.trailing(), [0b0110_1010]);
    }

    #[test]
    fn the_sps_reads_back_as_16x16_constrained_baseline() {
        let sps = sps();
        assert_eq!(&sps[..4], &[0x67, 66, 0xC0, 10]);
        let parsed = weir_media::Sps::parse(&sps).unwrap();
        assert_eq!(
            (parsed.width, parsed.height, parsed.profile_idc),
            (16, 16, 66)
        );
    }

    #[test]
    fn access_units_split_back_into_their_units() {
        for n in [0, 1, GOP, GOP + 3] {
            let units = video_frame(n);
            assert_eq!(nal_units(&annex_b(&units)), units);
        }
        assert_eq!(video_frame(0).len(), 3);
        assert_eq!(video_frame(1)[0][0] & 0x1f, 1);
    }
}
