//! Split invariance (DESIGN.md, "The sans-IO contract"): a stream machine gives the same
//! outputs however its input is cut — whole, byte by byte, or at any points. Every machine's
//! proptests and fuzz targets call [`check`]; [`cuts`] turns fuzzer bytes into cut points.

use crate::{Outputs, run};
use std::fmt::Debug;
use weir_media::Machine;

/// `input` fed to a fresh machine whole and cut at `cuts` (positions, any order, out of
/// range ones ignored) must give equal outputs; returns them. Panics with both when not.
pub fn check<M>(make: impl Fn() -> M, input: &[u8], cuts: &[usize]) -> Outputs<M::Event>
where
    M: Machine,
    M::Event: PartialEq + Debug,
{
    let whole = run(&mut make(), [input], true);
    let pieces = run(&mut make(), pieces(input, cuts), true);
    assert_eq!(
        whole, pieces,
        "the same input cut at {cuts:?} gave other outputs"
    );
    whole
}

/// `input` cut at `cuts` (sorted and deduplicated here).
pub fn pieces<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().copied().filter(|&c| c < input.len()).collect();
    at.sort_unstable();
    at.dedup();
    let mut out = Vec::with_capacity(at.len() + 1);
    let mut start = 0;
    for cut in at {
        out.push(&input[start..cut]);
        start = cut;
    }
    out.push(&input[start..]);
    out
}

/// Cut points for an input of `len` bytes drawn from `seed` bytes (a fuzzer's), each pair of
/// seed bytes one cut; at most 64 cuts.
pub fn cuts(seed: &[u8], len: usize) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    seed.chunks(2)
        .take(64)
        .map(|pair| {
            let v = pair.iter().fold(0usize, |v, &b| v << 8 | usize::from(b));
            v % len
        })
        .collect()
}

/// Every cut: the input byte by byte.
pub fn every_byte(len: usize) -> Vec<usize> {
    (1..len).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_input_in_order() {
        let input = b"abcdef";
        assert_eq!(pieces(input, &[4, 2, 2, 99]), [&b"ab"[..], b"cd", b"ef"]);
        assert_eq!(pieces(input, &[]), [&b"abcdef"[..]]);
        assert_eq!(pieces(b"", &[0]), [&b""[..]]);
        assert!(cuts(&[1, 2, 3], 10).iter().all(|&c| c < 10));
    }
}
