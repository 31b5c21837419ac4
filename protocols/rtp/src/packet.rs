//! The RTP fixed header, its CSRC list, header extension and padding (RFC 3550 §5.1, §5.3.1),
//! checked as RFC 3550 Appendix A.1 says a receiver validates a packet.

use crate::rules::{CSRC_COUNT, EXTENSION_LENGTH, HEADER_LENGTH, PADDING, VERSION};
use bytes::{BufMut, Bytes};
use weir_media::{Error, Reader};

/// The length of the fixed header.
pub const FIXED_HEADER_LEN: usize = 12;

/// A header extension as the fixed header frames it (RFC 3550 §5.3.1): a 16-bit profile value
/// and its data, a whole number of 32-bit words. RFC 8285's elements are read from it by
/// [`crate::extension`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderExtension {
    /// The profile-defined 16 bits (0xBEDE for RFC 8285's one-byte form, 0x100x for two-byte).
    pub profile: u16,
    /// The extension's data, without its 4-byte header; a multiple of 4 bytes long.
    pub data: Bytes,
}

/// One RTP packet (RFC 3550 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    /// M: profile-defined; for video, the last packet of a frame.
    pub marker: bool,
    /// PT, 7 bits.
    pub payload_type: u8,
    /// Sequence number: +1 per packet, from a random start.
    pub sequence: u16,
    /// The sampling instant of the payload's first octet, on the payload format's clock.
    pub timestamp: u32,
    /// The synchronization source.
    pub ssrc: u32,
    /// Contributing sources (at most 15).
    pub csrcs: Vec<u32>,
    /// The header extension, if the X bit is set.
    pub extension: Option<HeaderExtension>,
    /// The payload, padding removed.
    pub payload: Bytes,
    /// Padding octets after the payload, the count octet included (0: the P bit is clear).
    pub padding: u8,
}

/// What the fixed header of an RTP packet says, read without parsing or copying it: for
/// routing and sniffing, where most packets need no more (a demultiplexer picks a session by
/// SSRC, a sniffer looks at the payload's first bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peek {
    /// The payload type (7 bits).
    pub payload_type: u8,
    /// The sequence number.
    pub sequence: u16,
    /// The synchronization source.
    pub ssrc: u32,
}

impl Peek {
    /// The fixed header of an RTP packet, version 2 and not RTCP (RFC 5761 §4), from its first
    /// bytes; `None` when they are not one or fewer than 12.
    pub fn of(data: &[u8]) -> Option<Peek> {
        let header = data.get(..FIXED_HEADER_LEN)?;
        if header[0] >> 6 != 2 || crate::rtcp::is_rtcp(data) {
            return None;
        }
        Some(Peek {
            payload_type: header[1] & 0x7f,
            sequence: u16::from_be_bytes([header[2], header[3]]),
            ssrc: u32::from_be_bytes([header[8], header[9], header[10], header[11]]),
        })
    }

    /// Where the payload of the packet `data` begins: after the fixed header, the CSRCs and
    /// the extension (RFC 3550 §5.1, §5.3.1); `None` while `data` is too short to say (it may
    /// be a prefix: the offset may lie past its end).
    pub fn payload_offset(data: &[u8]) -> Option<usize> {
        let first = *data.first()?;
        let mut offset = FIXED_HEADER_LEN + 4 * usize::from(first & 0x0f);
        if first & 0x10 != 0 {
            let words = data.get(offset + 2..offset + 4)?;
            offset += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
        }
        Some(offset)
    }
}

impl RtpPacket {
    /// Reads one packet from a whole datagram (or an RFC 4571 frame), validating it as RFC 3550
    /// A.1 says: version 2, the CSRC list, the extension and the padding within the packet. The
    /// payload is a view of `data`, not a copy.
    pub fn parse(data: &Bytes) -> Result<RtpPacket, Error> {
        Self::read(data, true)
    }

