//! SRT (Secure Reliable Transport) in live mode, sans-IO, after the SRT internet-draft
//! (draft-sharabayko-srt-01, "the draft" in this crate) and what libsrt 1.5 does on the wire.
//!
//! - [`seq`]: 31-bit packet sequence numbers, 26-bit message numbers and 32-bit timestamps,
//!   all with wrap-around arithmetic (draft §3.1);
//! - [`km`]: the Key Material message, the body of KMREQ/KMRSP (draft §3.2.2);
//! - [`kdf`]: the passphrase and the key encrypting key from it (PBKDF2, §6.1.4);
//! - [`keywrap`]: AES key wrap of the stream encrypting keys (RFC 3394, §6.2.1, §6.3.1);
//! - [`cipher`]: AES and the AES-CTR payload encryption of data packets (§6.1.2, §6.2.2);
//! - [`crypto`]: a connection's keys both ways, the KMREQ/KMRSP exchange and the key
//!   refresh schedule (§6.1.5, §6.1.6): `CryptoContext::{initiator, responder}`, then
//!   `encrypt`/`decrypt` per data packet;
//! - [`rules`]: the rule catalog.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cipher;
pub mod crypto;
pub mod kdf;
pub mod keywrap;
pub mod km;
pub mod rules;
pub mod seq;

pub use seq::{MsgNumber, SeqNumber, Timestamp};
