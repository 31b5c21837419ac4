//! Round trips: every table box Weir writes parses back to the value it was written from,
//! and a written box tree parses back to the same tree.

use bytes::Bytes;
use proptest::prelude::*;
use weir_mp4::boxes::moof::{Trun, TrunSample};
use weir_mp4::boxes::stbl::{ChunkOffsets, Ctts, Stsc, StscEntry, Stss, Stsz, Stts};
use weir_mp4::writer::{Put, write_box, write_full_box};
use weir_mp4::{Mp4Box, parse};

/// The body of the one box in `bytes`, read by the box reader.
fn body(bytes: Vec<u8>) -> Bytes {
    let boxes = parse(&bytes.into()).expect("the box reads");
    assert_eq!(boxes.len(), 1);
    boxes[0].body.clone()
}

fn written(write: impl FnOnce(&mut Vec<u8>)) -> Bytes {
    let mut out = Vec::new();
    write(&mut out);
    body(out)
}

/// A tree of boxes: containers (`moov`, `trak`) or leaves with a body.
#[derive(Debug, Clone)]
enum Tree {
    Leaf([u8; 4], Vec<u8>),
    Container([u8; 4], Vec<Tree>),
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = (
        prop::sample::select(vec![*b"free", *b"stts", *b"abcd"]),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(k, b)| Tree::Leaf(k, b));
    leaf.prop_recursive(4, 32, 4, |inner| {
        (
            prop::sample::select(vec![*b"moov", *b"trak", *b"moof"]),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(k, c)| Tree::Container(k, c))
    })
}

fn write_tree(out: &mut Vec<u8>, t: &Tree) {
    match t {
        Tree::Leaf(k, b) => write_box(out, k, |o| o.bytes(b)),
        Tree::Container(k, c) => write_box(out, k, |o| c.iter().for_each(|t| write_tree(o, t))),
    }
}

fn same(t: &Tree, b: &Mp4Box) -> bool {
    match t {
        Tree::Leaf(k, body) => b.kind == *k && b.body[..] == body[..] && b.children.is_empty(),
        Tree::Container(k, c) => {
            b.kind == *k
                && b.children.len() == c.len()
                && c.iter().zip(&b.children).all(|(t, b)| same(t, b))
        }
    }
}

proptest! {
    #[test]
    fn stts_round_trips(durations in prop::collection::vec(prop::sample::select(vec![1u32, 1024, 3000, 3003]), 0..200)) {
        let stts = Stts::from_durations(durations.clone());
        let expanded: Vec<u32> = stts.entries.iter().flat_map(|&(n, d)| std::iter::repeat_n(d, n as usize)).collect();
        prop_assert_eq!(&expanded, &durations);
        prop_assert_eq!(Stts::parse(&written(|o| stts.write(o))).unwrap(), stts);
    }

    #[test]
    fn ctts_round_trips_signed_offsets(offsets in prop::collection::vec(-6000i32..6000, 0..100)) {
        let ctts = Ctts::from_offsets(offsets);
        prop_assert_eq!(Ctts::parse(&written(|o| ctts.write(o))).unwrap(), ctts);
    }

    #[test]
    fn stss_stsz_and_stsc_round_trip(samples in prop::collection::vec(any::<u32>(), 0..100), chunks in prop::collection::vec((1u32..50, 1u32..3), 0..50)) {
        let stss = Stss { samples: samples.clone() };
        prop_assert_eq!(Stss::parse(&written(|o| stss.write(o))).unwrap(), stss);
        let stsz = Stsz::from_sizes(samples);
        prop_assert_eq!(Stsz::parse(&written(|o| stsz.write(o))).unwrap(), stsz);
        let stsc = Stsc::from_chunks(chunks.clone());
        prop_assert_eq!(Stsc::parse(&written(|o| stsc.write(o))).unwrap(), stsc.clone());
        // The entries expand back to the chunks they were made from.
        let mut expanded = Vec::new();
        for (i, e) in stsc.entries.iter().enumerate() {
            let end = stsc.entries.get(i + 1).map_or(chunks.len() as u32 + 1, |n| n.first_chunk);
            for _ in e.first_chunk..end {
                expanded.push((e.samples_per_chunk, e.description_index));
            }
        }
        prop_assert_eq!(expanded, chunks);
    }

    #[test]
    fn chunk_offsets_round_trip_as_stco_or_co64(offsets in prop::collection::vec(any::<u64>(), 0..50), small: bool) {
        let offsets = ChunkOffsets { offsets: offsets.into_iter().map(|o| if small { o >> 32 } else { o }).collect() };
        let mut out = Vec::new();
        offsets.write(&mut out);
        let wide = &out[4..8] == b"co64";
        prop_assert_eq!(wide, !offsets.fits_32());
        prop_assert_eq!(ChunkOffsets::parse(&body(out), wide).unwrap(), offsets);
    }

    #[test]
    fn trun_round_trips(samples in prop::collection::vec((any::<u32>(), any::<u32>(), any::<u32>(), any::<i32>()), 0..60), data_offset: i32) {
        let trun = Trun {
            data_offset,
            samples: samples.into_iter().map(|(duration, size, flags, cts_offset)| TrunSample { duration, size, flags, cts_offset }).collect(),
        };
        prop_assert_eq!(Trun::parse(&written(|o| trun.write(o))).unwrap(), trun);
    }

    #[test]
    fn box_trees_read_back_as_written(trees in prop::collection::vec(tree(), 0..4)) {
        let mut out = Vec::new();
        trees.iter().for_each(|t| write_tree(&mut out, t));
        let boxes = parse(&out.into()).unwrap();
        prop_assert_eq!(boxes.len(), trees.len());
        for (t, b) in trees.iter().zip(&boxes) {
            prop_assert!(same(t, b), "{t:?} read as {b:?}");
        }
    }
}

#[test]
fn a_full_box_and_stsc_entries_read_as_written() {
    let mut out = Vec::new();
    write_full_box(&mut out, b"stsc", 0, 0, |o| {
        o.u32(1);
        o.u32(1);
        o.u32(5);
        o.u32(1);
    });
    let stsc = Stsc::parse(&body(out)).unwrap();
    assert_eq!(
        stsc.entries,
        [StscEntry {
            first_chunk: 1,
            samples_per_chunk: 5,
            description_index: 1
        }]
    );
}
