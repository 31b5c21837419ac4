//! What the H.264 and H.265 payload formats share (RFC 6184 §5.6-§5.8, RFC 7798 §4.4): NAL
//! units rebuilt from single, aggregated and fragmented packets on the way in, and NAL units
//! spread over single packets, aggregation packets and fragmentation units on the way out.
//! The two formats differ only in their header bytes, NAL unit types, parameters and rule
//! ids, which [`NalFormat`] gives.

use super::{
    Clock, Damaged, Depacketize, FromSession, Grouping, Packetize, Payload, Received, Unit, Units,
};
use crate::RtpPacket;
use crate::format::Format;
use base64::Engine;
use bytes::{BufMut, Bytes};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use weir_media::access_unit::{InBand, NalRole, VideoSyntax, record_params};
use weir_media::nal::length_prefixed_nals;
use weir_media::{Codec, Error, MediaPacket, Rule, Track, TrackConfig, Violation};

/// The NAL units of one access unit as they are rebuilt: contiguous bytes and their ranges.
#[derive(Debug, Default, Clone)]
pub(crate) struct Rebuilt {
    /// The NAL units, back to back, headers included.
    pub data: Vec<u8>,
    /// Where each whole NAL unit is in `data`.
    pub nals: Vec<Range<usize>>,
    /// Where the NAL unit being defragmented starts.
    fragment: Option<usize>,
}

/// A fragmentation unit out of place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FragmentError {
    /// A start while another NAL unit was still being defragmented.
    StartBeforeEnd,
    /// A middle or end fragment with no start before it.
    NoStart,
    /// The access unit ended inside a fragmented NAL unit.
    NoEnd,
}

impl FragmentError {
    /// In words, for violations and drops.
    pub fn describe(self) -> &'static str {
        match self {
            FragmentError::StartBeforeEnd => {
                "a fragmentation unit starts a NAL unit before the previous one ended"
            }
            FragmentError::NoStart => {
                "a fragmentation unit continues a NAL unit that never started"
            }
            FragmentError::NoEnd => "the access unit ends inside a fragmented NAL unit",
        }
    }
}

impl Rebuilt {
    /// Forgets everything (a new access unit).
    pub fn clear(&mut self) {
        self.data.clear();
        self.nals.clear();
        self.fragment = None;
    }

    /// A whole NAL unit.
    pub fn whole(&mut self, nal: &[u8]) -> Result<(), FragmentError> {
        if self.fragment.is_some() {
            return Err(FragmentError::StartBeforeEnd);
        }
        let start = self.data.len();
        self.data.extend_from_slice(nal);
        self.nals.push(start..self.data.len());
        Ok(())
    }

    /// A fragment: the first (with the NAL unit's rebuilt `header`) and/or the last.
    pub fn fragment(
        &mut self,
        header: &[u8],
        data: &[u8],
        first: bool,
        last: bool,
    ) -> Result<(), FragmentError> {
        match (first, self.fragment) {
            (true, Some(_)) => return Err(FragmentError::StartBeforeEnd),
            (true, None) => {
                self.fragment = Some(self.data.len());
                self.data.extend_from_slice(header);
            }
            (false, None) => return Err(FragmentError::NoStart),
            (false, Some(_)) => {}
        }
        self.data.extend_from_slice(data);
        if last && let Some(start) = self.fragment.take() {
            self.nals.push(start..self.data.len());
        }
        Ok(())
    }

    /// The access unit is complete: no fragment may be left open.
    pub fn finish(&self) -> Result<(), FragmentError> {
        match self.fragment {
            Some(_) => Err(FragmentError::NoEnd),
            None => Ok(()),
        }
    }
}

/// The header bytes that make H.264's and H.265's packets different.
pub(crate) trait NalHeaders {
    /// The NAL unit header's length (1 for H.264, 2 for H.265).
    const LEN: usize;

    /// The NAL unit type in a (payload) header.
    fn kind(header: &[u8]) -> u8;

    /// The payload header of an aggregation packet holding NAL units with these headers.
    fn aggregation(headers: &mut dyn Iterator<Item = &[u8]>, out: &mut Vec<u8>);

    /// The payload header and FU header of a fragment of a NAL unit with header `nal`.
    fn fragment(nal: &[u8], first: bool, last: bool, out: &mut Vec<u8>);
}

