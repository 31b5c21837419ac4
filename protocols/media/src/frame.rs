//! Frames: one access unit of one track, with its timing.

use bytes::Bytes;
use std::fmt;

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaKind {
    /// Pictures.
    Video,
    /// Sound.
    Audio,
    /// Timed metadata (e.g. AMF0 `onMetaData`, ID3).
    Data,
}

/// A track within one stream: its kind and an index among tracks of that kind.
///
/// Index 0 is the default track; Enhanced RTMP multitrack and MPEG-TS programs with several
/// audio PIDs use the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Track {
    /// Video, audio or data.
    pub kind: MediaKind,
    /// Index among the stream's tracks of this kind; 0 is the default track.
    pub index: u8,
}

impl Track {
    /// The default video track.
    pub const VIDEO: Track = Track {
        kind: MediaKind::Video,
        index: 0,
    };
    /// The default audio track.
    pub const AUDIO: Track = Track {
        kind: MediaKind::Audio,
        index: 0,
    };
    /// The default data track.
    pub const DATA: Track = Track {
        kind: MediaKind::Data,
        index: 0,
    };
}

/// Codec identifiers for every codec a Weir protocol can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// H.264 / AVC (FLV codec id 7, FourCC `avc1`).
    H264,
    /// H.265 / HEVC (FourCC `hvc1`).
    H265,
    /// AV1 (FourCC `av01`).
    Av1,
    /// VP8 (FourCC `vp08`).
    Vp8,
    /// VP9 (FourCC `vp09`).
    Vp9,
    /// Sorenson H.263 (FLV codec id 2).
    H263,
    /// On2 VP6 and VP6 with alpha (FLV codec ids 4, 5).
    Vp6,
    /// Screen video v1/v2 (FLV codec ids 3, 6).
    ScreenVideo,
    /// AAC, any profile (FLV sound format 10, FourCC `mp4a`).
    Aac,
    /// MPEG-1/2 Audio Layer III (FLV sound formats 2 and 14, FourCC `.mp3`).
    Mp3,
    /// Opus (FourCC `Opus`).
    Opus,
    /// FLAC (FourCC `fLaC`).
    Flac,
    /// AC-3 (FourCC `ac-3`).
    Ac3,
    /// E-AC-3 (FourCC `ec-3`).
    Eac3,
    /// G.711 A-law.
    Pcma,
    /// G.711 µ-law.
    Pcmu,
    /// Linear PCM, any endianness (FLV sound formats 0 and 3).
    Pcm,
    /// Adobe's ADPCM of SWF (FLV sound format 1).
    Adpcm,
    /// Nellymoser (FLV sound formats 4, 5 and 6).
    Nellymoser,
    /// Speex (FLV sound format 11).
    Speex,
    /// A codec the protocol named but Weir does not model (FLV/E-RTMP id or FourCC given).
    Unknown(u32),
}

impl Codec {
    /// The kind of track this codec belongs on (`None` for [`Codec::Unknown`]).
    pub fn kind(self) -> Option<MediaKind> {
        use Codec::*;
        match self {
            H264 | H265 | Av1 | Vp8 | Vp9 | H263 | Vp6 | ScreenVideo => Some(MediaKind::Video),
            Aac | Mp3 | Opus | Flac | Ac3 | Eac3 | Pcma | Pcmu | Pcm | Adpcm | Nellymoser
            | Speex => Some(MediaKind::Audio),
            Unknown(_) => None,
        }
    }

    /// The short lower-case name used in reports and the HTTP API (`h264`, `aac`, ...),
    /// following FFmpeg's codec names so that output compares directly with `ffprobe`.
    pub fn name(self) -> &'static str {
        use Codec::*;
        match self {
            H264 => "h264",
            H265 => "hevc",
            Av1 => "av1",
            Vp8 => "vp8",
            Vp9 => "vp9",
            H263 => "flv1",
            Vp6 => "vp6",
            ScreenVideo => "flashsv",
            Aac => "aac",
            Mp3 => "mp3",
            Opus => "opus",
            Flac => "flac",
            Ac3 => "ac3",
            Eac3 => "eac3",
            Pcma => "pcm_alaw",
            Pcmu => "pcm_mulaw",
            Pcm => "pcm",
            Adpcm => "adpcm_swf",
            Nellymoser => "nellymoser",
            Speex => "speex",
            Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Codec::Unknown(id) => write!(f, "unknown({id:#x})"),
            c => f.write_str(c.name()),
        }
    }
}

