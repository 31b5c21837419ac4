//! H.265/HEVC: the decoder configuration record of ISO/IEC 14496-15 §8.3.3.1 (Enhanced RTMP
//! `hvc1` sequence start, MP4 `hvcC`) and the parts of the sequence parameter set
//! (H.265 §7.3.2.2.1) that give the picture size.

use crate::Error;
use crate::bits::{BitReader, BitWriter, Rbsp};
use crate::h26x::{
    FrameRate, chroma_subsampling, cropped_size, length_size, length_size_minus_one,
    read_parameter_sets, skip_vui_head, write_parameter_sets,
};
use crate::nal::HevcNalType;
use crate::rules::{
    HEVC_CONFIG_SYNTAX, HEVC_CONFIG_VERSION, HEVC_LENGTH_SIZE, HEVC_SPS,
    HEVC_SPS_CONFORMANCE_WINDOW,
};
use bytes::Bytes;

/// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HevcDecoderConfig {
    /// The general profile, tier and level of the stream (H.265 §7.3.3).
    pub general: ProfileTierLevel,
    /// `min_spatial_segmentation_idc` (12 bits).
    pub min_spatial_segmentation_idc: u16,
    /// `parallelismType` (2 bits).
    pub parallelism_type: u8,
    /// `chroma_format_idc` (2 bits).
    pub chroma_format: u8,
    /// Luma bit depth, 8 to 15.
    pub bit_depth_luma: u8,
    /// Chroma bit depth, 8 to 15.
    pub bit_depth_chroma: u8,
    /// `avgFrameRate` in frames per 256 seconds (0: unspecified).
    pub avg_frame_rate: u16,
    /// `constantFrameRate` (2 bits).
    pub constant_frame_rate: u8,
    /// `numTemporalLayers` (3 bits).
    pub num_temporal_layers: u8,
    /// `temporalIdNested`: temporal sub-layer switching is possible at any picture.
    pub temporal_id_nested: bool,
    /// Bytes in each NAL unit length prefix: 1, 2 or 4.
    pub length_size: u8,
    /// The parameter set and SEI arrays, in record order.
    pub arrays: Vec<HevcNalArray>,
}

/// The general profile, tier and level fields shared by the record and the SPS (H.265 §7.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProfileTierLevel {
    /// `general_profile_space` (2 bits).
    pub profile_space: u8,
    /// `general_tier_flag`: the High tier.
    pub high_tier: bool,
    /// `general_profile_idc` (5 bits): 1 Main, 2 Main 10, 3 Main Still Picture, 4 Rext...
    pub profile_idc: u8,
    /// `general_profile_compatibility_flag[0..32]`, flag 0 in the top bit.
    pub profile_compatibility_flags: u32,
    /// The 48 bits from `general_progressive_source_flag` to `general_inbld_flag`/reserved.
    pub constraint_indicator_flags: u64,
    /// `general_level_idc`: 30 times the level number.
    pub level_idc: u8,
}

impl ProfileTierLevel {
    fn read(r: &mut BitReader<'_>) -> Result<Self, Error> {
        Ok(ProfileTierLevel {
            profile_space: r.u(2, "general_profile_space")? as u8,
            high_tier: r.flag("general_tier_flag")?,
            profile_idc: r.u(5, "general_profile_idc")? as u8,
            profile_compatibility_flags: r.u(32, "general_profile_compatibility_flags")?,
            constraint_indicator_flags: r.u64(48, "general_constraint_indicator_flags")?,
            level_idc: r.u8("general_level_idc")?,
        })
    }

    fn write(&self, w: &mut BitWriter) {
        w.put(2, self.profile_space.into());
        w.flag(self.high_tier);
        w.put(5, self.profile_idc.into());
        w.put(32, self.profile_compatibility_flags.into());
        w.put(48, self.constraint_indicator_flags);
        w.put(8, self.level_idc.into());
    }

