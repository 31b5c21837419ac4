//! G.711 over RTP (RFC 3551 §4.5.14): PCMU and PCMA, one octet per sample at 8 kHz, static
//! payload types 0 and 8. A packet's samples are a frame; there is no configuration.

use super::{Clock, Damaged, Depacketize, Grouping, Packetize, Payload, Received, Unit, Units};
use weir_media::{Codec, Error};

/// Both directions of PCMU or PCMA.
#[derive(Debug)]
pub struct G711 {
    codec: Codec,
    clock: Clock,
}

impl G711 {
    /// A payload format for `codec` ([`Codec::Pcmu`] or [`Codec::Pcma`]).
    pub fn new(codec: Codec, clock: Clock) -> Self {
        G711 { codec, clock }
    }
}

impl Depacketize for G711 {
    fn grouping(&self) -> Grouping {
        Grouping::Packet
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        for r in group.iter().filter(|r| !r.packet.payload.is_empty()) {
            let time = self.clock.time(r.ticks);
            units.push(super::frame(
                self.codec,
                time,
                true,
                r.packet.payload.clone(),
            ));
        }
        Ok(())
    }
}

impl Packetize for G711 {
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        super::whole(self.codec.name(), unit, max_payload, out)
    }
}
