//! GB28181 lines (GB/T 28181-2016 Annex F, kept in -2022): `y=` (the SSRC a device must
//! put in its RTP) and `f=` (the media format the request asks for).

use crate::rules;
use crate::text::{Problem, decimal, problem};
use std::fmt;

/// `y=dddddddddd` (GB/T 28181-2016 Annex F): ten decimal digits; the first is 0 for
/// realtime and 1 for history (playback, download), the rest identify the stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamSsrc(String);

impl StreamSsrc {
    pub(crate) fn parse(value: &str) -> Result<StreamSsrc, Problem> {
        if value.len() == 10 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(StreamSsrc(value.to_string()))
        } else {
            Err(problem(
                &rules::GB_SSRC,
                format!("y={value:?} is not 10 decimal digits"),
            ))
        }
    }

    /// The ten digits.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// Whether the first digit marks a history (playback/download) stream.
    pub fn is_history(&self) -> bool {
        self.0.starts_with('1')
    }

    /// The RTP SSRC the digits stand for (their decimal value), if it fits 32 bits.
    pub fn ssrc(&self) -> Option<u32> {
        self.0.parse().ok()
    }
}

impl fmt::Display for StreamSsrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `f=v/<codec>/<resolution>/<frame rate>/<rate type>/<bit rate>a/<codec>/<bit rate>/<sample rate>`
/// (GB/T 28181-2016 Annex F): what a request asks the device to encode. Every field may be
/// empty (`None`). Video codec: 1 MPEG-4, 2 H.264, 3 SVAC, 4 3GP; resolution: 1 QCIF, 2 CIF,
/// 3 4CIF, 4 D1, 5 720P, 6 1080P/I; rate type: 1 constant, 2 variable; bit rate in kbit/s.
/// Audio codec: 1 G.711, 2 G.723.1, 3 G.729, 4 G.722.1; sample rate: 1 8 kHz, 2 14 kHz,
/// 3 16 kHz, 4 32 kHz.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MediaFormat {
    /// Video: codec, resolution, frame rate, rate type, bit rate.
    pub video: [Option<u32>; 5],
    /// Audio: codec, bit rate, sample rate.
    pub audio: [Option<u32>; 3],
}

impl MediaFormat {
    pub(crate) fn parse(value: &str) -> Result<MediaFormat, Problem> {
        let bad = || problem(&rules::GB_FORMAT, format!("f={value:?}"));
        if value.is_empty() {
            return Ok(MediaFormat::default());
        }
        let rest = value.strip_prefix("v/").ok_or_else(bad)?;
        let (video, audio) = rest.split_once("a/").ok_or_else(bad)?;
        let number = |s: &str| -> Result<Option<u32>, Problem> {
            if s.is_empty() {
                Ok(None)
            } else {
                decimal(s).map(Some).ok_or_else(bad)
            }
        };
        let mut format = MediaFormat::default();
        let video: Vec<&str> = video.split('/').collect();
        let audio: Vec<&str> = audio.split('/').collect();
        if video.len() != 5 || audio.len() != 3 {
            return Err(bad());
        }
        for (slot, field) in format.video.iter_mut().zip(&video) {
            *slot = number(field)?;
        }
        for (slot, field) in format.audio.iter_mut().zip(&audio) {
            *slot = number(field)?;
        }
        Ok(format)
    }
}

impl fmt::Display for MediaFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        f.write_str("v")?;
        for v in &self.video {
            write!(f, "/{}", show(v))?;
        }
        f.write_str("a")?;
        for a in &self.audio {
            write!(f, "/{}", show(a))?;
        }
        Ok(())
    }
}
