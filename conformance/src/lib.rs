//! The conformance harness (DESIGN.md, "Conformance harness"): captures read and replayed
//! through the protocol machines (`check`), live servers probed case by case (`probe`) and
//! captured sessions re-sent to them (`replay`), the load generator (`load`), and the union of
//! the protocol crates' rule catalogs with their verdicts and reports. Every protocol is one
//! row of the table in [`protocols`]: its sniffers ([`sniff`]), observer, prober and rules.

/// Captures read as flows: the `weir-capture` crate, which protocol crates' corpus tests use too.
pub use weir_capture as capture;
pub mod catalog;
pub mod check;
pub mod detect;
pub mod doc;
pub mod load;
pub mod media_summary;
pub mod observe;
pub mod probe;
pub mod protocols;
pub mod replay;
pub mod report;
pub mod sniff;
pub mod transcript;
pub mod verdict;
