//! Hostile and broken input to the box reader: no panic on arbitrary or mutated bytes, each
//! rule of the catalog fired by an input made to break it, at its byte; and what the writers
//! refuse from their callers.

mod support;

use bytes::Bytes;
use proptest::prelude::*;
use support::{flv_packets, fragmented, progressive};
use weir_media::{Codec, Frame, Timestamp, Track, TrackConfig};
use weir_mp4::boxes::moof::Trun;
use weir_mp4::boxes::stbl::{ChunkOffsets, Ctts, Stsc, Stss, Stsz, Stts};
use weir_mp4::rules::CATALOG;
use weir_mp4::{Fragmenter, Mp4Box, Mp4Writer, parse};

/// Every table parser on every leaf body, and the tree walked: none may panic.
fn read_everything(input: &[u8]) {
    fn walk(boxes: &[Mp4Box], depth: usize) {
        assert!(depth <= weir_mp4::parse::MAX_DEPTH + 1);
        for b in boxes {
            let _ = Stts::parse(&b.body);
            let _ = Ctts::parse(&b.body);
            let _ = Stss::parse(&b.body);
            let _ = Stsc::parse(&b.body);
            let _ = Stsz::parse(&b.body);
            let _ = ChunkOffsets::parse(&b.body, false);
            let _ = ChunkOffsets::parse(&b.body, true);
            let _ = Trun::parse(&b.body);
            walk(&b.children, depth + 1);
        }
    }
    if let Ok(boxes) = parse(&Bytes::copy_from_slice(input)) {
        walk(&boxes, 0);
    }
}

fn sample_file() -> Vec<u8> {
    progressive(&flv_packets(&weir_testkit::corpus::read("flv/avc_aac.flv")))
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        read_everything(&data);
    }

    #[test]
    fn mutated_files_never_panic(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20), cut in any::<prop::sample::Index>()) {
        let mut file = sample_file();
        // The moov is at the end: mutate there, where the boxes are.
        let moov = file.len() - 4000.min(file.len());
        for (at, byte) in edits {
            let i = moov + at.index(file.len() - moov);
            file[i] = byte;
        }
        read_everything(&file);
        read_everything(&file[..cut.index(file.len() + 1)]);
    }
}

#[test]
fn nesting_deeper_than_the_limit_stays_a_leaf() {
    // 100 nested moov boxes: the reader stops descending at MAX_DEPTH.
    let mut data = b"leaf".to_vec();
    for _ in 0..100 {
        let mut outer = ((data.len() + 8) as u32).to_be_bytes().to_vec();
        outer.extend_from_slice(b"moov");
        outer.extend_from_slice(&data);
        data = outer;
    }
    let mut depth = 0;
    let whole = parse(&Bytes::from(data)).unwrap();
    let mut level = &whole;
    while let Some(b) = level.first() {
        depth += 1;
        level = &b.children;
    }
    assert_eq!(depth, weir_mp4::parse::MAX_DEPTH + 1);
}

/// The rule ids an input broke: the error's, for the reader and the table parsers.
fn fired(input: &[u8]) -> Vec<&'static str> {
    let mut ids = Vec::new();
    match parse(&Bytes::copy_from_slice(input)) {
        Err(e) => ids.push(e.rule_id()),
        Ok(boxes) => {
            for b in &boxes {
                if let Err(e) = Stts::parse(&b.body) {
                    ids.push(e.rule_id());
                }
            }
        }
    }
    ids
}