    /// The profile name as FFmpeg prints it ("Main", "Main 10", "Main Still Picture", "Rext");
    /// a `general_profile_idc` of 0 falls back to the first compatibility flag set (A.3).
    pub fn profile_name(&self) -> Option<&'static str> {
        let idc = match self.profile_idc {
            0 => (1..=4).find(|i| self.profile_compatibility_flags & (1 << (31 - i)) != 0)?,
            idc => idc,
        };
        Some(match idc {
            1 => "Main",
            2 => "Main 10",
            3 => "Main Still Picture",
            4 => "Rext",
            _ => return None,
        })
    }

    /// The level as a number, "3" or "3.1" (`general_level_idc` is 30 times it, A.4.1).
    pub fn level_name(&self) -> String {
        let (major, minor) = (self.level_idc / 30, self.level_idc % 30 / 3);
        match minor {
            0 => format!("{major}"),
            _ => format!("{major}.{minor}"),
        }
    }
}

/// One array of NAL units of one type in the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HevcNalArray {
    /// `array_completeness`: every NAL unit of this type is in the array, none in the samples.
    pub complete: bool,
    /// `NAL_unit_type` of every NAL unit in the array.
    pub nal_type: HevcNalType,
    /// The NAL units, headers included.
    pub nalus: Vec<Bytes>,
}

