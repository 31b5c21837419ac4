//! Our client machine and our server machine publish and play to each other through memory,
//! with a minimal relay between the publishing and the playing connection, on the real media
//! of a corpus FLV file.

mod support;

use std::time::Instant;
use support::{Drained, accept_all, corpus, flv_media_tags, rng};
use weir_amf0::Value;
use weir_media::Machine;
use weir_media::MediaPacket;
use weir_rtmp::message::{BandwidthLimit, Message};
use weir_rtmp::session::{
    ClientEvent, ClientOptions, ClientSession, ConnectForm, PublishKind, ServerEvent,
    ServerSession, SessionConfig, StreamData,
};

/// One connection: a client machine and a server machine wired back to back.
struct Link {
    client: ClientSession,
    server: ServerSession,
    client_out: Drained<ClientEvent>,
    server_out: Drained<ServerEvent>,
}

impl Link {
    fn new(seed: u64, config: SessionConfig) -> Link {
        let now = Instant::now();
        let options = ClientOptions::new("rtmp://127.0.0.1:1935/live", "live");
        Link {
            client: ClientSession::new(config.clone(), options, now, rng(seed)),
            server: ServerSession::new(config, now, rng(seed + 1)),
            client_out: Drained::default(),
            server_out: Drained::default(),
        }
    }

    /// Moves bytes both ways until neither side has anything left to say; the server accepts
    /// every request. Returns the server events of this round.
    fn pump(&mut self) -> Vec<ServerEvent> {
        self.pump_answering(accept_all)
    }

    /// As [`Link::pump`], with `answer` deciding each server event.
    fn pump_answering(&mut self, answer: fn(&mut ServerSession, &ServerEvent)) -> Vec<ServerEvent> {
        let now = Instant::now();
        let mut server_events = Vec::new();
        loop {
            let mut moved = false;
            while let Some(out) = self.client.poll_output() {
                if let weir_media::Output::Transmit(bytes) = &out {
                    self.server
                        .handle_input(now, bytes)
                        .expect("server accepts our client");
                    moved = true;
                }
                self.client_out.take(out);
            }
            while let Some(out) = self.server.poll_output() {
                match &out {
                    weir_media::Output::Transmit(bytes) => {
                        self.client
                            .handle_input(now, bytes)
                            .expect("client accepts our server");
                        moved = true;
                    }
                    weir_media::Output::Event(event) => {
                        server_events.push(event.clone());
                        answer(&mut self.server, event);
                    }
                    weir_media::Output::Violation(_) => {}
                }
                self.server_out.take(out);
            }
            if !moved {
                return server_events;
            }
        }
    }
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
        let mut publisher = Link::new(1, config.clone());
        publisher
            .client
            .publish("cam?key=secret", PublishKind::Live)
            .unwrap();
        let events = publisher.pump();
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
                .client_out
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Publishing { .. }))
        );

        let mut player = Link::new(7, config);
        player.client.play("cam", -2.0).unwrap();
        let play = player.pump();
        let play_request = play.iter().find_map(|e| match e {
            ServerEvent::Play(r) => Some(r.clone()),
            _ => None,
        });
        let play_stream = play_request
            .expect("play reached the application")
            .stream_id;
        assert!(
            player
                .client_out
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Playing { .. }))
        );

        // The publisher sends metadata and the real media of an FLV file.
        let metadata = Value::EcmaArray(vec![("width".into(), Value::Number(320.0))]);
        publisher.client.send_metadata(metadata.clone()).unwrap();
        let tags = flv_media_tags(&corpus("flv/avatar.flv"));
        assert!(tags.len() > 100);
        for (video, ts, body) in &tags {
            publisher
                .client
                .send_media(*ts, *video, body.clone())
                .unwrap();
        }
        let published = publisher.pump();
        let sent = media_of(&published);
        assert!(published.iter().any(|e| matches!(e, ServerEvent::Data { data: StreamData::Metadata(m), .. } if *m == metadata)));
        assert_eq!(
            sent.len(),
            tags.len(),
            "one packet per FLV tag at chunk size {chunk_size}"
        );
        assert!(
            publisher.server_out.violations.is_empty(),
            "{:?}",
            publisher.server_out.violations
        );

        // The relay: what the publisher's session produced goes to the player's session.
        player
            .server
            .send_metadata(play_stream, 0, metadata.clone());
        for (timestamp, packet) in &sent {
            assert!(
                player
                    .server
                    .send_packet(play_stream, *timestamp, packet)
                    .unwrap()
            );
        }
        player.pump();
        let received: Vec<(u32, MediaPacket)> = player
            .client_out
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
            player.client_out.violations.is_empty(),
            "{:?}",
            player.client_out.violations
        );

        // The publisher stops: the server sees the unpublish.
        publisher.client.stop();
        let stopped = publisher.pump();
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
    let mut link = Link::new(3, SessionConfig::default());
    link.client.publish("taken", PublishKind::Live).unwrap();
    link.pump_answering(|server, event| match event {
        ServerEvent::Publish(r) => server
            .reject_publish(r.id, true, "taken is already publishing")
            .unwrap(),
        other => accept_all(server, other),
    });
    let status = link.client_out.events.iter().find_map(|e| match e {
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
            .client_out
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::Publishing { .. }))
    );
}

