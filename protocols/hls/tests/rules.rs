//! Every rule of the HLS catalog fires on a playlist (or, for `hls.reload.*`, a pair of loads
//! of one) made to break it, and the table names every rule, so none is one nothing can
//! trigger (issue 15). The parser and `check_reload` emit them all; `weir check` and
//! `weir probe` report what they return. Well-formed playlists break none:
//! `well_formed_playlists_break_no_rule` below, and the corpus's in `grafov.rs` and
//! `videojs.rs`.

use weir_hls::rules::CATALOG;
use weir_hls::{Limits, MediaPlaylist, Playlist, check_reload, parse};
use weir_testkit::rule_table;

/// The rule ids parsing `text` with `limits` broke, the error's last.
fn fired_with(limits: &Limits, text: &str) -> Vec<&'static str> {
    match parse(text.as_bytes(), limits) {
        Ok(parsed) => parsed.violations.iter().map(|v| v.rule.id).collect(),
        Err(e) => vec![e.rule_id()],
    }
}

fn fired(text: &str) -> Vec<&'static str> {
    fired_with(&Limits::default(), text)
}

/// A version-3 media playlist: `head` after the target duration (4 s), then `body`.
fn media(head: &str, body: &str) -> String {
    format!("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n{head}{body}")
}

/// One 4-second segment.
const SEGMENT: &str = "#EXTINF:4.0,\na.ts\n";

/// A master playlist of `lines`.
fn master(lines: &str) -> String {
    format!("#EXTM3U\n{lines}")
}

/// A variant whose tag carries `attributes`.
fn variant(attributes: &str) -> String {
    master(&format!("#EXT-X-STREAM-INF:{attributes}\nv.m3u8\n"))
}

/// A live media playlist starting at `sequence`, of `segments` (URI, duration,
/// discontinuity before it), target duration `target`.
fn live(sequence: u64, target: u64, segments: &[(&str, f64, bool)]) -> MediaPlaylist {
    let mut text = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{sequence}\n"
    );
    for (uri, duration, discontinuity) in segments {
        if *discontinuity {
            text.push_str("#EXT-X-DISCONTINUITY\n");
        }
        text.push_str(&format!("#EXTINF:{duration:.3},\n{uri}\n"));
    }
    let parsed = parse(text.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(parsed.violations, [], "{text}");
    match parsed.playlist {
        Playlist::Media(m) => m,
        Playlist::Master(_) => unreachable!(),
    }
}

/// Four 4-second segments of `names`, without discontinuities.
fn four(names: [&'static str; 4]) -> [(&'static str, f64, bool); 4] {
    names.map(|n| (n, 4.0, false))
}

/// The rule ids `next` broke as a reload of `previous`.
fn reloaded(previous: &MediaPlaylist, next: &MediaPlaylist) -> Vec<&'static str> {
    check_reload(previous, next)
        .iter()
        .map(|v| v.rule.id)
        .collect()
}

