//! Playlist text from the model (RFC 8216 §4): what [`super::parse`] reads back unchanged.
//!
//! The writer trusts its input: URIs, titles and quoted strings must hold no line breaks
//! (and URIs no leading `#` or whitespace), as RFC 8216 §4.1 and §4.2 require, and dates lie
//! in the years 0000 to 9999; the live playlist checks what it accepts. EXT-X-VERSION is the
//! declared version, raised to what the features need (§7). Byte ranges are written with
//! their offsets, keys and maps when they change (an EXT-X-MAP cannot be cancelled: a segment
//! without a map after one with a map is written under the earlier map). What reads back is
//! [`Playlist::normalized`].

use super::{
    ByteRange, Key, KeyMethod, Map, MasterPlaylist, MediaPlaylist, Playlist, PlaylistType, Start,
    date_time,
};
use std::fmt::{self, Display, Formatter, Write};

impl Playlist {
    /// The playlist as its text reads back: EXT-X-VERSION as written, and every segment after
    /// one with an EXT-X-MAP under a map. `parse(p.to_string()) == p.normalized()` (a master
    /// playlist that [is empty](MasterPlaylist::is_empty) aside: it reads back as media).
    pub fn normalized(&self) -> Playlist {
        match self {
            Playlist::Media(p) => Playlist::Media(p.normalized()),
            Playlist::Master(p) => Playlist::Master(p.normalized()),
        }
    }
}

impl MediaPlaylist {
    /// See [`Playlist::normalized`].
    pub fn normalized(&self) -> MediaPlaylist {
        let mut p = self.clone();
        p.version = written_version(p.version, p.required_version().0);
        for i in 1..p.segments.len() {
            if p.segments[i].map.is_none() {
                p.segments[i].map = p.segments[i - 1].map.clone();
            }
        }
        p
    }
}

impl MasterPlaylist {
    /// See [`Playlist::normalized`].
    pub fn normalized(&self) -> MasterPlaylist {
        MasterPlaylist {
            version: written_version(self.version, self.required_version().0),
            ..self.clone()
        }
    }
}

/// The EXT-X-VERSION written: the declared one raised to the required one; none for an
/// undeclared version 1.
fn written_version(declared: Option<u64>, required: u64) -> Option<u64> {
    match declared {
        Some(v) => Some(v.max(required)),
        None => (required > 1).then_some(required),
    }
}

impl Display for Playlist {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Playlist::Media(p) => p.fmt(f),
            Playlist::Master(p) => p.fmt(f),
        }
    }
}

impl Display for MediaPlaylist {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("#EXTM3U\n")?;
        version(f, self.version, self.required_version().0)?;
        if let Some(target) = self.target_duration {
            writeln!(f, "#EXT-X-TARGETDURATION:{target}")?;
        }
        writeln!(f, "#EXT-X-MEDIA-SEQUENCE:{}", self.media_sequence)?;
        if self.discontinuity_sequence != 0 {
            writeln!(
                f,
                "#EXT-X-DISCONTINUITY-SEQUENCE:{}",
                self.discontinuity_sequence
            )?;
        }
        match self.playlist_type {
            Some(PlaylistType::Event) => f.write_str("#EXT-X-PLAYLIST-TYPE:EVENT\n")?,
            Some(PlaylistType::Vod) => f.write_str("#EXT-X-PLAYLIST-TYPE:VOD\n")?,
            None => {}
        }
        if self.i_frames_only {
            f.write_str("#EXT-X-I-FRAMES-ONLY\n")?;
        }
        if self.independent_segments {
            f.write_str("#EXT-X-INDEPENDENT-SEGMENTS\n")?;
        }
        start(f, self.start)?;
        let mut key: Option<&Key> = None;
        let mut map: Option<&Map> = None;
        for segment in &self.segments {
            if segment.key.as_ref() != key {
                key = segment.key.as_ref();
                write_key(f, key)?;
            }
            if segment.map.is_some() && segment.map.as_ref() != map {
                map = segment.map.as_ref();
                if let Some(m) = map {
                    write!(f, "#EXT-X-MAP:URI=\"{}\"", m.uri)?;
                    if let Some(ByteRange { length, offset }) = m.byte_range {
                        write!(f, ",BYTERANGE=\"{length}@{offset}\"")?;
                    }
                    f.write_char('\n')?;
                }
            }
            if segment.discontinuity {
                f.write_str("#EXT-X-DISCONTINUITY\n")?;
            }
            if let Some(ms) = segment.program_date_time {
                writeln!(f, "#EXT-X-PROGRAM-DATE-TIME:{}", date_time::format(ms))?;
            }
            writeln!(f, "#EXTINF:{},{}", segment.duration, segment.title)?;
            if let Some(ByteRange { length, offset }) = segment.byte_range {
                writeln!(f, "#EXT-X-BYTERANGE:{length}@{offset}")?;
            }
            writeln!(f, "{}", segment.uri)?;
        }
        if self.end_list {
            f.write_str("#EXT-X-ENDLIST\n")?;
        }
        Ok(())
    }
}

