//! The media a probe publishes — a synthetic H.264 + AAC stream whose bodies are well-formed
//! FLV tag bodies (the AVC decoder configuration is a real x264 one, 320x240 baseline), so any
//! server accepts and relays it — and the comparison of what a player received with it.

use super::conn::Conn;
use crate::probe::{Outcome, Step};
use bytes::{BufMut, Bytes, BytesMut};
use std::time::{Duration, Instant};
use weir_flv::media::write_packet;
use weir_media::MediaKind;
use weir_rtmp::session::{ClientEvent, StreamData};

/// An AVCDecoderConfigurationRecord in an FLV sequence header tag body: x264, 320x240,
/// baseline profile, level 1.3.
const AVC_SEQUENCE_HEADER: &[u8] = &[
    0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xc0, 0x0d, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x42, 0xc0,
    0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03,
    0x20, 0xf1, 0x42, 0xa4, 0x80, 0x01, 0x00, 0x05, 0x68, 0xcb, 0x83, 0xcb, 0x20,
];

/// AAC LC, 44.1 kHz, stereo: the AudioSpecificConfig in an FLV sequence header body.
const AAC_SEQUENCE_HEADER: &[u8] = &[0xaf, 0x00, 0x12, 0x10];

/// One audio or video message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub video: bool,
    pub timestamp: u32,
    pub body: Bytes,
}

impl Tag {
    /// A decoder configuration (sequence header), not a frame.
    pub fn is_config(&self) -> bool {
        self.body.get(1) == Some(&0)
    }
}

/// The shape of a synthetic stream.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Timestamp of the first message, in ms (the rest follow, modulo 2^32).
    pub start: u32,
    /// Video frames at 25 fps, a keyframe every 25; audio frames fill the same time.
    pub video_frames: usize,
    /// Bytes of a delta frame; keyframes are four times larger.
    pub frame_bytes: usize,
    pub seed: u32,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            start: 0,
            video_frames: 50,
            frame_bytes: 3000,
            seed: 1,
        }
    }
}

/// Sequence headers, then video and audio frames in timestamp order.
pub fn stream(shape: Shape) -> Vec<Tag> {
    let at = |ms: u64| shape.start.wrapping_add(ms as u32);
    let mut tags = vec![
        Tag {
            video: true,
            timestamp: at(0),
            body: Bytes::from_static(AVC_SEQUENCE_HEADER),
        },
        Tag {
            video: false,
            timestamp: at(0),
            body: Bytes::from_static(AAC_SEQUENCE_HEADER),
        },
    ];
    let duration_ms = shape.video_frames as u64 * 40;
    let mut audio = 0u64;
    for frame in 0..shape.video_frames as u64 {
        let ms = frame * 40;
        // AAC frames of 1024 samples at 44.1 kHz up to this video frame.
        while audio * 1024 * 1000 / 44_100 <= ms {
            let audio_ms = audio * 1024 * 1000 / 44_100;
            tags.push(Tag {
                video: false,
                timestamp: at(audio_ms),
                body: audio_body(audio as u32 ^ shape.seed),
            });
            audio += 1;
        }
        let keyframe = frame % 25 == 0;
        let size = if keyframe {
            shape.frame_bytes * 4
        } else {
            shape.frame_bytes
        };
        tags.push(Tag {
            video: true,
            timestamp: at(ms),
            body: video_body(keyframe, size, frame as u32 ^ shape.seed.rotate_left(16)),
        });
    }
    debug_assert!(audio * 1024 * 1000 / 44_100 >= duration_ms.saturating_sub(40));
    tags
}

/// An AVC NALU tag body: one IDR or non-IDR slice NAL unit of `size` bytes.
fn video_body(keyframe: bool, size: usize, seed: u32) -> Bytes {
    let mut body = BytesMut::with_capacity(size + 9);
    body.put_slice(&[if keyframe { 0x17 } else { 0x27 }, 0x01, 0, 0, 0]);
    body.put_u32(size as u32);
    body.put_u8(if keyframe { 0x65 } else { 0x41 });
    fill(&mut body, size - 1, seed);
    body.freeze()
}

