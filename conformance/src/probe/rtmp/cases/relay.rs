//! Publish, then play back our own stream: every frame byte for byte, to one player or two, one
//! track or both, and to a player that joins a running stream.

use super::super::media::{self, Shape, Tag};
use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, collect, player, publisher, relay_through, relay_verdict};
use std::time::Duration;
use weir_rtmp::rules::MEDIA_STREAM_ID;

pub const CASES: &[Case] = &[
    Case {
        id: "relay.echo",
        rules: &[&live::RELAY, &MEDIA_STREAM_ID],
        description: "A player waits, a publisher sends 4 s of H.264 + AAC; the player gets every frame byte for byte, per track in order, with the same spacing, on its own message stream.",
        run: echo,
    },
    Case {
        id: "relay.two-players",
        rules: &[&live::RELAY, &MEDIA_STREAM_ID],
        description: "Two players wait on one stream; each gets every published frame byte for byte, on its own message stream.",
        run: two_players,
    },
    Case {
        id: "relay.audio-only",
        rules: &[&live::RELAY],
        description: "A publisher sends AAC only (no video ever); the player gets every audio frame.",
        run: audio_only,
    },
    Case {
        id: "relay.video-only",
        rules: &[&live::RELAY],
        description: "A publisher sends H.264 only (no audio ever); the player gets every video frame.",
        run: video_only,
    },
    Case {
        id: "relay.late-join",
        rules: &[&live::LATE_JOIN],
        description: "A player joins a stream 1.2 s (past a keyframe) after the publisher started; its first video frame is a keyframe, after the AVC sequence header.",
        run: late_join,
    },
];

fn echo(probe: &Probe) -> Step<Outcome> {
    let tags = media::stream(Shape {
        video_frames: 100,
        ..Shape::default()
    });
    let compared = relay_through(probe, &tags, |_, _| {})?;
    Ok(relay_verdict(
        compared,
        "every published frame played back unchanged",
    ))
}

fn two_players(probe: &Probe) -> Step<Outcome> {
    let tags = media::stream(Shape {
        video_frames: 20,
        frame_bytes: 2000,
        ..Shape::default()
    });
    let name = probe.stream("");
    let mut first = player(probe, &name, |_, _| {})?;
    let mut second = player(probe, &name, |_, _| {})?;
    let mut publisher = publisher(probe, &name, |_, _| {})?;
    let got_first = media::relay(&mut publisher, &mut first, &tags, Duration::from_millis(2))?;
    let frames = tags.iter().filter(|t| !t.is_config()).count();
    let got_second = collect(&mut second, &mut publisher, frames)?;
    if let Some(v) = first.violations.first().or(second.violations.first()) {
        return Ok(Outcome::fail(
            "a server that breaks no rule",
            format!("{} at byte {}: {}", v.rule.id, v.offset, v.detail),
        ));
    }
    Ok(
        match (
            media::compare(&tags, &got_first),
            media::compare(&tags, &got_second),
        ) {
            (Ok(matched), Ok(_)) => Outcome::pass(format!("both players: {matched}")),
            (Err(differed), _) => Outcome::fail("every frame to the first player", differed),
            (_, Err(differed)) => Outcome::fail("every frame to the second player", differed),
        },
    )
}

fn one_track(probe: &Probe, video: bool) -> Step<Outcome> {
    let tags: Vec<Tag> = media::stream(Shape {
        video_frames: 25,
        frame_bytes: 2000,
        ..Shape::default()
    })
    .into_iter()
    .filter(|t| t.video == video)
    .collect();
    let compared = relay_through(probe, &tags, |_, _| {})?;
    Ok(relay_verdict(
        compared,
        "every frame of the one track relayed",
    ))
}

fn audio_only(probe: &Probe) -> Step<Outcome> {
    one_track(probe, false)
}

fn video_only(probe: &Probe) -> Step<Outcome> {
    one_track(probe, true)
}

fn late_join(probe: &Probe) -> Step<Outcome> {
    let tags = media::stream(Shape {
        video_frames: 60,
        frame_bytes: 1500,
        ..Shape::default()
    });
    let name = probe.stream("");
    let mut publisher = publisher(probe, &name, |_, _| {})?;
    // Up to video frame 30 (1.2 s: keyframes at 0 and 25) before the player comes.
    let joined_at = tags
        .iter()
        .position(|t| t.video && t.timestamp == 1200)
        .unwrap_or(tags.len());
    let send = |publisher: &mut super::Conn, tag: &Tag| -> Step<()> {
        publisher
            .session
            .send_media(tag.timestamp, tag.video, tag.body.clone())
            .map_err(|e| Outcome::error(e.to_string()))?;
        publisher.flush()
    };
    for tag in &tags[..joined_at] {
        send(&mut publisher, tag)?;
        publisher.read(Duration::from_millis(1))?;
    }
    let mut player = player(probe, &name, |_, _| {})?;
    for tag in &tags[joined_at..] {
        send(&mut publisher, tag)?;
        publisher.read(Duration::from_millis(1))?;
        player.read(Duration::from_millis(2))?;
    }
    let rest = tags[joined_at..].iter().filter(|t| !t.is_config()).count();
    let received = collect(&mut player, &mut publisher, rest)?;
    let video: Vec<&Tag> = received.iter().filter(|t| t.video).collect();
    let Some(first) = video.iter().position(|t| !t.is_config()) else {
        return Ok(Outcome::fail(
            "video frames to the late player",
            format!("no video frame among {} messages", received.len()),
        ));
    };
    let keyframe = video[first].body.first().is_some_and(|b| b >> 4 == 1);
    Ok(if !video[..first].iter().any(|t| t.is_config()) {
        Outcome::fail(
            "the AVC sequence header before the first video frame",
            "the first video frame came without one",
        )
    } else if !keyframe {
        Outcome::fail(
            "a keyframe first",
            format!(
                "the first video frame (timestamp {}) is not a keyframe",
                video[first].timestamp
            ),
        )
    } else {
        Outcome::pass(format!(
            "sequence header, then a keyframe at timestamp {}",
            video[first].timestamp
        ))
    })
}
