//! Our client machine and our server machine publish and play to each other through memory,
//! with a minimal relay between the publishing and the playing connection, on the real media
//! of a corpus FLV file.

mod support;

use std::time::Instant;
use support::accept_all;
use weir_amf0::Value;
use weir_media::MediaPacket;
use weir_rtmp::message::{BandwidthLimit, Message};
use weir_rtmp::session::{
    ClientEvent, ClientOptions, ClientSession, ConnectForm, PublishKind, ServerEvent,
    ServerSession, SessionConfig, StreamData,
};
use weir_testkit::{Pair, SeededRng, corpus};

/// One connection: our client machine (`a`) and our server machine (`b`) wired back to back
/// through memory.
type Link = Pair<ClientSession, ServerSession>;

fn wired(seed: u64, config: SessionConfig) -> Link {
    let now = Instant::now();
    let options = ClientOptions::new("rtmp://127.0.0.1:1935/live", "live");
    let rng = |seed| Box::new(SeededRng::new(seed));
    let client = ClientSession::new(config.clone(), options, now, rng(seed));
    let server = ServerSession::new(config, now, rng(seed + 1));
    Pair::new(client, server, now)
}

/// Moves bytes both ways until neither side has anything left to say; the server accepts
/// every request. Returns the server events of this round.
fn pump(link: &mut Link) -> Vec<ServerEvent> {
    pump_answering(link, accept_all)
}

/// As [`pump`], with `answer` deciding each server event.
fn pump_answering(
    link: &mut Link,
    answer: fn(&mut ServerSession, &ServerEvent),
) -> Vec<ServerEvent> {
    let before = link.b_out.events.len();
    link.drive_with(|_, _| {}, answer)
        .unwrap_or_else(|(side, e)| panic!("{side:?} refused its peer's bytes: {e}"));
    link.b_out.events[before..].to_vec()
}

fn media_of(events: &[ServerEvent]) -> Vec<(u32, MediaPacket)> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Data {
                timestamp,
                data: StreamData::Media(p),
                ..
            } => Some((*timestamp, p.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn client_publishes_and_another_client_plays_every_frame_through_our_server() {
    for chunk_size in [128, 4096, 60000] {
        let config = SessionConfig {
            chunk_size,
            ..SessionConfig::default()
        };
        let mut publisher = wired(1, config.clone());
        publisher
            .a
            .publish("cam?key=secret", PublishKind::Live)
            .unwrap();
        let events = pump(&mut publisher);
        let connect = events.iter().find_map(|e| match e {
            ServerEvent::Connect(r) => Some(r.clone()),
            _ => None,
        });
        let connect = connect.expect("connect reached the application");
        assert_eq!(connect.app, "live");
        assert_eq!(
            connect.tc_url.as_deref(),
            Some("rtmp://127.0.0.1:1935/live")
        );
        let publish = events.iter().find_map(|e| match e {
            ServerEvent::Publish(r) => Some(r.clone()),
            _ => None,
        });
        let publish = publish.expect("publish reached the application");
        assert_eq!(
            (publish.name.as_str(), publish.query.as_str()),
            ("cam", "key=secret")
        );
        assert_eq!(publish.kind, PublishKind::Live);
        assert!(
            publisher
                .a_out
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Publishing { .. }))
        );

        let mut player = wired(7, config);
        player.a.play("cam", -2.0).unwrap();
        let play = pump(&mut player);
        let play_request = play.iter().find_map(|e| match e {
            ServerEvent::Play(r) => Some(r.clone()),
            _ => None,
        });
        let play_stream = play_request
            .expect("play reached the application")
            .stream_id;
        assert!(
            player
                .a_out
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Playing { .. }))
        );

        // The publisher sends metadata and the real media of an FLV file.
        let metadata = Value::EcmaArray(vec![("width".into(), Value::Number(320.0))]);
        publisher.a.send_metadata(metadata.clone()).unwrap();
        let tags = corpus::flv_media("flv/avatar.flv");
        assert!(tags.len() > 100);
        for (video, ts, body) in &tags {
            publisher.a.send_media(*ts, *video, body.clone()).unwrap();
        }
        let published = pump(&mut publisher);
        let sent = media_of(&published);
        assert!(published.iter().any(|e| matches!(e, ServerEvent::Data { data: StreamData::Metadata(m), .. } if *m == metadata)));
        assert_eq!(
            sent.len(),
            tags.len(),
            "one packet per FLV tag at chunk size {chunk_size}"
        );
        assert!(
            publisher.b_out.violations.is_empty(),
            "{:?}",
            publisher.b_out.violations
        );

        // The relay: what the publisher's session produced goes to the player's session.
        player
            .b
            .send_metadata(play_stream, 0, metadata.clone())
            .unwrap();
        for (timestamp, packet) in &sent {
            assert!(
                player
                    .b
                    .send_packet(play_stream, *timestamp, packet)
                    .unwrap()
            );
        }
        pump(&mut player);
        let received: Vec<(u32, MediaPacket)> = player
            .a_out
            .events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Data {
                    timestamp,
                    data: StreamData::Media(p),
                    ..
                } => Some((*timestamp, p.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            received, sent,
            "the player receives every packet, unchanged"
        );
        assert!(
            player.a_out.violations.is_empty(),
            "{:?}",
            player.a_out.violations
        );

        // The publisher stops: the server sees the unpublish.
        publisher.a.stop().unwrap();
        let stopped = pump(&mut publisher);
        assert!(
            stopped
                .iter()
                .any(|e| matches!(e, ServerEvent::Unpublish { .. })),
            "{stopped:?}"
        );
    }
}

