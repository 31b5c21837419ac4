//! VP8 over RTP (RFC 7741): a payload descriptor (§4.2) before each piece of a frame; the
//! first piece of a frame has S set and partition index 0, and its first payload byte says
//! whether the frame is a keyframe (§4.3, the inverted P bit). VP8 has no decoder
//! configuration.

use super::{Clock, Damaged, Depacketize, Grouping, Packetize, Payload, Received, Unit, Units};
use crate::RtpPacket;
use crate::rules::{VP8_DESCRIPTOR, VP8_FRAME_START, VP8_PICTURE_ID, VP8_RESERVED};
use weir_media::{Codec, Error};

/// A payload descriptor (RFC 7741 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Descriptor {
    /// S: the packet starts a partition.
    start: bool,
    /// PID: the partition index.
    partition: u8,
    /// The PictureID (7 or 15 bits), if present.
    picture_id: Option<u16>,
    /// Whether a reserved bit is set.
    reserved: bool,
    /// The descriptor's length: where the VP8 payload begins.
    len: usize,
}

impl Descriptor {
    fn parse(p: &[u8]) -> Result<Self, String> {
        let short = || format!("a {}-byte payload ends inside its descriptor", p.len());
        let &b0 = p.first().ok_or_else(short)?;
        let mut d = Descriptor {
            start: b0 & 0x10 != 0,
            partition: b0 & 0x07,
            picture_id: None,
            reserved: b0 & 0x48 != 0,
            len: 1,
        };
        if b0 & 0x80 != 0 {
            let &x = p.get(1).ok_or_else(short)?;
            d.reserved |= x & 0x0f != 0;
            d.len = 2;
            if x & 0x80 != 0 {
                let &m = p.get(d.len).ok_or_else(short)?;
                if m & 0x80 != 0 {
                    let &low = p.get(d.len + 1).ok_or_else(short)?;
                    d.picture_id = Some(u16::from(m & 0x7f) << 8 | u16::from(low));
                    d.len += 2;
                } else {
                    d.picture_id = Some(u16::from(m));
                    d.len += 1;
                }
            }
            // L: TL0PICIDX; T or K: TID/Y/KEYIDX.
            d.len += usize::from(x & 0x40 != 0) + usize::from(x & 0x30 != 0);
        }
        if p.len() <= d.len {
            return Err(short());
        }
        Ok(d)
    }

    fn begins_frame(&self) -> bool {
        self.start && self.partition == 0
    }
}

/// Both directions.
#[derive(Debug)]
pub struct Vp8 {
    clock: Clock,
    /// The next frame's PictureID, when sending.
    picture_id: u16,
    data: Vec<u8>,
}

impl Vp8 {
    /// A payload format on `clock`.
    pub fn new(clock: Clock) -> Self {
        Vp8 {
            clock,
            picture_id: 0,
            data: Vec::new(),
        }
    }
}

impl Depacketize for Vp8 {
    fn grouping(&self) -> Grouping {
        Grouping::Frame
    }

    fn starts_frame(&self, packet: &RtpPacket) -> bool {
        Descriptor::parse(&packet.payload).is_ok_and(|d| d.begins_frame())
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        self.data.clear();
        let mut picture_id = None;
        for (i, r) in group.iter().enumerate() {
            let p = &r.packet.payload;
            let d = match Descriptor::parse(p) {
                Ok(d) => d,
                Err(detail) => {
                    units.violation(&VP8_DESCRIPTOR, r, detail.clone());
                    return Err(Damaged(detail));
                }
            };
            if d.reserved {
                units.violation(&VP8_RESERVED, r, "a reserved bit of the descriptor is set");
            }
            if (i == 0) != d.begins_frame() {
                let detail = match i {
                    0 => "the frame's first packet does not start partition 0",
                    _ => "a packet after the frame's first starts partition 0 again",
                };
                units.violation(&VP8_FRAME_START, r, detail);
                return Err(Damaged(detail.into()));
            }
            if i == 0 {
                picture_id = d.picture_id;
            } else if d.picture_id != picture_id {
                units.violation(
                    &VP8_PICTURE_ID,
                    r,
                    format!("PictureID {:?} in a frame of {picture_id:?}", d.picture_id),
                );
            }
            self.data.extend_from_slice(&p[d.len..]);
        }
        // The frame tag's first bit is the inverted key frame flag (RFC 6386 §9.1).
        let keyframe = self.data[0] & 0x01 == 0;
        let time = self.clock.time(first.ticks);
        let data = std::mem::take(&mut self.data).into();
        units.push(super::frame(Codec::Vp8, time, keyframe, data));
        Ok(())
    }
}

impl Packetize for Vp8 {
    /// Each packet has a 4-byte descriptor with a 15-bit PictureID, which WebRTC receivers
    /// expect; the first one starts partition 0.
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        let Some(f) = super::frame_of("VP8", unit)? else {
            return Ok(());
        };
        let id = self.picture_id;
        self.picture_id = (id + 1) & 0x7fff;
        let header = |first: bool, _last: bool, out: &mut Vec<u8>| {
            let s = if first { 0x10 } else { 0 };
            out.extend_from_slice(&[0x80 | s, 0x80, 0x80 | (id >> 8) as u8, id as u8]);
        };
        super::spread("VP8", &f.data, 4, max_payload, header, out)
    }
}
