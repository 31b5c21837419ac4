//! Chunk stream properties (RTMP 1.0 §5.3): round trips through ChunkEncoder and ChunkDecoder,
//! split invariance, hand-built headers of every shape, and hostile input.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use weir_media::Violation;
use weir_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, MAX_CHUNK_SIZE, RawMessage};
use weir_rtmp::message::Message;
use weir_rtmp::{Error, rules};
use weir_testkit::split;

/// Everything a decoder yields for some input: messages, violations and the error, if any.
#[derive(Debug, PartialEq)]
struct Outcome {
    messages: Vec<RawMessage>,
    violations: Vec<Violation>,
    error: Option<Error>,
}

/// Pushes `bytes` cut at `cuts` piece by piece and drains the decoder after each (the
/// decoder is a session's sub-machine, not a `Machine`, so this is its own driver).
fn decode_split(limits: ChunkLimits, base: u64, bytes: &[u8], cuts: &[usize]) -> Outcome {
    let mut decoder = ChunkDecoder::new(limits, base);
    let mut out = Outcome {
        messages: vec![],
        violations: vec![],
        error: None,
    };
    for piece in split::pieces(bytes, cuts) {
        decoder.push(piece);
        loop {
            match decoder.next_message(&mut out.violations) {
                Ok(Some(msg)) => out.messages.push(msg),
                Ok(None) => break,
                Err(e) => {
                    // A failed decoder stays failed.
                    assert_eq!(decoder.next_message(&mut vec![]), Err(e.clone()));
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out
}

fn decode(bytes: &[u8]) -> Outcome {
    decode_split(ChunkLimits::default(), 0, bytes, &[])
}

fn raw(csid: u32, timestamp: u32, type_id: u8, stream_id: u32, payload: &[u8]) -> RawMessage {
    RawMessage {
        csid,
        timestamp,
        type_id,
        stream_id,
        payload: Bytes::copy_from_slice(payload),
    }
}

fn set_chunk_size(size: u32) -> RawMessage {
    Message::SetChunkSize(size).to_raw(2, 0, 0)
}

/// Messages grouped into batches whose chunks are interleaved, as a sender multiplexing
/// audio, video and commands would write them.
fn encode_batches(chunk_size: u32, batches: &[Vec<RawMessage>]) -> BytesMut {
    let mut encoder = ChunkEncoder::new();
    let mut out = BytesMut::new();
    encoder
        .encode(&set_chunk_size(chunk_size), &mut out)
        .unwrap();
    assert_eq!(encoder.chunk_size(), chunk_size);
    for batch in batches {
        encoder.encode_interleaved(batch, &mut out).unwrap();
    }
    out
}

/// Messages per chunk stream, in order: interleaving changes the order across chunk streams.
fn per_csid(messages: &[RawMessage]) -> Vec<(u32, Vec<&RawMessage>)> {
    let mut ids: Vec<u32> = messages.iter().map(|m| m.csid).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|id| (id, messages.iter().filter(|m| m.csid == id).collect()))
        .collect()
}

fn arb_timestamp() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..5000,
        0x00FF_FFF0u32..0x0100_0010,
        (u32::MAX - 3000)..=u32::MAX,
        any::<u32>()
    ]
}

fn arb_message(csids: Vec<u32>) -> impl Strategy<Value = RawMessage> {
    let payload = prop_oneof![4 => proptest::collection::vec(any::<u8>(), 0..300), 1 => proptest::collection::vec(any::<u8>(), 0..20000)];
    (
        proptest::sample::select(csids),
        arb_timestamp(),
        prop_oneof![Just(8u8), Just(9u8), Just(20u8), Just(18u8)],
        0u32..3,
        payload,
    )
        .prop_map(
            |(csid, timestamp, type_id, stream_id, payload)| RawMessage {
                csid,
                timestamp,
                type_id,
                stream_id,
                payload: payload.into(),
            },
        )
}

/// Realistic runs: several messages on one chunk stream with steady timestamp deltas, so that
/// type 2 and type 3 headers appear, across the 0xFFFFFF and 2^32 boundaries.
fn arb_run(csids: Vec<u32>) -> impl Strategy<Value = Vec<RawMessage>> {
    (
        proptest::sample::select(csids),
        arb_timestamp(),
        prop_oneof![Just(0u32), Just(23), Just(0x0100_0000)],
        1usize..6,
        0usize..400,
    )
        .prop_map(|(csid, start, delta, count, len)| {
            (0..count as u32)
                .map(|i| RawMessage {
                    csid,
                    timestamp: start.wrapping_add(delta.wrapping_mul(i)),
                    type_id: 9,
                    stream_id: 1,
                    payload: vec![i as u8; len].into(),
                })
                .collect()
        })
}

fn arb_batches() -> impl Strategy<Value = Vec<Vec<RawMessage>>> {
    let csids = proptest::collection::vec(prop_oneof![2u32..64, 64u32..320, 320u32..=65599], 1..5);
    csids.prop_flat_map(|csids| {
        let batch = prop_oneof![
            proptest::collection::vec(arb_message(csids.clone()), 1..5),
            arb_run(csids.clone()),
        ];
        proptest::collection::vec(batch, 1..6)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_gives_the_messages(chunk_size in prop_oneof![1u32..300, 1u32..70000], batches in arb_batches()) {
        let bytes = encode_batches(chunk_size, &batches);
        let outcome = decode(&bytes);
        prop_assert_eq!(&outcome.error, &None);
        let sent: Vec<RawMessage> = std::iter::once(set_chunk_size(chunk_size)).chain(batches.concat()).collect();
        prop_assert_eq!(per_csid(&outcome.messages), per_csid(&sent));
        prop_assert_eq!(outcome.messages.len(), sent.len());
    }

    #[test]
    fn split_anywhere_same_outcome(chunk_size in 1u32..500, batches in arb_batches(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..20)) {
        let bytes = encode_batches(chunk_size, &batches);
        let whole = decode(&bytes);
        let cuts: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        prop_assert_eq!(&decode_split(ChunkLimits::default(), 0, &bytes, &cuts), &whole);
        let every_byte = split::every_byte(bytes.len());
        prop_assert_eq!(&decode_split(ChunkLimits::default(), 0, &bytes, &every_byte), &whole);
    }

    /// Arbitrary bytes, valid headers or not: the same messages, violations and error however
    /// they are split, and never a panic.
    #[test]
    fn hostile_bytes_split_invariant(bytes in proptest::collection::vec(any::<u8>(), 0..2000), step in 1usize..50) {
        let limits = ChunkLimits { max_message_size: 4096, max_chunk_streams: 8 };
        let whole = decode_split(limits, 7, &bytes, &[]);
        prop_assert_eq!(&decode_split(limits, 7, &bytes, &split::sizes(bytes.len(), &[step])), &whole);
    }
}

/// A type 0 header: basic header (csid < 64), 24-bit timestamp field, length, type, stream id.
fn fmt0(csid: u8, timestamp_field: u32, length: u32, type_id: u8, stream_id: u32) -> Vec<u8> {
    let mut v = vec![csid];
    v.extend_from_slice(&timestamp_field.to_be_bytes()[1..]);
    v.extend_from_slice(&length.to_be_bytes()[1..]);
    v.push(type_id);
    v.extend_from_slice(&stream_id.to_le_bytes());
    v
}

#[test]
fn extended_timestamp_repeated_in_type3_chunks_or_not() {
    let payload: Vec<u8> = (0..200u8).collect();
    let mut head = fmt0(4, 0xFF_FFFF, 200, 9, 1);
    head.extend_from_slice(&0x0123_4567u32.to_be_bytes());
    head.extend_from_slice(&payload[..128]);
    // FFmpeg / Flash: the type 3 chunk repeats the extended timestamp.
    let mut repeated = head.clone();
    repeated.push(0xC4);
    repeated.extend_from_slice(&0x0123_4567u32.to_be_bytes());
    repeated.extend_from_slice(&payload[128..]);
    // The spec's wording: no extended timestamp in type 3 chunks.
    let mut literal = head;
    literal.push(0xC4);
    literal.extend_from_slice(&payload[128..]);
    let expected = vec![raw(4, 0x0123_4567, 9, 1, &payload)];
    for bytes in [repeated, literal] {
        let outcome = decode(&bytes);
        assert_eq!(
            (outcome.messages, outcome.error, outcome.violations),
            (expected.clone(), None, vec![])
        );
    }
}

#[test]
fn type3_reuses_the_delta_and_timestamps_wrap() {
    let mut bytes = fmt0(5, 1000, 1, 8, 1);
    bytes.push(b'a');
    bytes.extend_from_slice(&[0x85, 0, 0, 20, b'b']); // type 2: delta 20
    bytes.extend_from_slice(&[0xC5, b'c']); // type 3: delta 20 again (§5.3.2.1)
    // FFmpeg writes a type 3 after a type 0: the delta is the type 0 timestamp (23 + 23).
    bytes.extend_from_slice(&fmt0(6, 23, 1, 8, 1));
    bytes.push(b'd');
    bytes.extend_from_slice(&[0xC6, b'e']);
    // An extended absolute timestamp just below 2^32 and a delta across the wrap.
    bytes.extend_from_slice(&fmt0(7, 0xFF_FFFF, 1, 9, 1));
    bytes.extend_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    bytes.push(b'f');
    bytes.extend_from_slice(&[0x87, 0, 0, 0x20, b'g']);
    let outcome = decode(&bytes);
    let stamps: Vec<(u32, u32)> = outcome
        .messages
        .iter()
        .map(|m| (m.csid, m.timestamp))
        .collect();
    assert_eq!(
        stamps,
        [
            (5, 1000),
            (5, 1020),
            (5, 1040),
            (6, 23),
            (6, 46),
            (7, 0xFFFF_FFF0),
            (7, 0x10)
        ]
    );
    assert_eq!((outcome.error, outcome.violations), (None, vec![]));
}

#[test]
fn two_and_three_byte_basic_headers() {
    for csid in [64u32, 319, 320, 65599] {
        let mut encoded = BytesMut::new();
        let msg = raw(csid, 5, 8, 1, b"xyz");
        ChunkEncoder::new().encode(&msg, &mut encoded).unwrap();
        let expected_len = if csid < 320 { 2 } else { 3 };
        assert_eq!(encoded.len(), expected_len + 11 + 3);
        assert_eq!(decode(&encoded).messages, [msg]);
    }
    // csid 64 written in the 3-byte form is still chunk stream 64.
    let mut bytes = vec![0x01, 0x00, 0x00];
    bytes.extend_from_slice(&fmt0(0, 0, 1, 8, 0)[1..]);
    bytes.push(7);
    assert_eq!(decode(&bytes).messages, [raw(64, 0, 8, 0, &[7])]);
}

#[test]
fn encoder_compresses_headers_like_the_spec_example() {
    // §5.3.2.1: audio messages with a constant delta: type 0, type 2, then type 3.
    let mut encoder = ChunkEncoder::new();
    let mut out = BytesMut::new();
    let sizes: Vec<usize> = (0..4u32)
        .map(|i| {
            let before = out.len();
            encoder
                .encode(&raw(3, 1000 + 20 * i, 8, 12345, &[0; 32]), &mut out)
                .unwrap();
            out.len() - before - 32
        })
        .collect();
    assert_eq!(sizes, [12, 4, 1, 1]);
    // A 307-byte video message at chunk size 128 (§5.3.2.2): one type 0 and two type 3 chunks.
    let mut out = BytesMut::new();
    ChunkEncoder::new()
        .encode(&raw(4, 1000, 9, 12346, &[0; 307]), &mut out)
        .unwrap();
    assert_eq!(out.len(), 12 + 1 + 1 + 307);
    assert_eq!((out[12 + 128], out[12 + 128 + 1 + 128]), (0xC4, 0xC4));
}

fn rule_of(outcome: &Outcome) -> (Option<&'static str>, u64) {
    let error = outcome.error.as_ref().expect("an error");
    (error.rule.map(|r| r.id), error.offset)
}

#[test]
fn bad_input_table() {
    let base = 3073;
    let limits = ChunkLimits {
        max_message_size: 1000,
        max_chunk_streams: 64,
    };
    let ok_message = {
        let mut v = fmt0(3, 0, 2, 8, 1);
        v.extend_from_slice(b"ok");
        v
    };
    let at = base + ok_message.len() as u64;
    let with_prefix = |tail: &[u8]| [ok_message.as_slice(), tail].concat();
    let control = |payload: [u8; 4]| {
        let mut v = fmt0(2, 0, 4, 1, 0);
        v.extend_from_slice(&payload);
        v
    };
    let cases: Vec<(&str, Vec<u8>, &str, u64)> = vec![
        (
            "chunk size 0",
            with_prefix(&control([0, 0, 0, 0])),
            rules::CONTROL_SET_CHUNK_SIZE.id,
            at,
        ),
        (
            "chunk size 2^31",
            with_prefix(&control([0x80, 0, 0, 0])),
            rules::CONTROL_SET_CHUNK_SIZE.id,
            at,
        ),
        (
            "short Set Chunk Size",
            with_prefix(&[fmt0(2, 0, 2, 1, 0), vec![0, 1]].concat()),
            rules::CONTROL_PAYLOAD_LENGTH.id,
            at,
        ),
        (
            "message over the limit",
            with_prefix(&fmt0(4, 0, 1001, 9, 1)),
            rules::CHUNK_MESSAGE_LENGTH.id,
            at,
        ),
        (
            "type 3 first",
            with_prefix(&[0xC5, 1, 2, 3]),
            rules::CHUNK_FMT3_WITHOUT_PREVIOUS.id,
            at,
        ),
        (
            "type 1 first",
            with_prefix(&[0x45, 0, 0, 0, 0, 0, 1, 8, 0]),
            rules::CHUNK_FMT3_WITHOUT_PREVIOUS.id,
            at,
        ),
        (
            "type 2 first, 3-byte csid",
            with_prefix(&[0x81, 0x10, 0x27]),
            rules::CHUNK_FMT3_WITHOUT_PREVIOUS.id,
            at,
        ),
    ];
    for (name, bytes, rule, offset) in cases {
        let outcome = decode_split(limits, base, &bytes, &[]);
        assert_eq!(outcome.messages, [raw(3, 0, 8, 1, b"ok")], "{name}");
        assert_eq!(rule_of(&outcome), (Some(rule), offset), "{name}");
        // Byte by byte: the same verdict.
        assert_eq!(
            decode_split(limits, base, &bytes, &split::every_byte(bytes.len())),
            outcome,
            "{name}"
        );
    }
}

#[test]
fn a_flood_of_chunk_stream_ids_stops_at_the_limit() {
    let mut bytes = vec![];
    let mut offsets = vec![];
    for csid in 0..100_000u32 {
        offsets.push(bytes.len() as u64);
        let id = csid + 64;
        if id < 320 {
            bytes.extend_from_slice(&[0x00, (id - 64) as u8]);
        } else {
            bytes.extend_from_slice(&[0x01, (id - 64) as u8, ((id - 64) >> 8) as u8]);
        }
        bytes.extend_from_slice(&fmt0(0, 0, 0, 8, 1)[1..]);
    }
    let outcome = decode_split(ChunkLimits::default(), 0, &bytes, &[]);
    assert_eq!(
        outcome.messages.len(),
        64,
        "one empty message per allowed chunk stream"
    );
    assert_eq!(
        rule_of(&outcome),
        (Some(rules::CHUNK_STREAM_LIMIT.id), offsets[64])
    );
}

#[test]
fn a_huge_length_allocates_nothing_before_the_check() {
    // 16 MiB - 1 announced with the default 16 MiB limit, at chunk size 128, and only the header
    // sent: nothing is reserved for the payload until its chunks arrive.
    let mut decoder = ChunkDecoder::new(ChunkLimits::default(), 0);
    decoder.push(&fmt0(4, 0, 0xFF_FFFF, 9, 1));
    assert_eq!(decoder.next_message(&mut vec![]), Ok(None));
    assert_eq!((decoder.offset(), decoder.buffered()), (0, 12));
}

#[test]
fn abort_drops_the_partial_message_and_length_change_is_reported() {
    let mut bytes = fmt0(5, 0, 300, 9, 1);
    bytes.extend_from_slice(&[1; 128]);
    bytes.extend_from_slice(&fmt0(2, 0, 4, 2, 0));
    bytes.extend_from_slice(&5u32.to_be_bytes());
    // Chunk stream 5 starts afresh with a type 0 header.
    bytes.extend_from_slice(&fmt0(5, 10, 2, 9, 1));
    bytes.extend_from_slice(b"hi");
    // A partial message on chunk stream 6, then a type 1 header on it before it completes.
    bytes.extend_from_slice(&fmt0(6, 0, 200, 8, 1));
    bytes.extend_from_slice(&[2; 128]);
    let type1_at = bytes.len() as u64;
    bytes.extend_from_slice(&[0x46, 0, 0, 5, 0, 0, 1, 8, b'!']);
    let outcome = decode(&bytes);
    let types: Vec<(u32, u8, usize)> = outcome
        .messages
        .iter()
        .map(|m| (m.csid, m.type_id, m.payload.len()))
        .collect();
    assert_eq!(types, [(2, 2, 4), (5, 9, 2), (6, 8, 1)]);
    assert_eq!(outcome.messages[2].timestamp, 5);
    let rules: Vec<(&str, u64)> = outcome
        .violations
        .iter()
        .map(|v| (v.rule.id, v.offset))
        .collect();
    assert_eq!(rules, [(rules::CHUNK_LENGTH_CHANGE.id, type1_at)]);
}

#[test]
fn set_chunk_size_applies_to_the_next_chunk() {
    let mut encoder = ChunkEncoder::new();
    let mut out = BytesMut::new();
    encoder
        .encode(&set_chunk_size(MAX_CHUNK_SIZE), &mut out)
        .unwrap();
    let big = raw(6, 0, 9, 1, &vec![9; 100_000]);
    encoder.encode(&big, &mut out).unwrap();
    assert_eq!(
        out.len(),
        12 + 4 + 12 + 100_000,
        "one chunk for the whole message"
    );
    let mut decoder = ChunkDecoder::new(ChunkLimits::default(), 0);
    decoder.push(&out);
    let mut violations = vec![];
    assert_eq!(
        decoder
            .next_message(&mut violations)
            .unwrap()
            .unwrap()
            .type_id,
        1
    );
    assert_eq!(decoder.chunk_size(), MAX_CHUNK_SIZE);
    assert_eq!(decoder.next_message(&mut violations).unwrap(), Some(big));
    assert_eq!(
        (decoder.offset(), decoder.message_offset()),
        (out.len() as u64, 16)
    );
}

/// Payload positions map to stream offsets across the chunk headers in between, exactly at
/// chunk sizes of 16 and more; at smaller ones the map is capped (it never outweighs the
/// payload) and deep positions land early, but never past the message's last byte.
#[test]
fn payload_offsets_skip_chunk_headers() {
    let payload: Vec<u8> = (0..=255).collect();
    for (chunk_size, exact) in [(16u32, true), (128, true), (1, false)] {
        let mut encoder = ChunkEncoder::new();
        let mut out = BytesMut::new();
        encoder
            .encode(&set_chunk_size(chunk_size), &mut out)
            .unwrap();
        let start = out.len();
        encoder
            .encode(&raw(6, 0, 9, 1, &payload), &mut out)
            .unwrap();
        let mut decoder = ChunkDecoder::new(ChunkLimits::default(), 0);
        decoder.push(&out);
        let mut violations = vec![];
        decoder.next_message(&mut violations).unwrap().unwrap();
        decoder.next_message(&mut violations).unwrap().unwrap();
        assert_eq!(decoder.message_offset(), start as u64);
        for (pos, &byte) in payload.iter().enumerate() {
            let at = decoder.payload_offset(pos) as usize;
            if exact {
                assert_eq!(out[at], byte, "chunk size {chunk_size}, byte {pos}");
            } else {
                assert!(
                    at > start && at < out.len(),
                    "chunk size {chunk_size}, byte {pos}"
                );
            }
        }
    }
}

/// A message RTMP cannot carry (16 MiB or more: the header's length has 24 bits, RTMP 1.0
/// §5.3.1.2.1) or a chunk stream id out of range is an error, with nothing written; the
/// encoder goes on as if it had not been asked.
#[test]
fn a_message_too_long_for_24_bits_is_an_error_not_a_panic() {
    let mut encoder = ChunkEncoder::new();
    let mut out = BytesMut::new();
    let big = raw(6, 0, 9, 1, &vec![0; 1 << 24]);
    let e = encoder.encode(&big, &mut out).unwrap_err();
    assert!(e.detail.contains("24-bit"), "{e}");
    assert!(out.is_empty());
    let e = encoder
        .encode_interleaved(&[raw(6, 0, 8, 1, &[1]), big], &mut out)
        .unwrap_err();
    assert!(e.detail.contains("24-bit"), "{e}");
    assert!(out.is_empty());
    assert!(encoder.encode(&raw(1, 0, 8, 1, &[1]), &mut out).is_err());
    assert!(encoder.encode_header(70_000, 0, 8, 1, 1, &mut out).is_err());
    encoder
        .encode(&raw(6, 0, 9, 1, &[1; 10]), &mut out)
        .unwrap();
    assert_eq!(
        out[0], 6,
        "a type 0 header: nothing was recorded of the refused messages"
    );
}
