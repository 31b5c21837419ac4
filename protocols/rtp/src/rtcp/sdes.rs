//! The source description packet (RFC 3550 §6.5): one chunk per source, each an SSRC/CSRC and
//! a list of items (CNAME, NAME, EMAIL, PHONE, LOC, TOOL, NOTE, PRIV, or types defined later)
//! ended by a null octet and null-padded to a 32-bit boundary.

use super::header::SDES;
use super::packet::{Body, count_of, pad_to_word};
use crate::Error;
use crate::rules::{
    RTCP_SDES_CHUNK, RTCP_SDES_ITEM_LENGTH, RTCP_SDES_PRIV, RTCP_SDES_TEXT, RTCP_SOURCE_COUNT,
};
use bytes::Bytes;
use weir_media::{Reader, Violation};

/// The most chunks one SDES packet holds (the 5-bit source count).
pub const MAX_CHUNKS: usize = 31;

/// One SDES packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sdes {
    /// The chunks, one per source (at most 31).
    pub chunks: Vec<SdesChunk>,
}

/// The items describing one source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SdesChunk {
    /// The SSRC or CSRC described.
    pub ssrc: u32,
    /// Its items, in order.
    pub items: Vec<SdesItem>,
}

/// One SDES item (RFC 3550 §6.5.1-§6.5.8); text is UTF-8 on the wire, kept here as the bytes
/// sent, at most 255 of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdesItem {
    /// 1, CNAME: the canonical end-point identifier, the same for all of a participant's
    /// streams (§6.5.1).
    Cname(Bytes),
    /// 2, NAME: the user's name (§6.5.2).
    Name(Bytes),
    /// 3, EMAIL (§6.5.3).
    Email(Bytes),
    /// 4, PHONE (§6.5.4).
    Phone(Bytes),
    /// 5, LOC: geographic location (§6.5.5).
    Location(Bytes),
    /// 6, TOOL: the application's name and version (§6.5.6).
    Tool(Bytes),
    /// 7, NOTE: a transient message (§6.5.7).
    Note(Bytes),
    /// 8, PRIV: a private extension, a prefix naming it and its value (§6.5.8).
    Private {
        /// The prefix (its length octet is not kept).
        prefix: Bytes,
        /// The value after the prefix.
        value: Bytes,
    },
    /// Any other type (9-255, e.g. MID and RtpStreamId of RFC 8843 and 8852), kept raw.
    Other {
        /// The item type.
        kind: u8,
        /// Its content.
        value: Bytes,
    },
}

impl SdesItem {
    /// The item type octet.
    pub fn kind(&self) -> u8 {
        match self {
            SdesItem::Cname(_) => 1,
            SdesItem::Name(_) => 2,
            SdesItem::Email(_) => 3,
            SdesItem::Phone(_) => 4,
            SdesItem::Location(_) => 5,
            SdesItem::Tool(_) => 6,
            SdesItem::Note(_) => 7,
            SdesItem::Private { .. } => 8,
            SdesItem::Other { kind, .. } => *kind,
        }
    }

    /// The text of a text item (types 1-7), `None` for PRIV and other types.
    pub fn text(&self) -> Option<&Bytes> {
        match self {
            SdesItem::Cname(t)
            | SdesItem::Name(t)
            | SdesItem::Email(t)
            | SdesItem::Phone(t)
            | SdesItem::Location(t)
            | SdesItem::Tool(t)
            | SdesItem::Note(t) => Some(t),
            SdesItem::Private { .. } | SdesItem::Other { .. } => None,
        }
    }

    fn from_wire(kind: u8, value: Bytes) -> Result<Self, String> {
        Ok(match kind {
            1 => SdesItem::Cname(value),
            2 => SdesItem::Name(value),
            3 => SdesItem::Email(value),
            4 => SdesItem::Phone(value),
            5 => SdesItem::Location(value),
            6 => SdesItem::Tool(value),
            7 => SdesItem::Note(value),
            8 => {
                let Some((&prefix_len, rest)) = value.split_first() else {
                    return Err("an empty PRIV item has no prefix length".into());
                };
                let prefix_len = usize::from(prefix_len);
                if prefix_len > rest.len() {
                    return Err(format!(
                        "a PRIV prefix of {prefix_len} bytes in an item of {}",
                        value.len()
                    ));
                }
                SdesItem::Private {
                    prefix: value.slice(1..1 + prefix_len),
                    value: value.slice(1 + prefix_len..),
                }
            }
            kind => SdesItem::Other { kind, value },
        })
    }

