//! What a body is, so that the right machine reads it: its Content-Type first (RFC
//! 9110 §8.3; RFC 8216 §4 names the playlist types), then the request target's extension,
//! then its first bytes (the same detection `weir check` applies to files).

use std::fmt;

use crate::sniff::{self, Sniff};

/// A body the harness reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An HLS playlist (RFC 8216 §4).
    Playlist,
    /// A transport stream: an HLS segment or HTTP-TS (ISO/IEC 13818-1).
    Ts,
    /// An FLV file: HTTP-FLV (FLV 10.1 Annex E).
    Flv,
    /// A session description (RFC 8866): WHIP's and WHEP's offers and answers (RFC 9725).
    Sdp,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Playlist => "a playlist",
            Kind::Ts => "TS",
            Kind::Flv => "FLV",
            Kind::Sdp => "SDP",
        })
    }
}

/// What said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    ContentType,
    Extension,
    Content,
}

impl fmt::Display for By {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            By::ContentType => "by its Content-Type",
            By::Extension => "by the target's extension",
            By::Content => "by its first bytes",
        })
    }
}

/// Bytes of a body looked at when neither its type nor its target says what it is.
pub const SNIFF_BYTES: usize = 512;

/// The media types of what is read (RFC 8216 §4 names the playlist's three).
const MEDIA_TYPES: [(&str, Kind); 6] = [
    ("application/vnd.apple.mpegurl", Kind::Playlist),
    ("application/x-mpegurl", Kind::Playlist),
    ("audio/mpegurl", Kind::Playlist),
    ("video/mp2t", Kind::Ts),
    ("video/x-flv", Kind::Flv),
    ("application/sdp", Kind::Sdp),
];

const EXTENSIONS: [(&str, Kind); 4] = [
    ("m3u8", Kind::Playlist),
    ("ts", Kind::Ts),
    ("flv", Kind::Flv),
    ("sdp", Kind::Sdp),
];

impl Kind {
    /// The media type its bodies carry (the first of its names in the table).
    pub fn media_type(self) -> &'static str {
        name_of(&MEDIA_TYPES, self)
    }

    /// The extension a request target for it ends with.
    pub fn extension(self) -> &'static str {
        name_of(&EXTENSIONS, self)
    }
}

/// The first name `table` gives `kind`; every kind has one in both tables.
fn name_of(table: &[(&'static str, Kind)], kind: Kind) -> &'static str {
    table
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("", |(name, _)| name)
}

/// The kind `name` stands for in `table`, compared case-insensitively.
fn lookup(table: &[(&str, Kind)], name: &str) -> Option<Kind> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, kind)| *kind)
}

/// What the Content-Type (`type/subtype; parameters`, case-insensitive) says.
pub fn by_content_type(content_type: &str) -> Option<Kind> {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    lookup(&MEDIA_TYPES, media_type)
}

/// What the request target's path ends with (its query left out).
pub fn by_extension(target: &str) -> Option<Kind> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    lookup(&EXTENSIONS, path.rsplit_once('.')?.1)
}

/// What the first bytes of a body say (up to [`SNIFF_BYTES`], or all of a shorter body).
pub fn by_content(head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"FLV\x01") {
        return Some(Kind::Flv);
    }
    if let Sniff::Is(_) = sniff::playlist_file(head, true) {
        return Some(Kind::Playlist);
    }
    if let Sniff::Is(_) = sniff::sdp_file(head, true) {
        return Some(Kind::Sdp);
    }
    match sniff::ts_file(head, true) {
        Sniff::Is(_) => Some(Kind::Ts),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_then_extension_then_bytes() {
        assert_eq!(by_content_type("Video/MP2T"), Some(Kind::Ts));
        assert_eq!(
            by_content_type("application/x-mpegURL; charset=utf-8"),
            Some(Kind::Playlist)
        );
        assert_eq!(by_content_type("text/html"), None);
        assert_eq!(by_extension("/live/a.FLV?token=x.m3u8"), Some(Kind::Flv));
        assert_eq!(by_extension("/live/a-12.ts"), Some(Kind::Ts));
        assert_eq!(by_extension("/live/a"), None);
        assert_eq!(by_content(b"FLV\x01\x05"), Some(Kind::Flv));
        assert_eq!(by_content(b"#EXTM3U\n"), Some(Kind::Playlist));
        let mut ts = vec![0u8; 376];
        ts[0] = 0x47;
        ts[188] = 0x47;
        assert_eq!(by_content(&ts), Some(Kind::Ts));
        assert_eq!(by_content(b"<html>"), None);
        for kind in [Kind::Playlist, Kind::Ts, Kind::Flv, Kind::Sdp] {
            assert_eq!(by_content_type(kind.media_type()), Some(kind));
            assert_eq!(
                by_extension(&format!("/a.{}", kind.extension())),
                Some(kind)
            );
        }
        assert_eq!(Kind::Playlist.media_type(), "application/vnd.apple.mpegurl");
    }
}
