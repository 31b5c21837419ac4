//! The case catalog, one file per area, and the steps cases share: connecting, publishing,
//! playing and relaying through the server.

mod chunk;
mod command;
mod control;
mod flow;
mod handshake;
mod invalid;
mod relay;
mod timestamp;

use super::conn::Conn;
use super::media::{self, Tag};
use crate::probe::{Case, Outcome, Probe, Step};
use std::time::Duration;
use weir_rtmp::chunk::RawMessage;
use weir_rtmp::message;
use weir_rtmp::session::{ClientEvent, ClientOptions, PublishKind, SessionConfig};

/// Every case, area by area.
pub fn all() -> impl Iterator<Item = &'static Case> {
    [
        handshake::CASES,
        chunk::CASES,
        timestamp::CASES,
        flow::CASES,
        control::CASES,
        command::CASES,
        relay::CASES,
        invalid::CASES,
    ]
    .into_iter()
    .flatten()
}

/// Connects (handshake and connect) and returns the connection once the server accepted.
fn connect(
    probe: &Probe,
    setup: impl FnOnce(&mut ClientOptions, &mut SessionConfig),
) -> Step<Conn> {
    let mut conn = Conn::open(probe, setup)?;
    conn.flush()?;
    conn.until("connect answered with _result", |e| {
        matches!(
            e,
            ClientEvent::Connected { .. } | ClientEvent::ConnectRejected(_)
        )
    })
    .and_then(|event| match event {
        ClientEvent::ConnectRejected(status) => Err(Outcome::fail(
            "NetConnection.Connect.Success",
            format!("connect refused: {} ({})", status.code, status.description),
        )),
        _ => Ok(()),
    })?;
    Ok(conn)
}

/// Publishes `name` and waits for NetStream.Publish.Start.
fn publisher(
    probe: &Probe,
    name: &str,
    setup: impl FnOnce(&mut ClientOptions, &mut SessionConfig),
) -> Step<Conn> {
    let mut conn = Conn::open(probe, setup)?;
    conn.session
        .publish(name, PublishKind::Live)
        .map_err(|e| Outcome::error(e.to_string()))?;
    conn.flush()?;
    wait_status(&mut conn, "NetStream.Publish.Start")?;
    Ok(conn)
}

/// Plays `name`: waits until the server created the stream and had a moment to answer play
/// (a server may send NetStream.Play.Start only once a publisher is there).
fn player(
    probe: &Probe,
    name: &str,
    setup: impl FnOnce(&mut ClientOptions, &mut SessionConfig),
) -> Step<Conn> {
    let mut conn = Conn::open(probe, setup)?;
    conn.session
        .play(name, -2.0)
        .map_err(|e| Outcome::error(e.to_string()))?;
    conn.flush()?;
    conn.until("createStream answered", |e| {
        matches!(e, ClientEvent::StreamCreated { .. })
    })?;
    conn.idle(Duration::from_millis(300))?;
    if let Some(code) = conn
        .status_codes()
        .into_iter()
        .find(|c| c.ends_with("Failed") || c.ends_with("BadName") || c.ends_with("NotFound"))
    {
        return Err(Outcome::fail("play accepted", format!("onStatus {code}")));
    }
    Ok(conn)
}

/// Waits for an onStatus with `code`; an error status fails the step with its code.
fn wait_status(conn: &mut Conn, code: &str) -> Step<()> {
    let event = conn.until(&format!("onStatus {code}"), |e| match e {
        ClientEvent::Status { status, .. } => status.code == code || status.level == "error",
        ClientEvent::ConnectRejected(_) => true,
        _ => false,
    })?;
    match event {
        ClientEvent::Status { status, .. } if status.code == code => Ok(()),
        ClientEvent::Status { status, .. } => Err(Outcome::fail(
            format!("onStatus {code}"),
            format!("onStatus {} ({})", status.code, status.description),
        )),
        ClientEvent::ConnectRejected(status) => Err(Outcome::fail(
            format!("onStatus {code}"),
            format!("connect refused: {}", status.code),
        )),
        _ => unreachable!("filtered above"),
    }
}

/// A player on a fresh stream, then a publisher sending `tags` to it; returns what the player
/// received, compared with what was sent. `setup` applies to both connections.
fn relay_through(
    probe: &Probe,
    tags: &[Tag],
    setup: impl Fn(&mut ClientOptions, &mut SessionConfig),
) -> Step<Result<String, String>> {
    let name = probe.stream("");
    let mut player = player(probe, &name, &setup)?;
    let mut publisher = publisher(probe, &name, &setup)?;
    let received = media::relay(&mut publisher, &mut player, tags, Duration::from_millis(2))?;
    if let Some(v) = player.violations.first().or(publisher.violations.first()) {
        return Err(Outcome::fail(
            "a server that breaks no rule",
            format!("{} at byte {}: {}", v.rule.id, v.offset, v.detail),
        ));
    }
    Ok(media::compare(tags, &received))
}

/// The verdict of a relay: pass with what matched, or fail with what differed.
fn relay_verdict(compared: Result<String, String>, expected: &str) -> Outcome {
    match compared {
        Ok(matched) => Outcome::pass(matched),
        Err(differed) => Outcome::fail(expected, differed),
    }
}

/// A message of `tag` on chunk stream `csid` of message stream `stream_id`.
pub(super) fn raw(tag: &Tag, csid: u32, stream_id: u32) -> RawMessage {
    RawMessage {
        csid,
        timestamp: tag.timestamp,
        type_id: if tag.video {
            message::VIDEO
        } else {
            message::AUDIO
        },
        stream_id,
        payload: tag.body.clone(),
    }
}

/// A player and a publisher on a fresh stream; the publisher uses 128-byte chunks and has sent
/// the sequence headers of `tags`. Returns both and the publishing message stream id.
pub(super) fn open_pair(probe: &Probe, tags: &[Tag]) -> Step<(Conn, Conn, u32)> {
    let name = probe.stream("");
    let mut player = player(probe, &name, |_, _| {})?;
    let mut publisher = publisher(probe, &name, |_, config| config.chunk_size = 128)?;
    let stream_id = publisher
        .session
        .stream_id()
        .ok_or_else(|| Outcome::error("no stream id"))?;
    for tag in tags.iter().filter(|t| t.is_config()) {
        publisher
            .session
            .send_media(tag.timestamp, tag.video, tag.body.clone())
            .map_err(|e| Outcome::error(e.to_string()))?;
    }
    publisher.flush()?;
    player.idle(Duration::from_millis(100))?;
    Ok((publisher, player, stream_id))
}

/// Reads what the player receives until `frames` frames arrived or three seconds passed.
pub(super) fn collect(player: &mut Conn, publisher: &mut Conn, frames: usize) -> Step<Vec<Tag>> {
    let mut received = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while received.iter().filter(|t: &&Tag| !t.is_config()).count() < frames
        && std::time::Instant::now() < deadline
    {
        player.read(Duration::from_millis(100))?;
        media::take_received(player, &mut received);
        publisher.read(Duration::from_millis(1))?;
    }
    Ok(received)
}