#[test]
fn a_rejected_publish_reports_bad_name_to_the_client() {
    let mut link = wired(3, SessionConfig::default());
    link.a.publish("taken", PublishKind::Live).unwrap();
    pump_answering(&mut link, |server, event| match event {
        ServerEvent::Publish(r) => server
            .reject_publish(r.id, true, "taken is already publishing")
            .unwrap(),
        other => accept_all(server, other),
    });
    let status = link.a_out.events.iter().find_map(|e| match e {
        ClientEvent::Status { status, .. } => Some(status.clone()),
        _ => None,
    });
    let status = status.expect("an onStatus");
    assert_eq!(
        (status.level.as_str(), status.code.as_str()),
        ("error", "NetStream.Publish.BadName")
    );
    assert!(
        !link
            .a_out
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::Publishing { .. }))
    );
}

#[test]
fn a_redirected_connect_tells_the_client_where_to_go_as_srs_does() {
    let mut link = wired(5, SessionConfig::default());
    link.a.play("cam", -1.0).unwrap();
    pump_answering(&mut link, |server, event| match event {
        ServerEvent::Connect(r) => server
            .redirect_connect(r.id, "rtmp://10.0.0.2:19350/live")
            .unwrap(),
        other => accept_all(server, other),
    });
    let status = link.a_out.events.iter().find_map(|e| match e {
        ClientEvent::ConnectRejected(status) => Some(status.clone()),
        _ => None,
    });
    let status = status.expect("connect refused");
    assert_eq!(status.code, "NetConnection.Connect.Rejected");
    let ex = status.info.get("ex").expect("an ex object");
    assert_eq!(ex.get("code").and_then(Value::as_f64), Some(302.0));
    assert_eq!(
        ex.get("redirect").and_then(Value::as_str),
        Some("rtmp://10.0.0.2:19350/live")
    );
}

#[test]
fn the_server_acknowledges_at_each_window_boundary() {
    let mut link = wired(11, SessionConfig::default());
    link.a.publish("acked", PublishKind::Live).unwrap();
    pump(&mut link);
    // The client asks to be acknowledged every 5000 bytes, then sends 80 kB of media.
    let window = weir_rtmp::message::Message::WindowAckSize(5000);
    link.a.send_message(2, 0, 0, &window).unwrap();
    pump(&mut link);
    for (i, (video, ts, body)) in corpus::flv_media("flv/avatar.flv")
        .into_iter()
        .take(150)
        .enumerate()
    {
        link.a.send_media(ts, video, body).unwrap();
        if i % 7 == 0 {
            pump(&mut link);
        }
    }
    pump(&mut link);
    let (received, _, _) = link.b.counters();
    let (_, sent, acknowledged) = link.a.counters();
    assert_eq!(received, sent, "everything arrived");
    assert!(received > 50_000, "{received}");
    // Acknowledged on time: the bytes received since the last acknowledgement are less than a
    // window (RTMP 1.0 §5.4.3).
    assert!(
        u64::from(acknowledged) <= received && received - u64::from(acknowledged) < 5000,
        "acknowledged {acknowledged} of {received}"
    );
}

