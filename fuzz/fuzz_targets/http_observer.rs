//! The whole `weir check` pipeline on an arbitrary HTTP/1.x stream pair: detection, the
//! message readers, chunked decoding, the playlist, TS and FLV readers behind them, transcript
//! and verdicts. The first byte picks the piece size; the next where the input splits into the
//! client's bytes (behind a request line, so that detection says HTTP) and the server's
//! (behind one of a few response heads, half the time); every transcript renders, and the
//! same pair cut into small pieces gives the same transcript; without a transcript the flows'
//! reports are the same.
#![no_main]

mod support;

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use weir_conformance::capture::StreamPair;

/// Response starts that take the fuzzed bytes into each body reader and framing.
const RESPONSES: [&[u8]; 4] = [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nContent-Length: 1000\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nContent-Type: application/vnd.apple.mpegurl\r\n\r\n",
];

fuzz_target!(|data: &[u8]| {
    let Some((piece, with_head, rest)) = support::plan(data) else {
        return;
    };
    let Some((&choice, rest)) = rest.split_first() else {
        return;
    };
    let split = usize::from(choice) * rest.len() / 256;
    let (client, server) = rest.split_at(split);
    let head = if with_head {
        RESPONSES[usize::from(choice) % RESPONSES.len()]
    } else {
        b""
    };
    let pair = StreamPair {
        client: SocketAddr::from(([127, 0, 0, 1], 50000)),
        server: SocketAddr::from(([127, 0, 0, 2], 8080)),
        client_to_server: support::joined(b"GET /live/a.m3u8 HTTP/1.1\r\n", client),
        server_to_client: support::joined(head, server),
    };
    support::check_split_invariance(&pair, piece);
});
