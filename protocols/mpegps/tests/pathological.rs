//! What cameras really send, made on purpose from a good stream of our muxer with
//! [`weir_mpegps::mangle`]: H.264 + AAC (GStreamer's x264 and AAC, a keyframe every second)
//! and H.265 (FFmpeg's x265, likewise), remuxed by us (the corpus's FLV files have one
//! keyframe each, too few to show recovery at the next one): the faults that lose
//! nothing give the very same frames; those that lose bytes (junk, lost packs, a map whose
//! length swallows the next packet) recover within one GOP — every frame from the next
//! keyframe on is the clean stream's — never panic, and hold no more than one packet.

mod support;

use std::collections::HashSet;
use std::sync::OnceLock;
use support::{demux, ffmpeg_file, frames, gstreamer_file, remux};
use weir_media::{Frame, Machine, MediaKind};
use weir_mpegps::{Demuxer, Limits, PsEvent, mangle};
use weir_testkit::{Outputs, split};

/// The clean streams, made once per test binary.
fn streams() -> &'static [(&'static str, Vec<u8>)] {
    static STREAMS: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    STREAMS.get_or_init(|| {
        let avc = gstreamer_file("avc.mpg", 100);
        let avc = remux(&demux(&std::fs::read(&avc).expect("gst wrote it")));
        let hevc = ffmpeg_file(
            "hevc.vob",
            &["-c:v", "libx265", "-x265-params", "log-level=error"],
            "vob",
        );
        let mut hevc = demux(&std::fs::read(&hevc).expect("ffmpeg wrote it"));
        // FFmpeg's MP2 left out: the muxer carries GB28181's codecs.
        hevc.events.retain(|e| match e {
            PsEvent::Frame(f) => f.track.kind == MediaKind::Video,
            _ => true,
        });
        vec![("h264+aac", avc), ("h265", remux(&hevc))]
    })
}

/// The demuxer over `data` cut at `cuts`, checking after each piece that it holds at most
/// one packet (64 KiB and a header) and the piece.
fn demux_bounded(data: &[u8], cuts: &[usize]) -> Outputs<PsEvent> {
    let pieces = split::pieces(data, cuts);
    let now = std::time::Instant::now();
    let mut d = Demuxer::new(Limits::default());
    let mut out = Outputs::default();
    for piece in pieces {
        d.handle_input(now, piece).expect("no error");
        out.drain(&mut d);
        assert!(
            d.buffered() <= 6 + 0xffff + 16,
            "{} bytes held",
            d.buffered()
        );
    }
    d.handle_end(now).expect("no error");
    out.drain(&mut d);
    out
}

fn per_track(out: &Outputs<PsEvent>) -> Vec<Frame> {
    let mut f = frames(out);
    f.sort_by_key(|f| (f.track.kind == MediaKind::Video, f.track.index));
    f
}

/// Every frame from the first keyframe after the first damaged one on is the clean
/// stream's, and the mangled stream gives no frame there the clean one lacks.
fn recovers_within_one_gop(clean: &Outputs<PsEvent>, mangled: &Outputs<PsEvent>) {
    let clean_frames = frames(clean);
    let got: HashSet<_> = frames(mangled)
        .into_iter()
        .map(|f| (f.track, f.dts, f.data))
        .collect();
    let Some(damaged) = clean_frames
        .iter()
        .filter(|f| !got.contains(&(f.track, f.dts, f.data.clone())))
        .map(|f| f.dts)
        .min()
    else {
        return;
    };
    let keyframe = clean_frames
        .iter()
        .filter(|f| f.keyframe && f.track.kind == MediaKind::Video && f.dts > damaged)
        .map(|f| f.dts)
        .min()
        .expect("a keyframe after the damage");
    let after: Vec<_> = clean_frames.iter().filter(|f| f.dts >= keyframe).collect();
    assert!(!after.is_empty());
    for f in &after {
        assert!(
            got.contains(&(f.track, f.dts, f.data.clone())),
            "{:?} frame at {} lost though past the keyframe at {}",
            f.track,
            f.dts.0,
            keyframe.0
        );
    }
    let expected: HashSet<_> = clean_frames
        .iter()
        .map(|f| (f.track, f.dts, f.data.clone()))
        .collect();
    for f in frames(mangled).into_iter().filter(|f| f.dts >= keyframe) {
        assert!(
            expected.contains(&(f.track, f.dts, f.data)),
            "a frame the clean stream lacks"
        );
    }
}

fn each_file(check: impl Fn(&[u8], &Outputs<PsEvent>)) {
    for (name, ps) in streams() {
        let clean = demux_bounded(ps, &[]);
        let r = rules(&clean);
        // GStreamer's first P-frame has a PTS and no DTS: its DTS reads late (see ours.rs).
        assert!(
            r.iter().all(|&r| r == "mpegts.pes.dts-monotonic"),
            "{name}: {r:?}"
        );
        assert!(frames(&clean).len() > 70, "{name}");
        check(ps, &clean);
    }
}

/// The index of the last pack with a system header (the last keyframe's).
fn last_keyframe_pack(ps: &[u8]) -> usize {
    let mut pack = 0;
    let mut last = 0;
    for p in mangle::packets(ps) {
        match p.code {
            0xba => pack += 1,
            0xbb => last = pack - 1,
            _ => {}
        }
    }
    last
}

