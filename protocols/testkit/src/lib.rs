//! What every Weir test, benchmark and fuzz target shares (a dev-dependency, never part of a
//! product):
//!
//! - [`corpus`]: the public corpus, found through `WEIR_CORPUS`;
//! - [`Outputs`] and [`run`]: a machine's outputs collected, after feeding it pieces of input;
//! - [`split`]: the split-invariance check every machine's proptests and fuzz targets call;
//! - [`Pair`]: two machines talking through memory on simulated time, with latency and seeded
//!   loss (after quinn's `quinn-proto/src/tests/util.rs`);
//! - [`peer`]: a real peer's binary, or a failure that says how to install it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod corpus;
mod outputs;
mod pair;
pub mod peer;
pub mod split;

pub use outputs::{Outputs, run};
pub use pair::{Link, Pair, Side};