    /// Appends type, length and content; an error for content over 255 bytes or an
    /// [`SdesItem::Other`] whose type is 0-8.
    fn write(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let start = out.len();
        out.extend_from_slice(&[self.kind(), 0]);
        match self {
            SdesItem::Private { prefix, value } => {
                let prefix_len = u8::try_from(prefix.len())
                    .map_err(|_| Error::usage("a PRIV prefix over 255 bytes"))?;
                out.push(prefix_len);
                out.extend_from_slice(prefix);
                out.extend_from_slice(value);
            }
            SdesItem::Other { kind, .. } if *kind <= 8 => {
                return Err(Error::usage(format!(
                    "SDES item type {kind} is END or a defined type, not another one"
                )));
            }
            SdesItem::Other { value, .. } => out.extend_from_slice(value),
            text => out.extend_from_slice(text.text().expect("a text item")),
        }
        let len = out.len() - start - 2;
        out[start + 1] = u8::try_from(len)
            .map_err(|_| Error::usage(format!("an SDES item of {len} bytes; at most 255 fit")))?;
        Ok(())
    }
}

impl Sdes {
    /// The first CNAME of any chunk.
    pub fn cname(&self) -> Option<&Bytes> {
        self.chunks
            .iter()
            .flat_map(|c| &c.items)
            .find_map(|item| match item {
                SdesItem::Cname(name) => Some(name),
                _ => None,
            })
    }

    /// Parses the body after the header, `count` chunks announced; offsets are within
    /// `body`. Bytes after the announced chunks and non-null chunk padding are reported and
    /// dropped; anything that cuts a chunk short is an error.
    pub(crate) fn parse(
        count: u8,
        body: &Bytes,
        violations: &mut Vec<Violation>,
    ) -> Result<Self, Error> {
        let mut r = Reader::of(body, &RTCP_SOURCE_COUNT);
        let mut chunks = Vec::with_capacity(usize::from(count));
        for i in 1..=count {
            let ssrc = r.u32("SSRC/CSRC").map_err(|mut e| {
                e.detail = format!("chunk {i} of {count}: {}", e.detail);
                e
            })?;
            let items = read_items(&mut r, violations)?;
            chunks.push(SdesChunk { ssrc, items });
        }
        if !r.is_empty() {
            violations.push(Violation::new(
                &RTCP_SOURCE_COUNT,
                r.position() as u64,
                format!(
                    "{} bytes after the {count} chunks the source count announces",
                    r.remaining()
                ),
            ));
        }
        Ok(Sdes { chunks })
    }
}

/// The items of one chunk up to its END octet, then the null padding to the next 32-bit
/// boundary (chunks start on one, as the body does).
fn read_items(r: &mut Reader<'_>, violations: &mut Vec<Violation>) -> Result<Vec<SdesItem>, Error> {
    let mut items = Vec::new();
    loop {
        let at = r.position();
        let kind = r.with_rule(&RTCP_SDES_CHUNK, |r| r.u8("SDES item type (no END octet)"))?;
        if kind == 0 {
            break;
        }
        let value = r.with_rule(&RTCP_SDES_ITEM_LENGTH, |r| {
            let len = r.u8("SDES item length")?;
            r.view(usize::from(len), "SDES item text")
        })?;
        if (1..=7).contains(&kind) && std::str::from_utf8(&value).is_err() {
            violations.push(Violation::new(
                &RTCP_SDES_TEXT,
                at as u64 + 2,
                format!("SDES item type {kind}: text is not UTF-8"),
            ));
        }
        let item = SdesItem::from_wire(kind, value)
            .map_err(|detail| Error::rule(&RTCP_SDES_PRIV, at as u64, detail))?;
        items.push(item);
    }
    let pad = (4 - r.position() % 4) % 4;
    let at = r.position();
    let padding = r.with_rule(&RTCP_SDES_CHUNK, |r| {
        r.bytes(pad, "null padding of the chunk")
    })?;
    if padding.iter().any(|&b| b != 0) {
        violations.push(Violation::new(
            &RTCP_SDES_CHUNK,
            at as u64,
            "the chunk's padding after END is not all null octets",
        ));
    }
    Ok(items)
}

