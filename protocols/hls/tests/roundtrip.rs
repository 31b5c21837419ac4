//! parse(write(p)) == p: for generated media and master playlists (proptest), and for every
//! playlist of the corpus that parses (written back, it reads the same and breaks no rule the
//! original did not).

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use weir_hls::{
    AttributeList, AttributeValue, ByteRange, IFrameVariant, Key, KeyMethod, Limits, Map,
    MasterPlaylist, MediaPlaylist, Playlist, PlaylistType, Rendition, Segment, Start, Variant,
    parse,
};
use weir_testkit::corpus;

/// Quoted strings and URIs: no quotes, line breaks or surrounding whitespace.
const TEXT: &str = "[a-zA-Z0-9:/?=&._-][a-zA-Z0-9:/?=&._ -]{0,15}[a-zA-Z0-9._-]|[a-z]";

fn duration() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..100).prop_map(f64::from),
        (0u32..100_000).prop_map(|ms| f64::from(ms) / 1000.0),
        0.0..1e6f64,
    ]
}

fn byte_range() -> impl Strategy<Value = ByteRange> {
    (any::<u64>(), any::<u64>()).prop_map(|(length, offset)| ByteRange { length, offset })
}

fn key() -> impl Strategy<Value = Key> {
    (
        prop_oneof![Just(KeyMethod::Aes128), Just(KeyMethod::SampleAes)],
        TEXT,
        option::of(any::<[u8; 16]>()),
        option::of(TEXT),
        option::of(TEXT),
    )
        .prop_map(|(method, uri, iv, key_format, key_format_versions)| Key {
            method,
            uri,
            iv,
            key_format,
            key_format_versions,
        })
}

fn segment() -> impl Strategy<Value = Segment> {
    (
        TEXT.prop_filter("a URI line", |u| !u.starts_with('#')),
        duration(),
        "[a-zA-Z0-9 ,.]{0,10}",
        option::of(byte_range()),
        any::<bool>(),
        // Years 0000 to 9999.
        option::of(-62_167_219_200_000i64..253_402_300_799_999),
        option::weighted(0.3, key()),
        option::weighted(0.3, (TEXT, option::of(byte_range()))),
    )
        .prop_map(
            |(uri, duration, title, byte_range, discontinuity, date, key, map)| Segment {
                uri,
                duration,
                title: title.trim().to_owned(),
                byte_range,
                discontinuity,
                program_date_time: date,
                key,
                map: map.map(|(uri, byte_range)| Map { uri, byte_range }),
            },
        )
}

fn start() -> impl Strategy<Value = Start> {
    (-1e6..1e6f64, any::<bool>()).prop_map(|(time_offset, precise)| Start {
        time_offset,
        precise,
    })
}

prop_compose! {
    fn media_playlist()(
        segments in vec(segment(), 0..12),
        extra_target in 0u64..5,
        media_sequence in any::<u64>(),
        discontinuity_sequence in any::<u64>(),
        playlist_type in option::of(prop_oneof![Just(PlaylistType::Event), Just(PlaylistType::Vod)]),
        flags in any::<(bool, bool, bool)>(),
        start in option::of(start()),
        version in option::of(1u64..8),
    ) -> MediaPlaylist {
        let longest = segments.iter().map(|s| s.duration.round() as u64).max().unwrap_or(0);
        MediaPlaylist {
            version,
            target_duration: Some(longest + extra_target),
            media_sequence,
            discontinuity_sequence,
            playlist_type,
            end_list: flags.0,
            i_frames_only: flags.1,
            independent_segments: flags.2,
            start,
            segments,
        }
    }
}

fn attributes(reserved: &'static [&'static str]) -> impl Strategy<Value = AttributeList> {
    btree_map(
        "[A-Z][A-Z0-9-]{0,8}".prop_filter("not a reserved name", move |n| {
            !reserved.contains(&n.as_str())
        }),
        prop_oneof![
            TEXT.prop_map(AttributeValue::Quoted),
            "[a-zA-Z0-9.x-]{1,10}".prop_map(AttributeValue::Unquoted),
        ],
        0..5,
    )
    .prop_map(|map| AttributeList(map.into_iter().collect()))
}

fn rendition() -> impl Strategy<Value = Rendition> {
    (
        prop_oneof![Just("AUDIO"), Just("VIDEO"), Just("SUBTITLES")],
        TEXT,
        TEXT,
        attributes(&["TYPE", "GROUP-ID", "NAME"]),
    )
        .prop_map(|(kind, group, name, rest)| {
            let mut attributes = AttributeList(vec![
                ("TYPE".into(), AttributeValue::Unquoted(kind.into())),
                ("GROUP-ID".into(), AttributeValue::Quoted(group)),
                ("NAME".into(), AttributeValue::Quoted(name)),
            ]);
            attributes.0.extend(rest.0);
            Rendition { attributes }
        })
}

prop_compose! {
    fn master_playlist()(
        variants in vec((TEXT.prop_filter("a URI line", |u| !u.starts_with('#')), attributes(&[])), 1..5),
        i_frame_variants in vec(attributes(&[]), 0..3),
        renditions in vec(rendition(), 0..5),
        independent_segments in any::<bool>(),
        start in option::of(start()),
        version in option::of(1u64..10),
    ) -> MasterPlaylist {
        MasterPlaylist {
            version,
            independent_segments,
            start,
            renditions,
            variants: variants
                .into_iter()
                .map(|(uri, attributes)| Variant { uri, attributes })
                .collect(),
            i_frame_variants: i_frame_variants
                .into_iter()
                .map(|attributes| IFrameVariant { attributes })
                .collect(),
        }
    }
}

/// Writes `playlist` and parses the text back: that gives the playlist, normalized.
fn read_back(playlist: Playlist) -> weir_hls::Parsed {
    let text = playlist.to_string();
    let parsed =
        parse(text.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(parsed.playlist, playlist.normalized(), "{text}");
    parsed
}

proptest! {
    #[test]
    fn media_playlists_read_back(playlist in media_playlist()) {
        // What the generator makes breaks no rule, and its text breaks none either.
        let parsed = read_back(Playlist::Media(playlist));
        prop_assert!(parsed.violations.is_empty(), "{:?}", parsed.violations);
    }

    #[test]
    fn master_playlists_read_back(playlist in master_playlist()) {
        read_back(Playlist::Master(playlist));
    }
}

#[test]
fn corpus_playlists_rewrite_to_themselves() {
    let mut rewritten = 0;
    for dir in ["hls/videojs-m3u8-parser", "hls/grafov-m3u8"] {
        for (name, bytes) in corpus::contents(dir, "m3u8") {
            let Ok(first) = parse(&bytes, &Limits::default()) else {
                continue;
            };
            let text = first.playlist.to_string();
            let again = parse(text.as_bytes(), &Limits::default())
                .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
            assert_eq!(again.playlist, first.playlist.normalized(), "{name}");
            for v in &again.violations {
                assert!(
                    first.violations.iter().any(|o| o.rule == v.rule),
                    "{name}: the rewrite breaks {} ({})",
                    v.rule.id,
                    v.detail
                );
            }
            rewritten += 1;
        }
    }
    assert_eq!(rewritten, 54 + 26);
}
