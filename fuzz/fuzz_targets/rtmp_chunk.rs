//! ChunkDecoder and Message::decode on arbitrary bytes with small limits, then an
//! encode/decode round trip of whatever decoded.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use weir_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, RawMessage};
use weir_rtmp::message::{Message, split_aggregate};

fuzz_target!(|data: &[u8]| {
    let limits = ChunkLimits {
        max_message_size: 64 * 1024,
        max_chunk_streams: 8,
    };
    let amf = weir_amf0::Limits {
        max_depth: 16,
        max_items: 256,
    };
    let mut decoder = ChunkDecoder::new(limits, 0);
    // Split the input in two so partial-chunk paths run too.
    let (first, second) = data.split_at(data.len() / 2);
    let mut violations = Vec::new();
    let mut decoded: Vec<RawMessage> = Vec::new();
    for piece in [first, second] {
        decoder.push(piece);
        while let Ok(Some(raw)) = decoder.next_message(&mut violations) {
            if let Ok(message) =
                Message::decode(&raw, &amf, &mut violations)
            {
                // Every decoded message encodes back to a message that decodes to itself.
                let again = Message::decode(
                    &message.to_raw(raw.csid, raw.timestamp, raw.stream_id),
                    &amf,
                    &mut Vec::new(),
                );
                if !has_nan(&message) {
                    assert_eq!(again.as_ref(), Ok(&message));
                }
            }
            split_aggregate(&raw).for_each(drop);
            decoded.push(raw);
        }
    }
    // Whatever decoded encodes and decodes again to the same messages.
    let mut encoder = ChunkEncoder::new();
    let mut bytes = BytesMut::new();
    for raw in &decoded {
        encoder
            .encode(raw, &mut bytes)
            .expect("a decoded message (under 16 MiB, csid in range) encodes");
    }
    let mut again = ChunkDecoder::new(ChunkLimits::default(), 0);
    again.push(&bytes);
    let mut round_trip = Vec::new();
    while let Some(raw) = again
        .next_message(&mut Vec::new())
        .expect("our own encoding decodes")
    {
        round_trip.push(raw);
    }
    assert_eq!(round_trip, decoded);
});

/// NaN numbers never compare equal, so messages holding one are left out of the equality check.
fn has_nan(message: &Message) -> bool {
    format!("{message:?}").contains("NaN")
}
