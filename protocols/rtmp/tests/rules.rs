//! Every rule of the RTMP catalog fires on an input made to break it, and the table names every
//! rule, so no rule is one nothing can trigger.
//!
//! Each input is a peer's byte stream through the session machine that reads it: a client's
//! bytes through [`ServerSession`] (every request accepted), a server's bytes through a playing
//! [`ClientSession`]. Both open with a handshake that echoes exactly (so that it breaks
//! nothing) and, for the chunk and message rules, a session that works: `connect`,
//! `createStream`, `publish` (or the server's answers to the client's). A valid session breaks
//! none of the rules (`valid_sessions_break_no_rule` below; `tests/session_corpus.rs` replays
//! recorded FFmpeg, OBS and nginx-rtmp sessions likewise).

mod support;

use bytes::{Bytes, BytesMut};
use std::time::Instant;
use weir_amf0::Value;
use weir_rtmp::chunk::{ChunkEncoder, ChunkLimits, RawMessage};
use weir_rtmp::handshake::{HandshakeKind, PACKET_LEN};
use weir_rtmp::message::{Command, Data, Message, UserControl};
use weir_rtmp::rules;
use weir_rtmp::session::{ClientOptions, ClientSession, ServerSession, SessionConfig};
use weir_testkit::{Outputs, SeededRng};

/// Small limits, so that the limit rules need small inputs.
fn config() -> SessionConfig {
    SessionConfig {
        chunk_limits: ChunkLimits {
            max_message_size: 1 << 16,
            max_chunk_streams: 8,
        },
        ..SessionConfig::default()
    }
}

/// The rule ids of what a machine reported: its violations, then the error that closed it.
fn fired<E>(outputs: &Outputs<E>) -> Vec<&'static str> {
    let mut ids: Vec<_> = outputs.violations.iter().map(|v| v.rule.id).collect();
    ids.extend(outputs.error.as_ref().map(|e| e.rule_id()));
    ids
}

/// A peer's chunk stream, written with the crate's encoder (which compresses headers as a
/// real peer does) or by hand.
#[derive(Default)]
struct Wire {
    encoder: ChunkEncoder,
    bytes: BytesMut,
}

impl Wire {
    fn raw(
        mut self,
        csid: u32,
        timestamp: u32,
        type_id: u8,
        stream_id: u32,
        payload: &[u8],
    ) -> Self {
        let raw = RawMessage {
            csid,
            timestamp,
            type_id,
            stream_id,
            payload: Bytes::copy_from_slice(payload),
        };
        self.encoder.encode(&raw, &mut self.bytes).unwrap();
        self
    }

    fn message(self, csid: u32, timestamp: u32, stream_id: u32, message: &Message) -> Self {
        let type_id = message.type_id();
        self.raw(csid, timestamp, type_id, stream_id, &message.encode())
    }

    fn command(
        self,
        stream_id: u32,
        name: &str,
        txn: f64,
        object: Value,
        args: Vec<Value>,
    ) -> Self {
        let csid = if stream_id == 0 { 3 } else { 5 };
        let command = Command {
            name: name.into(),
            transaction_id: txn,
            object,
            args,
            amf3: false,
        };
        self.message(csid, 0, stream_id, &Message::Command(command))
    }

    /// A command that needs no answer and changes nothing (FMS's bandwidth check callback).
    fn noop(self, csid: u32, timestamp: u32) -> Self {
        let command = Command {
            name: "onBWDone".into(),
            transaction_id: 0.0,
            object: Value::Null,
            args: vec![],
            amf3: false,
        };
        self.message(csid, timestamp, 0, &Message::Command(command))
    }

    fn video(self, csid: u32, timestamp: u32, stream_id: u32, body: &[u8]) -> Self {
        self.raw(csid, timestamp, 9, stream_id, body)
    }

    /// Bytes written by hand: headers the encoder would never write.
    fn bytes(mut self, bytes: &[u8]) -> Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    fn done(self) -> Vec<u8> {
        self.bytes.to_vec()
    }
}

fn connect_object(app: Option<&str>) -> Value {
    let mut props = vec![("tcUrl", Value::string("rtmp://127.0.0.1/live"))];
    if let Some(app) = app {
        props.push(("app", Value::string(app)));
    }
    Value::object(props)
}

/// An AVC keyframe (one NAL unit) as an FLV video tag body.
const KEYFRAME: &[u8] = &[0x17, 0x01, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88];

/// connect (transaction 1) on the connection.
fn connect(wire: Wire) -> Wire {
    wire.command(0, "connect", 1.0, connect_object(Some("live")), vec![])
}

