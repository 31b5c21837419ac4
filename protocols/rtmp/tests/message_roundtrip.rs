//! Message layer (RTMP 1.0 §5.4, §6.2, §7.1): decode(encode(m)) == m for every type, and the
//! rules checked on malformed payloads.

use bytes::Bytes;
use proptest::prelude::*;
use weir_amf0::{Limits, Value};
use weir_media::Violation;
use weir_rtmp::chunk::RawMessage;
use weir_rtmp::message::{BandwidthLimit, Command, Data, Message, UserControl, split_aggregate};
use weir_rtmp::rules;

/// Decodes as if the message started at stream offset 100: offsets are payload positions + 100.
fn decode(raw: &RawMessage) -> (Result<Message, weir_rtmp::Error>, Vec<Violation>) {
    let mut violations = vec![];
    let result = Message::decode(raw, &Limits::default(), &mut violations);
    let moved = |offset: u64| offset + 100;
    let violations = violations
        .into_iter()
        .map(|v| Violation {
            offset: moved(v.offset),
            ..v
        })
        .collect();
    (result.map_err(|e| e.shifted(100)), violations)
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        (-1e9f64..1e9).prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        "[a-zA-Z0-9 ._]{0,20}".prop_map(Value::String),
        Just(Value::Null),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        proptest::collection::vec(("[a-z]{1,8}", inner), 0..4).prop_map(Value::Object)
    })
}

fn arb_bytes() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from)
}

fn arb_user_control() -> impl Strategy<Value = UserControl> {
    prop_oneof![
        any::<u32>().prop_map(UserControl::StreamBegin),
        any::<u32>().prop_map(UserControl::StreamEof),
        any::<u32>().prop_map(UserControl::StreamDry),
        (any::<u32>(), any::<u32>())
            .prop_map(|(stream_id, millis)| UserControl::SetBufferLength { stream_id, millis }),
        any::<u32>().prop_map(UserControl::StreamIsRecorded),
        any::<u32>().prop_map(UserControl::PingRequest),
        any::<u32>().prop_map(UserControl::PingResponse),
        (prop_oneof![Just(5u16), 8u16..=u16::MAX], arb_bytes())
            .prop_map(|(event, data)| UserControl::Other { event, data }),
    ]
}

fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (1u32..=0x7FFF_FFFF).prop_map(Message::SetChunkSize),
        any::<u32>().prop_map(|csid| Message::Abort { csid }),
        any::<u32>().prop_map(|sequence| Message::Acknowledgement { sequence }),
        arb_user_control().prop_map(Message::UserControl),
        (1u32..).prop_map(Message::WindowAckSize),
        (
            any::<u32>(),
            prop_oneof![
                Just(BandwidthLimit::Hard),
                Just(BandwidthLimit::Soft),
                Just(BandwidthLimit::Dynamic)
            ]
        )
            .prop_map(|(size, limit)| Message::SetPeerBandwidth { size, limit }),
        arb_bytes().prop_map(Message::Audio),
        arb_bytes().prop_map(Message::Video),
        (
            "[a-zA-Z_]{1,16}",
            -1e6f64..1e6,
            arb_value(),
            proptest::collection::vec(arb_value(), 0..4),
            any::<bool>()
        )
            .prop_map(
                |(name, transaction_id, object, args, amf3)| Message::Command(Command {
                    name,
                    transaction_id,
                    object,
                    args,
                    amf3
                })
            ),
        (
            "[a-zA-Z@]{1,16}",
            proptest::collection::vec(arb_value(), 0..4),
            any::<bool>()
        )
            .prop_map(|(name, rest, amf3)| {
                Message::Data(Data {
                    values: std::iter::once(Value::String(name)).chain(rest).collect(),
                    amf3,
                })
            }),
        (any::<bool>(), arb_bytes())
            .prop_map(|(amf3, payload)| Message::SharedObject { amf3, payload }),
        arb_bytes().prop_map(Message::Aggregate),
        (
            prop_oneof![Just(0u8), Just(7u8), 10u8..15, 23u8..=255],
            arb_bytes()
        )
            .prop_map(|(type_id, payload)| Message::Unknown { type_id, payload }),
    ]
}

proptest! {
    #[test]
    fn decode_inverts_encode(message in arb_message(), timestamp in any::<u32>()) {
        let raw = message.to_raw(csid_for(message.type_id()), timestamp, 0);
        prop_assert_eq!(raw.type_id, message.type_id());
        let (decoded, violations) = decode(&raw);
        prop_assert_eq!(decoded, Ok(message.clone()));
        let expected_violations = usize::from(matches!(message, Message::Unknown { .. }) || matches!(message, Message::UserControl(UserControl::Other { .. })));
        prop_assert_eq!(violations.len(), expected_violations, "{:?}", violations);
    }

    /// Arbitrary payloads of every type: an error or a message, never a panic.
    #[test]
    fn hostile_payloads(type_id in any::<u8>(), payload in proptest::collection::vec(any::<u8>(), 0..200)) {
        let raw = RawMessage { csid: 3, timestamp: 0, type_id, stream_id: 1, payload: payload.into() };
        let _ = decode(&raw);
        for sub in split_aggregate(&raw) {
            let _ = sub;
        }
    }
}

