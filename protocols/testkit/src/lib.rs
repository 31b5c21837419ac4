//! What every Weir test, benchmark and fuzz target shares (a dev-dependency, never part of a
//! product):
//!
//! - [`corpus`]: the public corpus, found through `WEIR_CORPUS`;
//! - [`Outputs`], [`run`] and [`run_with`]: a machine's outputs collected, after feeding it
//!   pieces of input (and answering its requests);
//! - [`split`]: the split-invariance check every machine's proptests and fuzz targets call;
//! - [`Pair`]: two machines talking through memory on simulated time, with latency and seeded
//!   loss (after quinn's `quinn-proto/src/tests/util.rs`);
//! - [`flv`]: an FLV file's audio and video tags, to publish;
//! - [`netsim`]: a seeded, deterministic network simulator (loss, duplication, reordering,
//!   delay and jitter, bandwidth, a bounded queue), one way ([`NetSim`]) or both
//!   ([`netsim::Link`]), and the [`SeedGuard`] that prints its seed when a test fails;
//! - [`udp_relay`]: real UDP through two [`NetSim`]s on a thread, to put loss between real
//!   peers (FFmpeg, srt-live-transmit) and a server;
//! - [`SeededRng`]: the randomness machines take from their caller, the same on every run;
//! - [`TempPath`]: a file or folder for a peer program, removed when dropped;
//! - [`peer`]: a real peer's binary, or a failure that says how to install it;
//! - [`rule_table`]: the check that a crate's rule table fires every rule of its catalog.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod corpus;
pub mod dumpcap;
pub mod flv;
pub mod netsim;
mod outputs;
mod pair;
pub mod peer;
mod rng;
pub mod rule_table;
pub mod split;
mod temp;
#[cfg(test)]
mod testing;
pub mod udp_relay;

pub use netsim::{NetSim, Profile, SeedGuard};
pub use outputs::{Outputs, run, run_with};
pub use pair::{Link, Pair, Side};
pub use rng::SeededRng;
pub use temp::TempPath;
pub use udp_relay::UdpRelay;
