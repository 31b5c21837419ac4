//! The chunk stream (RTMP 1.0 §5.3-§5.4.2): every legal chunk size both ways, messages
//! interleaved across chunk streams, and Abort.

use super::super::media::{self, Shape, Tag};
use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, collect, open_pair, raw, relay_through, relay_verdict};
use bytes::{Bytes, BytesMut};
use weir_rtmp::chunk::ChunkEncoder;
use weir_rtmp::message::Message;
use weir_rtmp::rules::{CONTROL_ABORT_CSID, CONTROL_SET_CHUNK_SIZE};

pub const CASES: &[Case] = &[
    Case {
        id: "chunk.size-128",
        rules: &[&live::CHUNK_SIZE, &CONTROL_SET_CHUNK_SIZE],
        description: "Publisher and player keep the default 128-byte chunks; 12-80 kB frames relay intact.",
        run: size_128,
    },
    Case {
        id: "chunk.size-4096",
        rules: &[&live::CHUNK_SIZE, &CONTROL_SET_CHUNK_SIZE],
        description: "Both sides announce 4096-byte chunks (FFmpeg's and OBS's size); frames relay intact.",
        run: size_4096,
    },
    Case {
        id: "chunk.size-65536",
        rules: &[&live::CHUNK_SIZE, &CONTROL_SET_CHUNK_SIZE],
        description: "Both sides announce 65536-byte chunks; frames relay intact.",
        run: size_65536,
    },
    Case {
        id: "chunk.size-max",
        rules: &[&live::CHUNK_SIZE, &CONTROL_SET_CHUNK_SIZE],
        description: "Both sides announce the largest legal chunk size, 2147483647 (every message is one chunk); frames relay intact.",
        run: size_max,
    },
    Case {
        id: "chunk.interleave",
        rules: &[&live::INTERLEAVED_CHUNKS],
        description: "Video and audio messages are sent with their 128-byte chunks interleaved on two chunk streams; both arrive whole.",
        run: interleave,
    },
    Case {
        id: "chunk.abort",
        rules: &[&live::ABORT, &CONTROL_ABORT_CSID],
        description: "A video message is cut off by Abort after its first chunk; the next message on that chunk stream arrives, the aborted one never does.",
        run: abort,
    },
    Case {
        id: "chunk.size-1",
        rules: &[&live::CHUNK_SIZE, &CONTROL_SET_CHUNK_SIZE],
        description: "Both sides announce the smallest legal chunk size, 1 byte (a basic header before every payload byte); frames relay intact.",
        run: size_1,
    },
    Case {
        id: "chunk.size-changes",
        rules: &[&live::CHUNK_SIZE, &CONTROL_SET_CHUNK_SIZE],
        description: "A publisher changes its chunk size between messages (1, 4096, 77, 65536, 128, ...); the server reads each message at the size last set and relays every frame intact.",
        run: size_changes,
    },
    Case {
        id: "chunk.csid-2byte",
        rules: &[&live::CHUNK_STREAM_IDS],
        description: "Video on chunk stream 64 and audio on chunk stream 319 (the 2-byte basic header); frames relay intact.",
        run: csid_2byte,
    },
    Case {
        id: "chunk.csid-3byte",
        rules: &[&live::CHUNK_STREAM_IDS],
        description: "Video on chunk stream 320 and audio on chunk stream 65599 (the 3-byte basic header); frames relay intact.",
        run: csid_3byte,
    },
];

/// Large frames (20 kB, keyframes 80 kB), so that every size from 128 to 65536 splits some.
fn large_frames() -> Vec<Tag> {
    media::stream(Shape {
        video_frames: 26,
        frame_bytes: 20_000,
        ..Shape::default()
    })
}

fn sized(probe: &Probe, size: u32) -> Step<Outcome> {
    let tags = large_frames();
    let compared = relay_through(probe, &tags, |_, config| config.chunk_size = size)?;
    Ok(relay_verdict(
        compared.map(|matched| format!("at {size}-byte chunks: {matched}")),
        "every frame relayed at this chunk size",
    ))
}

fn size_128(probe: &Probe) -> Step<Outcome> {
    sized(probe, 128)
}

fn size_4096(probe: &Probe) -> Step<Outcome> {
    sized(probe, 4096)
}

fn size_65536(probe: &Probe) -> Step<Outcome> {
    sized(probe, 65536)
}

fn size_max(probe: &Probe) -> Step<Outcome> {
    sized(probe, 0x7fff_ffff)
}

fn interleave(probe: &Probe) -> Step<Outcome> {
    let tags = media::stream(Shape {
        video_frames: 8,
        frame_bytes: 5000,
        ..Shape::default()
    });
    let (mut publisher, mut player, stream_id) = open_pair(probe, &tags)?;
    // Each video frame with the audio frames up to it, chunks round-robin on chunk streams 10
    // (video) and 11 (audio): a fresh encoder, so every message starts with a full header.
    let frames: Vec<&Tag> = tags.iter().filter(|t| !t.is_config()).collect();
    let mut encoder = ChunkEncoder::new();
    let mut group = Vec::new();
    for tag in &frames {
        group.push(raw(tag, if tag.video { 10 } else { 11 }, stream_id));
        if tag.video {
            let mut out = BytesMut::new();
            encoder
                .encode_interleaved(&group, &mut out)
                .map_err(|e| Outcome::error(e.to_string()))?;
            publisher.write(&out)?;
            group.clear();
        }
    }
    let mut out = BytesMut::new();
    encoder
        .encode_interleaved(&group, &mut out)
        .map_err(|e| Outcome::error(e.to_string()))?;
    publisher.write(&out)?;
    let received = collect(&mut player, &mut publisher, frames.len())?;
    Ok(relay_verdict(
        media::compare(&tags, &received),
        "every interleaved message reassembled",
    ))
}

