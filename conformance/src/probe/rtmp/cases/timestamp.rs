//! Timestamps past 24 bits (the extended timestamp, RTMP 1.0 §5.3.1.3) and across the 2^32
//! wrap. Every message goes out with a full (type 0) header, so that the absolute timestamp is
//! on the wire — in the extended field, repeated in every type 3 chunk, once it reaches
//! 0xFFFFFF — rather than a small delta.

use super::super::media::{self, Shape, Tag};
use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, collect, open_pair, raw, relay_verdict};
use bytes::BytesMut;
use weir_rtmp::chunk::ChunkEncoder;
use weir_rtmp::rules::CHUNK_EXTENDED_TIMESTAMP;

pub const CASES: &[Case] = &[
    Case {
        id: "timestamp.extended",
        rules: &[&live::EXTENDED_TIMESTAMP, &CHUNK_EXTENDED_TIMESTAMP],
        description: "A publisher's timestamps cross 0xFFFFFF ms (4.66 hours) in full headers with extended timestamps; the player gets every frame with the same spacing.",
        run: extended,
    },
    Case {
        id: "timestamp.wrap",
        rules: &[&live::TIMESTAMP_WRAP],
        description: "A publisher's timestamps wrap past 2^32 ms (49.7 days); the player gets every frame in order with the same spacing.",
        run: wrap,
    },
];

/// Publishes a stream starting at `start` ms, each message with a type 0 header in 128-byte
/// chunks, and compares what the player receives.
fn full_headers_from(probe: &Probe, start: u32) -> Step<Result<String, String>> {
    let tags = media::stream(Shape {
        start,
        video_frames: 25,
        frame_bytes: 1500,
        ..Shape::default()
    });
    let (mut publisher, mut player, stream_id) = open_pair(probe, &tags)?;
    let frames: Vec<&Tag> = tags.iter().filter(|t| !t.is_config()).collect();
    for tag in &frames {
        let mut out = BytesMut::new();
        let csid = if tag.video { 10 } else { 11 };
        ChunkEncoder::new()
            .encode(&raw(tag, csid, stream_id), &mut out)
            .map_err(|e| Outcome::error(e.to_string()))?;
        publisher.write(&out)?;
        player.read(std::time::Duration::from_millis(2))?;
    }
    let received = collect(&mut player, &mut publisher, frames.len())?;
    Ok(media::compare(&tags, &received))
}

fn extended(probe: &Probe) -> Step<Outcome> {
    let start = 0x00ff_ffff - 400;
    Ok(relay_verdict(
        full_headers_from(probe, start)?,
        "every frame past 0xFFFFFF ms relayed with its spacing",
    ))
}

fn wrap(probe: &Probe) -> Step<Outcome> {
    let start = u32::MAX - 400;
    Ok(relay_verdict(
        full_headers_from(probe, start)?,
        "every frame across the 2^32 wrap relayed in order with its spacing",
    ))
}