    /// Reads the clear header of an SRTP packet (RFC 3711 §3.1): the padding is encrypted with
    /// the payload and the authentication tag ends the packet, so the P bit's count cannot be
    /// read and is not; the payload is the ciphertext and the tag.
    pub fn parse_srtp(data: &Bytes) -> Result<RtpPacket, Error> {
        Self::read(data, false)
    }

    fn read(data: &Bytes, padding_in_clear: bool) -> Result<RtpPacket, Error> {
        let mut r = Reader::of(data, &HEADER_LENGTH);
        let first = r.u8("V/P/X/CC")?;
        let version = first >> 6;
        if version != 2 {
            return Err(Error::rule(
                &VERSION,
                0,
                format!("version {version}, where RTP is version 2"),
            ));
        }
        let has_padding = padding_in_clear && first & 0x20 != 0;
        let has_extension = first & 0x10 != 0;
        let csrc_count = usize::from(first & 0x0f);
        let second = r.u8("M/PT")?;
        let sequence = r.u16("sequence number")?;
        let timestamp = r.u32("timestamp")?;
        let ssrc = r.u32("SSRC")?;
        // Most packets have no CSRC: no list is built for them (the benchmark's parse case).
        let csrcs = match csrc_count {
            0 => Vec::new(),
            n => r.with_rule(&CSRC_COUNT, |r| {
                (0..n)
                    .map(|_| r.u32("CSRC list"))
                    .collect::<Result<Vec<_>, _>>()
            })?,
        };
        let extension = match has_extension {
            false => None,
            true => Some(r.with_rule(&EXTENSION_LENGTH, |r| {
                let profile = r.u16("extension profile")?;
                let words = usize::from(r.u16("extension length")?);
                let data = r.view(4 * words, "header extension")?;
                Ok::<_, Error>(HeaderExtension { profile, data })
            })?),
        };
        let start = r.position();
        let mut end = data.len();
        let mut padding = 0;
        if has_padding {
            padding = data[end - 1];
            if padding == 0 || usize::from(padding) > end - start {
                return Err(Error::rule(
                    &PADDING,
                    (end - 1) as u64,
                    format!(
                        "a padding count of {padding} where {} bytes follow the header",
                        end - start
                    ),
                ));
            }
            end -= usize::from(padding);
        }
        Ok(RtpPacket {
            marker: second & 0x80 != 0,
            payload_type: second & 0x7f,
            sequence,
            timestamp,
            ssrc,
            csrcs,
            extension,
            payload: data.slice(start..end),
            padding,
        })
    }

    /// The header's length: fixed part, CSRCs and extension.
    pub fn header_len(&self) -> usize {
        FIXED_HEADER_LEN
            + 4 * self.csrcs.len()
            + self.extension.as_ref().map_or(0, |e| 4 + e.data.len())
    }

    /// The packet's length on the wire.
    pub fn len(&self) -> usize {
        self.header_len() + self.payload.len() + usize::from(self.padding)
    }

    /// Whether the packet has no payload (a keep-alive, or padding only).
    pub fn is_empty(&self) -> bool {
        self.payload.is_empty()
    }

    /// Writes the packet. Fails, writing nothing, for what the header cannot say: more than 15
    /// CSRCs, a payload type over 127, or an extension that is not whole 32-bit words or is
    /// longer than 2^16 - 1 words.
    pub fn write(&self, out: &mut impl BufMut) -> Result<(), Error> {
        let fail =
            |detail: String| Err(Error::usage(format!("an RTP header cannot carry {detail}")));
        if self.csrcs.len() > 15 {
            return fail(format!("{} CSRCs", self.csrcs.len()));
        }
        if self.payload_type > 0x7f {
            return fail(format!("payload type {}", self.payload_type));
        }
        if let Some(e) = &self.extension
            && (e.data.len() % 4 != 0 || e.data.len() / 4 > usize::from(u16::MAX))
        {
            return fail(format!("a {}-byte extension", e.data.len()));
        }
        let first = 0x80
            | u8::from(self.padding > 0) << 5
            | u8::from(self.extension.is_some()) << 4
            | self.csrcs.len() as u8;
        out.put_u8(first);
        out.put_u8(u8::from(self.marker) << 7 | self.payload_type);
        out.put_u16(self.sequence);
        out.put_u32(self.timestamp);
        out.put_u32(self.ssrc);
        for csrc in &self.csrcs {
            out.put_u32(*csrc);
        }
        if let Some(e) = &self.extension {
            out.put_u16(e.profile);
            out.put_u16((e.data.len() / 4) as u16);
            out.put_slice(&e.data);
        }
        out.put_slice(&self.payload);
        if self.padding > 0 {
            out.put_bytes(0, usize::from(self.padding) - 1);
            out.put_u8(self.padding);
        }
        Ok(())
    }