/// Spreads NAL units (headers included) over payloads of at most `max` bytes: runs of small
/// units in aggregation packets when `aggregate` allows, units too big for one packet in
/// fragmentation units, the others alone. The last payload has the marker bit.
pub(crate) fn pack<H: NalHeaders>(
    nals: &[Bytes],
    max: usize,
    aggregate: bool,
    out: &mut Vec<Payload>,
) -> Result<(), Error> {
    let first = out.len();
    // Aggregation units: a payload header, then a 16-bit size before each unit.
    let mut run: Vec<&Bytes> = Vec::new();
    let flush = |run: &mut Vec<&Bytes>, out: &mut Vec<Payload>| {
        match run.len() {
            0 => {}
            1 => out.push(Payload {
                data: run[0].clone(),
                marker: false,
            }),
            _ => {
                let mut data = Vec::with_capacity(max);
                H::aggregation(&mut run.iter().map(|n| &n[..H::LEN]), &mut data);
                for nal in run.iter() {
                    data.put_u16(nal.len() as u16);
                    data.extend_from_slice(nal);
                }
                out.push(Payload {
                    data: data.into(),
                    marker: false,
                });
            }
        }
        run.clear();
    };
    let mut run_len = H::LEN;
    for nal in nals.iter().filter(|n| n.len() > H::LEN) {
        if aggregate {
            let fits = |room: usize| nal.len() <= u16::MAX as usize && room + 2 + nal.len() <= max;
            if fits(run_len) {
                run.push(nal);
                run_len += 2 + nal.len();
                continue;
            }
            flush(&mut run, out);
            run_len = H::LEN;
            if fits(run_len) {
                run.push(nal);
                run_len += 2 + nal.len();
                continue;
            }
        }
        if nal.len() <= max {
            out.push(Payload {
                data: nal.clone(),
                marker: false,
            });
            continue;
        }
        if !aggregate {
            return Err(Error::usage(format!(
                "a {}-byte NAL unit does not fit a {max}-byte payload in single NAL unit mode",
                nal.len()
            )));
        }
        let mut header = Vec::with_capacity(H::LEN + 1);
        H::fragment(&nal[..H::LEN], true, false, &mut header);
        let room = max.saturating_sub(header.len());
        if room == 0 {
            return Err(Error::usage(format!(
                "a {max}-byte payload holds no fragment"
            )));
        }
        let body = &nal[H::LEN..];
        let count = body.len().div_ceil(room);
        for (i, piece) in body.chunks(room).enumerate() {
            let mut data = Vec::with_capacity(header.len() + piece.len());
            H::fragment(&nal[..H::LEN], i == 0, i + 1 == count, &mut data);
            data.extend_from_slice(piece);
            out.push(Payload {
                data: data.into(),
                marker: false,
            });
        }
    }
    flush(&mut run, out);
    if let Some(last) = out[first..].last_mut() {
        last.marker = true;
    }
    Ok(())
}

/// The rules a NAL payload format checks, by what they are about.
pub(crate) struct NalRules {
    /// The payload format's packet types the session allows (H.264's packetization modes).
    pub mode: Option<&'static Rule>,
    /// Reserved or undefined NAL unit types.
    pub nal_type: &'static Rule,
    /// The forbidden bit.
    pub forbidden: &'static Rule,
    /// Aggregation packets' unit sizes and contents.
    pub aggregation: &'static Rule,
    /// Fragmentation units' order and contents.
    pub fragment: &'static Rule,
    /// The FU header's reserved bits, where it has any.
    pub fragment_reserved: Option<&'static Rule>,
    /// Parameter sets given by the session.
    pub sprop: &'static Rule,
}

/// What a payload header says the packet is.
pub(crate) enum PacketKind {
    /// One whole NAL unit.
    Single,
    /// An aggregation packet (STAP-A, AP).
    Aggregation,
    /// A fragmentation unit (FU-A, FU).
    Fragment,
    /// A packet type the session's mode does not allow: why.
    Forbidden(&'static str),
    /// A legal packet type Weir does not take apart (the frame is dropped): which.
    Unsupported(&'static str),
    /// A reserved or undefined type.
    Reserved,
}

/// One NAL payload format: H.264 or H.265.
pub(crate) trait NalFormat: NalHeaders + fmt::Debug + Send + 'static {
    /// The codec.
    const CODEC: Codec;
    /// Its bitstream syntax.
    const SYNTAX: VideoSyntax;
    /// Its name in errors.
    const NAME: &'static str;
    /// Its rules.
    const RULES: NalRules;
    /// The `fmtp` parameters that carry parameter sets, each a comma-separated base64 list.
    const SPROP: &'static [&'static str];

    /// Whether the session allows aggregation and fragmentation (else single NAL units only).
    fn aggregates(format: &Format) -> Result<bool, Error>;

    /// What a packet of NAL unit type `kind` is.
    fn packet_kind(kind: u8) -> PacketKind;

    /// The NAL unit type an FU header announces and whether its reserved bits are set.
    fn fu_type(fu: u8) -> (u8, bool);

    /// The header of the NAL unit a fragmentation unit carries, from the payload header.
    fn fragmented_header(payload_header: &[u8], kind: u8) -> Vec<u8>;