#[test]
fn every_rule_fires_on_a_playlist_that_breaks_it() {
    let window = live(0, 4, &four(["a.ts", "b.ts", "c.ts", "d.ts"]));
    let table: Vec<(&str, Vec<&str>)> = vec![
        (
            "hls.playlist.utf8",
            fired(&format!("\u{FEFF}{}", media("", SEGMENT))),
        ),
        (
            "hls.playlist.utf8",
            fired(&media("#EXT-X-PLAYLIST-TYPE:\u{7}VOD\n", SEGMENT)),
        ),
        (
            "hls.playlist.whitespace",
            fired(&media("", "#EXTINF:4.0,\n a.ts\n")),
        ),
        (
            "hls.playlist.limits",
            fired_with(
                &Limits {
                    max_lines: 3,
                    ..Limits::default()
                },
                &media("", SEGMENT),
            ),
        ),
        (
            "hls.playlist.extm3u",
            fired("#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n"),
        ),
        // A rendition in a media playlist.
        (
            "hls.playlist.kind",
            fired(&media(
                "",
                &format!("{SEGMENT}#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\"\n"),
            )),
        ),
        (
            "hls.playlist.version",
            fired(&media("#EXT-X-VERSION:3\n", SEGMENT)),
        ),
        // A decimal duration needs version 3.
        (
            "hls.playlist.version-compatibility",
            fired("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:3.5,\na.ts\n"),
        ),
        (
            "hls.tag.value",
            fired(&media("#EXT-X-MEDIA-SEQUENCE:one\n", SEGMENT)),
        ),
        (
            "hls.tag.duplicate",
            fired(&media("#EXT-X-TARGETDURATION:4\n", SEGMENT)),
        ),
        (
            "hls.attribute.syntax",
            fired(&media("#EXT-X-KEY:METHOD=NONE, URI=\"k\"\n", SEGMENT)),
        ),
        (
            "hls.attribute.duplicate",
            fired(&media("#EXT-X-KEY:METHOD=NONE,METHOD=NONE\n", SEGMENT)),
        ),
        (
            "hls.attribute.type",
            fired(&variant("BANDWIDTH=fast,CODECS=\"avc1.42e00a\"")),
        ),
        (
            "hls.media.target-duration-required",
            fired("#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:4.0,\na.ts\n"),
        ),
        (
            "hls.media.target-duration",
            fired(&media("", "#EXTINF:9.0,\na.ts\n")),
        ),
        (
            "hls.media.media-sequence-placement",
            fired(&media(
                "",
                &format!("{SEGMENT}#EXT-X-MEDIA-SEQUENCE:1\n{SEGMENT}"),
            )),
        ),
        (
            "hls.media.discontinuity-sequence-placement",
            fired(&media(
                "#EXT-X-DISCONTINUITY\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n",
                SEGMENT,
            )),
        ),
        (
            "hls.media.playlist-type",
            fired(&media("#EXT-X-PLAYLIST-TYPE:LIVE\n", SEGMENT)),
        ),
        (
            "hls.playlist.start",
            fired(&media("#EXT-X-START:PRECISE=YES\n", SEGMENT)),
        ),
        ("hls.segment.extinf-required", fired(&media("", "a.ts\n"))),
        (
            "hls.segment.extinf-format",
            fired(&media("", "#EXTINF:long,\na.ts\n")),
        ),
        (
            "hls.segment.uri",
            fired(&media("", &format!("{SEGMENT}#EXTINF:4.0,\n"))),
        ),
        (
            "hls.segment.byte-range",
            fired(&media("", &format!("#EXT-X-BYTERANGE:many\n{SEGMENT}"))),
        ),
        // AES-128 without the key's URI.
        (
            "hls.segment.key",
            fired(&media("#EXT-X-KEY:METHOD=AES-128\n", SEGMENT)),
        ),
        (
            "hls.segment.map",
            fired(&media("#EXT-X-MAP:BYTERANGE=\"100@0\"\n", SEGMENT)),
        ),
        (
            "hls.segment.date-time",
            fired(&media(
                "",
                &format!("#EXT-X-PROGRAM-DATE-TIME:yesterday\n{SEGMENT}"),
            )),
        ),
        (
            "hls.segment.date-time-zone",
            fired(&media(
                "",
                &format!("#EXT-X-PROGRAM-DATE-TIME:2026-12-07T08:00:00\n{SEGMENT}"),
            )),
        ),
        (
            "hls.master.stream-inf-uri",
            fired(&master(
                "#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"mp4a.40.2\"\n",
            )),
        ),
        (
            "hls.master.bandwidth",
            fired(&variant("CODECS=\"mp4a.40.2\"")),
        ),
        ("hls.master.codecs", fired(&variant("BANDWIDTH=1"))),
        // An AUDIO group no EXT-X-MEDIA defines.
        (
            "hls.master.group",
            fired(&variant("BANDWIDTH=1,CODECS=\"mp4a.40.2\",AUDIO=\"aac\"")),
        ),
        (
            "hls.master.i-frame-uri",
            fired(&master("#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1\n")),
        ),
        // A rendition without GROUP-ID.
        (
            "hls.master.media",
            fired(&master(
                "#EXT-X-MEDIA:TYPE=AUDIO,NAME=\"en\",URI=\"en.m3u8\"\n",
            )),
        ),
        // Two renditions of one group with one NAME.
        (
            "hls.master.media-group",
            fired(&master(
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"1.m3u8\"\n\
                 #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"2.m3u8\"\n",
            )),
        ),
        (
            "hls.reload.target-duration",
            reloaded(
                &window,
                &live(0, 6, &four(["a.ts", "b.ts", "c.ts", "d.ts"])),
            ),
        ),
        // b.ts became another segment.
        (
            "hls.reload.segments",
            reloaded(
                &window,
                &live(0, 4, &four(["a.ts", "x.ts", "c.ts", "d.ts"])),
            ),
        ),
        // c.ts gained a discontinuity before it: its discontinuity sequence changed.
        (
            "hls.reload.discontinuity-sequence",
            reloaded(
                &window,
                &live(
                    0,
                    4,
                    &[
                        ("a.ts", 4.0, false),
                        ("b.ts", 4.0, false),
                        ("c.ts", 4.0, true),
                        ("d.ts", 4.0, false),
                    ],
                ),
            ),
        ),
        // Two segments removed, 8 s left of a 4 s target.
        (
            "hls.reload.window",
            reloaded(
                &window,
                &live(2, 4, &four(["c.ts", "d.ts", "e.ts", "f.ts"])[..2]),
            ),
        ),
    ];
    rule_table::check(CATALOG, &table);
}

#[test]
fn well_formed_playlists_break_no_rule() {
    for text in [
        media(
            "#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-START:TIME-OFFSET=-8\n",
            &format!("#EXT-X-PROGRAM-DATE-TIME:2026-12-07T08:00:00.000Z\n{SEGMENT}{SEGMENT}"),
        ),
        master(
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",DEFAULT=YES,URI=\"1.m3u8\"\n\
             #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"fr\",URI=\"2.m3u8\"\n\
             #EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"mp4a.40.2\",AUDIO=\"a\"\nv.m3u8\n\
             #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"i.m3u8\"\n",
        ),
    ] {
        assert_eq!(fired(&text), Vec::<&str>::new(), "{text}");
    }
    // A live window sliding by one segment, three target durations long.
    let before = live(0, 4, &four(["a.ts", "b.ts", "c.ts", "d.ts"]));
    let after = live(1, 4, &four(["b.ts", "c.ts", "d.ts", "e.ts"]));
    assert_eq!(reloaded(&before, &after), Vec::<&str>::new());
}

#[test]
fn a_discontinuity_sequence_after_a_discontinuity_is_reported_once() {
    let text = media(
        "#EXT-X-DISCONTINUITY\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n",
        SEGMENT,
    );
    assert_eq!(fired(&text), ["hls.media.discontinuity-sequence-placement"]);
}
