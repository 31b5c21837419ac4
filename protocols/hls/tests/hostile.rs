//! Hostile input: the parser never panics, stays within its limits, and whatever it accepts
//! writes back to a playlist that reads the same (the property the fuzz target checks too).

use proptest::collection::vec;
use proptest::prelude::*;
use weir_hls::{Limits, Playlist, parse};

/// Parses `input`; if it is a playlist, its rewrite must read back to the same model,
/// normalized (a master playlist left without variants or renditions reads back as media).
fn parse_and_rewrite(input: &[u8]) {
    let Ok(first) = parse(input, &Limits::default()) else {
        return;
    };
    if let Playlist::Master(m) = &first.playlist
        && m.is_empty()
    {
        return;
    }
    let text = first.playlist.to_string();
    let again = parse(text.as_bytes(), &Limits::default())
        .unwrap_or_else(|e| panic!("the rewrite fails: {e}\n{text}"));
    assert_eq!(again.playlist, first.playlist.normalized(), "{text}");
}

/// Lines a playlist is made of, good and bad.
fn line() -> impl Strategy<Value = String> {
    let tag = prop_oneof![
        Just("#EXTM3U"),
        Just("#EXTINF:"),
        Just("#EXT-X-VERSION:"),
        Just("#EXT-X-TARGETDURATION:"),
        Just("#EXT-X-MEDIA-SEQUENCE:"),
        Just("#EXT-X-DISCONTINUITY-SEQUENCE:"),
        Just("#EXT-X-DISCONTINUITY"),
        Just("#EXT-X-BYTERANGE:"),
        Just("#EXT-X-KEY:"),
        Just("#EXT-X-MAP:"),
        Just("#EXT-X-PROGRAM-DATE-TIME:"),
        Just("#EXT-X-PLAYLIST-TYPE:"),
        Just("#EXT-X-ENDLIST"),
        Just("#EXT-X-I-FRAMES-ONLY"),
        Just("#EXT-X-INDEPENDENT-SEGMENTS"),
        Just("#EXT-X-START:"),
        Just("#EXT-X-STREAM-INF:"),
        Just("#EXT-X-I-FRAME-STREAM-INF:"),
        Just("#EXT-X-MEDIA:"),
        Just("# a comment"),
        Just(""),
        Just("seg.ts"),
    ];
    let value = prop_oneof![
        Just(String::new()),
        "[0-9]{1,4}(\\.[0-9]{1,3})?,?[a-z ]{0,4}",
        "[0-9]{1,6}(@[0-9]{1,6})?",
        "(METHOD|URI|IV|TYPE|GROUP-ID|NAME|BANDWIDTH|RESOLUTION|TIME-OFFSET|DEFAULT|INSTREAM-ID|BYTERANGE)=(\"[a-z0-9@ ,]{0,6}\"|[A-Z0-9x.-]{1,6})(,[A-Z-]{1,8}=[A-Za-z0-9\"]{1,5}){0,3}",
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,4})?(Z|[+-][0-9]{2}:?[0-9]{2})?",
        "[ -~\\t\\r]{0,12}",
    ];
    (tag, value).prop_map(|(tag, value)| match tag.ends_with(':') {
        true => format!("{tag}{value}"),
        false => tag.to_owned(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..2000)) {
        parse_and_rewrite(&bytes);
        let mut playlist = b"#EXTM3U\n".to_vec();
        playlist.extend_from_slice(&bytes);
        parse_and_rewrite(&playlist);
    }
}

proptest! {
    // Generating these lines is slow in debug builds; the fuzz target goes further.
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_playlists_never_panic_and_rewrite(lines in vec(line(), 0..40)) {
        parse_and_rewrite(lines.join("\n").as_bytes());
    }
}

#[test]
fn limits_bound_the_work() {
    let limits = Limits::default();
    let big = vec![b'\n'; limits.max_bytes + 1];
    assert_eq!(
        parse(&big, &limits).unwrap_err().rule.unwrap().id,
        "hls.playlist.limits"
    );
    let long = format!("#EXTM3U\n#{}\n", "x".repeat(limits.max_line_bytes + 1));
    assert!(
        parse(long.as_bytes(), &limits)
            .unwrap_err()
            .detail
            .starts_with("line 2: ")
    );
    let many = "\n".repeat(limits.max_lines + 1);
    assert!(
        parse(many.as_bytes(), &limits)
            .unwrap_err()
            .detail
            .contains("more than")
    );
    // A million broken lines cost at most max_violations violations.
    let broken = "#EXTM3U\n".to_owned() + &"#EXT-X-TARGETDURATION:x\n".repeat(50_000);
    let parsed = parse(broken.as_bytes(), &limits).unwrap();
    assert_eq!(parsed.violations.len(), limits.max_violations + 1);
}
