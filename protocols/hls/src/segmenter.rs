//! The segmenter (RFC 8216 §3, §6.2.1): fed frames in decode order, it says where segments
//! end. Sans-IO: timestamps are the frames' own, and the caller writes the segment files.
//!
//! - A segment ends at the first video keyframe at least [`SegmenterConfig::fragment`] after
//!   its start, so that segments start decodable; audio-only streams are cut on time, at any
//!   audio frame.
//! - The hard bound: no segment lasts longer than [`SegmenterConfig::target_duration`], the
//!   playlist's EXT-X-TARGETDURATION (RFC 8216 §4.3.3.1), which must never change (§6.2.1).
//!   When keyframes do not come in time, the segment is cut at the last frame before the bound
//!   (the frame after which the track's next one, a frame interval plus 100 ms of jitter
//!   later, would be past it); the next segment then does not start with a keyframe. Timing
//!   follows video (audio for audio-only streams); another track cuts only if that one stalls.
//! - A timestamp jump (a track's DTS going back more than 100 ms, or forward more than
//!   [`SegmenterConfig::max_gap`]) or a step over the bound ends the segment where its media
//!   ends and starts the next with a discontinuity (EXT-X-DISCONTINUITY, §4.3.2.3).
//! - Until the first video keyframe, frames are skipped (a segment cannot start mid-GOP), for
//!   at most one target duration; after that the stream is segmented without one.

use weir_media::{Frame, MediaKind, Timestamp, Track};

/// Half a second on the 90 kHz clock: the frame interval assumed before one is known.
const HALF_SECOND: i64 = Timestamp::HZ / 2;

/// Timestamp jitter: a track's DTS may step back this much without it counting as a jump,
/// and its next frame may come this much later than one interval on.
const JITTER: i64 = Timestamp::HZ / 10;

/// How a [`Segmenter`] cuts: when it may cut, when it must, and what counts as a jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmenterConfig {
    /// Cut at the first keyframe at least this long after a segment's start (SRS's
    /// `hls_fragment`).
    pub fragment: Timestamp,
    /// The hard bound on a segment's duration, in whole seconds: the playlist's
    /// EXT-X-TARGETDURATION. At least 1; `fragment` is kept ½ s below it.
    pub target_duration: u64,
    /// Whether the stream has video: then segments start at video keyframes.
    pub has_video: bool,
    /// A forward DTS step on one track larger than this is a discontinuity.
    pub max_gap: Timestamp,
}

impl SegmenterConfig {
    /// `fragment`, a target duration of 1.5 fragments rounded up (SRS's `hls_td_ratio`), and
    /// a 5 s gap tolerance.
    pub fn new(fragment: Timestamp, has_video: bool) -> Self {
        let fragment = Timestamp(fragment.0.max(0));
        SegmenterConfig {
            fragment,
            target_duration: (fragment.0.unsigned_abs().saturating_mul(3))
                .div_ceil(2 * Timestamp::HZ as u64)
                .max(1),
            has_video,
            max_gap: Timestamp(5 * Timestamp::HZ),
        }
    }

    /// The bound on a segment's duration, in 90 kHz ticks.
    fn bound(&self) -> i64 {
        i64::try_from(self.target_duration.max(1))
            .unwrap_or(i64::MAX / Timestamp::HZ)
            .min(i64::MAX / Timestamp::HZ / 4)
            * Timestamp::HZ
    }
}

impl Default for SegmenterConfig {
    /// 10 s fragments (SRS's default), so a 15 s target duration; video expected.
    fn default() -> Self {
        SegmenterConfig::new(Timestamp(10 * Timestamp::HZ), true)
    }
}

