//! Hostile input, table-driven, through the server machine a real connection would drive: each
//! case ends in an error or violation naming the rule and the byte offset, never a panic, and
//! never an allocation past the configured limits.

use std::time::Instant;
use weir_media::Machine;
use weir_rtmp::chunk::ChunkLimits;
use weir_rtmp::session::{ServerSession, SessionConfig};
use weir_testkit::{SeededRng, split};

/// C0, C1 and C2 of a simple handshake: chunks start at this offset.
const CHUNKS_AT: u64 = 3073;

fn handshake() -> Vec<u8> {
    let mut bytes = vec![3];
    bytes.extend(std::iter::repeat_n(0u8, 2 * 1536));
    bytes
}

/// A type 0 chunk header on chunk stream `csid` (2..=63), message stream 0.
fn fmt0(csid: u8, timestamp: u32, length: u32, type_id: u8) -> Vec<u8> {
    let mut h = vec![csid & 0x3f];
    h.extend_from_slice(&timestamp.min(0xFF_FFFF).to_be_bytes()[1..]);
    h.extend_from_slice(&length.to_be_bytes()[1..]);
    h.push(type_id);
    h.extend_from_slice(&0u32.to_le_bytes());
    h
}

/// A whole AMF0 command message (type 20) on chunk stream 3 whose payload is `amf`, in
/// 128-byte chunks.
fn command(amf: &[u8]) -> Vec<u8> {
    let mut out = fmt0(3, 0, amf.len() as u32, 20);
    for (i, piece) in amf.chunks(128).enumerate() {
        if i > 0 {
            out.push(0xC3); // fmt 3, csid 3
        }
        out.extend_from_slice(piece);
    }
    out
}

fn amf_string(s: &str) -> Vec<u8> {
    let mut out = vec![0x02];
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    out
}

fn amf_number(n: f64) -> Vec<u8> {
    let mut out = vec![0x00];
    out.extend_from_slice(&n.to_be_bytes());
    out
}

