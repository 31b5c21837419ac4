//! STUN (RFC 8489) with ICE's attributes (RFC 8445 §16.1), sans-IO: messages parsed and
//! checked rule by rule, written with integrity and fingerprint, and the helpers a harness
//! needs on a WebRTC port (RFC 7983 demultiplexing, response matching). Weir's server runs
//! ICE through str0m; this crate serves the conformance harness and the probes.
//!
//! - [`header`]: the 20-byte header — class and method, magic cookie, transaction id;
//! - [`attribute`]: attribute TLVs, the type registry, the decoded [`Attribute`]s;
//!   [`address`] (MAPPED-, XOR-MAPPED-ADDRESS, ALTERNATE-SERVER), [`error_code`]
//!   (ERROR-CODE, UNKNOWN-ATTRIBUTES), [`password`] (PASSWORD-ALGORITHM(S), credentials and
//!   their keys);
//! - [`message`]: a whole [`Message`], parsed with its violations, and [`verify_integrity`];
//!   [`integrity`]: HMAC-SHA1, HMAC-SHA256 and the CRC-32 fingerprint over a message prefix;
//! - [`builder`]: writing a message, with integrity and fingerprint computed;
//! - [`ice`]: the connectivity-check rules; [`transactions`]: responses matched to requests;
//! - [`demux`]: RFC 7983's first-byte demultiplexing, [`is_stun`], and [`local_ufrag`] to route
//!   a connectivity check to its session;
//! - [`stream`]: STUN over TCP (plain or RFC 4571 framed), a [`weir_media::Machine`];
//! - [`rules`]: the rule catalog.
//!
//! ```text
//! if weir_stun::is_stun(&datagram) {
//!     let mut violations = Vec::new();
//!     let message = Message::parse_datagram(&datagram, &mut violations)?;   // header, attributes, fingerprint
//!     verify_integrity(&datagram, &credentials, &mut violations);         // when the password is known
//!     ice::check(&message, false, offset, &mut violations);               // connectivity-check rules
//!     transactions.request(&message) / transactions.response(&message, offset, &mut violations);
//! }
//! let bytes = Builder::new(MessageType::BINDING_REQUEST, id)
//!     .attribute(&Attribute::Username("remote:local".into()))
//!     .message_integrity(password.as_bytes())
//!     .fingerprint()
//!     .build();
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod address;
pub mod attribute;
pub mod builder;
pub mod demux;
pub mod error_code;
pub mod header;
pub mod ice;
pub mod integrity;
pub mod message;
pub mod password;
pub mod rules;
pub mod stream;
pub mod transactions;

pub use attribute::Attribute;
pub use builder::Builder;
pub use demux::{classify, is_stun, local_ufrag};
pub use error_code::ErrorCode;
pub use header::{Class, MAGIC_COOKIE, MessageType, Method, TransactionId};
pub use message::{IntegrityCheck, Message, verify_integrity};
pub use password::{Credentials, PasswordAlgorithm};
pub use stream::{Framing, Stream, StreamEvent};
pub use transactions::Transactions;
pub use weir_media::Error;
