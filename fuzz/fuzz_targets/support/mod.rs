//! What several fuzz targets share.
#![allow(dead_code)]

use bytes::Bytes;
use weir_conformance::capture::{Event, FlowEvent, StreamPair};
use weir_conformance::check::{Checker, Options, Report};
use weir_rtmp::handshake::RngCore;

/// xorshift64*: a fixed seed keeps every run reproducible.
pub struct FixedRng(pub u64);

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

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

/// The transcript `weir check` gives for `events`.
pub fn transcript(events: impl IntoIterator<Item = Event>) -> String {
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

/// Checks a stream pair whole and cut into pieces of `piece` bytes: both transcripts render,
/// and they are the same.
pub fn check_split_invariance(pair: &StreamPair, piece: usize) {
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
}

/// `prefix` then `bytes`.
pub fn joined(prefix: &[u8], bytes: &[u8]) -> Bytes {
    let mut out = prefix.to_vec();
    out.extend_from_slice(bytes);
    Bytes::from(out)
}
