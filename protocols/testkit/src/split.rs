//! Split invariance (DESIGN.md, "The sans-IO contract"): a stream machine gives the same
//! outputs however its input is cut — whole, byte by byte, or at any points. Every machine's
//! proptests and fuzz targets call [`check`] (or [`check_with`], for a machine whose requests
//! must be answered); the rest of this module makes cut points: [`every_byte`], [`sizes`],
//! [`walk`], and [`cuts`] from a fuzzer's bytes. A check of something that is not a
//! [`Machine`] (a sub-machine, a pipeline of capture events) cuts its input with [`pieces`].

use crate::{Outputs, run_with};
use std::fmt::Debug;
use weir_media::Machine;

/// `input` fed to a fresh machine whole and cut at `cuts` (positions, any order, out of
/// range ones ignored), its input ended, must give equal [`Outputs`]; returns them. Panics
/// with both when not.
pub fn check<M>(make: impl Fn() -> M, input: &[u8], cuts: &[usize]) -> Outputs<M::Event>
where
    M: Machine,
    M::Event: PartialEq + Debug,
{
    check_with(make, input, cuts, |_, _| {})
}

/// [`check`], with `answer` called on each event as it is drained, with its machine, in both
/// runs (to accept requests, say). It is `Fn` so that it answers both runs alike.
pub fn check_with<M>(
    make: impl Fn() -> M,
    input: &[u8],
    cuts: &[usize],
    answer: impl Fn(&mut M, &M::Event),
) -> Outputs<M::Event>
where
    M: Machine,
    M::Event: PartialEq + Debug,
{
    let whole = run_with(&mut make(), [input], true, &answer);
    let cut = run_with(&mut make(), pieces(input, cuts), true, &answer);
    assert_eq!(
        whole,
        cut,
        "the same {} bytes cut at {} gave other outputs",
        input.len(),
        describe(cuts)
    );
    whole
}

/// The cuts for a failure message: all of a few, the count and the first of many (byte by
/// byte through a recorded session is hundreds of thousands).
fn describe(cuts: &[usize]) -> String {
    match cuts.len() {
        0..=32 => format!("{cuts:?}"),
        n => format!("{n} points ({:?}...)", &cuts[..16]),
    }
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

/// The cuts that make pieces of `sizes` bytes in turn, over and over (the last piece is what
/// is left); no cut for no sizes. `sizes(len, &[188])` is 188-byte pieces.
pub fn sizes(len: usize, sizes: &[usize]) -> Vec<usize> {
    if sizes.is_empty() {
        return Vec::new();
    }
    let mut next = sizes.iter().cycle();
    walk(len, |_| *next.next().expect("sizes cycle"))
}

/// The cuts that make pieces of the sizes `next` gives, asked with how many bytes are left
/// (a seeded random draw, say); each size is held to 1 up to what is left.
pub fn walk(len: usize, mut next: impl FnMut(usize) -> usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < len {
        at += next(len - at).clamp(1, len - at);
        if at < len {
            cuts.push(at);
        }
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Lines;

    #[test]
    fn pieces_cover_the_input_in_order() {
        let input = b"abcdef";
        assert_eq!(pieces(input, &[4, 2, 2, 99]), [&b"ab"[..], b"cd", b"ef"]);
        assert_eq!(pieces(input, &[]), [&b"abcdef"[..]]);
        assert_eq!(pieces(b"", &[0]), [&b""[..]]);
        assert!(cuts(&[1, 2, 3], 10).iter().all(|&c| c < 10));
    }

    #[test]
    fn sizes_and_walks_make_cuts() {
        assert_eq!(every_byte(4), [1, 2, 3]);
        assert_eq!(sizes(10, &[4]), [4, 8]);
        assert_eq!(sizes(10, &[1, 5]), [1, 6, 7]);
        assert_eq!(sizes(10, &[0]), every_byte(10));
        assert_eq!(sizes(10, &[]), []);
        assert_eq!(sizes(0, &[3]), []);
        let mut asked = Vec::new();
        let cuts = walk(10, |left| {
            asked.push(left);
            6
        });
        assert_eq!((cuts, asked), (vec![6], vec![10, 4]));
    }

    #[test]
    fn check_compares_whole_and_cut_runs_answering_both() {
        let input = b"a\n\n?b\nc\n";
        let out = check_with(Lines::default, input, &every_byte(input.len()), |m, e| {
            m.answer(e)
        });
        assert_eq!((out.events.len(), &out.transmitted[..]), (3, &b"!b"[..]));
        let out = check(Lines::default, b"a\nb", &[1, 2]);
        assert!(out.error.is_some(), "an error is an output too");
    }

    /// Gives other events when an input piece ends between `a` and `b`.
    #[derive(Default)]
    struct SplitSensitive(Lines);

    impl Machine for SplitSensitive {
        type Event = String;
        fn handle_input(
            &mut self,
            now: std::time::Instant,
            input: &[u8],
        ) -> Result<(), weir_media::Error> {
            let input = if input == b"a" { b"x" } else { input };
            self.0.handle_input(now, input)
        }
        fn handle_end(&mut self, now: std::time::Instant) -> Result<(), weir_media::Error> {
            self.0.handle_end(now)
        }
        fn poll_output(&mut self) -> Option<weir_media::Output<String>> {
            self.0.poll_output()
        }
        fn poll_timeout(&self) -> Option<std::time::Instant> {
            None
        }
        fn handle_timeout(&mut self, _: std::time::Instant) {}
    }

    #[test]
    #[should_panic(expected = "gave other outputs")]
    fn check_fails_when_a_cut_changes_the_outputs() {
        check(SplitSensitive::default, b"ab\n", &[1]);
    }
}