/// connect, createStream (stream 1) and publish with `args` (name and publishing type).
fn publish(args: [&str; 2]) -> Wire {
    let args = args.map(Value::string).to_vec();
    connect(Wire::default())
        .command(0, "createStream", 2.0, Value::Null, vec![])
        .command(1, "publish", 0.0, Value::Null, args)
}

/// connect, createStream (stream 1) and publish "s" live.
fn publishing() -> Wire {
    publish(["s", "live"])
}

/// A type 0 chunk header (csid 2..=63), timestamp field as given.
fn fmt0(csid: u8, timestamp: u32, length: u32, type_id: u8, stream_id: u32) -> Vec<u8> {
    let mut h = vec![csid & 0x3f];
    h.extend_from_slice(&timestamp.to_be_bytes()[1..]);
    h.extend_from_slice(&length.to_be_bytes()[1..]);
    h.push(type_id);
    h.extend_from_slice(&stream_id.to_le_bytes());
    h
}

/// A C1 or S1: simple (zero version field) or announcing a complex handshake with no digest.
fn packet1(version: [u8; 4]) -> Vec<u8> {
    let mut p: Vec<u8> = (0..PACKET_LEN).map(|i| (i * 7) as u8).collect();
    p[..4].copy_from_slice(&[0; 4]);
    p[4..8].copy_from_slice(&version);
    p
}

fn server_session() -> ServerSession {
    ServerSession::new(config(), Instant::now(), Box::new(SeededRng::new(1)))
}

/// Raw bytes through a server machine, which then sees the end of its input.
fn server_raw(bytes: &[u8]) -> Vec<&'static str> {
    let mut server = server_session();
    fired(&weir_testkit::run_with(
        &mut server,
        [bytes],
        true,
        support::accept_all,
    ))
}

/// A client's handshake with `c1`, its C2 echoing S1 (or `c2` when given), then `chunks`,
/// through a server machine that accepts every request.
fn server_with(c1: &[u8], c2: Option<&[u8]>, chunks: &[u8]) -> Vec<&'static str> {
    let mut server = server_session();
    let c0c1 = [&[3], c1].concat();
    let mut out = weir_testkit::run_with(&mut server, [c0c1], false, support::accept_all);
    let s1 = out.transmitted[1..1 + PACKET_LEN].to_vec();
    let c2 = c2.map_or(s1, <[u8]>::to_vec);
    let rest = weir_testkit::run_with(
        &mut server,
        [c2, chunks.to_vec()],
        true,
        support::accept_all,
    );
    out.violations.extend(rest.violations);
    out.error = rest.error;
    fired(&out)
}

/// A client's chunks after a simple handshake that breaks nothing.
fn server(chunks: Wire) -> Vec<&'static str> {
    server_with(&packet1([0; 4]), None, &chunks.done())
}

/// A playing client machine fed a server's S0, `s1`, an S2 echoing C1 (or `s2`), the answers
/// to connect and createStream (stream `stream`), then what `chunks` adds.
fn client_with(
    s0: u8,
    stream: f64,
    s1: &[u8],
    s2: Option<&[u8]>,
    chunks: impl FnOnce(Wire) -> Wire,
) -> Vec<&'static str> {
    let options = ClientOptions {
        handshake: HandshakeKind::Simple,
        ..ClientOptions::new("rtmp://127.0.0.1/live", "live")
    };
    let rng = Box::new(SeededRng::new(2));
    let mut client = ClientSession::new(config(), options, Instant::now(), rng);
    client.play("s", -2.0).unwrap();
    let mut first = Outputs::default();
    first.drain(&mut client);
    let c1 = first.transmitted[1..1 + PACKET_LEN].to_vec();
    let s2 = s2.map_or(c1, <[u8]>::to_vec);
    let success = Value::object([
        ("level", Value::string("status")),
        ("code", Value::string("NetConnection.Connect.Success")),
    ]);
    let answers = Wire::default()
        .command(0, "_result", 1.0, Value::Null, vec![success])
        .command(0, "_result", 2.0, Value::Null, vec![Value::Number(stream)]);
    let input = [vec![s0], s1.to_vec(), s2, chunks(answers).done()].concat();
    fired(&weir_testkit::run(&mut client, [input], true))
}

fn client(chunks: impl FnOnce(Wire) -> Wire) -> Vec<&'static str> {
    client_with(3, 1.0, &packet1([0; 4]), None, chunks)
}

