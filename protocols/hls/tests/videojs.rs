//! The videojs m3u8-parser integration fixtures (`$WEIR_CORPUS/hls/videojs-m3u8-parser`):
//! every playlist parses, or is rejected with the rule that explains why, and what we read
//! agrees, field by field, with the parse videojs expects (its `.js` expectation) on every
//! field the model has. Where we read a field differently on purpose, `DIFFERENT` says so.

#[path = "videojs/js.rs"]
mod js;

use js::{Js, read_module};
use weir_hls::{
    ByteRange, Key, KeyMethod, Limits, MasterPlaylist, MediaPlaylist, MediaType, Playlist,
    PlaylistType, parse,
};
use weir_testkit::corpus;

const DIR: &str = "hls/videojs-m3u8-parser";

/// Fixtures that are not playlists, or in which a segment's duration cannot be known: the
/// parse fails with this rule. videojs, a player, substitutes the target duration.
const REJECTED: &[(&str, &str)] = &[
    // An empty file: no EXTM3U, nothing at all.
    ("empty", "hls.playlist.extm3u"),
    // Line 9: "#EXTINF:;asljasdfii11)))00," has no duration.
    ("extinf", "hls.segment.extinf-format"),
    // Line 8: a URI line without EXTINF.
    ("liveMissingSegmentDuration", "hls.segment.extinf-required"),
    // Line 8: a URI line without EXTINF.
    ("missingExtinf", "hls.segment.extinf-required"),
    // Line 8: a URI line without EXTINF.
    ("missingSegmentDuration", "hls.segment.extinf-required"),
    // Line 2: the first URI line has no EXTINF.
    ("multipleTargetDurations", "hls.segment.extinf-required"),
];

/// Fields we read differently from videojs, and why. Each must still differ (so the list
/// stays true).
const DIFFERENT: &[(&str, &str, &str)] = &[
    (
        "negativeMediaSequence",
        "mediaSequence",
        "a decimal-integer is never negative: -11 is reported (hls.tag.value) and ignored",
    ),
    (
        "llhls-byte-range",
        "segments[0].byterange",
        "\"587500@\" is no byte range: reported (hls.segment.byte-range) and ignored",
    ),
    (
        "twoMediaSequences",
        "mediaSequence",
        "EXT-X-MEDIA-SEQUENCE appears twice (hls.tag.duplicate): we keep the first, 0; videojs the last, 11",
    ),
    (
        "zeroDuration",
        "segments[0].duration",
        "EXTINF:0 is a duration of 0 s; videojs plays it as 0.01 s",
    ),
];

/// What differs between our parse and the expectation, as "path: ours ≠ expected".
#[derive(Default)]
struct Diff {
    differences: Vec<(String, String)>,
    /// Fields compared.
    checks: usize,
}

impl Diff {
    fn check<T: std::fmt::Debug + PartialEq>(&mut self, path: &str, ours: T, expected: T) {
        self.checks += 1;
        if ours != expected {
            self.differences.push((
                path.to_owned(),
                format!("ours {ours:?} ≠ expected {expected:?}"),
            ));
        }
    }
}

fn num(js: &Js, key: &str) -> Option<f64> {
    js.get(key).and_then(Js::num)
}

fn string<'a>(js: &'a Js, key: &str) -> Option<&'a str> {
    js.get(key).and_then(Js::str)
}

/// A boolean field; absent is false.
fn flag(js: &Js, key: &str) -> bool {
    js.get(key).and_then(Js::bool).unwrap_or(false)
}

fn byte_range(js: Option<&Js>) -> Option<(u64, u64)> {
    let js = js?;
    Some((
        num(js, "length")? as u64,
        num(js, "offset").unwrap_or(0.0) as u64,
    ))
}

fn ours_range(range: Option<ByteRange>) -> Option<(u64, u64)> {
    range.map(|r| (r.length, r.offset))
}

