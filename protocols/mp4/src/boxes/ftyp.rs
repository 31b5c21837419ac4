//! `ftyp`, the file type box (ISO/IEC 14496-12 §4.3): the brand a file follows best and the
//! others it is compatible with.

use crate::writer::{Put, write_box};

/// Brands of a progressive file: `isom` (14496-12), `iso2`, `avc1`, `mp41` (14496-14).
pub const PROGRESSIVE_BRANDS: (&[u8; 4], &[&[u8; 4]]) =
    (b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"]);
/// Brands of a fragmented file's init segment: `iso6` adds `tfdt` and default-base-is-moof.
pub const FRAGMENTED_BRANDS: (&[u8; 4], &[&[u8; 4]]) =
    (b"iso6", &[b"iso6", b"isom", b"mp41", b"dash"]);

/// Writes `ftyp` with `major` brand, minor version 0 and `compatible` brands.
pub fn write_ftyp(out: &mut Vec<u8>, (major, compatible): (&[u8; 4], &[&[u8; 4]])) {
    write_box(out, b"ftyp", |o| {
        o.bytes(major);
        o.u32(0);
        for brand in compatible {
            o.bytes(*brand);
        }
    });
}
