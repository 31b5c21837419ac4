//! The whole `weir check` pipeline on an arbitrary RTMP stream pair: detection, both observer
//! machines, transcript and verdicts. The first byte picks where the input splits into the
//! client's and the server's bytes (each behind a simple handshake half the time); every
//! transcript renders, the same pair cut into small pieces gives the same transcript, and
//! without a transcript the flows' reports are the same.
#![no_main]

mod support;

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use weir_conformance::capture::StreamPair;

fuzz_target!(|data: &[u8]| {
    let Some((piece, handshake, rest)) = support::plan(data) else {
        return;
    };
    let split = rest
        .first()
        .map_or(0, |&b| usize::from(b) * rest.len() / 256);
    let (client, server) = rest.split_at(split);
    let handshake = if handshake {
        support::simple_handshake()
    } else {
        Vec::new()
    };
    let pair = StreamPair {
        client: SocketAddr::from(([127, 0, 0, 1], 50000)),
        server: SocketAddr::from(([127, 0, 0, 2], 1935)),
        client_to_server: support::joined(&handshake, client),
        server_to_client: support::joined(&handshake, server),
    };
    support::check_split_invariance(&pair, piece);
});