/// A key as (method, uri, iv): videojs gives the IV as four big-endian 32-bit words.
fn expected_key(js: Option<&Js>) -> Option<(String, String, Option<[u8; 16]>)> {
    let js = js?;
    let iv = match js.get("iv") {
        Some(Js::U32(words)) => {
            let mut iv = [0; 16];
            for (i, w) in words.iter().enumerate().take(4) {
                iv[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
            }
            Some(iv)
        }
        _ => None,
    };
    Some((
        string(js, "method")?.to_owned(),
        string(js, "uri")?.to_owned(),
        iv,
    ))
}

fn ours_key(key: Option<&Key>) -> Option<(String, String, Option<[u8; 16]>)> {
    let key = key?;
    let method = match key.method {
        KeyMethod::Aes128 => "AES-128",
        KeyMethod::SampleAes => "SAMPLE-AES",
    };
    Some((method.to_owned(), key.uri.clone(), key.iv))
}

fn compare_media(ours: &MediaPlaylist, expected: &Js, diff: &mut Diff) {
    diff.check(
        "targetDuration",
        ours.target_duration.map(|t| t as f64),
        num(expected, "targetDuration"),
    );
    if let Some(sequence) = num(expected, "mediaSequence") {
        diff.check("mediaSequence", ours.media_sequence as f64, sequence);
    }
    if let Some(sequence) = num(expected, "discontinuitySequence") {
        diff.check(
            "discontinuitySequence",
            ours.discontinuity_sequence as f64,
            sequence,
        );
    }
    diff.check("endList", ours.end_list, flag(expected, "endList"));
    let playlist_type = ours.playlist_type.map(|t| match t {
        PlaylistType::Event => "EVENT",
        PlaylistType::Vod => "VOD",
    });
    diff.check(
        "playlistType",
        playlist_type,
        string(expected, "playlistType"),
    );
    diff.check(
        "version",
        ours.version.map(|v| v as f64),
        num(expected, "version"),
    );
    diff.check(
        "iFramesOnly",
        ours.i_frames_only,
        flag(expected, "iFramesOnly"),
    );
    diff.check(
        "independentSegments",
        ours.independent_segments,
        flag(expected, "independentSegments"),
    );
    diff.check(
        "start",
        ours.start.map(|s| (s.time_offset, s.precise)),
        expected
            .get("start")
            .map(|s| (num(s, "timeOffset").unwrap_or(f64::NAN), flag(s, "precise"))),
    );
    let starts: Vec<f64> = (ours.segments.iter().enumerate())
        .filter(|(_, s)| s.discontinuity)
        .map(|(i, _)| i as f64)
        .collect();
    let expected_starts: Vec<f64> = expected
        .get("discontinuityStarts")
        .map_or(&[][..], Js::arr)
        .iter()
        .filter_map(Js::num)
        .collect();
    diff.check("discontinuityStarts", starts, expected_starts);

    let segments = expected.get("segments").map_or(&[][..], Js::arr);
    diff.check("segments.length", ours.segments.len(), segments.len());
    let dates = program_date_times(ours);
    for ((i, numbered), e) in ours.numbered().enumerate().zip(segments) {
        let s = numbered.segment;
        let at = |field: &str| format!("segments[{i}].{field}");
        diff.check(&at("uri"), Some(s.uri.as_str()), string(e, "uri"));
        diff.check(&at("duration"), Some(s.duration), num(e, "duration"));
        diff.check(
            &at("title"),
            s.title.as_str(),
            string(e, "title").unwrap_or(""),
        );
        diff.check(
            &at("timeline"),
            Some(numbered.discontinuity_sequence as f64),
            num(e, "timeline"),
        );
        diff.check(
            &at("discontinuity"),
            s.discontinuity,
            flag(e, "discontinuity"),
        );
        diff.check(
            &at("byterange"),
            ours_range(s.byte_range),
            byte_range(e.get("byterange")),
        );
        diff.check(
            &at("key"),
            ours_key(s.key.as_ref()),
            expected_key(e.get("key")),
        );
        let map = e.get("map");
        diff.check(
            &at("map"),
            s.map
                .as_ref()
                .map(|m| (m.uri.clone(), ours_range(m.byte_range))),
            map.map(|m| {
                (
                    string(m, "uri").unwrap_or_default().to_owned(),
                    byte_range(m.get("byterange")),
                )
            }),
        );
        // videojs carries a date forward (and back) from the nearest EXT-X-PROGRAM-DATE-TIME.
        let expected_date = num(e, "programDateTime");
        let close = match (dates[i], expected_date) {
            (Some(a), Some(b)) => (a - b).abs() < 1.0,
            (a, b) => a.is_none() && b.is_none(),
        };
        diff.check(&at("programDateTime"), close, true);
    }
}

/// Each segment's program date time in Unix milliseconds: its own, or carried from the
/// nearest segment that has one by adding (or taking away) the durations in between.
fn program_date_times(playlist: &MediaPlaylist) -> Vec<Option<f64>> {
    let segments = &playlist.segments;
    let mut dates: Vec<Option<f64>> = segments
        .iter()
        .map(|s| s.program_date_time.map(|ms| ms as f64))
        .collect();
    for i in 1..dates.len() {
        if dates[i].is_none() {
            dates[i] = dates[i - 1].map(|d| d + segments[i - 1].duration * 1000.0);
        }
    }
    for i in (0..dates.len().saturating_sub(1)).rev() {
        if dates[i].is_none() {
            dates[i] = dates[i + 1].map(|d| d - segments[i].duration * 1000.0);
        }
    }
    dates
}

/// An attribute as videojs reads it: numbers for integers and floats, `{width, height}` for
/// resolutions, strings for the rest.
fn attribute(list: &weir_hls::AttributeList, name: &str, expected: &Js) -> Js {
    match expected {
        Js::Num(_) => list.float(name).map_or(Js::Null, Js::Num),
        Js::Obj(_) => list.resolution(name).map_or(Js::Null, |r| {
            Js::Obj(vec![
                ("width".into(), Js::Num(r.width as f64)),
                ("height".into(), Js::Num(r.height as f64)),
            ])
        }),
        _ => match list.get(name) {
            Some(weir_hls::AttributeValue::Quoted(s) | weir_hls::AttributeValue::Unquoted(s)) => {
                Js::Str(s.clone())
            }
            None => Js::Null,
        },
    }
}

fn compare_attributes(path: &str, ours: &weir_hls::AttributeList, expected: &Js, diff: &mut Diff) {
    let expected = expected.get("attributes").unwrap_or(&Js::Null);
    for (name, value) in expected.fields() {
        let mut value = value.clone();
        if let Js::Obj(fields) = &mut value {
            fields.sort_by(|a, b| b.0.cmp(&a.0)); // width, height
        }
        diff.check(
            &format!("{path}.attributes.{name}"),
            attribute(ours, name, &value),
            value,
        );
    }
    let names: Vec<&str> = ours.0.iter().map(|(n, _)| n.as_str()).collect();
    let mut expected_names: Vec<&str> = expected.fields().iter().map(|(n, _)| n.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    expected_names.sort();
    diff.check(&format!("{path}.attributes"), sorted, expected_names);
}

fn compare_master(ours: &MasterPlaylist, expected: &Js, diff: &mut Diff) {
    let variants = expected.get("playlists").map_or(&[][..], Js::arr);
    diff.check("playlists.length", ours.variants.len(), variants.len());
    for (i, (v, e)) in ours.variants.iter().zip(variants).enumerate() {
        diff.check(
            &format!("playlists[{i}].uri"),
            Some(v.uri.as_str()),
            string(e, "uri"),
        );
        compare_attributes(&format!("playlists[{i}]"), &v.attributes, e, diff);
    }
    let i_frames = expected.get("iFramePlaylists").map_or(&[][..], Js::arr);
    diff.check(
        "iFramePlaylists.length",
        ours.i_frame_variants.len(),
        i_frames.len(),
    );
    for (i, (v, e)) in ours.i_frame_variants.iter().zip(i_frames).enumerate() {
        diff.check(
            &format!("iFramePlaylists[{i}].uri"),
            v.uri(),
            string(e, "uri"),
        );
        compare_attributes(&format!("iFramePlaylists[{i}]"), &v.attributes, e, diff);
    }
    diff.check(
        "independentSegments",
        ours.independent_segments,
        flag(expected, "independentSegments"),
    );
    // mediaGroups: TYPE → GROUP-ID → NAME → rendition.
    let groups = expected.get("mediaGroups").unwrap_or(&Js::Null);
    let mut count = 0;
    for (kind, by_group) in groups.fields() {
        let kind = MediaType::parse(kind).expect("a media type");
        for (group, by_name) in by_group.fields() {
            for (name, e) in by_name.fields() {
                count += 1;
                let path = format!("mediaGroups.{}.{group}.{name}", kind.as_str());
                let Some(r) = ours.group(kind, group).find(|r| r.name() == Some(name)) else {
                    diff.check(&path, "missing", "present");
                    continue;
                };
                diff.check(&format!("{path}.uri"), r.uri(), string(e, "uri"));
                diff.check(
                    &format!("{path}.language"),
                    r.language(),
                    string(e, "language"),
                );
                diff.check(
                    &format!("{path}.default"),
                    Some(r.is_default()),
                    e.get("default").and_then(Js::bool),
                );
                diff.check(
                    &format!("{path}.autoselect"),
                    r.autoselect(),
                    flag(e, "autoselect"),
                );
                diff.check(
                    &format!("{path}.instreamId"),
                    r.instream_id(),
                    string(e, "instreamId"),
                );
                diff.check(
                    &format!("{path}.characteristics"),
                    r.characteristics(),
                    string(e, "characteristics"),
                );
                diff.check(&format!("{path}.forced"), r.forced(), flag(e, "forced"));
            }
        }
    }
    diff.check("mediaGroups.count", ours.renditions.len(), count);
}

#[test]
fn videojs_fixtures_agree() {
    let dir = corpus::path(DIR);
    let mut compared = 0;
    let mut rejected = 0;
    let mut failures = Vec::new();
    let mut differences_seen = Vec::new();
    let mut checks = 0;
    for (name, bytes) in corpus::contents(DIR, "m3u8") {
        let js_path = dir.join(format!("{name}.js"));
        let text = std::fs::read_to_string(&js_path)
            .unwrap_or_else(|e| panic!("{}: {e}", js_path.display()));
        let expected = read_module(&text).unwrap_or_else(|e| panic!("{}: {e}", js_path.display()));
        let parsed = parse(&bytes, &Limits::default());
        if let Some((_, rule)) = REJECTED.iter().find(|(n, _)| *n == name) {
            match parsed {
                Err(e) if e.rule.map(|r| r.id) == Some(rule) => rejected += 1,
                other => failures.push(format!("{name}: expected a {rule} error, got {other:?}")),
            }
            continue;
        }
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let mut diff = Diff::default();
        match &parsed.playlist {
            Playlist::Media(m) => {
                if expected.get("playlists").is_some() {
                    failures.push(format!("{name}: read as a media playlist"));
                }
                compare_media(m, &expected, &mut diff);
            }
            Playlist::Master(m) => compare_master(m, &expected, &mut diff),
        }
        checks += diff.checks;
        for (path, what) in diff.differences {
            match DIFFERENT.iter().find(|(n, p, _)| *n == name && *p == path) {
                Some(known) => differences_seen.push(known),
                None => failures.push(format!("{name}: {path}: {what}")),
            }
        }
        compared += 1;
    }
    for known in DIFFERENT {
        if !differences_seen.contains(&known) {
            failures.push(format!("{}: {} no longer differs", known.0, known.1));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!((compared, rejected), (54, REJECTED.len()));
    // 54 playlists, 60 fixtures: a floor, so that a comparison cannot silently vanish.
    assert!(checks > 2500, "only {checks} fields compared");
    eprintln!(
        "videojs: {compared} playlists compared field by field ({checks} fields), {rejected} rejected"
    );
}

#[test]
fn the_js_reader_reads_what_the_expectations_use() {
    let js = read_module(
        "module.exports = {\n  // a comment\n  a: 1.5, 'B-C': 'x\\'y', d: [true, null,],\n  \
         e: new Date('2019-02-14T02:13:36.106Z'), f: new Uint32Array([0, 331]), Français: {},\n};",
    )
    .unwrap();
    assert_eq!(js.get("a"), Some(&Js::Num(1.5)));
    assert_eq!(js.get("B-C").and_then(Js::str), Some("x'y"));
    assert_eq!(js.get("d").unwrap().arr(), [Js::Bool(true), Js::Null]);
    assert_eq!(js.get("f"), Some(&Js::U32(vec![0, 331])));
    assert_eq!(js.get("Français"), Some(&Js::Obj(vec![])));
    assert!(read_module("module.exports = {a: }").is_err());
}
