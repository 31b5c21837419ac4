//! MPEG-TS over RTP (RFC 2250 §2): each payload is a whole number of 188-byte transport stream
//! packets, handed on as multiplex bytes for the TS demuxer; static payload type 33, 90 kHz.

use super::{Damaged, Depacketize, Grouping, Packetize, Payload, Received, Unit, Units};
use crate::rules::MP2T_PACKETS;
use weir_media::Error;

/// The size of a transport stream packet (ISO/IEC 13818-1 §2.4.3.2).
const TS_PACKET: usize = 188;

/// Both directions.
#[derive(Debug, Default)]
pub struct Mp2t;

impl Depacketize for Mp2t {
    fn grouping(&self) -> Grouping {
        Grouping::Packet
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        for r in group {
            let data = &r.packet.payload;
            if data.len() % TS_PACKET != 0 || data.chunks(TS_PACKET).any(|p| p[0] != 0x47) {
                let detail = format!(
                    "a {}-byte payload is not whole 188-byte TS packets each starting 0x47",
                    data.len()
                );
                units.violation(&MP2T_PACKETS, r, detail.clone());
                return Err(Damaged(detail));
            }
            if !data.is_empty() {
                units.units.push(Unit::Mux(data.clone()));
            }
        }
        Ok(())
    }
}

impl Packetize for Mp2t {
    /// As many whole TS packets per payload as fit (7 in a 1500-byte MTU).
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        let Unit::Mux(bytes) = unit else {
            return Err(super::wrong_unit("MP2T", unit));
        };
        if bytes.len() % TS_PACKET != 0 {
            return Err(Error::usage(format!(
                "{} bytes are not whole TS packets",
                bytes.len()
            )));
        }
        let per = max_payload / TS_PACKET * TS_PACKET;
        if per == 0 {
            return Err(Error::usage(format!(
                "a {max_payload}-byte payload holds no TS packet"
            )));
        }
        super::cut(bytes, per, out);
        Ok(())
    }
}
