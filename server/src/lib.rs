//! Weir's reference server: RTMP and HTTP-FLV delivery from a bounded hub, an SRS-compatible
//! HTTP API and HTTP callbacks. One tokio task per connection drives one sans-IO machine from
//! `protocols/`; no protocol logic lives here.

pub mod config;
pub mod hooks;
pub mod security;