fn abort(probe: &Probe) -> Step<Outcome> {
    let tags = media::stream(Shape {
        video_frames: 4,
        frame_bytes: 1000,
        ..Shape::default()
    });
    let (mut publisher, mut player, stream_id) = open_pair(probe, &tags)?;
    let frames: Vec<&Tag> = tags.iter().filter(|t| !t.is_config()).collect();
    for (i, tag) in frames.iter().enumerate() {
        if i == 2 {
            // A message of 1000 other bytes on chunk stream 12, cut off after its first chunk
            // (a 12-byte header and 128 bytes), then aborted.
            let cut = Tag {
                video: true,
                timestamp: tag.timestamp,
                body: Bytes::from(vec![0x27; 1000]),
            };
            let mut out = BytesMut::new();
            ChunkEncoder::new()
                .encode(&raw(&cut, 12, stream_id), &mut out)
                .map_err(|e| Outcome::error(e.to_string()))?;
            publisher.write(&out[..12 + 128])?;
            let abort = Message::Abort { csid: 12 };
            publisher
                .session
                .send_message(2, 0, 0, &abort)
                .map_err(|e| Outcome::error(e.to_string()))?;
            publisher.flush()?;
        }
        let mut out = BytesMut::new();
        ChunkEncoder::new()
            .encode(&raw(tag, 12, stream_id), &mut out)
            .map_err(|e| Outcome::error(e.to_string()))?;
        publisher.write(&out)?;
    }
    let received = collect(&mut player, &mut publisher, frames.len())?;
    Ok(relay_verdict(
        media::compare(&tags, &received),
        "the aborted message dropped and every other one relayed",
    ))
}

fn size_1(probe: &Probe) -> Step<Outcome> {
    let tags = media::stream(Shape {
        video_frames: 10,
        frame_bytes: 500,
        ..Shape::default()
    });
    let compared = relay_through(probe, &tags, |_, config| config.chunk_size = 1)?;
    Ok(relay_verdict(
        compared.map(|matched| format!("at 1-byte chunks: {matched}")),
        "every frame relayed at 1-byte chunks",
    ))
}

fn size_changes(probe: &Probe) -> Step<Outcome> {
    let tags = media::stream(Shape {
        video_frames: 30,
        frame_bytes: 2000,
        ..Shape::default()
    });
    let (mut publisher, mut player, _) = open_pair(probe, &tags)?;
    let sizes = [1, 4096, 77, 65536, 128, 0x7fff_ffff, 1000];
    let frames: Vec<&Tag> = tags.iter().filter(|t| !t.is_config()).collect();
    for (i, tag) in frames.iter().enumerate() {
        if i % 6 == 0 {
            let size = sizes[(i / 6) % sizes.len()];
            publisher
                .session
                .send_message(2, 0, 0, &Message::SetChunkSize(size))
                .map_err(|e| Outcome::error(e.to_string()))?;
        }
        publisher
            .session
            .send_media(tag.timestamp, tag.video, tag.body.clone())
            .map_err(|e| Outcome::error(e.to_string()))?;
        publisher.flush()?;
        player.read(std::time::Duration::from_millis(2))?;
    }
    let received = collect(&mut player, &mut publisher, frames.len())?;
    Ok(relay_verdict(
        media::compare(&tags, &received),
        "every frame relayed at whichever chunk size was last set",
    ))
}

/// Publishes frames with video on chunk stream `video` and audio on `audio`, headers
/// compressed as usual (type 0, then types 1-3), and compares what the player receives.
fn on_chunk_streams(probe: &Probe, video: u32, audio: u32) -> Step<Outcome> {
    let tags = media::stream(Shape {
        video_frames: 15,
        frame_bytes: 1500,
        ..Shape::default()
    });
    let (mut publisher, mut player, stream_id) = open_pair(probe, &tags)?;
    let frames: Vec<&Tag> = tags.iter().filter(|t| !t.is_config()).collect();
    let mut encoder = ChunkEncoder::new();
    for tag in &frames {
        let mut out = BytesMut::new();
        let csid = if tag.video { video } else { audio };
        encoder
            .encode(&raw(tag, csid, stream_id), &mut out)
            .map_err(|e| Outcome::error(e.to_string()))?;
        publisher.write(&out)?;
        player.read(std::time::Duration::from_millis(2))?;
    }
    let received = collect(&mut player, &mut publisher, frames.len())?;
    Ok(relay_verdict(
        media::compare(&tags, &received)
            .map(|m| format!("on chunk streams {video} and {audio}: {m}")),
        "every frame relayed from these chunk streams",
    ))
}

fn csid_2byte(probe: &Probe) -> Step<Outcome> {
    on_chunk_streams(probe, 64, 319)
}

fn csid_3byte(probe: &Probe) -> Step<Outcome> {
    on_chunk_streams(probe, 320, 65599)
}