#[test]
fn every_legal_connect_form_reaches_the_server_as_the_same_connect() {
    for form in [
        ConnectForm::Object,
        ConnectForm::EcmaArray,
        ConnectForm::Amf3,
    ] {
        let now = Instant::now();
        let mut options = ClientOptions::new("rtmp://127.0.0.1:1935/live", "live");
        options.connect_form = form;
        let config = SessionConfig::default();
        let mut link = wired(21, config.clone());
        link.a = ClientSession::new(config, options, now, Box::new(SeededRng::new(21)));
        link.a.play("any", -2.0).unwrap();
        let events = pump(&mut link);
        let connect = events.iter().find_map(|e| match e {
            ServerEvent::Connect(c) => Some(c.clone()),
            _ => None,
        });
        let connect = connect.unwrap_or_else(|| panic!("{form:?}: no connect"));
        assert_eq!(connect.app, "live", "{form:?}");
        assert_eq!(
            connect.tc_url.as_deref(),
            Some("rtmp://127.0.0.1:1935/live"),
            "{form:?}"
        );
        assert!(
            link.a_out
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Playing { .. })),
            "{form:?}: {:?}",
            link.a_out.events
        );
        assert!(link.b_out.violations.is_empty(), "{form:?}");
    }
}

/// A publisher relays its media to a player whose server connection honours the player's Set
/// Peer Bandwidth; returns the server's window state after each frame, and the link.
fn send_to_limited_player(frames: usize, window: u32, hold: bool) -> (Vec<bool>, Link) {
    let mut player = wired(31, SessionConfig::default());
    player.a.play("limited", -2.0).unwrap();
    pump(&mut player);
    player.a.hold_acknowledgements(hold);
    // Acknowledge every 4000 bytes, and never send more than `window` unacknowledged.
    player
        .a
        .send_message(2, 0, 0, &Message::WindowAckSize(4000))
        .unwrap();
    let limit = Message::SetPeerBandwidth {
        size: window,
        limit: BandwidthLimit::Hard,
    };
    player.a.send_message(2, 0, 0, &limit).unwrap();
    pump(&mut player);
    let stream_id = player.a.stream_id().unwrap();
    let mut open = Vec::new();
    for (video, ts, body) in corpus::flv_media("flv/avatar.flv").into_iter().take(frames) {
        player.b.send_media(stream_id, ts, video, body).unwrap();
        pump(&mut player);
        open.push(player.b.output_window_open());
    }
    (open, player)
}

#[test]
fn the_server_honours_set_peer_bandwidth_until_acknowledged() {
    // Acknowledging: the window never stays closed after a pump.
    let (open, _) = send_to_limited_player(60, 20_000, false);
    assert!(open.iter().all(|o| *o), "{open:?}");
    // Holding acknowledgements: the window closes once 20 kB are out, and stays closed.
    let (open, mut link) = send_to_limited_player(60, 20_000, true);
    let closed_at = open.iter().position(|o| !o).expect("the window closed");
    assert!(open[closed_at..].iter().all(|o| !o), "{open:?}");
    let (_, sent, acknowledged) = link.b.counters();
    assert!(sent - u64::from(acknowledged) >= 20_000);
    // Acknowledging again reopens it.
    link.a.hold_acknowledgements(false);
    pump(&mut link);
    assert!(link.b.output_window_open());
}

