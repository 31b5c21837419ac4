//! The tokio reference server (DESIGN.md, "Server"). It lands with the issue "Reference server:
//! live RTMP and HTTP-FLV delivery"; until then `weir serve` says so and exits 2.
