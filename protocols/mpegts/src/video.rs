//! AVC and HEVC access units in PES packets (13818-1 §2.14, §2.17): Annex-B byte streams
//! (H.264/H.265 Annex B) on the wire, 4-byte length-prefixed NAL units in [`Frame`]s; the
//! parameter sets sent in-band become the track's record through
//! [`weir_media::access_unit::InBand`].
//!
//! [`Frame`]: weir_media::Frame

use std::ops::Range;
use weir_media::Error;
use weir_media::access_unit::{NalRole, VideoSyntax, record_params};
use weir_media::nal::length_prefixed_nals;

/// The access unit delimiter H.264 muxers put first (H.264 §7.3.2.4: `primary_pic_type` 7,
/// any slice type), with its start code.
pub const AVC_AUD: [u8; 6] = [0, 0, 0, 1, 0x09, 0xf0];
/// The HEVC access unit delimiter (H.265 §7.3.2.5: `pic_type` 2, any slice type).
pub const HEVC_AUD: [u8; 7] = [0, 0, 0, 1, 0x46, 0x01, 0x50];

/// The AUD of a syntax, with its start code.
pub fn aud_of(syntax: VideoSyntax) -> &'static [u8] {
    match syntax {
        VideoSyntax::Avc => &AVC_AUD,
        VideoSyntax::Hevc => &HEVC_AUD,
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

/// The parameter sets of a decoder configuration record as an Annex-B byte stream (VPS, SPS,
/// PPS, each behind a 4-byte start code), and the record's NAL length size.
pub fn record_params_annexb(syntax: VideoSyntax, record: &[u8]) -> Result<(Vec<u8>, u8), Error> {
    let (params, length_size) = record_params(syntax, record)?;
    let mut out = Vec::with_capacity(params.iter().map(|p| 4 + p.len()).sum());
    for nal in params {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&nal);
    }
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
        out.extend_from_slice(aud_of(syntax));
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
