//! DTLS records (RFC 6347 §4.1, RFC 9147 §4): one datagram holds one or more records, each a
//! 13-byte header and a fragment, or — DTLS 1.3 — a unified header whose first three bits are
//! 001, in front of ciphertext this crate never judges.
//!
//! ```text
//! DTLSPlaintext:  type (8) | version (16) | epoch (16) | sequence_number (48) | length (16) | fragment
//! Unified (1.3):  0 0 1 C S L E E | connection id (if C) | seq (8 or 16, S) | length (16, if L) | ciphertext
//! ```

use crate::rules;
use bytes::Bytes;
use weir_media::{Reader, Violation};

/// DTLS 1.0's version on the wire (RFC 4347).
pub const DTLS_1_0: u16 = 0xfeff;
/// DTLS 1.2's version on the wire (RFC 6347).
pub const DTLS_1_2: u16 = 0xfefd;
/// DTLS 1.3's version in supported_versions (RFC 9147 §5.3).
pub const DTLS_1_3: u16 = 0xfefc;

/// The size of a DTLSPlaintext header.
pub const HEADER_LEN: usize = 13;
/// The largest plaintext fragment (2^14, RFC 5246 §6.2.1).
pub const MAX_PLAINTEXT: usize = 1 << 14;
/// The largest protected fragment (2^14 + 2048, RFC 5246 §6.2.3).
pub const MAX_CIPHERTEXT: usize = (1 << 14) + 2048;

/// A version's name.
pub fn version_name(version: u16) -> String {
    match version {
        DTLS_1_0 => "DTLS 1.0".into(),
        DTLS_1_2 => "DTLS 1.2".into(),
        DTLS_1_3 => "DTLS 1.3".into(),
        v => format!("version 0x{v:04x}"),
    }
}

/// A record's content type (RFC 5246 §6.2.1, RFC 6520, RFC 9146).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// 20.
    ChangeCipherSpec,
    /// 21.
    Alert,
    /// 22.
    Handshake,
    /// 23.
    ApplicationData,
    /// 24 (RFC 6520).
    Heartbeat,
    /// 25: a DTLS 1.2 record with a connection id (RFC 9146).
    Tls12Cid,
    /// Anything else.
    Other(u8),
}

impl ContentType {
    /// The type of byte `b`.
    pub fn from_byte(b: u8) -> Self {
        match b {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            24 => ContentType::Heartbeat,
            25 => ContentType::Tls12Cid,
            b => ContentType::Other(b),
        }
    }

    /// The byte on the wire.
    pub fn byte(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Heartbeat => 24,
            ContentType::Tls12Cid => 25,
            ContentType::Other(b) => b,
        }
    }
}

/// One DTLSPlaintext record (its fragment protected when the epoch is not 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// What the fragment holds.
    pub content_type: ContentType,
    /// The record version (0xFEFF, 0xFEFD).
    pub version: u16,
    /// The cipher state's epoch: 0 until the sender's ChangeCipherSpec (DTLS 1.2).
    pub epoch: u16,
    /// The 48-bit record sequence number.
    pub sequence: u64,
    /// The fragment.
    pub fragment: Bytes,
}

impl Record {
    /// Appends the record's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.content_type.byte());
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes()[2..]);
        out.extend_from_slice(&(self.fragment.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.fragment);
    }
}

/// A DTLS 1.3 unified header (RFC 9147 §4): what can be read of a protected record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unified {
    /// The first byte (0b001CSLEE).
    pub flags: u8,
    /// The low two bits of the epoch.
    pub epoch_bits: u8,
    /// The low 8 or 16 bits of the (encrypted) sequence number, as on the wire.
    pub sequence_bits: u16,
    /// The ciphertext's length; `None` when a connection id of unknown length hides it.
    pub length: Option<usize>,
}

/// One unit of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// A DTLSPlaintext record, starting at `offset` of the datagram.
    Record {
        /// Where its header starts.
        offset: usize,
        /// The record.
        record: Record,
    },
    /// A DTLS 1.3 protected record: not checked. A connection id (C bit) hides its length,
    /// and then the rest of the datagram is taken as this one record.
    Unified {
        /// Where its header starts.
        offset: usize,
        /// What its header says.
        header: Unified,
    },
}

