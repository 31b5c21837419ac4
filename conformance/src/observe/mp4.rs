//! The MP4 observer: an ISO base media file (ISO/IEC 14496-12) — a DVR recording, a
//! fragmented MP4 init segment or fragment — read box by box as its bytes come. Media data
//! (`mdat`, `free`, `skip`) is counted, never held; every other top-level box is held (up to
//! [`MAX_BOX`]) and read whole with `weir_mp4`'s box reader and table parsers. Each top-level
//! box is a transcript line; `moov` says its tracks.

use bytes::Bytes;
use weir_media::Error;
use weir_mp4::Mp4Box;
use weir_mp4::boxes::moof::Trun;
use weir_mp4::boxes::stbl::{ChunkOffsets, Ctts, Stsc, Stss, Stsz, Stts};
use weir_mp4::rules::{BOX_SIZE, BOX_TRUNCATED};

use super::{Listing, Observation, Observer, violation};
use crate::capture::Direction;
use crate::transcript::EntryKind;

/// The largest top-level box other than media data that is read (a `moov` of a long
/// recording is a few MiB).
pub const MAX_BOX: u64 = 64 << 20;
/// Top-level boxes listed one by one (a fragmented file has two per fragment).
const LISTED: u64 = 64;
const DIR: Direction = Direction::ClientToServer;

/// The top-level box being read.
struct Current {
    kind: [u8; 4],
    offset: u64,
    /// Its size, header included; `None`: to the end of the file (size 0, §4.2).
    size: Option<u64>,
    /// Its bytes so far, header included, when it is read whole.
    kept: Option<Vec<u8>>,
    /// Bytes of it seen so far, header included.
    seen: u64,
}

/// Reads the bytes of one file as MP4 boxes.
pub struct Mp4Observer {
    header: Vec<u8>,
    current: Option<Current>,
    listing: Listing,
    /// The bodies of the media data boxes, as byte ranges: chunk offsets must fall in one.
    media: Vec<std::ops::Range<u64>>,
    /// Every chunk offset of every track, with its `stco`/`co64` box's offset.
    offsets: Vec<(u64, u64)>,
    gave_up: bool,
    incomplete: bool,
    ended: bool,
}

impl Default for Mp4Observer {
    fn default() -> Self {
        Mp4Observer {
            header: Vec::new(),
            current: None,
            listing: Listing::new(LISTED),
            media: Vec::new(),
            offsets: Vec::new(),
            gave_up: false,
            incomplete: false,
            ended: false,
        }
    }
}

impl Mp4Observer {
    fn give_up(&mut self, kind: EntryKind, out: &mut Vec<Observation>) {
        self.gave_up = true;
        self.incomplete = true;
        self.current = None;
        out.push(Observation::Entry(DIR, kind));
    }

    /// A header is whole: the box it starts.
    fn start(&mut self, offset: u64, out: &mut Vec<Observation>) -> bool {
        let h = &self.header;
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let kind = [h[4], h[5], h[6], h[7]];
        let (size, header) = match size32 {
            1 if h.len() < 16 => return false,
            1 => (
                Some(u64::from_be_bytes(h[8..16].try_into().expect("16 bytes"))),
                16,
            ),
            0 => (None, 8),
            n => (Some(u64::from(n)), 8),
        };
        if size.is_some_and(|s| s < header as u64) {
            let detail = format!(
                "box {:?} at offset {offset} says {} bytes, less than its {header}-byte header",
                String::from_utf8_lossy(&kind),
                size.unwrap_or(0)
            );
            let kind = EntryKind::Violation {
                rule: &BOX_SIZE,
                offset: Some(offset),
                detail,
                fatal: true,
            };
            self.give_up(kind, out);
            return false;
        }
        let media = matches!(&kind, b"mdat" | b"free" | b"skip");
        if media {
            let end = size.map_or(u64::MAX, |s| offset + s);
            self.media.push(offset + header as u64..end);
        }
        let kept = (!media && size.unwrap_or(u64::MAX) <= MAX_BOX).then(|| self.header.clone());
        self.current = Some(Current {
            kind,
            offset,
            size,
            kept,
            seen: self.header.len() as u64,
        });
        self.header.clear();
        true
    }

    /// The box in progress is whole (or the file ended in it, `truncated`).
    fn end_box(&mut self, out: &mut Vec<Observation>) {
        let Some(current) = self.current.take() else {
            return;
        };
        let name = String::from_utf8_lossy(&current.kind).into_owned();
        let Some(kept) = current.kept else {
            let what = match &current.kind {
                b"mdat" => "media data",
                b"free" | b"skip" => "free space",
                _ => "not read: larger than the 64 MiB a box other than media data may be here",
            };
            self.listing.note(
                DIR,
                format!(
                    "{name} at {}: {} bytes, {what}",
                    current.offset, current.seen
                ),
                out,
            );
            return;
        };
        let bytes = Bytes::from(kept);
        match weir_mp4::parse(&bytes) {
            Ok(boxes) => {
                let mut line = format!("{name} at {}: {} bytes", current.offset, bytes.len());
                for b in &boxes {
                    self.tables(b, current.offset, out);
                    if let Some(tracks) = describe(b) {
                        line.push_str(&tracks);
                    }
                }
                self.listing.note(DIR, line, out);
            }
            Err(e) => out.push(error(e, current.offset, &name)),
        }
    }

