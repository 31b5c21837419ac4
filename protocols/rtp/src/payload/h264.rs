//! H.264 over RTP (RFC 6184), packetization modes 0 and 1: single NAL unit packets (§5.6),
//! STAP-A (§5.7.1) and FU-A (§5.8). Parameter sets sent in-band, or given by
//! `sprop-parameter-sets` (§8.1), become the track's decoder configuration record.

use super::nal::{NalHeaders, Rebuilt, pack};
use super::{Clock, Damaged, Depacketize, Grouping, Packetize, Payload, Received, Unit, Units};
use crate::RtpPacket;
use crate::format::Format;
use crate::rules::{
    H264_FORBIDDEN_BIT, H264_FU, H264_FU_RESERVED, H264_MODE, H264_NAL_TYPE, H264_SPROP,
    H264_STAP_SIZE,
};
use base64::Engine;
use bytes::Bytes;
use weir_media::access_unit::{InBand, VideoSyntax, record_params};
use weir_media::nal::length_prefixed_nals;
use weir_media::{Codec, Error, Frame, MediaPacket, Track, TrackConfig, Violation};

const STAP_A: u8 = 24;
const FU_A: u8 = 28;

/// The packetization mode of `format` (RFC 6184 §8.1: 0 when absent).
fn mode(format: &Format) -> Result<u8, Error> {
    match format.param("packetization-mode").unwrap_or("0") {
        "0" => Ok(0),
        "1" => Ok(1),
        "2" => Err(Error::usage(
            "H.264 packetization mode 2 (interleaved) is not supported",
        )),
        other => Err(Error::rule(
            &H264_MODE,
            0,
            format!("packetization-mode={other}"),
        )),
    }
}

/// The receiving side.
#[derive(Debug)]
pub struct H264 {
    clock: Clock,
    mode: u8,
    inband: InBand,
    rebuilt: Rebuilt,
    /// A record from `sprop-parameter-sets`, announced before the first frame.
    pending: Option<Bytes>,
    /// What was wrong with `sprop-parameter-sets`, reported with the first group.
    sprop_violation: Option<String>,
}

impl H264 {
    /// A depacketizer for `format` (its packetization mode and parameter sets).
    pub fn new(format: &Format, clock: Clock) -> Result<Self, Error> {
        let mut h = H264 {
            clock,
            mode: mode(format)?,
            inband: InBand::new(VideoSyntax::Avc),
            rebuilt: Rebuilt::default(),
            pending: None,
            sprop_violation: None,
        };
        if let Some(sprop) = format.param("sprop-parameter-sets") {
            let mut nals = Rebuilt::default();
            for set in sprop.split(',').filter(|s| !s.is_empty()) {
                match base64::engine::general_purpose::STANDARD.decode(set) {
                    Ok(nal) if !nal.is_empty() => {
                        let _ = nals.whole(&nal);
                    }
                    _ => h.sprop_violation = Some(format!("{set:?} is not a base64 NAL unit")),
                }
            }
            let au = h.inband.access_unit(&nals.data, &nals.nals);
            h.pending = au.config;
        }
        Ok(h)
    }

    fn packet(&mut self, r: &Received, units: &mut Units) -> Result<(), Damaged> {
        let p = &r.packet.payload;
        let Some(&header) = p.first() else {
            return Ok(());
        };
        if header & 0x80 != 0 {
            units.violation(
                &H264_FORBIDDEN_BIT,
                r,
                format!("NAL unit header {header:#04x} has the forbidden bit set"),
            );
        }
        let damaged = |units: &mut Units, rule, detail: String| {
            units.violation(rule, r, detail.clone());
            Err(Damaged(detail))
        };
        match header & 0x1f {
            1..=23 => self
                .rebuilt
                .whole(p)
                .or_else(|e| damaged(units, &H264_FU, e.describe().into())),
            STAP_A => {
                if self.mode == 0 {
                    units.violation(&H264_MODE, r, "a STAP-A in packetization mode 0");
                }
                let mut rest = &p[1..];
                if rest.is_empty() {
                    return damaged(units, &H264_STAP_SIZE, "a STAP-A with no NAL unit".into());
                }
                while !rest.is_empty() {
                    let size = match rest {
                        [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])),
                        _ => 0,
                    };
                    if size == 0 || rest.len() < 2 + size {
                        return damaged(
                            units,
                            &H264_STAP_SIZE,
                            format!(
                                "a STAP-A unit of {size} bytes where {} remain",
                                rest.len().saturating_sub(2)
                            ),
                        );
                    }
                    let nal = &rest[2..2 + size];
                    if matches!(nal[0] & 0x1f, 24..=29) {
                        return damaged(
                            units,
                            &H264_STAP_SIZE,
                            format!("a STAP-A holds NAL unit type {}", nal[0] & 0x1f),
                        );
                    }
                    if let Err(e) = self.rebuilt.whole(nal) {
                        return damaged(units, &H264_FU, e.describe().into());
                    }
                    rest = &rest[2 + size..];
                }
                Ok(())
            }
            FU_A => {
                if self.mode == 0 {
                    units.violation(&H264_MODE, r, "an FU-A in packetization mode 0");
                }
                let Some(&fu) = p.get(1) else {
                    return damaged(units, &H264_FU, "an FU-A without its FU header".into());
                };
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                if start && end {
                    units.violation(&H264_FU, r, "an FU-A with both its start and end bits set");
                }
                if fu & 0x20 != 0 {
                    units.violation(&H264_FU_RESERVED, r, format!("FU header {fu:#04x}"));
                }
                let kind = fu & 0x1f;
                if matches!(kind, 0 | 24..=31) {
                    return damaged(
                        units,
                        &H264_FU,
                        format!("an FU-A fragments NAL unit type {kind}"),
                    );
                }
                let nal_header = (header & 0xe0) | kind;
                self.rebuilt
                    .fragment(&[nal_header], &p[2..], start, end)
                    .or_else(|e| damaged(units, &H264_FU, e.describe().into()))
            }
            kind @ (25..=27 | 29) => damaged(
                units,
                &H264_MODE,
                format!("NAL unit type {kind} belongs to the interleaved mode 2"),
            ),
            kind => {
                units.violation(
                    &H264_NAL_TYPE,
                    r,
                    format!("NAL unit type {kind}, which is reserved or undefined"),
                );
                Ok(())
            }
        }
    }
}

