//! [`Mp4Writer`]: a whole ("progressive") MP4 file, as a DVR records it: `ftyp`, one `mdat`
//! that the samples stream into as they arrive, and the `moov` at the end (ISO/IEC 14496-12
//! §6.2.3: the movie box may follow the media data).
//!
//! The writer never holds media data: [`Mp4Writer::poll_output`] hands back the bytes to
//! append to the file (the `ftyp` and `mdat` header first, then each frame's data, shared,
//! not copied). [`Mp4Writer::finish`] returns the `moov` to append and the `mdat` size to
//! write back at a given offset. It keeps only a few numbers per sample for the tables.

use crate::boxes::ftyp::{PROGRESSIVE_BRANDS, write_ftyp};
use crate::boxes::moov::{MOVIE_TIMESCALE, write_mvhd};
use crate::boxes::stbl::{ChunkOffsets, Ctts, Stsc, Stss, Stsz, Stts};
use crate::boxes::stsd::SampleEntry;
use crate::boxes::trak::{SampleTables, TrakParams, write_trak};
use crate::timing::{durations, rescale};
use crate::writer::{Put, write_box};
use bytes::Bytes;
use std::collections::VecDeque;
use weir_media::{Error, Frame, Track, TrackConfig};

/// The end of a file: the `moov` to append after the last sample, and the `mdat` size to
/// write back over its placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// The movie box, to append at the end of the file.
    pub moov: Bytes,
    /// The byte offset, from the file's start, of the `mdat`'s 64-bit `largesize`.
    pub mdat_size_offset: u64,
    /// The `largesize` to write there (big-endian).
    pub mdat_size: [u8; 8],
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    size: u32,
    dts: i64,
    cts: i64,
    sync: bool,
}

#[derive(Debug, Clone, Copy)]
struct Chunk {
    offset: u64,
    samples: u32,
    description: u32,
}

#[derive(Debug)]
struct TrackState {
    track: Track,
    entries: Vec<SampleEntry>,
    samples: Vec<Sample>,
    chunks: Vec<Chunk>,
}

/// Writes one progressive MP4 file from track configurations and frames; see the
/// [module docs](self).
#[derive(Debug, Default)]
pub struct Mp4Writer {
    tracks: Vec<TrackState>,
    /// Bytes handed out so far: the file offset of the next byte.
    position: u64,
    /// Where the `mdat` box starts, once written.
    mdat_at: Option<u64>,
    /// The track the current chunk belongs to.
    chunk_track: Option<usize>,
    pending: VecDeque<Bytes>,
}

impl Mp4Writer {
    /// A writer for a new file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares or changes a track's configuration. A change after frames adds a sample
    /// entry, used by the frames that follow. Errors (`rule: None`) for a codec MP4 files
    /// from Weir do not carry (H.264, H.265, AAC, MP3 and Opus are) or a record that does
    /// not parse.
    pub fn handle_config(&mut self, config: &TrackConfig) -> Result<(), Error> {
        let entry = SampleEntry::from_config(config)?;
        match self.tracks.iter_mut().position(|t| t.track == config.track) {
            Some(i) => {
                let t = &mut self.tracks[i];
                if t.entries.last() != Some(&entry) {
                    if t.samples.is_empty() {
                        t.entries.clear();
                    }
                    t.entries.push(entry);
                    if self.chunk_track == Some(i) {
                        self.chunk_track = None;
                    }
                }
            }
            None => self.tracks.push(TrackState {
                track: config.track,
                entries: vec![entry],
                samples: Vec::new(),
                chunks: Vec::new(),
            }),
        }
        Ok(())
    }

    /// Appends a frame to the `mdat`. A frame of a track without a configuration takes the
    /// one its codec implies (MP3); otherwise it is an error (`rule: None`). Decode times
    /// that go backwards are held at the last one, so the table stays monotonic.
    pub fn handle_frame(&mut self, frame: &Frame) -> Result<(), Error> {
        let index = match self.tracks.iter().position(|t| t.track == frame.track) {
            Some(i) => i,
            None => {
                let config = TrackConfig::of_frame(frame).ok_or_else(|| {
                    Error::usage(format!(
                        "mp4: a {} frame before its configuration",
                        frame.codec
                    ))
                })?;
                self.handle_config(&config)?;
                self.tracks.len() - 1
            }
        };
        let size = u32::try_from(frame.data.len())
            .map_err(|_| Error::usage("mp4: a frame of 4 GiB or more"))?;
        self.start();
        let description = self.tracks[index].entries.len() as u32;
        let position = self.position;
        let t = &mut self.tracks[index];
        let dts = match t.samples.last() {
            Some(last) => frame.dts.ticks().max(last.dts),
            None => frame.dts.ticks(),
        };
        t.samples.push(Sample {
            size,
            dts,
            cts: frame.pts.ticks() - frame.dts.ticks(),
            sync: frame.keyframe,
        });
        match t.chunks.last_mut() {
            Some(c) if self.chunk_track == Some(index) && c.description == description => {
                c.samples += 1
            }
            _ => t.chunks.push(Chunk {
                offset: position,
                samples: 1,
                description,
            }),
        }
        self.chunk_track = Some(index);
        self.position += u64::from(size);
        self.pending.push_back(frame.data.clone());
        Ok(())
    }

