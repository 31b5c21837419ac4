//! Handshake extensions (draft-sharabayko-srt-01 §3.2.1.1-§3.2.1.4): type, length in 4-byte
//! words, body. HSREQ/HSRSP are parsed; key material stays `Bytes` (`km` parses it); the
//! stream id, congestion and filter names are text; unknown types are kept and skipped, as
//! libsrt skips them.
//!
//! Text is sent in whole words, each word's four bytes reversed (libsrt copies the string
//! into 32-bit words and swaps them to network order), zero-padded at the end: `"abcdefghij"`
//! is `dcba hgfe \0\0ji`.

use crate::rules::{
    CONGESTION_NAME, HANDSHAKE_EXTENSION_TRUNCATED, HSREQ_FLAGS, HSREQ_LENGTH, KM_EMPTY,
    SID_LENGTH, SID_PADDING, SID_UTF8,
};
use bytes::{BufMut, Bytes, BytesMut};
use weir_media::{Error, Reader, Rule, Violation};

/// The longest stream id allowed, bytes (draft §3.2.1.3).
pub const MAX_STREAM_ID_LEN: usize = 512;

/// Extension type codes (draft §3.2.1, Table 5; libsrt's `SRT_CMD_*`).
pub mod types {
    /// HSREQ: the caller's SRT options.
    pub const HSREQ: u16 = 1;
    /// HSRSP: the listener's SRT options.
    pub const HSRSP: u16 = 2;
    /// KMREQ: key material from the caller.
    pub const KMREQ: u16 = 3;
    /// KMRSP: key material (or its state) from the listener.
    pub const KMRSP: u16 = 4;
    /// SID: the stream id.
    pub const SID: u16 = 5;
    /// CONGESTION: the congestion controller's name.
    pub const CONGESTION: u16 = 6;
    /// FILTER: the packet filter configuration.
    pub const FILTER: u16 = 7;
    /// GROUP: bonding group membership.
    pub const GROUP: u16 = 8;
}

/// SRT option flags of HSREQ/HSRSP (draft §3.2.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SrtFlags(pub u32);

impl SrtFlags {
    /// The sender delivers with timestamps for TSBPD.
    pub const TSBPDSND: u32 = 0x01;
    /// The receiver plays out by TSBPD.
    pub const TSBPDRCV: u32 = 0x02;
    /// The peer supports encryption.
    pub const CRYPT: u32 = 0x04;
    /// Too-late packet drop.
    pub const TLPKTDROP: u32 = 0x08;
    /// Periodic NAK reports.
    pub const PERIODICNAK: u32 = 0x10;
    /// The R bit of data packets is in use.
    pub const REXMITFLG: u32 = 0x20;
    /// Stream (not message) API.
    pub const STREAM: u32 = 0x40;
    /// A packet filter is configured.
    pub const PACKET_FILTER: u32 = 0x80;
    /// Every flag the draft defines.
    pub const KNOWN: u32 = 0xff;

    /// Whether every bit of `flag` is set.
    pub fn has(self, flag: u32) -> bool {
        self.0 & flag == flag
    }
}

/// The body of an HSREQ or HSRSP (draft §3.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SrtOptions {
    /// The SRT version, `0x00MMmmpp` (1.5.1 is `0x010501`).
    pub version: u32,
    /// The option flags.
    pub flags: SrtFlags,
    /// The latency the sender of this extension wants as a receiver, milliseconds.
    pub recv_delay_ms: u16,
    /// The latency it wants the peer to use as receiver, milliseconds.
    pub send_delay_ms: u16,
}

impl SrtOptions {
    fn parse(body: &[u8], violations: &mut Vec<Violation>) -> Result<Self, Error> {
        let mut r = Reader::new(body, &HSREQ_LENGTH);
        if body.len() != 12 {
            return Err(r.error(format!("HSREQ/HSRSP body of {} bytes, not 12", body.len())));
        }
        let options = SrtOptions {
            version: r.u32("SRT version")?,
            flags: SrtFlags(r.u32("SRT flags")?),
            recv_delay_ms: r.u16("receiver TSBPD delay")?,
            send_delay_ms: r.u16("sender TSBPD delay")?,
        };
        if options.flags.0 & !SrtFlags::KNOWN != 0 {
            violations.push(Violation::new(
                &HSREQ_FLAGS,
                4,
                format!("SRT flags {:#x}", options.flags.0),
            ));
        }
        Ok(options)
    }

    fn write(&self, out: &mut BytesMut) {
        out.put_u32(self.version);
        out.put_u32(self.flags.0);
        out.put_u16(self.recv_delay_ms);
        out.put_u16(self.send_delay_ms);
    }
}

/// One handshake extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extension {
    /// The caller's SRT options.
    HsReq(SrtOptions),
    /// The listener's SRT options.
    HsRsp(SrtOptions),
    /// The caller's key material message, unparsed.
    KmReq(Bytes),
    /// The listener's key material answer, unparsed.
    KmRsp(Bytes),
    /// The stream id (trailing padding removed).
    StreamId(String),
    /// The congestion controller ("live").
    Congestion(String),
    /// The packet filter configuration.
    Filter(String),
    /// Bonding group data, unparsed.
    Group(Bytes),
    /// A type this crate does not know, kept as it came.
    Unknown {
        /// The extension type.
        typ: u16,
        /// The body.
        body: Bytes,
    },
}

