//! NAL unit framing: the Annex-B byte stream (H.264 Annex B, H.265 Annex B: start codes, as
//! MPEG-TS, RTP depacketizers and raw files carry it) and length-prefixed NAL units
//! (ISO/IEC 14496-15 §5.3.2: what FLV, RTMP and MP4 carry), conversions both ways, and the
//! NAL unit types a muxer needs.

use crate::Error;
use crate::rules::{NAL_LENGTH_OVERFLOW, NAL_LENGTH_SIZE};

/// Iterator over the NAL units of an Annex-B byte stream.
///
/// Accepts 3- and 4-byte start codes; zero bytes before a start code (the leading zero of a
/// 4-byte start code, `trailing_zero_8bits`) are not part of the NAL unit. Bytes before the
/// first start code are skipped. Empty NAL units are not yielded.
#[derive(Debug, Clone)]
pub struct AnnexBNals<'a> {
    rest: &'a [u8],
}

/// The NAL units of an Annex-B byte stream.
pub fn annexb_nals(data: &[u8]) -> AnnexBNals<'_> {
    let rest = match find_start_code(data) {
        Some((_, after)) => &data[after..],
        None => &[],
    };
    AnnexBNals { rest }
}

/// Finds the first `00 00 01`: (index of its first byte, index after it).
fn find_start_code(data: &[u8]) -> Option<(usize, usize)> {
    data.windows(3)
        .position(|w| w == [0, 0, 1])
        .map(|i| (i, i + 3))
}

impl<'a> Iterator for AnnexBNals<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.rest.is_empty() {
            let (nal, rest) = match find_start_code(self.rest) {
                Some((start, after)) => (&self.rest[..start], &self.rest[after..]),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            let end = nal.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            if end > 0 {
                return Some(&nal[..end]);
            }
        }
        None
    }
}

/// Iterator over length-prefixed NAL units; yields an error (once, then ends) when a length
/// runs past the input or the length size is not 1, 2 or 4.
#[derive(Debug, Clone)]
pub struct LengthPrefixedNals<'a> {
    data: &'a [u8],
    length_size: u8,
    offset: usize,
}

/// The NAL units of a sample whose NAL units carry `length_size`-byte big-endian lengths.
pub fn length_prefixed_nals(data: &[u8], length_size: u8) -> LengthPrefixedNals<'_> {
    LengthPrefixedNals {
        data,
        length_size,
        offset: 0,
    }
}

impl<'a> Iterator for LengthPrefixedNals<'a> {
    type Item = Result<&'a [u8], Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.get(self.offset..).filter(|r| !r.is_empty())?;
        let fail = |this: &mut Self, e| {
            this.offset = this.data.len();
            Some(Err(e))
        };
        let size = usize::from(self.length_size);
        if !matches!(size, 1 | 2 | 4) {
            let e = Error::rule(
                &NAL_LENGTH_SIZE,
                self.offset as u64,
                format!("NAL length size {size}"),
            );
            return fail(self, e);
        }
        let Some(prefix) = rest.get(..size) else {
            let e = Error::rule(
                &NAL_LENGTH_OVERFLOW,
                self.offset as u64,
                format!(
                    "{}-byte NAL length field with only {} bytes left",
                    size,
                    rest.len()
                ),
            );
            return fail(self, e);
        };
        let len = prefix
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let Some(nal) = rest.get(size..).and_then(|body| body.get(..len)) else {
            let e = Error::rule(
                &NAL_LENGTH_OVERFLOW,
                self.offset as u64,
                format!(
                    "NAL length {len} with only {} bytes left",
                    rest.len() - size
                ),
            );
            return fail(self, e);
        };
        self.offset += size + len;
        Some(Ok(nal))
    }
}

/// Converts an Annex-B byte stream to NAL units with 4-byte lengths (the Frame payload
/// format). A NAL unit of 4 GiB or more cannot be represented and is dropped.
pub fn annexb_to_length_prefixed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    for nal in annexb_nals(data) {
        if let Ok(len) = u32::try_from(nal.len()) {
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(nal);
        }
    }
    out
}

