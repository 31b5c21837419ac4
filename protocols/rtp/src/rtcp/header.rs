//! The 4-byte header every RTCP packet starts with (RFC 3550 §6.4.1): version 2, the padding
//! bit, a 5-bit count (reports, sources, the feedback FMT or the APP subtype), the packet
//! type, and the length in 32-bit words minus one (header and padding included).

use crate::Error;
use crate::rules::{RTCP_LENGTH, RTCP_VERSION};

/// Sender report (RFC 3550 §6.4.1).
pub const SR: u8 = 200;
/// Receiver report (RFC 3550 §6.4.2).
pub const RR: u8 = 201;
/// Source description (RFC 3550 §6.5).
pub const SDES: u8 = 202;
/// Goodbye (RFC 3550 §6.6).
pub const BYE: u8 = 203;
/// Application-defined (RFC 3550 §6.7).
pub const APP: u8 = 204;
/// Transport-layer feedback (RFC 4585 §6.2): NACK, transport-wide CC, ...
pub const RTPFB: u8 = 205;
/// Payload-specific feedback (RFC 4585 §6.3): PLI, FIR, REMB, ...
pub const PSFB: u8 = 206;

/// The common header of one RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// The padding bit: the packet ends in padding whose last octet counts it.
    pub padding: bool,
    /// The 5-bit field after it: report count (SR, RR), source count (SDES, BYE), feedback
    /// message type (RTPFB, PSFB) or subtype (APP).
    pub count: u8,
    /// The packet type (200-206 for the types above).
    pub packet_type: u8,
    /// The packet's length in 32-bit words minus one, header and padding included.
    pub length: u16,
}

impl Header {
    /// Bytes in the header.
    pub const LEN: usize = 4;

    /// Reads the header at the start of `input` (offsets in errors are within `input`):
    /// version 2 and four bytes at least, or an error.
    pub fn parse(input: &[u8]) -> Result<Header, Error> {
        let Some(&[first, packet_type, high, low]) = input.first_chunk::<4>() else {
            return Err(Error::rule(
                &RTCP_LENGTH,
                0,
                format!("{} bytes left, an RTCP header needs 4", input.len()),
            ));
        };
        let version = first >> 6;
        if version != 2 {
            return Err(Error::rule(
                &RTCP_VERSION,
                0,
                format!("version {version}, RTCP is version 2"),
            ));
        }
        Ok(Header {
            padding: first & 0x20 != 0,
            count: first & 0x1f,
            packet_type,
            length: u16::from_be_bytes([high, low]),
        })
    }

    /// The whole packet's size in bytes, header and padding included.
    pub fn packet_len(&self) -> usize {
        (usize::from(self.length) + 1) * 4
    }

    /// The header's four bytes (the count keeps its low 5 bits).
    pub fn to_bytes(&self) -> [u8; 4] {
        let [high, low] = self.length.to_be_bytes();
        [
            0x80 | u8::from(self.padding) << 5 | (self.count & 0x1f),
            self.packet_type,
            high,
            low,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_and_writes_its_fields() {
        // RFC 3550 §6.4.1's layout: V=2, P=1, RC=3, PT=200, length 12.
        let bytes = [0xa3, 200, 0, 12];
        let header = Header::parse(&bytes).unwrap();
        assert_eq!(
            header,
            Header {
                padding: true,
                count: 3,
                packet_type: SR,
                length: 12
            }
        );
        assert_eq!(header.packet_len(), 52);
        assert_eq!(header.to_bytes(), bytes);
    }

    #[test]
    fn short_input_and_other_versions_are_errors() {
        let e = Header::parse(&[0x80, 200, 0]).unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.length", 0));
        let e = Header::parse(&[0x40, 200, 0, 1]).unwrap_err();
        assert_eq!(e.rule_id(), "rtp.rtcp.version");
        assert_eq!(e.detail, "version 1, RTCP is version 2");
    }
}