/// One segment's place on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSpan {
    /// 0 for the first segment, then +1 per segment, across discontinuities.
    pub sequence: u64,
    /// DTS of its first frame.
    pub start: Timestamp,
    /// DTS where the next segment starts; where its media ends if a discontinuity or the end
    /// of the stream follows it (for the open segment: its latest DTS so far).
    pub end: Timestamp,
    /// It starts with a video keyframe (for audio-only streams, with an audio frame).
    pub starts_with_keyframe: bool,
    /// The timeline broke before it (jump, reset, republish): EXT-X-DISCONTINUITY goes before it.
    pub discontinuity: bool,
    /// Frames it holds.
    pub frames: u64,
}

impl SegmentSpan {
    /// At most the target duration, for a closed segment.
    pub fn duration(&self) -> Timestamp {
        Timestamp(self.end.0.saturating_sub(self.start.0).max(0))
    }
}

/// Where a frame goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Before the first video keyframe: drop it.
    Skip,
    /// Into the open segment.
    Append,
    /// It starts a new segment. `closed`, if any, ended just before it: finish its file and
    /// list it (with `EXT-X-DISCONTINUITY` before the new one if the new one says so).
    NewSegment {
        /// The segment that ended before this frame; `None` when none was open.
        closed: Option<SegmentSpan>,
    },
}

/// The last DTS of one track and its last forward step.
#[derive(Debug, Clone, Copy)]
struct Clock {
    track: Track,
    last: Option<Timestamp>,
    step: i64,
}

/// The segmenter: push each frame in decode order, act on its [`Placement`], call
/// [`finish`](Segmenter::finish) at the end of the stream.
#[derive(Debug, Clone)]
pub struct Segmenter {
    config: SegmenterConfig,
    open: Option<SegmentSpan>,
    /// Where the open segment's media ends: the latest DTS plus its track's frame interval.
    media_end: i64,
    next_sequence: u64,
    /// One per track seen (tracks are `(kind, u8)`, so at most 768).
    clocks: Vec<Clock>,
    /// DTS of the first frame skipped while waiting for a keyframe.
    waiting_since: Option<Timestamp>,
    pending_discontinuity: bool,
}

impl Segmenter {
    /// A segmenter with no segment open; a target duration of 0 becomes 1 and `fragment` is
    /// clamped half a second below the bound.
    pub fn new(config: SegmenterConfig) -> Self {
        let mut config = SegmenterConfig {
            target_duration: config.target_duration.max(1),
            max_gap: Timestamp(config.max_gap.0.max(0)),
            ..config
        };
        config.fragment = Timestamp(config.fragment.0.clamp(0, config.bound() - HALF_SECOND));
        Segmenter {
            config,
            open: None,
            media_end: 0,
            next_sequence: 0,
            clocks: Vec::new(),
            waiting_since: None,
            pending_discontinuity: false,
        }
    }

    /// The configuration in effect (`fragment` clamped below the bound).
    pub fn config(&self) -> &SegmenterConfig {
        &self.config
    }

    /// The segment being filled, if any.
    pub fn current(&self) -> Option<&SegmentSpan> {
        self.open.as_ref()
    }

