//! A machine's outputs, collected.

use bytes::BytesMut;
use std::collections::BTreeMap;
use std::time::Instant;
use weir_media::{Error, Machine, Output, Violation};

/// Everything a machine said, by kind, in order within each kind; two are equal when the
/// machines said the same things in the same order (transmitted bytes compare as one stream:
/// how they were cut into transmits is the machine's business).
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs<E> {
    /// Every transmitted byte, concatenated.
    pub transmitted: BytesMut,
    /// The events.
    pub events: Vec<E>,
    /// The violations.
    pub violations: Vec<Violation>,
    /// For each violation, how many events came before it: where it stands among the events,
    /// which split invariance covers too.
    pub violations_after: Vec<usize>,
    /// The error that closed the machine, if one did.
    pub error: Option<Error>,
}

impl<E> Default for Outputs<E> {
    fn default() -> Self {
        Outputs {
            transmitted: BytesMut::new(),
            events: Vec::new(),
            violations: Vec::new(),
            violations_after: Vec::new(),
            error: None,
        }
    }
}

impl<E> Outputs<E> {
    /// Files one output.
    pub fn take(&mut self, output: Output<E>) {
        match output {
            Output::Transmit(bytes) => self.transmitted.extend_from_slice(&bytes),
            Output::Event(event) => self.events.push(event),
            Output::Violation(v) => {
                self.violations.push(v);
                self.violations_after.push(self.events.len());
            }
        }
    }

    /// Drains every output `machine` has.
    pub fn drain<M: Machine<Event = E>>(&mut self, machine: &mut M) {
        self.drain_with(machine, |_, _| {});
    }

    /// Drains every output `machine` has, calling `answer` with the machine on each event as
    /// it comes (to accept or reject a request by id, say) before filing it.
    pub fn drain_with<M: Machine<Event = E>>(
        &mut self,
        machine: &mut M,
        mut answer: impl FnMut(&mut M, &E),
    ) {
        while let Some(output) = machine.poll_output() {
            if let Output::Event(event) = &output {
                answer(machine, event);
            }
            self.take(output);
        }
    }

    /// The violations as `(rule id, offset)`, the form most assertions compare.
    pub fn rule_offsets(&self) -> Vec<(&'static str, u64)> {
        self.violations
            .iter()
            .map(|v| (v.rule.id, v.offset))
            .collect()
    }

    /// How many times each rule was broken, by rule id.
    pub fn rule_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for v in &self.violations {
            *counts.entry(v.rule.id).or_insert(0) += 1;
        }
        counts
    }
}

/// Feeds `pieces` to `machine` in order, draining after each, then (with `end`) ends its
/// input; stops at the first error, which is kept in [`Outputs::error`].
pub fn run<M, P>(
    machine: &mut M,
    pieces: impl IntoIterator<Item = P>,
    end: bool,
) -> Outputs<M::Event>
where
    M: Machine,
    P: AsRef<[u8]>,
{
    run_with(machine, pieces, end, |_, _| {})
}

/// [`run`], with `answer` called on each event as it is drained, with its machine (see
/// [`Outputs::drain_with`]).
pub fn run_with<M, P>(
    machine: &mut M,
    pieces: impl IntoIterator<Item = P>,
    end: bool,
    mut answer: impl FnMut(&mut M, &M::Event),
) -> Outputs<M::Event>
where
    M: Machine,
    P: AsRef<[u8]>,
{
    let now = Instant::now();
    let mut out = Outputs::default();
    for piece in pieces {
        let result = machine.handle_input(now, piece.as_ref());
        out.drain_with(machine, &mut answer);
        if let Err(e) = result {
            out.error = Some(e);
            return out;
        }
    }
    if end {
        let result = machine.handle_end(now);
        out.drain_with(machine, &mut answer);
        out.error = result.err();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Lines;

    #[test]
    fn run_files_outputs_by_kind_answers_events_and_keeps_the_error() {
        let out = run_with(
            &mut Lines::default(),
            ["a\n\n?b", "\nc\n\n"],
            true,
            |m, e| m.answer(e),
        );
        assert_eq!(out.events, ["a", "?b", "c"]);
        assert_eq!(&out.transmitted[..], b"!b");
        assert_eq!(
            out.rule_offsets(),
            [("test.line.empty", 2), ("test.line.empty", 8)]
        );
        assert_eq!(out.violations_after, [1, 3]);
        assert_eq!(out.rule_counts(), BTreeMap::from([("test.line.empty", 2)]));
        assert_eq!(out.error, None);

        // The first error stops the run; an input that ends inside a line fails at the end.
        let out = run(&mut Lines::default(), ["a\nstop\n", "b\n"], true);
        assert_eq!((out.events.len(), out.error.unwrap().offset), (1, 7));
        let out = run(&mut Lines::default(), ["a\nb"], true);
        assert_eq!(out.error.unwrap().detail, "the input ends inside a line");
        assert_eq!(run(&mut Lines::default(), ["a\nb"], false).error, None);
    }
}