#[test]
fn every_rule_fires_on_its_input() {
    let table = [
        // A size of 4 is smaller than the 8-byte header.
        ("mp4.box.size", fired(b"\x00\x00\x00\x04free")),
        // A size of 100 with 8 bytes there.
        ("mp4.box.size", fired(b"\x00\x00\x00\x64free")),
        // Five bytes: no whole header.
        ("mp4.box.truncated", fired(b"\x00\x00\x00\x08f")),
        // Size 1 announces a 64-bit size that is not there.
        ("mp4.box.truncated", fired(b"\x00\x00\x00\x01mdat\x00\x00")),
        // stts announcing two entries, holding one.
        (
            "mp4.table.entry-count",
            fired(b"\x00\x00\x00\x18stts\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x0b\xb8"),
        ),
        // A chunk at 4000 in a file whose media data is bytes 40..1000.
        (
            "mp4.table.chunk-offset",
            weir_mp4::parse::check_chunk_offsets(&[(48, 200), (4000, 200)], &[40..1000, 2000..2010])
                .map(|v| v.rule.id)
                .into_iter()
                .collect(),
        ),
    ];
    let table: Vec<(&str, Vec<&str>)> = table.into_iter().collect();
    weir_testkit::rule_table::check(CATALOG, &table);
    assert!(weir_mp4::parse::check_chunk_offsets(&[(48, 200)], &[40..1000, 2000..2010]).is_none());
}

#[test]
fn errors_say_where() {
    let mut file = b"\x00\x00\x00\x08free".to_vec();
    file.extend_from_slice(b"\x00\x00\x00\x10moov\x00\x00\x00\x09trak");
    let e = parse(&file.into()).unwrap_err();
    assert_eq!((e.rule_id(), e.offset), ("mp4.box.size", 16));
}

fn aac_config() -> TrackConfig {
    TrackConfig {
        track: Track::AUDIO,
        codec: Codec::Aac,
        data: Bytes::from_static(&[0x12, 0x10]),
    }
}

#[test]
fn the_writers_refuse_what_mp4_does_not_carry_and_frames_without_a_config() {
    let mut mp4 = Mp4Writer::new();
    let av1 = TrackConfig {
        track: Track::VIDEO,
        codec: Codec::Av1,
        data: Bytes::from_static(&[0x81, 0, 0, 0]),
    };
    assert!(mp4.handle_config(&av1).unwrap_err().rule.is_none());
    let frame = Frame {
        track: Track::AUDIO,
        codec: Codec::Aac,
        pts: Timestamp(0),
        dts: Timestamp(0),
        keyframe: true,
        data: Bytes::from_static(&[1, 2, 3]),
    };
    assert!(mp4.handle_frame(&frame).is_err());
    assert!(
        mp4.poll_output().is_none(),
        "nothing written before a frame is accepted"
    );
    let mut f = Fragmenter::new(&[aac_config()]).unwrap();
    let video = Frame {
        track: Track::VIDEO,
        ..frame
    };
    assert!(f.fragment(&[video]).is_err());
}

#[test]
fn a_configuration_change_adds_a_sample_entry_for_the_frames_after_it() {
    let avatar = flv_packets(&weir_testkit::corpus::read("flv/avatar.flv"));
    let other = flv_packets(&weir_testkit::corpus::read("flv/avc_aac.flv"));
    let video = |p: &weir_media::MediaPacket| p.track() == Track::VIDEO;
    let mut packets: Vec<_> = avatar.into_iter().filter(video).take(40).collect();
    let end = packets.iter().filter_map(|p| p.dts()).max().unwrap();
    for p in other.into_iter().filter(video).take(40) {
        packets.push(match p {
            weir_media::MediaPacket::Frame(mut f) => {
                f.dts = Timestamp(f.dts.ticks() + end.ticks() + 3000);
                f.pts = Timestamp(f.pts.ticks() + end.ticks() + 3000);
                weir_media::MediaPacket::Frame(f)
            }
            p => p,
        });
    }
    let boxes = parse(&progressive(&packets).into()).unwrap();
    let stbl = weir_mp4::find(&boxes, "moov/trak/mdia/minf/stbl")[0];
    assert_eq!(stbl.find("stsd")[0].children.len(), 2);
    let stsc = Stsc::parse(&stbl.find("stsc")[0].body).unwrap();
    assert_eq!(stsc.entries.first().unwrap().description_index, 1);
    assert_eq!(stsc.entries.last().unwrap().description_index, 2);
    // The fragmented form of the same stream reads too (one entry: the first config).
    assert!(parse(&fragmented(&packets).0.into()).is_ok());
}
