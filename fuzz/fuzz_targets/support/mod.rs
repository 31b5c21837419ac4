//! What several fuzz targets share: the RTMP targets' input plan, handshake and limits, and
//! the `weir check` pipeline's split invariance for the observer targets. Machines' drivers
//! and split checks come from `weir_testkit`.
#![allow(dead_code)]

/// The `weir check` pipeline over capture events, as the conformance tests drive it.
#[path = "../../../conformance/tests/support/pipeline.rs"]
mod pipeline;

use bytes::Bytes;
use std::time::Instant;
use weir_conformance::capture::StreamPair;
use weir_media::{Error, Machine};

/// A simple handshake from the peer (C0C1C2 or S0S1S2: version 3, zero time and version,
/// zero random bytes), so that fuzzed bytes reach the chunk stream and the session.
pub fn simple_handshake() -> Vec<u8> {
    let mut bytes = vec![3];
    bytes.resize(1 + 2 * 1536, 0);
    bytes
}

/// Splits the fuzz input: the first byte chooses the piece size (1..=256) and whether the
/// session's handshake is done for it; the rest are the peer's bytes.
pub fn plan(data: &[u8]) -> Option<(usize, bool, &[u8])> {
    let (&first, rest) = data.split_first()?;
    Some((usize::from(first & 0x7f) * 2 + 1, first & 0x80 == 0, rest))
}

/// `rest` behind the simple handshake when `handshake` says so.
pub fn peer_bytes(handshake: bool, rest: &[u8]) -> Vec<u8> {
    match handshake {
        true => [simple_handshake(), rest.to_vec()].concat(),
        false => rest.to_vec(),
    }
}

/// Session limits small enough that a fuzz input reaches them.
pub fn small_limits() -> weir_rtmp::session::SessionConfig {
    weir_rtmp::session::SessionConfig {
        chunk_limits: weir_rtmp::chunk::ChunkLimits {
            max_message_size: 1 << 16,
            max_chunk_streams: 8,
        },
        ..Default::default()
    }
}

/// After a session's run that stopped at `error`: more input gets the same error (a closed
/// session stays closed). After one that did not stop, its input ends.
pub fn stays_closed(session: &mut impl Machine, error: Option<Error>) {
    match error {
        Some(err) => assert_eq!(
            session.handle_input(Instant::now(), b"x"),
            Err(err),
            "a closed session stays closed"
        ),
        None => {
            let _ = session.handle_end(Instant::now());
        }
    }
}

/// Checks a stream pair whole and with every data event cut into pieces of `piece` bytes:
/// both transcripts render, and they are the same; and without a transcript (`weir check
/// FILE`: nothing worded, no entry kept) the flows' verdicts, failures, coverage and media
/// summaries are what they are with one.
pub fn check_split_invariance(pair: &StreamPair, piece: usize) {
    use pipeline::{resplit, run_events, run_events_with, transcript_of};
    let events = pair.events();
    let report = run_events(events.clone());
    let options = weir_conformance::check::Options {
        no_transcript: true,
        ..Default::default()
    };
    let bare = run_events_with(events.clone(), &options);
    assert!(bare.entries.is_empty());
    assert_eq!(format!("{:?}", bare.flows), format!("{:?}", report.flows));
    let whole = transcript_of(report);
    let pieces = transcript_of(run_events(resplit(&events, |_| piece)));
    assert_eq!(whole, pieces);
}

/// `prefix` then `bytes`.
pub fn joined(prefix: &[u8], bytes: &[u8]) -> Bytes {
    let mut out = prefix.to_vec();
    out.extend_from_slice(bytes);
    Bytes::from(out)
}
