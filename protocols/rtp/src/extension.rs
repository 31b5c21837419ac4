//! RFC 8285 header extension elements: the one-byte (profile 0xBEDE) and two-byte (profile
//! 0x100x) forms that carry several small, SDP-negotiated values in one RFC 3550 §5.3.1
//! header extension, and typed readers for the kinds WebRTC sends most.
//!
//! ```text
//! let elements = Elements::parse(packet.extension.as_ref()?, &mut violations)?; // None: not RFC 8285
//! let kind = Kind::from_uri(uri_of_id_from_extmap)?;  // the SDP's a=extmap maps id -> URI
//! let value = kind.read(elements.get(id)?)?;          // Value::AbsSendTime(..), ...
//! let extension = write(&[Element { id, data }])?;    // one-byte form when it fits
//! ```
//!
//! The caller maps ids to URIs: the ids mean nothing without the session's `a=extmap` lines.
//! Violation and error offsets count from the first byte of the extension's data (after its
//! 4-byte profile and length header), or of an element's data for the typed readers.

use crate::packet::HeaderExtension;
use crate::rules::{
    EXTENSION_ELEMENT_LENGTH, EXTENSION_PADDING, EXTENSION_RESERVED_ID, EXTENSION_SDES_VALUE,
    EXTENSION_VALUE_SIZE,
};
use bytes::{BufMut, Bytes};
use std::time::Duration;
use weir_media::{Error, Reader, Violation};

/// The profile value of the one-byte form (RFC 8285 §4.2).
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// The profile value of the two-byte form, its low 4 bits the "appbits" (RFC 8285 §4.3).
pub const TWO_BYTE_PROFILE: u16 = 0x1000;
/// The reserved one-byte ID that ends the parse (RFC 8285 §4.2).
const RESERVED_ID: u8 = 15;

/// Which of the two element layouts an extension uses (RFC 8285 §4.2, §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A 4-bit ID (1-14) and a 4-bit length (1-16 data bytes) in one byte.
    OneByte,
    /// An 8-bit ID (1-255) and an 8-bit length (0-255 data bytes); the 4 application bits of
    /// the profile value are kept.
    TwoByte {
        /// The low 4 bits of the profile value, for the application's use.
        appbits: u8,
    },
}

impl Form {
    /// The form a header extension's profile value announces; `None` for a profile that is
    /// not RFC 8285's (another profile's extension, which RFC 3550 allows).
    pub fn of(profile: u16) -> Option<Form> {
        match profile {
            ONE_BYTE_PROFILE => Some(Form::OneByte),
            p if p & 0xfff0 == TWO_BYTE_PROFILE => Some(Form::TwoByte {
                appbits: (p & 0xf) as u8,
            }),
            _ => None,
        }
    }

    /// The profile value that announces this form.
    pub fn profile(self) -> u16 {
        match self {
            Form::OneByte => ONE_BYTE_PROFILE,
            Form::TwoByte { appbits } => TWO_BYTE_PROFILE | u16::from(appbits & 0xf),
        }
    }
}

/// One element: its local ID and its data, a view of the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The local identifier the SDP's `a=extmap` maps to a URI.
    pub id: u8,
    /// The element's data bytes.
    pub data: Bytes,
}

/// The elements of one header extension, in order (RFC 8285 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elements {
    /// The layout they were read in.
    pub form: Form,
    /// The elements, padding left out.
    pub elements: Vec<Element>,
}

impl Elements {
    /// Reads the elements of an RFC 8285 extension; `None` for another profile's extension.
    /// Padding bytes are skipped wherever they are; a one-byte-form byte with ID 0 and length
    /// bits set is reported (`rtp.extension.padding`) and skipped as padding, as RFC 8285 §4.1
    /// says a receiver treats a padding byte. Any other broken rule goes to `violations` and
    /// ends the parse, keeping the elements before it (RFC 8285 §4.2 says so for ID 15; past
    /// an element that runs out nothing can be trusted).
    pub fn parse(ext: &HeaderExtension, violations: &mut Vec<Violation>) -> Option<Elements> {
        let form = Form::of(ext.profile)?;
        let mut r = Reader::of(&ext.data, &EXTENSION_ELEMENT_LENGTH);
        let mut elements = Vec::new();
        while let Some(first) = r.peek() {
            if first == 0 || (form == Form::OneByte && first >> 4 == 0) {
                if first != 0 {
                    violations.push(Violation::new(
                        &EXTENSION_PADDING,
                        r.position() as u64,
                        format!("byte {first:#04x}: ID 0, a padding byte, with length bits set"),
                    ));
                }
                let _ = r.skip(1, "padding");
                continue;
            }
            match read_element(&mut r, form) {
                Ok(element) => elements.push(element),
                Err(e) => {
                    violations.extend(e.into_violation());
                    break;
                }
            }
        }
        Some(Elements { form, elements })
    }

