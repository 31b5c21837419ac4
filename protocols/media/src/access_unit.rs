//! H.264 and H.265 access units as the protocols that carry them in-band (MPEG-TS, RTP) turn
//! into [`Frame`](crate::Frame)s: each NAL unit's role, the parameter sets last seen, the
//! decoder configuration record built from them (ISO/IEC 14496-15 §5.3.3.1, §8.3.3.1), and the
//! frame's 4-byte length-prefixed NAL units with access unit delimiters and parameter sets
//! taken out (they travel as the track's configuration).
//!
//! The way back, for packetizers and muxers: [`record_params`] gives the parameter sets of a
//! record, to send in-band before a keyframe.

use crate::avc::{AvcDecoderConfig, AvcHighExtension, Sps};
use crate::hevc::{HevcDecoderConfig, HevcNalArray, HevcSps};
use crate::nal::{AvcNalType, HevcNalType};
use crate::{Codec, Error, rules as media_rules};
use bytes::Bytes;
use std::ops::Range;

/// The two NAL unit syntaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSyntax {
    /// H.264: one-byte NAL headers.
    Avc,
    /// H.265: two-byte NAL headers.
    Hevc,
}

/// What a NAL unit is to the demuxer and muxer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NalRole {
    /// An access unit delimiter.
    Aud,
    /// A video parameter set (H.265 only).
    Vps,
    /// A sequence parameter set.
    Sps,
    /// A picture parameter set.
    Pps,
    /// A slice of a random access picture (IDR, or an HEVC IRAP).
    Key,
    /// Any other NAL unit (non-key slices, SEI, ...).
    Other,
}

impl VideoSyntax {
    /// The syntax of `codec`, if it is H.264 or H.265.
    pub fn of(codec: Codec) -> Option<Self> {
        match codec {
            Codec::H264 => Some(VideoSyntax::Avc),
            Codec::H265 => Some(VideoSyntax::Hevc),
            _ => None,
        }
    }

    /// The role of a NAL unit from its first header byte.
    pub fn role(self, header: u8) -> NalRole {
        match self {
            VideoSyntax::Avc => match AvcNalType::of_header(header) {
                AvcNalType::AUD => NalRole::Aud,
                AvcNalType::SPS => NalRole::Sps,
                AvcNalType::PPS => NalRole::Pps,
                t if t.is_idr() => NalRole::Key,
                _ => NalRole::Other,
            },
            VideoSyntax::Hevc => match HevcNalType::of_header(header) {
                HevcNalType::AUD => NalRole::Aud,
                HevcNalType::VPS => NalRole::Vps,
                HevcNalType::SPS => NalRole::Sps,
                HevcNalType::PPS => NalRole::Pps,
                t if t.is_irap() => NalRole::Key,
                _ => NalRole::Other,
            },
        }
    }
}

/// The parameter sets last seen on a track.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ParamSets {
    /// The video parameter sets (H.265), NAL headers included.
    pub vps: Vec<Bytes>,
    /// The sequence parameter sets, NAL headers included.
    pub sps: Vec<Bytes>,
    /// The picture parameter sets, NAL headers included.
    pub pps: Vec<Bytes>,
}

impl ParamSets {
    /// Replaces each list for which `au` (ranges of `data` by role) has NAL units; true if
    /// anything changed.
    pub fn update(&mut self, data: &[u8], au: &[(NalRole, Range<usize>)]) -> bool {
        let mut changed = false;
        for (role, list) in [
            (NalRole::Vps, &mut self.vps),
            (NalRole::Sps, &mut self.sps),
            (NalRole::Pps, &mut self.pps),
        ] {
            let mut new = au
                .iter()
                .filter(|(r, _)| *r == role)
                .map(|(_, range)| &data[range.clone()])
                .peekable();
            if new.peek().is_none() {
                continue;
            }
            let same = new.clone().eq(list.iter().map(|b| &b[..]));
            if !same {
                *list = new.map(Bytes::copy_from_slice).collect();
                changed = true;
            }
        }
        changed
    }

    /// Whether a record can be built: an SPS and a PPS (and a VPS for HEVC).
    pub fn complete(&self, syntax: VideoSyntax) -> bool {
        !self.sps.is_empty()
            && !self.pps.is_empty()
            && (syntax == VideoSyntax::Avc || !self.vps.is_empty())
    }

