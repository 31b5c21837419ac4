//! The live media playlist (RFC 8216 §6.2.1, §6.2.2): a sliding window over the segments the
//! segmenter closes, rendered whenever a client asks.
//!
//! What it writes, and why:
//! - EXT-X-VERSION:3, the lowest that decimal-floating-point EXTINF durations need (§7);
//!   nothing else it writes needs more. It is fixed for the playlist's life (§6.2.1).
//! - EXT-X-TARGETDURATION from the configuration, never changed (§6.2.1 allows no change but
//!   appending, removing from the front, raising the sequence numbers and EXT-X-ENDLIST).
//!   [`LivePlaylist::push`] refuses a segment that would round above it (§4.3.3.1); the
//!   segmenter never produces one, since its hard bound is this target duration.
//! - EXT-X-MEDIA-SEQUENCE: +1 per segment that leaves the window (§6.2.2).
//! - EXT-X-DISCONTINUITY before a segment after a timestamp jump or a republish, and
//!   EXT-X-DISCONTINUITY-SEQUENCE +1 when such a segment leaves the window, so that every
//!   segment keeps its discontinuity sequence number (§6.2.2).
//! - EXT-X-PROGRAM-DATE-TIME on every segment that has one, in UTC with milliseconds.
//! - EXT-X-ENDLIST once unpublished (§6.2.1). A republish continues the same playlist, with
//!   a discontinuity: clients that saw the end have stopped reloading (§6.3.4), new ones get
//!   unbroken media sequence numbers.
//!
//! A segment leaves the window only while the rest still lasts at least the window and three
//! target durations (§6.2.2); `max_segments` bounds memory whatever the durations.

use crate::playlist::{MediaPlaylist, Segment, date_time};
use crate::segmenter::SegmenterConfig;
use std::collections::VecDeque;
use weir_media::{Error, Timestamp};

/// How the playlist is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LivePlaylistConfig {
    /// EXT-X-TARGETDURATION in seconds (at least 1): the segmenter's bound.
    pub target_duration: u64,
    /// Media the playlist keeps (SRS's `hls_window`); at least three target durations are kept.
    pub window: Timestamp,
    /// The most segments kept, whatever their durations (at least 1).
    pub max_segments: usize,
}

impl LivePlaylistConfig {
    /// A playlist for the segments of a segmenter with `config`, keeping `window` of media.
    pub fn for_segmenter(config: &SegmenterConfig, window: Timestamp) -> Self {
        LivePlaylistConfig {
            target_duration: config.target_duration.max(1),
            window,
            max_segments: 1024,
        }
    }
}

impl Default for LivePlaylistConfig {
    /// For the default segmenter (10 s fragments, 15 s target), a 60 s window as SRS's.
    fn default() -> Self {
        LivePlaylistConfig::for_segmenter(
            &SegmenterConfig::default(),
            Timestamp(60 * Timestamp::HZ),
        )
    }
}

/// A closed segment, as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaylistEntry {
    /// The URI line, relative to the playlist: not empty, no control characters, no leading
    /// '#', no surrounding whitespace.
    pub uri: String,
    /// Its duration on the 90 kHz clock; written in milliseconds.
    pub duration: Timestamp,
    /// The timeline broke before it (the segmenter's `discontinuity`).
    pub discontinuity: bool,
    /// Unix milliseconds of its first frame, for EXT-X-PROGRAM-DATE-TIME; dropped if outside
    /// the years 0000 to 9999.
    pub program_date_time: Option<i64>,
}

/// A live media playlist: push segments as they close, render whenever a client asks.
#[derive(Debug, Clone)]
pub struct LivePlaylist {
    config: LivePlaylistConfig,
    entries: VecDeque<PlaylistEntry>,
    /// Milliseconds of the entries in the window.
    window_ms: u64,
    media_sequence: u64,
    discontinuity_sequence: u64,
    pushed: u64,
    pending_discontinuity: bool,
    ended: bool,
}

/// Milliseconds of a duration, rounded to the nearest (what EXTINF carries).
fn millis(duration: Timestamp) -> u64 {
    u64::try_from(duration.ticks().saturating_add(45) / 90).unwrap_or(0)
}

