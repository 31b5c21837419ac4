//! AV1 over RTP (AOMedia "RTP Payload Format for AV1" v1.0.0): an aggregation header (§4.4)
//! and OBU elements (§4.3), OBUs fragmented across packets by its Z and Y bits. OBUs travel
//! without their size field; the depacketizer gives a temporal unit in the low-overhead
//! bitstream format (AV1 §5.2: every OBU with its size), without temporal delimiters, as
//! ISOBMFF and Enhanced RTMP carry AV1 samples. Its decoder configuration (`av1C`) is not
//! built here: the sequence header OBU arrives in-band with each keyframe.

use super::{Clock, Damaged, Depacketize, Grouping, Packetize, Payload, Received, Unit, Units};
use crate::RtpPacket;
use crate::rules::{AV1_FRAGMENT, AV1_OBU_ELEMENTS, AV1_OBU_HEADER, AV1_OBU_TYPE};
use weir_media::av1::{leb128, obu_type, split_obu};
use weir_media::{Codec, Error};

const SEQUENCE_HEADER: u8 = weir_media::av1::OBU_SEQUENCE_HEADER;
const TEMPORAL_DELIMITER: u8 = 2;
const FRAME_HEADER: u8 = 3;
const FRAME: u8 = 6;
const TILE_LIST: u8 = 8;
const PADDING: u8 = 15;