#[test]
fn the_server_acknowledges_at_each_window_boundary() {
    let mut link = Link::new(11, SessionConfig::default());
    link.client.publish("acked", PublishKind::Live).unwrap();
    link.pump();
    // The client asks to be acknowledged every 5000 bytes, then sends 80 kB of media.
    let window = weir_rtmp::message::Message::WindowAckSize(5000);
    link.client.send_message(2, 0, 0, &window);
    link.pump();
    for (i, (video, ts, body)) in flv_media_tags(&corpus("flv/avatar.flv"))
        .into_iter()
        .take(150)
        .enumerate()
    {
        link.client.send_media(ts, video, body).unwrap();
        if i % 7 == 0 {
            link.pump();
        }
    }
    link.pump();
    let (received, _, _) = link.server.counters();
    let (_, sent, acknowledged) = link.client.counters();
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
        let mut link = Link::new(21, config.clone());
        link.client = ClientSession::new(config, options, now, rng(21));
        link.client.play("any", -2.0).unwrap();
        let events = link.pump();
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
            link.client_out
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Playing { .. })),
            "{form:?}: {:?}",
            link.client_out.events
        );
        assert!(link.server_out.violations.is_empty(), "{form:?}");
    }
}

/// A publisher relays its media to a player whose server connection honours the player's Set
/// Peer Bandwidth; returns the server's window state after each frame, and the link.
fn send_to_limited_player(frames: usize, window: u32, hold: bool) -> (Vec<bool>, Link) {
    let mut player = Link::new(31, SessionConfig::default());
    player.client.play("limited", -2.0).unwrap();
    player.pump();
    player.client.hold_acknowledgements(hold);
    // Acknowledge every 4000 bytes, and never send more than `window` unacknowledged.
    player
        .client
        .send_message(2, 0, 0, &Message::WindowAckSize(4000));
    let limit = Message::SetPeerBandwidth {
        size: window,
        limit: BandwidthLimit::Hard,
    };
    player.client.send_message(2, 0, 0, &limit);
    player.pump();
    let stream_id = player.client.stream_id().unwrap();
    let mut open = Vec::new();
    for (video, ts, body) in flv_media_tags(&corpus("flv/avatar.flv"))
        .into_iter()
        .take(frames)
    {
        player.server.send_media(stream_id, ts, video, body);
        player.pump();
        open.push(player.server.output_window_open());
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
    let (_, sent, acknowledged) = link.server.counters();
    assert!(sent - u64::from(acknowledged) >= 20_000);
    // Acknowledging again reopens it.
    link.client.hold_acknowledgements(false);
    link.pump();
    assert!(link.server.output_window_open());
}

#[test]
fn set_peer_bandwidth_limit_types_follow_the_spec() {
    let mut link = Link::new(41, SessionConfig::default());
    link.client.play("types", -2.0).unwrap();
    link.pump();
    link.client.hold_acknowledgements(true);
    let stream_id = link.client.stream_id().unwrap();
    let tags = flv_media_tags(&corpus("flv/avatar.flv"));
    let send = |link: &mut Link, limit: Option<(u32, BandwidthLimit)>| {
        if let Some((size, limit)) = limit {
            let message = Message::SetPeerBandwidth { size, limit };
            link.client.send_message(2, 0, 0, &message);
        }
        for (video, ts, body) in tags.iter().take(40).cloned() {
            link.server.send_media(stream_id, ts, video, body);
        }
        link.pump();
        link.server.output_window_open()
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
