//! H.264/AVC: the decoder configuration record of ISO/IEC 14496-15 §5.3.3.1 (what FLV and MP4
//! carry as the video sequence header) and the sequence parameter set of H.264 §7.3.2.1.1,
//! which holds the profile, level and picture size a server reports.

use crate::Error;
use crate::bits::{BitReader, BitWriter, Rbsp};
use crate::h26x::{
    FrameRate, chroma_subsampling, cropped_size, length_size, length_size_minus_one,
    read_parameter_sets, skip_vui_head, write_parameter_sets,
};
use crate::nal::AvcNalType;
use crate::rules::{
    AVC_CONFIG_SYNTAX, AVC_CONFIG_VERSION, AVC_LENGTH_SIZE, AVC_SPS, AVC_SPS_CROPPING,
};
use bytes::Bytes;

/// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcDecoderConfig {
    /// `AVCProfileIndication`: the `profile_idc` of the SPSs.
    pub profile_indication: u8,
    /// `profile_compatibility`: the constraint-set flags byte of the SPSs.
    pub profile_compatibility: u8,
    /// `AVCLevelIndication`: the `level_idc` of the SPSs.
    pub level_indication: u8,
    /// Bytes in each NAL unit length prefix: 1, 2 or 4.
    pub length_size: u8,
    /// Sequence parameter set NAL units (header byte included).
    pub sps: Vec<Bytes>,
    /// Picture parameter set NAL units (header byte included).
    pub pps: Vec<Bytes>,
    /// The fields the record adds for the high profiles (`profile_idc` 100, 110, 122, 144),
    /// when the record carries them; many writers omit them.
    pub high: Option<AvcHighExtension>,
}

/// The high-profile tail of the AVC record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcHighExtension {
    /// `chroma_format_idc` (2 bits).
    pub chroma_format: u8,
    /// Luma bit depth, 8 to 15.
    pub bit_depth_luma: u8,
    /// Chroma bit depth, 8 to 15.
    pub bit_depth_chroma: u8,
    /// Sequence parameter set extension NAL units.
    pub sps_ext: Vec<Bytes>,
}

/// The profiles whose records may carry the [`AvcHighExtension`].
fn has_high_extension(profile_idc: u8) -> bool {
    matches!(profile_idc, 100 | 110 | 122 | 144)
}