/// `@setDataFrame("onMetaData", {width: 1})`, as FFmpeg and OBS send it.
fn metadata() -> Message {
    Message::Data(Data {
        values: vec![
            "@setDataFrame".into(),
            "onMetaData".into(),
            Value::object([("width", 1.0.into())]),
        ],
        amf3: false,
    })
}

#[test]
fn valid_sessions_break_no_rule() {
    let publisher = publishing()
        .video(6, 0, 1, KEYFRAME)
        .video(6, 40, 1, KEYFRAME)
        .raw(4, 0, 8, 1, &[0xAF, 0x00, 0x12, 0x10])
        .message(5, 0, 1, &metadata())
        // A timestamp going back in a type 0 header, as §5.3.1.2.1 asks.
        .noop(9, 1000)
        .noop(9, 500)
        // SWF verification response, an FMS extension (librtmp sends it).
        .raw(2, 0, 4, 0, &[0, 27, 1, 1]);
    assert_eq!(server(publisher), Vec::<&str>::new());
    // A player seeks back: Stream Begin, then media from the earlier time.
    let seek = |w: Wire| {
        w.video(6, 0, 1, KEYFRAME)
            .video(6, 5000, 1, KEYFRAME)
            .message(2, 0, 0, &Message::UserControl(UserControl::StreamBegin(1)))
            .video(6, 1000, 1, KEYFRAME)
    };
    assert_eq!(client(seek), Vec::<&str>::new());
    // A publisher publishes again on its stream, from 0.
    let republish = publishing()
        .video(6, 5000, 1, KEYFRAME)
        .command(1, "closeStream", 0.0, Value::Null, vec![])
        .command(
            1,
            "publish",
            0.0,
            Value::Null,
            vec!["s".into(), "live".into()],
        )
        .video(6, 0, 1, KEYFRAME);
    assert_eq!(server(republish), Vec::<&str>::new());
}

