//! AV1's OBU framing and its sequence header (AV1 Bitstream & Decoding Process Specification
//! 1.0.0 with Errata 1, "AV1" below): what an API reports of an AV1 track — profile, level and
//! the largest frame size — read from the sequence header OBU (AV1 §5.5), found in a temporal
//! unit in the low-overhead bitstream format (AV1 §5.2: every OBU with its size, as WebRTC's
//! depacketizers, ISOBMFF and Enhanced RTMP carry AV1 samples) or in an `av1C` record's
//! configOBUs (AV1 Codec ISO Media File Format Binding 1.2.0 §2.3.3).

use crate::Error;
use crate::bits::BitReader;
use crate::rules::AV1_SEQUENCE_HEADER;

/// `obu_type` of a sequence header (AV1 §6.2.2, Table "OBU types").
pub const OBU_SEQUENCE_HEADER: u8 = 1;

/// Reads a LEB128 value (AV1 §4.10.5: at most 8 bytes, below 2^32): the value and its length.
pub fn leb128(data: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in data.iter().take(8).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (value <= u64::from(u32::MAX)).then_some((value, i + 1));
        }
    }
    None
}

/// An OBU's type, from its header byte (AV1 §5.3.2).
pub fn obu_type(header: u8) -> u8 {
    (header >> 3) & 0x0f
}

/// One OBU split into its header (1 or 2 bytes, as it came) and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Obu<'a> {
    /// `obu_header()` (AV1 §5.3.1), with its extension byte if it has one.
    pub header: &'a [u8],
    /// The OBU's payload, without its size field.
    pub payload: &'a [u8],
}

/// Splits the first OBU off `data`: with its size field if it has one, else all of `data`
/// (AV1 §5.3.1: only the last OBU of a unit may go without). The error says what is wrong;
/// the caller names its rule.
pub fn split_obu(data: &[u8]) -> Result<(Obu<'_>, &[u8]), String> {
    let &h = data.first().ok_or("an empty OBU")?;
    let header_len = if h & 0x04 != 0 { 2 } else { 1 };
    if data.len() < header_len {
        return Err("an OBU ends inside its extension header".into());
    }
    let (header, rest) = data.split_at(header_len);
    if h & 0x02 == 0 {
        return Ok((
            Obu {
                header,
                payload: rest,
            },
            &[],
        ));
    }
    let (size, n) = leb128(rest).ok_or("an OBU size field that is not LEB128")?;
    let payload = usize::try_from(size)
        .ok()
        .and_then(|size| rest.get(n..n.checked_add(size)?))
        .ok_or_else(|| format!("an OBU of {size} bytes where {} remain", rest.len() - n))?;
    Ok((Obu { header, payload }, &rest[n + payload.len()..]))
}

/// What a sequence header says that a server reports (AV1 §5.5.1, semantics §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceHeader {
    /// `seq_profile`: 0 Main, 1 High, 2 Professional.
    pub seq_profile: u8,
    /// `seq_level_idx[0]`, the level of the first operating point (Annex A.3).
    pub seq_level_idx: u8,
    /// `max_frame_width_minus_1 + 1`.
    pub max_frame_width: u32,
    /// `max_frame_height_minus_1 + 1`.
    pub max_frame_height: u32,
}

impl SequenceHeader {
    /// The first sequence header among `obus` (a temporal unit in the low-overhead format, or
    /// an `av1C` record's configOBUs), parsed; `None` when there is none before the end or
    /// before OBU framing that does not parse.
    pub fn find(mut obus: &[u8]) -> Option<Result<SequenceHeader, Error>> {
        while !obus.is_empty() {
            let (obu, rest) = split_obu(obus).ok()?;
            if obu_type(obu.header[0]) == OBU_SEQUENCE_HEADER {
                return Some(SequenceHeader::parse(obu.payload));
            }
            obus = rest;
        }
        None
    }

    /// The sequence header in an `av1C` record's configOBUs (after its 4 fixed bytes).
    pub fn of_record(av1c: &[u8]) -> Option<Result<SequenceHeader, Error>> {
        SequenceHeader::find(av1c.get(4..)?)
    }

