//! Files written by `weir-mp4` as FFmpeg reads them: every corpus FLV and generated MP3, Opus
//! and B-frame streams, as a progressive file and as an init segment with fragments; ffprobe
//! finds the codecs, the FLV's frame count and its duration within 1 %, and ffmpeg decodes
//! every frame without an error.

mod support;

use support::*;
use weir_media::MediaPacket;
use weir_testkit::TempPath;

/// Writes `packets` both ways and checks each file with ffprobe and ffmpeg.
fn check_both_ways(name: &str, packets: &[MediaPacket]) {
    let (counts, progressive_span, fragmented_span) = expected(packets);
    let progressive_file = progressive(packets);
    let (fragmented_file, fragments) = fragmented(packets);
    for (how, bytes) in [
        ("progressive", progressive_file),
        ("fragmented", fragmented_file),
    ] {
        let path = TempPath::new(&format!("{name}-{how}.mp4"));
        std::fs::write(&path, &bytes).unwrap();
        weir_mp4::parse(&bytes.clone().into()).unwrap_or_else(|e| panic!("{name} {how}: {e}"));
        let probe = probe(&path);
        let span = if how == "progressive" {
            progressive_span
        } else {
            fragmented_span
        };
        let mut got: Vec<(String, usize)> = probe.streams.clone();
        got.sort();
        let want: Vec<(String, usize)> = counts.iter().map(|(c, n)| (c.to_string(), *n)).collect();
        assert_eq!(got, want, "{name} {how}: codecs and frame counts");
        let off = (probe.duration - span).abs() / span;
        assert!(
            off <= 0.01,
            "{name} {how}: duration {} s, the source spans {span} s",
            probe.duration
        );
        // A progressive file's timeline starts at its earliest presentation time; fragments
        // keep the source's times as they are.
        let shift = if how == "progressive" {
            first_pts(packets)
        } else {
            0.0
        };
        assert_same_pts(&format!("{name} {how}"), &path, packets, shift);
        let errors = decode_errors(&path);
        assert!(errors.is_empty(), "{name} {how}: ffmpeg says {errors}");
        eprintln!(
            "{name} {how}: {} bytes, {got:?}, {:.3} s (source {span:.3} s){}",
            bytes.len(),
            probe.duration,
            if how == "fragmented" {
                format!(", {fragments} fragments")
            } else {
                String::new()
            }
        );
    }
}

#[test]
fn corpus_flv_files_play_in_ffmpeg_as_progressive_and_fragmented_mp4() {
    for name in ["avatar", "avc_aac", "hevc_aac"] {
        let flv = weir_testkit::corpus::read(&format!("flv/{name}.flv"));
        check_both_ways(name, &flv_packets(&flv));
    }
}

/// Two seconds of H.264 at 25 fps with two B-frames between references, a GOP a second.
fn b_frame_video(name: &str, format: &[&str]) -> bytes::Bytes {
    let mut args = vec![
        "-c:v",
        "libx264",
        "-bf",
        "2",
        "-g",
        "25",
        "-preset",
        "ultrafast",
    ];
    args.extend_from_slice(format);
    generate(name, "testsrc=size=160x120:rate=25", &args)
}

#[test]
fn b_frames_from_ffmpeg_keep_their_presentation_order_through_ctts() {
    let flv = b_frame_video("bframes.flv", &["-f", "flv"]);
    let packets = flv_packets(&flv);
    let reordered = frames(&packets).iter().filter(|f| f.pts != f.dts).count();
    assert!(reordered > 0, "ffmpeg -bf 2 made B-frames");
    let boxes = progressive_boxes(&packets);
    let ctts = weir_mp4::find(&boxes, "moov/trak/mdia/minf/stbl/ctts");
    let ctts = weir_mp4::boxes::stbl::Ctts::parse(&ctts[0].body).unwrap();
    let offsets: u32 = ctts.entries.iter().filter(|e| e.1 != 0).map(|e| e.0).sum();
    assert!(
        offsets as usize >= reordered,
        "ctts gives the reordered frames an offset"
    );
    check_both_ways("bframes", &packets);
}

#[test]
fn mp3_in_flv_plays_as_mp4a_with_object_type_0x6b() {
    let flv = generate(
        "mp3.flv",
        "sine=frequency=440:sample_rate=44100",
        &["-c:a", "libmp3lame", "-b:a", "64k", "-f", "flv"],
    );
    let packets = flv_packets(&flv);
    let boxes = progressive_boxes(&packets);
    let esds = weir_mp4::find(&boxes, "moov/trak/mdia/minf/stbl/stsd/mp4a/esds");
    // Version and flags, ES_Descriptor (tag 3, size, ES_ID, flags), DecoderConfigDescriptor
    // (tag 4, size, objectTypeIndication).
    let body = &esds[0].body;
    assert_eq!((body[4], body[9], body[11]), (0x03, 0x04, 0x6b));
    check_both_ways("mp3", &packets);
}

#[test]
fn opus_from_mpeg_ts_plays_with_dops() {
    let ts = generate(
        "opus.ts",
        "sine=frequency=440:sample_rate=48000",
        &["-c:a", "libopus", "-b:a", "48k", "-f", "mpegts"],
    );
    let packets = ts_packets(&ts);
    let boxes = progressive_boxes(&packets);
    let opus = weir_mp4::find(&boxes, "moov/trak/mdia/minf/stbl/stsd/Opus");
    assert_eq!(opus.len(), 1, "an Opus sample entry");
    assert_eq!(&opus[0].children[0].kind, b"dOps");
    check_both_ways("opus", &packets);
}

#[test]
fn the_reader_reads_ffmpegs_own_mp4_and_its_tables() {
    let mp4 = b_frame_video("ffmpeg.mp4", &[]);
    let boxes = weir_mp4::parse(&mp4).unwrap();
    let stbl = weir_mp4::find(&boxes, "moov/trak/mdia/minf/stbl")[0];
    let table = |kind: &str| stbl.find(kind)[0].body.clone();
    use weir_mp4::boxes::stbl::{ChunkOffsets, Ctts, Stsc, Stss, Stsz, Stts};
    let stsz = Stsz::parse(&table("stsz")).unwrap();
    assert_eq!(stsz.count, 50, "2 s at 25 fps");
    let stts = Stts::parse(&table("stts")).unwrap();
    assert_eq!(stts.entries.iter().map(|e| e.0).sum::<u32>(), 50);
    let ctts = Ctts::parse(&table("ctts")).unwrap();
    assert_eq!(ctts.entries.iter().map(|e| e.0).sum::<u32>(), 50);
    assert_eq!(Stss::parse(&table("stss")).unwrap().samples, [1, 26]);
    let stsc = Stsc::parse(&table("stsc")).unwrap();
    let chunks = ChunkOffsets::parse(&table("stco"), false).unwrap();
    assert!(!stsc.entries.is_empty() && !chunks.offsets.is_empty());
    let avcc = stbl.find("stsd/avc1/avcC");
    assert_eq!(avcc[0].body[0], 1, "configurationVersion");
}
