//! MPEG-PS over RTP as GB28181 carries it (GB/T 28181-2016 Annex C; -2022 Annex C): the PS
//! bytes of one frame (a pack header, system header and map before keyframes, then PES
//! packets) are cut into packets of one timestamp, the marker bit on the last. A frame's
//! bytes are handed on whole as multiplex bytes for the PS demuxer.

use super::{Damaged, Depacketize, Grouping, Packetize, Payload, Received, Unit, Units};
use crate::RtpPacket;
use crate::rules::PS_START;
use weir_media::Error;

/// Both directions.
#[derive(Debug, Default)]
pub struct Ps {
    data: Vec<u8>,
}

/// Whether `payload` begins with an MPEG-PS start code: a pack header (0xBA), system header
/// (0xBB) or PES packet (stream ids 0xBC and up), ISO/IEC 13818-1 §2.5.3, §2.4.3.7.
fn starts_with_start_code(payload: &[u8]) -> bool {
    matches!(payload, [0, 0, 1, id, ..] if *id >= 0xba)
}

impl Depacketize for Ps {
    fn grouping(&self) -> Grouping {
        Grouping::Frame
    }

    fn starts_frame(&self, packet: &RtpPacket) -> bool {
        starts_with_start_code(&packet.payload)
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        if !starts_with_start_code(&first.packet.payload) {
            units.violation(
                &PS_START,
                first,
                format!(
                    "the frame's first payload begins {:02x?}",
                    &first.packet.payload[..first.packet.payload.len().min(4)]
                ),
            );
        }
        self.data.clear();
        for r in group {
            self.data.extend_from_slice(&r.packet.payload);
        }
        if !self.data.is_empty() {
            units
                .units
                .push(Unit::Mux(std::mem::take(&mut self.data).into()));
        }
        Ok(())
    }
}

impl Packetize for Ps {
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        let Unit::Mux(bytes) = unit else {
            return Err(super::wrong_unit("PS", unit));
        };
        let first = out.len();
        super::cut(bytes, max_payload, out);
        if let Some(last) = out[first..].last_mut() {
            last.marker = true;
        }
        Ok(())
    }
}