#[test]
fn every_rule_fires_on_an_input_that_breaks_it() {
    let simple = packet1([0; 4]);
    // Bytes 4-7 announce a complex handshake, but no digest validates.
    let complex_without_digest = packet1([9, 0, 124, 2]);
    let zeros = vec![0; PACKET_LEN];
    let video_on = |csid, stream_id| publishing().video(csid, 0, stream_id, KEYFRAME);
    // Over the limit of 8 chunk streams: 3 and 5 are in use, then 10, 11, ...
    let mut flood = publishing();
    for csid in 10..17 {
        flood = flood.noop(csid, 0);
    }
    // A command whose type 0 header carries the extended timestamp 5, which the 3-byte field
    // could have held.
    let mut extended = Wire::default().noop(9, 0).done();
    extended[1..4].copy_from_slice(&[0xFF; 3]);
    extended.splice(12..12, 5u32.to_be_bytes());
    // The same command again with a type 1 header whose extended delta is -500 ms.
    let noop = Wire::default().noop(9, 0).done();
    let mut backward = vec![0x40 | 9, 0xFF, 0xFF, 0xFF];
    backward.extend(&noop[4..8]); // message length and type
    backward.extend((-500i32 as u32).to_be_bytes());
    backward.extend(&noop[12..]);
    // A 300-byte video message cut off after its first chunk by a new type 0 header.
    let mut cut = fmt0(6, 0, 300, 9, 1);
    cut.extend([0x17; 128]);
    // A data message whose handler name is a number.
    let number_name = [vec![0x00], 1f64.to_be_bytes().to_vec()].concat();
    let aggregate_cut = [vec![9, 0, 0, 20], vec![0; 7], KEYFRAME.to_vec()].concat();

    let table: Vec<(&str, Vec<&str>)> = vec![
        (
            "rtmp.handshake.version",
            server_raw(&[&[6], &simple[..]].concat()),
        ),
        (
            "rtmp.handshake.s0-version",
            client_with(6, 1.0, &simple, None, |w| w),
        ),
        (
            "rtmp.handshake.echo",
            server_with(&simple, Some(&zeros), &[]),
        ),
        (
            "rtmp.handshake.echo",
            client_with(3, 1.0, &simple, Some(&zeros), |w| w),
        ),
        (
            "rtmp.handshake.digest",
            server_with(&complex_without_digest, None, &[]),
        ),
        (
            "rtmp.handshake.digest",
            client_with(3, 1.0, &complex_without_digest, None, |w| w),
        ),
        (
            "rtmp.handshake.incomplete",
            server_raw(&[&[3], &simple[..1000]].concat()),
        ),
        (
            "rtmp.chunk.fmt3-without-previous-header",
            server(publishing().bytes(&[0xC9, 1, 2, 3])),
        ),
        (
            "rtmp.chunk.csid-range",
            server(publishing().video(2, 0, 1, KEYFRAME)),
        ),
        ("rtmp.chunk.stream-limit", server(flood)),
        (
            "rtmp.chunk.message-length",
            server(publishing().bytes(&fmt0(9, 0, 1 << 17, 9, 1))),
        ),
        (
            "rtmp.chunk.length-change-mid-message",
            server(publishing().bytes(&cut).video(6, 0, 1, KEYFRAME)),
        ),
        (
            "rtmp.chunk.extended-timestamp",
            server(publishing().bytes(&extended)),
        ),
        (
            "rtmp.chunk.backward-delta",
            server(publishing().noop(9, 1000).bytes(&backward)),
        ),
        (
            "rtmp.chunk.message-stream-id",
            server(publishing().message(3, 0, 0, &Message::WindowAckSize(4096))),
        ),
        (
            "rtmp.control.set-chunk-size",
            server(publishing().raw(2, 0, 1, 0, &0u32.to_be_bytes())),
        ),
        (
            "rtmp.control.payload-length",
            server(publishing().raw(2, 0, 3, 0, &[0, 1])),
        ),
        (
            "rtmp.control.abort",
            server(publishing().message(2, 0, 0, &Message::Abort { csid: 9 })),
        ),
        (
            "rtmp.control.window-ack-size",
            server(publishing().message(2, 0, 0, &Message::WindowAckSize(0))),
        ),
        (
            "rtmp.control.set-peer-bandwidth",
            server(publishing().raw(2, 0, 6, 0, &[0, 0, 0x10, 0, 3])),
        ),
        (
            "rtmp.message.type",
            server(publishing().raw(3, 0, 7, 0, &[1])),
        ),
        (
            "rtmp.user-control.event",
            server(publishing().raw(2, 0, 4, 0, &[0, 5, 0, 0, 0, 1])),
        ),
        (
            "rtmp.message.aggregate",
            server(publishing().raw(6, 0, 22, 1, &aggregate_cut)),
        ),
        (
            "rtmp.command.amf",
            server(publishing().raw(3, 0, 20, 0, &number_name)),
        ),
        (
            "rtmp.command.connect-first",
            server(Wire::default().command(0, "createStream", 2.0, Value::Null, vec![])),
        ),
        (
            "rtmp.command.connect-transaction-id",
            server(Wire::default().command(
                0,
                "connect",
                2.0,
                connect_object(Some("live")),
                vec![],
            )),
        ),
        (
            "rtmp.command.connect-app",
            server(Wire::default().command(0, "connect", 1.0, connect_object(None), vec![])),
        ),
        (
            "rtmp.command.stream-before-create",
            server(connect(Wire::default()).command(1, "play", 0.0, Value::Null, vec!["s".into()])),
        ),
        (
            "rtmp.command.transaction-id",
            client(|w| w.command(0, "_result", 9.0, Value::Null, vec![])),
        ),
        (
            "rtmp.command.create-stream-id",
            client_with(3, 0.0, &packet1([0; 4]), None, |w| w),
        ),
        ("rtmp.command.publish-type", server(publish(["s", "live2"]))),
        ("rtmp.command.stream-name", server(publish(["", "live"]))),
        ("rtmp.command.single-connect", server(connect(publishing()))),
        ("rtmp.media.before-publish", server(video_on(6, 0))),
        (
            "rtmp.media.before-publish",
            server(publishing().message(5, 0, 3, &metadata())),
        ),
        (
            "rtmp.media.message-stream-id",
            client(|w| w.video(6, 0, 7, KEYFRAME)),
        ),
        (
            "rtmp.media.timestamp-monotonic",
            server(
                publishing()
                    .video(6, 1000, 1, KEYFRAME)
                    .video(7, 500, 1, KEYFRAME),
            ),
        ),
        (
            "rtmp.media.tag",
            server(publishing().video(6, 0, 1, &[0x07, 1, 0, 0, 0])),
        ),
        (
            "rtmp.data.amf",
            server(publishing().raw(5, 0, 18, 1, &number_name)),
        ),
        (
            "rtmp.data.amf",
            client(|w| w.raw(5, 0, 18, 1, &number_name)),
        ),
    ];
    // Each input breaks only the rule it was made for.
    weir_testkit::rule_table::check_exact(rules::CATALOG, &table);
}