impl AvcDecoderConfig {
    /// Parses a record. Bytes after the last field are ignored, as the spec allows later
    /// versions to add fields.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let mut r = BitReader::new(data, &AVC_CONFIG_SYNTAX);
        let version = r.u8("configurationVersion")?;
        if version != 1 {
            return Err(Error::rule(
                &AVC_CONFIG_VERSION,
                0,
                format!("configurationVersion is {version}, not 1"),
            ));
        }
        let profile_indication = r.u8("AVCProfileIndication")?;
        let profile_compatibility = r.u8("profile_compatibility")?;
        let level_indication = r.u8("AVCLevelIndication")?;
        r.skip(6, "reserved")?;
        let length_size = length_size(r.u(2, "lengthSizeMinusOne")?, &AVC_LENGTH_SIZE, 4)?;
        r.skip(3, "reserved")?;
        let sps_count = r.u(5, "numOfSequenceParameterSets")?;
        let sps = read_parameter_sets(&mut r, sps_count as usize, "sequenceParameterSetNALUnit")?;
        let pps_count = r.u8("numOfPictureParameterSets")?;
        let pps = read_parameter_sets(&mut r, pps_count.into(), "pictureParameterSetNALUnit")?;
        let high = if has_high_extension(profile_indication) && r.bits_left() >= 32 {
            r.skip(6, "reserved")?;
            let chroma_format = r.u(2, "chroma_format")? as u8;
            r.skip(5, "reserved")?;
            let bit_depth_luma = r.u(3, "bit_depth_luma_minus8")? as u8 + 8;
            r.skip(5, "reserved")?;
            let bit_depth_chroma = r.u(3, "bit_depth_chroma_minus8")? as u8 + 8;
            let count = r.u8("numOfSequenceParameterSetExt")?;
            let sps_ext =
                read_parameter_sets(&mut r, count.into(), "sequenceParameterSetExtNALUnit")?;
            Some(AvcHighExtension {
                chroma_format,
                bit_depth_luma,
                bit_depth_chroma,
                sps_ext,
            })
        } else {
            None
        };
        Ok(AvcDecoderConfig {
            profile_indication,
            profile_compatibility,
            level_indication,
            length_size,
            sps,
            pps,
            high,
        })
    }

    /// Writes the record. Fails, naming the rule the output would break, when a field cannot
    /// be encoded (more than 31 SPSs, a NAL unit over 65535 bytes, a bad length size, ...).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut w = BitWriter::new();
        w.put(8, 1);
        w.put(8, self.profile_indication.into());
        w.put(8, self.profile_compatibility.into());
        w.put(8, self.level_indication.into());
        w.put(6, 0b11_1111);
        w.put(
            2,
            length_size_minus_one(self.length_size, &AVC_LENGTH_SIZE)?,
        );
        w.put(3, 0b111);
        write_parameter_sets(&mut w, &self.sps, 5, "SPS", &AVC_CONFIG_SYNTAX)?;
        write_parameter_sets(&mut w, &self.pps, 8, "PPS", &AVC_CONFIG_SYNTAX)?;
        if let Some(high) = &self.high {
            let bad = |what: &str| {
                Error::rule(&AVC_CONFIG_SYNTAX, 0, format!("{what} cannot be encoded"))
            };
            if high.chroma_format > 3 {
                return Err(bad("chroma_format"));
            }
            if !(8..=15).contains(&high.bit_depth_luma)
                || !(8..=15).contains(&high.bit_depth_chroma)
            {
                return Err(bad("bit depth"));
            }
            w.put(6, 0b11_1111);
            w.put(2, high.chroma_format.into());
            w.put(5, 0b1_1111);
            w.put(3, u64::from(high.bit_depth_luma - 8));
            w.put(5, 0b1_1111);
            w.put(3, u64::from(high.bit_depth_chroma - 8));
            write_parameter_sets(
                &mut w,
                &high.sps_ext,
                8,
                "SPS extension",
                &AVC_CONFIG_SYNTAX,
            )?;
        }
        Ok(w.finish())
    }

    /// The first SPS, parsed; error offsets count from the start of the record.
    pub fn first_sps(&self) -> Option<Result<Sps, Error>> {
        // The first SPS follows the 6 fixed bytes and its 2-byte length.
        self.sps
            .first()
            .map(|nal| Sps::parse(nal).map_err(|e| e.shifted(8)))
    }
}

/// The parts of an H.264 sequence parameter set (H.264 §7.3.2.1.1) a server reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sps {
    /// `profile_idc` (Annex A.2): 66 Baseline, 77 Main, 100 High, ...
    pub profile_idc: u8,
    /// `constraint_set0_flag` in the top bit through `constraint_set5_flag`, then 2 reserved bits.
    pub constraint_flags: u8,
    /// `level_idc` (Annex A.3): the level times ten (31 is level 3.1).
    pub level_idc: u8,
    /// `seq_parameter_set_id` (0-31): the id PPSs refer to.
    pub seq_parameter_set_id: u32,
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// `separate_colour_plane_flag`: 4:4:4 coded as three separate colour planes.
    pub separate_colour_plane: bool,
    /// Luma bit depth (`bit_depth_luma_minus8` + 8); 8 for profiles that cannot signal it.
    pub bit_depth_luma: u8,
    /// Chroma bit depth (`bit_depth_chroma_minus8` + 8); 8 for profiles that cannot signal it.
    pub bit_depth_chroma: u8,
    /// Every picture is a frame (no field coding).
    pub frame_mbs_only: bool,
    /// Width of the decoded frame in luma samples, before cropping.
    pub coded_width: u32,
    /// Height of the decoded frame in luma samples, before cropping.
    pub coded_height: u32,
    /// Displayed width: the coded width less the cropping rectangle (§7.4.2.1.1).
    pub width: u32,
    /// Displayed height: the coded height less the cropping rectangle (§7.4.2.1.1).
    pub height: u32,
    /// Frames per second from the VUI timing information (Annex E), when present.
    pub frame_rate: Option<FrameRate>,
}