enum Expect {
    /// `handle_input` fails: the session is over.
    Error(&'static str, u64),
    /// A violation is reported and the session goes on.
    Violation(&'static str, u64),
}

struct Case {
    name: &'static str,
    input: Vec<u8>,
    expect: Expect,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let with_handshake = |rest: Vec<u8>| [handshake(), rest].concat();

    cases.push(Case {
        name: "C0 announces RTMPE (6)",
        input: [vec![6], vec![0; 1536]].concat(),
        expect: Expect::Error("rtmp.handshake.version", 0),
    });
    let chunk_size = |size: u32| [fmt0(2, 0, 4, 1), size.to_be_bytes().to_vec()].concat();
    cases.push(Case {
        name: "Set Chunk Size 0",
        input: with_handshake(chunk_size(0)),
        expect: Expect::Error("rtmp.control.set-chunk-size", CHUNKS_AT),
    });
    cases.push(Case {
        name: "Set Chunk Size 2^31",
        input: with_handshake(chunk_size(1 << 31)),
        expect: Expect::Error("rtmp.control.set-chunk-size", CHUNKS_AT),
    });
    cases.push(Case {
        name: "message length over the limit",
        input: with_handshake(fmt0(4, 0, 0xFF_FFFF, 9)),
        expect: Expect::Error("rtmp.chunk.message-length", CHUNKS_AT),
    });
    cases.push(Case {
        name: "fmt 3 on a chunk stream never seen",
        input: with_handshake(vec![0xC5, 1, 2, 3]),
        expect: Expect::Error("rtmp.chunk.fmt3-without-previous-header", CHUNKS_AT),
    });
    // 100 chunk streams (csid 64 + i, two-byte basic headers), each left with the first
    // 128-byte chunk of a 1000-byte message: the 65th breaks the limit of 64.
    let mut flood = Vec::new();
    let mut offsets = Vec::new();
    for i in 0..100u8 {
        offsets.push(CHUNKS_AT + flood.len() as u64);
        flood.extend_from_slice(&[0x00, i]);
        flood.extend_from_slice(&fmt0(2, 0, 1000, 9)[1..]);
        flood.extend_from_slice(&[0; 128]);
    }
    cases.push(Case {
        name: "a flood of chunk stream ids",
        input: with_handshake(flood),
        expect: Expect::Error("rtmp.chunk.stream-limit", offsets[64]),
    });
    // connect, 1, then 100 000 nested objects (each an empty-named property holding the next).
    let mut bomb = [amf_string("connect"), amf_number(1.0)].concat();
    bomb.push(0x03);
    for _ in 0..100_000 {
        bomb.extend_from_slice(&[0x00, 0x01, b'a', 0x03]);
    }
    let bomb_len = bomb.len();
    cases.push(Case {
        name: "an AMF nesting bomb",
        input: with_handshake(command(&bomb[..bomb_len.min(0xFF_FFFF)])),
        // The 65th object marker sits at payload byte 19 + 64 * 4 = 275, which is stream
        // byte 12 (the type 0 header) + 275 + 2 (two type 3 headers at payload 128 and 256).
        expect: Expect::Violation("amf0.nesting.depth", CHUNKS_AT + 12 + 275 + 2),
    });
    // A string announcing 65 535 bytes in a 20-byte message: its bytes would start at payload
    // byte 13, after the command name (10 bytes) and the marker and length (3).
    let mut short = amf_string("connect");
    short.extend_from_slice(&[0x02, 0xFF, 0xFF, b'x', b'y']);
    cases.push(Case {
        name: "a string longer than its buffer",
        input: with_handshake(command(&short)),
        expect: Expect::Violation("amf0.length.truncated", CHUNKS_AT + 12 + 13),
    });
    cases
}

#[test]
fn hostile_input_names_the_rule_and_offset() {
    for case in cases() {
        for size in [case.input.len(), 1, 97] {
            let config = SessionConfig {
                chunk_limits: ChunkLimits {
                    max_message_size: 1 << 20,
                    max_chunk_streams: 64,
                },
                ..SessionConfig::default()
            };
            let rng = Box::new(SeededRng::new(5));
            let mut server = ServerSession::new(config, Instant::now(), rng);
            let cuts = split::sizes(case.input.len(), &[size]);
            let out = weir_testkit::run(&mut server, split::pieces(&case.input, &cuts), false);
            let (error, violations) = (out.error, out.violations);
            match case.expect {
                Expect::Error(rule, offset) => {
                    let e = error.unwrap_or_else(|| panic!("{}: no error", case.name));
                    assert_eq!(
                        (e.rule.map(|r| r.id), e.offset),
                        (Some(rule), offset),
                        "{}: {e}",
                        case.name
                    );
                    // Once closed, the session keeps saying why.
                    let again = server.handle_input(Instant::now(), b"more").unwrap_err();
                    assert_eq!(again, e, "{}", case.name);
                }
                Expect::Violation(rule, offset) => {
                    assert!(error.is_none(), "{}: {error:?}", case.name);
                    let v = violations.iter().find(|v| v.rule.id == rule);
                    let v =
                        v.unwrap_or_else(|| panic!("{}: no {rule} in {violations:?}", case.name));
                    assert_eq!(v.offset, offset, "{}: {v}", case.name);
                }
            }
        }
    }
}

#[test]
fn a_truncated_handshake_waits_and_sends_nothing_before_c1_is_whole() {
    let rng = Box::new(SeededRng::new(9));
    let mut server = ServerSession::new(SessionConfig::default(), Instant::now(), rng);
    let hs = handshake();
    server.handle_input(Instant::now(), &hs[..1000]).unwrap();
    assert!(
        server.poll_output().is_none(),
        "no S0S1S2 before C1 is complete"
    );
    let err = server.handle_end(Instant::now()).unwrap_err();
    assert_eq!(
        (err.rule.map(|r| r.id), err.offset),
        (Some("rtmp.handshake.incomplete"), 1000)
    );
}
