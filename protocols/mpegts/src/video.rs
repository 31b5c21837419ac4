//! AVC and HEVC access units in PES packets (13818-1 §2.14, §2.17): Annex-B byte streams
//! (H.264/H.265 Annex B) on the wire, 4-byte length-prefixed NAL units in [`Frame`]s, and
//! the decoder configuration records (ISO/IEC 14496-15 §5.3.3.1, §8.3.3.1) built from the
//! parameter sets sent in-band.
//!
//! [`Frame`]: weir_media::Frame

use bytes::Bytes;
use std::ops::Range;
use weir_media::avc::{AvcDecoderConfig, AvcHighExtension, Sps};
use weir_media::hevc::{HevcDecoderConfig, HevcNalArray, HevcSps};
use weir_media::nal::{AvcNalType, HevcNalType, length_prefixed_nals};
use weir_media::{Error, rules as media_rules};

/// The access unit delimiter H.264 muxers put first (H.264 §7.3.2.4: `primary_pic_type` 7,
/// any slice type), with its start code.
pub const AVC_AUD: [u8; 6] = [0, 0, 0, 1, 0x09, 0xf0];
/// The HEVC access unit delimiter (H.265 §7.3.2.5: `pic_type` 2, any slice type).
pub const HEVC_AUD: [u8; 7] = [0, 0, 0, 1, 0x46, 0x01, 0x50];

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

    /// The AUD with its start code.
    pub fn aud(self) -> &'static [u8] {
        match self {
            VideoSyntax::Avc => &AVC_AUD,
            VideoSyntax::Hevc => &HEVC_AUD,
        }
    }
}

/// Finds Annex-B start code prefixes (`00 00 01`); built once, used for every access unit.
#[derive(Debug, Clone)]
pub struct StartCodes(memchr::memmem::Finder<'static>);

impl Default for StartCodes {
    fn default() -> Self {
        StartCodes(memchr::memmem::Finder::new(&[0, 0, 1]).into_owned())
    }
}

impl StartCodes {
    /// The positions of the start code prefixes of `data`.
    pub fn find_iter<'a>(&'a self, data: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
        self.0.find_iter(data)
    }
}

/// Calls `f` with the range of each NAL unit of an Annex-B byte stream (start codes and the
/// zero bytes before them excluded; empty units skipped). Returns how many bytes came before
/// the first start code.
pub fn annexb_nals(codes: &StartCodes, data: &[u8], mut f: impl FnMut(Range<usize>)) -> usize {
    let mut starts = codes.find_iter(data);
    let Some(first) = starts.next() else {
        return data.len();
    };
    let leading = data[..first]
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i + 1);
    let mut begin = first + 3;
    let mut emit = |begin: usize, end: usize| {
        let end = data[begin..end]
            .iter()
            .rposition(|&b| b != 0)
            .map_or(begin, |i| begin + i + 1);
        if end > begin {
            f(begin..end);
        }
    };
    for next in starts {
        // A start code may overlap the previous one's bytes only in streams of zeros.
        if next < begin {
            continue;
        }
        emit(begin, next);
        begin = next + 3;
    }
    emit(begin, data.len());
    leading
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

/// The parameter sets of a decoder configuration record as an Annex-B byte stream (VPS, SPS,
/// PPS, each behind a 4-byte start code), and the record's NAL length size.
pub fn record_params_annexb(syntax: VideoSyntax, record: &[u8]) -> Result<(Vec<u8>, u8), Error> {
    let mut out = Vec::new();
    let mut put = |nal: &Bytes| {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    };
    let length_size = match syntax {
        VideoSyntax::Avc => {
            let r = AvcDecoderConfig::parse(record)?;
            r.sps.iter().chain(&r.pps).for_each(&mut put);
            r.length_size
        }
        VideoSyntax::Hevc => {
            let r = HevcDecoderConfig::parse(record)?;
            for t in [HevcNalType::VPS, HevcNalType::SPS, HevcNalType::PPS] {
                r.nalus(t).for_each(&mut put);
            }
            r.length_size
        }
    };
    Ok((out, length_size))
}

