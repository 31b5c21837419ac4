//! `weir check`'s MP4 observer on an arbitrary file: the box headers assembled across reads,
//! media data skipped, the other boxes read whole and their tables parsed. Nothing panics,
//! and the file read in pieces of any size (the first byte picks it) gives the same
//! observations as the file read at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_conformance::capture::Direction;
use weir_conformance::observe::mp4::Mp4Observer;
use weir_conformance::observe::{Observation, Observer};

fn observe(file: &[u8], piece: usize) -> Vec<Observation> {
    let mut observer = Mp4Observer::default();
    let mut out = Vec::new();
    let dir = Direction::ClientToServer;
    for (i, chunk) in file.chunks(piece.max(1)).enumerate() {
        observer.data(dir, (i * piece) as u64, chunk, &mut out);
    }
    observer.finished(dir, file.len() as u64, &mut out);
    observer.closed(&mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, file)) = data.split_first() else {
        return;
    };
    let piece = usize::from(first) + 1;
    assert_eq!(observe(file, piece), observe(file, file.len().max(1)));
});
