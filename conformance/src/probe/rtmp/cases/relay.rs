//! Publish, then play back our own stream: every frame byte for byte.

use super::super::media::{self, Shape};
use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, relay_through, relay_verdict};
use weir_rtmp::rules::MEDIA_STREAM_ID;

pub const CASES: &[Case] = &[Case {
    id: "relay.echo",
    rules: &[&live::RELAY, &MEDIA_STREAM_ID],
    description: "A player waits, a publisher sends 4 s of H.264 + AAC; the player gets every frame byte for byte, per track in order, with the same spacing, on its own message stream.",
    run: echo,
}];

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