impl LivePlaylist {
    /// A playlist with no segments yet; a target duration of 0 becomes 1 and `max_segments`
    /// of 0 becomes 1.
    pub fn new(config: LivePlaylistConfig) -> Self {
        LivePlaylist {
            config: LivePlaylistConfig {
                target_duration: config.target_duration.clamp(1, u64::MAX / 3000),
                max_segments: config.max_segments.max(1),
                ..config
            },
            entries: VecDeque::new(),
            window_ms: 0,
            media_sequence: 0,
            discontinuity_sequence: 0,
            pushed: 0,
            pending_discontinuity: false,
            ended: false,
        }
    }

    /// Appends a closed segment; returns the segments that left the window (the server may
    /// delete them once clients had time to fetch them, RFC 8216 §6.2.2).
    ///
    /// Fails, changing nothing, if the URI cannot be a URI line or the duration rounds above
    /// the target duration.
    pub fn push(&mut self, mut entry: PlaylistEntry) -> Result<Vec<PlaylistEntry>, Error> {
        let uri = entry.uri.as_str();
        if uri.is_empty()
            || uri.starts_with('#')
            || uri.trim() != uri
            || uri.contains(|c: char| c.is_control())
        {
            return Err(Error::usage(format!(
                "{uri:?} cannot be a URI line (RFC 8216 §4.1)"
            )));
        }
        let ms = millis(entry.duration);
        if entry.duration.ticks() < 0 || (ms + 500) / 1000 > self.config.target_duration {
            return Err(Error::usage(format!(
                "a segment of {} ms does not fit the target duration of {} s (RFC 8216 §4.3.3.1)",
                entry.duration.as_millis(),
                self.config.target_duration
            )));
        }
        // A date past what ISO 8601's four-digit years can write (absurd timestamps) is dropped.
        if entry
            .program_date_time
            .is_some_and(|ms| !(date_time::MIN..=date_time::MAX).contains(&ms))
        {
            entry.program_date_time = None;
        }
        if std::mem::take(&mut self.ended) {
            self.pending_discontinuity = true;
        }
        // A discontinuity before the very first segment has nothing to separate.
        entry.discontinuity = (entry.discontinuity
            || std::mem::take(&mut self.pending_discontinuity))
            && self.pushed > 0;
        self.pushed += 1;
        self.window_ms = self.window_ms.saturating_add(ms);
        self.entries.push_back(entry);
        let keep = millis(self.config.window).max(3000 * self.config.target_duration);
        let mut removed = Vec::new();
        while let Some(front) = self.entries.front() {
            let rest = self.window_ms.saturating_sub(millis(front.duration));
            if self.entries.len() <= 1
                || (self.entries.len() <= self.config.max_segments && rest < keep)
            {
                break;
            }
            let Some(front) = self.entries.pop_front() else {
                break;
            };
            self.window_ms = rest;
            self.media_sequence += 1;
            // Its EXT-X-DISCONTINUITY leaves with it: the sequence keeps the others' numbers.
            if front.discontinuity {
                self.discontinuity_sequence += 1;
            }
            removed.push(front);
        }
        Ok(removed)
    }

    /// The timeline breaks before the next segment (a republish, a format change):
    /// EXT-X-DISCONTINUITY (RFC 8216 §4.3.2.3).
    pub fn discontinuity(&mut self) {
        self.pending_discontinuity = true;
    }

    /// The stream was unpublished: EXT-X-ENDLIST (RFC 8216 §4.3.3.4).
    pub fn end(&mut self) {
        self.ended = true;
    }

    /// Whether [`end`](Self::end) was called and no segment pushed since: the playlist
    /// renders with EXT-X-ENDLIST.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// EXT-X-TARGETDURATION in seconds, as configured (at least 1).
    pub fn target_duration(&self) -> u64 {
        self.config.target_duration
    }

    /// The media sequence number of the first segment in the window.
    pub fn media_sequence(&self) -> u64 {
        self.media_sequence
    }

    /// EXT-X-DISCONTINUITY-SEQUENCE (RFC 8216 §4.3.3.3): the discontinuities that have left
    /// the window.
    pub fn discontinuity_sequence(&self) -> u64 {
        self.discontinuity_sequence
    }