    /// The packet's bytes.
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        let mut out = Vec::with_capacity(self.len());
        self.write(&mut out)?;
        Ok(out.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // What the harness's own RTP header reader checked, before weir-rtp replaced it.

    fn datagram(
        first: u8,
        csrcs: usize,
        ext_words: Option<u16>,
        payload: &[u8],
        pad: u8,
    ) -> Vec<u8> {
        let mut p = vec![first, 0x80 | 33, 0x12, 0x34, 0, 0, 0, 9, 1, 2, 3, 4];
        p.extend(std::iter::repeat_n(0xcc, 4 * csrcs));
        if let Some(words) = ext_words {
            p.extend_from_slice(&[0xbe, 0xde]);
            p.extend_from_slice(&words.to_be_bytes());
            p.extend(std::iter::repeat_n(0xee, 4 * usize::from(words)));
        }
        p.extend_from_slice(payload);
        if pad > 0 {
            p.extend(std::iter::repeat_n(0, usize::from(pad) - 1));
            p.push(pad);
        }
        p
    }

    #[test]
    fn a_peek_reads_what_a_parse_reads_of_the_header_and_payload_start() {
        for (csrcs, ext) in [(0, None), (2, None), (0, Some(3)), (15, Some(1))] {
            let d = datagram(
                0x80 | (0x10 * u8::from(ext.is_some())) | csrcs as u8,
                csrcs,
                ext,
                b"pl",
                0,
            );
            let parsed = RtpPacket::parse(&Bytes::from(d.clone())).unwrap();
            let peek = Peek::of(&d).unwrap();
            assert_eq!(
                (peek.payload_type, peek.ssrc),
                (parsed.payload_type, parsed.ssrc)
            );
            assert_eq!(Peek::payload_offset(&d), Some(parsed.header_len()));
            // A prefix that ends before the extension's length says nothing yet.
            if ext.is_some() {
                assert_eq!(Peek::payload_offset(&d[..12 + 4 * csrcs + 1]), None);
            }
        }
        // RTCP, version 1 and a short datagram are no RTP header.
        assert_eq!(Peek::of(&[0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Peek::of(&[0x40, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Peek::of(&[0x80, 96, 0, 1]), None);
    }

    #[test]
    fn strips_csrcs_extension_and_padding() {
        let p = datagram(0x80 | 0x20 | 0x10 | 2, 2, Some(1), b"\x47ts", 4);
        let h = RtpPacket::parse(&Bytes::from(p.clone())).unwrap();
        assert_eq!(&h.payload[..], b"\x47ts");
        assert_eq!((h.payload_type, h.sequence, h.timestamp), (33, 0x1234, 9));
        assert_eq!((h.marker, h.ssrc), (true, 0x0102_0304));
    }

    /// The rule-table check of the header rules: each refusal names the rule it breaks.
    #[test]
    fn refuses_what_does_not_fit_by_the_rule_it_breaks() {
        let rule = |d: &[u8]| {
            vec![
                RtpPacket::parse(&Bytes::copy_from_slice(d))
                    .unwrap_err()
                    .rule_id(),
            ]
        };
        // An extension header cut short, or longer than the datagram.
        let mut long = datagram(0x90, 0, Some(0), b"", 0);
        long[14..16].copy_from_slice(&100u16.to_be_bytes());
        // Padding longer than the packet, or of count 0.
        let mut over = datagram(0xa0, 0, None, b"abc", 0);
        *over.last_mut().unwrap() = 200;
        let mut zero = over.clone();
        *zero.last_mut().unwrap() = 0;
        let table = vec![
            ("rtp.header.length", rule(&[0x80; 11])),
            (
                "rtp.header.version",
                rule(&datagram(0x40, 0, None, b"x", 0)),
            ),
            // Four CSRCs announced, none there.
            (
                "rtp.header.csrc-count",
                rule(&datagram(0x84, 0, None, b"", 0)),
            ),
            (
                "rtp.header.extension-length",
                rule(&datagram(0x90, 0, None, b"\xbe", 0)),
            ),
            ("rtp.header.extension-length", rule(&long)),
            ("rtp.header.padding", rule(&over)),
            ("rtp.header.padding", rule(&zero)),
        ];
        let header = weir_testkit::rule_table::area(crate::rules::CATALOG, &["rtp.header."]);
        weir_testkit::rule_table::check(&header, &table);
    }

    #[test]
    fn any_bytes_parse_or_fail_without_panic() {
        for len in 0..40 {
            for seed in 0..64u8 {
                let bytes: Vec<u8> = (0..len)
                    .map(|i| {
                        seed.wrapping_mul(31)
                            .wrapping_add((i as u8).wrapping_mul(7))
                    })
                    .collect();
                if let Ok(h) = RtpPacket::parse(&Bytes::copy_from_slice(&bytes)) {
                    assert!(h.header_len() + h.payload.len() <= len);
                }
            }
        }
    }

    #[test]
    fn an_srtp_packet_keeps_its_p_bit_unread() {
        // P set, and a last byte (part of the authentication tag) that no padding count allows.
        let mut bytes = vec![0xa0, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        bytes.extend([9, 9, 9, 200]);
        let bytes = Bytes::from(bytes);
        assert_eq!(
            RtpPacket::parse(&bytes).unwrap_err().rule_id(),
            "rtp.header.padding"
        );
        let srtp = RtpPacket::parse_srtp(&bytes).unwrap();
        assert_eq!((&srtp.payload[..], srtp.padding), (&[9, 9, 9, 200][..], 0));
    }

    fn packet() -> RtpPacket {
        RtpPacket {
            marker: true,
            payload_type: 96,
            sequence: 0xfffe,
            timestamp: 0x1234_5678,
            ssrc: 0xdead_beef,
            csrcs: vec![1, 2],
            extension: Some(HeaderExtension {
                profile: 0xbede,
                data: Bytes::from_static(&[0x10, 0xaa, 0, 0]),
            }),
            payload: Bytes::from_static(b"payload"),
            padding: 3,
        }
    }

    #[test]
    fn writes_and_reads_back_every_header_field() {
        let p = packet();
        let bytes = p.to_bytes().unwrap();
        assert_eq!(bytes.len(), p.len());
        assert_eq!(bytes[0], 0x80 | 0x20 | 0x10 | 2);
        assert_eq!(bytes[1], 0x80 | 96);
        assert_eq!(RtpPacket::parse(&bytes).unwrap(), p);
    }

    #[test]
    fn a_bare_header_is_a_packet_with_an_empty_payload() {
        let bytes = Bytes::from_static(&[0x80, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
        let p = RtpPacket::parse(&bytes).unwrap();
        assert!(p.is_empty());
        assert_eq!((p.sequence, p.timestamp, p.ssrc), (1, 2, 3));
    }

    #[test]
    fn what_the_header_cannot_say_is_not_written() {
        let mut p = packet();
        p.csrcs = vec![0; 16];
        assert!(p.to_bytes().is_err());
        let mut p = packet();
        p.extension.as_mut().unwrap().data = Bytes::from_static(&[1, 2, 3]);
        assert!(p.to_bytes().is_err());
        let mut p = packet();
        p.payload_type = 128;
        assert!(p.to_bytes().is_err());
    }
}
