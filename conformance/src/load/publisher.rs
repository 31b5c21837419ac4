//! The publisher: sends an FLV file's metadata, then its audio and video tags in a loop at the
//! pace of their timestamps. Timestamps stay continuous across loops (each loop starts one
//! frame interval after the last one ended), and the sequence headers go only in the first
//! loop, so players see one long stream.

use super::Target;
use super::link::Link;
use super::stamp;
use super::stats::Shared;
use bytes::Bytes;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};
use weir_amf0::Value;
use weir_flv::media::{read_audio, read_video};
use weir_flv::{ScriptData, TagType, read_tags};
use weir_media::MediaPacket;
use weir_media::Timestamp;
use weir_rtmp::session::{ClientEvent, PublishKind};

/// One audio or video tag, ready to send.
#[derive(Debug, Clone)]
struct MediaTag {
    /// Milliseconds from the file's first media tag.
    at: u64,
    video: bool,
    /// A decoder configuration (sequence header): sent in the first loop only.
    config: bool,
    body: Bytes,
    /// What the tag carries, read (the GB28181 devices mux these into PS).
    packets: Vec<MediaPacket>,
}

/// A file read once, sent many times.
#[derive(Debug)]
pub struct FlvLoop {
    metadata: Option<Value>,
    tags: Vec<MediaTag>,
    /// Milliseconds from one loop's start to the next's.
    period: u64,
}