/// An AAC raw frame tag body of 200 bytes.
fn audio_body(seed: u32) -> Bytes {
    let mut body = BytesMut::with_capacity(202);
    body.put_slice(&[0xaf, 0x01]);
    fill(&mut body, 200, seed);
    body.freeze()
}

fn fill(body: &mut BytesMut, n: usize, seed: u32) {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        body.put_u8(x as u8);
    }
}

/// Takes the audio and video messages out of a player's events, as tag bodies.
pub fn take_received(conn: &mut Conn, into: &mut Vec<Tag>) {
    conn.events.retain(|event| match event {
        ClientEvent::Data {
            timestamp,
            data: StreamData::Media(packet),
            ..
        } => {
            if let Ok(body) = write_packet(packet) {
                into.push(Tag {
                    video: packet.track().kind == MediaKind::Video,
                    timestamp: *timestamp,
                    body,
                });
            }
            false
        }
        _ => true,
    });
}

/// Publishes `tags` one by one, `pace` apart, while the player reads; then reads until it has
/// as many frames as were sent or nothing arrives for two seconds. Returns what it received.
pub fn relay(
    publisher: &mut Conn,
    player: &mut Conn,
    tags: &[Tag],
    pace: Duration,
) -> Step<Vec<Tag>> {
    let mut received = Vec::new();
    for tag in tags {
        publisher
            .session
            .send_media(tag.timestamp, tag.video, tag.body.clone())
            .map_err(|e| Outcome::error(format!("publishing: {e}")))?;
        publisher.flush()?;
        publisher.read(Duration::from_millis(1))?;
        let until = Instant::now() + pace;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            player.read(left)?;
        }
        take_received(player, &mut received);
    }
    let frames = tags.iter().filter(|t| !t.is_config()).count();
    let mut quiet_since = Instant::now();
    while received.iter().filter(|t| !t.is_config()).count() < frames
        && quiet_since.elapsed() < Duration::from_secs(2)
    {
        let before = received.len();
        if let super::conn::Read1::Closed(why) = player.read(Duration::from_millis(200))? {
            take_received(player, &mut received);
            return Err(Outcome::fail("the player to receive every frame", why));
        }
        publisher.read(Duration::from_millis(1))?;
        take_received(player, &mut received);
        if received.len() > before {
            quiet_since = Instant::now();
        }
    }
    Ok(received)
}

