//! What a simulated device streams: the configurations and frames of an FLV file (read by the
//! RTMP publisher's [`FlvLoop`]) or of an MPEG-TS file (read by `weir-mpegts`'s demuxer), on
//! the 90 kHz clock from 0, looped with continuous timestamps.

use crate::load::FlvLoop;
use std::path::Path;
use weir_media::{Frame, MediaKind, MediaPacket, Output, Timestamp, TrackConfig};
use weir_mpegts::{DemuxEvent, Demuxer, Limits};

/// A file read once, streamed many times.
#[derive(Debug, Clone)]
pub struct Media {
    /// Every track's first configuration: given to each device's muxer once.
    pub configs: Vec<TrackConfig>,
    /// The frames in send order, DTS from 0.
    pub frames: Vec<Frame>,
    /// From one loop's start to the next's.
    pub period: Timestamp,
}

impl Media {
    /// Reads `path`: `.ts` (or `.m2ts`, `.mts`) as MPEG-TS, anything else as FLV.
    pub fn read(path: &Path) -> Result<Media, String> {
        let ts = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ts" | "m2ts" | "mts"));
        let media = if ts {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Self::from_ts(&bytes)
        } else {
            FlvLoop::read(path).and_then(|flv| Self::from_packets(flv.packets().cloned()))
        };
        media.map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads an MPEG-TS file's tracks and frames.
    pub fn from_ts(file: &[u8]) -> Result<Media, String> {
        let mut demuxer = Demuxer::new(Limits::default());
        let now = std::time::Instant::now();
        let mut packets = Vec::new();
        let mut drain = |demuxer: &mut Demuxer| {
            while let Some(output) = weir_media::Machine::poll_output(demuxer) {
                match output {
                    Output::Event(DemuxEvent::Config(c)) => packets.push(MediaPacket::Config(c)),
                    Output::Event(DemuxEvent::Frame(f)) => packets.push(MediaPacket::Frame(f)),
                    _ => {}
                }
            }
        };
        weir_media::Machine::handle_input(&mut demuxer, now, file).map_err(|e| e.to_string())?;
        drain(&mut demuxer);
        weir_media::Machine::handle_end(&mut demuxer, now).map_err(|e| e.to_string())?;
        drain(&mut demuxer);
        Self::from_packets(packets)
    }

    /// Keeps each track's first configuration and the frames of tracks PS can carry, timed
    /// from the first frame's DTS. G.711, which has no configuration record (FLV's legacy
    /// audio carries none), is configured by its first frame.
    pub fn from_packets(packets: impl IntoIterator<Item = MediaPacket>) -> Result<Media, String> {
        let mut configs: Vec<TrackConfig> = Vec::new();
        let mut frames: Vec<Frame> = Vec::new();
        for packet in packets {
            match packet {
                MediaPacket::Config(c) if !configs.iter().any(|k| k.track == c.track) => {
                    configs.push(c)
                }
                MediaPacket::Frame(f) if configs.iter().any(|k| k.track == f.track) => {
                    frames.push(f)
                }
                MediaPacket::Frame(f) => {
                    if let Some(config) = TrackConfig::without_record(f.track, f.codec) {
                        configs.push(config);
                        frames.push(f)
                    }
                }
                _ => {}
            }
        }
        let start = frames
            .iter()
            .map(|f| f.dts)
            .min()
            .ok_or("no audio or video frames")?;
        for f in &mut frames {
            f.dts = Timestamp(f.dts.0 - start.0);
            f.pts = Timestamp(f.pts.0 - start.0);
        }
        let last = frames.iter().map(|f| f.dts.0).max().unwrap_or(0);
        Ok(Media {
            period: Timestamp(last + frame_interval(&frames)),
            configs,
            frames,
        })
    }

    /// The frames of loop `round` (0 first), their times shifted by whole periods.
    pub fn round(&self, round: u64) -> impl Iterator<Item = Frame> + '_ {
        let shift = self.period.0 * round as i64;
        self.frames.iter().map(move |f| Frame {
            pts: Timestamp(f.pts.0 + shift),
            dts: Timestamp(f.dts.0 + shift),
            ..f.clone()
        })
    }
}

/// The mean DTS step of the video frames (the audio ones without video), at least 1 tick.
fn frame_interval(frames: &[Frame]) -> i64 {
    let video = frames.iter().any(|f| f.track.kind == MediaKind::Video);
    let times: Vec<i64> = frames
        .iter()
        .filter(|f| (f.track.kind == MediaKind::Video) == video)
        .map(|f| f.dts.0)
        .collect();
    match (times.first(), times.last()) {
        (Some(first), Some(last)) if times.len() > 1 => {
            ((last - first) / (times.len() as i64 - 1)).max(1)
        }
        _ => 1,
    }
}
