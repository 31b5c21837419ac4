//! Fragmented MP4 (ISO/IEC 14496-12 §8.8), for fMP4 HLS and DASH: an init segment (`ftyp` and
//! a `moov` whose tracks have empty sample tables and an `mvex`), then `moof`+`mdat` pairs,
//! each carrying a run of samples per track with its own decode time (`tfdt`).
//!
//! ```text
//! let mut f = Fragmenter::new(&configs)?;   // every track, before any fragment
//! write(f.init_segment());
//! write(f.fragment(&frames_of_one_segment)?); // moof + mdat
//! ```

use crate::boxes::ftyp::{FRAGMENTED_BRANDS, write_ftyp};
use crate::boxes::moof::{
    NON_SYNC_SAMPLE, SYNC_SAMPLE, Trun, TrunSample, write_mfhd, write_tfdt, write_tfhd,
};
use crate::boxes::moov::{write_mvex, write_mvhd};
use crate::boxes::stsd::SampleEntry;
use crate::boxes::trak::{SampleTables, TrakParams, write_trak};
use crate::timing::{durations, rescale};
use crate::writer::{Put, write_box};
use bytes::Bytes;
use weir_media::{Error, Frame, Track, TrackConfig};

/// Writes an init segment and fragments for a fixed set of tracks; see the [module
/// docs](self).
#[derive(Debug)]
pub struct Fragmenter {
    tracks: Vec<(Track, SampleEntry)>,
    /// The duration of each track's last sample, for a run of one sample.
    last_duration: Vec<u32>,
    sequence: u32,
}

impl Fragmenter {
    /// A fragmenter for these tracks (track ids follow their order, from 1). Errors as
    /// [`SampleEntry::from_config`] does.
    pub fn new(configs: &[TrackConfig]) -> Result<Self, Error> {
        let tracks = configs
            .iter()
            .map(|c| Ok((c.track, SampleEntry::from_config(c)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let last_duration = tracks.iter().map(|(_, e)| e.timescale / 30).collect();
        Ok(Fragmenter {
            tracks,
            last_duration,
            sequence: 0,
        })
    }

    /// `ftyp` and `moov` (with `mvex`): what a player reads before any fragment.
    pub fn init_segment(&self) -> Bytes {
        let mut out = Vec::new();
        write_ftyp(&mut out, FRAGMENTED_BRANDS);
        write_box(&mut out, b"moov", |o| {
            write_mvhd(o, 0, self.tracks.len() as u32 + 1);
            let empty = SampleTables::default();
            for (i, (_, entry)) in self.tracks.iter().enumerate() {
                write_trak(
                    o,
                    &TrakParams {
                        track_id: i as u32 + 1,
                        entries: std::slice::from_ref(entry),
                        media_duration: 0,
                        movie_duration: 0,
                        start_delay: 0,
                        media_time: 0,
                        tables: &empty,
                    },
                );
            }
            write_mvex(o, 1..=self.tracks.len() as u32);
        });
        out.into()
    }

    /// One `moof` and its `mdat` for `frames` (any tracks, each track's in decode order).
    /// Errors (`rule: None`) for a frame of a track not given to [`Fragmenter::new`] or of
    /// 4 GiB or more.
    pub fn fragment(&mut self, frames: &[Frame]) -> Result<Bytes, Error> {
        let mut runs: Vec<Vec<&Frame>> = vec![Vec::new(); self.tracks.len()];
        for frame in frames {
            let i = self
                .tracks
                .iter()
                .position(|(t, _)| *t == frame.track)
                .ok_or_else(|| Error::usage("mp4: a frame of a track the init segment lacks"))?;
            if u32::try_from(frame.data.len()).is_err() {
                return Err(Error::usage("mp4: a frame of 4 GiB or more"));
            }
            runs[i].push(frame);
        }
        self.sequence += 1;
        let mut trafs = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            if run.is_empty() {
                continue;
            }
            let timescale = self.tracks[i].1.timescale;
            let times: Vec<i64> = run
                .iter()
                .map(|f| rescale(f.dts.ticks(), timescale))
                .collect();
            let mut sorted = times.clone();
            for k in 1..sorted.len() {
                sorted[k] = sorted[k].max(sorted[k - 1]);
            }
            let durations = durations(&sorted, self.last_duration[i]);
            self.last_duration[i] = *durations.last().unwrap_or(&0);
            let samples = run
                .iter()
                .zip(durations)
                .map(|(f, duration)| TrunSample {
                    duration,
                    size: f.data.len() as u32,
                    flags: if f.keyframe {
                        SYNC_SAMPLE
                    } else {
                        NON_SYNC_SAMPLE
                    },
                    cts_offset: rescale(f.pts.ticks() - f.dts.ticks(), timescale)
                        .clamp(i64::from(i32::MIN), i64::from(i32::MAX))
                        as i32,
                })
                .collect();
            let base = sorted[0].max(0) as u64;
            trafs.push((
                i as u32 + 1,
                base,
                Trun {
                    data_offset: 0,
                    samples,
                },
            ));
        }
        // The moof's size does not depend on the data offsets: write it once to learn it,
        // then again with each run's offset from the moof's start.
        let moof_len = self.moof(&trafs).len();
        let mut offset = moof_len + 8;
        for (_, _, trun) in &mut trafs {
            trun.data_offset = i32::try_from(offset).unwrap_or(i32::MAX);
            offset += trun.samples.iter().map(|s| s.size as usize).sum::<usize>();
        }
        let mut out = self.moof(&trafs);
        let mdat_len = offset - moof_len;
        let len = u32::try_from(mdat_len)
            .map_err(|_| Error::usage("mp4: a fragment of 4 GiB or more"))?;
        out.u32(len);
        out.bytes(b"mdat");
        for run in &runs {
            for f in run {
                out.bytes(&f.data);
            }
        }
        Ok(out.into())
    }

    fn moof(&self, trafs: &[(u32, u64, Trun)]) -> Vec<u8> {
        let mut out = Vec::new();
        write_box(&mut out, b"moof", |o| {
            write_mfhd(o, self.sequence);
            for (id, base, trun) in trafs {
                write_box(o, b"traf", |o| {
                    write_tfhd(o, *id);
                    write_tfdt(o, *base);
                    trun.write(o);
                });
            }
        });
        out
    }
}
