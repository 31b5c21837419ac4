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
    let (counts, dts_span, pts_span) = expected(packets);
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
            dts_span
        } else {
            pts_span
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
