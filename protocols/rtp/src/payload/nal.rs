//! What the H.264 and H.265 payload formats share (RFC 6184 §5.7-§5.8, RFC 7798 §4.4.2-§4.4.3):
//! NAL units rebuilt from single, aggregated and fragmented packets on the way in, and NAL
//! units spread over single packets, aggregation packets and fragmentation units on the way
//! out. The two formats differ only in their header bytes, which [`NalHeaders`] gives.

use super::Payload;
use bytes::{BufMut, Bytes};
use std::ops::Range;
use weir_media::Error;

/// The NAL units of one access unit as they are rebuilt: contiguous bytes and their ranges.
#[derive(Debug, Default, Clone)]
pub(crate) struct Rebuilt {
    /// The NAL units, back to back, headers included.
    pub data: Vec<u8>,
    /// Where each whole NAL unit is in `data`.
    pub nals: Vec<Range<usize>>,
    /// Where the NAL unit being defragmented starts.
    fragment: Option<usize>,
}

/// A fragmentation unit out of place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FragmentError {
    /// A start while another NAL unit was still being defragmented.
    StartBeforeEnd,
    /// A middle or end fragment with no start before it.
    NoStart,
    /// The access unit ended inside a fragmented NAL unit.
    NoEnd,
}

impl FragmentError {
    /// In words, for violations and drops.
    pub fn describe(self) -> &'static str {
        match self {
            FragmentError::StartBeforeEnd => {
                "a fragmentation unit starts a NAL unit before the previous one ended"
            }
            FragmentError::NoStart => {
                "a fragmentation unit continues a NAL unit that never started"
            }
            FragmentError::NoEnd => "the access unit ends inside a fragmented NAL unit",
        }
    }
}

impl Rebuilt {
    /// Forgets everything (a new access unit).
    pub fn clear(&mut self) {
        self.data.clear();
        self.nals.clear();
        self.fragment = None;
    }

    /// A whole NAL unit.
    pub fn whole(&mut self, nal: &[u8]) -> Result<(), FragmentError> {
        if self.fragment.is_some() {
            return Err(FragmentError::StartBeforeEnd);
        }
        let start = self.data.len();
        self.data.extend_from_slice(nal);
        self.nals.push(start..self.data.len());
        Ok(())
    }

    /// A fragment: the first (with the NAL unit's rebuilt `header`) and/or the last.
    pub fn fragment(
        &mut self,
        header: &[u8],
        data: &[u8],
        first: bool,
        last: bool,
    ) -> Result<(), FragmentError> {
        match (first, self.fragment) {
            (true, Some(_)) => return Err(FragmentError::StartBeforeEnd),
            (true, None) => {
                self.fragment = Some(self.data.len());
                self.data.extend_from_slice(header);
            }
            (false, None) => return Err(FragmentError::NoStart),
            (false, Some(_)) => {}
        }
        self.data.extend_from_slice(data);
        if last && let Some(start) = self.fragment.take() {
            self.nals.push(start..self.data.len());
        }
        Ok(())
    }

    /// The access unit is complete: no fragment may be left open.
    pub fn finish(&self) -> Result<(), FragmentError> {
        match self.fragment {
            Some(_) => Err(FragmentError::NoEnd),
            None => Ok(()),
        }
    }
}

/// The header bytes that make H.264's and H.265's packets different.
pub(crate) trait NalHeaders {
    /// The NAL unit header's length (1 for H.264, 2 for H.265).
    const LEN: usize;

    /// The payload header of an aggregation packet holding NAL units with these headers.
    fn aggregation(headers: &mut dyn Iterator<Item = &[u8]>, out: &mut Vec<u8>);

    /// The payload header and FU header of a fragment of a NAL unit with header `nal`.
    fn fragment(nal: &[u8], first: bool, last: bool, out: &mut Vec<u8>);
}

/// Spreads NAL units (headers included) over payloads of at most `max` bytes: runs of small
/// units in aggregation packets when `aggregate` allows, units too big for one packet in
/// fragmentation units, the others alone. The last payload has the marker bit.
pub(crate) fn pack<H: NalHeaders>(
    nals: &[Bytes],
    max: usize,
    aggregate: bool,
    out: &mut Vec<Payload>,
) -> Result<(), Error> {
    let first = out.len();
    // Aggregation units: a payload header, then a 16-bit size before each unit.
    let mut run: Vec<&Bytes> = Vec::new();
    let flush = |run: &mut Vec<&Bytes>, out: &mut Vec<Payload>| {
        match run.len() {
            0 => {}
            1 => out.push(Payload {
                data: run[0].clone(),
                marker: false,
            }),
            _ => {
                let mut data = Vec::with_capacity(max);
                H::aggregation(&mut run.iter().map(|n| &n[..H::LEN]), &mut data);
                for nal in run.iter() {
                    data.put_u16(nal.len() as u16);
                    data.extend_from_slice(nal);
                }
                out.push(Payload {
                    data: data.into(),
                    marker: false,
                });
            }
        }
        run.clear();
    };
    let mut run_len = H::LEN;
    for nal in nals.iter().filter(|n| n.len() > H::LEN) {
        if aggregate {
            let fits = |room: usize| nal.len() <= u16::MAX as usize && room + 2 + nal.len() <= max;
            if fits(run_len) {
                run.push(nal);
                run_len += 2 + nal.len();
                continue;
            }
            flush(&mut run, out);
            run_len = H::LEN;
            if fits(run_len) {
                run.push(nal);
                run_len += 2 + nal.len();
                continue;
            }
        }
        if nal.len() <= max {
            out.push(Payload {
                data: nal.clone(),
                marker: false,
            });
            continue;
        }
        if !aggregate {
            return Err(Error::usage(format!(
                "a {}-byte NAL unit does not fit a {max}-byte payload in single NAL unit mode",
                nal.len()
            )));
        }
        let mut header = Vec::with_capacity(H::LEN + 1);
        H::fragment(&nal[..H::LEN], true, false, &mut header);
        let room = max.saturating_sub(header.len());
        if room == 0 {
            return Err(Error::usage(format!(
                "a {max}-byte payload holds no fragment"
            )));
        }
        let body = &nal[H::LEN..];
        let count = body.len().div_ceil(room);
        for (i, piece) in body.chunks(room).enumerate() {
            let mut data = Vec::with_capacity(header.len() + piece.len());
            H::fragment(&nal[..H::LEN], i == 0, i + 1 == count, &mut data);
            data.extend_from_slice(piece);
            out.push(Payload {
                data: data.into(),
                marker: false,
            });
        }
    }
    flush(&mut run, out);
    if let Some(last) = out[first..].last_mut() {
        last.marker = true;
    }
    Ok(())
}
