//! MPEG-2 program streams (ISO/IEC 13818-1 §2.5), sans-IO, as GB28181 devices send them:
//! the [`Demuxer`] (PS bytes → [`weir_media::Frame`]s) and the [`Muxer`] (Frames → PS).
//!
//! - [`pack`]: the pack header (MPEG-2, and MPEG-1 recognised and reported);
//! - [`mpeg1`]: the MPEG-1 packet header (11172-1), read and reported where an MPEG-2 PES
//!   header belongs;
//! - [`system_header`]: the system header and its stream bounds;
//! - [`psm`]: the program stream map (stream types, lenient lengths, CRC_32);
//! - PES headers and the elementary-stream readers are `weir-mpegts`'s
//!   ([`weir_mpegts::pes`], [`weir_mpegts::es`]): one PES parser and one Annex-B/ADTS reader
//!   for both crates;
//! - [`demux`]: the demuxer machine, which survives what cameras really send (see its docs);
//! - [`mux`]: the muxer (pack, system header and map at every keyframe, PES per frame);
//! - [`mangle`]: broken variants of a good stream, made on purpose (tests, the simulator);
//! - [`rules`]: the rule catalog (13818-1 §2.5 and GB/T 28181-2016 Annex C).
//!
//! Codecs: H.264 (0x1B), H.265 (0x24), AAC in ADTS (0x0F), G.711 A-law (0x90) and µ-law
//! (0x91). Frames are FLV/MP4 shaped (4-byte length-prefixed NAL units, raw AAC, G.711 bytes),
//! configs as decoder configuration records / AudioSpecificConfig.
//!
//! ```text
//! let mut demuxer = Demuxer::new(Limits::default());
//! demuxer.handle_input(now, &bytes)?;        // PS bytes, any split
//! while let Some(out) = demuxer.poll_output() {
//!     // Output::Event(PsEvent::{TrackAdded, Map, Config, Frame, Resync}) or Output::Violation(v)
//! }
//! demuxer.handle_end(now)?;                   // flushes the last access units
//!
//! let mut muxer = Muxer::new(MuxerConfig::default());
//! muxer.handle_config(&track_config)?;        // each track, before its frames
//! muxer.handle_frame(&frame)?;
//! while let Some(Output::Transmit(bytes)) = muxer.poll_output() { /* packs */ }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod demux;
pub mod mangle;
pub mod mpeg1;
pub mod mux;
pub mod pack;
pub mod psm;
pub mod rules;
pub mod system_header;

pub use demux::{Demuxer, Limits, PsEvent, Stats, TrackInfo};
pub use mux::{Muxer, MuxerConfig};
pub use pack::PackHeader;
pub use psm::{Psm, PsmStream};
pub use system_header::SystemHeader;
pub use weir_media::Error;
