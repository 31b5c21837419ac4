//! The MPEG-1 system packet header (ISO/IEC 11172-1 §2.4.3.3), which FFmpeg's `-f mpeg` and
//! older equipment write inside program streams: after `packet_length`, up to 16 stuffing
//! bytes 0xFF, an optional STD buffer field ('01', 2 bytes), then a PTS ('0010', 5 bytes), a
//! PTS and a DTS ('0011' then '0001', 10 bytes) or '0000 1111' (no time stamp). It never
//! begins with '10', which is how an MPEG-2 PES header (13818-1 §2.4.3.7) is told from it.

use weir_mpegts::pes::{FIXED_LEN, read_timestamp};

/// Stuffing bytes 11172-1 allows before the rest of the header.
const MAX_STUFFING: usize = 16;

/// An MPEG-1 packet header, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mpeg1Header {
    /// 33-bit presentation time stamp.
    pub pts: Option<u64>,
    /// 33-bit decoding time stamp (only with a PTS).
    pub dts: Option<u64>,
    /// Bytes from the packet start code to the payload.
    pub header_len: usize,
}

impl Mpeg1Header {
    /// Whether `packet` (from its start code) has an MPEG-1 header rather than an MPEG-2
    /// one: its first byte after `packet_length` does not begin with '10'.
    pub fn is_mpeg1(packet: &[u8]) -> bool {
        packet.get(FIXED_LEN).is_some_and(|b| b & 0xc0 != 0x80)
    }

    /// Reads the header of `packet` (from its start code); `None` when it is not a whole,
    /// well-formed MPEG-1 header (wrong prefixes or markers, too many stuffing bytes).
    pub fn parse(packet: &[u8]) -> Option<Mpeg1Header> {
        let mut at = FIXED_LEN;
        let stuffing = packet[at.min(packet.len())..]
            .iter()
            .take_while(|&&b| b == 0xff)
            .count();
        if stuffing > MAX_STUFFING {
            return None;
        }
        at += stuffing;
        if *packet.get(at)? >> 6 == 0b01 {
            at += 2; // STD_buffer_scale and STD_buffer_size
        }
        let timestamp = |at: usize, prefix: u8| {
            let field: &[u8; 5] = packet.get(at..at + 5)?.try_into().ok()?;
            let (value, ok) = read_timestamp(field, prefix);
            ok.then_some(value)
        };
        let (pts, dts, len) = match *packet.get(at)? >> 4 {
            0b0010 => (Some(timestamp(at, 0b0010)?), None, 5),
            0b0011 => (
                Some(timestamp(at, 0b0011)?),
                Some(timestamp(at + 5, 0b0001)?),
                10,
            ),
            _ if packet[at] == 0x0f => (None, None, 1),
            _ => return None,
        };
        Some(Mpeg1Header {
            pts,
            dts,
            header_len: at + len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffing_std_buffer_and_both_time_stamps_are_read() {
        // 00 00 01 E0, length, two stuffing bytes, STD buffer, PTS 90000 and DTS 86400.
        let mut p = vec![0, 0, 1, 0xe0, 0, 20, 0xff, 0xff, 0x60, 0x2e];
        weir_mpegts::pes::write_timestamp(0b0011, 90_000, &mut p);
        weir_mpegts::pes::write_timestamp(0b0001, 86_400, &mut p);
        p.extend_from_slice(b"payload");
        assert!(Mpeg1Header::is_mpeg1(&p));
        let h = Mpeg1Header::parse(&p).unwrap();
        assert_eq!(
            (h.pts, h.dts, h.header_len),
            (Some(90_000), Some(86_400), 20)
        );
        assert_eq!(&p[h.header_len..], b"payload");
    }

    #[test]
    fn no_time_stamp_is_one_byte_and_bad_prefixes_are_refused() {
        let p = [0, 0, 1, 0xc0, 0, 3, 0x0f, 1, 2];
        let h = Mpeg1Header::parse(&p).unwrap();
        assert_eq!((h.pts, h.header_len), (None, 7));
        assert_eq!(Mpeg1Header::parse(&[0, 0, 1, 0xc0, 0, 3, 0x05, 1, 2]), None);
        assert_eq!(Mpeg1Header::parse(&[0, 0, 1, 0xc0, 0, 1, 0x21]), None);
        let mut stuffed = vec![0, 0, 1, 0xc0, 0, 20];
        stuffed.extend_from_slice(&[0xff; 17]);
        stuffed.push(0x0f);
        assert_eq!(Mpeg1Header::parse(&stuffed), None);
        // An MPEG-2 header ('10' first) is not MPEG-1.
        assert!(!Mpeg1Header::is_mpeg1(&[
            0, 0, 1, 0xe0, 0, 8, 0x80, 0x80, 5
        ]));
    }
}