impl Body for Sdes {
    fn count(&self) -> Result<u8, Error> {
        count_of(self.chunks.len(), MAX_CHUNKS, "SDES chunks")
    }

    fn packet_type(&self) -> u8 {
        SDES
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let start = out.len();
        for chunk in &self.chunks {
            out.extend_from_slice(&chunk.ssrc.to_be_bytes());
            for item in &chunk.items {
                item.write(out)?;
            }
            // END, then nulls to the next 32-bit boundary.
            out.push(0);
            pad_to_word(out, start);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::packet::parse_body;

    fn parse(count: u8, body: &[u8]) -> (Result<Sdes, Error>, Vec<Violation>) {
        parse_body(|body, v| Sdes::parse(count, body, v), body)
    }

    #[test]
    fn items_of_every_kind_round_trip() {
        let sdes = Sdes {
            chunks: vec![
                SdesChunk {
                    ssrc: 1,
                    items: vec![
                        SdesItem::Cname(Bytes::from_static(b"user@host")),
                        SdesItem::Name(Bytes::from_static(b"N")),
                        SdesItem::Email(Bytes::new()),
                        SdesItem::Phone(Bytes::from_static(b"+1")),
                        SdesItem::Location(Bytes::from_static(b"here")),
                        SdesItem::Tool(Bytes::from_static(b"weir")),
                        SdesItem::Note(Bytes::from_static(b"hi")),
                        SdesItem::Private {
                            prefix: Bytes::from_static(b"x-"),
                            value: Bytes::from_static(b"v"),
                        },
                        SdesItem::Other {
                            kind: 12,
                            value: Bytes::from_static(b"0"),
                        },
                    ],
                },
                SdesChunk {
                    ssrc: 2,
                    items: vec![],
                },
            ],
        };
        let mut body = Vec::new();
        sdes.write_body(&mut body).unwrap();
        assert_eq!(body.len() % 4, 0);
        // An empty chunk is its SSRC and four null octets (§6.5).
        assert_eq!(&body[body.len() - 8..], &[0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(parse(2, &body), (Ok(sdes.clone()), vec![]));
        assert_eq!(sdes.cname().unwrap(), &b"user@host"[..]);
    }

    #[test]
    fn broken_chunks_name_their_rule() {
        // Item text running past the packet.
        let e = parse(1, &[0, 0, 0, 1, 1, 9, b'a', 0]).0.unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.sdes-item-length", 6));
        // No END octet.
        let e = parse(1, &[0, 0, 0, 1, 1, 2, b'a', b'b']).0.unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.sdes-chunk", 8));
        // PRIV prefix longer than the item.
        let e = parse(1, &[0, 0, 0, 1, 8, 2, 5, b'a', 0, 0, 0, 0])
            .0
            .unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.sdes-priv", 4));
        // Two chunks announced, one there.
        let e = parse(2, &[0, 0, 0, 1, 0, 0, 0, 0]).0.unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.source-count", 8));
        // Non-null padding, extra bytes and non-UTF-8 text: reported, parsed.
        let (sdes, v) = parse(1, &[0, 0, 0, 1, 2, 1, 0xff, 0, 0, 0, 0, 0]);
        assert_eq!(
            v.iter().map(|v| (v.rule.id, v.offset)).collect::<Vec<_>>(),
            [("rtp.rtcp.sdes-text", 6), ("rtp.rtcp.source-count", 8)]
        );
        assert_eq!(
            sdes.unwrap().chunks[0].items,
            [SdesItem::Name(Bytes::from_static(&[0xff]))]
        );
        let (_, v) = parse(1, &[0, 0, 0, 1, 0, 7, 0, 0]);
        assert_eq!(v[0].rule.id, "rtp.rtcp.sdes-chunk");
    }

    #[test]
    fn items_that_cannot_be_written_are_errors() {
        let long = SdesItem::Note(Bytes::from(vec![b'a'; 256]));
        let reserved = SdesItem::Other {
            kind: 1,
            value: Bytes::new(),
        };
        for item in [long, reserved] {
            assert!(item.write(&mut Vec::new()).is_err());
        }
    }
}