    /// Parses `sequence_header_obu()` (AV1 §5.5.1) up to the frame size fields.
    pub fn parse(payload: &[u8]) -> Result<SequenceHeader, Error> {
        let mut r = BitReader::new(payload, &AV1_SEQUENCE_HEADER);
        let seq_profile = r.u(3, "seq_profile")? as u8;
        if seq_profile > 2 {
            return Err(r.error(format!("seq_profile {seq_profile} is reserved")));
        }
        r.flag("still_picture")?;
        let reduced_still_picture_header = r.flag("reduced_still_picture_header")?;
        let seq_level_idx;
        if reduced_still_picture_header {
            seq_level_idx = r.u(5, "seq_level_idx[0]")? as u8;
        } else {
            let mut buffer_delay_length = 0;
            let timing_info_present_flag = r.flag("timing_info_present_flag")?;
            let mut decoder_model_info_present_flag = false;
            if timing_info_present_flag {
                // timing_info() (§5.5.3).
                r.u(32, "num_units_in_display_tick")?;
                r.u(32, "time_scale")?;
                if r.flag("equal_picture_interval")? {
                    uvlc(&mut r, "num_ticks_per_picture_minus_1")?;
                }
                decoder_model_info_present_flag = r.flag("decoder_model_info_present_flag")?;
                if decoder_model_info_present_flag {
                    // decoder_model_info() (§5.5.4).
                    buffer_delay_length = r.u(5, "buffer_delay_length_minus_1")? + 1;
                    r.u(32, "num_units_in_decoding_tick")?;
                    r.u(5, "buffer_removal_time_length_minus_1")?;
                    r.u(5, "frame_presentation_time_length_minus_1")?;
                }
            }
            let initial_display_delay_present_flag =
                r.flag("initial_display_delay_present_flag")?;
            let operating_points = r.u(5, "operating_points_cnt_minus_1")? + 1;
            let mut first_level = None;
            for _ in 0..operating_points {
                r.u(12, "operating_point_idc")?;
                let level = r.u(5, "seq_level_idx")? as u8;
                first_level.get_or_insert(level);
                if level > 7 {
                    r.flag("seq_tier")?;
                }
                if decoder_model_info_present_flag && r.flag("decoder_model_present_for_this_op")? {
                    // operating_parameters_info() (§5.5.5).
                    r.u(buffer_delay_length, "decoder_buffer_delay")?;
                    r.u(buffer_delay_length, "encoder_buffer_delay")?;
                    r.flag("low_delay_mode_flag")?;
                }
                if initial_display_delay_present_flag
                    && r.flag("initial_display_delay_present_for_this_op")?
                {
                    r.u(4, "initial_display_delay_minus_1")?;
                }
            }
            seq_level_idx = first_level.unwrap_or_default();
        }
        let width_bits = r.u(4, "frame_width_bits_minus_1")? + 1;
        let height_bits = r.u(4, "frame_height_bits_minus_1")? + 1;
        let max_frame_width = r.u(width_bits, "max_frame_width_minus_1")? + 1;
        let max_frame_height = r.u(height_bits, "max_frame_height_minus_1")? + 1;
        Ok(SequenceHeader {
            seq_profile,
            seq_level_idx,
            max_frame_width,
            max_frame_height,
        })
    }

    /// The profile's name as FFmpeg prints it.
    pub fn profile_name(&self) -> &'static str {
        match self.seq_profile {
            0 => "Main",
            1 => "High",
            _ => "Professional",
        }
    }

    /// The level as "X.Y" (AV1 Annex A.3: X = 2 + (seq_level_idx >> 2), Y = seq_level_idx &
    /// 3); `None` for 31, "maximum parameters", which is no level.
    pub fn level_name(&self) -> Option<String> {
        let idx = self.seq_level_idx;
        (idx < 31).then(|| format!("{}.{}", 2 + (idx >> 2), idx & 3))
    }
}

/// `uvlc()` (AV1 §4.10.3), read past: only its bits matter here.
fn uvlc(r: &mut BitReader<'_>, field: &str) -> Result<(), Error> {
    let mut leading_zeros = 0u32;
    while !r.flag(field)? {
        leading_zeros += 1;
        if leading_zeros >= 32 {
            // §4.10.3: 32 or more zeros are followed by no value bits.
            return Ok(());
        }
    }
    r.u(leading_zeros, field)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avc::tests::hex;

    #[test]
    fn an_av1c_records_sequence_header_gives_the_size() {
        // An av1C record (profile 0, level 5.1) whose configOBUs are one sequence header.
        let record = hex("810d0c000a0f0000006aea7fecf804332020202080");
        let seq = SequenceHeader::of_record(&record).unwrap().unwrap();
        assert_eq!((seq.max_frame_width, seq.max_frame_height), (2560, 1440));
        assert_eq!(
            (seq.profile_name(), seq.level_name()),
            ("Main", Some("5.1".into()))
        );
    }

    #[test]
    fn hostile_sequence_headers_are_errors_naming_the_rule() {
        // Cut short anywhere before its 61st bit: an error, never a panic.
        let record = hex("810d0c000a0f0000006aea7fecf804332020202080");
        let payload = &record[6..];
        for end in 0..8 {
            let e = SequenceHeader::parse(&payload[..end]).unwrap_err();
            assert_eq!(e.rule_id(), "media.av1.sequence-header", "{end}");
        }
        assert!(
            SequenceHeader::parse(&[0xe0, 0, 0, 0]).is_err(),
            "reserved profile 7"
        );
        // OBU framing that lies about its size: nothing found.
        assert_eq!(SequenceHeader::find(&[0x0a, 0x7f, 0x00]), None);
        assert_eq!(
            SequenceHeader::find(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        // A temporal delimiter, then nothing: none either.
        assert_eq!(SequenceHeader::find(&[0x12, 0x00]), None);
    }
}
