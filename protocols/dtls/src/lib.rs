//! DTLS as a harness sees it in the clear (RFC 6347 DTLS 1.2, RFC 9147 DTLS 1.3, with
//! RFC 5246 / RFC 8446's handshake and RFC 5764's use_srtp), sans-IO: records, epoch-0
//! handshake messages reassembled from their fragments, the hellos decoded and compared,
//! alerts and ChangeCipherSpec. Anything protected (epoch 1 or later, DTLS 1.3's unified
//! header) is counted as "encrypted: not checked", never judged. Weir's server runs DTLS
//! through str0m; this crate serves the conformance harness.
//!
//! - [`record`]: records in a datagram (DTLSPlaintext, and DTLS 1.3's unified header);
//! - [`handshake`]: handshake fragment headers; [`reassembly`]: whole messages from them, bounded;
//! - [`hello`]: ClientHello, ServerHello, HelloVerifyRequest; [`extension`]: hello extensions,
//!   use_srtp and supported_versions decoded;
//! - [`alert`]: alert records;
//! - [`flow`]: the [`Flow`] machine over both sides' datagrams;
//! - [`rules`]: the rule catalog.
//!
//! ```text
//! let mut flow = Flow::new(Side::Client, Limits::default());
//! for (side, datagram) in datagrams {                 // first byte 20-63 (RFC 7983)
//!     flow.handle_datagram(now, side, &datagram);
//!     while let Some(out) = flow.poll_output() {
//!         // Event::{Record, Handshake, ClientHello, ServerHello, Negotiated, Alert,
//!         //         ChangeCipherSpec, Encrypted, ...} or a Violation
//!     }
//! }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alert;
pub mod extension;
pub mod flow;
pub mod handshake;
pub mod hello;
pub mod reassembly;
pub mod record;
pub mod rules;

pub use alert::Alert;
pub use extension::UseSrtp;
pub use flow::{Event, Flow, Limits, Negotiated, Side};
pub use hello::{ClientHello, HelloVerifyRequest, ServerHello};
pub use record::{ContentType, Record};
pub use weir_media::Error;
