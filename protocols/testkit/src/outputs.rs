//! A machine's outputs, collected.

use bytes::BytesMut;
use std::time::Instant;
use weir_media::{Error, Machine, Output, Violation};

/// Everything a machine said, by kind, in order within each kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs<E> {
    /// Every transmitted byte, concatenated.
    pub transmitted: BytesMut,
    /// The events.
    pub events: Vec<E>,
    /// The violations.
    pub violations: Vec<Violation>,
    /// The error that closed the machine, if one did.
    pub error: Option<Error>,
}

impl<E> Default for Outputs<E> {
    fn default() -> Self {
        Outputs {
            transmitted: BytesMut::new(),
            events: Vec::new(),
            violations: Vec::new(),
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
            Output::Violation(v) => self.violations.push(v),
        }
    }

    /// Drains every output `machine` has.
    pub fn drain<M: Machine<Event = E>>(&mut self, machine: &mut M) {
        while let Some(output) = machine.poll_output() {
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
    let now = Instant::now();
    let mut out = Outputs::default();
    for piece in pieces {
        let result = machine.handle_input(now, piece.as_ref());
        out.drain(machine);
        if let Err(e) = result {
            out.error = Some(e);
            return out;
        }
    }
    if end {
        let result = machine.handle_end(now);
        out.drain(machine);
        out.error = result.err();
    }
    out
}