impl Extension {
    /// The extension type code.
    pub fn kind(&self) -> u16 {
        match self {
            Extension::HsReq(_) => types::HSREQ,
            Extension::HsRsp(_) => types::HSRSP,
            Extension::KmReq(_) => types::KMREQ,
            Extension::KmRsp(_) => types::KMRSP,
            Extension::StreamId(_) => types::SID,
            Extension::Congestion(_) => types::CONGESTION,
            Extension::Filter(_) => types::FILTER,
            Extension::Group(_) => types::GROUP,
            Extension::Unknown { typ, .. } => *typ,
        }
    }

    /// Parses the extensions after a handshake body, to the end of `input`; offsets are
    /// from the start of `input`.
    pub fn parse_all(input: Bytes, violations: &mut Vec<Violation>) -> Result<Vec<Self>, Error> {
        let mut r = Reader::of(&input, &HANDSHAKE_EXTENSION_TRUNCATED);
        let mut extensions = Vec::new();
        while !r.is_empty() {
            let at = r.position();
            let typ = r.u16("extension type")?;
            let words = usize::from(r.u16("extension length")?);
            let body = r.view(words * 4, "extension contents")?;
            let before = violations.len();
            let extension = Self::parse_body(typ, body, violations).map_err(|mut e| {
                e.offset += at as u64 + 4;
                e
            })?;
            for v in &mut violations[before..] {
                v.offset += at as u64 + 4;
            }
            extensions.push(extension);
        }
        Ok(extensions)
    }

    fn parse_body(typ: u16, body: Bytes, violations: &mut Vec<Violation>) -> Result<Self, Error> {
        Ok(match typ {
            types::HSREQ => Extension::HsReq(SrtOptions::parse(&body, violations)?),
            types::HSRSP => Extension::HsRsp(SrtOptions::parse(&body, violations)?),
            types::KMREQ | types::KMRSP => {
                if body.is_empty() {
                    violations.push(Violation::new(&KM_EMPTY, 0, "key material of 0 bytes"));
                }
                if typ == types::KMREQ {
                    Extension::KmReq(body)
                } else {
                    Extension::KmRsp(body)
                }
            }
            types::SID => {
                let text = decode_text(&body, violations);
                if text.len() > MAX_STREAM_ID_LEN {
                    violations.push(Violation::new(
                        &SID_LENGTH,
                        0,
                        format!("a stream id of {} bytes", text.len()),
                    ));
                }
                Extension::StreamId(text)
            }
            types::CONGESTION => {
                let name = decode_text(&body, violations);
                if name != "live" && name != "file" {
                    violations.push(Violation::new(
                        &CONGESTION_NAME,
                        0,
                        format!("congestion controller {name:?}"),
                    ));
                }
                Extension::Congestion(name)
            }
            types::FILTER => Extension::Filter(decode_text(&body, violations)),
            types::GROUP => Extension::Group(body),
            typ => Extension::Unknown { typ, body },
        })
    }

    /// Appends the extension: type, length in words, body padded to whole words.
    pub fn write(&self, out: &mut BytesMut) {
        let mut body = BytesMut::new();
        match self {
            Extension::HsReq(o) | Extension::HsRsp(o) => o.write(&mut body),
            Extension::KmReq(b)
            | Extension::KmRsp(b)
            | Extension::Group(b)
            | Extension::Unknown { body: b, .. } => body.put_slice(b),
            Extension::StreamId(s) | Extension::Congestion(s) | Extension::Filter(s) => {
                encode_text(s, &mut body)
            }
        }
        // Bodies of our own making are padded to whole words; one longer than the length
        // field can say is cut (never the case for parsed ones).
        while !body.len().is_multiple_of(4) {
            body.put_u8(0);
        }
        body.truncate(usize::from(u16::MAX) * 4);
        out.put_u16(self.kind());
        out.put_u16((body.len() / 4) as u16);
        out.put_slice(&body);
    }
}

/// Text from words whose bytes are reversed, padding zeros at the end removed.
fn decode_text(body: &[u8], violations: &mut Vec<Violation>) -> String {
    let mut bytes: Vec<u8> = body
        .chunks(4)
        .flat_map(|word| word.iter().rev().copied())
        .collect();
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    let violation = |rule: &'static Rule, detail: String| Violation::new(rule, 0, detail);
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        violations.push(violation(
            &SID_PADDING,
            format!("a zero byte at {at} inside the text"),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            violations.push(violation(
                &SID_UTF8,
                format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            ));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    }
}

/// Text as whole words, each word's bytes reversed, zero-padded.
fn encode_text(text: &str, out: &mut BytesMut) {
    for chunk in text.as_bytes().chunks(4) {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        word.reverse();
        out.put_slice(&word);
    }
}