/// Splits a datagram into records. Broken rules are pushed to `violations` with offsets in
/// the datagram; a record that runs past the datagram ends the reading (its bytes are not
/// taken), as do trailing bytes shorter than a record header.
pub fn parse_datagram(datagram: &Bytes, violations: &mut Vec<Violation>) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut r = Reader::of(datagram, &rules::RECORD_LENGTH);
    while !r.is_empty() {
        let offset = r.position();
        let first = r.peek().unwrap_or(0);
        if first & 0xe0 == 0x20 {
            match unified(&mut r) {
                Ok(header) => units.push(Unit::Unified { offset, header }),
                Err(e) => {
                    violations.push(Violation::new(&rules::RECORD_LENGTH, e.offset, e.detail));
                    break;
                }
            }
            continue;
        }
        match plaintext(&mut r, offset, violations) {
            Ok(record) => units.push(Unit::Record { offset, record }),
            Err(e) => {
                violations.push(Violation::new(
                    e.rule.unwrap_or(&rules::RECORD_LENGTH),
                    e.offset,
                    e.detail,
                ));
                break;
            }
        }
    }
    units
}

fn plaintext(
    r: &mut Reader<'_>,
    offset: usize,
    violations: &mut Vec<Violation>,
) -> Result<Record, weir_media::Error> {
    let content_type = ContentType::from_byte(r.u8("content type")?);
    let version = r.u16("record version")?;
    let epoch = r.u16("epoch")?;
    let high = r.u16("sequence number")?;
    let low = r.u32("sequence number")?;
    let length = usize::from(r.u16("record length")?);
    let fragment = r.view(length, "record fragment")?;
    if let ContentType::Other(b) = content_type {
        violations.push(Violation::new(
            &rules::RECORD_CONTENT_TYPE,
            offset as u64,
            format!("content type {b}"),
        ));
    }
    if version != DTLS_1_0 && version != DTLS_1_2 {
        violations.push(Violation::new(
            &rules::RECORD_VERSION,
            offset as u64 + 1,
            format!("record version 0x{version:04x}"),
        ));
    }
    let limit = if epoch == 0 {
        MAX_PLAINTEXT
    } else {
        MAX_CIPHERTEXT
    };
    if length > limit {
        violations.push(Violation::new(
            &rules::RECORD_LENGTH_LIMIT,
            offset as u64 + 11,
            format!("a {length}-byte fragment in epoch {epoch}, over {limit}"),
        ));
    }
    Ok(Record {
        content_type,
        version,
        epoch,
        sequence: (u64::from(high) << 32) | u64::from(low),
        fragment,
    })
}

fn unified(r: &mut Reader<'_>) -> Result<Unified, weir_media::Error> {
    let flags = r.u8("unified header")?;
    let cid = flags & 0x10 != 0;
    let sequence_bits = if flags & 0x08 != 0 {
        r.u16("sequence number")?
    } else {
        u16::from(r.u8("sequence number")?)
    };
    let length = if cid {
        // The connection id's length was negotiated: the rest cannot be delimited.
        r.rest();
        None
    } else if flags & 0x04 != 0 {
        let length = usize::from(r.u16("length")?);
        r.skip(length, "ciphertext")?;
        Some(length)
    } else {
        Some(r.rest().len())
    };
    Ok(Unified {
        flags,
        epoch_bits: flags & 3,
        sequence_bits,
        length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_records_share_a_datagram() {
        let mut bytes = Vec::new();
        let a = Record {
            content_type: ContentType::Handshake,
            version: DTLS_1_2,
            epoch: 0,
            sequence: 0x0102_0304_0506,
            fragment: Bytes::from_static(b"abc"),
        };
        let b = Record {
            content_type: ContentType::ChangeCipherSpec,
            sequence: 7,
            fragment: Bytes::from_static(&[1]),
            ..a.clone()
        };
        a.write(&mut bytes);
        b.write(&mut bytes);
        // A DTLS 1.3 ciphertext, 16-bit sequence, with a length: 0b0010_1110.
        bytes.extend([0x2e, 0, 9, 0, 2, 0xaa, 0xbb]);
        let mut v = Vec::new();
        let units = parse_datagram(&Bytes::from(bytes), &mut v);
        assert_eq!(v, []);
        assert_eq!(
            units,
            [
                Unit::Record {
                    offset: 0,
                    record: a
                },
                Unit::Record {
                    offset: 16,
                    record: b
                },
                Unit::Unified {
                    offset: 30,
                    header: Unified {
                        flags: 0x2e,
                        epoch_bits: 2,
                        sequence_bits: 9,
                        length: Some(2)
                    }
                },
            ]
        );
    }
}
