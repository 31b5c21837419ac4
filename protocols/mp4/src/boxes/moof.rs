//! Movie fragment boxes (ISO/IEC 14496-12 §8.8): `mfhd` (sequence number), `tfhd` (the
//! track and defaults), `tfdt` (the fragment's first decode time) and `trun` (its samples).

use super::table::{entries, full_header, reader};
use crate::writer::{Put, write_full_box};
use weir_media::Error;

/// `sample_flags` of a sync sample: depends on no other (§8.8.3.1, `sample_depends_on` 2).
pub const SYNC_SAMPLE: u32 = 0x0200_0000;
/// `sample_flags` of a sample that depends on others and is not a sync sample.
pub const NON_SYNC_SAMPLE: u32 = 0x0101_0000;

/// `tfhd` flag: offsets are from the start of the enclosing `moof` (§8.8.7.1).
pub const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;

/// Writes `mfhd` (§8.8.5): the fragment's sequence number, counting from 1.
pub fn write_mfhd(out: &mut Vec<u8>, sequence: u32) {
    write_full_box(out, b"mfhd", 0, 0, |o| o.u32(sequence));
}

/// Writes `tfhd` (§8.8.7) for `track_id` with `default-base-is-moof` and no defaults: every
/// sample's duration, size and flags are in the `trun`.
pub fn write_tfhd(out: &mut Vec<u8>, track_id: u32) {
    write_full_box(out, b"tfhd", 0, DEFAULT_BASE_IS_MOOF, |o| o.u32(track_id));
}

/// Writes `tfdt` (§8.8.12), version 1: the decode time of the fragment's first sample.
pub fn write_tfdt(out: &mut Vec<u8>, base_decode_time: u64) {
    write_full_box(out, b"tfdt", 1, 0, |o| o.u64(base_decode_time));
}

/// One sample of a track run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrunSample {
    /// Duration in the track's timescale.
    pub duration: u32,
    /// Size in bytes.
    pub size: u32,
    /// `sample_flags` ([`SYNC_SAMPLE`], [`NON_SYNC_SAMPLE`]).
    pub flags: u32,
    /// Composition time minus decode time.
    pub cts_offset: i32,
}

/// `trun`, a track fragment run (§8.8.8).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trun {
    /// Where the run's first sample starts, from the base (the `moof`, here).
    pub data_offset: i32,
    /// The samples.
    pub samples: Vec<TrunSample>,
}

const DATA_OFFSET: u32 = 0x1;
const FIRST_FLAGS: u32 = 0x4;
const DURATION: u32 = 0x100;
const SIZE: u32 = 0x200;
const FLAGS: u32 = 0x400;
const CTS: u32 = 0x800;

impl Trun {
    /// Writes the box, version 1 (signed offsets) with every per-sample field present.
    pub fn write(&self, out: &mut Vec<u8>) {
        let flags = DATA_OFFSET | DURATION | SIZE | FLAGS | CTS;
        write_full_box(out, b"trun", 1, flags, |o| {
            o.u32(self.samples.len() as u32);
            o.u32(self.data_offset as u32);
            for s in &self.samples {
                o.u32(s.duration);
                o.u32(s.size);
                o.u32(s.flags);
                o.u32(s.cts_offset as u32);
            }
        });
    }

    /// Parses the box body, whichever optional fields its flags announce (absent ones are 0).
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = reader(body);
        let (_, flags) = full_header(&mut r)?;
        let count = r.u32("sample_count")?;
        let data_offset = if flags & DATA_OFFSET != 0 {
            r.u32("data_offset")? as i32
        } else {
            0
        };
        let first_flags = if flags & FIRST_FLAGS != 0 {
            Some(r.u32("first_sample_flags")?)
        } else {
            None
        };
        let per = [DURATION, SIZE, FLAGS, CTS]
            .iter()
            .filter(|&&f| flags & f != 0)
            .count();
        let n = if per == 0 {
            // No per-sample fields: nothing to read, and nothing to allocate per sample.
            entries(&r, 0, 4)?;
            0
        } else {
            entries(&r, count, per * 4)?
        };
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            let mut field = |bit: u32, name: &str| -> Result<u32, Error> {
                if flags & bit != 0 { r.u32(name) } else { Ok(0) }
            };
            let mut s = TrunSample {
                duration: field(DURATION, "sample_duration")?,
                size: field(SIZE, "sample_size")?,
                flags: field(FLAGS, "sample_flags")?,
                cts_offset: field(CTS, "sample_composition_time_offset")? as i32,
            };
            if i == 0
                && let Some(f) = first_flags
            {
                s.flags = f;
            }
            samples.push(s);
        }
        Ok(Trun {
            data_offset,
            samples,
        })
    }
}