/// Writes a frame's length-prefixed NAL units as an Annex-B access unit: an AUD first when
/// `aud` is set and the frame has none, then `params` (Annex-B parameter sets) when given and
/// the frame carries no SPS of its own, then the frame's NAL units behind 4-byte start codes.
pub fn write_annexb(
    syntax: VideoSyntax,
    data: &[u8],
    length_size: u8,
    aud: bool,
    params: Option<&[u8]>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut first_is_aud = false;
    let mut has_sps = false;
    let mut count = 0usize;
    for (i, nal) in length_prefixed_nals(data, length_size).enumerate() {
        let nal = nal?;
        let role = nal.first().map_or(NalRole::Other, |&h| syntax.role(h));
        first_is_aud |= i == 0 && role == NalRole::Aud;
        has_sps |= role == NalRole::Sps;
        count += 1;
    }
    out.reserve(data.len() + 3 * count + params.map_or(0, <[u8]>::len) + 8);
    let mut nals = length_prefixed_nals(data, length_size).map_while(Result::ok);
    if first_is_aud {
        let nal = nals.next().expect("checked above");
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    } else if aud {
        out.extend_from_slice(syntax.aud());
    }
    if let Some(params) = params.filter(|_| !has_sps) {
        out.extend_from_slice(params);
    }
    for nal in nals {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nals(data: &[u8]) -> (Vec<Vec<u8>>, usize) {
        let mut out = Vec::new();
        let leading = annexb_nals(&StartCodes::default(), data, |r| out.push(data[r].to_vec()));
        (out, leading)
    }

    #[test]
    fn splits_start_codes_of_both_lengths() {
        let data = [
            9, 9, 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 1, 0, 0, 0, 0, 1, 0x65, 7, 0,
        ];
        let (n, leading) = nals(&data);
        assert_eq!(leading, 2);
        assert_eq!(n, [vec![0x09, 0xf0], vec![0x67, 1], vec![0x65, 7]]);
        assert_eq!(nals(&[1, 2, 3]), (vec![], 3));
        assert_eq!(nals(&[0, 0, 1, 0, 0, 1]).0.len(), 0);
        assert_eq!(nals(&[0, 0, 0, 0, 0, 0, 1, 5]).0, [vec![5]]);
    }

    #[test]
    fn annexb_writer_adds_aud_and_params_once() {
        let frame = [0, 0, 0, 2, 0x65, 1, 0, 0, 0, 2, 0x41, 2];
        let params = [0, 0, 0, 1, 0x67, 9, 0, 0, 0, 1, 0x68, 8];
        let mut out = Vec::new();
        write_annexb(VideoSyntax::Avc, &frame, 4, true, Some(&params), &mut out).unwrap();
        let (n, _) = nals(&out);
        assert_eq!(
            n,
            [
                vec![0x09, 0xf0],
                vec![0x67, 9],
                vec![0x68, 8],
                vec![0x65, 1],
                vec![0x41, 2]
            ]
        );
        // A frame with its own AUD and SPS gets neither again.
        let own = [
            0, 0, 0, 2, 0x09, 0xf0, 0, 0, 0, 2, 0x67, 3, 0, 0, 0, 2, 0x65, 1,
        ];
        let mut out = Vec::new();
        write_annexb(VideoSyntax::Avc, &own, 4, true, Some(&params), &mut out).unwrap();
        assert_eq!(
            nals(&out).0,
            [vec![0x09, 0xf0], vec![0x67, 3], vec![0x65, 1]]
        );
        // A bad length is an error.
        assert!(write_annexb(VideoSyntax::Avc, &[0, 0, 0, 9, 1], 4, true, None, &mut out).is_err());
    }
}
