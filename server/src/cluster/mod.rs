//! Beyond one machine (`[cluster]`, see `crate::config::ClusterConfig`).
//!
//! - Edges: the first player of a stream on an edge makes the edge pull it once from an origin
//!   into its own hub, so every delivery (RTMP, HTTP-FLV, HTTP-TS, HLS, SRT, WHEP) serves it;
//!   a publish on an edge is forwarded to an origin.
//! - The origin cluster: origins share a stream registry in Redis (which origin holds which
//!   stream, with heartbeats and expiries); an origin that lacks a stream redirects or pulls,
//!   and edges ask the registry instead of trying origins in turn.

pub mod edge;
pub mod pull;
pub mod registry;