    /// Places the next frame (in decode order).
    pub fn push(&mut self, frame: &Frame) -> Placement {
        if frame.track.kind == MediaKind::Data {
            return match self.open.as_mut() {
                Some(open) => {
                    open.frames += 1;
                    Placement::Append
                }
                None => Placement::Skip,
            };
        }
        let dts = frame.dts;
        let is_video = frame.track.kind == MediaKind::Video;
        let eligible = match self.config.has_video {
            true => is_video && frame.keyframe,
            false => !is_video,
        };
        let (jumped, step) = self.clock(frame.track, dts);
        let bound = self.config.bound();
        let Some(open) = self.open else {
            if self.config.has_video && !eligible {
                let since = *self.waiting_since.get_or_insert(dts);
                if jumped || dts < since {
                    self.waiting_since = Some(dts);
                    return Placement::Skip;
                }
                if dts.0.saturating_sub(since.0) < bound - HALF_SECOND {
                    return Placement::Skip;
                }
            }
            let discontinuity = std::mem::take(&mut self.pending_discontinuity);
            self.start(dts, step, eligible, discontinuity);
            return Placement::NewSegment { closed: None };
        };
        let elapsed = dts.0.saturating_sub(open.start.0);
        if jumped || elapsed > bound {
            let end = self
                .media_end
                .clamp(open.start.0, open.start.0.saturating_add(bound));
            let closed = SegmentSpan {
                end: Timestamp(end),
                ..open
            };
            // The other tracks' clocks belong to the old timeline.
            for clock in &mut self.clocks {
                if clock.track != frame.track {
                    clock.last = None;
                }
            }
            self.start(dts, step, eligible, true);
            return Placement::NewSegment {
                closed: Some(closed),
            };
        }
        let primary = is_video == self.config.has_video;
        let due = elapsed >= self.config.fragment.0 && eligible;
        // The last frame before the bound: the track's next frame (one interval on, ½ s if
        // unknown, plus jitter) would be past it. Other tracks only act if the primary stalls.
        let margin = match primary {
            true => JITTER + if step > 0 { step } else { HALF_SECOND },
            false => JITTER,
        };
        let overdue = elapsed.saturating_add(margin) > bound;
        if due || overdue {
            let closed = SegmentSpan { end: dts, ..open };
            self.start(dts, step, eligible, false);
            return Placement::NewSegment {
                closed: Some(closed),
            };
        }
        if let Some(open) = self.open.as_mut() {
            open.frames += 1;
            open.end = open.end.max(dts);
        }
        self.media_end = self.media_end.max(dts.0.saturating_add(step));
        Placement::Append
    }

    /// The stream ended, or its format changed: closes the open segment where its media ends.
    /// The next frame starts a new segment with a discontinuity (after waiting for a keyframe).
    pub fn finish(&mut self) -> Option<SegmentSpan> {
        self.clocks.clear();
        self.waiting_since = None;
        let open = self.open.take()?;
        self.pending_discontinuity = true;
        let end = self.media_end.clamp(
            open.start.0,
            open.start.0.saturating_add(self.config.bound()),
        );
        Some(SegmentSpan {
            end: Timestamp(end),
            ..open
        })
    }

    fn start(&mut self, dts: Timestamp, step: i64, keyframe: bool, discontinuity: bool) {
        self.open = Some(SegmentSpan {
            sequence: self.next_sequence,
            start: dts,
            end: dts,
            starts_with_keyframe: keyframe,
            discontinuity,
            frames: 1,
        });
        self.media_end = dts.0.saturating_add(step);
        self.next_sequence += 1;
    }