    /// The decoder configuration record, with 4-byte NAL lengths. An SPS that does not
    /// parse is returned as the second value: for AVC the record is still built (without the
    /// high-profile fields), for HEVC it cannot be.
    pub fn record(&self, syntax: VideoSyntax) -> (Option<Bytes>, Option<Error>) {
        match syntax {
            VideoSyntax::Avc => {
                let sps = &self.sps[0];
                let Some(&[profile, compat, level]) = sps.get(1..4) else {
                    let e = Error::rule(
                        &media_rules::AVC_SPS,
                        0,
                        format!("a {}-byte SPS", sps.len()),
                    );
                    return (None, Some(e));
                };
                let parsed = Sps::parse(sps);
                let high = match (&parsed, profile) {
                    (Ok(s), 100 | 110 | 122 | 144) => Some(AvcHighExtension {
                        chroma_format: s.chroma_format_idc,
                        bit_depth_luma: s.bit_depth_luma,
                        bit_depth_chroma: s.bit_depth_chroma,
                        sps_ext: Vec::new(),
                    }),
                    _ => None,
                };
                let record = AvcDecoderConfig {
                    profile_indication: profile,
                    profile_compatibility: compat,
                    level_indication: level,
                    length_size: 4,
                    sps: self.sps.clone(),
                    pps: self.pps.clone(),
                    high,
                };
                match record.to_bytes() {
                    Ok(bytes) => (Some(bytes.into()), parsed.err()),
                    Err(e) => (None, Some(e)),
                }
            }
            VideoSyntax::Hevc => {
                let sps = &self.sps[0];
                let parsed = match HevcSps::parse(sps) {
                    Ok(s) => s,
                    Err(e) => return (None, Some(e)),
                };
                // sps_max_sub_layers_minus1 and sps_temporal_id_nesting_flag share the byte
                // after the NAL header with sps_video_parameter_set_id (H.265 §7.3.2.2.1).
                let b = sps.get(2).copied().unwrap_or(1);
                let array = |nal_type, nalus: &Vec<Bytes>| HevcNalArray {
                    complete: true,
                    nal_type,
                    nalus: nalus.clone(),
                };
                let record = HevcDecoderConfig {
                    general: parsed.general,
                    min_spatial_segmentation_idc: 0,
                    parallelism_type: 0,
                    chroma_format: parsed.chroma_format_idc,
                    bit_depth_luma: parsed.bit_depth_luma,
                    bit_depth_chroma: parsed.bit_depth_chroma,
                    avg_frame_rate: 0,
                    constant_frame_rate: 0,
                    num_temporal_layers: ((b >> 1) & 7) + 1,
                    temporal_id_nested: b & 1 != 0,
                    length_size: 4,
                    arrays: vec![
                        array(HevcNalType::VPS, &self.vps),
                        array(HevcNalType::SPS, &self.sps),
                        array(HevcNalType::PPS, &self.pps),
                    ],
                };
                match record.to_bytes() {
                    Ok(bytes) => (Some(bytes.into()), None),
                    Err(e) => (None, Some(e)),
                }
            }
        }
    }
}

/// The parameter sets of a decoder configuration record (VPS, SPS, PPS, in that order, NAL
/// headers included), and the record's NAL length size.
pub fn record_params(syntax: VideoSyntax, record: &[u8]) -> Result<(Vec<Bytes>, u8), Error> {
    match syntax {
        VideoSyntax::Avc => {
            let r = AvcDecoderConfig::parse(record)?;
            let params = r.sps.iter().chain(&r.pps).cloned().collect();
            Ok((params, r.length_size))
        }
        VideoSyntax::Hevc => {
            let r = HevcDecoderConfig::parse(record)?;
            let params = [HevcNalType::VPS, HevcNalType::SPS, HevcNalType::PPS]
                .into_iter()
                .flat_map(|t| r.nalus(t).cloned().collect::<Vec<_>>())
                .collect();
            Ok((params, r.length_size))
        }
    }
}

/// One track's in-band parameter sets and the record last announced: turns access units
/// into frame data and configuration changes.
#[derive(Debug, Clone)]
pub struct InBand {
    syntax: VideoSyntax,
    params: ParamSets,
    /// The record last announced.
    config: Option<Bytes>,
    /// The NAL units of the access unit being converted, by role (reused).
    scratch: Vec<(NalRole, Range<usize>)>,
}

