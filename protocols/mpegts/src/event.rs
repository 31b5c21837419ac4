//! What the demuxer tells its driver ([`DemuxEvent`]) and how it describes a track
//! ([`TrackInfo`]): shared by the demuxer and the elementary-stream readers that make its
//! frames, so that neither imports the other.

use crate::PacketSize;
use crate::pmt::Pmt;
use weir_media::{Codec, Frame, Track, TrackConfig};

/// A track the demuxer reads: where it comes from and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// The track the stream's frames go on: its kind, and its index among the tracks of that kind.
    pub track: Track,
    /// The codec the stream type (and any registration descriptor) names.
    pub codec: Codec,
    /// The elementary PID the stream is carried on.
    pub pid: u16,
    /// The program whose PMT lists the stream.
    pub program_number: u16,
    /// `stream_type` from the PMT (Table 2-34), e.g. 0x1B for H.264.
    pub stream_type: u8,
    /// ISO 639 language code from the PMT, if any.
    pub language: Option<[u8; 3]>,
}

/// What the demuxer tells its driver.
#[derive(Debug, Clone, PartialEq)]
pub enum DemuxEvent {
    /// The packet size found on acquiring sync, and whenever it changes.
    PacketSize(PacketSize),
    /// A program's PMT, the first time and whenever its content changes.
    Program {
        /// The PID the PMT came on, as the PAT names it.
        pmt_pid: u16,
        /// The program map section, read.
        pmt: Pmt,
    },
    /// A program left the PAT (its tracks were removed first).
    ProgramRemoved {
        /// The `program_number` the PAT no longer lists.
        program_number: u16,
    },
    /// A track begins: a PMT names a stream of a codec Weir reads.
    TrackAdded(TrackInfo),
    /// A track ends: its PID left the PMT or changed type (its last PES was read first).
    TrackRemoved(TrackInfo),
    /// A track's decoder configuration, before the first frame it applies to.
    Config(TrackConfig),
    /// One access unit of a track, with PTS and DTS on the 90 kHz clock.
    Frame(Frame),
}
