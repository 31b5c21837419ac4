//! The conformance harness (DESIGN.md, "Conformance harness"). For now it holds the union of
//! the protocol crates' rule catalogs; capture reading, observers and reports land with the
//! issue "Conformance harness".

pub mod capture;
pub mod catalog;
pub mod check;
pub mod detect;
pub mod doc;
pub mod load;
pub mod media_summary;
pub mod observe;
pub mod report;
pub mod transcript;
pub mod verdict;