/// Profiles whose SPS carries chroma format, bit depths and scaling matrices (§7.3.2.1.1).
fn has_chroma_info(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

impl Sps {
    /// Parses an SPS NAL unit (header byte included).
    pub fn parse(nal: &[u8]) -> Result<Self, Error> {
        let rbsp = Rbsp::from_nal(nal);
        let mut r = rbsp.reader(&AVC_SPS);
        let header = r.u8("nal_unit_header")?;
        if AvcNalType::of_header(header) != AvcNalType::SPS {
            return Err(Error::rule(
                &AVC_SPS,
                0,
                format!("NAL unit type {} is not an SPS (7)", header & 0x1f),
            ));
        }
        let profile_idc = r.u8("profile_idc")?;
        let constraint_flags = r.u8("constraint_set_flags")?;
        let level_idc = r.u8("level_idc")?;
        let seq_parameter_set_id = r.ue_max(31, "seq_parameter_set_id")?;
        let (
            mut chroma_format_idc,
            mut separate_colour_plane,
            mut bit_depth_luma,
            mut bit_depth_chroma,
        ) = (1, false, 8, 8);
        if has_chroma_info(profile_idc) {
            chroma_format_idc = r.ue_max(3, "chroma_format_idc")? as u8;
            if chroma_format_idc == 3 {
                separate_colour_plane = r.flag("separate_colour_plane_flag")?;
            }
            bit_depth_luma = r.ue_max(6, "bit_depth_luma_minus8")? as u8 + 8;
            bit_depth_chroma = r.ue_max(6, "bit_depth_chroma_minus8")? as u8 + 8;
            r.skip(1, "qpprime_y_zero_transform_bypass_flag")?;
            if r.flag("seq_scaling_matrix_present_flag")? {
                let lists = if chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.flag("seq_scaling_list_present_flag")? {
                        skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }
        r.ue_max(12, "log2_max_frame_num_minus4")?;
        match r.ue_max(2, "pic_order_cnt_type")? {
            0 => {
                r.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")?;
            }
            1 => {
                r.skip(1, "delta_pic_order_always_zero_flag")?;
                r.se("offset_for_non_ref_pic")?;
                r.se("offset_for_top_to_bottom_field")?;
                let cycle = r.ue_max(255, "num_ref_frames_in_pic_order_cnt_cycle")?;
                for _ in 0..cycle {
                    r.se("offset_for_ref_frame")?;
                }
            }
            _ => {}
        }
        r.ue("max_num_ref_frames")?;
        r.skip(1, "gaps_in_frame_num_value_allowed_flag")?;
        let width_in_mbs = u64::from(r.ue("pic_width_in_mbs_minus1")?) + 1;
        let height_in_map_units = u64::from(r.ue("pic_height_in_map_units_minus1")?) + 1;
        let frame_mbs_only = r.flag("frame_mbs_only_flag")?;
        if !frame_mbs_only {
            r.skip(1, "mb_adaptive_frame_field_flag")?;
        }
        r.skip(1, "direct_8x8_inference_flag")?;
        let crop_offset = r.byte_offset();
        let crop = if r.flag("frame_cropping_flag")? {
            [
                r.ue("frame_crop_left_offset")?,
                r.ue("frame_crop_right_offset")?,
                r.ue("frame_crop_top_offset")?,
                r.ue("frame_crop_bottom_offset")?,
            ]
        } else {
            [0; 4]
        };
        let frame_rate = if r.flag("vui_parameters_present_flag")? {
            vui_frame_rate(&mut r)?
        } else {
            None
        };

        let coded_width = width_in_mbs * 16;
        let coded_height = (2 - u64::from(frame_mbs_only)) * height_in_map_units * 16;
        // CropUnitY doubles when the frame is coded as two fields (§7.4.2.1.1).
        let (crop_unit_x, sub_height) =
            chroma_subsampling(separate_colour_plane, chroma_format_idc);
        let crop_unit_y = sub_height * (2 - u64::from(frame_mbs_only));
        let (width, height) = cropped_size(
            (coded_width, coded_height),
            crop,
            (crop_unit_x, crop_unit_y),
        )
        .map_err(|detail| Error::rule(&AVC_SPS_CROPPING, crop_offset as u64, detail))?;
        let fit = |v: u64, what: &str| {
            u32::try_from(v).map_err(|_| {
                Error::rule(
                    &AVC_SPS,
                    crop_offset as u64,
                    format!("{what} {v} is out of range"),
                )
            })
        };
        Ok(Sps {
            profile_idc,
            constraint_flags,
            level_idc,
            seq_parameter_set_id,
            chroma_format_idc,
            separate_colour_plane,
            bit_depth_luma,
            bit_depth_chroma,
            frame_mbs_only,
            coded_width: fit(coded_width, "coded width")?,
            coded_height: fit(coded_height, "coded height")?,
            width: fit(width, "width")?,
            height: fit(height, "height")?,
            frame_rate,
        })
    }

    /// `constraint_set<n>_flag`.
    pub fn constraint_set(&self, n: u8) -> bool {
        n < 8 && self.constraint_flags & (0x80 >> n) != 0
    }

    /// The profile name as FFmpeg prints it ("Constrained Baseline", "High", "High 10 Intra"...).
    pub fn profile_name(&self) -> Option<&'static str> {
        profile_name(self.profile_idc, self.constraint_flags)
    }

    /// The level as a number, "3" or "3.1" ("1b" for level 1b), as SRS reports it.
    pub fn level_name(&self) -> String {
        level_name(self.profile_idc, self.constraint_flags, self.level_idc)
    }
}

/// Skips a `scaling_list()` of `size` coefficients (§7.3.2.1.1.1).
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), Error> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            let delta = r.se("delta_scale")?;
            if !(-128..=127).contains(&delta) {
                return Err(r.error(format!("delta_scale {delta} outside -128..=127")));
            }
            next = (last + delta + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

/// Reads the VUI up to its timing information (Annex E.1.1).
fn vui_frame_rate(r: &mut BitReader<'_>) -> Result<Option<FrameRate>, Error> {
    skip_vui_head(r)?;
    if !r.flag("timing_info_present_flag")? {
        return Ok(None);
    }
    let num_units_in_tick = r.u(32, "num_units_in_tick")?;
    let time_scale = r.u(32, "time_scale")?;
    // A frame lasts two ticks: a tick is one field (E.2.1).
    Ok(FrameRate::new(
        time_scale,
        num_units_in_tick.saturating_mul(2),
    ))
}

/// The `slice_type` of a coded slice NAL unit (H.264 §7.3.3: after `first_mb_in_slice`, both
/// Exp-Golomb coded, §9.1), reduced modulo 5 (0 P, 1 B, 2 I, 3 SP, 4 SI); `None` for a NAL unit
/// that is not a slice or is too short. Emulation prevention cannot occur in the first two
/// fields of a slice header that starts with a non-zero byte, and is handled otherwise by
/// giving up.
pub fn slice_type(nal: &[u8]) -> Option<u8> {
    let nal_type = nal.first()? & 0x1f;
    if !matches!(nal_type, 1 | 5) {
        return None;
    }
    let mut bits = nal[1..]
        .iter()
        .take(8)
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1));
    let mut ue = || -> Option<u32> {
        let mut zeros = 0;
        while bits.next()? == 0 {
            zeros += 1;
            if zeros > 16 {
                return None;
            }
        }
        let mut value = 1u32;
        for _ in 0..zeros {
            value = (value << 1) | u32::from(bits.next()?);
        }
        Some(value - 1)
    };
    ue()?;
    Some((ue()? % 5) as u8)
}