#[test]
fn set_peer_bandwidth_limit_types_follow_the_spec() {
    let mut link = wired(41, SessionConfig::default());
    link.a.play("types", -2.0).unwrap();
    pump(&mut link);
    link.a.hold_acknowledgements(true);
    let stream_id = link.a.stream_id().unwrap();
    let tags = corpus::flv_media("flv/avatar.flv");
    let send = |link: &mut Link, limit: Option<(u32, BandwidthLimit)>| {
        if let Some((size, limit)) = limit {
            let message = Message::SetPeerBandwidth { size, limit };
            link.a.send_message(2, 0, 0, &message).unwrap();
        }
        for (video, ts, body) in tags.iter().take(40).cloned() {
            link.b.send_media(stream_id, ts, video, body).unwrap();
        }
        pump(link);
        link.b.output_window_open()
    };
    // A dynamic limit with no hard limit before it is ignored.
    assert!(send(&mut link, Some((1000, BandwidthLimit::Dynamic))));
    // A soft limit applies; a larger soft one does not raise it.
    assert!(!send(&mut link, Some((1000, BandwidthLimit::Soft))));
    assert!(!send(&mut link, Some((u32::MAX, BandwidthLimit::Soft))));
    // A hard limit replaces it.
    assert!(send(&mut link, Some((u32::MAX, BandwidthLimit::Hard))));
    // A dynamic limit after a hard one counts as hard.
    assert!(!send(&mut link, Some((1000, BandwidthLimit::Dynamic))));
}

/// A server's S0S1S2 and its first message in one TCP segment, or cut right after S2: the
/// client answers the handshake (Set Chunk Size, connect) before anything it reads after it,
/// so its bytes are the same either way (found by the rtmp_client_session fuzz target).
#[test]
fn a_client_answers_the_handshake_before_what_follows_it_however_it_is_cut() {
    let mut input = vec![3];
    input.resize(1 + 2 * 1536, 0);
    // Set Peer Bandwidth 2,500,000, dynamic, on chunk stream 2.
    input.extend_from_slice(&[2, 0, 0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0, 0x26, 0x25, 0xa0, 2]);
    let client = || {
        let mut options = ClientOptions::new("rtmp://127.0.0.1/live", "live");
        options.handshake = weir_rtmp::handshake::HandshakeKind::Simple;
        let rng = Box::new(weir_testkit::SeededRng::new(11));
        let mut client = ClientSession::new(SessionConfig::default(), options, Instant::now(), rng);
        client.publish("cam", PublishKind::Live).unwrap();
        client
    };
    let out = weir_testkit::split::check(client, &input, &[3073]);
    assert!(out.error.is_none(), "{:?}", out.error);
}

/// A server that says `NetStream.Publish.Start` before the client asked to publish (here, on
/// a stream it never created) must not make the client report `Publishing`: a user who then
/// sends media would be told "not publishing". The status still reaches the user.
#[test]
fn an_unasked_publish_start_is_a_status_not_publishing() {
    use bytes::BytesMut;
    use weir_rtmp::chunk::ChunkEncoder;
    use weir_rtmp::message::Command;

    let now = Instant::now();
    let options = ClientOptions::new("rtmp://127.0.0.1/live", "live");
    let config = SessionConfig::default();
    let mut client = ClientSession::new(config, options, now, Box::new(SeededRng::new(3)));
    client.publish("cam", PublishKind::Live).unwrap();
    let status = Value::Object(vec![
        ("level".into(), Value::string("status")),
        ("code".into(), Value::string("NetStream.Publish.Start")),
    ]);
    let command = Message::Command(Command {
        name: "onStatus".into(),
        transaction_id: 0.0,
        object: Value::Null,
        args: vec![status],
        amf3: false,
    });
    let mut input = vec![3u8];
    input.resize(1 + 2 * 1536, 0); // S0 S1 S2 of a simple handshake
    let mut chunks = BytesMut::new();
    ChunkEncoder::new()
        .encode(&command.to_raw(5, 0, 1), &mut chunks)
        .unwrap();
    input.extend_from_slice(&chunks);

    let out = weir_testkit::run_with(&mut client, [input], false, |_, _| {});
    assert_eq!(out.error, None);
    assert!(
        out.events
            .iter()
            .any(|e| matches!(e, ClientEvent::Status { status, .. } if status.code == "NetStream.Publish.Start")),
        "the status reaches the user: {:?}",
        out.events
    );
    assert!(
        !out.events
            .iter()
            .any(|e| matches!(e, ClientEvent::Publishing { .. })),
        "{:?}",
        out.events
    );
    assert!(
        client
            .send_media(0, true, bytes::Bytes::from_static(&[0x17]))
            .is_err()
    );
}

