//! Our muxer read by others: streams it writes from real frames (GStreamer's H.264 + AAC,
//! FFmpeg's H.265, G.711) are read by ffprobe with the same codecs and counts, by
//! GStreamer's `mpegpsdemux` with one buffer per frame, and by our demuxer back to the same
//! frames.
//!
//! FFmpeg 5.1 does not know GB28181's G.711 stream types (0x90/0x91): it takes a 0xC0 stream
//! for MPEG audio ("mp2", one packet); the H.265 beside it reads right, which is what the
//! second test checks of ffprobe (and our own demuxer checks the G.711).

mod support;

use bytes::Bytes;
use support::{
    assert_counts_match, counts, demux, ffmpeg_file, frames, gstreamer_file, mpegpsdemux_counts,
    probe, remux,
};
use weir_media::{Codec, Frame, MediaKind, Output, Timestamp, Track, TrackConfig};
use weir_mpegps::{Muxer, PsEvent};
use weir_testkit::TempPath;

#[test]
fn h264_and_aac_we_mux_read_back_in_ffprobe_mpegpsdemux_and_our_demuxer() {
    let source = gstreamer_file("source.mpg", 75);
    let first = demux(&std::fs::read(&source).unwrap());
    assert_eq!(first.error, None);
    let ours = TempPath::new("ours.mpg");
    std::fs::write(&ours, remux(&first)).unwrap();

    let again = demux(&std::fs::read(&ours).unwrap());
    assert_eq!(again.error, None);
    // GStreamer's own file breaks rules ours does not (its SCR steps back, later I-frames
    // come without map and system header); the one that carries over is in its timestamps:
    // its first P-frame has a PTS and no DTS, so its DTS reads as later than the next one's.
    let rules = |o: &weir_testkit::Outputs<PsEvent>| {
        o.violations.iter().map(|v| v.rule.id).collect::<Vec<_>>()
    };
    let dts_rule = "mpegts.pes.dts-monotonic";
    assert!(rules(&first).contains(&"mpegps.pack.scr-monotonic"));
    assert!(
        rules(&again).iter().all(|&r| r == dts_rule),
        "{:?}",
        again.violations
    );
    assert_eq!(
        rules(&again).len(),
        rules(&first).iter().filter(|&&r| r == dts_rule).count()
    );
    // Per track (a video frame comes out when the next starts, audio at once, so the
    // interleaving differs).
    let by_track = |o: &weir_testkit::Outputs<PsEvent>| {
        let mut f = frames(o);
        f.sort_by_key(|f| f.track.kind == MediaKind::Video);
        f
    };
    assert_eq!(by_track(&again), by_track(&first), "the same frames back");
    assert_counts_match(&ours, &again);

    let c = counts(&again);
    let mut expected = vec![
        c[&(MediaKind::Video, Codec::H264)],
        c[&(MediaKind::Audio, Codec::Aac)],
    ];
    expected.sort_unstable();
    assert_eq!(mpegpsdemux_counts(&ours, 2), expected);
}

#[test]
fn h265_and_g711_we_mux_read_back_in_ffprobe() {
    let source = ffmpeg_file(
        "h265.vob",
        &["-c:v", "libx265", "-x265-params", "log-level=error"],
        "vob",
    );
    let first = demux(&std::fs::read(&source).unwrap());
    let mut muxer = Muxer::default();
    let mut written = Vec::new();
    let alaw = Track::AUDIO;
    muxer
        .handle_config(&TrackConfig {
            track: alaw,
            codec: Codec::Pcma,
            data: Bytes::new(),
        })
        .unwrap();
    let mut audio_at = 0;
    let mut audio_frames = 0;
    for e in &first.events {
        match e {
            PsEvent::Config(c) if c.codec == Codec::Mp3 => {}
            PsEvent::Config(c) => muxer.handle_config(c).unwrap(),
            PsEvent::Frame(f) if f.track.kind == MediaKind::Video => {
                // FFmpeg's MP2 is left out: our muxer carries GB28181's codecs only.
                // 20 ms of A-law (160 bytes at 8 kHz) up to each video frame.
                while audio_at <= f.dts.0 {
                    muxer
                        .handle_frame(&Frame {
                            track: alaw,
                            codec: Codec::Pcma,
                            pts: Timestamp(audio_at),
                            dts: Timestamp(audio_at),
                            keyframe: true,
                            data: vec![0xd5; 160].into(),
                        })
                        .unwrap();
                    audio_at += 1800;
                    audio_frames += 1;
                }
                muxer.handle_frame(f).unwrap();
            }
            _ => {}
        }
        while let Some(Output::Transmit(b)) = muxer.poll_output() {
            written.extend_from_slice(&b);
        }
    }
    let ours = TempPath::new("ours-h265.mpg");
    std::fs::write(&ours, &written).unwrap();
    let again = demux(&written);
    assert_eq!(again.error, None);
    let c = counts(&again);
    assert_eq!(c[&(MediaKind::Video, Codec::H265)], 75);
    assert_eq!(c[&(MediaKind::Audio, Codec::Pcma)], audio_frames);
    // G.711 has no decoder configuration; the demuxer still says the track's codec with an
    // empty one before its first frame, as a driver (the server's hub, a TS muxer) takes it.
    let config_at = again.events.iter().position(
        |e| matches!(e, PsEvent::Config(c) if c.codec == Codec::Pcma && c.data.is_empty()),
    );
    let frame_at = again
        .events
        .iter()
        .position(|e| matches!(e, PsEvent::Frame(f) if f.codec == Codec::Pcma));
    assert!(
        config_at.is_some() && config_at < frame_at,
        "{config_at:?} {frame_at:?}"
    );
    let (streams, errors) = probe(&ours);
    let names: Vec<&str> = streams.iter().map(|s| s.0.as_str()).collect();
    assert!(names.contains(&"hevc"), "{streams:?} {errors}");
    let hevc = streams.iter().find(|s| s.0 == "hevc").unwrap();
    assert_eq!(hevc.1, 75, "{streams:?}");
}