impl Depacketize for H264 {
    fn grouping(&self) -> Grouping {
        Grouping::Frame
    }

    /// An access unit starts with an AUD, SEI or parameter set (H.264 §7.4.1.2.3), or with a
    /// slice whose `first_mb_in_slice` is 0 (the first bit of its header set: ue(v) 0 is `1`).
    fn starts_frame(&self, packet: &RtpPacket) -> bool {
        let p = &packet.payload;
        let (kind, body) = match p.first().map(|h| h & 0x1f) {
            Some(STAP_A) => (p.get(3).map(|h| h & 0x1f), p.get(4)),
            Some(FU_A) => match p.get(1) {
                Some(fu) if fu & 0x80 != 0 => (Some(fu & 0x1f), p.get(2)),
                _ => (None, None),
            },
            kind => (kind, p.get(1)),
        };
        match kind {
            Some(6..=9) => true,
            Some(1 | 5) => body.is_some_and(|b| b & 0x80 != 0),
            _ => false,
        }
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        if let Some(detail) = self.sprop_violation.take() {
            units
                .violations
                .push(Violation::new(&H264_SPROP, first.index, detail));
        }
        if let Some(record) = self.pending.take() {
            units.push(config(record));
        }
        self.rebuilt.clear();
        for r in group {
            self.packet(r, units)?;
        }
        if let Err(e) = self.rebuilt.finish() {
            let last = group.last().unwrap_or(first);
            units.violation(&H264_FU, last, e.describe());
            return Err(Damaged(e.describe().into()));
        }
        let au = self
            .inband
            .access_unit(&self.rebuilt.data, &self.rebuilt.nals);
        if let Some(v) = au.error.and_then(Error::into_violation) {
            units
                .violations
                .push(Violation::new(v.rule, first.index, v.detail));
        }
        if let Some(record) = au.config {
            units.push(config(record));
        }
        if let Some(data) = au.frame {
            let time = self.clock.time(first.ticks);
            units.push(MediaPacket::Frame(Frame {
                track: Track::VIDEO,
                codec: Codec::H264,
                pts: time,
                dts: time,
                keyframe: au.keyframe,
                data: data.into(),
            }));
        }
        Ok(())
    }
}

fn config(record: Bytes) -> MediaPacket {
    MediaPacket::Config(TrackConfig {
        track: Track::VIDEO,
        codec: Codec::H264,
        data: record,
    })
}

/// H.264's header bytes (RFC 6184 §5.7.1, §5.8).
struct Avc;

impl NalHeaders for Avc {
    const LEN: usize = 1;

    fn aggregation(headers: &mut dyn Iterator<Item = &[u8]>, out: &mut Vec<u8>) {
        // F is the OR of the units' F bits, NRI their greatest NRI (§5.7).
        let (f, nri) = headers.fold((0, 0), |(f, nri), h| {
            (f | (h[0] & 0x80), nri.max(h[0] & 0x60))
        });
        out.push(f | nri | STAP_A);
    }

    fn fragment(nal: &[u8], first: bool, last: bool, out: &mut Vec<u8>) {
        out.push((nal[0] & 0xe0) | FU_A);
        out.push(u8::from(first) << 7 | u8::from(last) << 6 | (nal[0] & 0x1f));
    }
}

/// The sending side: mode 1 aggregates small NAL units in STAP-As and fragments big ones in
/// FU-As; mode 0 sends each NAL unit alone. A keyframe without its own SPS gets the record's
/// parameter sets in front, so that a receiver can start there.
#[derive(Debug)]
pub struct H264Packetizer {
    mode: u8,
    params: Vec<Bytes>,
    length_size: u8,
}

impl H264Packetizer {
    /// A packetizer for `format`'s packetization mode.
    pub fn new(format: &Format) -> Result<Self, Error> {
        Ok(H264Packetizer {
            mode: mode(format)?,
            params: Vec::new(),
            length_size: 4,
        })
    }
}

impl Packetize for H264Packetizer {
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        let Unit::Media(media) = unit else {
            return Err(super::wrong_unit("H.264", unit));
        };
        match media {
            MediaPacket::Config(c) => {
                (self.params, self.length_size) = record_params(VideoSyntax::Avc, &c.data)?;
                Ok(())
            }
            MediaPacket::Frame(f) => {
                let mut nals = Vec::new();
                let mut has_sps = false;
                for nal in length_prefixed_nals(&f.data, self.length_size) {
                    let nal = nal?;
                    has_sps |= nal.first().is_some_and(|h| h & 0x1f == 7);
                    nals.push(f.data.slice_ref(nal));
                }
                if f.keyframe && !has_sps {
                    nals.splice(0..0, self.params.iter().cloned());
                }
                pack::<Avc>(&nals, max_payload, self.mode == 1, out)
            }
            MediaPacket::EndOfSequence { .. } => Ok(()),
        }
    }
}
