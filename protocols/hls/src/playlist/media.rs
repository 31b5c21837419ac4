//! The media playlist model (RFC 8216 §4.3.2, §4.3.3): a list of media segments and the tags
//! that describe them.

/// A media playlist (RFC 8216 §4.3.3).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaPlaylist {
    /// EXT-X-VERSION (§4.3.1.2); `None` means version 1.
    pub version: Option<u64>,
    /// EXT-X-TARGETDURATION in seconds (§4.3.3.1): required, `None` only in a broken playlist.
    pub target_duration: Option<u64>,
    /// EXT-X-MEDIA-SEQUENCE (§4.3.3.2): the sequence number of the first segment (0 if absent).
    pub media_sequence: u64,
    /// EXT-X-DISCONTINUITY-SEQUENCE (§4.3.3.3): the discontinuity sequence number of the first
    /// segment (0 if absent).
    pub discontinuity_sequence: u64,
    /// EXT-X-PLAYLIST-TYPE (§4.3.3.5).
    pub playlist_type: Option<PlaylistType>,
    /// EXT-X-ENDLIST (§4.3.3.4): no more segments will be added.
    pub end_list: bool,
    /// EXT-X-I-FRAMES-ONLY (§4.3.3.6).
    pub i_frames_only: bool,
    /// EXT-X-INDEPENDENT-SEGMENTS (§4.3.5.1).
    pub independent_segments: bool,
    /// EXT-X-START (§4.3.5.2).
    pub start: Option<Start>,
    /// The media segments, in playlist order.
    pub segments: Vec<Segment>,
}

/// EXT-X-PLAYLIST-TYPE (RFC 8216 §4.3.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaylistType {
    /// EVENT: segments may be added at the end, never removed or changed.
    Event,
    /// VOD: the playlist never changes.
    Vod,
}

/// EXT-X-START (RFC 8216 §4.3.5.2): where clients should start playing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Start {
    /// Seconds from the start (or, when negative, from the end) of the playlist.
    pub time_offset: f64,
    /// PRECISE=YES: start at the exact time offset rather than at the segment's start.
    pub precise: bool,
}

/// One media segment: its URI line and the tags that apply to it (RFC 8216 §4.3.2).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Segment {
    /// The URI line of the segment, as written (may be relative to the playlist).
    pub uri: String,
    /// EXTINF duration in seconds (§4.3.2.1).
    pub duration: f64,
    /// EXTINF title (after the comma), often empty.
    pub title: String,
    /// EXT-X-BYTERANGE (§4.3.2.2), an absent offset resolved.
    pub byte_range: Option<ByteRange>,
    /// EXT-X-DISCONTINUITY (§4.3.2.3) precedes this segment.
    pub discontinuity: bool,
    /// EXT-X-PROGRAM-DATE-TIME (§4.3.2.6) of this segment, in milliseconds since the Unix epoch.
    pub program_date_time: Option<i64>,
    /// The EXT-X-KEY in effect (§4.3.2.4), unless none or METHOD=NONE.
    pub key: Option<Key>,
    /// The EXT-X-MAP in effect (§4.3.2.5).
    pub map: Option<Map>,
}

/// A sub-range of a resource: `length` bytes from `offset` (RFC 8216 §4.3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Bytes in the sub-range.
    pub length: u64,
    /// Offset of its first byte in the resource.
    pub offset: u64,
}

/// EXT-X-KEY METHOD (RFC 8216 §4.3.2.4), other than NONE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMethod {
    /// AES-128: whole segments encrypted with AES-128 in CBC mode, PKCS7 padding.
    Aes128,
    /// SAMPLE-AES: media samples encrypted inside the segment.
    SampleAes,
}

/// An encryption key (RFC 8216 §4.3.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// METHOD.
    pub method: KeyMethod,
    /// URI of the key (required unless METHOD is NONE).
    pub uri: String,
    /// The 128-bit IV, if given.
    pub iv: Option<[u8; 16]>,
    /// KEYFORMAT: how the key is represented (absent means "identity").
    pub key_format: Option<String>,
    /// KEYFORMATVERSIONS: the versions of KEYFORMAT it complies with, `/`-separated.
    pub key_format_versions: Option<String>,
}

