//! MPEG-2 transport streams (ISO/IEC 13818-1), sans-IO: packets, PSI, PES, and the two
//! machines Weir drives — the [`Demuxer`] (TS bytes → [`weir_media::Frame`]s) and the
//! [`Muxer`] (Frames → TS packets).
//!
//! - [`packet`], [`adaptation`]: the 4-byte header and the adaptation field (PCR, flags,
//!   stuffing) of one 188-byte packet; [`framer`]: sync and 188/192/204-byte packet sizes,
//!   told by [`sync`] (which also says whether the first bytes of a flow or file are TS);
//! - [`psi`], [`pat`], [`pmt`], [`crc`]: sections and the two tables Weir reads and writes;
//! - [`pes`]: PES headers with PTS/DTS; [`timestamp`]: the 2^33 wrap;
//! - [`es`]: elementary stream readers (complete PES packets → Frames and configs), shared
//!   with the MPEG-PS demuxer (`weir-mpegps`);
//! - [`video`], [`mpa`], [`opus`]: what the elementary streams carry (Annex-B access units
//!   and decoder records, MPEG audio headers, Opus access units and descriptors);
//! - [`rules`]: the rule catalog (13818-1 and ETSI TR 101 290).
//!
//! Codecs: H.264, H.265, AAC (ADTS), MPEG audio (layers I-III, as [`weir_media::Codec::Mp3`])
//! and Opus, both ways. Frames are FLV/MP4 shaped (4-byte length-prefixed NAL units, raw AAC,
//! configs as decoder configuration records / AudioSpecificConfig / OpusHead).
//!
//! ```text
//! let mut demuxer = Demuxer::new(Limits::default());
//! demuxer.handle_input(now, &bytes)?;        // TS, M2TS (192) or RS (204) packets, any split
//! while let Some(out) = demuxer.poll_output() {
//!     // Output::Event(DemuxEvent::{PacketSize, Program, ProgramRemoved, TrackAdded,
//!     //                           TrackRemoved, Config, Frame}) or Output::Violation(v)
//! }
//! demuxer.handle_end(now)?;                   // flushes the last access units
//!
//! let mut muxer = Muxer::new(MuxerConfig::default());
//! muxer.handle_config(&track_config)?;        // each track, before its frames
//! muxer.start_segment();                      // PAT/PMT now (HLS segment boundary)
//! muxer.handle_frame(&frame)?;
//! while let Some(Output::Transmit(packets)) = muxer.poll_output() { /* 188-byte packets */ }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adaptation;
pub mod crc;
pub mod demux;
pub mod es;
mod event;
pub mod framer;
/// MPEG audio frame headers; they live in `weir_media` (MP3's configuration is one).
pub use weir_media::mpa;
pub mod mux;
pub mod opus;
pub mod packet;
pub mod pat;
pub mod pes;
pub mod pmt;
pub mod psi;
pub mod rules;
pub mod sync;
pub mod timestamp;
pub mod video;

pub use adaptation::{AdaptationField, Pcr};
pub use demux::{DemuxEvent, Demuxer, Limits, TrackInfo};
pub use mux::{Muxer, MuxerConfig};
pub use packet::{PACKET_LEN, PacketHeader, PacketSize};
pub use pmt::Pmt;
pub use weir_media::Error;