    /// The data of the first element with `id`.
    pub fn get(&self, id: u8) -> Option<&Bytes> {
        self.elements.iter().find(|e| e.id == id).map(|e| &e.data)
    }
}

/// Reads one element whose first byte is not padding.
fn read_element(r: &mut Reader<'_>, form: Form) -> Result<Element, Error> {
    let at = r.position();
    let (id, len) = match form {
        Form::OneByte => {
            let byte = r.u8("element header")?;
            let (id, len) = (byte >> 4, usize::from(byte & 0x0f) + 1);
            if id == RESERVED_ID {
                return Err(Error::rule(
                    &EXTENSION_RESERVED_ID,
                    at as u64,
                    format!(
                        "one-byte element ID 15 (byte {byte:#04x}): the rest of the extension is not read"
                    ),
                ));
            }
            (id, len)
        }
        Form::TwoByte { .. } => (r.u8("element ID")?, usize::from(r.u8("element length")?)),
    };
    let data = r.view(len, "element data").map_err(|e| {
        Error::rule(
            &EXTENSION_ELEMENT_LENGTH,
            at as u64,
            format!("element {id} announces {len} data bytes: {}", e.detail),
        )
    })?;
    Ok(Element { id, data })
}

/// Writes `elements` as a header extension: in the one-byte form when every ID is 1-14 and
/// every element 1-16 bytes long, else in the two-byte form (application bits 0); zero
/// padding to a whole number of 32-bit words. Fails for what neither form can say: ID 0, an
/// element over 255 bytes, or more than 2^16 - 1 words in all.
pub fn write(elements: &[Element]) -> Result<HeaderExtension, Error> {
    let one_byte = elements
        .iter()
        .all(|e| (1..=14).contains(&e.id) && (1..=16).contains(&e.data.len()));
    let form = match one_byte {
        true => Form::OneByte,
        false => Form::TwoByte { appbits: 0 },
    };
    write_in(form, elements)
}

/// Writes `elements` in the given form; see [`write()`].
pub fn write_in(form: Form, elements: &[Element]) -> Result<HeaderExtension, Error> {
    let header = match form {
        Form::OneByte => 1,
        Form::TwoByte { .. } => 2,
    };
    let mut data = Vec::with_capacity(elements.iter().map(|e| header + e.data.len()).sum());
    for e in elements {
        let len = e.data.len();
        match form {
            Form::OneByte if (1..=14).contains(&e.id) && (1..=16).contains(&len) => {
                data.put_u8(e.id << 4 | (len - 1) as u8);
            }
            Form::TwoByte { .. } if e.id != 0 && len <= 255 => {
                data.put_u8(e.id);
                data.put_u8(len as u8);
            }
            _ => {
                return Err(Error::usage(format!(
                    "an element with ID {} and {len} bytes does not fit the {form:?} form",
                    e.id
                )));
            }
        }
        data.put_slice(&e.data);
    }
    data.resize(data.len().next_multiple_of(4), 0);
    if data.len() / 4 > usize::from(u16::MAX) {
        return Err(Error::usage(format!(
            "a {}-byte header extension is longer than 2^16 - 1 words",
            data.len()
        )));
    }
    Ok(HeaderExtension {
        profile: form.profile(),
        data: data.into(),
    })
}

