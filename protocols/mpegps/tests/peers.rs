//! Independent muxers: program streams written by FFmpeg (`-f vob`: MPEG-2 packs) and
//! GStreamer (`mpegpsmux`) demux to the frames per track that ffprobe counts on the same
//! files, with configs before frames and no error.
//!
//! What the FFmpeg 5.1 muxers take: `-f mpeg` and `-f vob` refuse AAC ("Unsupported audio
//! codec. Must be one of mp1, mp2, mp3, 16-bit pcm_dvd, pcm_s16be, ac3 or dts"), so FFmpeg's
//! files carry MP2 audio (sniffed: FFmpeg writes no program stream map); both take H.265.
//! `-f mpeg` writes MPEG-1 system packs and MPEG-1 packet headers: both are reported once
//! (`mpegps.pack.mpeg1`, `mpegps.pes.mpeg1`: GB28181 is MPEG-2 only) and read, so that its
//! file too demuxes to ffprobe's counts. Files are made in a temp folder, 2-3 s each. Peers come from `FFMPEG`/`FFPROBE`/`GST_LAUNCH` or PATH (ci/install-peers).

mod support;

use support::{assert_counts_match, counts, demux, ffmpeg_file, gstreamer_file};
use weir_media::{Codec, MediaKind};
use weir_mpegps::PsEvent;
use weir_testkit::TempPath;

fn check(path: &TempPath, video: Codec, audio: Codec) {
    let data = std::fs::read(path).expect("the peer wrote the file");
    let out = demux(&data);
    assert_eq!(out.error, None);
    assert_counts_match(path, &out);
    let c = counts(&out);
    assert!(c[&(MediaKind::Video, video)] >= 70, "{c:?}");
    assert!(c[&(MediaKind::Audio, audio)] >= 100, "{c:?}");
    // A config comes before each track's first frame.
    let mut configured = Vec::new();
    for e in &out.events {
        match e {
            PsEvent::Config(c) => configured.push(c.track),
            PsEvent::Frame(f) if f.codec != Codec::Mp3 => assert!(
                configured.contains(&f.track),
                "{:?} before its config",
                f.track
            ),
            _ => {}
        }
    }
}

#[test]
fn ffmpeg_vob_h264_mp2_demuxes_to_ffprobes_counts() {
    let path = ffmpeg_file("h264.vob", &["-c:v", "libx264", "-bf", "2"], "vob");
    check(&path, Codec::H264, Codec::Mp3);
}

#[test]
fn ffmpeg_vob_h265_mp2_demuxes_to_ffprobes_counts() {
    let path = ffmpeg_file(
        "h265.vob",
        &["-c:v", "libx265", "-x265-params", "log-level=error"],
        "vob",
    );
    check(&path, Codec::H265, Codec::Mp3);
}

#[test]
fn ffmpeg_mpeg1_system_streams_are_reported_and_demux_to_ffprobes_counts() {
    let path = ffmpeg_file("h264.mpg", &["-c:v", "libx264"], "mpeg");
    check(&path, Codec::H264, Codec::Mp3);
    let out = demux(&std::fs::read(&path).expect("ffmpeg wrote the file"));
    let fired = |id: &str| out.violations.iter().filter(|v| v.rule.id == id).count();
    assert!(fired("mpegps.pack.mpeg1") >= 1);
    assert_eq!(fired("mpegps.pes.mpeg1"), 1, "reported once");
    assert_eq!(fired("mpegts.pes.header"), 0, "{:?}", out.violations);
}

#[test]
fn gstreamer_mpegpsmux_h264_aac_demuxes_to_ffprobes_counts() {
    let path = gstreamer_file("gst.mpg", 75);
    let data = std::fs::read(&path).expect("gst wrote the file");
    let out = demux(&data);
    assert_eq!(out.error, None);
    assert_counts_match(&path, &out);
    let c = counts(&out);
    assert_eq!(c[&(MediaKind::Video, Codec::H264)], 75, "{c:?}");
    assert!(c[&(MediaKind::Audio, Codec::Aac)] >= 100, "{c:?}");
}