/// A media timestamp on the 90 kHz clock of MPEG systems and RTP video.
///
/// 90 kHz represents RTMP/FLV milliseconds, MPEG-TS PTS/DTS and RTP video timestamps exactly,
/// so that no ingest or delivery path loses precision on its own clock. Signed, so that a
/// composition offset may put a PTS before its DTS during conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Ticks per second.
    pub const HZ: i64 = 90_000;

    /// `ms` milliseconds (90 ticks each).
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms * 90)
    }

    /// A duration on this clock, rounded down to a tick (saturating past 3 million years).
    pub fn from_duration(duration: std::time::Duration) -> Self {
        let ticks = duration.as_nanos() * Self::HZ as u128 / 1_000_000_000;
        Timestamp(i64::try_from(ticks).unwrap_or(i64::MAX))
    }

    /// Seconds, as a float (for reports and rates).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::HZ as f64
    }

    /// Milliseconds, rounded towards negative infinity.
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(90)
    }

    /// The raw count of 90 kHz ticks.
    pub const fn ticks(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.as_millis())
    }
}

/// One access unit of one track.
///
/// Payload formats are those of FLV and MP4, so that the common RTMP/HTTP-FLV path never
/// rewrites a payload: H.264 and H.265 as NAL units with 4-byte big-endian length prefixes,
/// AAC as raw access units (no ADTS header), others as their codec's bitstream. Codec
/// configurations (decoder records, AudioSpecificConfig) travel separately, not in frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The track this frame belongs to.
    pub track: Track,
    /// The codec of `data`.
    pub codec: Codec,
    /// Presentation time.
    pub pts: Timestamp,
    /// Decoding time; `pts - dts` is the composition offset (B-frames make it non-zero).
    pub dts: Timestamp,
    /// A random access point: decoding can start here.
    pub keyframe: bool,
    /// The access unit, in the payload format above.
    pub data: Bytes,
}

/// A track's decoder configuration, as FLV and MP4 carry it: the AVC or HEVC decoder
/// configuration record, the AV1 codec configuration record, the VP9 codec configuration
/// record, the AAC AudioSpecificConfig or the Opus identification header (`OpusHead`).
///
/// It precedes the frames it configures and replaces any earlier configuration of its track.
/// Parse `data` with the codec's module when its fields are needed; forward it as is otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackConfig {
    /// The track it configures.
    pub track: Track,
    /// The codec whose record `data` is.
    pub codec: Codec,
    /// The configuration record, as FLV and MP4 carry it.
    pub data: Bytes,
}

impl TrackConfig {
    /// The configuration of a codec that has no record (G.711: its rate and channels are
    /// fixed): empty, so that a track of it is announced before its first frame as every
    /// other is, to muxers and the hub. `None` for codecs whose configuration is a record.
    pub fn without_record(track: Track, codec: Codec) -> Option<TrackConfig> {
        matches!(codec, Codec::Pcma | Codec::Pcmu).then(|| TrackConfig {
            track,
            codec,
            data: Bytes::new(),
        })
    }

    /// The configuration a frame of a codec without a sequence header implies, for ingests to
    /// announce before the first frame and again when it changes: MP3's is the frame
    /// header's fixed fields ([`crate::MpaHeader::record`]: rate, channels, version), G.711's
    /// is empty ([`TrackConfig::without_record`]). `None` for codecs whose configuration is a
    /// record the publisher sends, and for an MP3 frame without a valid header.
    pub fn of_frame(frame: &Frame) -> Option<TrackConfig> {
        match frame.codec {
            Codec::Mp3 => Some(TrackConfig {
                track: frame.track,
                codec: Codec::Mp3,
                data: crate::MpaHeader::record(&frame.data).ok()?,
            }),
            codec => TrackConfig::without_record(frame.track, codec),
        }
    }
}