impl HevcDecoderConfig {
    /// Parses a record. Bytes after the last array are ignored.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let mut r = BitReader::new(data, &HEVC_CONFIG_SYNTAX);
        let version = r.u8("configurationVersion")?;
        if version != 1 {
            return Err(Error::rule(
                &HEVC_CONFIG_VERSION,
                0,
                format!("configurationVersion is {version}, not 1"),
            ));
        }
        let general = ProfileTierLevel::read(&mut r)?;
        r.skip(4, "reserved")?;
        let min_spatial_segmentation_idc = r.u(12, "min_spatial_segmentation_idc")? as u16;
        r.skip(6, "reserved")?;
        let parallelism_type = r.u(2, "parallelismType")? as u8;
        r.skip(6, "reserved")?;
        let chroma_format = r.u(2, "chromaFormat")? as u8;
        r.skip(5, "reserved")?;
        let bit_depth_luma = r.u(3, "bitDepthLumaMinus8")? as u8 + 8;
        r.skip(5, "reserved")?;
        let bit_depth_chroma = r.u(3, "bitDepthChromaMinus8")? as u8 + 8;
        let avg_frame_rate = r.u16("avgFrameRate")?;
        let constant_frame_rate = r.u(2, "constantFrameRate")? as u8;
        let num_temporal_layers = r.u(3, "numTemporalLayers")? as u8;
        let temporal_id_nested = r.flag("temporalIdNested")?;
        let length_size = length_size(r.u(2, "lengthSizeMinusOne")?, &HEVC_LENGTH_SIZE, 21)?;
        let count = r.u8("numOfArrays")?;
        // Each array needs at least 3 bytes: allocate no more than the input can hold.
        let mut arrays = Vec::with_capacity(usize::from(count).min(r.bits_left() / 24));
        for _ in 0..count {
            let complete = r.flag("array_completeness")?;
            r.skip(1, "reserved")?;
            let nal_type = HevcNalType(r.u(6, "NAL_unit_type")? as u8);
            let n = r.u16("numNalus")?;
            let nalus = read_parameter_sets(&mut r, n.into(), "nalUnit")?;
            arrays.push(HevcNalArray {
                complete,
                nal_type,
                nalus,
            });
        }
        Ok(HevcDecoderConfig {
            general,
            min_spatial_segmentation_idc,
            parallelism_type,
            chroma_format,
            bit_depth_luma,
            bit_depth_chroma,
            avg_frame_rate,
            constant_frame_rate,
            num_temporal_layers,
            temporal_id_nested,
            length_size,
            arrays,
        })
    }

    /// Writes the record; fails, naming the rule, when a field cannot be encoded.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let bad =
            |what: &str| Error::rule(&HEVC_CONFIG_SYNTAX, 0, format!("{what} cannot be encoded"));
        let g = &self.general;
        if g.profile_space > 3 || g.profile_idc > 31 || g.constraint_indicator_flags >> 48 != 0 {
            return Err(bad("general profile"));
        }
        if self.min_spatial_segmentation_idc > 0xfff
            || self.parallelism_type > 3
            || self.chroma_format > 3
        {
            return Err(bad(
                "min_spatial_segmentation_idc, parallelismType or chromaFormat",
            ));
        }
        if !(8..=15).contains(&self.bit_depth_luma) || !(8..=15).contains(&self.bit_depth_chroma) {
            return Err(bad("bit depth"));
        }
        if self.constant_frame_rate > 3 || self.num_temporal_layers > 7 {
            return Err(bad("constantFrameRate or numTemporalLayers"));
        }
        let count = u8::try_from(self.arrays.len()).map_err(|_| bad("more than 255 arrays"))?;
        let mut w = BitWriter::new();
        w.put(8, 1);
        g.write(&mut w);
        w.put(4, 0b1111);
        w.put(12, self.min_spatial_segmentation_idc.into());
        w.put(6, 0b11_1111);
        w.put(2, self.parallelism_type.into());
        w.put(6, 0b11_1111);
        w.put(2, self.chroma_format.into());
        w.put(5, 0b1_1111);
        w.put(3, u64::from(self.bit_depth_luma - 8));
        w.put(5, 0b1_1111);
        w.put(3, u64::from(self.bit_depth_chroma - 8));
        w.put(16, self.avg_frame_rate.into());
        w.put(2, self.constant_frame_rate.into());
        w.put(3, self.num_temporal_layers.into());
        w.flag(self.temporal_id_nested);
        w.put(
            2,
            length_size_minus_one(self.length_size, &HEVC_LENGTH_SIZE)?,
        );
        w.put(8, count.into());
        for array in &self.arrays {
            if array.nal_type.0 > 63 {
                return Err(bad("NAL_unit_type"));
            }
            w.flag(array.complete);
            w.flag(false);
            w.put(6, array.nal_type.0.into());
            write_parameter_sets(&mut w, &array.nalus, 16, "NAL unit", &HEVC_CONFIG_SYNTAX)?;
        }
        Ok(w.finish())
    }

    /// The NAL units of one type, in record order.
    pub fn nalus(&self, nal_type: HevcNalType) -> impl Iterator<Item = &Bytes> {
        self.arrays
            .iter()
            .filter(move |a| a.nal_type == nal_type)
            .flat_map(|a| &a.nalus)
    }

    /// The first SPS, parsed; error offsets count from the start of the record.
    pub fn first_sps(&self) -> Option<Result<HevcSps, Error>> {
        // 23 fixed bytes; each array adds 3 bytes, each NAL unit 2 plus its length.
        let mut offset = 23;
        for array in &self.arrays {
            offset += 3;
            for nal in &array.nalus {
                if array.nal_type == HevcNalType::SPS {
                    return Some(HevcSps::parse(nal).map_err(|e| e.shifted((offset + 2) as u64)));
                }
                offset += 2 + nal.len();
            }
        }
        None
    }
}

/// The parts of an H.265 sequence parameter set (H.265 §7.3.2.2.1) up to the bit depths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HevcSps {
    /// The general profile, tier and level of `profile_tier_level` (§7.3.3).
    pub general: ProfileTierLevel,
    /// `sps_seq_parameter_set_id` (0-15): the id PPSs refer to.
    pub seq_parameter_set_id: u32,
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// `separate_colour_plane_flag`: 4:4:4 coded as three separate colour planes.
    pub separate_colour_plane: bool,
    /// `pic_width_in_luma_samples`: the decoded width.
    pub coded_width: u32,
    /// `pic_height_in_luma_samples`: the decoded height.
    pub coded_height: u32,
    /// The width of the conformance window (§7.4.3.2.1): what a player shows.
    pub width: u32,
    /// The height of the conformance window.
    pub height: u32,
    /// Luma bit depth (`bit_depth_luma_minus8` + 8).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (`bit_depth_chroma_minus8` + 8).
    pub bit_depth_chroma: u8,
    /// Frames per second from the VUI timing information (E.2.1), when present. `None` also
    /// when the SPS past the bit depths does not parse: the picture size above does not
    /// depend on it, and a server should not refuse a stream for its timing hints.
    pub frame_rate: Option<FrameRate>,
}

