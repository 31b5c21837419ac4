//! The sample table (ISO/IEC 14496-12 §8.5-§8.7): when each sample is decoded (`stts`) and
//! shown (`ctts`), which are sync samples (`stss`), how samples group into chunks (`stsc`),
//! their sizes (`stsz`) and where each chunk starts in the file (`stco`/`co64`).
//!
//! Each table is a value that writes its box and parses it back from the box body.

use super::table::{entries, full_header, read_entries, reader, write_entries};
use crate::writer::{Put, write_full_box};
use weir_media::Error;

/// `stts`, decoding time to sample (§8.6.1.2): runs of samples with the same duration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stts {
    /// `(sample_count, sample_delta)` runs, in track timescale units.
    pub entries: Vec<(u32, u32)>,
}

impl Stts {
    /// The runs of a list of sample durations.
    pub fn from_durations(durations: impl IntoIterator<Item = u32>) -> Self {
        Stts {
            entries: runs(durations),
        }
    }

    /// Writes the box.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_entries(out, b"stts", 0, &self.entries, |o, &(count, delta)| {
            o.u32(count);
            o.u32(delta);
        });
    }

    /// Parses the box body (after the 8-byte header).
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let entries = read_entries(body, 8, |r| {
            Ok((r.u32("sample_count")?, r.u32("sample_delta")?))
        })?;
        Ok(Stts { entries })
    }
}

/// `ctts`, composition time to sample (§8.6.1.3), version 1: runs of samples with the same
/// signed offset from decoding to composition time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ctts {
    /// `(sample_count, sample_offset)` runs.
    pub entries: Vec<(u32, i32)>,
}

impl Ctts {
    /// The runs of a list of composition offsets.
    pub fn from_offsets(offsets: impl IntoIterator<Item = i32>) -> Self {
        Ctts {
            entries: runs(offsets),
        }
    }

    /// Writes the box (version 1: signed offsets).
    pub fn write(&self, out: &mut Vec<u8>) {
        write_entries(out, b"ctts", 1, &self.entries, |o, &(count, offset)| {
            o.u32(count);
            o.u32(offset as u32);
        });
    }

    /// Parses the box body; version 0 offsets above `i32::MAX` read as negative, as players do.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let entries = read_entries(body, 8, |r| {
            Ok((r.u32("sample_count")?, r.u32("sample_offset")? as i32))
        })?;
        Ok(Ctts { entries })
    }
}

/// `stss`, sync samples (§8.6.2): the 1-based numbers of the samples decoding can start at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stss {
    /// Sample numbers, ascending, from 1.
    pub samples: Vec<u32>,
}

impl Stss {
    /// Writes the box.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_entries(out, b"stss", 0, &self.samples, |o, &s| o.u32(s));
    }

    /// Parses the box body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let samples = read_entries(body, 4, |r| r.u32("sample_number"))?;
        Ok(Stss { samples })
    }
}

/// One `stsc` entry: from chunk `first_chunk` on, chunks hold `samples_per_chunk` samples
/// described by sample entry `description_index` (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StscEntry {
    /// The first chunk of the run, from 1.
    pub first_chunk: u32,
    /// Samples in each chunk of the run.
    pub samples_per_chunk: u32,
    /// The `stsd` entry of the run's samples, from 1.
    pub description_index: u32,
}

/// `stsc`, sample to chunk (§8.7.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stsc {
    /// Entries, one per change of samples per chunk or description.
    pub entries: Vec<StscEntry>,
}

impl Stsc {
    /// The entries of a list of chunks, each `(samples, description_index)`.
    pub fn from_chunks(chunks: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut entries: Vec<StscEntry> = Vec::new();
        for (i, (samples, description)) in chunks.into_iter().enumerate() {
            if entries.last().is_some_and(|e| {
                e.samples_per_chunk == samples && e.description_index == description
            }) {
                continue;
            }
            entries.push(StscEntry {
                first_chunk: i as u32 + 1,
                samples_per_chunk: samples,
                description_index: description,
            });
        }
        Stsc { entries }
    }

    /// Writes the box.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_entries(out, b"stsc", 0, &self.entries, |o, e| {
            o.u32(e.first_chunk);
            o.u32(e.samples_per_chunk);
            o.u32(e.description_index);
        });
    }

    /// Parses the box body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let entries = read_entries(body, 12, |r| {
            Ok(StscEntry {
                first_chunk: r.u32("first_chunk")?,
                samples_per_chunk: r.u32("samples_per_chunk")?,
                description_index: r.u32("sample_description_index")?,
            })
        })?;
        Ok(Stsc { entries })
    }
}

/// `stsz`, sample sizes (§8.7.3.2): one size for all samples, or one per sample.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stsz {
    /// The size of every sample when they are all the same (then `sizes` is empty), else 0.
    pub uniform: u32,
    /// The number of samples.
    pub count: u32,
    /// Each sample's size, when `uniform` is 0.
    pub sizes: Vec<u32>,
}

impl Stsz {
    /// The table of these sample sizes (always one entry per sample).
    pub fn from_sizes(sizes: Vec<u32>) -> Self {
        Stsz {
            uniform: 0,
            count: sizes.len() as u32,
            sizes,
        }
    }

    /// Writes the box.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_full_box(out, b"stsz", 0, 0, |o| {
            o.u32(self.uniform);
            o.u32(self.count);
            if self.uniform == 0 {
                for &s in &self.sizes {
                    o.u32(s);
                }
            }
        });
    }

    /// Parses the box body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = reader(body);
        full_header(&mut r)?;
        let uniform = r.u32("sample_size")?;
        let count = r.u32("sample_count")?;
        let mut sizes = Vec::new();
        if uniform == 0 {
            let n = entries(&r, count, 4)?;
            sizes.reserve(n);
            for _ in 0..n {
                sizes.push(r.u32("entry_size")?);
            }
        } else {
            entries(&r, 0, 4)?;
        }
        Ok(Stsz {
            uniform,
            count,
            sizes,
        })
    }
}

/// `stco` or `co64`, chunk offsets (§8.7.5): where each chunk starts, from the file's start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChunkOffsets {
    /// File offsets of the chunks, in order.
    pub offsets: Vec<u64>,
}

impl ChunkOffsets {
    /// Whether the 32-bit `stco` holds every offset (else `co64` is written).
    pub fn fits_32(&self) -> bool {
        self.offsets.iter().all(|&o| o <= u64::from(u32::MAX))
    }

    /// Writes `stco` when every offset fits 32 bits, `co64` otherwise.
    pub fn write(&self, out: &mut Vec<u8>) {
        let wide = !self.fits_32();
        let kind = if wide { b"co64" } else { b"stco" };
        write_entries(out, kind, 0, &self.offsets, |o, &off| {
            if wide { o.u64(off) } else { o.u32(off as u32) }
        });
    }

    /// Parses an `stco` (`wide` false) or `co64` (`wide` true) body.
    pub fn parse(body: &[u8], wide: bool) -> Result<Self, Error> {
        let offsets = read_entries(body, if wide { 8 } else { 4 }, |r| {
            if wide {
                r.u64("chunk_offset")
            } else {
                r.u32("chunk_offset").map(u64::from)
            }
        })?;
        Ok(ChunkOffsets { offsets })
    }
}

/// Run-length pairs `(count, value)` of a sequence.
fn runs<T: PartialEq + Copy>(values: impl IntoIterator<Item = T>) -> Vec<(u32, T)> {
    let mut out: Vec<(u32, T)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((count, last)) if *last == v && *count < u32::MAX => *count += 1,
            _ => out.push((1, v)),
        }
    }
    out
}
