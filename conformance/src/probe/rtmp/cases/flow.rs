//! Flow control (RTMP 1.0 §5.4.3-§5.4.5): the server acknowledges by the window we announce,
//! and holds its output to the window we give it with Set Peer Bandwidth.

use super::super::media::{self, Shape};
use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, player, publisher};
use std::time::{Duration, Instant};
use weir_rtmp::message::{BandwidthLimit, Message};

pub const CASES: &[Case] = &[
    Case {
        id: "flow.acknowledgement",
        rules: &[&live::ACKNOWLEDGEMENT],
        description: "A publisher announces a 64 kB acknowledgement window and sends 1 MB: the server acknowledges before each 64 kB are unacknowledged.",
        run: acknowledgement,
    },
    Case {
        id: "flow.peer-bandwidth",
        rules: &[&live::PEER_BANDWIDTH],
        description: "A player sets a hard 100 kB peer bandwidth and stops acknowledging: the server stops sending at the window, and resumes when the player acknowledges.",
        run: peer_bandwidth,
    },
    Case {
        id: "flow.ack-sequence",
        rules: &[&live::ACK_SEQUENCE],
        description: "A publisher announces a 64 kB acknowledgement window and sends 1 MB: the server's last Acknowledgement counts the bytes it received, no more than were sent and less than a window short of them.",
        run: ack_sequence,
    },
];

const ACK_WINDOW: u32 = 64 * 1024;

/// The bytes sent and not yet acknowledged; sequence numbers are modulo 2^32 (RTMP 1.0
/// §5.4.3). An Acknowledgement ahead of what was sent leaves none: that is
/// `rtmp.server.ack-sequence`'s to judge (`flow.ack-sequence`), not a late acknowledgement.
fn unacknowledged(sent: u64, acknowledged: u32) -> u32 {
    match (sent as u32).wrapping_sub(acknowledged) {
        ahead if ahead > u32::MAX / 2 => 0,
        left => left,
    }
}

/// A publisher that announced [`ACK_WINDOW`] and sent 1 MB, once the server caught up (or 5 s
/// passed): the connection, and the most bytes seen waiting for an acknowledgement on the way.
fn windowed_publish(probe: &Probe) -> Step<(super::Conn, u64)> {
    let name = probe.stream("");
    let mut publisher = publisher(probe, &name, |_, _| {})?;
    publisher
        .session
        .send_message(2, 0, 0, &Message::WindowAckSize(ACK_WINDOW))
        .map_err(|e| Outcome::error(e.to_string()))?;
    publisher.flush()?;
    let tags = media::stream(Shape {
        video_frames: 60,
        frame_bytes: 12_000,
        ..Shape::default()
    });
    // The most bytes seen waiting for an acknowledgement, each time we send: for the note only,
    // since bytes still in the sockets' buffers count too.
    let mut worst = 0u64;
    for tag in &tags {
        publisher
            .session
            .send_media(tag.timestamp, tag.video, tag.body.clone())
            .map_err(|e| Outcome::error(e.to_string()))?;
        publisher.flush()?;
        publisher.read(Duration::from_millis(3))?;
        let (_, sent, acknowledged) = publisher.session.counters();
        worst = worst.max(u64::from(unacknowledged(sent, acknowledged)));
    }
    // Once the server has read everything (bytes still in the sockets' buffers count as
    // unacknowledged until then), fewer than a window's bytes may wait for an acknowledgement.
    let caught_up = Instant::now() + Duration::from_secs(5);
    loop {
        publisher.idle(Duration::from_millis(100))?;
        let (_, sent, acknowledged) = publisher.session.counters();
        if unacknowledged(sent, acknowledged) < ACK_WINDOW || Instant::now() > caught_up {
            return Ok((publisher, worst));
        }
    }
}

fn acknowledgement(probe: &Probe) -> Step<Outcome> {
    let (publisher, worst) = windowed_publish(probe)?;
    let (_, sent, acknowledged) = publisher.session.counters();
    let left = unacknowledged(sent, acknowledged);
    Ok(if acknowledged == 0 {
        Outcome::fail(
            format!("an Acknowledgement every {ACK_WINDOW} bytes"),
            format!("no Acknowledgement after {sent} bytes"),
        )
    } else if left >= ACK_WINDOW {
        Outcome::fail(
            format!("fewer than {ACK_WINDOW} bytes unacknowledged once the server caught up"),
            format!(
                "{left} bytes unacknowledged at the end of {sent}, at worst {worst} on the way"
            ),
        )
    } else {
        Outcome::pass(format!(
            "acknowledged {acknowledged} of {sent} bytes; at worst {worst} bytes waited for an acknowledgement"
        ))
    })
}

const PEER_WINDOW: u32 = 100 * 1024;