/// A server that sets a small acknowledgement window in the middle of what it sends, then
/// pings: the client's acknowledgements and pong answers come out in the same order at the
/// same offsets whether the bytes arrive whole, byte by byte or in pieces — the window takes
/// effect at the byte where its message ends, not where a read happened to end. (A fuzzer
/// found the acknowledgement placed by the read.)
#[test]
fn a_window_set_mid_input_acknowledges_at_the_same_bytes_however_the_input_is_cut() {
    use bytes::BytesMut;
    use weir_rtmp::chunk::ChunkEncoder;
    use weir_rtmp::message::UserControl;
    use weir_testkit::split;

    let mut input = vec![3u8];
    input.resize(1 + 2 * 1536, 0); // S0 S1 S2 of a simple handshake
    let mut chunks = BytesMut::new();
    let mut encoder = ChunkEncoder::new();
    let mut send = |message: Message| {
        encoder
            .encode(&message.to_raw(2, 0, 0), &mut chunks)
            .unwrap();
    };
    send(Message::SetChunkSize(4096));
    for i in 0..3 {
        send(Message::UserControl(UserControl::PingRequest(i)));
    }
    send(Message::WindowAckSize(40));
    for i in 3..12 {
        send(Message::UserControl(UserControl::PingRequest(i)));
    }
    send(Message::WindowAckSize(25));
    for i in 12..20 {
        send(Message::UserControl(UserControl::PingRequest(i)));
    }
    input.extend_from_slice(&chunks);

    let make = || {
        let options = ClientOptions::new("rtmp://127.0.0.1/live", "live");
        let config = SessionConfig::default();
        ClientSession::new(config, options, Instant::now(), Box::new(SeededRng::new(3)))
    };
    let whole = split::check(make, &input, &split::every_byte(input.len()));
    for piece in [2, 7, 19, 64] {
        split::check(make, &input, &split::sizes(input.len(), &[piece]));
    }
    assert!(whole.error.is_none(), "{:?}", whole.error);
}

/// SRS's RTMP 302: a play the server redirects comes back to our client as an `onStatus` on
/// stream 0 (`NetConnection.Connect.Rejected`, `ex.code` 302) whose redirect names the tcUrl
/// and the stream's URL on the other server.
#[test]
fn a_redirected_play_tells_the_client_where_the_stream_is() {
    let mut player = wired(9, SessionConfig::default());
    player.a.play("cam?token=1", -1.0).unwrap();
    let redirect = |server: &mut ServerSession, event: &ServerEvent| match event {
        ServerEvent::Play(r) => server
            .redirect_play(r.id, "rtmp://10.0.0.2:19350/live/cam?token=1")
            .unwrap(),
        other => accept_all(server, other),
    };
    pump_answering(&mut player, redirect);
    let status = player
        .a_out
        .events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Status { stream_id, status } if status.is_error() => {
                Some((*stream_id, status.clone()))
            }
            _ => None,
        })
        .expect("the redirect reached the client");
    assert_eq!(status.0, 0, "on the connection's stream, as SRS sends it");
    assert_eq!(status.1.code, "NetConnection.Connect.Rejected");
    let ex = status.1.info.get("ex").expect("ex");
    assert_eq!(
        ex.get("redirect").and_then(Value::as_str),
        Some("rtmp://10.0.0.2:19350/live")
    );
    assert_eq!(
        status.1.redirect("cam").as_deref(),
        Some("rtmp://10.0.0.2:19350/live/cam?token=1")
    );
    assert!(
        !player
            .a_out
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::Playing { .. })),
        "a redirected play never starts"
    );
}
