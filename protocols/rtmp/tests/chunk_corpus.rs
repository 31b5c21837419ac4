//! The chunk decoder and message layer on real RTMP byte streams from the public corpus:
//! FFmpeg client and server (wader/fq testdata) and Flash Player 10 against FMS 3.0.3.

use std::collections::BTreeMap;

use weir_media::Violation;
use weir_rtmp::chunk::{ChunkDecoder, ChunkEncoder, ChunkLimits, RawMessage};
use weir_rtmp::message::{Message, UserControl, split_aggregate};
use weir_testkit::split;

/// C0+C1 (or S0+S1) and C2 (or S2): where the chunk stream starts (RTMP 1.0 §5.2.5).
const HANDSHAKE_LEN: usize = 1 + 1536 + 1536;

fn corpus(name: &str) -> Vec<u8> {
    weir_testkit::corpus::read(&format!("rtmp/{name}"))
}

struct Decoded {
    raw: Vec<RawMessage>,
    /// Stream offset of each message's first chunk.
    offsets: Vec<u64>,
    /// The messages that decode (the one that does not is in `errors`).
    messages: Vec<Message>,
    violations: Vec<Violation>,
    /// Messages whose payload did not decode (the chunk layer still delivered them).
    errors: Vec<weir_rtmp::Error>,
    chunk_sizes: Vec<u32>,
    end_offset: u64,
    buffered: usize,
}

impl Decoded {
    fn count_by_type(&self) -> BTreeMap<u8, usize> {
        let mut counts = BTreeMap::new();
        for raw in &self.raw {
            *counts.entry(raw.type_id).or_default() += 1;
        }
        counts
    }

    fn command_names(&self) -> Vec<&str> {
        self.messages
            .iter()
            .filter_map(|m| match m {
                Message::Command(c) => Some(c.name.as_str()),
                _ => None,
            })
            .collect()
    }
}

fn decode_stream(bytes: &[u8]) -> Decoded {
    let mut decoder = ChunkDecoder::new(ChunkLimits::default(), HANDSHAKE_LEN as u64);
    decoder.push(&bytes[HANDSHAKE_LEN..]);
    let mut out = Decoded {
        raw: vec![],
        offsets: vec![],
        messages: vec![],
        violations: vec![],
        errors: vec![],
        chunk_sizes: vec![],
        end_offset: 0,
        buffered: 0,
    };
    while let Some(raw) = decoder
        .next_message(&mut out.violations)
        .expect("corpus stream decodes")
    {
        let offset = decoder.message_offset();
        out.raw.push(raw.clone());
        out.offsets.push(offset);
        // Message problems are placed at the message's first chunk plus their payload position
        // (chunk headers inside the payload not counted).
        let mut violations = Vec::new();
        let decoded = Message::decode(&raw, &weir_amf0::Limits::default(), &mut violations);
        let placed = violations.into_iter().map(|v| Violation {
            offset: v.offset + offset,
            ..v
        });
        out.violations.extend(placed);
        let message = match decoded {
            Ok(message) => message,
            Err(error) => {
                out.errors.push(error.shifted(offset));
                continue;
            }
        };
        if let Message::SetChunkSize(size) = message {
            assert_eq!(
                decoder.chunk_size(),
                size,
                "the decoder applied Set Chunk Size itself"
            );
            out.chunk_sizes.push(size);
        }
        out.messages.push(message);
    }
    out.end_offset = decoder.offset();
    out.buffered = decoder.buffered();
    out
}

/// Encodes `raw` again (chunk sizes as the stream set them) and decodes it: same messages.
fn assert_reencodes(raw: &[RawMessage]) {
    let mut encoder = ChunkEncoder::new();
    let mut bytes = bytes::BytesMut::new();
    for msg in raw {
        encoder.encode(msg, &mut bytes).unwrap();
    }
    let mut decoder = ChunkDecoder::new(ChunkLimits::default(), 0);
    decoder.push(&bytes);
    let mut violations = vec![];
    let mut again = vec![];
    while let Some(msg) = decoder.next_message(&mut violations).unwrap() {
        again.push(msg);
    }
    assert_eq!(again, raw);
    assert_eq!(decoder.buffered(), 0);
}

fn types(pairs: &[(u8, usize)]) -> BTreeMap<u8, usize> {
    pairs.iter().copied().collect()
}