impl Display for MasterPlaylist {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("#EXTM3U\n")?;
        version(f, self.version, self.required_version().0)?;
        if self.independent_segments {
            f.write_str("#EXT-X-INDEPENDENT-SEGMENTS\n")?;
        }
        start(f, self.start)?;
        for rendition in &self.renditions {
            writeln!(f, "#EXT-X-MEDIA:{}", rendition.attributes)?;
        }
        for variant in &self.variants {
            writeln!(
                f,
                "#EXT-X-STREAM-INF:{}\n{}",
                variant.attributes, variant.uri
            )?;
        }
        for variant in &self.i_frame_variants {
            writeln!(f, "#EXT-X-I-FRAME-STREAM-INF:{}", variant.attributes)?;
        }
        Ok(())
    }
}

fn version(f: &mut Formatter<'_>, declared: Option<u64>, required: u64) -> fmt::Result {
    match written_version(declared, required) {
        Some(v) => writeln!(f, "#EXT-X-VERSION:{v}"),
        None => Ok(()),
    }
}

fn start(f: &mut Formatter<'_>, start: Option<Start>) -> fmt::Result {
    let Some(Start {
        time_offset,
        precise,
    }) = start
    else {
        return Ok(());
    };
    write!(f, "#EXT-X-START:TIME-OFFSET=")?;
    float(f, time_offset)?;
    match precise {
        true => f.write_str(",PRECISE=YES\n"),
        false => f.write_str("\n"),
    }
}

/// A decimal-floating-point that reads back as one (`1` is written `1.0`).
fn float(f: &mut Formatter<'_>, value: f64) -> fmt::Result {
    let text = value.to_string();
    f.write_str(&text)?;
    match text.contains('.') {
        true => Ok(()),
        false => f.write_str(".0"),
    }
}

fn write_key(f: &mut Formatter<'_>, key: Option<&Key>) -> fmt::Result {
    let Some(key) = key else {
        return f.write_str("#EXT-X-KEY:METHOD=NONE\n");
    };
    let method = match key.method {
        KeyMethod::Aes128 => "AES-128",
        KeyMethod::SampleAes => "SAMPLE-AES",
    };
    write!(f, "#EXT-X-KEY:METHOD={method},URI=\"{}\"", key.uri)?;
    if let Some(iv) = key.iv {
        f.write_str(",IV=0x")?;
        for byte in iv {
            write!(f, "{byte:02x}")?;
        }
    }
    if let Some(format) = &key.key_format {
        write!(f, ",KEYFORMAT=\"{format}\"")?;
    }
    if let Some(versions) = &key.key_format_versions {
        write!(f, ",KEYFORMATVERSIONS=\"{versions}\"")?;
    }
    f.write_char('\n')
}

#[cfg(test)]
mod tests {
    use super::super::Segment;
    use super::*;

    #[test]
    fn a_small_live_playlist() {
        let playlist = MediaPlaylist {
            version: Some(3),
            target_duration: Some(10),
            media_sequence: 4,
            discontinuity_sequence: 1,
            segments: vec![
                Segment {
                    uri: "4.ts".into(),
                    duration: 9.96,
                    program_date_time: Some(1_550_110_416_106),
                    ..Segment::default()
                },
                Segment {
                    uri: "5.ts".into(),
                    duration: 10.0,
                    discontinuity: true,
                    ..Segment::default()
                },
            ],
            end_list: true,
            ..MediaPlaylist::default()
        };
        assert_eq!(
            playlist.to_string(),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:4\n\
             #EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-PROGRAM-DATE-TIME:2019-02-14T02:13:36.106Z\n\
             #EXTINF:9.96,\n4.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:10,\n5.ts\n#EXT-X-ENDLIST\n"
        );
    }

    #[test]
    fn keys_are_written_when_they_change() {
        let key = Key {
            method: KeyMethod::Aes128,
            uri: "k".into(),
            iv: Some([1; 16]),
            key_format: None,
            key_format_versions: None,
        };
        let segment = |key: Option<Key>| Segment {
            uri: "s.ts".into(),
            duration: 1.0,
            key,
            ..Segment::default()
        };
        let playlist = MediaPlaylist {
            segments: vec![
                segment(Some(key.clone())),
                segment(Some(key)),
                segment(None),
            ],
            ..MediaPlaylist::default()
        };
        let text = playlist.to_string();
        assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:2\n"));
        assert_eq!(text.matches("METHOD=AES-128").count(), 1);
        assert!(text.contains(",IV=0x01010101010101010101010101010101\n"));
        assert!(text.contains("#EXT-X-KEY:METHOD=NONE\n#EXTINF:1,\ns.ts\n"));
    }
}