    /// The next bytes to append to the file, in order.
    pub fn poll_output(&mut self) -> Option<Bytes> {
        self.pending.pop_front()
    }

    /// Ends the file: the `moov` and the `mdat` size fix-up. Drain [`poll_output`]
    /// (Self::poll_output) first (it holds the header if no frame came).
    pub fn finish(&mut self) -> Finish {
        self.start();
        let mdat_at = self.mdat_at.unwrap_or(0);
        // Presentation starts: each track plays from its earliest composition time, placed
        // after the movie's earliest one, as the frames' own times say.
        let first_pts = |t: &TrackState| t.samples.iter().map(|s| s.dts + s.cts).min();
        let movie_start = self.tracks.iter().filter_map(first_pts).min().unwrap_or(0);
        let mut moov = Vec::new();
        write_box(&mut moov, b"moov", |o| {
            let mut traks = Vec::new();
            let mut movie_duration = 0;
            for (i, t) in self.tracks.iter().enumerate() {
                let (tables, span) = tables(t);
                let timescale = t.entries[0].timescale;
                let first_pts = first_pts(t).unwrap_or(movie_start);
                let start_delay = rescale(first_pts - movie_start, MOVIE_TIMESCALE).max(0) as u64;
                let media_time = span.first_composition.max(0);
                let track_movie_duration = ((span.composition_end - media_time).max(0) as u128
                    * u128::from(MOVIE_TIMESCALE)
                    / u128::from(timescale.max(1)))
                    as u64;
                let media_duration = span.decode;
                movie_duration = movie_duration.max(start_delay + track_movie_duration);
                write_trak(
                    &mut traks,
                    &TrakParams {
                        track_id: i as u32 + 1,
                        entries: &t.entries,
                        media_duration,
                        movie_duration: track_movie_duration,
                        media_time,
                        start_delay,
                        tables: &tables,
                    },
                );
            }
            write_mvhd(o, movie_duration, self.tracks.len() as u32 + 1);
            o.bytes(&traks);
        });
        Finish {
            moov: moov.into(),
            mdat_size_offset: mdat_at + 8,
            mdat_size: (self.position - mdat_at).to_be_bytes(),
        }
    }

    /// Emits `ftyp` and the `mdat` header (size 1, a 64-bit size to fix up) once.
    fn start(&mut self) {
        if self.mdat_at.is_some() {
            return;
        }
        let mut head = Vec::new();
        write_ftyp(&mut head, PROGRESSIVE_BRANDS);
        let mdat_at = head.len() as u64;
        head.u32(1);
        head.bytes(b"mdat");
        head.u64(16);
        self.mdat_at = Some(mdat_at);
        self.position = head.len() as u64;
        self.pending.push_back(head.into());
    }
}

/// How long a track lasts, in its timescale, from its first decode time.
struct Span {
    /// The sum of the sample durations.
    decode: u64,
    /// The earliest composition time.
    first_composition: i64,
    /// The latest composition time plus its sample's duration.
    composition_end: i64,
}

/// A track's sample tables and its span.
fn tables(t: &TrackState) -> (SampleTables, Span) {
    let timescale = t.entries[0].timescale;
    let first = t.samples.first().map_or(0, |s| s.dts);
    let times: Vec<i64> = t
        .samples
        .iter()
        .map(|s| rescale(s.dts - first, timescale))
        .collect();
    let durations = durations(&times, timescale / 30);
    let offsets: Vec<i32> = t
        .samples
        .iter()
        .map(|s| rescale(s.cts, timescale).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
        .collect();
    let composition = |i: usize| times[i] + i64::from(offsets[i]);
    let span = Span {
        decode: durations.iter().map(|&d| u64::from(d)).sum(),
        first_composition: (0..times.len()).map(composition).min().unwrap_or(0),
        composition_end: (0..times.len())
            .map(|i| composition(i) + i64::from(durations[i]))
            .max()
            .unwrap_or(0),
    };
    let all_sync = t.samples.iter().all(|s| s.sync);
    let tables = SampleTables {
        stts: Stts::from_durations(durations),
        ctts: offsets
            .iter()
            .any(|&o| o != 0)
            .then(|| Ctts::from_offsets(offsets)),
        stss: (!all_sync).then(|| Stss {
            samples: (1..)
                .zip(&t.samples)
                .filter(|(_, s)| s.sync)
                .map(|(n, _)| n)
                .collect(),
        }),
        stsc: Stsc::from_chunks(t.chunks.iter().map(|c| (c.samples, c.description))),
        stsz: Stsz::from_sizes(t.samples.iter().map(|s| s.size).collect()),
        offsets: ChunkOffsets {
            offsets: t.chunks.iter().map(|c| c.offset).collect(),
        },
    };
    (tables, span)
}
