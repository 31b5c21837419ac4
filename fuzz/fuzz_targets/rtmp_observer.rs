//! The whole `weir check` pipeline on an arbitrary RTMP stream pair: detection, both observer
//! machines, transcript and verdicts. The first byte picks where the input splits into the
//! client's and the server's bytes (each behind a simple handshake half the time); every
//! transcript renders, and the same pair cut into small pieces gives the same transcript.
#![no_main]

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_conformance::capture::{Event, FlowEvent, StreamPair};
use weir_conformance::check::{Checker, Options, Report};

fn transcript(events: impl IntoIterator<Item = Event>) -> String {
    let options = Options::default();
    let mut checker = Checker::new("fuzz", &options);
    for event in events {
        checker.push(event);
    }
    let report = Report {
        inputs: vec![checker.finish()],
        strict: false,
    };
    report.transcript_yaml()
}

fuzz_target!(|data: &[u8]| {
    let Some((piece, handshake, rest)) = support::plan(data) else {
        return;
    };
    let split = rest.first().map_or(0, |&b| usize::from(b) * rest.len() / 256);
    let (client, server) = rest.split_at(split);
    let with_handshake = |bytes: &[u8]| {
        let mut out = if handshake {
            support::simple_handshake()
        } else {
            Vec::new()
        };
        out.extend_from_slice(bytes);
        Bytes::from(out)
    };
    let pair = StreamPair {
        client: SocketAddr::from(([127, 0, 0, 1], 50000)),
        server: SocketAddr::from(([127, 0, 0, 2], 1935)),
        client_to_server: with_handshake(client),
        server_to_client: with_handshake(server),
    };
    let events = pair.events();
    let whole = transcript(events.clone());
    let pieces = events.into_iter().flat_map(|event| {
        let FlowEvent::Data {
            flow,
            direction,
            offset,
            bytes,
        } = &event.event
        else {
            return vec![event];
        };
        (0..bytes.len())
            .step_by(piece)
            .map(|at| Event {
                event: FlowEvent::Data {
                    flow: *flow,
                    direction: *direction,
                    offset: offset + at as u64,
                    bytes: bytes.slice(at..(at + piece).min(bytes.len())),
                },
                ..event.clone()
            })
            .collect()
    });
    assert_eq!(whole, transcript(pieces));
});