    /// Whether a NAL unit of type `kind`, whose body starts with `body`, begins an access unit.
    fn begins_access_unit(kind: u8, body: Option<u8>) -> bool;
}

/// The receiving side of a NAL payload format.
#[derive(Debug)]
pub(crate) struct NalDepacketizer<F> {
    clock: Clock,
    aggregates: bool,
    inband: InBand,
    rebuilt: Rebuilt,
    /// The record of the session's parameter sets, and what was wrong with them.
    session: FromSession,
    format: PhantomData<F>,
}

impl<F: NalFormat> NalDepacketizer<F> {
    /// A depacketizer for `format` (its mode and parameter sets).
    pub fn new(format: &Format, clock: Clock) -> Result<Self, Error> {
        let mut d = NalDepacketizer {
            clock,
            aggregates: F::aggregates(format)?,
            inband: InBand::new(F::SYNTAX),
            rebuilt: Rebuilt::default(),
            session: FromSession::default(),
            format: PhantomData,
        };
        let mut nals = Rebuilt::default();
        for key in F::SPROP {
            let Some(sprop) = format.param(key) else {
                continue;
            };
            for set in sprop.split(',').filter(|s| !s.is_empty()) {
                match base64::engine::general_purpose::STANDARD.decode(set) {
                    Ok(nal) if nal.len() > F::LEN => {
                        let _ = nals.whole(&nal);
                    }
                    _ => {
                        d.session.problem = Some((
                            F::RULES.sprop,
                            format!("{key}: {set:?} is not a base64 NAL unit"),
                        ))
                    }
                }
            }
        }
        if !nals.nals.is_empty() {
            let record = d.inband.access_unit(&nals.data, &nals.nals).config;
            d.session.config = record.map(config::<F>);
        }
        Ok(d)
    }

    fn packet(&mut self, r: &Received, units: &mut Units) -> Result<(), Damaged> {
        let p = &r.packet.payload;
        if p.len() < F::LEN {
            return Ok(());
        }
        let rules = &F::RULES;
        if p[0] & 0x80 != 0 {
            units.violation(
                rules.forbidden,
                r,
                format!(
                    "payload header {:02x?} has the forbidden bit set",
                    &p[..F::LEN]
                ),
            );
        }
        let damaged = |units: &mut Units, rule, detail: String| {
            units.violation(rule, r, detail.clone());
            Err(Damaged(detail))
        };
        let kind = F::kind(p);
        let name = F::NAME;
        match F::packet_kind(kind) {
            PacketKind::Single => self
                .rebuilt
                .whole(p)
                .or_else(|e| damaged(units, rules.fragment, e.describe().into())),
            PacketKind::Aggregation => {
                if !self.aggregates
                    && let Some(rule) = rules.mode
                {
                    units.violation(rule, r, "an aggregation packet in single NAL unit mode");
                }
                let mut rest = &p[F::LEN..];
                if rest.is_empty() {
                    return damaged(
                        units,
                        rules.aggregation,
                        "an aggregation packet with no NAL unit".into(),
                    );
                }
                while !rest.is_empty() {
                    let size = match rest {
                        [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])),
                        _ => 0,
                    };
                    if size < F::LEN || rest.len() < 2 + size {
                        return damaged(
                            units,
                            rules.aggregation,
                            format!(
                                "an aggregation unit of {size} bytes where {} remain",
                                rest.len().saturating_sub(2)
                            ),
                        );
                    }
                    let nal = &rest[2..2 + size];
                    let inner = F::kind(nal);
                    if !matches!(F::packet_kind(inner), PacketKind::Single) {
                        return damaged(
                            units,
                            rules.aggregation,
                            format!("an aggregation packet holds NAL unit type {inner}"),
                        );
                    }
                    if let Err(e) = self.rebuilt.whole(nal) {
                        return damaged(units, rules.fragment, e.describe().into());
                    }
                    rest = &rest[2 + size..];
                }
                Ok(())
            }
            PacketKind::Fragment => {
                if !self.aggregates
                    && let Some(rule) = rules.mode
                {
                    units.violation(rule, r, "a fragmentation unit in single NAL unit mode");
                }
                let Some(&fu) = p.get(F::LEN) else {
                    return damaged(
                        units,
                        rules.fragment,
                        "a fragmentation unit without its FU header".into(),
                    );
                };
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                if start && end {
                    units.violation(
                        rules.fragment,
                        r,
                        "a fragmentation unit with both its start and end bits set",
                    );
                }
                let (inner, reserved) = F::fu_type(fu);
                if reserved && let Some(rule) = rules.fragment_reserved {
                    units.violation(rule, r, format!("FU header {fu:#04x}"));
                }
                if !matches!(F::packet_kind(inner), PacketKind::Single) {
                    return damaged(
                        units,
                        rules.fragment,
                        format!("a fragmentation unit of NAL unit type {inner}"),
                    );
                }
                let header = F::fragmented_header(&p[..F::LEN], inner);
                self.rebuilt
                    .fragment(&header, &p[F::LEN + 1..], start, end)
                    .or_else(|e| damaged(units, rules.fragment, e.describe().into()))
            }
            PacketKind::Forbidden(why) => {
                let detail = format!("{name} NAL unit type {kind}: {why}");
                match rules.mode {
                    Some(rule) => damaged(units, rule, detail),
                    None => Err(Damaged(detail)),
                }
            }
            PacketKind::Unsupported(what) => Err(Damaged(format!(
                "{name} NAL unit type {kind} ({what}) is not taken apart"
            ))),
            PacketKind::Reserved => {
                units.violation(
                    rules.nal_type,
                    r,
                    format!("{name} NAL unit type {kind}, which is reserved or undefined"),
                );
                Ok(())
            }
        }
    }
}