/// The chunk stream a well-behaved sender uses: 2 for protocol control (§5.4), 3 otherwise.
fn csid_for(type_id: u8) -> u32 {
    if (1..=6).contains(&type_id) { 2 } else { 3 }
}

fn raw(type_id: u8, payload: &[u8]) -> RawMessage {
    RawMessage {
        csid: csid_for(type_id),
        timestamp: 0,
        type_id,
        stream_id: 0,
        payload: Bytes::copy_from_slice(payload),
    }
}

#[test]
fn malformed_payload_table() {
    // (what, message, Ok-or-error rule, violation rules)
    let cases: Vec<(&str, RawMessage, Option<&str>, Vec<&str>)> = vec![
        (
            "window ack size 0",
            raw(5, &[0, 0, 0, 0]),
            None,
            vec![rules::CONTROL_WINDOW_SIZE.id],
        ),
        (
            "peer bandwidth limit 3",
            raw(6, &[0, 0, 1, 0, 3]),
            None,
            vec![rules::CONTROL_PEER_BANDWIDTH.id],
        ),
        (
            "short acknowledgement",
            raw(3, &[0, 0, 1]),
            Some(rules::CONTROL_PAYLOAD_LENGTH.id),
            vec![],
        ),
        (
            "long window ack size",
            raw(5, &[0, 0, 1, 0, 9]),
            None,
            vec![rules::CONTROL_PAYLOAD_LENGTH.id],
        ),
        (
            "set chunk size 0",
            raw(1, &[0, 0, 0, 0]),
            Some(rules::CONTROL_SET_CHUNK_SIZE.id),
            vec![],
        ),
        (
            "short user control",
            raw(4, &[0]),
            Some(rules::CONTROL_PAYLOAD_LENGTH.id),
            vec![],
        ),
        (
            "short stream begin",
            raw(4, &[0, 0, 0, 1]),
            Some(rules::CONTROL_PAYLOAD_LENGTH.id),
            vec![],
        ),
        (
            "unknown user control event",
            raw(4, &[0, 9, 1]),
            None,
            vec![rules::USER_CONTROL_EVENT.id],
        ),
        (
            "buffer empty (FMS)",
            raw(4, &[0, 31, 0, 0, 0, 1]),
            None,
            vec![],
        ),
        (
            "unknown type",
            raw(7, &[1, 2]),
            None,
            vec![rules::CONTROL_UNKNOWN_TYPE.id],
        ),
        (
            "command without values",
            raw(20, &[]),
            Some(rules::COMMAND_AMF.id),
            vec![],
        ),
        (
            "command name not a string",
            raw(20, &[0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Some(rules::COMMAND_AMF.id),
            vec![],
        ),
        (
            "truncated AMF",
            raw(20, &[2, 0, 5, b'a']),
            Some("amf0.length.truncated"),
            vec![],
        ),
        (
            "command without transaction id",
            raw(20, &[2, 0, 1, b'x']),
            None,
            vec![rules::COMMAND_AMF.id],
        ),
        (
            "data without handler name",
            raw(18, &[5]),
            None,
            vec![rules::DATA_MESSAGE.id],
        ),
        (
            "control on a media chunk stream",
            RawMessage {
                csid: 3,
                ..raw(5, &[0, 0, 1, 0])
            },
            None,
            vec![rules::CHUNK_MESSAGE_STREAM_ID.id],
        ),
    ];
    for (what, message, error, violations) in cases {
        let (result, found) = decode(&message);
        assert_eq!(
            result.as_ref().err().and_then(|e| e.rule).map(|r| r.id),
            error,
            "{what}: {result:?}"
        );
        if let Err(e) = &result {
            assert!(e.offset >= 100, "{what}: offsets are stream offsets");
        }
        let found: Vec<&str> = found.iter().map(|v| v.rule.id).collect();
        assert_eq!(found, violations, "{what}");
    }
}

#[test]
fn amf3_command_has_a_format_selector_byte() {
    let command = Message::Command(Command {
        name: "connect".into(),
        transaction_id: 1.0,
        object: Value::Null,
        args: vec![],
        amf3: true,
    });
    let raw = command.to_raw(3, 0, 0);
    assert_eq!(
        (raw.type_id, raw.payload[0], raw.payload[1]),
        (17, 0x00, 0x02)
    );
    assert_eq!(decode(&raw).0, Ok(command.clone()));
    // Without the selector byte it is read as AMF0 straight away.
    let bare = RawMessage {
        payload: raw.payload.slice(1..),
        ..raw
    };
    assert_eq!(decode(&bare).0, Ok(command));
}

#[test]
fn aggregate_sub_messages_are_rebased() {
    let sub = |type_id: u8, timestamp: u32, body: &[u8], back: u32| {
        let mut v = vec![type_id];
        v.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(&timestamp.to_be_bytes()[1..]);
        v.push((timestamp >> 24) as u8);
        v.extend_from_slice(&[0, 0, 0]);
        v.extend_from_slice(body);
        v.extend_from_slice(&back.to_be_bytes());
        v
    };
    let payload = [
        sub(9, 0x0100_0010, b"key", 14),
        sub(8, 0x0100_0030, b"aa", 0xDEAD),
    ]
    .concat();
    let aggregate = RawMessage {
        csid: 6,
        timestamp: 500,
        type_id: 22,
        stream_id: 1,
        payload: payload.clone().into(),
    };
    let subs: Vec<RawMessage> = split_aggregate(&aggregate).map(Result::unwrap).collect();
    assert_eq!(
        subs,
        [
            RawMessage {
                csid: 6,
                timestamp: 500,
                type_id: 9,
                stream_id: 1,
                payload: Bytes::from_static(b"key")
            },
            RawMessage {
                csid: 6,
                timestamp: 532,
                type_id: 8,
                stream_id: 1,
                payload: Bytes::from_static(b"aa")
            },
        ]
    );
    // A sub-message that announces more than is left: one error naming the rule, then the end.
    let truncated = RawMessage {
        payload: Bytes::copy_from_slice(&payload[..payload.len() - 3]),
        ..aggregate
    };
    let items: Vec<_> = split_aggregate(&truncated).collect();
    assert_eq!(items.len(), 2);
    let error = items[1].as_ref().unwrap_err();
    assert_eq!(
        (error.rule.map(|r| r.id), error.offset),
        (Some(rules::AGGREGATE_FORMAT.id), 18)
    );
}

/// A command `name`, 0, null, then a string of `text` bytes as they are (maybe not UTF-8).
fn command_with_text(text: &[u8]) -> RawMessage {
    let mut payload = vec![2, 0, 4];
    payload.extend_from_slice(b"test");
    payload.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 2]);
    payload.extend_from_slice(&(text.len() as u16).to_be_bytes());
    payload.extend_from_slice(text);
    RawMessage {
        csid: 3,
        ..raw(20, &payload)
    }
}

