//! The grafov/m3u8 sample playlists (`$WEIR_CORPUS/hls/grafov-m3u8`): every one parses, to
//! the kind and size pinned here, breaking exactly the rules listed; a few values are pinned
//! from the files themselves.

use weir_hls::{
    KeyMethod, Limits, MasterPlaylist, MediaPlaylist, MediaType, Playlist, Resolution, parse,
};
use weir_testkit::corpus;

const DIR: &str = "hls/grafov-m3u8";

/// Each playlist: its kind and size, and the rules it breaks (sorted, once each).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    ("master", "master 5/0/0", &["hls.master.codecs"]),
    (
        "master-playlist-with-custom-tags",
        "master 5/0/0",
        &["hls.master.codecs"],
    ),
    (
        "master-with-alternatives",
        "master 4/0/9",
        &["hls.master.codecs"],
    ),
    (
        "master-with-alternatives-b",
        "master 4/0/9",
        &["hls.master.codecs"],
    ),
    ("master-with-closed-captions-eq-none", "master 3/0/5", &[]),
    // Comment lines come before EXTM3U.
    (
        "master-with-hlsv7",
        "master 9/9/0",
        &["hls.playlist.extm3u"],
    ),
    // RESOLUTION="1x1" is quoted, BANDWIDTH="INVALIDBW" too.
    (
        "master-with-i-frame-stream-inf",
        "master 4/4/0",
        &["hls.attribute.type", "hls.master.codecs"],
    ),
    (
        "master-with-independent-segments",
        "master 1/0/0",
        &["hls.master.codecs"],
    ),
    ("master-with-multiple-codecs", "master 5/0/0", &[]),
    ("master-with-stream-inf-1", "master 5/0/0", &[]),
    (
        "master-with-stream-inf-name",
        "master 4/0/0",
        &["hls.master.codecs"],
    ),
    ("media-playlist-large", "media 40001", &[]),
    ("media-playlist-with-byterange", "media 3", &[]),
    // The file ends with an EXTINF and no URI line.
    (
        "media-playlist-with-cue-out-in-without-oatcls",
        "media 62",
        &["hls.segment.uri"],
    ),
    ("media-playlist-with-custom-tags", "media 4", &[]),
    (
        "media-playlist-with-discontinuity",
        "media 4",
        &["hls.playlist.extm3u"],
    ),
    ("media-playlist-with-discontinuity-seq", "media 4", &[]),
    ("media-playlist-with-oatcls-scte35", "media 3", &[]),
    // 2018-12-31T09:47:22+08:00 has no milliseconds.
    (
        "media-playlist-with-program-date-time",
        "media 4",
        &["hls.segment.date-time-zone"],
    ),
    ("media-playlist-with-scte35", "media 3", &[]),
    ("media-playlist-with-scte35-1", "media 3", &[]),
    ("media-playlist-with-start-time", "media 4", &[]),
    ("widevine-bitrate", "media 10", &[]),
    ("widevine-master", "master 3/0/0", &["hls.master.codecs"]),
    ("wowza-master", "master 5/0/0", &["hls.master.codecs"]),
    ("wowza-vod-chunklist", "media 522", &[]),
];

fn read(name: &str) -> Playlist {
    parse(
        &corpus::read(&format!("{DIR}/{name}.m3u8")),
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
    .playlist
}

fn media(name: &str) -> MediaPlaylist {
    match read(name) {
        Playlist::Media(m) => m,
        Playlist::Master(_) => panic!("{name} is a master playlist"),
    }
}

fn master(name: &str) -> MasterPlaylist {
    match read(name) {
        Playlist::Master(m) => m,
        Playlist::Media(_) => panic!("{name} is a media playlist"),
    }
}

#[test]
fn every_playlist_parses_as_pinned() {
    let files = corpus::contents(DIR, "m3u8");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let pinned: Vec<&str> = EXPECTED.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(names, pinned, "the corpus folder changed");
    for ((name, bytes), (_, shape, rules)) in files.iter().zip(EXPECTED) {
        let parsed = parse(bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = match &parsed.playlist {
            Playlist::Media(m) => format!("media {}", m.segments.len()),
            Playlist::Master(m) => format!(
                "master {}/{}/{}",
                m.variants.len(),
                m.i_frame_variants.len(),
                m.renditions.len()
            ),
        };
        let mut ids: Vec<&str> = parsed.violations.iter().map(|v| v.rule.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((got.as_str(), ids.as_slice()), (*shape, *rules), "{name}");
    }
}

#[test]
fn values_from_the_files() {
    let m = media("media-playlist-with-discontinuity-seq");
    let numbers: Vec<_> = m.numbered().map(|n| n.discontinuity_sequence).collect();
    assert_eq!(numbers, [2, 2, 3, 3]);
    assert_eq!(m.segments[1].duration, 8.0);

    let m = media("media-playlist-with-byterange");
    let ranges: Vec<_> = m.segments.iter().map(|s| s.byte_range.unwrap()).collect();
    assert_eq!(ranges[1].offset, 752_321);
    assert_eq!(
        (ranges[2].length, ranges[2].offset),
        (69_864, 752_321 + 82_112)
    );

    let m = media("media-playlist-with-start-time");
    assert_eq!(
        m.start.map(|s| (s.time_offset, s.precise)),
        Some((8.0, false))
    );

    let m = media("media-playlist-with-program-date-time");
    // 09:47:22 at +08:00 is 01:47:22 UTC.
    let first = m.segments[0].program_date_time.unwrap();
    assert_eq!(
        weir_hls::playlist::date_time::format(first),
        "2018-12-31T01:47:22.000Z"
    );

    let m = media("widevine-bitrate");
    let key = m.segments[0].key.as_ref().unwrap();
    assert_eq!((key.method, key.iv), (KeyMethod::Aes128, Some([0; 16])));
    assert!(key.uri.starts_with("http://localhost:20001/key?ecm="));
    assert_eq!(m.media_sequence, 3080);

    let m = master("master-with-closed-captions-eq-none");
    let v = &m.variants[0];
    assert_eq!(v.closed_captions(), None);
    assert_eq!(v.attributes.enumerated("CLOSED-CAPTIONS"), Some("NONE"));
    assert_eq!(v.audio(), Some("audio0"));
    assert_eq!(
        v.resolution(),
        Some(Resolution {
            width: 320,
            height: 240
        })
    );
    assert_eq!(m.group(MediaType::Audio, "audio1").count(), 2);

    let m = master("master-with-alternatives");
    let names: Vec<_> = m
        .group(MediaType::Video, "low")
        .filter_map(|r| r.name())
        .collect();
    assert_eq!(names, ["Main", "Centerfield", "Dugout"]);
    assert_eq!(m.variants[0].video(), Some("low"));
    assert_eq!(m.variants[0].bandwidth(), Some(1_280_000));
}
