//! The master playlist model (RFC 8216 §4.3.4): variant streams and renditions.
//!
//! Variants and renditions keep their attribute lists as written (unknown attributes
//! included, RFC 8216 §6.3.1); the accessors read the attributes this crate knows.

use super::attributes::{AttributeList, Resolution};
use super::media::Start;

/// A master playlist (RFC 8216 §4.3.4).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MasterPlaylist {
    /// EXT-X-VERSION (§4.3.1.2); `None` means version 1.
    pub version: Option<u64>,
    /// EXT-X-INDEPENDENT-SEGMENTS (§4.3.5.1).
    pub independent_segments: bool,
    /// EXT-X-START (§4.3.5.2).
    pub start: Option<Start>,
    /// EXT-X-MEDIA (§4.3.4.1), in playlist order.
    pub renditions: Vec<Rendition>,
    /// EXT-X-STREAM-INF (§4.3.4.2), in playlist order.
    pub variants: Vec<Variant>,
    /// EXT-X-I-FRAME-STREAM-INF (§4.3.4.3), in playlist order.
    pub i_frame_variants: Vec<IFrameVariant>,
}

/// An EXT-X-STREAM-INF and the URI line after it (RFC 8216 §4.3.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The URI line after the tag: the variant's media playlist.
    pub uri: String,
    /// The tag's attributes as written (BANDWIDTH, CODECS, RESOLUTION, ...).
    pub attributes: AttributeList,
}

/// An EXT-X-I-FRAME-STREAM-INF (RFC 8216 §4.3.4.3); its URI is an attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IFrameVariant {
    /// The tag's attributes as written (BANDWIDTH, CODECS, URI, ...).
    pub attributes: AttributeList,
}

/// An EXT-X-MEDIA (RFC 8216 §4.3.4.1): one rendition in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    /// The tag's attributes as written (TYPE, GROUP-ID, NAME, URI, ...).
    pub attributes: AttributeList,
}

/// EXT-X-MEDIA TYPE (RFC 8216 §4.3.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `AUDIO`.
    Audio,
    /// `VIDEO`.
    Video,
    /// `SUBTITLES`.
    Subtitles,
    /// `CLOSED-CAPTIONS`.
    ClosedCaptions,
}

impl MediaType {
    /// The type a TYPE value names; `None` for any other value.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "AUDIO" => MediaType::Audio,
            "VIDEO" => MediaType::Video,
            "SUBTITLES" => MediaType::Subtitles,
            "CLOSED-CAPTIONS" => MediaType::ClosedCaptions,
            _ => return None,
        })
    }

    /// The TYPE value, which is also the EXT-X-STREAM-INF attribute naming the group.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Audio => "AUDIO",
            MediaType::Video => "VIDEO",
            MediaType::Subtitles => "SUBTITLES",
            MediaType::ClosedCaptions => "CLOSED-CAPTIONS",
        }
    }
}

/// The attributes EXT-X-STREAM-INF and EXT-X-I-FRAME-STREAM-INF share (RFC 8216 §4.3.4.2).
macro_rules! stream_accessors {
    () => {
        /// BANDWIDTH: peak bits per second (required).
        pub fn bandwidth(&self) -> Option<u64> {
            self.attributes.integer("BANDWIDTH")
        }

        /// AVERAGE-BANDWIDTH: average bits per second.
        pub fn average_bandwidth(&self) -> Option<u64> {
            self.attributes.integer("AVERAGE-BANDWIDTH")
        }

        /// CODECS: the RFC 6381 codec list, comma-separated.
        pub fn codecs(&self) -> Option<&str> {
            self.attributes.quoted("CODECS")
        }

        /// RESOLUTION: the optimal pixel resolution to display the video at.
        pub fn resolution(&self) -> Option<Resolution> {
            self.attributes.resolution("RESOLUTION")
        }

        /// HDCP-LEVEL: TYPE-0 or NONE.
        pub fn hdcp_level(&self) -> Option<&str> {
            self.attributes.enumerated("HDCP-LEVEL")
        }

        /// VIDEO: the GROUP-ID of its video renditions.
        pub fn video(&self) -> Option<&str> {
            self.attributes.quoted("VIDEO")
        }
    };
}

impl Variant {
    stream_accessors!();

    /// FRAME-RATE: the maximum frame rate.
    pub fn frame_rate(&self) -> Option<f64> {
        self.attributes.float("FRAME-RATE")
    }