/// What one access unit gave.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AccessUnit {
    /// A new decoder configuration record: the parameter sets changed and are complete.
    pub config: Option<Bytes>,
    /// A parameter set that does not parse (the record is built without what it would give).
    pub error: Option<Error>,
    /// The frame: its slices and other NAL units behind 4-byte lengths (`None` when the access
    /// unit held only delimiters and parameter sets).
    pub frame: Option<Vec<u8>>,
    /// The frame holds a slice of a random access picture (IDR, or an HEVC IRAP).
    pub keyframe: bool,
}

impl InBand {
    /// No parameter sets seen yet.
    pub fn new(syntax: VideoSyntax) -> Self {
        InBand {
            syntax,
            params: ParamSets::default(),
            config: None,
            scratch: Vec::new(),
        }
    }

    /// The syntax of this track.
    pub fn syntax(&self) -> VideoSyntax {
        self.syntax
    }

    /// The record last announced.
    pub fn config(&self) -> Option<&Bytes> {
        self.config.as_ref()
    }

    /// Converts one access unit whose NAL units (headers included, no start codes or lengths)
    /// are the `nals` ranges of `data`; empty ranges are skipped.
    pub fn access_unit(&mut self, data: &[u8], nals: &[Range<usize>]) -> AccessUnit {
        let syntax = self.syntax;
        self.scratch.clear();
        self.scratch.extend(
            nals.iter()
                .filter(|r| !r.is_empty())
                .map(|r| (syntax.role(data[r.start]), r.clone())),
        );
        let mut au = AccessUnit::default();
        if self.params.update(data, &self.scratch) && self.params.complete(syntax) {
            let (record, error) = self.params.record(syntax);
            au.error = error;
            if let Some(record) = record.filter(|r| self.config.as_ref() != Some(r)) {
                self.config = Some(record.clone());
                au.config = Some(record);
            }
        }
        let slices = || {
            self.scratch
                .iter()
                .filter(|(role, _)| matches!(role, NalRole::Key | NalRole::Other))
        };
        let size: usize = slices().map(|(_, r)| 4 + r.len()).sum();
        if size == 0 {
            return au;
        }
        let mut frame = Vec::with_capacity(size);
        for (role, range) in slices() {
            au.keyframe |= *role == NalRole::Key;
            frame.extend_from_slice(&(range.len() as u32).to_be_bytes());
            frame.extend_from_slice(&data[range.clone()]);
        }
        au.frame = Some(frame);
        au
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_sets_become_a_record_once_and_leave_the_frame() {
        // SPS of a 16x16 baseline stream (profile 66, level 10), PPS, IDR slice.
        let sps = [0x67, 0x42, 0x00, 0x0a, 0xf8, 0x41, 0xa2];
        let pps = [0x68, 0xce, 0x38, 0x80];
        let idr = [0x65, 0x88, 0x84];
        let data: Vec<u8> = [&sps[..], &pps, &idr].concat();
        let nals = [0..7, 7..11, 11..14];
        let mut inband = InBand::new(VideoSyntax::Avc);
        let au = inband.access_unit(&data, &nals);
        let record = au.config.expect("a record from the first SPS and PPS");
        let (params, length_size) = record_params(VideoSyntax::Avc, &record).unwrap();
        assert_eq!(params, [&sps[..], &pps[..]]);
        assert_eq!(length_size, 4);
        assert!(au.keyframe);
        assert_eq!(au.frame.unwrap(), [&[0, 0, 0, 3][..], &idr].concat());
        // The same parameter sets again announce nothing new.
        let again = inband.access_unit(&data, &nals);
        assert_eq!(again.config, None);
        // A non-IDR slice alone is a frame that is not a keyframe.
        let p = inband.access_unit(&[0x41, 0x9a], &[Range { start: 0, end: 2 }]);
        assert!(!p.keyframe);
        assert_eq!(p.frame.unwrap(), [0, 0, 0, 2, 0x41, 0x9a]);
        // Parameter sets alone make no frame.
        assert_eq!(inband.access_unit(&data[..11], &nals[..2]).frame, None);
    }
}