impl HevcSps {
    /// Parses an SPS NAL unit (two-byte header included).
    pub fn parse(nal: &[u8]) -> Result<Self, Error> {
        let rbsp = Rbsp::from_nal(nal);
        let mut r = rbsp.reader(&HEVC_SPS);
        let header = r.u16("nal_unit_header")?;
        let nal_type = HevcNalType::of_header((header >> 8) as u8);
        if nal_type != HevcNalType::SPS {
            return Err(Error::rule(
                &HEVC_SPS,
                0,
                format!("NAL unit type {} is not an SPS (33)", nal_type.0),
            ));
        }
        r.skip(4, "sps_video_parameter_set_id")?;
        let max_sub_layers_minus1 = r.u(3, "sps_max_sub_layers_minus1")?;
        if max_sub_layers_minus1 > 6 {
            return Err(r.error(format!(
                "sps_max_sub_layers_minus1 is {max_sub_layers_minus1}, above 6"
            )));
        }
        r.skip(1, "sps_temporal_id_nesting_flag")?;
        let general = ProfileTierLevel::read(&mut r)?;
        skip_sub_layers(&mut r, max_sub_layers_minus1)?;
        let seq_parameter_set_id = r.ue_max(15, "sps_seq_parameter_set_id")?;
        let chroma_format_idc = r.ue_max(3, "chroma_format_idc")? as u8;
        let separate_colour_plane =
            chroma_format_idc == 3 && r.flag("separate_colour_plane_flag")?;
        let coded_width = r.ue("pic_width_in_luma_samples")?;
        let coded_height = r.ue("pic_height_in_luma_samples")?;
        let window_offset = r.byte_offset();
        let window = if r.flag("conformance_window_flag")? {
            [
                r.ue("conf_win_left_offset")?,
                r.ue("conf_win_right_offset")?,
                r.ue("conf_win_top_offset")?,
                r.ue("conf_win_bottom_offset")?,
            ]
        } else {
            [0; 4]
        };
        let bit_depth_luma = r.ue_max(8, "bit_depth_luma_minus8")? as u8 + 8;
        let bit_depth_chroma = r.ue_max(8, "bit_depth_chroma_minus8")? as u8 + 8;
        let frame_rate = vui_frame_rate(&mut r, max_sub_layers_minus1).ok().flatten();
        let (width, height) = cropped_size(
            (coded_width.into(), coded_height.into()),
            window,
            chroma_subsampling(separate_colour_plane, chroma_format_idc),
        )
        .map_err(|detail| {
            Error::rule(&HEVC_SPS_CONFORMANCE_WINDOW, window_offset as u64, detail)
        })?;
        Ok(HevcSps {
            general,
            seq_parameter_set_id,
            chroma_format_idc,
            separate_colour_plane,
            coded_width,
            coded_height,
            // Both fit: they are at most the u32 coded sizes.
            width: width as u32,
            height: height as u32,
            bit_depth_luma,
            bit_depth_chroma,
            frame_rate,
        })
    }
}

