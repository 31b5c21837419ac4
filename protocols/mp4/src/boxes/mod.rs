//! The boxes Weir writes, one structure per file (ISO/IEC 14496-12 unless named).

pub mod dops;
pub mod esds;
pub mod ftyp;
pub mod moof;
pub mod moov;
pub mod stbl;
pub mod stsd;
mod table;
pub mod trak;