#[test]
fn strings_that_are_not_utf8_are_reported_and_read_as_question_marks() {
    let (result, violations) = decode(&command_with_text(b"ab\xff\xfecd"));
    let Ok(Message::Command(command)) = result else {
        panic!("{result:?}")
    };
    assert_eq!(command.args[0].as_str(), Some("ab??cd"));
    let found: Vec<_> = violations.iter().map(|v| (v.rule.id, v.offset)).collect();
    // The text starts at payload byte 20 (name 7, number 9, null 1, marker and length 3), so
    // the bad bytes are payload bytes 22 and 23, after the message's offset of 100.
    assert_eq!(
        found,
        [("amf0.string.utf8", 122), ("amf0.string.utf8", 123)]
    );

    // Past 64 repairs the message is given up, with the rule and the offset of the 65th byte.
    let (result, violations) = decode(&command_with_text(&[0xff; 100]));
    let err = result.unwrap_err();
    assert_eq!(
        (err.rule.map(|r| r.id), err.offset, violations.len()),
        (Some("amf0.string.utf8"), 100 + 20 + 64, 64)
    );
}

#[test]
fn media_on_the_control_chunk_stream_is_reported() {
    let audio = RawMessage {
        csid: 2,
        ..raw(8, &[0xaf, 1, 0])
    };
    let (result, violations) = decode(&audio);
    assert!(matches!(result, Ok(Message::Audio(_))));
    let found: Vec<_> = violations.iter().map(|v| (v.rule.id, v.offset)).collect();
    assert_eq!(found, [(rules::CHUNK_CSID_RANGE.id, 100)]);
    // Commands may use chunk stream 2 (§5.3.1.1 reserves it for control messages and commands).
    let command = RawMessage {
        csid: 2,
        ..raw(20, &[2, 0, 1, b'x', 0, 0, 0, 0, 0, 0, 0, 0, 0])
    };
    assert!(decode(&command).1.is_empty());
}

/// AMF3 values behind several 0x11 switches in one message share their reference tables: a
/// reference in the second value points at the first value's XML. Encoding each value with
/// tables of its own (as the encoder once did) wrote the reference with the wrong marker, and
/// the message no longer decoded (the rtmp_chunk fuzz target found it).
#[test]
fn amf3_references_across_values_of_one_message_survive_a_round_trip() {
    use weir_amf0::amf3;
    let message = Message::Data(Data {
        values: vec![
            Value::string("onCuePoint"),
            Value::Amf3(amf3::Value::Xml("<cue/>".into())),
            Value::Amf3(amf3::Value::Reference(0)),
        ],
        amf3: true,
    });
    let raw = message.to_raw(5, 0, 1);
    let (decoded, violations) = decode(&raw);
    assert_eq!(decoded, Ok(message), "{violations:?}");
}