#[test]
fn ffmpeg_client_stream() {
    let bytes = corpus("ffmpeg_client_stream");
    let d = decode_stream(&bytes);
    assert_eq!(
        d.end_offset,
        bytes.len() as u64,
        "every chunk decodes, nothing left over"
    );
    assert_eq!(d.buffered, 0);
    assert_eq!(d.count_by_type(), types(&[(4, 1), (5, 1), (20, 6)]));
    assert_eq!(
        d.command_names(),
        [
            "connect",
            "createStream",
            "_checkbw",
            "getStreamLength",
            "play",
            "deleteStream"
        ]
    );
    assert_eq!(
        (d.violations.len(), d.errors.len()),
        (0, 0),
        "{:?} {:?}",
        d.violations,
        d.errors
    );
    let Message::Command(connect) = &d.messages[0] else {
        panic!("first message is {:?}", d.messages[0])
    };
    assert_eq!(
        (connect.transaction_id, d.raw[0].csid, d.offsets[0]),
        (1.0, 3, 3073)
    );
    assert_eq!(
        connect.object.get("app").and_then(|v| v.as_str()),
        Some("test_stream")
    );
    assert_eq!(
        connect.object.get("flashVer").and_then(|v| v.as_str()),
        Some("LNX 9,0,124,2")
    );
    assert_eq!(d.messages[1], Message::WindowAckSize(2_500_000));
    assert_eq!(
        d.messages[6],
        Message::UserControl(UserControl::SetBufferLength {
            stream_id: 1,
            millis: 3000
        })
    );
    assert_eq!(
        (d.raw[5].csid, d.raw[5].stream_id),
        (8, 1),
        "play travels on message stream 1"
    );
    assert_eq!(*d.offsets.last().unwrap(), 3476);
    assert_reencodes(&d.raw);
}

#[test]
fn ffmpeg_server_stream() {
    let bytes = corpus("ffmpeg_server_stream");
    let d = decode_stream(&bytes);
    // The capture ends inside the last chunk: a type 2 header (csid 4, delta 23) without its
    // audio payload.
    assert_eq!(d.end_offset, bytes.len() as u64 - 4);
    assert_eq!(&bytes[bytes.len() - 4..], &[0x84, 0x00, 0x00, 0x17]);
    assert_eq!(d.buffered, 4);
    assert_eq!(
        d.count_by_type(),
        types(&[(1, 1), (4, 2), (5, 1), (6, 1), (8, 410), (18, 1), (20, 5)])
    );
    assert_eq!(d.chunk_sizes, [128]);
    assert_eq!(
        d.command_names(),
        ["_result", "onBWDone", "_result", "_result", "onStatus"]
    );
    assert_eq!(
        d.messages[1],
        Message::SetPeerBandwidth {
            size: 2_500_000,
            limit: weir_rtmp::message::BandwidthLimit::Dynamic
        }
    );
    // The connect _result crosses a chunk boundary inside the property name "description".
    let Message::Command(result) = &d.messages[4] else {
        panic!("{:?}", d.messages[4])
    };
    let info = &result.args[0];
    assert_eq!(
        info.get("description").and_then(|v| v.as_str()),
        Some("Connection succeeded.")
    );
    assert_eq!(
        info.get("code").and_then(|v| v.as_str()),
        Some("NetConnection.Connect.Success")
    );
    // FFmpeg's listen-mode onStatus("NetStream.Play.Start") carries uninitialised bytes where
    // the stream name goes, in its description and details: not UTF-8 (AMF0 §1.3). Each bad
    // byte is reported and read as '?', and the command still decodes.
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    let bad: Vec<_> = d.violations.iter().map(|v| (v.rule.id, v.offset)).collect();
    assert_eq!(bad.len(), 6, "{:?}", d.violations);
    assert!(bad.iter().all(|(rule, _)| *rule == "amf0.string.utf8"));
    assert_eq!(bad[0].1, 3448 + 83);
    let Some(Message::Command(status)) = d
        .messages
        .iter()
        .find(|m| matches!(m, Message::Command(c) if c.name == "onStatus"))
    else {
        panic!("no onStatus")
    };
    let info = &status.args[0];
    assert_eq!(
        info.get("code").and_then(|v| v.as_str()),
        Some("NetStream.Play.Start")
    );
    assert_eq!(
        info.get("description").and_then(|v| v.as_str()),
        Some("???2 is now published")
    );
    let audio: Vec<u32> = d
        .raw
        .iter()
        .filter(|r| r.type_id == 8)
        .map(|r| r.timestamp)
        .collect();
    assert_eq!((audio[0], audio[audio.len() - 1]), (0, 9474));
    assert!(
        audio.windows(2).all(|w| w[0] <= w[1]),
        "audio timestamps never go back"
    );
    // The onStatus message, refused before, now sits before the metadata.
    let Message::Data(metadata) = &d.messages[10] else {
        panic!("{:?}", d.messages[10])
    };
    assert_eq!(metadata.values[0].as_str(), Some("@setDataFrame"));
    assert_eq!(metadata.values[1].as_str(), Some("onMetaData"));
    assert_reencodes(&d.raw);
}