/// A media initialization section (RFC 8216 §4.3.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Map {
    /// URI of the initialization section.
    pub uri: String,
    /// Its byte range; an absent offset is 0.
    pub byte_range: Option<ByteRange>,
}

/// A segment with its numbers (RFC 8216 §3, §4.3.3.2, §4.3.3.3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numbered<'a> {
    /// Media sequence number.
    pub media_sequence: u64,
    /// Discontinuity sequence number.
    pub discontinuity_sequence: u64,
    /// The segment.
    pub segment: &'a Segment,
}

impl MediaPlaylist {
    /// The segments with their media and discontinuity sequence numbers: a client compares
    /// these across reloads (RFC 8216 §6.2.2), so a server must keep them stable.
    pub fn numbered(&self) -> impl Iterator<Item = Numbered<'_>> {
        let mut discontinuity_sequence = self.discontinuity_sequence;
        self.segments.iter().enumerate().map(move |(i, segment)| {
            if segment.discontinuity {
                discontinuity_sequence = discontinuity_sequence.saturating_add(1);
            }
            Numbered {
                media_sequence: self.media_sequence.saturating_add(i as u64),
                discontinuity_sequence,
                segment,
            }
        })
    }

    /// The sum of the segments' durations, in seconds.
    pub fn duration(&self) -> f64 {
        self.segments.iter().map(|s| s.duration).sum()
    }

    /// The lowest EXT-X-VERSION the playlist's features need (RFC 8216 §7), and the first
    /// feature that needs it.
    pub fn required_version(&self) -> (u64, &'static str) {
        let mut needed = (1, "nothing beyond version 1");
        let mut need = |version: u64, feature: &'static str| {
            if version > needed.0 {
                needed = (version, feature);
            }
        };
        if self.i_frames_only {
            need(4, "EXT-X-I-FRAMES-ONLY");
        }
        for segment in &self.segments {
            if segment.duration.fract() != 0.0 {
                need(3, "a decimal-floating-point EXTINF duration");
            }
            if segment.byte_range.is_some() {
                need(4, "EXT-X-BYTERANGE");
            }
            if let Some(key) = &segment.key {
                if key.iv.is_some() {
                    need(2, "the IV attribute of EXT-X-KEY");
                }
                if key.method == KeyMethod::SampleAes {
                    need(5, "EXT-X-KEY METHOD=SAMPLE-AES");
                }
                if key.key_format.is_some() || key.key_format_versions.is_some() {
                    need(5, "KEYFORMAT or KEYFORMATVERSIONS of EXT-X-KEY");
                }
            }
            if segment.map.is_some() {
                match self.i_frames_only {
                    true => need(5, "EXT-X-MAP"),
                    false => need(6, "EXT-X-MAP without EXT-X-I-FRAMES-ONLY"),
                }
            }
        }
        needed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(duration: f64, discontinuity: bool) -> Segment {
        Segment {
            uri: "s.ts".into(),
            duration,
            discontinuity,
            ..Segment::default()
        }
    }

    #[test]
    fn numbers_follow_the_tags() {
        let playlist = MediaPlaylist {
            media_sequence: 7,
            discontinuity_sequence: 2,
            segments: vec![segment(1.0, true), segment(1.0, false), segment(1.0, true)],
            ..MediaPlaylist::default()
        };
        let numbers: Vec<_> = playlist
            .numbered()
            .map(|n| (n.media_sequence, n.discontinuity_sequence))
            .collect();
        assert_eq!(numbers, [(7, 3), (8, 3), (9, 4)]);
        assert_eq!(playlist.duration(), 3.0);
    }

    #[test]
    fn versions_follow_features() {
        let mut playlist = MediaPlaylist {
            segments: vec![segment(10.0, false)],
            ..MediaPlaylist::default()
        };
        assert_eq!(playlist.required_version().0, 1);
        playlist.segments[0].duration = 9.5;
        assert_eq!(playlist.required_version().0, 3);
        playlist.segments[0].map = Some(Map {
            uri: "init.mp4".into(),
            byte_range: None,
        });
        assert_eq!(playlist.required_version().0, 6);
        playlist.i_frames_only = true;
        assert_eq!(playlist.required_version().0, 5);
    }
}
