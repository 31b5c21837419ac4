//! Payload formats (RFC 8866 §6.6 rtpmap, §6.15 fmtp) and the codec list of a media
//! description, with the static payload types of RFC 3551 §6.

use crate::rules;
use crate::text::{Problem, decimal, is_token, problem};
use std::fmt;

/// `a=rtpmap` (RFC 8866 §6.6): what a dynamic (or static) payload type carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtpmap {
    /// The payload type, 0-127.
    pub payload_type: u8,
    /// Encoding name as written (`H264`, `opus`, `mpeg4-generic`).
    pub encoding: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters (for audio, the channel count).
    pub parameters: Option<String>,
}

impl Rtpmap {
    pub(crate) fn parse(value: &str) -> Result<Rtpmap, Problem> {
        let bad = || problem(&rules::RTPMAP_SYNTAX, format!("rtpmap {value:?}"));
        let (pt, rest) = value.split_once(' ').ok_or_else(bad)?;
        let mut parts = rest.splitn(3, '/');
        let encoding = parts.next().filter(|e| is_token(e)).ok_or_else(bad)?;
        let clock_rate = parts.next().and_then(decimal).ok_or_else(bad)?;
        let parameters = parts.next().map(str::to_string);
        if parameters.as_deref().is_some_and(str::is_empty) {
            return Err(bad());
        }
        let payload_type = decimal::<u8>(pt).filter(|pt| *pt <= 127).ok_or_else(|| {
            problem(
                &rules::RTPMAP_PAYLOAD_TYPE,
                format!("payload type {pt:?} is not 0-127"),
            )
        })?;
        Ok(Rtpmap {
            payload_type,
            encoding: encoding.to_string(),
            clock_rate,
            parameters,
        })
    }
}

impl fmt::Display for Rtpmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(p) = &self.parameters {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

/// `a=fmtp` (RFC 8866 §6.15): format-specific parameters, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The format (payload type for RTP) the parameters apply to.
    pub format: String,
    /// The parameters as written (`packetization-mode=1;profile-level-id=42e01f`).
    pub parameters: String,
}

impl Fmtp {
    pub(crate) fn parse(value: &str) -> Result<Fmtp, Problem> {
        match value.split_once(' ') {
            Some((format, parameters)) if is_token(format) => Ok(Fmtp {
                format: format.to_string(),
                parameters: parameters.to_string(),
            }),
            _ => Err(problem(&rules::FMTP_SYNTAX, format!("fmtp {value:?}"))),
        }
    }

    /// The `;`-separated parameters as (name, value) pairs, trimmed; a parameter without `=`
    /// (telephone-event's `0-15`) has an empty name.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.parameters
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => ("", p),
            })
            .collect()
    }

    /// The value of parameter `name` (case-insensitive), if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs()
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.parameters)
    }
}

/// One codec of a media description: a payload type with its rtpmap (or the static
/// assignment of RFC 3551 §6) and fmtp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name (from rtpmap, or the static table); empty when neither knows it.
    pub name: String,
    /// Clock rate in Hz (0 when unknown).
    pub clock_rate: u32,
    /// Channel count for audio (from the rtpmap encoding parameters), if given.
    pub channels: Option<u16>,
    /// The fmtp parameters, if any.
    pub fmtp: Option<Fmtp>,
}

/// The static payload types of RFC 3551 §6 (Tables 4 and 5): name, clock rate, channels.
pub fn static_payload_type(pt: u8) -> Option<(&'static str, u32, Option<u16>)> {
    Some(match pt {
        0 => ("PCMU", 8000, Some(1)),
        3 => ("GSM", 8000, Some(1)),
        4 => ("G723", 8000, Some(1)),
        5 => ("DVI4", 8000, Some(1)),
        6 => ("DVI4", 16000, Some(1)),
        7 => ("LPC", 8000, Some(1)),
        8 => ("PCMA", 8000, Some(1)),
        9 => ("G722", 8000, Some(1)),
        10 => ("L16", 44100, Some(2)),
        11 => ("L16", 44100, Some(1)),
        12 => ("QCELP", 8000, Some(1)),
        13 => ("CN", 8000, Some(1)),
        14 => ("MPA", 90000, None),
        15 => ("G728", 8000, Some(1)),
        16 => ("DVI4", 11025, Some(1)),
        17 => ("DVI4", 22050, Some(1)),
        18 => ("G729", 8000, Some(1)),
        25 => ("CelB", 90000, None),
        26 => ("JPEG", 90000, None),
        28 => ("nv", 90000, None),
        31 => ("H261", 90000, None),
        32 => ("MPV", 90000, None),
        33 => ("MP2T", 90000, None),
        34 => ("H263", 90000, None),
        _ => return None,
    })
}

/// Parses the value of `a=ptime:` or `a=maxptime:` (RFC 8866 §6.4, §6.5): a positive
/// number of milliseconds, whole or with a fraction (`20`, `22.5`), kept as written.
pub(crate) fn parse_ptime(value: &str) -> Result<String, Problem> {
    let (whole, fraction) = match value.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (value, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let positive = value.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if digits(whole) && fraction.is_none_or(digits) && positive {
        Ok(value.to_string())
    } else {
        Err(problem(
            &rules::PTIME_SYNTAX,
            format!("packet time {value:?}"),
        ))
    }
}