    /// Records `dts` on its track's clock: whether it jumped, and the track's frame interval.
    fn clock(&mut self, track: Track, dts: Timestamp) -> (bool, i64) {
        let index = match self.clocks.iter().position(|c| c.track == track) {
            Some(i) => i,
            None => {
                self.clocks.push(Clock {
                    track,
                    last: None,
                    step: 0,
                });
                self.clocks.len() - 1
            }
        };
        let max_gap = self.config.max_gap.0;
        let clock = &mut self.clocks[index];
        let Some(last) = clock.last else {
            clock.last = Some(dts);
            return (false, clock.step);
        };
        let delta = dts.0.saturating_sub(last.0);
        let jumped = !(-JITTER..=max_gap).contains(&delta);
        if jumped {
            clock.last = Some(dts);
        } else {
            if delta > 0 {
                clock.step = delta;
            }
            clock.last = Some(last.max(dts));
        }
        (jumped, clock.step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use weir_media::Codec;

    const MS: i64 = 90;

    fn video(ms: i64, keyframe: bool) -> Frame {
        Frame {
            track: Track::VIDEO,
            codec: Codec::H264,
            pts: Timestamp(ms * MS),
            dts: Timestamp(ms * MS),
            keyframe,
            data: Bytes::new(),
        }
    }

    fn audio(ms: i64) -> Frame {
        Frame {
            track: Track::AUDIO,
            codec: Codec::Aac,
            keyframe: true,
            ..video(ms, false)
        }
    }

    /// Closed segments as (start ms, end ms, keyframe, discontinuity).
    fn run(segmenter: &mut Segmenter, frames: &[Frame]) -> Vec<(i64, i64, bool, bool)> {
        let mut out = Vec::new();
        for frame in frames {
            if let Placement::NewSegment { closed: Some(s) } = segmenter.push(frame) {
                out.push((
                    s.start.0 / MS,
                    s.end.0 / MS,
                    s.starts_with_keyframe,
                    s.discontinuity,
                ));
            }
        }
        out
    }

    #[test]
    fn cuts_at_keyframes_after_the_fragment() {
        let mut s = Segmenter::new(SegmenterConfig::new(Timestamp(4 * Timestamp::HZ), true));
        assert_eq!(s.config().target_duration, 6);
        // 25 fps with keyframes every 2 s, audio between the video frames.
        let mut frames = Vec::new();
        for i in 0..25 * 13 {
            frames.push(video(i * 40, i % 50 == 0));
            frames.push(audio(i * 40 + 20));
        }
        assert_eq!(
            run(&mut s, &frames),
            [
                (0, 4000, true, false),
                (4000, 8000, true, false),
                (8000, 12000, true, false)
            ]
        );
        let last = s.finish().unwrap();
        assert_eq!((last.start.0 / MS, last.end.0 / MS), (12000, 13020));
    }

    #[test]
    fn skips_to_the_first_keyframe() {
        let mut s = Segmenter::new(SegmenterConfig::default());
        assert_eq!(s.push(&audio(0)), Placement::Skip);
        assert_eq!(s.push(&video(40, false)), Placement::Skip);
        assert_eq!(
            s.push(&video(80, true)),
            Placement::NewSegment { closed: None }
        );
        assert_eq!(s.push(&audio(90)), Placement::Append);
        assert!(s.current().unwrap().starts_with_keyframe);
    }

    #[test]
    fn keyframes_that_never_come_are_bounded() {
        let mut s = Segmenter::new(SegmenterConfig::new(Timestamp(2 * Timestamp::HZ), true));
        assert_eq!(s.config().target_duration, 3);
        let frames: Vec<_> = (0..250).map(|i| video(i * 40, i == 0)).collect();
        assert_eq!(
            run(&mut s, &frames),
            [
                (0, 2880, true, false),
                (2880, 5760, false, false),
                (5760, 8640, false, false)
            ]
        );
    }

    #[test]
    fn audio_only_cuts_on_time() {
        let mut s = Segmenter::new(SegmenterConfig::new(Timestamp(2 * Timestamp::HZ), false));
        let frames: Vec<_> = (0..200).map(|i| audio(i * 21)).collect();
        let segments = run(&mut s, &frames);
        assert_eq!(segments[0], (0, 2016, true, false));
        assert_eq!(segments.len(), 2);
    }

    #[test]
    fn jumps_and_resets_are_discontinuities() {
        let mut s = Segmenter::new(SegmenterConfig::new(Timestamp(2 * Timestamp::HZ), true));
        let mut frames: Vec<_> = (0..30).map(|i| video(i * 40, i % 25 == 0)).collect();
        frames.extend((0..30).map(|i| video(60_000 + i * 40, i == 0)));
        frames.extend((0..10).map(|i| video(i * 40, i == 0)));
        assert_eq!(
            run(&mut s, &frames),
            [(0, 1200, true, false), (60000, 61200, true, true)]
        );
        assert!(s.current().unwrap().discontinuity);
        s.finish();
        assert_eq!(
            s.push(&video(0, true)),
            Placement::NewSegment { closed: None }
        );
        assert!(s.current().unwrap().discontinuity);
    }
}