/// Reads the rest of the SPS up to the VUI timing information (§7.3.2.2.1, E.2.1).
fn vui_frame_rate(
    r: &mut BitReader<'_>,
    max_sub_layers_minus1: u32,
) -> Result<Option<FrameRate>, Error> {
    let log2_max_poc_lsb = r.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")? + 4;
    let first = if r.flag("sps_sub_layer_ordering_info_present_flag")? {
        0
    } else {
        max_sub_layers_minus1
    };
    for _ in first..=max_sub_layers_minus1 {
        r.ue("sps_max_dec_pic_buffering_minus1")?;
        r.ue("sps_max_num_reorder_pics")?;
        r.ue("sps_max_latency_increase_plus1")?;
    }
    for field in [
        "log2_min_luma_coding_block_size_minus3",
        "log2_diff_max_min_luma_coding_block_size",
        "log2_min_luma_transform_block_size_minus2",
        "log2_diff_max_min_luma_transform_block_size",
        "max_transform_hierarchy_depth_inter",
        "max_transform_hierarchy_depth_intra",
    ] {
        r.ue(field)?;
    }
    if r.flag("scaling_list_enabled_flag")? && r.flag("sps_scaling_list_data_present_flag")? {
        skip_scaling_list_data(r)?;
    }
    r.skip(2, "amp_enabled_flag, sample_adaptive_offset_enabled_flag")?;
    if r.flag("pcm_enabled_flag")? {
        r.skip(
            8,
            "pcm_sample_bit_depth_luma_minus1, pcm_sample_bit_depth_chroma_minus1",
        )?;
        r.ue("log2_min_pcm_luma_coding_block_size_minus3")?;
        r.ue("log2_diff_max_min_pcm_luma_coding_block_size")?;
        r.skip(1, "pcm_loop_filter_disabled_flag")?;
    }
    let sets = r.ue_max(64, "num_short_term_ref_pic_sets")?;
    let mut previous_delta_pocs = 0u32;
    for index in 0..sets {
        previous_delta_pocs = skip_st_ref_pic_set(r, index, previous_delta_pocs)?;
    }
    if r.flag("long_term_ref_pics_present_flag")? {
        let count = r.ue_max(32, "num_long_term_ref_pics_sps")?;
        r.skip(
            count as usize * (log2_max_poc_lsb as usize + 1),
            "lt_ref_pic_poc_lsb_sps",
        )?;
    }
    r.skip(
        2,
        "sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag",
    )?;
    if !r.flag("vui_parameters_present_flag")? {
        return Ok(None);
    }
    skip_vui_head(r)?;
    r.skip(
        3,
        "neutral_chroma_indication_flag, field_seq_flag, frame_field_info_present_flag",
    )?;
    if r.flag("default_display_window_flag")? {
        for _ in 0..4 {
            r.ue("def_disp_win_offset")?;
        }
    }
    if !r.flag("vui_timing_info_present_flag")? {
        return Ok(None);
    }
    let num_units_in_tick = r.u(32, "vui_num_units_in_tick")?;
    let time_scale = r.u(32, "vui_time_scale")?;
    Ok(FrameRate::new(time_scale, num_units_in_tick))
}

/// Skips `scaling_list_data()` (§7.3.4).
fn skip_scaling_list_data(r: &mut BitReader<'_>) -> Result<(), Error> {
    for size_id in 0..4 {
        let step = if size_id == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !r.flag("scaling_list_pred_mode_flag")? {
                r.ue("scaling_list_pred_matrix_id_delta")?;
                continue;
            }
            if size_id > 1 {
                r.se("scaling_list_dc_coef_minus8")?;
            }
            for _ in 0..(16 << (2 * size_id)).min(64) {
                r.se("scaling_list_delta_coef")?;
            }
        }
    }
    Ok(())
}

/// Skips `st_ref_pic_set(index)` as the SPS carries it (§7.3.7) and returns its NumDeltaPocs,
/// which the next set needs when it is predicted from this one.
fn skip_st_ref_pic_set(
    r: &mut BitReader<'_>,
    index: u32,
    previous_delta_pocs: u32,
) -> Result<u32, Error> {
    if index != 0 && r.flag("inter_ref_pic_set_prediction_flag")? {
        r.skip(1, "delta_rps_sign")?;
        r.ue("abs_delta_rps_minus1")?;
        let mut delta_pocs = 0;
        for _ in 0..=previous_delta_pocs {
            // use_delta_flag is inferred to be 1 when absent.
            if r.flag("used_by_curr_pic_flag")? || r.flag("use_delta_flag")? {
                delta_pocs += 1;
            }
        }
        return Ok(delta_pocs);
    }
    let negative = r.ue_max(16, "num_negative_pics")?;
    let positive = r.ue_max(16, "num_positive_pics")?;
    for _ in 0..negative + positive {
        r.ue("delta_poc_minus1")?;
        r.skip(1, "used_by_curr_pic_flag")?;
    }
    Ok(negative + positive)
}