/// Compares what a player received with what was published, per track: every frame with the
/// same body, in order, with the same spacing (timestamps modulo 2^32, relative to the first).
/// Decoder configurations must precede the first frame and equal the published ones (a server
/// may send them more than once). `Ok` says what matched.
pub fn compare(sent: &[Tag], received: &[Tag]) -> Result<String, String> {
    let mut matched = Vec::new();
    for (video, track) in [(true, "video"), (false, "audio")] {
        let of = |tags: &[Tag], config: bool| -> Vec<Tag> {
            tags.iter()
                .filter(|t| t.video == video && t.is_config() == config)
                .cloned()
                .collect()
        };
        let (sent_frames, got_frames) = (of(sent, false), of(received, false));
        let (sent_configs, got_configs) = (of(sent, true), of(received, true));
        if let Some(config) = sent_configs.last()
            && !got_configs.iter().any(|c| c.body == config.body)
        {
            return Err(format!(
                "the {track} decoder configuration never arrived ({} configuration message(s) received)",
                got_configs.len()
            ));
        }
        if let (Some(first), Some(config)) = (got_frames.first(), got_configs.first()) {
            let pos = |t: &Tag| received.iter().position(|r| r == t);
            if pos(config) > pos(first) {
                return Err(format!(
                    "a {track} frame arrived before its decoder configuration"
                ));
            }
        }
        if got_frames.len() != sent_frames.len() {
            let first_missing = sent_frames
                .iter()
                .zip(&got_frames)
                .position(|(s, g)| s.body != g.body)
                .unwrap_or(got_frames.len().min(sent_frames.len()));
            return Err(format!(
                "{} of {} {track} frames arrived (the first that differs or is missing is #{first_missing})",
                got_frames.len(),
                sent_frames.len()
            ));
        }
        let (Some(sent0), Some(got0)) = (sent_frames.first(), got_frames.first()) else {
            continue;
        };
        for (i, (s, g)) in sent_frames.iter().zip(&got_frames).enumerate() {
            if s.body != g.body {
                let at = s.body.iter().zip(g.body.iter()).position(|(a, b)| a != b);
                return Err(format!(
                    "{track} frame #{i} differs: {} bytes sent, {} received, first difference at byte {}",
                    s.body.len(),
                    g.body.len(),
                    at.unwrap_or(s.body.len().min(g.body.len()))
                ));
            }
            let sent_at = s.timestamp.wrapping_sub(sent0.timestamp);
            let got_at = g.timestamp.wrapping_sub(got0.timestamp);
            if sent_at != got_at {
                return Err(format!(
                    "{track} frame #{i} arrived at +{got_at} ms (timestamp {}), published at +{sent_at} ms (timestamp {})",
                    g.timestamp, s.timestamp
                ));
            }
        }
        matched.push(format!("{} {track} frames", sent_frames.len()));
    }
    Ok(format!("{} identical, same spacing", matched.join(" and ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_media::{MediaPacket, Timestamp};

    #[test]
    fn the_stream_is_well_formed_flv_and_compares_equal_to_itself() {
        let tags = stream(Shape::default());
        for tag in &tags {
            let mut packets = Vec::new();
            let read = if tag.video {
                weir_flv::media::read_video(
                    Timestamp::from_millis(tag.timestamp.into()),
                    tag.body.clone(),
                    &mut |p| packets.push(p),
                )
            } else {
                weir_flv::media::read_audio(
                    Timestamp::from_millis(tag.timestamp.into()),
                    tag.body.clone(),
                    &mut |p| packets.push(p),
                )
            };
            read.unwrap();
            // What a player gets back is written again with write_packet: it must round-trip.
            assert_eq!(write_packet(&packets[0]).unwrap(), tag.body);
            assert_eq!(
                matches!(packets[0], MediaPacket::Config(_)),
                tag.is_config()
            );
        }
        assert_eq!(
            tags.iter().filter(|t| t.video && !t.is_config()).count(),
            50
        );
        assert!(compare(&tags, &tags).is_ok());
    }

    #[test]
    fn comparison_finds_missing_changed_and_shifted_frames() {
        let sent = stream(Shape {
            start: u32::MAX - 500,
            ..Shape::default()
        });
        let mut missing = sent.clone();
        missing.remove(10);
        assert!(compare(&sent, &missing).unwrap_err().contains("arrived"));
        let mut changed = sent.clone();
        let last = changed.len() - 1;
        let mut body = changed[last].body.to_vec();
        body[20] ^= 1;
        changed[last].body = body.into();
        assert!(compare(&sent, &changed).unwrap_err().contains("differs"));
        let mut shifted = sent.clone();
        shifted[last].timestamp = shifted[last].timestamp.wrapping_add(1);
        assert!(
            compare(&sent, &shifted)
                .unwrap_err()
                .contains("published at")
        );
        // A server that rebases every timestamp (and repeats a configuration) is fine.
        let mut rebased: Vec<Tag> = sent
            .iter()
            .map(|t| Tag {
                timestamp: t.timestamp.wrapping_add(1000),
                ..t.clone()
            })
            .collect();
        rebased.insert(1, rebased[0].clone());
        assert!(compare(&sent, &rebased).is_ok());
    }
}
