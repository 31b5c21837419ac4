//! Transport packets (13818-1 §2.4.3.2-§2.4.3.3): the 4-byte header, the adaptation field and
//! the payload of one 188-byte packet, and the packet sizes found on the wire.

use crate::adaptation::AdaptationField;
use weir_media::Violation;

/// Bytes in a transport packet.
pub const PACKET_LEN: usize = 188;
/// The first byte of every packet.
pub const SYNC_BYTE: u8 = 0x47;
/// PID 0x0000: the program association table.
pub const PAT_PID: u16 = 0x0000;
/// PID 0x1FFF: null packets, stuffing for constant bit rate (§2.4.3.3, Table 2-3).
pub const NULL_PID: u16 = 0x1fff;

/// How far apart packets sit on the wire: plain TS, or the 192-byte packets of BDAV/M2TS
/// (a 4-byte arrival timestamp before each packet) and the 204-byte packets of DVB-ASI with
/// 16 Reed-Solomon parity bytes after each packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketSize {
    /// Plain 188-byte transport packets.
    Ts188,
    /// 192 bytes: a 4-byte arrival timestamp, then the packet (BDAV/M2TS).
    M2ts192,
    /// 204 bytes: the packet, then 16 Reed-Solomon parity bytes (DVB-ASI).
    Rs204,
}

impl PacketSize {
    /// In the order a demuxer tries them.
    pub const ALL: [PacketSize; 3] = [PacketSize::Ts188, PacketSize::M2ts192, PacketSize::Rs204];

    /// The distance from one sync byte to the next.
    pub const fn stride(self) -> usize {
        match self {
            PacketSize::Ts188 => 188,
            PacketSize::M2ts192 => 192,
            PacketSize::Rs204 => 204,
        }
    }

    /// Bytes before the sync byte that belong to the packet (the M2TS timestamp).
    pub const fn prefix(self) -> usize {
        match self {
            PacketSize::M2ts192 => 4,
            _ => 0,
        }
    }
}

/// The 4-byte packet header (§2.4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketHeader {
    /// `transport_error_indicator`: the packet has an uncorrectable bit error.
    pub transport_error: bool,
    /// A PES packet or PSI section starts in this payload.
    pub payload_unit_start: bool,
    /// `transport_priority`: this packet has priority over others of its PID.
    pub transport_priority: bool,
    /// 13 bits.
    pub pid: u16,
    /// `transport_scrambling_control` (2 bits); 0 is not scrambled.
    pub scrambling: u8,
    /// `adaptation_field_control` bit 1: an adaptation field follows the header.
    pub has_adaptation: bool,
    /// `adaptation_field_control` bit 0: a payload follows.
    pub has_payload: bool,
    /// 4 bits.
    pub continuity_counter: u8,
}

impl PacketHeader {
    /// Reads the header from the first 4 bytes of a packet (the sync byte is not checked).
    pub fn parse(b: [u8; 4]) -> Self {
        PacketHeader {
            transport_error: b[1] & 0x80 != 0,
            payload_unit_start: b[1] & 0x40 != 0,
            transport_priority: b[1] & 0x20 != 0,
            pid: u16::from_be_bytes([b[1] & 0x1f, b[2]]),
            scrambling: b[3] >> 6,
            has_adaptation: b[3] & 0x20 != 0,
            has_payload: b[3] & 0x10 != 0,
            continuity_counter: b[3] & 0x0f,
        }
    }

    /// The 4 header bytes, sync byte first; fields are masked to their widths.
    pub fn to_bytes(&self) -> [u8; 4] {
        let pid = self.pid.to_be_bytes();
        [
            SYNC_BYTE,
            u8::from(self.transport_error) << 7
                | u8::from(self.payload_unit_start) << 6
                | u8::from(self.transport_priority) << 5
                | (pid[0] & 0x1f),
            pid[1],
            (self.scrambling & 3) << 6
                | u8::from(self.has_adaptation) << 5
                | u8::from(self.has_payload) << 4
                | (self.continuity_counter & 0x0f),
        ]
    }
}