impl<F: NalFormat> Depacketize for NalDepacketizer<F> {
    fn grouping(&self) -> Grouping {
        Grouping::Frame
    }

    /// Whether the packet's first NAL unit begins an access unit (an AUD, SEI or parameter
    /// set, or a slice that is its picture's first).
    fn starts_frame(&self, packet: &RtpPacket) -> bool {
        let p = &packet.payload;
        if p.len() < F::LEN {
            return false;
        }
        let (kind, body) = match F::packet_kind(F::kind(p)) {
            PacketKind::Aggregation => {
                let nal = p.get(F::LEN + 2..).unwrap_or_default();
                if nal.len() < F::LEN {
                    return false;
                }
                (F::kind(nal), nal.get(F::LEN).copied())
            }
            PacketKind::Fragment => match p.get(F::LEN) {
                Some(&fu) if fu & 0x80 != 0 => (F::fu_type(fu).0, p.get(F::LEN + 1).copied()),
                _ => return false,
            },
            _ => (F::kind(p), p.get(F::LEN).copied()),
        };
        F::begins_access_unit(kind, body)
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        self.session.announce(first, units);
        self.rebuilt.clear();
        for r in group {
            self.packet(r, units)?;
        }
        if let Err(e) = self.rebuilt.finish() {
            let last = group.last().unwrap_or(first);
            units.violation(F::RULES.fragment, last, e.describe());
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
            units.push(MediaPacket::Config(config::<F>(record)));
        }
        if let Some(data) = au.frame {
            let time = self.clock.time(first.ticks);
            units.push(super::frame(F::CODEC, time, au.keyframe, data.into()));
        }
        Ok(())
    }
}

fn config<F: NalFormat>(record: Bytes) -> TrackConfig {
    TrackConfig {
        track: Track::VIDEO,
        codec: F::CODEC,
        data: record,
    }
}

/// The sending side: small NAL units aggregated and big ones fragmented where the session
/// allows, else each NAL unit alone. A keyframe without its own SPS gets the record's
/// parameter sets in front, so that a receiver can start there.
#[derive(Debug)]
pub(crate) struct NalPacketizer<F> {
    aggregates: bool,
    params: Vec<Bytes>,
    length_size: u8,
    format: PhantomData<F>,
}

impl<F: NalFormat> NalPacketizer<F> {
    /// A packetizer for `format`'s mode.
    pub fn new(format: &Format) -> Result<Self, Error> {
        Ok(NalPacketizer {
            aggregates: F::aggregates(format)?,
            params: Vec::new(),
            length_size: 4,
            format: PhantomData,
        })
    }
}

impl<F: NalFormat> Packetize for NalPacketizer<F> {
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        let Unit::Media(media) = unit else {
            return Err(super::wrong_unit(F::NAME, unit));
        };
        match media {
            MediaPacket::Config(c) => {
                (self.params, self.length_size) = record_params(F::SYNTAX, &c.data)?;
                Ok(())
            }
            MediaPacket::Frame(f) => {
                let mut nals = Vec::new();
                let mut has_sps = false;
                for nal in length_prefixed_nals(&f.data, self.length_size) {
                    let nal = nal?;
                    has_sps |= nal
                        .first()
                        .is_some_and(|&h| F::SYNTAX.role(h) == NalRole::Sps);
                    nals.push(f.data.slice_ref(nal));
                }
                if f.keyframe && !has_sps {
                    nals.splice(0..0, self.params.iter().cloned());
                }
                pack::<F>(&nals, max_payload, self.aggregates, out)
            }
            MediaPacket::EndOfSequence { .. } => Ok(()),
        }
    }
}