#[test]
fn flash_client_stream() {
    let bytes = corpus("client_stream");
    let d = decode_stream(&bytes);
    assert_eq!(d.end_offset, bytes.len() as u64);
    assert_eq!(
        d.count_by_type(),
        types(&[(3, 74), (4, 11), (5, 1), (20, 12)])
    );
    assert_eq!(
        d.command_names(),
        [
            "connect",
            "createStream",
            "_error",
            "_error",
            "receiveVideo",
            "play",
            "pause",
            "pauseRaw",
            "pauseRaw",
            "pause",
            "seek",
            "deleteStream"
        ]
    );
    assert!(
        d.violations.is_empty() && d.errors.is_empty(),
        "{:?} {:?}",
        d.violations,
        d.errors
    );
    assert_eq!(
        d.messages[2],
        Message::UserControl(UserControl::PingResponse(397_138_595))
    );
    assert_eq!(
        d.raw[1].timestamp, 16_291_177,
        "Flash stamps control messages with its clock"
    );
    assert_eq!(*d.offsets.last().unwrap(), 4685);
    assert_reencodes(&d.raw);
}

#[test]
fn fms_server_stream() {
    let bytes = corpus("server_stream");
    let d = decode_stream(&bytes);
    assert_eq!(d.end_offset, bytes.len() as u64);
    assert_eq!(
        d.count_by_type(),
        types(&[
            (1, 2),
            (4, 7),
            (5, 1),
            (6, 1),
            (8, 3),
            (9, 11),
            (18, 2),
            (20, 7),
            (22, 5)
        ])
    );
    assert_eq!(d.chunk_sizes, [4096, 4096]);
    assert_eq!(
        d.command_names(),
        [
            "_result",
            "onBWCheck",
            "onBWCheck",
            "_result",
            "onStatus",
            "onStatus",
            "onStatus"
        ]
    );
    assert!(
        d.violations.is_empty() && d.errors.is_empty(),
        "{:?} {:?}",
        d.violations,
        d.errors
    );
    assert_eq!(
        d.messages[4],
        Message::UserControl(UserControl::PingRequest(397_138_595))
    );
    assert_eq!(*d.offsets.last().unwrap(), 272_162);

    let aggregates: Vec<&RawMessage> = d.raw.iter().filter(|r| r.type_id == 22).collect();
    let headers: Vec<(u32, usize)> = aggregates
        .iter()
        .map(|r| (r.timestamp, r.payload.len()))
        .collect();
    assert_eq!(
        headers,
        [
            (45, 67449),
            (4112, 70668),
            (7781, 65650),
            (11450, 23937),
            (12660, 65642)
        ]
    );
    let subs: Vec<RawMessage> = aggregates
        .iter()
        .flat_map(|r| split_aggregate(r))
        .map(Result::unwrap)
        .collect();
    assert_eq!(subs.len(), 444);
    let first: Vec<(u8, u32, usize)> = subs
        .iter()
        .take(4)
        .map(|s| (s.type_id, s.timestamp, s.payload.len()))
        .collect();
    assert_eq!(
        first,
        [(8, 45, 129), (9, 72, 1394), (8, 72, 129), (9, 72, 6076)]
    );
    assert!(
        subs.iter()
            .all(|s| s.stream_id == 1 && matches!(s.type_id, 8 | 9))
    );
    assert_reencodes(&d.raw);
}

/// The same stream pushed in odd-sized pieces gives the same messages.
#[test]
fn corpus_split_invariance() {
    let bytes = corpus("server_stream");
    let whole = decode_stream(&bytes).raw;
    let mut decoder = ChunkDecoder::new(ChunkLimits::default(), HANDSHAKE_LEN as u64);
    let mut violations = vec![];
    let mut pieces = vec![];
    let stream = &bytes[HANDSHAKE_LEN..];
    let pieces_of_997 = split::pieces(stream, &split::sizes(stream.len(), &[997]));
    for (i, piece) in pieces_of_997.into_iter().enumerate() {
        decoder.push(piece);
        if i % 3 != 0 {
            while let Some(msg) = decoder.next_message(&mut violations).unwrap() {
                pieces.push(msg);
            }
        }
    }
    while let Some(msg) = decoder.next_message(&mut violations).unwrap() {
        pieces.push(msg);
    }
    assert_eq!(pieces, whole);
}
