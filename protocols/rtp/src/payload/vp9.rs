//! VP9 over RTP (RFC 9628): a payload descriptor (§4.2) before each piece of a layer frame,
//! B on a layer frame's first packet and E on its last; the marker bit ends the picture. A
//! picture of several layer frames (spatial layers) is handed on as one superframe (VP9
//! bitstream Annex B). VP9 has no decoder configuration in RTP.

use super::{Clock, Damaged, Depacketize, Grouping, Packetize, Payload, Received, Unit, Units};
use crate::RtpPacket;
use crate::rules::{VP9_BEGIN_END, VP9_DESCRIPTOR, VP9_PICTURE_ID};
use weir_media::{Codec, Error};

/// A payload descriptor (RFC 9628 §4.2), what the depacketizer needs of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Descriptor {
    /// P: the layer frame is predicted from earlier pictures.
    predicted: bool,
    /// B: the packet begins a layer frame.
    begin: bool,
    /// E: the packet ends a layer frame.
    end: bool,
    /// The PictureID (7 or 15 bits), if present.
    picture_id: Option<u16>,
    /// The spatial layer (SID), 0 without layer indices.
    spatial: u8,
    /// The descriptor's length: where the VP9 payload begins.
    len: usize,
}

impl Descriptor {
    fn parse(p: &[u8]) -> Result<Self, String> {
        let short = || format!("a {}-byte payload ends inside its descriptor", p.len());
        let byte = |at: usize| p.get(at).copied().ok_or_else(short);
        let b0 = byte(0)?;
        let (i, l, f, v) = (
            b0 & 0x80 != 0,
            b0 & 0x20 != 0,
            b0 & 0x10 != 0,
            b0 & 0x02 != 0,
        );
        let mut d = Descriptor {
            predicted: b0 & 0x40 != 0,
            begin: b0 & 0x08 != 0,
            end: b0 & 0x04 != 0,
            picture_id: None,
            spatial: 0,
            len: 1,
        };
        if i {
            let m = byte(d.len)?;
            if m & 0x80 != 0 {
                d.picture_id = Some(u16::from(m & 0x7f) << 8 | u16::from(byte(d.len + 1)?));
                d.len += 2;
            } else {
                d.picture_id = Some(u16::from(m));
                d.len += 1;
            }
        }
        if l {
            d.spatial = (byte(d.len)? >> 1) & 0x07;
            // Non-flexible mode adds TL0PICIDX.
            d.len += if f { 1 } else { 2 };
        }
        if f && d.predicted {
            // Up to three P_DIFF bytes, N set on all but the last.
            for k in 0..3 {
                let n = byte(d.len)? & 0x01 != 0;
                d.len += 1;
                if !n {
                    break;
                }
                if k == 2 {
                    return Err("more than three reference indices (P_DIFF)".into());
                }
            }
        }
        if v {
            // The scalability structure (§4.2.1).
            let ss = byte(d.len)?;
            d.len += 1;
            let layers = usize::from(ss >> 5) + 1;
            if ss & 0x10 != 0 {
                d.len += 4 * layers;
            }
            if ss & 0x08 != 0 {
                let groups = byte(d.len)?;
                d.len += 1;
                for _ in 0..groups {
                    let g = byte(d.len)?;
                    d.len += 1 + usize::from((g >> 2) & 0x03);
                }
            }
        }
        if p.len() <= d.len {
            return Err(short());
        }
        Ok(d)
    }
}

/// Both directions.
#[derive(Debug)]
pub struct Vp9 {
    clock: Clock,
    /// The next picture's PictureID, when sending.
    picture_id: u16,
}

impl Vp9 {
    /// A payload format on `clock`.
    pub fn new(clock: Clock) -> Self {
        Vp9 {
            clock,
            picture_id: 0,
        }
    }
}

/// Layer frames as one superframe (VP9 bitstream Annex B): the frames, then an index of
/// their sizes between two marker bytes `110` + size bytes - 1 + frames - 1.
fn superframe(frames: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    if frames.len() > 8 {
        return Err(format!(
            "{} layer frames: a superframe holds 8",
            frames.len()
        ));
    }
    let largest = frames.iter().map(Vec::len).max().unwrap_or(0);
    let size_bytes = (1..=4).find(|&n| largest < 1 << (8 * n)).unwrap_or(4);
    let marker = 0xc0 | ((size_bytes - 1) as u8) << 3 | (frames.len() - 1) as u8;
    let mut out: Vec<u8> = frames.concat();
    out.push(marker);
    for f in frames {
        out.extend_from_slice(&(f.len() as u32).to_le_bytes()[..size_bytes]);
    }
    out.push(marker);
    Ok(out)
}

impl Depacketize for Vp9 {
    fn grouping(&self) -> Grouping {
        Grouping::Frame
    }

    fn starts_frame(&self, packet: &RtpPacket) -> bool {
        Descriptor::parse(&packet.payload).is_ok_and(|d| d.begin && d.spatial == 0)
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        let mut frames: Vec<Vec<u8>> = Vec::new();
        let mut open = false;
        let mut picture_id = None;
        let mut keyframe = false;
        for (i, r) in group.iter().enumerate() {
            let p = &r.packet.payload;
            let d = match Descriptor::parse(p) {
                Ok(d) => d,
                Err(detail) => {
                    units.violation(&VP9_DESCRIPTOR, r, detail.clone());
                    return Err(Damaged(detail));
                }
            };
            let broken = match (open, d.begin) {
                (false, false) => Some("a packet continues a layer frame that never began"),
                (true, true) => Some("a layer frame begins before the previous one ended"),
                _ => None,
            };
            if let Some(detail) = broken {
                units.violation(&VP9_BEGIN_END, r, detail);
                return Err(Damaged(detail.into()));
            }
            if i == 0 {
                picture_id = d.picture_id;
                keyframe = !d.predicted && d.spatial == 0;
            } else if d.picture_id != picture_id {
                units.violation(
                    &VP9_PICTURE_ID,
                    r,
                    format!(
                        "PictureID {:?} in a picture of {picture_id:?}",
                        d.picture_id
                    ),
                );
            }
            if d.begin {
                frames.push(Vec::new());
            }
            if let Some(frame) = frames.last_mut() {
                frame.extend_from_slice(&p[d.len..]);
            }
            open = !d.end;
        }
        if open {
            let detail = "the picture ends inside a layer frame (no E bit)";
            let last = group.last().unwrap_or(first);
            units.violation(&VP9_BEGIN_END, last, detail);
            return Err(Damaged(detail.into()));
        }
        let data = match frames.len() {
            1 => frames.pop().unwrap_or_default(),
            _ => superframe(&frames).map_err(Damaged)?,
        };
        let time = self.clock.time(first.ticks);
        units.push(super::frame(Codec::Vp9, time, keyframe, data.into()));
        Ok(())
    }
}

impl Packetize for Vp9 {
    /// A frame (or superframe) is one layer frame; each packet has a 3-byte descriptor with a
    /// 15-bit PictureID, P clear on keyframes.
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        let Some(f) = super::frame_of("VP9", unit)? else {
            return Ok(());
        };
        let id = self.picture_id;
        self.picture_id = (id + 1) & 0x7fff;
        let p = if f.keyframe { 0 } else { 0x40 };
        let header = |first: bool, last: bool, out: &mut Vec<u8>| {
            let b = if first { 0x08 } else { 0 };
            let e = if last { 0x04 } else { 0 };
            out.extend_from_slice(&[0x80 | p | b | e, 0x80 | (id >> 8) as u8, id as u8]);
        };
        super::spread("VP9", &f.data, 3, max_payload, header, out)
    }
}
