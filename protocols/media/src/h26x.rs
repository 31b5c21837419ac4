//! What H.264 and H.265 share: the frame rate their VUI timing gives, the NAL length size and
//! parameter-set arrays of their decoder configuration records (ISO/IEC 14496-15 §5.3.3.1,
//! §8.3.3.1), chroma subsampling and cropping (H.264 Table 6-1 and §7.4.2.1.1, H.265 Table 6-1
//! and §7.4.3.2.1), and the head of the VUI (H.264 E.1.1, H.265 E.2.1).
//!
//! `avc` and `hevc` both use it; it uses neither, so the codec modules form no cycle.

use crate::Error;
use crate::bits::{BitReader, BitWriter};
use bytes::Bytes;
use std::fmt;

/// A frame rate as a fraction, reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRate {
    /// Numerator: frames per `den` seconds.
    pub num: u32,
    /// Denominator, in seconds; never 0.
    pub den: u32,
}

impl FrameRate {
    /// `num / den` reduced; `None` when either is 0.
    pub fn new(num: u32, den: u32) -> Option<Self> {
        if num == 0 || den == 0 {
            return None;
        }
        let (mut a, mut b) = (num, den);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        Some(FrameRate {
            num: num / a,
            den: den / a,
        })
    }

    /// Frames per second as a float.
    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// Turns a 2-bit `lengthSizeMinusOne` into a length size, rejecting 3-byte lengths.
pub(crate) fn length_size(
    minus_one: u32,
    rule: &'static crate::Rule,
    offset: usize,
) -> Result<u8, Error> {
    match minus_one {
        0 | 1 | 3 => Ok(minus_one as u8 + 1),
        _ => Err(Error::rule(
            rule,
            offset as u64,
            "lengthSizeMinusOne is 2 (3-byte lengths are not allowed)",
        )),
    }
}

pub(crate) fn length_size_minus_one(size: u8, rule: &'static crate::Rule) -> Result<u64, Error> {
    match size {
        1 | 2 | 4 => Ok(u64::from(size) - 1),
        _ => Err(Error::rule(
            rule,
            0,
            format!("a NAL length size of {size} cannot be encoded"),
        )),
    }
}

/// Reads `count` parameter sets, each a 16-bit length and that many bytes.
pub(crate) fn read_parameter_sets(
    r: &mut BitReader<'_>,
    count: usize,
    field: &str,
) -> Result<Vec<Bytes>, Error> {
    // No allocation ahead of the bytes: each entry needs at least its 2 length bytes.
    let mut sets = Vec::with_capacity(count.min(r.bits_left() / 16));
    for _ in 0..count {
        let len = r.u16(field)?;
        sets.push(Bytes::copy_from_slice(r.bytes(len.into(), field)?));
    }
    Ok(sets)
}

/// Writes a count of `count_bits` bits, then each set as a 16-bit length and its bytes.
pub(crate) fn write_parameter_sets(
    w: &mut BitWriter,
    sets: &[Bytes],
    count_bits: u32,
    what: &str,
    rule: &'static crate::Rule,
) -> Result<(), Error> {
    if sets.len() >= 1 << count_bits {
        return Err(Error::rule(
            rule,
            (w.position() / 8) as u64,
            format!("{} {what}s do not fit a {count_bits}-bit count", sets.len()),
        ));
    }
    w.put(count_bits, sets.len() as u64);
    for set in sets {
        let len = u16::try_from(set.len()).map_err(|_| {
            Error::rule(
                rule,
                (w.position() / 8) as u64,
                format!("a {}-byte {what} does not fit a 16-bit length", set.len()),
            )
        })?;
        w.put(16, len.into());
        for &b in set.iter() {
            w.put(8, b.into());
        }
    }
    Ok(())
}

/// `SubWidthC` and `SubHeightC` (H.264 Table 6-1, H.265 Table 6-1): the chroma subsampling,
/// which is also the unit of the cropping offsets. With `ChromaArrayType` 0 (monochrome or
/// separate colour planes) offsets count luma samples.
pub(crate) fn chroma_subsampling(separate_colour_plane: bool, chroma_format_idc: u8) -> (u64, u64) {
    match (separate_colour_plane, chroma_format_idc) {
        (true, _) | (_, 0) | (_, 3) => (1, 1),
        (_, 1) => (2, 2),
        _ => (2, 1),
    }
}

/// The picture size left after cropping `[left, right, top, bottom]` offsets counted in units
/// of `unit` samples (H.264 §7.4.2.1.1 frame cropping, H.265 §7.4.3.2.1 conformance window);
/// a description of the problem when the window is empty or reaches outside the picture.
pub(crate) fn cropped_size(
    (coded_width, coded_height): (u64, u64),
    [left, right, top, bottom]: [u32; 4],
    (unit_x, unit_y): (u64, u64),
) -> Result<(u64, u64), String> {
    let crop_w = unit_x * (u64::from(left) + u64::from(right));
    let crop_h = unit_y * (u64::from(top) + u64::from(bottom));
    let inside = |coded: u64, crop: u64| coded.checked_sub(crop).filter(|&v| v > 0 || coded == 0);
    match (inside(coded_width, crop_w), inside(coded_height, crop_h)) {
        (Some(width), Some(height)) => Ok((width, height)),
        _ => Err(format!(
            "cropping {crop_w}x{crop_h} samples from a {coded_width}x{coded_height} picture"
        )),
    }
}

/// Skips the VUI fields H.264 (E.1.1) and H.265 (E.2.1) share, from aspect ratio to chroma
/// location.
pub(crate) fn skip_vui_head(r: &mut BitReader<'_>) -> Result<(), Error> {
    if r.flag("aspect_ratio_info_present_flag")? && r.u8("aspect_ratio_idc")? == 255 {
        r.skip(32, "sar_width, sar_height")?;
    }
    if r.flag("overscan_info_present_flag")? {
        r.skip(1, "overscan_appropriate_flag")?;
    }
    if r.flag("video_signal_type_present_flag")? {
        r.skip(4, "video_format, video_full_range_flag")?;
        if r.flag("colour_description_present_flag")? {
            r.skip(24, "colour_description")?;
        }
    }
    if r.flag("chroma_loc_info_present_flag")? {
        r.ue("chroma_sample_loc_type_top_field")?;
        r.ue("chroma_sample_loc_type_bottom_field")?;
    }
    Ok(())
}