/// Converts length-prefixed NAL units to an Annex-B byte stream with 4-byte start codes.
pub fn length_prefixed_to_annexb(data: &[u8], length_size: u8) -> Result<Vec<u8>, Error> {
    // Each NAL unit grows by at most 3 bytes (a 1-byte length becomes a 4-byte start code).
    let mut out = Vec::with_capacity(data.len().saturating_mul(2).min(data.len() + 4096));
    for nal in length_prefixed_nals(data, length_size) {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal?);
    }
    Ok(out)
}

/// An H.264 `nal_unit_type` (H.264 Table 7-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AvcNalType(pub u8);

impl AvcNalType {
    /// 1: a coded slice of a non-IDR picture.
    pub const NON_IDR_SLICE: AvcNalType = AvcNalType(1);
    /// 5: a coded slice of an IDR picture.
    pub const IDR: AvcNalType = AvcNalType(5);
    /// 6: supplemental enhancement information.
    pub const SEI: AvcNalType = AvcNalType(6);
    /// 7: sequence parameter set.
    pub const SPS: AvcNalType = AvcNalType(7);
    /// 8: picture parameter set.
    pub const PPS: AvcNalType = AvcNalType(8);
    /// 9: access unit delimiter.
    pub const AUD: AvcNalType = AvcNalType(9);

    /// The type in a NAL header byte.
    pub fn of_header(byte: u8) -> Self {
        AvcNalType(byte & 0x1f)
    }

    /// The type of a NAL unit (`None` for an empty one).
    pub fn of(nal: &[u8]) -> Option<Self> {
        nal.first().map(|&b| Self::of_header(b))
    }

    /// A coded slice of an IDR picture: a random access point.
    pub fn is_idr(self) -> bool {
        self == Self::IDR
    }
}

/// An H.265 `nal_unit_type` (H.265 Table 7-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HevcNalType(pub u8);

impl HevcNalType {
    /// 16: broken link access, with leading pictures.
    pub const BLA_W_LP: HevcNalType = HevcNalType(16);
    /// 19: instantaneous decoding refresh, with decodable leading pictures.
    pub const IDR_W_RADL: HevcNalType = HevcNalType(19);
    /// 20: instantaneous decoding refresh, no leading pictures.
    pub const IDR_N_LP: HevcNalType = HevcNalType(20);
    /// 21: clean random access.
    pub const CRA: HevcNalType = HevcNalType(21);
    /// 32: video parameter set.
    pub const VPS: HevcNalType = HevcNalType(32);
    /// 33: sequence parameter set.
    pub const SPS: HevcNalType = HevcNalType(33);
    /// 34: picture parameter set.
    pub const PPS: HevcNalType = HevcNalType(34);
    /// 35: access unit delimiter.
    pub const AUD: HevcNalType = HevcNalType(35);
    /// 39: prefix supplemental enhancement information.
    pub const SEI_PREFIX: HevcNalType = HevcNalType(39);
    /// 40: suffix supplemental enhancement information.
    pub const SEI_SUFFIX: HevcNalType = HevcNalType(40);

    /// The type in the first byte of a two-byte NAL header.
    pub fn of_header(byte: u8) -> Self {
        HevcNalType((byte >> 1) & 0x3f)
    }

    /// The type of a NAL unit (`None` for an empty one).
    pub fn of(nal: &[u8]) -> Option<Self> {
        nal.first().map(|&b| Self::of_header(b))
    }

