//! The HLS rule catalog (DESIGN.md, "Rules and violations").
//!
//! Spec references are to RFC 8216 (HTTP Live Streaming, 1st edition); "receiver limit" marks
//! bounds this parser sets so that hostile playlists cannot cost unbounded memory. The
//! `hls.reload.*` rules compare two loads of one live playlist (RFC 8216 §6.2.1, §6.2.2).

weir_media::rules! {
    PLAYLIST_UTF8 = "hls.playlist.utf8", Must, "RFC 8216 §4.1",
        "A playlist is UTF-8 text without a byte order mark and without control characters other than CR and LF.";
    PLAYLIST_WHITESPACE = "hls.playlist.whitespace", Must, "RFC 8216 §4.1",
        "Whitespace appears only where an element allows it: not around URI lines or tags.";
    PLAYLIST_LIMITS = "hls.playlist.limits", Must, "RFC 8216 §4.1 (receiver limit)",
        "A playlist stays within the reader's limits on total size, line length, line count and violations recorded.";
    PLAYLIST_EXTM3U = "hls.playlist.extm3u", Must, "RFC 8216 §4.3.1.1",
        "The first line of every playlist is the EXTM3U tag.";
    PLAYLIST_KIND = "hls.playlist.kind", Must, "RFC 8216 §4.1",
        "A playlist is either a media playlist or a master playlist: it never mixes media segment or media playlist tags with master playlist tags.";
    PLAYLIST_VERSION = "hls.playlist.version", Must, "RFC 8216 §4.3.1.2",
        "EXT-X-VERSION appears at most once and carries a decimal-integer.";
    VERSION_COMPATIBILITY = "hls.playlist.version-compatibility", Must, "RFC 8216 §7",
        "A playlist declares an EXT-X-VERSION at least that of every feature it uses: 2 for the IV of EXT-X-KEY; 3 for decimal-floating-point EXTINF durations; 4 for EXT-X-BYTERANGE and EXT-X-I-FRAMES-ONLY; 5 for SAMPLE-AES, KEYFORMAT, KEYFORMATVERSIONS and EXT-X-MAP; 6 for EXT-X-MAP without EXT-X-I-FRAMES-ONLY; 7 for SERVICE values of INSTREAM-ID.";
    TAG_VALUE = "hls.tag.value", Must, "RFC 8216 §4.2, §4.3",
        "A tag's value has the type its definition gives (decimal-integer, decimal-floating-point, enumerated string, date-time, attribute list).";
    TAG_DUPLICATE = "hls.tag.duplicate", Must, "RFC 8216 §4.3.3, §4.3.5",
        "A playlist holds at most one of each media playlist tag (EXT-X-TARGETDURATION, EXT-X-MEDIA-SEQUENCE, EXT-X-DISCONTINUITY-SEQUENCE, EXT-X-ENDLIST, EXT-X-PLAYLIST-TYPE, EXT-X-I-FRAMES-ONLY) and of EXT-X-INDEPENDENT-SEGMENTS and EXT-X-START.";
    ATTRIBUTE_SYNTAX = "hls.attribute.syntax", Must, "RFC 8216 §4.2",
        "An attribute list is comma-separated NAME=value pairs without whitespace; names are upper-case letters, digits and '-'; values are quoted strings or unquoted values without whitespace, quotes or commas.";
    ATTRIBUTE_DUPLICATE = "hls.attribute.duplicate", Must, "RFC 8216 §4.2",
        "An attribute list never contains the same attribute name twice.";
    ATTRIBUTE_TYPE = "hls.attribute.type", Must, "RFC 8216 §4.2",
        "An attribute's value has the type its definition gives (decimal-integer, hexadecimal-sequence, decimal-floating-point, quoted-string, enumerated-string, decimal-resolution).";
    TARGET_DURATION_REQUIRED = "hls.media.target-duration-required", Must, "RFC 8216 §4.3.3.1",
        "Every media playlist carries EXT-X-TARGETDURATION.";
    TARGET_DURATION = "hls.media.target-duration", Must, "RFC 8216 §4.3.3.1",
        "Every segment's EXTINF duration, rounded to the nearest integer, is at most the target duration.";
    MEDIA_SEQUENCE_PLACEMENT = "hls.media.media-sequence-placement", Must, "RFC 8216 §4.3.3.2",
        "EXT-X-MEDIA-SEQUENCE appears before the first media segment.";
    DISCONTINUITY_SEQUENCE_PLACEMENT = "hls.media.discontinuity-sequence-placement", Must, "RFC 8216 §4.3.3.3",
        "EXT-X-DISCONTINUITY-SEQUENCE appears before the first media segment and before any EXT-X-DISCONTINUITY.";
    PLAYLIST_TYPE = "hls.media.playlist-type", Must, "RFC 8216 §4.3.3.5",
        "EXT-X-PLAYLIST-TYPE is EVENT or VOD.";
    START = "hls.playlist.start", Must, "RFC 8216 §4.3.5.2",
        "EXT-X-START carries a TIME-OFFSET (signed-decimal-floating-point) and, if any, PRECISE=YES or NO.";
    EXTINF_REQUIRED = "hls.segment.extinf-required", Must, "RFC 8216 §4.3.2.1",
        "Every media segment (URI line) is preceded by its EXTINF tag.";
    EXTINF_FORMAT = "hls.segment.extinf-format", Must, "RFC 8216 §4.3.2.1",
        "EXTINF is '<duration>,[<title>]': a non-negative decimal duration in seconds, a comma, then an optional title.";
    SEGMENT_URI = "hls.segment.uri", Must, "RFC 8216 §4.3.2",
        "Media segment tags apply to the next URI line: a playlist does not end with segment tags and no URI.";
    BYTE_RANGE = "hls.segment.byte-range", Must, "RFC 8216 §4.3.2.2",
        "EXT-X-BYTERANGE is '<n>[@<o>]'; without an offset, the previous segment is a sub-range of the same resource.";
    KEY = "hls.segment.key", Must, "RFC 8216 §4.3.2.4",
        "EXT-X-KEY has a METHOD of NONE, AES-128 or SAMPLE-AES; a URI unless the method is NONE, and none if it is; an IV of 128 bits if any.";
    MAP = "hls.segment.map", Must, "RFC 8216 §4.3.2.5",
        "EXT-X-MAP has a URI attribute and an optional BYTERANGE quoted string '<n>[@<o>]'.";
    DATE_TIME = "hls.segment.date-time", Must, "RFC 8216 §4.3.2.6",
        "EXT-X-PROGRAM-DATE-TIME is an ISO 8601 date and time: YYYY-MM-DDThh:mm:ss[.fraction][zone].";
    DATE_TIME_ZONE = "hls.segment.date-time-zone", Should, "RFC 8216 §4.3.2.6",
        "EXT-X-PROGRAM-DATE-TIME indicates a time zone, and fractional seconds to millisecond accuracy.";
    STREAM_INF_URI = "hls.master.stream-inf-uri", Must, "RFC 8216 §4.3.4.2",
        "EXT-X-STREAM-INF is followed by the URI line of its variant stream.";
    STREAM_INF_BANDWIDTH = "hls.master.bandwidth", Must, "RFC 8216 §4.3.4.2",
        "Every EXT-X-STREAM-INF and EXT-X-I-FRAME-STREAM-INF carries a decimal-integer BANDWIDTH.";
    STREAM_INF_CODECS = "hls.master.codecs", Should, "RFC 8216 §4.3.4.2",
        "Every EXT-X-STREAM-INF carries CODECS, naming every codec in the variant.";
    STREAM_INF_GROUP = "hls.master.group", Must, "RFC 8216 §4.3.4.2",
        "The AUDIO, VIDEO, SUBTITLES and CLOSED-CAPTIONS attributes of EXT-X-STREAM-INF name the GROUP-ID of EXT-X-MEDIA tags of that TYPE in the playlist (CLOSED-CAPTIONS may be NONE).";
    I_FRAME_URI = "hls.master.i-frame-uri", Must, "RFC 8216 §4.3.4.3",
        "Every EXT-X-I-FRAME-STREAM-INF carries a URI attribute naming its I-frame media playlist.";
    MEDIA_TAG = "hls.master.media", Must, "RFC 8216 §4.3.4.1",
        "EXT-X-MEDIA carries TYPE (AUDIO, VIDEO, SUBTITLES or CLOSED-CAPTIONS), GROUP-ID and NAME; INSTREAM-ID for closed captions only, and no URI for them; FORCED for subtitles only; AUTOSELECT=YES if present with DEFAULT=YES.";
    MEDIA_GROUP = "hls.master.media-group", Must, "RFC 8216 §4.3.4.1.1",
        "The renditions of one group have different NAMEs, and at most one of them has DEFAULT=YES.";

    RELOAD_TARGET_DURATION = "hls.reload.target-duration", Must, "RFC 8216 §6.2.1",
        "A live media playlist changes only by appending segments, removing them from the front, raising the sequence numbers and adding EXT-X-ENDLIST: its EXT-X-TARGETDURATION never changes.";
    RELOAD_SEGMENTS = "hls.reload.segments", Must, "RFC 8216 §6.2.1, §6.2.2",
        "A segment keeps its media sequence number, URI and duration from one load of a live playlist to the next; EXT-X-MEDIA-SEQUENCE never decreases and segments leave only from the front.";
    RELOAD_DISCONTINUITY_SEQUENCE = "hls.reload.discontinuity-sequence", Must, "RFC 8216 §6.2.2",
        "A segment keeps its discontinuity sequence number from one load to the next: removing a segment with EXT-X-DISCONTINUITY raises EXT-X-DISCONTINUITY-SEQUENCE.";
    RELOAD_WINDOW = "hls.reload.window", Must, "RFC 8216 §6.2.2",
        "A server removes a segment from a live playlist only if the playlist still lasts at least three target durations.";
}

#[cfg(test)]
mod tests {
    use super::CATALOG;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_in_the_hls_namespace() {
        let mut seen = HashSet::new();
        for rule in CATALOG {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            assert!(rule.id.starts_with("hls.") && rule.id.split('.').count() == 3);
            assert!(rule.spec.starts_with("RFC 8216 §"), "{}", rule.id);
        }
    }
}