/// Skips the sub-layer part of `profile_tier_level(1, maxNumSubLayersMinus1)` (§7.3.3).
fn skip_sub_layers(r: &mut BitReader<'_>, max_sub_layers_minus1: u32) -> Result<(), Error> {
    let mut present = Vec::with_capacity(max_sub_layers_minus1 as usize);
    for _ in 0..max_sub_layers_minus1 {
        present.push((
            r.flag("sub_layer_profile_present_flag")?,
            r.flag("sub_layer_level_present_flag")?,
        ));
    }
    if max_sub_layers_minus1 > 0 {
        r.skip(
            2 * (8 - max_sub_layers_minus1 as usize),
            "reserved_zero_2bits",
        )?;
    }
    for (profile, level) in present {
        if profile {
            r.skip(88, "sub_layer_profile")?;
        }
        if level {
            r.skip(8, "sub_layer_level_idc")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avc::tests::hex;
    use proptest::prelude::*;

    /// libx265 (ffmpeg 5.1, `testsrc=size=320x180 -pix_fmt yuv420p`): Main, level 2 (idc 60),
    /// 320x184 coded with a 4-line conformance window; ffprobe: Main, 320x180, coded 320x184.
    const X265_MAIN_320X180_SPS: &str =
        "42010101600000030090000003000003003ca00a080b9f796566924caf016808000003000800000300c840";
    const X265_VPS: &str = "40010c01ffff01600000030090000003000003003c959809";
    const X265_PPS: &str = "4401c172b46240";

    #[test]
    fn parses_x265_sps_with_conformance_window() {
        let sps = HevcSps::parse(&hex(X265_MAIN_320X180_SPS)).unwrap();
        assert_eq!((sps.coded_width, sps.coded_height), (320, 184));
        assert_eq!((sps.width, sps.height), (320, 180));
        assert_eq!(
            (
                sps.chroma_format_idc,
                sps.bit_depth_luma,
                sps.bit_depth_chroma
            ),
            (1, 8, 8)
        );
        assert_eq!(
            (
                sps.general.profile_idc,
                sps.general.level_idc,
                sps.general.high_tier
            ),
            (1, 60, false)
        );
        assert_eq!(sps.general.profile_name(), Some("Main"));
        assert_eq!(sps.general.level_name(), "2");
        assert_eq!(sps.frame_rate, FrameRate::new(25, 1));
        for cut in 2..20 {
            let e = HevcSps::parse(&hex(X265_MAIN_320X180_SPS)[..cut]).unwrap_err();
            assert_eq!(e.rule_id(), "media.hevc.sps", "{e}");
        }
        assert!(
            HevcSps::parse(&hex(X265_VPS))
                .unwrap_err()
                .detail
                .contains("not an SPS")
        );
    }

    #[test]
    fn level_and_profile_names() {
        let ptl = |profile_idc, flags, level_idc| ProfileTierLevel {
            profile_idc,
            profile_compatibility_flags: flags,
            level_idc,
            ..Default::default()
        };
        assert_eq!(ptl(1, 0, 153).level_name(), "5.1");
        assert_eq!(ptl(2, 0, 93).level_name(), "3.1");
        assert_eq!(ptl(2, 0, 93).profile_name(), Some("Main 10"));
        assert_eq!(ptl(0, 1 << 29, 93).profile_name(), Some("Main 10"));
        assert_eq!(ptl(4, 0, 93).profile_name(), Some("Rext"));
        assert_eq!(ptl(9, 0, 93).profile_name(), None);
    }

    fn x265_record() -> HevcDecoderConfig {
        let array = |complete, nal_type, nal: &str| HevcNalArray {
            complete,
            nal_type,
            nalus: vec![Bytes::from(hex(nal))],
        };
        HevcDecoderConfig {
            general: HevcSps::parse(&hex(X265_MAIN_320X180_SPS)).unwrap().general,
            min_spatial_segmentation_idc: 0,
            parallelism_type: 0,
            chroma_format: 1,
            bit_depth_luma: 8,
            bit_depth_chroma: 8,
            avg_frame_rate: 0,
            constant_frame_rate: 0,
            num_temporal_layers: 1,
            temporal_id_nested: true,
            length_size: 4,
            arrays: vec![
                array(true, HevcNalType::VPS, X265_VPS),
                array(true, HevcNalType::SPS, X265_MAIN_320X180_SPS),
                array(false, HevcNalType::PPS, X265_PPS),
            ],
        }
    }

    #[test]
    fn record_round_trip_and_errors() {
        let record = x265_record();
        let bytes = record.to_bytes().unwrap();
        assert_eq!(hex("010160000000900000000000"), &bytes[..12]);
        assert_eq!(hex("3cf000fcfdf8f800000f03a0000100"), &bytes[12..27]);
        assert_eq!(HevcDecoderConfig::parse(&bytes).unwrap(), record);
        assert_eq!(record.first_sps().unwrap().unwrap().height, 180);
        let mut bad = bytes.clone();
        bad[0] = 2;
        assert_eq!(
            HevcDecoderConfig::parse(&bad).unwrap_err().rule_id(),
            "media.hevc.config-version"
        );
        bad[0] = 1;
        bad[21] = 0x0e;
        assert_eq!(
            HevcDecoderConfig::parse(&bad).unwrap_err().rule_id(),
            "media.hevc.length-size"
        );
        let e = HevcDecoderConfig::parse(&bytes[..40]).unwrap_err();
        assert_eq!(e.rule_id(), "media.hevc.config-syntax");
        // An SPS error is reported at its offset in the record.
        let mut broken = record.clone();
        broken.arrays[1].nalus[0] = broken.arrays[1].nalus[0].slice(..10);
        let e = broken.first_sps().unwrap().unwrap_err();
        assert_eq!(e.rule_id(), "media.hevc.sps");
        assert!(
            (23 + 3 + 2 + 24 + 3 + 2..23 + 3 + 2 + 24 + 3 + 2 + 10).contains(&(e.offset as usize)),
            "{e}"
        );
    }

    prop_compose! {
        fn record()(
            general in (0u8..4, any::<bool>(), 0u8..32, any::<u32>(), 0u64..1 << 48, any::<u8>()),
            layout in (0u16..4096, 0u8..4, 0u8..4, 8u8..16, 8u8..16, any::<u16>(), 0u8..4, 0u8..8, any::<bool>()),
            length_size in prop_oneof![Just(1u8), Just(2), Just(4)],
            arrays in proptest::collection::vec(
                (any::<bool>(), 0u8..64, proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..3)),
                0..4,
            ),
        ) -> HevcDecoderConfig {
            HevcDecoderConfig {
                general: ProfileTierLevel {
                    profile_space: general.0,
                    high_tier: general.1,
                    profile_idc: general.2,
                    profile_compatibility_flags: general.3,
                    constraint_indicator_flags: general.4,
                    level_idc: general.5,
                },
                min_spatial_segmentation_idc: layout.0,
                parallelism_type: layout.1,
                chroma_format: layout.2,
                bit_depth_luma: layout.3,
                bit_depth_chroma: layout.4,
                avg_frame_rate: layout.5,
                constant_frame_rate: layout.6,
                num_temporal_layers: layout.7,
                temporal_id_nested: layout.8,
                length_size,
                arrays: arrays.into_iter().map(|(complete, t, nalus)| HevcNalArray {
                    complete,
                    nal_type: HevcNalType(t),
                    nalus: nalus.into_iter().map(Bytes::from).collect(),
                }).collect(),
            }
        }
    }

    proptest! {
        #[test]
        fn record_parse_write_round_trip(record in record()) {
            let bytes = record.to_bytes().unwrap();
            prop_assert_eq!(HevcDecoderConfig::parse(&bytes).unwrap(), record);
        }

        #[test]
        fn no_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Ok(record) = HevcDecoderConfig::parse(&data) {
                let _ = record.first_sps();
            }
            let mut nal = vec![0x42, 0x01];
            nal.extend_from_slice(&data);
            let _ = HevcSps::parse(&nal);
        }
    }
}