    /// AUDIO: the GROUP-ID of its audio renditions.
    pub fn audio(&self) -> Option<&str> {
        self.attributes.quoted("AUDIO")
    }

    /// SUBTITLES: the GROUP-ID of its subtitle renditions.
    pub fn subtitles(&self) -> Option<&str> {
        self.attributes.quoted("SUBTITLES")
    }

    /// CLOSED-CAPTIONS: the GROUP-ID of its closed-caption renditions (`None` for the
    /// enumerated value NONE as for an absent attribute).
    pub fn closed_captions(&self) -> Option<&str> {
        self.attributes.quoted("CLOSED-CAPTIONS")
    }

    /// The group this variant names for renditions of `kind`.
    pub fn group(&self, kind: MediaType) -> Option<&str> {
        self.attributes.quoted(kind.as_str())
    }
}

impl IFrameVariant {
    stream_accessors!();

    /// URI: the I-frame media playlist (required).
    pub fn uri(&self) -> Option<&str> {
        self.attributes.quoted("URI")
    }
}

impl Rendition {
    /// TYPE (required); `None` when absent or not one of the four values.
    pub fn media_type(&self) -> Option<MediaType> {
        MediaType::parse(self.attributes.enumerated("TYPE")?)
    }

    /// GROUP-ID: the group the rendition belongs to (required).
    pub fn group_id(&self) -> Option<&str> {
        self.attributes.quoted("GROUP-ID")
    }

    /// NAME: a human-readable description (required).
    pub fn name(&self) -> Option<&str> {
        self.attributes.quoted("NAME")
    }

    /// URI of its media playlist; absent when the rendition is in the variant's own stream.
    pub fn uri(&self) -> Option<&str> {
        self.attributes.quoted("URI")
    }

    /// LANGUAGE: an RFC 5646 language tag.
    pub fn language(&self) -> Option<&str> {
        self.attributes.quoted("LANGUAGE")
    }

    /// ASSOC-LANGUAGE: an RFC 5646 tag for a language associated with the rendition.
    pub fn assoc_language(&self) -> Option<&str> {
        self.attributes.quoted("ASSOC-LANGUAGE")
    }

    /// DEFAULT=YES (NO when absent).
    pub fn is_default(&self) -> bool {
        self.attributes.yes_no("DEFAULT") == Some(true)
    }

    /// AUTOSELECT=YES (NO when absent).
    pub fn autoselect(&self) -> bool {
        self.attributes.yes_no("AUTOSELECT") == Some(true)
    }

    /// FORCED=YES (subtitles only; NO when absent).
    pub fn forced(&self) -> bool {
        self.attributes.yes_no("FORCED") == Some(true)
    }

    /// INSTREAM-ID: CC1..CC4 or SERVICE1..SERVICE63 (closed captions only).
    pub fn instream_id(&self) -> Option<&str> {
        self.attributes.quoted("INSTREAM-ID")
    }

    /// CHARACTERISTICS: Uniform Type Identifiers, comma-separated.
    pub fn characteristics(&self) -> Option<&str> {
        self.attributes.quoted("CHARACTERISTICS")
    }

    /// CHANNELS: the channel count first, then parameters, separated by '/'.
    pub fn channels(&self) -> Option<&str> {
        self.attributes.quoted("CHANNELS")
    }
}

impl MasterPlaylist {
    /// No variant, I-frame variant or rendition: written, nothing would say "master playlist"
    /// (RFC 8216 §4.1), so it would read back as an empty media playlist.
    pub fn is_empty(&self) -> bool {
        self.variants.is_empty() && self.i_frame_variants.is_empty() && self.renditions.is_empty()
    }

    /// The renditions of one group, in playlist order.
    pub fn group<'a>(
        &'a self,
        kind: MediaType,
        group_id: &'a str,
    ) -> impl Iterator<Item = &'a Rendition> {
        self.renditions
            .iter()
            .filter(move |r| r.media_type() == Some(kind) && r.group_id() == Some(group_id))
    }

    /// The lowest EXT-X-VERSION the playlist's features need (RFC 8216 §7), and the first
    /// feature that needs it.
    pub fn required_version(&self) -> (u64, &'static str) {
        let service = self
            .renditions
            .iter()
            .any(|r| r.instream_id().is_some_and(|id| id.starts_with("SERVICE")));
        match service {
            true => (7, "a SERVICE value of INSTREAM-ID"),
            false => (1, "nothing beyond version 1"),
        }
    }
}
