//! MP4 from hostile bytes: the box tree reader (bounded depth, sizes checked against their
//! parents) and every table parser on every body it finds. Nothing panics, and whatever
//! parses writes back to a box that parses to the same value.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_mp4::Mp4Box;
use weir_mp4::boxes::moof::Trun;
use weir_mp4::boxes::stbl::{ChunkOffsets, Ctts, Stsc, Stss, Stsz, Stts};

/// The body of the one box `write` writes.
fn rewritten(write: impl FnOnce(&mut Vec<u8>)) -> Bytes {
    let mut out = Vec::new();
    write(&mut out);
    let boxes = weir_mp4::parse(&out.into()).expect("a written box reads");
    boxes[0].body.clone()
}

fn tables(body: &[u8]) {
    if let Ok(v) = Stts::parse(body) {
        assert_eq!(Stts::parse(&rewritten(|o| v.write(o))).as_ref(), Ok(&v));
    }
    if let Ok(v) = Ctts::parse(body) {
        assert_eq!(Ctts::parse(&rewritten(|o| v.write(o))).as_ref(), Ok(&v));
    }
    if let Ok(v) = Stss::parse(body) {
        assert_eq!(Stss::parse(&rewritten(|o| v.write(o))).as_ref(), Ok(&v));
    }
    if let Ok(v) = Stsc::parse(body) {
        assert_eq!(Stsc::parse(&rewritten(|o| v.write(o))).as_ref(), Ok(&v));
    }
    if let Ok(v) = Stsz::parse(body) {
        assert_eq!(Stsz::parse(&rewritten(|o| v.write(o))).as_ref(), Ok(&v));
    }
    for wide in [false, true] {
        if let Ok(v) = ChunkOffsets::parse(body, wide) {
            let again = rewritten(|o| v.write(o));
            assert_eq!(ChunkOffsets::parse(&again, !v.fits_32()).as_ref(), Ok(&v));
        }
    }
    let _ = Trun::parse(body);
}

fn walk(boxes: &[Mp4Box], depth: usize) {
    assert!(depth <= weir_mp4::parse::MAX_DEPTH + 1);
    for b in boxes {
        tables(&b.body);
        walk(&b.children, depth + 1);
    }
}

fuzz_target!(|data: &[u8]| {
    tables(data);
    if let Ok(boxes) = weir_mp4::parse(&Bytes::copy_from_slice(data)) {
        walk(&boxes, 0);
    }
});