/// One packet, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The 4-byte header.
    pub header: PacketHeader,
    /// The adaptation field, when `adaptation_field_control` announces one.
    pub adaptation: Option<AdaptationField>,
    /// The payload bytes after header and adaptation field (empty when there is none).
    pub payload: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Reads a packet. An adaptation field that overruns the packet is an error; one of a
    /// wrong but readable length is returned with a violation. Offsets count from the sync byte.
    pub fn parse(data: &'a [u8; PACKET_LEN]) -> Result<(Self, Option<Violation>), Violation> {
        let header = PacketHeader::parse([data[0], data[1], data[2], data[3]]);
        let rest = &data[4..];
        let (adaptation, payload, warning) = if header.has_adaptation {
            let (field, len, warning) =
                AdaptationField::parse(rest, header.has_payload).map_err(|mut v| {
                    v.offset += 4;
                    v
                })?;
            (Some(field), &rest[len..], warning)
        } else {
            (None, rest, None)
        };
        let payload = if header.has_payload { payload } else { &[] };
        let warning = warning.map(|mut v| {
            v.offset += 4;
            v
        });
        Ok((
            Packet {
                header,
                adaptation,
                payload,
            },
            warning,
        ))
    }
}

/// Appends one packet carrying as much of `payload` as fits after the header and `adaptation`
/// (stuffing the adaptation field when the payload is short); returns the payload bytes used.
/// `header.has_adaptation`/`has_payload` are set from what is written.
pub fn write_packet(
    out: &mut Vec<u8>,
    mut header: PacketHeader,
    adaptation: Option<&AdaptationField>,
    payload: &[u8],
) -> usize {
    let room = PACKET_LEN - 4;
    let field_len = adaptation
        .filter(|a| !a.is_empty())
        .map_or(0, |a| a.min_len());
    let used = payload.len().min(room - field_len);
    let stuffed_len = room - used; // adaptation field bytes, stuffing included
    header.has_adaptation = stuffed_len > 0;
    header.has_payload = used > 0;
    out.extend_from_slice(&header.to_bytes());
    if stuffed_len > 0 {
        adaptation
            .copied()
            .unwrap_or_default()
            .write(stuffed_len, out);
    }
    out.extend_from_slice(&payload[..used]);
    used
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adaptation::Pcr;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn written_packets_read_back(pid in 0u16..0x1fff, cc in 0u8..16, pusi: bool,
                                     ra: bool, pcr in proptest::option::of(0u64..1 << 33),
                                     payload in proptest::collection::vec(any::<u8>(), 0..300)) {
            let header = PacketHeader { pid, continuity_counter: cc, payload_unit_start: pusi, ..Default::default() };
            let field = AdaptationField { random_access: ra, pcr: pcr.map(|base| Pcr { base, extension: 0 }), ..Default::default() };
            let mut out = Vec::new();
            let used = write_packet(&mut out, header, Some(&field), &payload);
            prop_assert_eq!(out.len(), PACKET_LEN);
            let (packet, warning) = Packet::parse(out.as_slice().try_into().unwrap()).unwrap();
            prop_assert!(warning.is_none());
            prop_assert_eq!(packet.payload, &payload[..used]);
            prop_assert_eq!(packet.header.pid, pid);
            prop_assert_eq!(packet.header.continuity_counter, cc);
            prop_assert_eq!(packet.header.payload_unit_start, pusi);
            prop_assert_eq!(packet.adaptation.unwrap_or_default(), field);
        }
    }

    #[test]
    fn single_stuffing_byte_is_an_empty_adaptation_field() {
        let mut out = Vec::new();
        let used = write_packet(&mut out, PacketHeader::default(), None, &[7; 183]);
        assert_eq!(used, 183);
        assert_eq!(out[3] & 0x30, 0x30);
        assert_eq!(out[4], 0);
    }
}
