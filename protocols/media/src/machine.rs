//! The output shape shared by every sans-IO machine in `protocols/`.
//!
//! ```text
//! machine.handle_input(now, input)?;
//! while let Some(out) = machine.poll_output() { ... }
//! if let Some(at) = machine.poll_timeout() { /* later: machine.handle_timeout(at) */ }
//! ```

use crate::rule::Violation;
use bytes::Bytes;

/// What a machine asks its driver to do after an input or a timeout.
#[derive(Debug, Clone, PartialEq)]
pub enum Output<E> {
    /// Bytes to write to the peer, in order.
    Transmit(Bytes),
    /// Something the application acts on: media, a request to accept or reject, a state change.
    Event(E),
    /// The peer broke a rule; the machine carried on.
    Violation(Violation),
}
