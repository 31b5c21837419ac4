//! The RTP fixed header (RFC 3550 §5.1), as far as the harness needs it to reach a payload:
//! version, padding, extension, CSRC count, payload type, sequence number, timestamp, SSRC.
//! Parsing checks every length against the datagram and never panics.

use std::ops::Range;

/// The fixed header's 12 bytes (RFC 3550 §5.1).
const FIXED: usize = 12;

/// RTP payload type 33: MPEG-2 transport stream (RFC 3551 §6, RFC 2250 §2).
pub const PAYLOAD_TYPE_MP2T: u8 = 33;

/// What one RTP packet's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Where the payload lies in the datagram: after the CSRCs and the extension, before
    /// the padding.
    pub payload: Range<usize>,
}

impl RtpHeader {
    /// Reads the header of one datagram; `Err` says why it is no RTP packet.
    pub fn parse(datagram: &[u8]) -> Result<RtpHeader, String> {
        if datagram.len() < FIXED {
            return Err(format!(
                "{} bytes, shorter than the 12-byte RTP header",
                datagram.len()
            ));
        }
        let version = datagram[0] >> 6;
        if version != 2 {
            return Err(format!("RTP version {version}, not 2"));
        }
        let padding = datagram[0] & 0x20 != 0;
        let extension = datagram[0] & 0x10 != 0;
        let csrcs = usize::from(datagram[0] & 0x0f);
        let mut start = FIXED + 4 * csrcs;
        if extension {
            // The extension header: 16 bits profile-defined, 16 bits length in 32-bit words
            // (RFC 3550 §5.3.1).
            let words = datagram
                .get(start + 2..start + 4)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                .ok_or("the header extension is cut short")?;
            start += 4 + 4 * words;
        }
        let mut end = datagram.len();
        if padding {
            // The last byte counts the padding bytes, itself included (RFC 3550 §5.1).
            let count = usize::from(datagram[end - 1]);
            if count == 0 {
                return Err("the padding bit is set but the padding count is 0".into());
            }
            end = end.saturating_sub(count);
        }
        if start > end {
            return Err(format!(
                "the header, CSRCs, extension and padding take {} bytes of a {}-byte datagram",
                start + (datagram.len() - end),
                datagram.len()
            ));
        }
        Ok(RtpHeader {
            marker: datagram[1] & 0x80 != 0,
            payload_type: datagram[1] & 0x7f,
            sequence: u16::from_be_bytes([datagram[2], datagram[3]]),
            timestamp: u32::from_be_bytes([datagram[4], datagram[5], datagram[6], datagram[7]]),
            ssrc: u32::from_be_bytes([datagram[8], datagram[9], datagram[10], datagram[11]]),
            payload: start..end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(first: u8, csrcs: usize, ext_words: Option<u16>, payload: &[u8], pad: u8) -> Vec<u8> {
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
    fn strips_csrcs_extension_and_padding() {
        let p = packet(0x80 | 0x20 | 0x10 | 2, 2, Some(1), b"\x47ts", 4);
        let h = RtpHeader::parse(&p).unwrap();
        assert_eq!(&p[h.payload.clone()], b"\x47ts");
        assert_eq!((h.payload_type, h.sequence, h.timestamp), (33, 0x1234, 9));
        assert_eq!((h.marker, h.ssrc), (true, 0x0102_0304));
    }

    #[test]
    fn refuses_what_does_not_fit() {
        assert!(RtpHeader::parse(&[0x80; 11]).is_err());
        assert!(RtpHeader::parse(&packet(0x40, 0, None, b"x", 0)).is_err());
        // Four CSRCs announced, none there.
        assert!(RtpHeader::parse(&packet(0x84, 0, None, b"", 0)).is_err());
        // An extension header cut short, or longer than the datagram.
        assert!(RtpHeader::parse(&packet(0x90, 0, None, b"\xbe", 0)).is_err());
        let mut long = packet(0x90, 0, Some(0), b"", 0);
        long[14..16].copy_from_slice(&100u16.to_be_bytes());
        assert!(RtpHeader::parse(&long).is_err());
        // Padding longer than the packet, or of count 0.
        let mut p = packet(0xa0, 0, None, b"abc", 0);
        *p.last_mut().unwrap() = 200;
        assert!(RtpHeader::parse(&p).is_err());
        *p.last_mut().unwrap() = 0;
        assert!(RtpHeader::parse(&p).is_err());
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
                if let Ok(h) = RtpHeader::parse(&bytes) {
                    assert!(h.payload.start <= h.payload.end && h.payload.end <= len);
                }
            }
        }
    }
}