/// The element kinds Weir reads, each named by the URI an `a=extmap` line gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The sender's clock when the packet left, 6.18 fixed-point seconds (webrtc.org
    /// abs-send-time).
    AbsSendTime,
    /// A sequence number counted over every packet of the transport (transport-wide
    /// congestion control, draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
    TransportSequence,
    /// The audio level of the packet's payload and a voice activity flag (RFC 6464 §3).
    AudioLevel,
    /// How far the packet's transmission lies from its RTP timestamp (RFC 5450 §2).
    TimestampOffset,
    /// The media section's identification tag (RFC 8843 §15).
    Mid,
    /// The RTP stream's rid (RFC 8852 §3.1).
    RtpStreamId,
    /// The rid of the stream a redundancy stream repairs (RFC 8852 §3.2).
    RepairedRtpStreamId,
    /// Camera, flip and rotation of the video (3GPP TS 26.114 §7.4.5, CVO).
    VideoOrientation,
    /// The playout delay range the sender asks for (webrtc.org playout-delay).
    PlayoutDelay,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 9] = [
        Kind::AbsSendTime,
        Kind::TransportSequence,
        Kind::AudioLevel,
        Kind::TimestampOffset,
        Kind::Mid,
        Kind::RtpStreamId,
        Kind::RepairedRtpStreamId,
        Kind::VideoOrientation,
        Kind::PlayoutDelay,
    ];

    /// The URI that names this kind in `a=extmap`.
    pub fn uri(self) -> &'static str {
        match self {
            Kind::AbsSendTime => "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            Kind::TransportSequence => {
                "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
            }
            Kind::AudioLevel => "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            Kind::TimestampOffset => "urn:ietf:params:rtp-hdrext:toffset",
            Kind::Mid => "urn:ietf:params:rtp-hdrext:sdes:mid",
            Kind::RtpStreamId => "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            Kind::RepairedRtpStreamId => "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
            Kind::VideoOrientation => "urn:3gpp:video-orientation",
            Kind::PlayoutDelay => "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        }
    }

    /// The kind an `a=extmap` URI names, if Weir reads it.
    pub fn from_uri(uri: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.uri() == uri)
    }

    /// The data size this kind defines; `None` for the text kinds (1-255 bytes).
    pub fn size(self) -> Option<usize> {
        match self {
            Kind::AbsSendTime | Kind::TimestampOffset | Kind::PlayoutDelay => Some(3),
            Kind::TransportSequence => Some(2),
            Kind::AudioLevel | Kind::VideoOrientation => Some(1),
            Kind::Mid | Kind::RtpStreamId | Kind::RepairedRtpStreamId => None,
        }
    }

    /// Reads an element's data as this kind. Fails with `rtp.extension.value-size` for data
    /// of another size and `rtp.extension.sdes-value` for an identifier that is not one.
    pub fn read(self, data: &[u8]) -> Result<Value, Error> {
        if let Some(size) = self.size()
            && data.len() != size
        {
            return Err(Error::rule(
                &EXTENSION_VALUE_SIZE,
                0,
                format!("{self:?} carries {size} bytes, not {}", data.len()),
            ));
        }
        let mut r = Reader::new(data, &EXTENSION_VALUE_SIZE);
        Ok(match self {
            Kind::AbsSendTime => Value::AbsSendTime(AbsSendTime(r.u24("abs-send-time")?)),
            Kind::TransportSequence => Value::TransportSequence(r.u16("sequence number")?),
            Kind::AudioLevel => {
                let byte = r.u8("V and level")?;
                Value::AudioLevel(AudioLevel {
                    voice: byte & 0x80 != 0,
                    level: byte & 0x7f,
                })
            }
            Kind::TimestampOffset => Value::TimestampOffset(r.i24("transmission offset")?),
            Kind::VideoOrientation => {
                let byte = r.u8("C F R1 R0")?;
                Value::VideoOrientation(VideoOrientation {
                    back_camera: byte & 0x08 != 0,
                    flip: byte & 0x04 != 0,
                    rotation: byte & 0x03,
                })
            }
            Kind::PlayoutDelay => {
                let both = r.u24("MIN and MAX")?;
                Value::PlayoutDelay(PlayoutDelay {
                    min: (both >> 12) as u16,
                    max: (both & 0xfff) as u16,
                })
            }
            Kind::Mid => Value::Mid(identifier(self, data)?),
            Kind::RtpStreamId => Value::RtpStreamId(identifier(self, data)?),
            Kind::RepairedRtpStreamId => Value::RepairedRtpStreamId(identifier(self, data)?),
        })
    }
}

/// Whether `byte` may appear in an SDP token (RFC 8866 §9, token-char), the syntax of a MID
/// (RFC 5888's identification-tag).
fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&byte)
}

/// Whether `byte` may appear in a rid-id (RFC 8851 §10).
fn is_rid_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// Checks an identifier of a text kind; the one check for reading and writing.
fn check_identifier(kind: Kind, data: &[u8]) -> Result<(), (usize, String)> {
    let allowed = match kind {
        Kind::Mid => is_token_char,
        _ => is_rid_char,
    };
    if data.is_empty() || data.len() > 255 {
        return Err((0, format!("a {}-byte {kind:?}", data.len())));
    }
    match data.iter().position(|&b| !allowed(b)) {
        Some(at) => Err((
            at,
            format!("byte {:#04x} is not allowed in a {kind:?}", data[at]),
        )),
        None => Ok(()),
    }
}

fn identifier(kind: Kind, data: &[u8]) -> Result<String, Error> {
    check_identifier(kind, data)
        .map_err(|(at, detail)| Error::rule(&EXTENSION_SDES_VALUE, at as u64, detail))?;
    Ok(data.iter().map(|&b| char::from(b)).collect())
}

/// An element's value, read by [`Kind::read`] or to write with [`Value::to_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// See [`Kind::AbsSendTime`].
    AbsSendTime(AbsSendTime),
    /// See [`Kind::TransportSequence`].
    TransportSequence(u16),
    /// See [`Kind::AudioLevel`].
    AudioLevel(AudioLevel),
    /// See [`Kind::TimestampOffset`]: signed, in RTP timestamp units, 24 bits.
    TimestampOffset(i32),
    /// See [`Kind::Mid`].
    Mid(String),
    /// See [`Kind::RtpStreamId`].
    RtpStreamId(String),
    /// See [`Kind::RepairedRtpStreamId`].
    RepairedRtpStreamId(String),
    /// See [`Kind::VideoOrientation`].
    VideoOrientation(VideoOrientation),
    /// See [`Kind::PlayoutDelay`].
    PlayoutDelay(PlayoutDelay),
}