/// H.264 profile names as FFmpeg prints them (libavcodec/profiles.c).
pub fn profile_name(profile_idc: u8, constraint_flags: u8) -> Option<&'static str> {
    let set1 = constraint_flags & 0x40 != 0;
    let set3 = constraint_flags & 0x10 != 0;
    Some(match (profile_idc, set1, set3) {
        (66, true, _) => "Constrained Baseline",
        (66, false, _) => "Baseline",
        (77, ..) => "Main",
        (88, ..) => "Extended",
        (100, ..) => "High",
        (110, _, true) => "High 10 Intra",
        (110, ..) => "High 10",
        (122, _, true) => "High 4:2:2 Intra",
        (122, ..) => "High 4:2:2",
        (244, _, true) => "High 4:4:4 Intra",
        (244, ..) => "High 4:4:4 Predictive",
        (44, ..) => "CAVLC 4:4:4",
        (118, ..) => "Multiview High",
        (128, ..) => "Stereo High",
        _ => return None,
    })
}

/// `level_idc` as a level number (Annex A.3): 31 is "3.1", 30 is "3"; 11 with
/// constraint_set3 in the Baseline, Main and Extended profiles (and 9) is level "1b".
pub fn level_name(profile_idc: u8, constraint_flags: u8, level_idc: u8) -> String {
    let set3 = constraint_flags & 0x10 != 0;
    if level_idc == 9 || (level_idc == 11 && set3 && matches!(profile_idc, 66 | 77 | 88)) {
        return "1b".into();
    }
    match level_idc % 10 {
        0 => format!("{}", level_idc / 10),
        minor => format!("{}.{minor}", level_idc / 10),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slice_type_reads_the_second_exp_golomb_field_of_a_slice_header() {
        // first_mb_in_slice 0 ("1"), slice_type 1 = B ("010"), 6 = B again ("00111").
        assert_eq!(slice_type(&[0x01, 0b1010_0000]), Some(1));
        assert_eq!(slice_type(&[0x21, 0b1001_1100]), Some(1));
        // slice_type 7 = I ("0001000"), in an IDR slice.
        assert_eq!(slice_type(&[0x65, 0b1000_1000]), Some(2));
        // slice_type 0 = P ("1").
        assert_eq!(slice_type(&[0x41, 0b1100_0000]), Some(0));
        // Not a slice, or cut short.
        assert_eq!(slice_type(&[0x67, 0xff]), None);
        assert_eq!(slice_type(&[0x41]), None);
        assert_eq!(slice_type(&[0x41, 0, 0]), None);
    }

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// libx264 (ffmpeg 5.1, `testsrc=size=640x360:rate=30 -pix_fmt yuv420p`): High, level 3.0,
    /// 40x23 macroblocks (368 lines) cropped by 8 lines; ffprobe: High, 640x360, 30/1.
    const X264_HIGH_640X360: &str = "6764001eacd940a02ff970110000030001000003003c0f162d96";
    /// The same source with `-profile:v baseline`; ffprobe: Constrained Baseline.
    const X264_BASELINE_640X360: &str = "6742c01ed900a02ff970110000030001000003003c0f162e48";

    #[test]
    fn parses_x264_high_sps_with_cropping() {
        let sps = Sps::parse(&hex(X264_HIGH_640X360)).unwrap();
        assert_eq!(
            (sps.profile_idc, sps.level_idc, sps.chroma_format_idc),
            (100, 30, 1)
        );
        assert_eq!((sps.coded_width, sps.coded_height), (640, 368));
        assert_eq!((sps.width, sps.height), (640, 360));
        assert_eq!(
            (sps.bit_depth_luma, sps.bit_depth_chroma, sps.frame_mbs_only),
            (8, 8, true)
        );
        assert_eq!(sps.frame_rate, FrameRate::new(30, 1));
        assert_eq!(sps.profile_name(), Some("High"));
        assert_eq!(sps.level_name(), "3");
    }

    #[test]
    fn parses_x264_constrained_baseline_sps() {
        let sps = Sps::parse(&hex(X264_BASELINE_640X360)).unwrap();
        assert_eq!((sps.profile_idc, sps.constraint_flags), (66, 0xc0));
        assert!(sps.constraint_set(0) && sps.constraint_set(1) && !sps.constraint_set(2));
        assert_eq!(sps.profile_name(), Some("Constrained Baseline"));
        assert_eq!((sps.width, sps.height), (640, 360));
    }

    #[test]
    fn sps_errors_name_rule_and_offset() {
        let nal = hex(X264_HIGH_640X360);
        // The timing information ends in byte 21; every shorter prefix is an error.
        for cut in 1..21 {
            let e = Sps::parse(&nal[..cut]).unwrap_err();
            assert_eq!(e.rule_id(), "media.avc.sps", "cut at {cut}: {e}");
            assert!(e.offset as usize <= cut, "cut at {cut}: {e}");
        }
        let e = Sps::parse(&hex("68ebe3cb22c0")).unwrap_err();
        assert!(e.detail.contains("not an SPS"), "{e}");
        // Frame cropping: tests/rules.rs builds SPSs whose cropping fits and does not.
    }

    #[test]
    fn level_names() {
        assert_eq!(level_name(100, 0, 31), "3.1");
        assert_eq!(level_name(100, 0, 51), "5.1");
        assert_eq!(level_name(66, 0x10, 11), "1b");
        assert_eq!(level_name(100, 0x10, 11), "1.1");
        assert_eq!(profile_name(110, 0x10), Some("High 10 Intra"));
        assert_eq!(profile_name(244, 0), Some("High 4:4:4 Predictive"));
    }

    #[test]
    fn record_round_trip_and_errors() {
        let record = AvcDecoderConfig {
            profile_indication: 100,
            profile_compatibility: 0,
            level_indication: 30,
            length_size: 4,
            sps: vec![Bytes::from(hex(X264_HIGH_640X360))],
            pps: vec![Bytes::from_static(&[0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0])],
            high: Some(AvcHighExtension {
                chroma_format: 1,
                bit_depth_luma: 8,
                bit_depth_chroma: 8,
                sps_ext: vec![],
            }),
        };
        let bytes = record.to_bytes().unwrap();
        assert_eq!(&bytes[..6], &[1, 100, 0, 30, 0xff, 0xe1]);
        assert_eq!(&bytes[bytes.len() - 4..], &[0xfd, 0xf8, 0xf8, 0]);
        assert_eq!(AvcDecoderConfig::parse(&bytes).unwrap(), record);
        // Without the high-profile tail (as FFmpeg's FLV muxer writes it).
        let short = &bytes[..bytes.len() - 4];
        assert_eq!(AvcDecoderConfig::parse(short).unwrap().high, None);
        let mut bad = bytes.clone();
        bad[0] = 0;
        assert_eq!(
            AvcDecoderConfig::parse(&bad).unwrap_err().rule_id(),
            "media.avc.config-version"
        );
        bad[0] = 1;
        bad[4] = 0xfe;
        assert_eq!(
            AvcDecoderConfig::parse(&bad).unwrap_err().rule_id(),
            "media.avc.length-size"
        );
        let e = AvcDecoderConfig::parse(&bytes[..20]).unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("media.avc.config-syntax", 8));
        let many = AvcDecoderConfig {
            sps: vec![Bytes::new(); 32],
            ..record
        };
        assert_eq!(
            many.to_bytes().unwrap_err().rule_id(),
            "media.avc.config-syntax"
        );
    }

    fn nal() -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Bytes::from)
    }

    prop_compose! {
        fn record()(
            profile_indication in any::<u8>(),
            profile_compatibility in any::<u8>(),
            level_indication in any::<u8>(),
            length_size in prop_oneof![Just(1u8), Just(2), Just(4)],
            sps in proptest::collection::vec(nal(), 0..4),
            pps in proptest::collection::vec(nal(), 0..4),
            high in (0u8..4, 8u8..16, 8u8..16, proptest::collection::vec(nal(), 0..3)),
        ) -> AvcDecoderConfig {
            let high = has_high_extension(profile_indication).then(|| AvcHighExtension {
                chroma_format: high.0, bit_depth_luma: high.1, bit_depth_chroma: high.2, sps_ext: high.3,
            });
            AvcDecoderConfig { profile_indication, profile_compatibility, level_indication, length_size, sps, pps, high }
        }
    }

    proptest! {
        #[test]
        fn record_parse_write_round_trip(record in record()) {
            let bytes = record.to_bytes().unwrap();
            prop_assert_eq!(AvcDecoderConfig::parse(&bytes).unwrap(), record);
        }

        #[test]
        fn no_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Ok(record) = AvcDecoderConfig::parse(&data) {
                let _ = record.first_sps();
            }
            let mut nal = vec![0x67];
            nal.extend_from_slice(&data);
            if let Err(e) = Sps::parse(&nal) {
                prop_assert!(e.offset as usize <= nal.len());
            }
        }
    }
}
