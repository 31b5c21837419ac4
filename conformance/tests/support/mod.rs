//! What the `check` tests share: the `weir check` pipeline over capture events
//! ([`pipeline`], which the fuzz targets share too) and hand-built packets ([`packets`]).
#![allow(dead_code)] // each test crate uses its own part

pub mod packets;
pub mod pipeline;
