//! What the progressive writer hands its caller, checked without a peer: the mdat size it
//! fixes up covers exactly the frames, and the tables point at each frame's bytes.

mod support;

use support::{flv_packets, frames, progressive};
use weir_media::{MediaKind, MediaPacket};
use weir_mp4::boxes::stbl::{ChunkOffsets, Stsc, Stsz};
use weir_mp4::{Mp4Writer, find, parse};

#[test]
fn the_tables_point_at_every_frames_bytes() {
    let packets = flv_packets(&weir_testkit::corpus::read("flv/avatar.flv"));
    let file = progressive(&packets);
    let boxes = parse(&file.clone().into()).unwrap();
    let kinds: Vec<String> = boxes.iter().map(|b| b.name()).collect();
    assert_eq!(kinds, ["ftyp", "mdat", "moov"]);
    let total: usize = frames(&packets).iter().map(|f| f.data.len()).sum();
    assert_eq!(
        boxes[1].body.len(),
        total,
        "the mdat holds the frames and nothing else"
    );
    for (trak, kind) in find(&boxes, "moov/trak")
        .into_iter()
        .zip([MediaKind::Video, MediaKind::Audio])
    {
        let stbl = trak.find("mdia/minf/stbl")[0];
        let sizes = Stsz::parse(&stbl.find("stsz")[0].body).unwrap().sizes;
        let stsc = Stsc::parse(&stbl.find("stsc")[0].body).unwrap();
        let chunks = ChunkOffsets::parse(&stbl.find("stco")[0].body, false)
            .unwrap()
            .offsets;
        // Expand stsc over the chunks, then walk each chunk's samples.
        let mut sample = 0;
        for (c, &offset) in chunks.iter().enumerate() {
            let entry = stsc
                .entries
                .iter()
                .rev()
                .find(|e| e.first_chunk as usize <= c + 1)
                .unwrap();
            let mut at = offset as usize;
            for _ in 0..entry.samples_per_chunk {
                let want = frames(&packets)
                    .into_iter()
                    .filter(|f| f.track.kind == kind)
                    .nth(sample)
                    .unwrap();
                assert_eq!(
                    &file[at..at + sizes[sample] as usize],
                    &want.data[..],
                    "{kind:?} sample {sample}"
                );
                at += sizes[sample] as usize;
                sample += 1;
            }
        }
        assert_eq!(sample, sizes.len());
    }
}

#[test]
fn an_empty_recording_is_still_a_file() {
    let mut mp4 = Mp4Writer::new();
    let packets = flv_packets(&weir_testkit::corpus::read("flv/avc_aac.flv"));
    for p in &packets {
        if let MediaPacket::Config(c) = p {
            mp4.handle_config(c).unwrap();
        }
    }
    let end = mp4.finish();
    let mut file = Vec::new();
    while let Some(b) = mp4.poll_output() {
        file.extend_from_slice(&b);
    }
    file.extend_from_slice(&end.moov);
    let at = end.mdat_size_offset as usize;
    file[at..at + 8].copy_from_slice(&end.mdat_size);
    let boxes = parse(&file.into()).unwrap();
    assert_eq!(boxes[1].size, 16, "an empty mdat");
    assert_eq!(find(&boxes, "moov/trak").len(), 2);
}

#[test]
fn past_4_gib_chunk_offsets_move_to_co64_and_the_mdat_size_counts_them() {
    let packets = flv_packets(&weir_testkit::corpus::read("flv/avc_aac.flv"));
    let mut mp4 = Mp4Writer::new();
    let mut first = Vec::new();
    for p in &packets {
        match p {
            MediaPacket::Config(c) => mp4.handle_config(c).unwrap(),
            MediaPacket::Frame(f)
                if !first.iter().any(|k: &weir_media::Frame| k.track == f.track) =>
            {
                first.push(f.clone())
            }
            _ => {}
        }
    }
    // Video frames of one MiB, shared: 4200 of them pass 4 GiB without holding it. An
    // audio frame between each two ends every chunk.
    let data = bytes::Bytes::from(vec![0u8; 1 << 20]);
    let mut written = 0u64;
    for i in 0..4200 {
        for f in &first {
            let mut frame = f.clone();
            frame.dts = weir_media::Timestamp(i * 3600);
            frame.pts = frame.dts;
            if f.track.kind == MediaKind::Video {
                frame.data = data.clone();
                frame.keyframe = i % 25 == 0;
            }
            mp4.handle_frame(&frame).unwrap();
        }
        while let Some(b) = mp4.poll_output() {
            written += b.len() as u64;
        }
    }
    let end = mp4.finish();
    let boxes = parse(&end.moov).unwrap();
    for stbl in find(&boxes, "moov/trak/mdia/minf/stbl") {
        assert!(stbl.find("stco").is_empty());
        let co64 = ChunkOffsets::parse(&stbl.find("co64")[0].body, true).unwrap();
        assert_eq!(co64.offsets.len(), 4200);
        assert!(*co64.offsets.last().unwrap() > u64::from(u32::MAX));
    }
    let mdat_at = end.mdat_size_offset - 8;
    assert_eq!(u64::from_be_bytes(end.mdat_size), written - mdat_at);
    assert!(written > 4200 << 20);
}
