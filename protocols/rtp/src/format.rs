//! Payload formats as a session names them: the encoding name, clock rate and channels of SDP's
//! `rtpmap` and the parameters of its `fmtp` (RFC 8866 §6.6, §6.15), or a static payload type of
//! the audio/video profile (RFC 3551 §6, Tables 4 and 5).

use weir_media::Codec;

/// One payload type's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// The encoding name as the session gave it (`H264`, `opus`, `MPEG4-GENERIC`, `PS`, ...).
    pub name: String,
    /// The RTP timestamp clock, in Hz.
    pub clock_rate: u32,
    /// Audio channels, when the `rtpmap` gives them.
    pub channels: Option<u8>,
    /// The `fmtp` parameters, in order, keys as given.
    pub params: Vec<(String, String)>,
}

/// The payload formats Weir depacketizes and packetizes, by encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// H.264 (RFC 6184).
    H264,
    /// H.265 (RFC 7798).
    H265,
    /// VP8 (RFC 7741).
    Vp8,
    /// VP9 (RFC 9628).
    Vp9,
    /// AV1 (AOM's "RTP Payload Format For AV1", v1.0.0).
    Av1,
    /// Opus (RFC 7587).
    Opus,
    /// AAC in MPEG-4 elementary streams, mode AAC-hbr (RFC 3640 §3.3.6).
    Aac,
    /// G.711 µ-law (RFC 3551 §4.5.14).
    Pcmu,
    /// G.711 A-law (RFC 3551 §4.5.14).
    Pcma,
    /// MPEG-2 transport stream packets (RFC 2250 §2).
    MpegTs,
    /// MPEG-2 program stream, as GB/T 28181 carries it (PT 96, `PS/90000`).
    MpegPs,
}

impl Encoding {
    /// The clock rate (and channels) the encoding always has on RTP, when it has one: 90 kHz
    /// for video and the multiplexes (RFC 6184 §8.1, RFC 7798 §7.1, RFC 7741 §6.1, RFC 9628
    /// §6, RFC 2250 §2), `opus/48000/2` (RFC 7587 §7), G.711 at 8 kHz mono (RFC 3551 §4.5.14).
    /// AAC's follows its sample rate: none.
    pub fn usual_clock(self) -> Option<(u32, Option<u8>)> {
        match self {
            Encoding::H264
            | Encoding::H265
            | Encoding::Vp8
            | Encoding::Vp9
            | Encoding::Av1
            | Encoding::MpegTs
            | Encoding::MpegPs => Some((90_000, None)),
            Encoding::Opus => Some((48_000, Some(2))),
            Encoding::Pcmu | Encoding::Pcma => Some((8000, Some(1))),
            Encoding::Aac => None,
        }
    }

    /// The codec of the frames it carries (`None` for the two multiplexes, whose demuxer tells).
    pub fn codec(self) -> Option<Codec> {
        Some(match self {
            Encoding::H264 => Codec::H264,
            Encoding::H265 => Codec::H265,
            Encoding::Vp8 => Codec::Vp8,
            Encoding::Vp9 => Codec::Vp9,
            Encoding::Av1 => Codec::Av1,
            Encoding::Opus => Codec::Opus,
            Encoding::Aac => Codec::Aac,
            Encoding::Pcmu => Codec::Pcmu,
            Encoding::Pcma => Codec::Pcma,
            Encoding::MpegTs | Encoding::MpegPs => return None,
        })
    }
}

/// `NAME/RATE[/CHANNELS]`, as an rtpmap writes it.
impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.name, self.clock_rate)?;
        match self.channels {
            Some(ch) => write!(f, "/{ch}"),
            None => Ok(()),
        }
    }
}

impl Format {
    /// A format with no channels and no parameters.
    pub fn new(name: impl Into<String>, clock_rate: u32) -> Self {
        Format {
            name: name.into(),
            clock_rate,
            channels: None,
            params: Vec::new(),
        }
    }

    /// With the parameters of an `fmtp` value (`key=value;key=value`, RFC 8866 §6.15 leaves the
    /// syntax to each format; every format Weir carries uses this one). A part without `=` is
    /// kept with an empty value.
    pub fn with_fmtp(mut self, fmtp: &str) -> Self {
        self.params = fmtp
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                None => (p.to_string(), String::new()),
            })
            .collect();
        self
    }

    /// With `channels` audio channels.
    pub fn with_channels(mut self, channels: u8) -> Self {
        self.channels = Some(channels);
        self
    }

    /// A parameter's value; keys compare without case, as media type parameters do (RFC 6838
    /// §4.3).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The format of a static payload type (RFC 3551 Tables 4 and 5), for the ones Weir carries.
    pub fn of_static(payload_type: u8) -> Option<Format> {
        Some(match payload_type {
            0 => Format::new("PCMU", 8000).with_channels(1),
            8 => Format::new("PCMA", 8000).with_channels(1),
            33 => Format::new("MP2T", 90_000),
            _ => return None,
        })
    }

    /// Which payload format this is, from its encoding name (compared without case, RFC 8866
    /// §6.6) and, for MPEG-4 generic streams, its mode.
    pub fn encoding(&self) -> Option<Encoding> {
        let name = self.name.to_ascii_uppercase();
        Some(match name.as_str() {
            "H264" => Encoding::H264,
            "H265" => Encoding::H265,
            "VP8" => Encoding::Vp8,
            "VP9" => Encoding::Vp9,
            "AV1" => Encoding::Av1,
            "OPUS" => Encoding::Opus,
            "MPEG4-GENERIC"
                if self
                    .param("mode")
                    .is_some_and(|m| m.eq_ignore_ascii_case("AAC-hbr")) =>
            {
                Encoding::Aac
            }
            "PCMU" => Encoding::Pcmu,
            "PCMA" => Encoding::Pcma,
            "MP2T" => Encoding::MpegTs,
            "PS" | "MP2P" => Encoding::MpegPs,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmtp_parameters_are_found_without_case() {
        let f = Format::new("mpeg4-generic", 48_000)
            .with_channels(2)
            .with_fmtp("profile-level-id=1;mode=AAC-hbr; sizelength=13;indexlength=3;indexdeltalength=3; config=1190");
        assert_eq!(f.param("SizeLength"), Some("13"));
        assert_eq!(f.param("config"), Some("1190"));
        assert_eq!(f.encoding(), Some(Encoding::Aac));
        assert_eq!(Format::new("mpeg4-generic", 48_000).encoding(), None);
    }

    #[test]
    fn static_types_and_names() {
        assert_eq!(
            Format::of_static(33).unwrap().encoding(),
            Some(Encoding::MpegTs)
        );
        assert_eq!(
            Format::of_static(8).unwrap().encoding(),
            Some(Encoding::Pcma)
        );
        assert_eq!(Format::of_static(96), None);
        assert_eq!(Format::new("h264", 90_000).encoding(), Some(Encoding::H264));
        assert_eq!(Format::new("PS", 90_000).encoding(), Some(Encoding::MpegPs));
    }
}
