//! A track (ISO/IEC 14496-12 §8.3-§8.5): `trak` with `tkhd`, an optional `edts`/`elst`,
//! and `mdia` (`mdhd`, `hdlr`, `minf` with `vmhd`/`smhd`, `dinf`/`dref` and `stbl`).

use super::stbl::{ChunkOffsets, Ctts, Stsc, Stss, Stsz, Stts};
use super::stsd::{SampleEntry, write_stsd};
use crate::writer::{Put, unity_matrix, write_box, write_full_box};
use weir_media::MediaKind;

/// The sample tables of one track (all empty in an fMP4 init segment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleTables {
    /// Decode durations.
    pub stts: Stts,
    /// Composition offsets, when any is not zero.
    pub ctts: Option<Ctts>,
    /// Sync samples, when not every sample is one.
    pub stss: Option<Stss>,
    /// Samples per chunk.
    pub stsc: Stsc,
    /// Sample sizes.
    pub stsz: Stsz,
    /// Chunk offsets.
    pub offsets: ChunkOffsets,
}

/// What a `trak` says about its track.
#[derive(Debug, Clone, Copy)]
pub struct TrakParams<'a> {
    /// `track_ID`, from 1.
    pub track_id: u32,
    /// The sample entries (one per configuration the track has had; at least one).
    pub entries: &'a [SampleEntry],
    /// Media duration in the track's timescale.
    pub media_duration: u64,
    /// How long the track plays, in the movie timescale: the media duration less
    /// `media_time`.
    pub movie_duration: u64,
    /// The composition time, in the track's timescale, at which the track starts playing:
    /// that of its earliest-presented sample, so that composition offsets do not delay it
    /// (§8.6.6; written as an edit when not zero).
    pub media_time: i64,
    /// How long after the movie's start the track's earliest-presented sample plays, in the
    /// movie timescale: written as an empty edit (§8.6.6) when not zero.
    pub start_delay: u64,
    /// The sample tables.
    pub tables: &'a SampleTables,
}

/// Writes a `trak`.
pub fn write_trak(out: &mut Vec<u8>, p: &TrakParams<'_>) {
    let entry = &p.entries[0];
    write_box(out, b"trak", |o| {
        write_tkhd(o, p, entry);
        if p.start_delay > 0 || p.media_time != 0 {
            write_box(o, b"edts", |o| {
                let empty = p.start_delay > 0;
                write_full_box(o, b"elst", 1, 0, |o| {
                    o.u32(1 + u32::from(empty));
                    if empty {
                        o.u64(p.start_delay);
                        o.u64(u64::MAX); // media_time -1: an empty edit
                        o.u32(0x0001_0000);
                    }
                    o.u64(p.movie_duration);
                    o.u64(p.media_time as u64);
                    o.u32(0x0001_0000); // media_rate 1.0
                });
            });
        }
        write_box(o, b"mdia", |o| {
            write_full_box(o, b"mdhd", 1, 0, |o| {
                o.u64(0);
                o.u64(0);
                o.u32(entry.timescale);
                o.u64(p.media_duration);
                o.u16(0x55c4); // ISO 639-2/T "und", 5 bits a letter
                o.u16(0);
            });
            write_full_box(o, b"hdlr", 0, 0, |o| {
                o.u32(0);
                o.bytes(entry.handler());
                o.zeros(12);
                o.bytes(if entry.kind == MediaKind::Video {
                    b"VideoHandler\0"
                } else {
                    b"SoundHandler\0"
                });
            });
            write_box(o, b"minf", |o| {
                if entry.kind == MediaKind::Video {
                    // §12.1.2: graphicsmode 0 (copy), opcolor; flags 1 as the spec fixes.
                    write_full_box(o, b"vmhd", 0, 1, |o| o.zeros(8));
                } else {
                    write_full_box(o, b"smhd", 0, 0, |o| o.zeros(4));
                }
                write_box(o, b"dinf", |o| {
                    write_full_box(o, b"dref", 0, 0, |o| {
                        o.u32(1);
                        // flags 1: the media data is in this file.
                        write_full_box(o, b"url ", 0, 1, |_| {});
                    });
                });
                write_box(o, b"stbl", |o| {
                    write_stsd(o, p.entries);
                    let t = p.tables;
                    t.stts.write(o);
                    if let Some(ctts) = &t.ctts {
                        ctts.write(o);
                    }
                    if let Some(stss) = &t.stss {
                        stss.write(o);
                    }
                    t.stsc.write(o);
                    t.stsz.write(o);
                    t.offsets.write(o);
                });
            });
        });
    });
}

/// `tkhd` (§8.3.2), version 1; flags 3: track enabled and used in the presentation.
fn write_tkhd(out: &mut Vec<u8>, p: &TrakParams<'_>, entry: &SampleEntry) {
    write_full_box(out, b"tkhd", 1, 3, |o| {
        o.u64(0);
        o.u64(0);
        o.u32(p.track_id);
        o.u32(0);
        o.u64(p.start_delay + p.movie_duration);
        o.zeros(8);
        o.u16(0); // layer
        o.u16(0); // alternate_group
        o.u16(if entry.kind == MediaKind::Audio {
            0x0100
        } else {
            0
        });
        o.u16(0);
        unity_matrix(o);
        o.u32(u32::from(entry.width) << 16);
        o.u32(u32::from(entry.height) << 16);
    });
}

/// The timescale of an `mdhd` body (§8.4.2.2): after version and flags, the creation and
/// modification times (32 bits each in version 0, 64 in version 1). `None` when too short.
pub fn mdhd_timescale(body: &[u8]) -> Option<u32> {
    let at = if body.first() == Some(&1) { 20 } else { 12 };
    Some(u32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?))
}
