//! ISO base media files (MP4, ISO/IEC 14496-12), sans-IO: the writer of Weir's DVR
//! recordings, the pieces of fragmented MP4 for fMP4 HLS and DASH, and a bounded reader of
//! the box tree for tests and fuzzing.
//!
//! - [`writer`]: box headers (32- and 64-bit sizes) and full boxes;
//! - [`boxes`]: one box per file — [`boxes::ftyp`], [`boxes::moov`] (`mvhd`, `mvex`/`trex`),
//!   [`boxes::trak`] (`tkhd`, `elst`, `mdia`, `mdhd`, `hdlr`, `minf`, `dinf`),
//!   [`boxes::stsd`] (sample entries `avc1`, `hvc1`, `mp4a`, `Opus`), [`boxes::esds`],
//!   [`boxes::dops`], [`boxes::stbl`] (`stts`, `ctts`, `stss`, `stsc`, `stsz`, `stco`/`co64`)
//!   and [`boxes::moof`] (`mfhd`, `tfhd`, `tfdt`, `trun`);
//! - [`progressive`]: [`Mp4Writer`], a whole file with the `moov` at the end;
//! - [`fragment`]: [`Fragmenter`], an init segment and `moof`+`mdat` fragments;
//! - [`parse`]: the box tree reader; [`rules`]: what it checks.
//!
//! Tracks: H.264, H.265 (90 kHz timescale), AAC, MP3 (the sample rate), Opus (48 kHz).
//!
//! ```text
//! let mut mp4 = Mp4Writer::new();
//! mp4.handle_config(&track_config)?;           // each track, before its frames
//! mp4.handle_frame(&frame)?;
//! while let Some(bytes) = mp4.poll_output() {  // ftyp + mdat header, then the frames' data
//!     file.write_all(&bytes)?;
//! }
//! let end = mp4.finish();                      // drain poll_output once more, then:
//! file.write_all(&end.moov)?;
//! file.write_at(end.mdat_size_offset, &end.mdat_size)?;
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod boxes;
pub mod fragment;
pub mod parse;
pub mod progressive;
pub mod rules;
mod timing;
pub mod writer;

pub use fragment::Fragmenter;
pub use parse::{Mp4Box, find, parse};
pub use progressive::{Finish, Mp4Writer};
pub use weir_media::Error;
