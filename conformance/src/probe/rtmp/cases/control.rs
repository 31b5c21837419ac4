//! What the server says on its own around connect and play (RTMP 1.0 §7.2.1.1, §7.2.2.1):
//! Window Acknowledgement Size and Set Peer Bandwidth with the connect answer, Stream Begin
//! before play starts.

use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, connect, player, publisher};
use std::time::Duration;
use weir_rtmp::message::{Message, UserControl};
use weir_rtmp::session::ClientEvent;

pub const CASES: &[Case] = &[
    Case {
        id: "control.window-ack-size",
        rules: &[&live::CONNECT_SEQUENCE],
        description: "The server's answer to connect includes Window Acknowledgement Size (a non-zero window).",
        run: window_ack_size,
    },
    Case {
        id: "control.set-peer-bandwidth",
        rules: &[&live::CONNECT_SEQUENCE],
        description: "The server's answer to connect includes Set Peer Bandwidth (a non-zero window, a legal limit type).",
        run: set_peer_bandwidth,
    },
    Case {
        id: "control.stream-begin",
        rules: &[&live::STREAM_BEGIN],
        description: "A player of a live stream gets User Control Stream Begin for its message stream before onStatus NetStream.Play.Start.",
        run: stream_begin,
    },
];

/// The protocol control messages the server sent by a moment after its connect answer.
fn connect_controls(probe: &Probe) -> Step<Vec<Message>> {
    let mut conn = connect(probe, |_, _| {})?;
    conn.idle(Duration::from_millis(300))?;
    Ok(conn
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Control(message) => Some(message.clone()),
            _ => None,
        })
        .collect())
}

fn window_ack_size(probe: &Probe) -> Step<Outcome> {
    let controls = connect_controls(probe)?;
    Ok(
        match controls.iter().find_map(|m| match m {
            Message::WindowAckSize(size) => Some(*size),
            _ => None,
        }) {
            Some(size) if size > 0 => Outcome::pass(format!("Window Acknowledgement Size {size}")),
            Some(size) => Outcome::fail(
                "a non-zero window",
                format!("Window Acknowledgement Size {size}"),
            ),
            None => Outcome::fail(
                "Window Acknowledgement Size with the connect answer",
                format!("none; the server sent {controls:?}"),
            ),
        },
    )
}

fn set_peer_bandwidth(probe: &Probe) -> Step<Outcome> {
    let controls = connect_controls(probe)?;
    Ok(
        match controls.iter().find_map(|m| match m {
            Message::SetPeerBandwidth { size, limit } => Some((*size, *limit)),
            _ => None,
        }) {
            Some((size, limit)) if size > 0 => {
                Outcome::pass(format!("Set Peer Bandwidth {size} ({limit:?})"))
            }
            Some((size, _)) => {
                Outcome::fail("a non-zero window", format!("Set Peer Bandwidth {size}"))
            }
            None => Outcome::fail(
                "Set Peer Bandwidth with the connect answer",
                format!("none; the server sent {controls:?}"),
            ),
        },
    )
}

fn stream_begin(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    let _publisher = publisher(probe, &name, |_, _| {})?;
    let mut player = player(probe, &name, |_, _| {})?;
    let started = player.until("onStatus NetStream.Play.Start", |e| {
        matches!(e, ClientEvent::Playing { .. })
    })?;
    let ClientEvent::Playing { stream_id } = started else {
        unreachable!("filtered above")
    };
    // Events are queued in arrival order (Play.Start's status where Playing was); a moment
    // more tells a Stream Begin that comes late from none at all.
    player.idle(Duration::from_millis(300))?;
    let start_at = player.events.iter().position(|e| {
        matches!(e, ClientEvent::Status { status, .. } if status.code == "NetStream.Play.Start")
    });
    let begin_at = player.events.iter().position(
        |e| matches!(e, ClientEvent::UserControl(UserControl::StreamBegin(id)) if *id == stream_id),
    );
    Ok(match (begin_at, start_at) {
        (Some(begin), Some(start)) if begin < start => Outcome::pass(format!(
            "Stream Begin {stream_id}, then NetStream.Play.Start"
        )),
        (Some(_), _) => Outcome::fail(
            "Stream Begin before NetStream.Play.Start",
            "Stream Begin came after NetStream.Play.Start",
        ),
        (None, _) => Outcome::fail(
            format!("Stream Begin for message stream {stream_id}"),
            format!(
                "none; user control events: {:?}",
                player
                    .events
                    .iter()
                    .filter_map(|e| match e {
                        ClientEvent::UserControl(u) => Some(u.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            ),
        ),
    })
}
