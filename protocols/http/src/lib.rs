//! HTTP/1.x messages (RFC 9112), sans-IO, as a receiver reads them: one [`MessageReader`] per
//! direction of a connection turns its bytes into heads, body bytes and message ends, and
//! reports the rules of [`rules::CATALOG`] its peer breaks. It reads; it writes nothing and
//! judges no content (what a body holds is the caller's to read).
//!
//! - [`head`]: one message head, its start line and fields, and what they say of the body's
//!   length (§2-§6);
//! - [`chunked`]: the chunked transfer coding, decoded as it streams in (§7.1);
//! - [`message`]: the [`MessageReader`] machine, its [`Limits`] and its [`Event`]s;
//! - [`rules`]: the rule catalog (`http.*`).
//!
//! ```text
//! let mut requests = MessageReader::new(Role::Request, Limits::default());
//! let mut responses = MessageReader::new(Role::Response, Limits::default());
//! requests.handle_input(now, &client_bytes)?;        // any split
//! while let Some(out) = requests.poll_output() {
//!     // Output::Event(Event::Head { head, .. }): a request; tell the other side, whose
//!     //   responses are framed by it (HEAD, CONNECT):
//!     //   responses.expect_response(method)
//!     // Output::Event(Event::{Body, BodyGap, End, HeadCut}) or Output::Violation(v)
//! }
//! responses.handle_input(now, &server_bytes)?;       // the same loop
//! responses.handle_end(now)?;                         // FIN: a body read until close is whole
//! ```
//!
//! An `Err` is a rule broken so that no later message can be found on the direction (a start
//! line that is none, a body whose length cannot be known, a broken chunk); the reader reads
//! nothing more.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chunked;
pub mod head;
pub mod message;
pub mod rules;

pub use head::{Framing, Head, Role, Start};
pub use message::{End, Event, Limits, MessageReader};
pub use weir_media::Error;
