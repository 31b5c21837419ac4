//! The one shape of every top-level sans-IO machine in `protocols/` (DESIGN.md, "The sans-IO
//! contract"): a reader who knows one machine knows all, and one driver, one test kit and one
//! fuzz harness serve them all.
//!
//! ```text
//! machine.handle_input(now, input)?;              // TCP bytes in any split, or one datagram
//! while let Some(out) = machine.poll_output() {   // drain after every input, end and timeout
//!     match out {
//!         Output::Transmit(bytes) => { /* write to the peer */ }
//!         Output::Event(event) => { /* media, requests to answer by id, state changes */ }
//!         Output::Violation(v) => { /* the peer broke a rule; the machine carried on */ }
//!     }
//! }
//! if let Some(at) = machine.poll_timeout() { /* at `at`: machine.handle_timeout(at) */ }
//! machine.handle_end(now)?;                       // the peer's input ended
//! ```
//!
//! A machine reads no clock, socket or file and draws no randomness of its own: time is an
//! argument, randomness comes from the caller. A violation leaves a machine only as
//! [`Output::Violation`]; a rule broken so badly that the machine cannot go on is an
//! [`Error`] from the call that found it, and every later input returns an error too.

use crate::{Error, Violation};
use bytes::Bytes;
use std::time::Instant;

/// What a machine asks its driver to do after an input, an end or a timeout.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a machine's output carries bytes to send, events to act on or violations"]
pub enum Output<E> {
    /// Bytes to write to the peer, in order.
    Transmit(Bytes),
    /// Something the application acts on: media, a request to accept or reject, a state change.
    Event(E),
    /// The peer broke a rule; the machine carried on.
    Violation(Violation),
}

/// A sans-IO protocol machine; see the [module docs](self).
pub trait Machine {
    /// What the machine reports to its application.
    type Event;

    /// Feeds what the peer sent: stream bytes split anywhere, or exactly one datagram. The
    /// outputs are the same however a stream is split.
    fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error>;

    /// The peer's input ended (a TCP FIN, the end of a file or a capture): what was held for
    /// more input is delivered or reported as cut short.
    fn handle_end(&mut self, now: Instant) -> Result<(), Error>;

    /// The next output, or `None` once everything is drained. Call it until `None` after every
    /// [`handle_input`](Self::handle_input), [`handle_end`](Self::handle_end) and
    /// [`handle_timeout`](Self::handle_timeout), and after every call of the machine's own that
    /// answers or sends.
    #[must_use = "a machine's outputs must be drained"]
    fn poll_output(&mut self) -> Option<Output<Self::Event>>;

    /// When the machine next needs [`handle_timeout`](Self::handle_timeout), if ever.
    #[must_use = "a machine that asks for a timeout must get it"]
    fn poll_timeout(&self) -> Option<Instant>;

    /// Time has reached `now` (at or after what [`poll_timeout`](Self::poll_timeout) asked).
    fn handle_timeout(&mut self, now: Instant);
}