fn rules(out: &Outputs<PsEvent>) -> HashSet<&'static str> {
    out.violations.iter().map(|v| v.rule.id).collect()
}

#[test]
fn start_codes_split_across_inputs_lose_nothing() {
    each_file(|ps, clean| {
        let out = demux_bounded(ps, &mangle::start_code_cuts(ps));
        assert_eq!(out, *clean);
    });
}

#[test]
fn zero_bytes_before_start_codes_lose_nothing() {
    each_file(|ps, clean| {
        let out = demux_bounded(&mangle::extra_zeros(ps, 5), &[]);
        assert_eq!(per_track(&out), per_track(clean));
        assert_eq!(
            rules(&out),
            rules(clean)
                .into_iter()
                .chain(["mpegps.stream.zero-stuffing"])
                .collect()
        );
    });
}

#[test]
fn a_frame_split_over_several_pes_comes_out_whole() {
    each_file(|ps, clean| {
        for repeat_pts in [false, true] {
            let split = mangle::split_pes(ps, 4, repeat_pts);
            let out = demux_bounded(&split, &split::sizes(split.len(), &[1500]));
            assert_eq!(per_track(&out), per_track(clean), "repeat_pts {repeat_pts}");
            assert_eq!(rules(&out), rules(clean));
        }
    });
}

#[test]
fn a_map_with_wrong_lengths_is_read_leniently() {
    each_file(|ps, clean| {
        // Too short, and too long (it would swallow the next packet's start).
        for delta in [-3, 6] {
            let out = demux_bounded(&mangle::psm_length(ps, delta), &[]);
            assert_eq!(per_track(&out), per_track(clean), "delta {delta}");
            assert!(rules(&out).contains("mpegps.psm.length"));
        }
        let out = demux_bounded(&mangle::es_map_length(ps, 8), &[]);
        assert_eq!(per_track(&out), per_track(clean));
        assert!(rules(&out).contains("mpegps.psm.map-length"));
    });
}

#[test]
fn without_a_map_the_codecs_are_sniffed() {
    each_file(|ps, clean| {
        let out = demux_bounded(&mangle::without_psm(ps), &[]);
        assert_eq!(per_track(&out), per_track(clean));
        let r = rules(&out);
        assert!(
            r.contains("mpegps.es.sniffed") && r.contains("mpegps.keyframe.psm"),
            "{r:?}"
        );
    });
}

#[test]
fn cleared_marker_bits_are_reported_and_read_past() {
    each_file(|ps, clean| {
        let out = demux_bounded(&mangle::clear_markers(ps), &[]);
        assert_eq!(per_track(&out), per_track(clean));
        let expected = ["mpegps.pack.marker", "mpegps.system-header.marker"];
        assert_eq!(
            rules(&out),
            rules(clean).into_iter().chain(expected).collect()
        );
    });
}

#[test]
fn junk_between_packs_recovers_within_one_gop() {
    each_file(|ps, clean| {
        let last = last_keyframe_pack(ps);
        for junk in [
            &b"\x47\x40\x11garbage"[..],
            &[0, 0, 1, 0x05, 9, 9],
            &[0xff; 3000],
        ] {
            let bad = mangle::junk_before_packs(ps, junk, |i| i == last - 5);
            let out = demux_bounded(&bad, &split::sizes(bad.len(), &[1400]));
            assert_eq!(out.error, None);
            assert!(
                out.events
                    .iter()
                    .any(|e| matches!(e, PsEvent::Resync { .. })),
                "a resync"
            );
            recovers_within_one_gop(clean, &out);
        }
    });
}

#[test]
fn lost_packs_recover_within_one_gop() {
    each_file(|ps, clean| {
        let packs = mangle::packets(ps)
            .iter()
            .filter(|p| p.code == 0xba)
            .count();
        for lost in [packs / 3, packs / 2 + 1] {
            let bad = mangle::drop_packs(ps, |i| i == lost || i == lost + 1);
            let out = demux_bounded(&bad, &[]);
            assert_eq!(out.error, None);
            recovers_within_one_gop(clean, &out);
        }
    });
}

#[test]
fn every_fault_at_once_never_panics_and_gives_most_frames() {
    each_file(|ps, clean| {
        let bad = mangle::split_pes(ps, 3, true);
        let bad = mangle::extra_zeros(&bad, 2);
        let bad = mangle::clear_markers(&bad);
        let bad = mangle::psm_length(&bad, 6);
        let bad = mangle::junk_before_packs(&bad, b"\x01\x02junk", |i| i % 40 == 7);
        let bad = mangle::drop_packs(&bad, |i| i % 97 == 50);
        let out = demux_bounded(&bad, &split::sizes(bad.len(), &[1400, 7, 188]));
        assert_eq!(out.error, None);
        assert!(frames(&out).len() * 10 >= frames(clean).len() * 8);
    });
}

#[test]
fn mangled_streams_give_the_same_outputs_however_they_are_split() {
    let ps = &streams()[0].1;
    let bad = mangle::junk_before_packs(&mangle::psm_length(ps, 6), b"junk", |i| i % 30 == 3);
    let bad = mangle::drop_packs(&bad, |i| i % 50 == 10);
    for cuts in [
        split::sizes(bad.len(), &[1]),
        split::sizes(bad.len(), &[3, 1000, 17]),
        mangle::start_code_cuts(&bad),
    ] {
        split::check(Demuxer::default, &bad, &cuts);
    }
}