    /// An intra random access point picture (types 16 to 23: BLA, IDR, CRA and reserved IRAP).
    pub fn is_irap(self) -> bool {
        (16..=23).contains(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_annexb_with_both_start_codes_and_trailing_zeros() {
        let stream = [
            0xff, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 0, 1, 0x65, 0, 4, 0, 0,
        ];
        let nals: Vec<&[u8]> = annexb_nals(&stream).collect();
        assert_eq!(nals, [&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 0, 4]]);
        assert_eq!(
            annexb_to_length_prefixed(&stream),
            [
                0, 0, 0, 3, 0x67, 1, 2, 0, 0, 0, 2, 0x68, 3, 0, 0, 0, 3, 0x65, 0, 4
            ]
        );
        assert_eq!(annexb_nals(&[1, 2, 3]).count(), 0);
    }

    #[test]
    fn length_prefixed_errors_name_the_rule_and_offset() {
        let data = [0, 2, 0x67, 1, 0, 9, 0x68];
        let mut it = length_prefixed_nals(&data, 2);
        assert_eq!(it.next().unwrap().unwrap(), &[0x67, 1]);
        let e = it.next().unwrap().unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("media.nal.length-overflow", 4));
        assert!(it.next().is_none());
        let e = length_prefixed_to_annexb(&data, 3).unwrap_err();
        assert_eq!(e.rule_id(), "media.nal.length-size");
        assert_eq!(
            length_prefixed_to_annexb(&[2, 0x41, 7, 1, 0x09], 1).unwrap(),
            [0, 0, 0, 1, 0x41, 7, 0, 0, 0, 1, 0x09]
        );
    }

    #[test]
    fn nal_types() {
        assert!(AvcNalType::of(&[0x65]).unwrap().is_idr());
        assert_eq!(AvcNalType::of(&[0x67]), Some(AvcNalType::SPS));
        assert_eq!(HevcNalType::of(&[0x42, 0x01]), Some(HevcNalType::SPS));
        assert_eq!(HevcNalType::of(&[0x40, 0x01]), Some(HevcNalType::VPS));
        assert!(HevcNalType::of(&[0x26, 0x01]).unwrap().is_irap()); // IDR_W_RADL
        assert!(!HevcNalType::of(&[0x02, 0x01]).unwrap().is_irap());
    }

    /// NAL units as Annex B can carry them: non-empty, not ending in zero, and free of
    /// start-code emulation (as emulation prevention guarantees).
    fn nal_unit() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 1..40).prop_map(|mut nal| {
            let mut zeros = 0;
            for b in nal.iter_mut() {
                if zeros >= 2 && *b <= 3 {
                    *b = 0x80;
                }
                zeros = if *b == 0 { zeros + 1 } else { 0 };
            }
            if nal.last() == Some(&0) {
                nal.push(0x80);
            }
            nal
        })
    }

    proptest! {
        #[test]
        fn annexb_length_prefixed_round_trip(nals in proptest::collection::vec(nal_unit(), 0..8), size in prop_oneof![Just(1u8), Just(2), Just(4)]) {
            let mut prefixed = Vec::new();
            for nal in &nals {
                let len = (nal.len() as u32).to_be_bytes();
                prefixed.extend_from_slice(&len[4 - size as usize..]);
                prefixed.extend_from_slice(nal);
            }
            let annexb = length_prefixed_to_annexb(&prefixed, size).unwrap();
            let back: Vec<Vec<u8>> = annexb_nals(&annexb).map(<[u8]>::to_vec).collect();
            prop_assert_eq!(&back, &nals);
            let four = annexb_to_length_prefixed(&annexb);
            let again: Vec<Vec<u8>> = length_prefixed_nals(&four, 4).map(|n| n.unwrap().to_vec()).collect();
            prop_assert_eq!(&again, &nals);
            prop_assert_eq!(length_prefixed_to_annexb(&four, 4).unwrap(), annexb);
        }

        #[test]
        fn no_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..200), size in 0u8..6) {
            let total: usize = annexb_nals(&data).map(<[u8]>::len).sum();
            prop_assert!(total <= data.len());
            let _ = annexb_to_length_prefixed(&data);
            let _ = length_prefixed_to_annexb(&data, size);
            prop_assert!(length_prefixed_nals(&data, size).count() <= data.len());
        }
    }
}