impl FlvLoop {
    pub fn read(path: &Path) -> Result<FlvLoop, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads the tags of a whole file; unreadable media is an error (a load run should send
    /// what players can read).
    pub fn parse(file: &[u8]) -> Result<FlvLoop, String> {
        let mut metadata = None;
        let mut tags: Vec<MediaTag> = Vec::new();
        let mut first = None;
        for tag in read_tags(file).map_err(|e| e.to_string())? {
            let video = match tag.header.tag_type {
                TagType::Audio => false,
                TagType::Video => true,
                TagType::Script => {
                    let script = ScriptData::parse(&tag.body, &Default::default())
                        .map_err(|e| format!("script tag at byte {}: {e}", tag.offset))?;
                    metadata = metadata.or_else(|| script.metadata().cloned());
                    continue;
                }
                _ => continue,
            };
            let mut packets = Vec::new();
            let mut seen = |packet: MediaPacket| packets.push(packet);
            let ts = tag.header.timestamp;
            let read = if video {
                read_video(
                    Timestamp::from_millis(ts.into()),
                    tag.body.clone(),
                    &mut seen,
                )
            } else {
                read_audio(
                    Timestamp::from_millis(ts.into()),
                    tag.body.clone(),
                    &mut seen,
                )
            };
            read.map_err(|e| format!("tag at byte {}: {e}", tag.offset))?;
            let first = *first.get_or_insert(ts);
            tags.push(MediaTag {
                at: u64::from(ts.saturating_sub(first)),
                video,
                config: packets.iter().any(|p| matches!(p, MediaPacket::Config(_))),
                body: tag.body,
                packets,
            });
        }
        // Interleaved tracks may step back a little; the loop starts after the latest.
        let last = tags
            .iter()
            .map(|t| t.at)
            .max()
            .ok_or("no audio or video tags")?;
        Ok(FlvLoop {
            metadata,
            period: last + frame_interval(&tags),
            tags,
        })
    }

    /// The configurations and frames of the file, read, in tag order.
    pub(super) fn packets(&self) -> impl Iterator<Item = &MediaPacket> {
        self.tags.iter().flat_map(|tag| &tag.packets)
    }

    /// The tags of loop `round` (0 first) with their timestamps in milliseconds.
    fn round(&self, round: u64) -> impl Iterator<Item = (u64, &MediaTag)> {
        let start = round * self.period;
        self.tags
            .iter()
            .filter(move |tag| round == 0 || !tag.config)
            .map(move |tag| (start + tag.at, tag))
    }
}

/// The mean gap between video frames (audio frames when there is no video), at least 1 ms.
fn frame_interval(tags: &[MediaTag]) -> u64 {
    let video = tags.iter().any(|t| t.video);
    let times: Vec<u64> = tags
        .iter()
        .filter(|t| t.video == video && !t.config)
        .map(|t| t.at)
        .collect();
    match (times.first(), times.last()) {
        (Some(first), Some(last)) if times.len() > 1 => {
            ((last - first) / (times.len() as u64 - 1)).max(1)
        }
        _ => 1,
    }
}

/// How long the server may take to answer publish.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// Publishes `file` in a loop until the run ends. `ready` hears once publishing started (or
/// why it did not); errors after that are counted like a player's.
pub(super) async fn publish(
    target: Arc<Target>,
    file: Arc<FlvLoop>,
    shared: Arc<Shared>,
    ready: oneshot::Sender<Result<(), String>>,
) {
    let mut link = match start(&target, &shared).await {
        Ok(link) => link,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    if let Err(e) = send_loop(&mut link, &file, &shared).await {
        shared.errors.note(|| format!("publisher: {e}"));
    }
}

async fn start(target: &Target, shared: &Arc<Shared>) -> Result<Link, String> {
    let mut link = Link::open(target, u64::MAX, shared.clone()).await?;
    link.session
        .publish(&target.stream, PublishKind::Live)
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + PUBLISH_TIMEOUT;
    let mut publishing = false;
    while !publishing {
        link.flush(|event| match event {
            ClientEvent::Publishing { .. } => {
                publishing = true;
                Ok(())
            }
            ClientEvent::Status { status, .. } if status.is_error() => {
                Err(format!("{}: {}", status.code, status.description))
            }
            ClientEvent::ConnectRejected(status) => Err(format!(
                "connect rejected: {}: {}",
                status.code, status.description
            )),
            _ => Ok(()),
        })
        .await
        .map_err(|e| format!("publish {}: {e}", target.stream))?;
        if !publishing {
            tokio::time::timeout_at(deadline, link.receive())
                .await
                .map_err(|_| format!("publish {}: no NetStream.Publish.Start", target.stream))?
                .map_err(|e| format!("publish {}: {e}", target.stream))?;
        }
    }
    Ok(link)
}

async fn send_loop(link: &mut Link, file: &FlvLoop, shared: &Shared) -> Result<(), String> {
    if let Some(metadata) = &file.metadata {
        link.session
            .send_metadata(metadata.clone())
            .map_err(|e| e.to_string())?;
    }
    let start = Instant::now();
    let counters = &shared.publisher;
    for round in 0.. {
        for (at, tag) in file.round(round) {
            let due = start + Duration::from_millis(at);
            // Keep reading (acknowledgements, pings) while waiting for the tag's time.
            while Instant::now() < due {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => break,
                    read = link.receive() => { read?; }
                }
                link.flush(|_| Ok(())).await?;
            }
            // RTMP timestamps are 32-bit milliseconds and wrap (RTMP 1.0 §5.3.1.3). Video
            // frames carry the time they leave, for the players' delays.
            let body = match tag.video {
                true => stamp::stamp(&tag.body, stamp::now_us()),
                false => tag.body.clone(),
            };
            link.session
                .send_media(at as u32, tag.video, body)
                .map_err(|e| e.to_string())?;
            link.flush(|_| Ok(())).await?;
            counters.tags.fetch_add(1, Relaxed);
            counters.bytes.fetch_add(tag.body.len() as u64, Relaxed);
        }
        counters.loops.fetch_add(1, Relaxed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(path: &str) -> std::path::PathBuf {
        let root = std::env::var("WEIR_CORPUS")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus").into());
        std::path::PathBuf::from(root).join(path)
    }

    #[test]
    fn reads_avatar_flv_once_and_loops_it_with_continuous_timestamps() {
        // ffprobe: avatar.flv is 11.44 s of H.264 768x320 and AAC; 771 media tags.
        let file = FlvLoop::read(&corpus("flv/avatar.flv")).unwrap();
        assert_eq!(file.tags.len(), 771);
        let configs: Vec<bool> = file
            .tags
            .iter()
            .filter(|t| t.config)
            .map(|t| t.video)
            .collect();
        assert_eq!(configs.len(), 2, "one AVC and one AAC sequence header");
        assert!(configs.contains(&true) && configs.contains(&false));
        let meta = file.metadata.as_ref().expect("onMetaData");
        assert_eq!(meta.get("width").and_then(Value::as_f64), Some(768.0));
        assert_eq!(file.round(0).count(), 771);
        assert_eq!(
            file.round(1).count(),
            769,
            "no sequence headers after the first loop"
        );
        for video in [false, true] {
            let track: Vec<u64> = (0..3)
                .flat_map(|round| file.round(round))
                .filter(|(_, tag)| tag.video == video)
                .map(|(at, _)| at)
                .collect();
            let steps: Vec<u64> = track.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
            // Each track goes forward across the loops, by at most a frame or two at the seams.
            assert!(steps.iter().all(|&s| s <= 100), "video {video}: {steps:?}");
        }
        assert!((11_250..11_450).contains(&file.period), "{}", file.period);
    }

    #[test]
    fn refuses_a_file_without_media_and_bytes_that_are_not_flv() {
        let header_only = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00";
        assert_eq!(
            FlvLoop::parse(header_only).unwrap_err(),
            "no audio or video tags"
        );
        assert!(FlvLoop::parse(b"not an FLV file at all").is_err());
    }
}
