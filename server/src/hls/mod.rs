//! HLS of every published stream (RFC 8216): a packager per stream, fed by the hub like a
//! player, cuts TS segments at keyframes and keeps a live playlist; the HTTP server answers
//! `/{app}/{stream}.m3u8` and `/{app}/{stream}-{n}.ts` from memory (and, with `hls.path`,
//! the same files are written to disk). A republished stream continues its playlist after a
//! discontinuity; an ended one gets EXT-X-ENDLIST and stays for `hls.dispose`.

mod packager;

pub use packager::spawn;

use bytes::Bytes;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use weir_hls::LivePlaylist;
use weir_hub::StreamKey;

/// One stream's HLS: its playlist and the segments a client may still fetch.
pub struct HlsStream {
    pub playlist: LivePlaylist,
    /// Segments by number, the ones listed and the ones that left the playlist a moment ago.
    segments: BTreeMap<u64, Bytes>,
    /// Segments that left the playlist, and when: deleted a while later (RFC 8216 §6.2.2 asks
    /// that they stay available for a time after they leave).
    leaving: VecDeque<(Instant, u64)>,
    /// The number the next segment gets (its media sequence number).
    pub next: u64,
    /// A packager is feeding it.
    pub live: bool,
    /// When it last changed (an ended stream is disposed of some time after).
    pub touched: Instant,
}

impl HlsStream {
    fn new(playlist: LivePlaylist) -> Self {
        HlsStream {
            playlist,
            segments: BTreeMap::new(),
            leaving: VecDeque::new(),
            next: 0,
            live: false,
            touched: Instant::now(),
        }
    }

    pub fn segment(&self, number: u64) -> Option<Bytes> {
        self.segments.get(&number).cloned()
    }

    /// Bytes held in segments.
    pub fn bytes(&self) -> usize {
        self.segments.values().map(Bytes::len).sum()
    }
}

/// Every stream's HLS, by stream key.
#[derive(Default)]
pub struct Store {
    streams: Mutex<HashMap<StreamKey, Arc<Mutex<HlsStream>>>>,
}

impl Store {
    /// The stream's HLS, made with `playlist` when it has none yet.
    fn open(
        &self,
        key: &StreamKey,
        playlist: impl FnOnce() -> LivePlaylist,
    ) -> Arc<Mutex<HlsStream>> {
        let mut streams = self.streams.lock().unwrap();
        streams
            .entry(key.clone())
            .or_insert_with(|| Arc::new(Mutex::new(HlsStream::new(playlist()))))
            .clone()
    }

    pub fn get(&self, key: &StreamKey) -> Option<Arc<Mutex<HlsStream>>> {
        self.streams.lock().unwrap().get(key).cloned()
    }

    /// Forgets streams that ended more than `dispose` ago; drops segments that left their
    /// playlist more than `linger` ago. Returns the keys and segment numbers dropped, for
    /// deleting files.
    pub fn sweep(
        &self,
        now: Instant,
        dispose: std::time::Duration,
        linger: std::time::Duration,
    ) -> Vec<(StreamKey, Vec<u64>)> {
        let mut dropped = Vec::new();
        let mut streams = self.streams.lock().unwrap();
        streams.retain(|key, hls| {
            let mut hls = hls.lock().unwrap();
            let mut gone = Vec::new();
            while let Some(&(when, number)) = hls.leaving.front() {
                if now.duration_since(when) < linger {
                    break;
                }
                hls.leaving.pop_front();
                hls.segments.remove(&number);
                gone.push(number);
            }
            let keep = hls.live || now.duration_since(hls.touched) < dispose;
            if !keep {
                gone.extend(hls.segments.keys().copied());
            }
            if !gone.is_empty() {
                dropped.push((key.clone(), gone));
            }
            keep
        });
        dropped
    }

    /// Whether a packager is still at work (shutdown waits for them to end their playlists).
    pub fn packaging(&self) -> bool {
        let streams = self.streams.lock().unwrap();
        streams.values().any(|s| s.lock().unwrap().live)
    }

    /// HLS streams and the bytes their segments hold, for `/metrics`.
    pub fn usage(&self) -> (usize, usize) {
        let streams = self.streams.lock().unwrap();
        let bytes = streams.values().map(|s| s.lock().unwrap().bytes()).sum();
        (streams.len(), bytes)
    }
}

/// Whether `app` (which may hold `/`) and `stream` can name files under a directory without
/// leaving it: every component non-empty, not `.` or `..`, without `\\`, NUL or control
/// characters.
pub fn safe_for_disk(app: &str, stream: &str) -> bool {
    let component = |c: &str| {
        !c.is_empty()
            && c != "."
            && c != ".."
            && !c.contains(|ch: char| ch == '\\' || ch.is_control())
    };
    app.split('/').all(component) && component(stream) && !stream.contains('/')
}

/// `{stream}-{n}.ts`: a segment's name, relative to its playlist.
pub fn segment_name(stream: &str, number: u64) -> String {
    format!("{stream}-{number}.ts")
}

/// A segment's name without `.ts`, read back: `cam-12` is segment 12 of `cam`.
pub fn parse_segment_name(name: &str) -> Option<(&str, u64)> {
    let (stream, number) = name.rsplit_once('-')?;
    let number = number.parse().ok()?;
    (!stream.is_empty()).then_some((stream, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_directory_are_not_written() {
        assert!(safe_for_disk("live", "cam"));
        assert!(safe_for_disk("live/inst", "cam.1"));
        for (app, stream) in [
            ("..", "cam"),
            ("live/../..", "cam"),
            ("/etc", "cam"),
            ("live", ".."),
            ("live", "a/b"),
            ("live", "a\\b"),
            ("live", "a\nb"),
            ("", "cam"),
            ("live//x", "cam"),
        ] {
            assert!(!safe_for_disk(app, stream), "{app:?} {stream:?}");
        }
    }

    #[test]
    fn segment_names_read_back() {
        let name = segment_name("cam-2", 17);
        assert_eq!(name, "cam-2-17.ts");
        let stem = name.strip_suffix(".ts").unwrap();
        assert_eq!(parse_segment_name(stem), Some(("cam-2", 17)));
        assert_eq!(parse_segment_name("cam"), None);
        assert_eq!(parse_segment_name("-3"), None);
        assert_eq!(parse_segment_name("cam-x"), None);
    }
}
