//! The playlist observer: an HLS playlist file (RFC 8216 §4) parsed whole once its bytes end,
//! with `weir_hls::parse`. What it holds is one transcript line; the rules it breaks are
//! violations at the byte offset of their line.

use weir_hls::{Limits, Playlist, parse};

use super::{Observation, Observer, violation};
use crate::capture::Direction;
use crate::transcript::EntryKind;

/// Reads the client→server bytes of its flow as one playlist.
#[derive(Default)]
pub struct PlaylistObserver {
    limits: Limits,
    text: Vec<u8>,
    /// More bytes came than the parser takes: they are not kept.
    over: bool,
    incomplete: bool,
    parsed: bool,
}

impl PlaylistObserver {
    fn parse(&mut self, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.parsed, true) {
            return;
        }
        let mut found = Vec::new();
        let dir = Direction::ClientToServer;
        if let Some(playlist) = read(&self.text, &self.limits, dir, &mut found) {
            out.push(Observation::Entry(
                dir,
                EntryKind::Event(describe(&playlist)),
            ));
        }
        out.extend(found);
    }
}

/// Parses `text` as one whole playlist: the rules it breaks into `out` as entries of `dir`
/// (offsets count bytes of `text`), and the playlist, unless it could not be read at all.
pub(crate) fn read(
    text: &[u8],
    limits: &Limits,
    dir: Direction,
    out: &mut Vec<Observation>,
) -> Option<Playlist> {
    match parse(text, limits) {
        Ok(parsed) => {
            out.extend(parsed.violations.into_iter().map(|v| violation(dir, v)));
            Some(parsed.playlist)
        }
        Err(e) => {
            let kind = match e.rule {
                Some(rule) => EntryKind::Violation {
                    rule,
                    offset: Some(e.offset),
                    detail: e.detail,
                    fatal: true,
                },
                None => EntryKind::GaveUp(e.detail),
            };
            out.push(Observation::Entry(dir, kind));
            None
        }
    }
}

/// One line: the kind of playlist and what it lists.
pub(crate) fn describe(playlist: &Playlist) -> String {
    let version = |v: Option<u64>| v.map_or(String::new(), |v| format!(" version {v},"));
    match playlist {
        Playlist::Media(m) => format!(
            "media playlist{} target duration {}, media sequence {}, discontinuity sequence {}, \
             {} segment(s) lasting {:.3} s{}{}",
            version(m.version),
            m.target_duration
                .map_or("missing".to_owned(), |t| format!("{t} s")),
            m.media_sequence,
            m.discontinuity_sequence,
            m.segments.len(),
            m.duration(),
            m.playlist_type
                .map_or(String::new(), |t| format!(", type {t:?}")),
            if m.end_list {
                ", ended (EXT-X-ENDLIST)"
            } else {
                ""
            },
        ),
        Playlist::Master(m) => format!(
            "master playlist{} {} variant(s), {} I-frame variant(s), {} rendition(s)",
            version(m.version),
            m.variants.len(),
            m.i_frame_variants.len(),
            m.renditions.len()
        ),
    }
}

impl Observer for PlaylistObserver {
    fn data(&mut self, dir: Direction, _offset: u64, bytes: &[u8], _out: &mut Vec<Observation>) {
        if dir != Direction::ClientToServer || self.over {
            return;
        }
        // One byte past the limit is enough for the parser to say the playlist is too large.
        let room = (self.limits.max_bytes + 1).saturating_sub(self.text.len());
        self.text.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.over = bytes.len() > room;
    }

    fn gap(&mut self, _dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        self.incomplete = true;
        self.parsed = true;
        let why = format!("{len} bytes missing at offset {offset}: a playlist is read whole");
        out.push(Observation::Entry(
            Direction::ClientToServer,
            EntryKind::GaveUp(why),
        ));
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        if dir == Direction::ClientToServer {
            self.parse(out);
        }
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        self.parse(out);
    }

    fn complete(&self) -> bool {
        !self.incomplete
    }
}
