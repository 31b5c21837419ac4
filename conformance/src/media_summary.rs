//! Media summarised per track, so that a transcript stays small and reviewable: codec, what
//! the decoder configuration says, frame count, first and last timestamps, keyframe times and
//! timestamp gaps, each list bounded. The per-second buckets feed the HTML timeline.

use std::collections::BTreeMap;

use weir_media::config::CodecConfig;
use weir_media::{Codec, Frame, MediaKind, Track, TrackConfig};

use crate::doc::Node;

/// Keyframe times and gaps listed in full up to this many; then "…".
pub const MAX_LISTED: usize = 20;
/// A forward timestamp jump larger than this is a gap (ms).
pub const GAP_MS: i64 = 1000;
/// Seconds of timeline kept per track (a hostile stream could jump anywhere).
const MAX_BUCKETS: usize = 100_000;

/// One second of a track, for the timeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    pub frames: u32,
    pub bytes: u64,
    pub keyframes: u32,
}

/// What one track carried.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackSummary {
    pub codec: Option<Codec>,
    /// What the last decoder configuration says ("High 3.1 1280x720 30/1 fps").
    pub config: Option<String>,
    pub configs: u64,
    pub frames: u64,
    pub bytes: u64,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub keyframes: u64,
    keyframe_times: Vec<i64>,
    /// (from, to) in ms.
    gaps: Vec<(i64, i64)>,
    gap_count: u64,
    /// Seconds (of decode time) to what arrived in them.
    pub timeline: BTreeMap<i64, Bucket>,
}

impl TrackSummary {
    /// The timestamp gaps listed (from, to) in ms, the first few: the HTML timeline's.
    pub fn gaps(&self) -> &[(i64, i64)] {
        &self.gaps
    }

    /// Takes a decoder configuration; an error says which rule its record breaks.
    pub fn config(&mut self, config: &TrackConfig) -> Result<(), weir_media::Error> {
        self.codec = Some(config.codec);
        self.configs += 1;
        match CodecConfig::parse(config) {
            Ok(parsed) => {
                self.config = Some(describe(&parsed));
                Ok(())
            }
            Err(e) => {
                self.config = Some(format!("unreadable ({})", e.rule_id()));
                Err(e)
            }
        }
    }

    pub fn frame(&mut self, frame: &Frame) {
        self.codec = Some(frame.codec);
        let ms = frame.dts.as_millis();
        if let Some(last) = self.last_ms
            && ms - last > GAP_MS
        {
            self.gap_count += 1;
            if self.gaps.len() < MAX_LISTED {
                self.gaps.push((last, ms));
            }
        }
        self.frames += 1;
        self.bytes += frame.data.len() as u64;
        self.first_ms.get_or_insert(ms);
        self.last_ms = Some(ms);
        if frame.keyframe {
            self.keyframes += 1;
            if self.keyframe_times.len() < MAX_LISTED {
                self.keyframe_times.push(ms);
            }
        }
        let second = ms.div_euclid(1000);
        if self.timeline.len() < MAX_BUCKETS || self.timeline.contains_key(&second) {
            let bucket = self.timeline.entry(second).or_default();
            bucket.frames += 1;
            bucket.bytes += frame.data.len() as u64;
            bucket.keyframes += u32::from(frame.keyframe);
        }
    }

    /// The transcript's view of the track.
    /// Keyframes are listed for video only: every audio frame is one.
    pub fn to_node(&self, track: Track) -> Node {
        let listed = |items: Vec<Node>, total: u64| {
            let mut items = items;
            if total > items.len() as u64 {
                items.push(Node::from("…"));
            }
            Node::Seq(items)
        };
        let keyframes = self.keyframe_times.iter().map(|&t| Node::Int(t)).collect();
        let gaps = self
            .gaps
            .iter()
            .map(|(from, to)| Node::from(format!("{from}ms -> {to}ms")))
            .collect();
        let node = Node::map()
            .with("track", track_name(track))
            .with(
                "codec",
                self.codec.map_or("none".to_string(), |c| c.to_string()),
            )
            .with_some("config", self.config.clone())
            .with("frames", self.frames)
            .with("bytes", self.bytes)
            .with_some("first_ms", self.first_ms)
            .with_some("last_ms", self.last_ms);
        let node = if track.kind == MediaKind::Video {
            node.with("keyframes", self.keyframes)
                .with("keyframe_ms", listed(keyframes, self.keyframes))
        } else {
            node
        };
        node.with("gaps", listed(gaps, self.gap_count))
    }
}

/// "video0", "audio1", "data0".
pub fn track_name(track: Track) -> String {
    let kind = match track.kind {
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
        MediaKind::Data => "data",
    };
    format!("{kind}{}", track.index)
}

/// One line for a parsed configuration: profile, level, size, frame rate, sample rate,
/// channels, as far as the configuration says.
pub fn describe(config: &CodecConfig) -> String {
    let s = config.summary();
    let mut parts: Vec<String> = vec![s.codec.to_string()];
    parts.extend(s.profile.map(str::to_owned));
    parts.extend(s.level.map(|l| format!("level {l}")));
    if let (Some(w), Some(h)) = (s.width, s.height) {
        parts.push(format!("{w}x{h}"));
    }
    parts.extend(s.frame_rate.map(|r| format!("{r} fps")));
    parts.extend(s.sample_rate.map(|r| format!("{r} Hz")));
    parts.extend(s.channels.map(|c| format!("{c} ch")));
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use weir_media::Timestamp;

    fn frame(ms: i64, keyframe: bool) -> Frame {
        Frame {
            track: Track::VIDEO,
            codec: Codec::H264,
            pts: Timestamp::from_millis(ms),
            dts: Timestamp::from_millis(ms),
            keyframe,
            data: Bytes::from_static(&[0; 10]),
        }
    }

    #[test]
    fn counts_keyframes_and_gaps_with_bounded_lists() {
        let mut t = TrackSummary::default();
        for i in 0..30 {
            t.frame(&frame(i * 100, true));
        }
        t.frame(&frame(10_000, false));
        assert_eq!((t.frames, t.keyframes, t.bytes), (31, 30, 310));
        assert_eq!((t.first_ms, t.last_ms), (Some(0), Some(10_000)));
        let node = t.to_node(Track::VIDEO);
        let Some(Node::Seq(keys)) = node.get("keyframe_ms") else {
            panic!()
        };
        assert_eq!(keys.len(), MAX_LISTED + 1);
        assert_eq!(keys.last(), Some(&Node::from("…")));
        assert_eq!(
            node.get("gaps"),
            Some(&Node::Seq(vec![Node::from("2900ms -> 10000ms")]))
        );
        assert_eq!(t.timeline.get(&0).map(|b| b.frames), Some(10));
    }

    #[test]
    fn aac_config_is_described() {
        let config = TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Aac,
            // AAC LC, 44.1 kHz, stereo (ISO/IEC 14496-3 §1.6.2.1).
            data: Bytes::from_static(&[0x12, 0x10]),
        };
        let mut t = TrackSummary::default();
        t.config(&config).unwrap();
        assert_eq!(t.config.as_deref(), Some("aac LC 44100 Hz 2 ch"));
    }
}