    /// Every table below `b` through its parser: what breaks `mp4.table.entry-count`.
    fn tables(&mut self, b: &Mp4Box, base: u64, out: &mut Vec<Observation>) {
        let at = base + b.offset;
        let body = &b.body;
        let result = match &b.kind {
            b"stts" => Stts::parse(body).map(drop),
            b"ctts" => Ctts::parse(body).map(drop),
            b"stss" => Stss::parse(body).map(drop),
            b"stsc" => Stsc::parse(body).map(drop),
            b"stsz" => Stsz::parse(body).map(drop),
            b"trun" => Trun::parse(body).map(drop),
            b"stco" | b"co64" => ChunkOffsets::parse(body, &b.kind == b"co64").map(|c| {
                self.offsets.extend(c.offsets.iter().map(|&o| (o, at)));
            }),
            _ => Ok(()),
        };
        if let Err(e) = result {
            // Table offsets count from the body, after the box's 8-byte header.
            out.push(error(e, at + 8, &String::from_utf8_lossy(&b.kind)));
        }
        for child in &b.children {
            self.tables(child, base, out);
        }
    }

    fn end(&mut self, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.ended, true) || self.gave_up {
            return;
        }
        if let Some(current) = &self.current {
            let whole = current.size.is_none_or(|s| current.seen >= s);
            if !whole {
                let detail = format!(
                    "box {:?} at offset {} says {} bytes; the file ends {} bytes into it",
                    String::from_utf8_lossy(&current.kind),
                    current.offset,
                    current.size.unwrap_or(0),
                    current.seen
                );
                out.push(Observation::Entry(
                    DIR,
                    EntryKind::Violation {
                        rule: &BOX_SIZE,
                        offset: Some(current.offset),
                        detail,
                        fatal: true,
                    },
                ));
                self.current = None;
                return;
            }
            self.end_box(out);
        }
        if !self.header.is_empty() {
            let detail = format!(
                "the file ends in a box header ({} bytes)",
                self.header.len()
            );
            out.push(Observation::Entry(
                DIR,
                EntryKind::Violation {
                    rule: &BOX_TRUNCATED,
                    offset: None,
                    detail,
                    fatal: true,
                },
            ));
        }
        // Each chunk offset points into media data (§8.7.5).
        if let Some(v) = weir_mp4::parse::check_chunk_offsets(&self.offsets, &self.media) {
            out.push(violation(DIR, v));
        }
    }
}

/// What a box that could not be read says, at the file's offsets.
fn error(e: Error, base: u64, name: &str) -> Observation {
    let kind = match e.rule {
        Some(rule) => EntryKind::Violation {
            rule,
            offset: Some(base + e.offset),
            detail: format!("{name}: {}", e.detail),
            fatal: true,
        },
        None => EntryKind::GaveUp(format!("{name}: {}", e.detail)),
    };
    Observation::Entry(DIR, kind)
}

/// ": 2 track(s): avc1 100 samples 90000 Hz, mp4a 173 samples 44100 Hz" for a `moov`.
fn describe(b: &Mp4Box) -> Option<String> {
    if &b.kind != b"moov" {
        return None;
    }
    let tracks: Vec<String> = b
        .find("trak")
        .into_iter()
        .map(|trak| {
            let entry = trak
                .find("mdia/minf/stbl/stsd")
                .first()
                .and_then(|stsd| stsd.children.first())
                .map_or("no sample entry".to_owned(), Mp4Box::name);
            let samples = trak
                .find("mdia/minf/stbl/stsz")
                .first()
                .and_then(|s| Stsz::parse(&s.body).ok())
                .map_or(0, |s| s.count);
            let timescale = trak
                .find("mdia/mdhd")
                .first()
                .and_then(|m| weir_mp4::boxes::trak::mdhd_timescale(&m.body));
            match timescale {
                Some(t) => format!("{entry} {samples} samples {t} Hz"),
                None => format!("{entry} {samples} samples"),
            }
        })
        .collect();
    Some(format!(
        ": {} track(s): {}",
        tracks.len(),
        tracks.join(", ")
    ))
}

impl Observer for Mp4Observer {
    fn data(&mut self, dir: Direction, offset: u64, mut bytes: &[u8], out: &mut Vec<Observation>) {
        if dir != DIR || self.gave_up {
            return;
        }
        let mut at = offset;
        while !bytes.is_empty() && !self.gave_up {
            match &mut self.current {
                None => {
                    let want = if self.header.len() >= 8 && self.header[..4] == [0, 0, 0, 1] {
                        16
                    } else {
                        8
                    };
                    let take = (want - self.header.len()).min(bytes.len());
                    self.header.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    at += take as u64;
                    if self.header.len() >= 8 {
                        let start = at - self.header.len() as u64;
                        self.start(start, out);
                    }
                }
                Some(current) => {
                    let left = current.size.map_or(u64::MAX, |s| s - current.seen);
                    let take = (left.min(bytes.len() as u64)) as usize;
                    if let Some(kept) = &mut current.kept {
                        kept.extend_from_slice(&bytes[..take]);
                    }
                    current.seen += take as u64;
                    bytes = &bytes[take..];
                    at += take as u64;
                    if current.size.is_some_and(|s| current.seen >= s) {
                        self.end_box(out);
                    }
                }
            }
        }
    }

    fn gap(&mut self, _dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        let why = format!("{len} bytes missing at offset {offset}: box sizes cannot be followed");
        self.give_up(EntryKind::GaveUp(why), out);
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        if dir == DIR {
            self.end(out);
        }
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        self.end(out);
    }

    fn complete(&self) -> bool {
        !self.incomplete
    }
}