fn peer_bandwidth(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    let mut player = player(probe, &name, |_, _| {})?;
    player.session.hold_acknowledgements(true);
    // Small acknowledgement windows on both sides, so that the numbers are about this window.
    player
        .session
        .send_message(2, 0, 0, &Message::WindowAckSize(16 * 1024))
        .map_err(|e| Outcome::error(e.to_string()))?;
    let limit = Message::SetPeerBandwidth {
        size: PEER_WINDOW,
        limit: BandwidthLimit::Hard,
    };
    player
        .session
        .send_message(2, 0, 0, &limit)
        .map_err(|e| Outcome::error(e.to_string()))?;
    player.flush()?;
    let mut publisher = publisher(probe, &name, |_, _| {})?;
    let tags = media::stream(Shape {
        video_frames: 75,
        frame_bytes: 10_000,
        ..Shape::default()
    });
    let total: usize = tags.iter().map(|t| t.body.len()).sum();
    let (received_before, _, _) = player.session.counters();
    for tag in &tags {
        publisher
            .session
            .send_media(tag.timestamp, tag.video, tag.body.clone())
            .map_err(|e| Outcome::error(e.to_string()))?;
        publisher.flush()?;
        publisher.read(Duration::from_millis(1))?;
        player.read(Duration::from_millis(2))?;
    }
    player.idle(Duration::from_millis(700))?;
    let (received_held, _, _) = player.session.counters();
    let held = received_held - received_before;
    // Resume acknowledging: more must come (the server resumes at a keyframe, so send more).
    player.session.hold_acknowledgements(false);
    player.flush()?;
    let more = media::stream(Shape {
        start: 3000,
        video_frames: 50,
        frame_bytes: 2000,
        seed: 7,
    });
    let resumed_by = Instant::now() + Duration::from_secs(3);
    let mut resumed = 0;
    for tag in more.iter().filter(|t| !t.is_config()) {
        publisher
            .session
            .send_media(tag.timestamp, tag.video, tag.body.clone())
            .map_err(|e| Outcome::error(e.to_string()))?;
        publisher.flush()?;
        publisher.read(Duration::from_millis(1))?;
        player.read(Duration::from_millis(5))?;
        let (now, _, _) = player.session.counters();
        resumed = now - received_held;
        if Instant::now() > resumed_by {
            break;
        }
    }
    // What the window allows, plus one message the server may have been writing when it
    // filled, plus the server's small control messages.
    let allowed = u64::from(PEER_WINDOW) + 41_000 + 1024;
    Ok(if held > allowed {
        Outcome::fail(
            format!("at most {PEER_WINDOW} bytes (plus one message) without acknowledgement"),
            format!("{held} bytes of {total} arrived while the player acknowledged nothing"),
        )
    } else if resumed == 0 {
        Outcome::fail(
            "media again once the player acknowledges",
            format!("nothing more after the acknowledgement ({held} bytes before it)"),
        )
    } else {
        Outcome::pass(format!(
            "{held} bytes of {total} while acknowledgements were held, {resumed} more once acknowledged"
        ))
    })
}

/// The handshake's C0, C1 and C2: a server may count them in its sequence number or not.
const HANDSHAKE_BYTES: u64 = 1 + 1536 + 1536;

fn ack_sequence(probe: &Probe) -> Step<Outcome> {
    let (publisher, _) = windowed_publish(probe)?;
    let (_, _, acknowledged) = publisher.session.counters();
    // Every byte that went on the wire, handshake included (well under 2^32 here).
    let written = publisher.written;
    let least = written.saturating_sub(HANDSHAKE_BYTES + u64::from(ACK_WINDOW));
    let sequence = u64::from(acknowledged);
    Ok(if acknowledged == 0 {
        Outcome::fail(
            "an Acknowledgement",
            format!("no Acknowledgement after {written} bytes"),
        )
    } else if sequence > written {
        Outcome::fail(
            format!("a sequence number of at most the {written} bytes sent"),
            format!("Acknowledgement {sequence}"),
        )
    } else if sequence < least {
        Outcome::fail(
            format!(
                "a sequence number of at least {least} once the server read all {written} bytes"
            ),
            format!("Acknowledgement {sequence}"),
        )
    } else {
        Outcome::pass(format!(
            "Acknowledgement {sequence} of {written} bytes sent (handshake included)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::unacknowledged;

    #[test]
    fn an_acknowledgement_ahead_leaves_nothing_unacknowledged() {
        assert_eq!(unacknowledged(100_000, 40_000), 60_000);
        // Across the 2^32 wrap.
        assert_eq!(unacknowledged((1 << 32) + 10, u32::MAX - 9), 20);
        // 1 MB ahead of the bytes sent.
        assert_eq!(unacknowledged(853_313, 1_853_313), 0);
    }
}