impl Value {
    /// The kind this value is of.
    pub fn kind(&self) -> Kind {
        match self {
            Value::AbsSendTime(_) => Kind::AbsSendTime,
            Value::TransportSequence(_) => Kind::TransportSequence,
            Value::AudioLevel(_) => Kind::AudioLevel,
            Value::TimestampOffset(_) => Kind::TimestampOffset,
            Value::Mid(_) => Kind::Mid,
            Value::RtpStreamId(_) => Kind::RtpStreamId,
            Value::RepairedRtpStreamId(_) => Kind::RepairedRtpStreamId,
            Value::VideoOrientation(_) => Kind::VideoOrientation,
            Value::PlayoutDelay(_) => Kind::PlayoutDelay,
        }
    }

    /// The element data for this value. Fails for a value its field cannot hold (an
    /// abs-send-time over 24 bits, a level over 127, an offset outside 24 signed bits, a
    /// rotation over 3, a delay over 4095, an identifier that is not one).
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        let range = |what: &str| Err(Error::usage(format!("{what} does not fit its field")));
        let mut out = Vec::with_capacity(4);
        match self {
            Value::AbsSendTime(AbsSendTime(t)) if *t <= 0xff_ffff => {
                out.put_slice(&t.to_be_bytes()[1..])
            }
            Value::TransportSequence(seq) => out.put_u16(*seq),
            Value::AudioLevel(AudioLevel { voice, level }) if *level <= 0x7f => {
                out.put_u8(u8::from(*voice) << 7 | level)
            }
            Value::TimestampOffset(offset) if (-0x80_0000..=0x7f_ffff).contains(offset) => {
                out.put_slice(&offset.to_be_bytes()[1..])
            }
            Value::VideoOrientation(VideoOrientation {
                back_camera,
                flip,
                rotation,
            }) if *rotation <= 3 => {
                out.put_u8(u8::from(*back_camera) << 3 | u8::from(*flip) << 2 | rotation)
            }
            Value::PlayoutDelay(PlayoutDelay { min, max }) if *min <= 0xfff && *max <= 0xfff => {
                out.put_slice(&(u32::from(*min) << 12 | u32::from(*max)).to_be_bytes()[1..])
            }
            Value::Mid(text) | Value::RtpStreamId(text) | Value::RepairedRtpStreamId(text) => {
                if let Err((_, detail)) = check_identifier(self.kind(), text.as_bytes()) {
                    return Err(Error::usage(detail));
                }
                out.put_slice(text.as_bytes())
            }
            other => return range(&format!("{other:?}")),
        }
        Ok(out.into())
    }
}

/// abs-send-time: the sender's clock at sending, in seconds as 6.18 fixed point, so it wraps
/// every 64 seconds (webrtc.org abs-send-time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AbsSendTime(pub u32);

impl AbsSendTime {
    /// Units per second: 2^18.
    pub const PER_SECOND: u64 = 1 << 18;

    /// The time within the 64-second wrap, rounded down to the field's 1/2^18 s.
    pub fn from_duration(time: Duration) -> AbsSendTime {
        let units = time.as_nanos() * u128::from(Self::PER_SECOND) / 1_000_000_000;
        AbsSendTime((units & 0xff_ffff) as u32)
    }

    /// The time it says within its 64-second wrap.
    pub fn to_duration(self) -> Duration {
        let nanos = u64::from(self.0 & 0xff_ffff) * 1_000_000_000 / Self::PER_SECOND;
        Duration::from_nanos(nanos)
    }
}

/// ssrc-audio-level (RFC 6464 §3): the level of the audio in the packet and whether it holds
/// voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioLevel {
    /// V: the sender's voice activity detection found voice.
    pub voice: bool,
    /// The level in -dBov, 0 (loudest) to 127 (silence).
    pub level: u8,
}

/// Coordination of video orientation (3GPP TS 26.114 §7.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoOrientation {
    /// C: captured by a back-facing camera (else front-facing, or unknown).
    pub back_camera: bool,
    /// F: the picture is flipped horizontally.
    pub flip: bool,
    /// R1 R0: the rotation to apply, in quarter turns (0-3).
    pub rotation: u8,
}

/// playout-delay: the least and the most delay the sender wants before playout, each in
/// 10 ms units, 12 bits (webrtc.org playout-delay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlayoutDelay {
    /// The minimum, in 10 ms units.
    pub min: u16,
    /// The maximum, in 10 ms units.
    pub max: u16,
}