    /// The segments in the window, oldest first.
    pub fn segments(&self) -> impl Iterator<Item = &PlaylistEntry> {
        self.entries.iter()
    }

    /// The playlist as the model: what [`render`](Self::render) writes.
    pub fn playlist(&self) -> MediaPlaylist {
        MediaPlaylist {
            version: Some(3),
            target_duration: Some(self.config.target_duration),
            media_sequence: self.media_sequence,
            discontinuity_sequence: self.discontinuity_sequence,
            end_list: self.ended,
            segments: self
                .entries
                .iter()
                .map(|e| Segment {
                    uri: e.uri.clone(),
                    duration: millis(e.duration) as f64 / 1000.0,
                    discontinuity: e.discontinuity,
                    program_date_time: e.program_date_time,
                    ..Segment::default()
                })
                .collect(),
            ..MediaPlaylist::default()
        }
    }

    /// The playlist text.
    pub fn render(&self) -> String {
        self.playlist().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u64, seconds: i64, discontinuity: bool) -> PlaylistEntry {
        PlaylistEntry {
            uri: format!("{n}.ts"),
            duration: Timestamp(seconds * Timestamp::HZ),
            discontinuity,
            program_date_time: None,
        }
    }

    fn config(window: i64) -> LivePlaylistConfig {
        LivePlaylistConfig {
            target_duration: 2,
            window: Timestamp(window * Timestamp::HZ),
            max_segments: 100,
        }
    }

    #[test]
    fn the_window_slides() {
        let mut p = LivePlaylist::new(config(8));
        for n in 0..4 {
            assert!(p.push(entry(n, 2, false)).unwrap().is_empty());
        }
        let removed = p.push(entry(4, 2, false)).unwrap();
        assert_eq!(removed, [entry(0, 2, false)]);
        assert_eq!(p.media_sequence(), 1);
        assert_eq!(
            p.render(),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n\
             #EXTINF:2,\n1.ts\n#EXTINF:2,\n2.ts\n#EXTINF:2,\n3.ts\n#EXTINF:2,\n4.ts\n"
        );
    }

    #[test]
    fn three_target_durations_stay() {
        let mut p = LivePlaylist::new(config(0));
        for n in 0..10 {
            p.push(entry(n, 2, false)).unwrap();
        }
        assert_eq!(p.segments().count(), 3);
    }

    #[test]
    fn discontinuities_keep_their_numbers() {
        let mut p = LivePlaylist::new(config(0));
        p.discontinuity(); // before the first segment: nothing to separate
        p.push(entry(0, 2, false)).unwrap();
        p.push(entry(1, 2, true)).unwrap();
        p.end();
        assert!(p.render().ends_with("#EXT-X-ENDLIST\n"));
        p.push(entry(2, 2, false)).unwrap(); // republished
        assert!(!p.is_ended());
        let flags: Vec<_> = p.segments().map(|e| e.discontinuity).collect();
        assert_eq!(flags, [false, true, true]);
        p.push(entry(3, 2, false)).unwrap();
        assert_eq!(p.discontinuity_sequence(), 0);
        p.push(entry(4, 2, false)).unwrap();
        assert_eq!((p.media_sequence(), p.discontinuity_sequence()), (2, 1));
        let text = p.render();
        assert!(
            text.contains(
                "#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-DISCONTINUITY\n#EXTINF:2,\n2.ts"
            )
        );
    }

    #[test]
    fn what_cannot_be_listed_is_refused() {
        let mut p = LivePlaylist::new(config(8));
        let long = PlaylistEntry {
            duration: Timestamp(2 * Timestamp::HZ + 45_000),
            ..entry(0, 0, false)
        };
        assert!(p.push(long).is_err());
        let ok = PlaylistEntry {
            duration: Timestamp(2 * Timestamp::HZ + 44_000),
            ..entry(0, 0, false)
        };
        assert!(p.push(ok).is_ok());
        for uri in ["", "#x", " a.ts", "a\nb.ts"] {
            let bad = PlaylistEntry {
                uri: uri.into(),
                ..entry(0, 1, false)
            };
            assert!(p.push(bad).is_err(), "{uri:?}");
        }
        assert_eq!(p.segments().count(), 1);
    }
}
