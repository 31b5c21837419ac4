//! The server's path, end to end and sans IO: frames → segmenter → live playlist → text, and
//! the client's view of it (parse, reload checks), over generated streams with jumps, resets,
//! missing keyframes, unpublishes and republishes.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use weir_hls::{
    Limits, LivePlaylist, LivePlaylistConfig, MediaPlaylist, Placement, Playlist, PlaylistEntry,
    SegmentSpan, Segmenter, SegmenterConfig, check_reload, parse,
};
use weir_media::{Codec, Frame, Timestamp, Track};

/// One step of a generated stream.
#[derive(Debug, Clone)]
enum Step {
    /// A frame on `track` (0 video, 1 audio, 2 data), `delta` ticks after that track's last.
    Frame {
        track: u8,
        delta: i64,
        keyframe: bool,
    },
    /// The publisher leaves and comes back with timestamps from `restart`.
    Republish { restart: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    let delta = prop_oneof![
        20 => 1_800i64..4_000,                    // 20-44 ms
        2 => 0i64..90_000,                        // up to 1 s
        1 => -900_000i64..900_000,                // jumps and resets
        1 => Just(i64::MAX / 4),                  // absurd
    ];
    prop_oneof![
        40 => (0u8..3, delta, prop::bool::weighted(0.05))
            .prop_map(|(track, delta, keyframe)| Step::Frame { track, delta, keyframe }),
        1 => (-1_000_000i64..1_000_000).prop_map(|restart| Step::Republish { restart }),
    ]
}

fn frame(track: u8, dts: i64, keyframe: bool) -> Frame {
    let (track, codec) = match track {
        0 => (Track::VIDEO, Codec::H264),
        1 => (Track::AUDIO, Codec::Aac),
        _ => (Track::DATA, Codec::Unknown(0)),
    };
    Frame {
        track,
        codec,
        pts: Timestamp(dts),
        dts: Timestamp(dts),
        keyframe,
        data: Bytes::new(),
    }
}

struct Server {
    segmenter: Segmenter,
    playlist: LivePlaylist,
    spans: Vec<SegmentSpan>,
    renders: Vec<MediaPlaylist>,
}

impl Server {
    fn list(&mut self, span: SegmentSpan) {
        let target = self.segmenter.config().target_duration as i64;
        assert!(
            span.duration().0 <= target * Timestamp::HZ,
            "{span:?} is longer than {target} s"
        );
        if let Some(last) = self.spans.last() {
            assert_eq!(span.sequence, last.sequence + 1);
        }
        self.spans.push(span);
        self.playlist
            .push(PlaylistEntry {
                uri: format!("seg-{}.ts", span.sequence),
                duration: span.duration(),
                discontinuity: span.discontinuity,
                program_date_time: Some(1_700_000_000_000 + span.start.as_millis()),
            })
            .expect("the segmenter's segments fit the target duration");
        self.render();
    }

    /// A client loads the playlist: it parses without violations, reads back as written, and
    /// is a valid reload of the previous load.
    fn render(&mut self) {
        let text = self.playlist.render();
        let parsed = parse(text.as_bytes(), &Limits::default()).expect("the playlist parses");
        assert!(
            parsed.violations.is_empty(),
            "{:?}\n{text}",
            parsed.violations
        );
        let Playlist::Media(now) = parsed.playlist else {
            panic!("a master playlist")
        };
        assert_eq!(now, self.playlist.playlist());
        if let Some(before) = self.renders.last()
            && !before.end_list
        {
            let broken = check_reload(before, &now);
            assert!(broken.is_empty(), "{broken:?}\n{text}");
        }
        self.renders.push(now);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn segments_fit_and_playlists_stay_valid(
        fragment_s in 1i64..8,
        has_video in any::<bool>(),
        window_s in 0i64..60,
        steps in vec(step(), 1..1500),
    ) {
        let config = SegmenterConfig::new(Timestamp(fragment_s * Timestamp::HZ), has_video);
        let mut server = Server {
            segmenter: Segmenter::new(config),
            playlist: LivePlaylist::new(LivePlaylistConfig::for_segmenter(
                &config,
                Timestamp(window_s * Timestamp::HZ),
            )),
            spans: Vec::new(),
            renders: Vec::new(),
        };
        let mut last = [0i64; 3];
        for step in steps {
            match step {
                Step::Frame { track, delta, keyframe } => {
                    let t = usize::from(track);
                    last[t] = last[t].saturating_add(delta);
                    let placement = server.segmenter.push(&frame(track, last[t], keyframe));
                    if let Placement::NewSegment { closed: Some(span) } = placement {
                        server.list(span);
                    }
                }
                Step::Republish { restart } => {
                    if let Some(span) = server.segmenter.finish() {
                        server.list(span);
                    }
                    server.playlist.end();
                    server.render();
                    last = [restart; 3];
                }
            }
        }
        if let Some(span) = server.segmenter.finish() {
            server.list(span);
        }
        // A segment after a break in the timeline says so.
        for pair in server.spans.windows(2) {
            if pair[1].start != pair[0].end {
                prop_assert!(pair[1].discontinuity, "{:?}", pair);
            }
        }
    }

    #[test]
    fn regular_streams_cut_at_keyframes(
        fragment_s in 1i64..6,
        gop in 10usize..200,
        frames in 100usize..3000,
    ) {
        // 25 fps video, a keyframe every `gop` frames, AAC audio every 1024/48000 s.
        let config = SegmenterConfig::new(Timestamp(fragment_s * Timestamp::HZ), true);
        let mut segmenter = Segmenter::new(config);
        let mut spans = Vec::new();
        let mut audio = 0i64;
        for i in 0..frames {
            let dts = i as i64 * 3600;
            let mut stream = vec![frame(0, dts, i % gop == 0)];
            while audio < dts + 3600 {
                stream.push(frame(1, audio, true));
                audio += 1920;
            }
            for f in stream {
                if let Placement::NewSegment { closed: Some(span) } = segmenter.push(&f) {
                    spans.push(span);
                }
            }
        }
        let gop_ticks = gop as i64 * 3600;
        let fragment = fragment_s * Timestamp::HZ;
        let bound = config.target_duration as i64 * Timestamp::HZ;
        // The first keyframe at or after the fragment, if it comes before the segmenter must
        // cut (one frame interval and 100 ms of jitter before the bound).
        let cut = (fragment + gop_ticks - 1) / gop_ticks * gop_ticks;
        let in_time = cut + 3600 + 9000 <= bound;
        for pair in spans.windows(2) {
            prop_assert_eq!(pair[1].start, pair[0].end);
            prop_assert!(!pair[1].discontinuity);
        }
        for span in &spans {
            prop_assert!(span.duration().0 <= bound);
            if in_time {
                prop_assert!(span.starts_with_keyframe);
                prop_assert_eq!(span.duration().0, cut, "{:?}", span);
            }
        }
    }
}
