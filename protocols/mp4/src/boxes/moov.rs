//! The movie header and the movie box (ISO/IEC 14496-12 §8.2): `mvhd` and, for fragmented
//! files, `mvex` with one `trex` per track (§8.8.1, §8.8.3).

use crate::writer::{Put, unity_matrix, write_box, write_full_box};

/// The movie timescale: milliseconds, as most muxers write.
pub const MOVIE_TIMESCALE: u32 = 1000;

/// Writes `mvhd` (§8.2.2), version 1, with the movie `duration` in [`MOVIE_TIMESCALE`] units
/// and `next_track_id` one past the highest track id.
pub fn write_mvhd(out: &mut Vec<u8>, duration: u64, next_track_id: u32) {
    write_full_box(out, b"mvhd", 1, 0, |o| {
        o.u64(0);
        o.u64(0);
        o.u32(MOVIE_TIMESCALE);
        o.u64(duration);
        o.u32(0x0001_0000); // rate 1.0
        o.u16(0x0100); // volume 1.0
        o.zeros(10);
        unity_matrix(o);
        o.zeros(24);
        o.u32(next_track_id);
    });
}

/// Writes `mvex` with a `trex` for each of `track_ids`: sample description 1 and no
/// defaults, since every `trun` Weir writes carries each sample's fields.
pub fn write_mvex(out: &mut Vec<u8>, track_ids: impl IntoIterator<Item = u32>) {
    write_box(out, b"mvex", |o| {
        for id in track_ids {
            write_full_box(o, b"trex", 0, 0, |o| {
                o.u32(id);
                o.u32(1);
                o.u32(0);
                o.u32(0);
                o.u32(0);
            });
        }
    });
}