fn write_leb128(mut value: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn leb128_len(value: usize) -> usize {
    (usize::BITS - value.max(1).leading_zeros()).div_ceil(7) as usize
}

/// Both directions.
#[derive(Debug)]
pub struct Av1 {
    clock: Clock,
    /// The temporal unit being rebuilt, in the low-overhead format.
    data: Vec<u8>,
    /// An OBU element whose end is in a later packet.
    partial: Vec<u8>,
    /// The OBUs of a temporal unit being sent, without size fields.
    obus: Vec<Vec<u8>>,
}

impl Av1 {
    /// A payload format on `clock`.
    pub fn new(clock: Clock) -> Self {
        Av1 {
            clock,
            data: Vec::new(),
            partial: Vec::new(),
            obus: Vec::new(),
        }
    }

    /// A whole OBU element: written to the temporal unit with its size; `keyframe` is set by
    /// a sequence header.
    fn obu(&mut self, element: &[u8], r: &Received, units: &mut Units) -> Result<bool, Damaged> {
        let (obu, rest) = split_obu(element).map_err(|detail| {
            units.violation(&AV1_OBU_HEADER, r, detail.clone());
            Damaged(detail)
        })?;
        if !rest.is_empty() {
            units.violation(
                &AV1_OBU_HEADER,
                r,
                format!("{} bytes after the OBU its size field bounds", rest.len()),
            );
        }
        let h = obu.header[0];
        if h & 0x80 != 0 {
            let detail = format!("OBU header {h:#04x} has the forbidden bit set");
            units.violation(&AV1_OBU_HEADER, r, detail.clone());
            return Err(Damaged(detail));
        }
        let kind = obu_type(h);
        match kind {
            TEMPORAL_DELIMITER | TILE_LIST => {
                units.violation(&AV1_OBU_TYPE, r, format!("an OBU of type {kind}"));
                return Ok(false);
            }
            PADDING => return Ok(false),
            _ => {}
        }
        self.data.push(h | 0x02);
        self.data.extend_from_slice(&obu.header[1..]);
        write_leb128(obu.payload.len(), &mut self.data);
        self.data.extend_from_slice(obu.payload);
        Ok(kind == SEQUENCE_HEADER)
    }
}

/// A packet's aggregation header: Z, Y, W and N (§4.4).
fn aggregation(header: u8) -> (bool, bool, u8, bool) {
    (
        header & 0x80 != 0,
        header & 0x40 != 0,
        (header >> 4) & 0x03,
        header & 0x08 != 0,
    )
}

impl Depacketize for Av1 {
    fn grouping(&self) -> Grouping {
        Grouping::Frame
    }

    fn lost(&mut self) {
        self.partial.clear();
    }

    /// A packet whose first element begins a sequence header, frame header or frame OBU.
    fn starts_frame(&self, packet: &RtpPacket) -> bool {
        let p = &packet.payload;
        let Some(&h) = p.first() else { return false };
        let (z, _, w, _) = aggregation(h);
        let first = match w {
            1 => p.get(1),
            _ => leb128(&p[1..]).and_then(|(_, n)| p.get(1 + n)),
        };
        !z && first.is_some_and(|&o| matches!(obu_type(o), SEQUENCE_HEADER | FRAME_HEADER | FRAME))
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        self.data.clear();
        self.partial.clear();
        let mut keyframe = false;
        let mut continues = false;
        for (i, r) in group.iter().enumerate() {
            let p = &r.packet.payload;
            let Some((&h, mut rest)) = p.split_first() else {
                let detail = "an empty payload";
                units.violation(&AV1_OBU_ELEMENTS, r, detail);
                return Err(Damaged(detail.into()));
            };
            let (z, y, w, n) = aggregation(h);
            keyframe |= i == 0 && n;
            if z != continues {
                let detail = match z {
                    true => "Z is set, but no OBU continues from the packet before",
                    false => "the packet before set Y, but Z is clear",
                };
                units.violation(&AV1_FRAGMENT, r, detail);
                return Err(Damaged(detail.into()));
            }
            let mut index = 0;
            while !rest.is_empty() {
                index += 1;
                let last_by_count = w != 0 && index == usize::from(w);
                let element = if last_by_count {
                    std::mem::take(&mut rest)
                } else {
                    let Some((len, k)) = leb128(rest)
                        .and_then(|(len, k)| Some((usize::try_from(len).ok()?, k)))
                        .filter(|&(len, k)| rest.len() >= k + len)
                    else {
                        let detail = format!(
                            "an OBU element length that overruns the packet ({} bytes left)",
                            rest.len()
                        );
                        units.violation(&AV1_OBU_ELEMENTS, r, detail.clone());
                        return Err(Damaged(detail));
                    };
                    let element = &rest[k..k + len];
                    rest = &rest[k + len..];
                    element
                };
                let last = rest.is_empty();
                let continued = index == 1 && z;
                if !continued && !self.partial.is_empty() {
                    let detail = "an OBU fragment never finished";
                    units.violation(&AV1_FRAGMENT, r, detail);
                    return Err(Damaged(detail.into()));
                }
                self.partial.extend_from_slice(element);
                if !(last && y) {
                    let whole = std::mem::take(&mut self.partial);
                    keyframe |= self.obu(&whole, r, units)?;
                    self.partial = whole;
                    self.partial.clear();
                }
            }
            if w != 0 && index < usize::from(w) {
                let detail = format!("W announces {w} OBU elements; the packet holds {index}");
                units.violation(&AV1_OBU_ELEMENTS, r, detail.clone());
                return Err(Damaged(detail));
            }
            continues = y;
        }
        if continues {
            let detail = "the temporal unit ends inside a fragmented OBU (Y on its last packet)";
            let last = group.last().unwrap_or(first);
            units.violation(&AV1_FRAGMENT, last, detail);
            return Err(Damaged(detail.into()));
        }
        if self.data.is_empty() {
            return Ok(());
        }
        let time = self.clock.time(first.ticks);
        let data = std::mem::take(&mut self.data).into();
        units.push(super::frame(Codec::Av1, time, keyframe, data));
        Ok(())
    }
}

impl Packetize for Av1 {
    /// A temporal unit (low-overhead format) as OBU elements without size fields, each with
    /// a length (W = 0), fragmented where a packet is full; temporal delimiters, tile lists
    /// and padding are left out (§5). N is set on a keyframe that carries a sequence header.
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        let Some(f) = super::frame_of("AV1", unit)? else {
            return Ok(());
        };
        if max_payload < 3 {
            return Err(Error::usage(format!(
                "a {max_payload}-byte payload holds no AV1 data"
            )));
        }
        self.obus.clear();
        let mut rest = &f.data[..];
        while !rest.is_empty() {
            let (obu, after) = split_obu(rest).map_err(Error::usage)?;
            rest = after;
            if matches!(
                obu_type(obu.header[0]),
                TEMPORAL_DELIMITER | TILE_LIST | PADDING
            ) {
                continue;
            }
            let mut o = vec![obu.header[0] & !0x02];
            o.extend_from_slice(&obu.header[1..]);
            o.extend_from_slice(obu.payload);
            self.obus.push(o);
        }
        let n = f.keyframe && self.obus.iter().any(|o| obu_type(o[0]) == SEQUENCE_HEADER);
        let start = out.len();
        let mut packet = vec![if n { 0x08 } else { 0 }];
        for o in &self.obus {
            let mut at = 0;
            while at < o.len() {
                let room = max_payload - packet.len();
                let len = (o.len() - at).min(room.saturating_sub(leb128_len(room)));
                if len == 0 {
                    out.push(Payload {
                        data: std::mem::take(&mut packet).into(),
                        marker: false,
                    });
                    packet.push(0);
                    continue;
                }
                write_leb128(len, &mut packet);
                packet.extend_from_slice(&o[at..at + len]);
                at += len;
                if at < o.len() {
                    // Y here, Z on the next packet.
                    packet[0] |= 0x40;
                    out.push(Payload {
                        data: std::mem::take(&mut packet).into(),
                        marker: false,
                    });
                    packet.push(0x80);
                }
            }
        }
        if packet.len() > 1 {
            out.push(Payload {
                data: packet.into(),
                marker: false,
            });
        }
        if let Some(last) = out[start..].last_mut() {
            last.marker = true;
        }
        Ok(())
    }
}
