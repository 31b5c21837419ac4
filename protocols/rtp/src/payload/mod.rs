//! Payload formats: one file per format, each turning the packets of one frame into media
//! ([`Depacketize`]) and media into payloads ([`Packetize`]).
//!
//! A format sees only whole groups: the [`Depacketizer`](crate::Depacketizer) in front of it
//! puts packets in sequence order, finds losses, and hands a format the packets of one frame
//! only when none of them is missing. A format that still finds its frame broken (a fragment
//! without its start, an aggregate whose sizes overrun it) returns [`Damaged`] and emits
//! nothing: a depacketizer never emits a damaged frame.

mod aac;
mod av1;
mod g711;
mod h264;
mod h265;
mod mp2t;
mod nal;
mod opus;
mod ps;
mod vp8;
mod vp9;

use crate::RtpPacket;
use crate::format::{Encoding, Format};
use bytes::Bytes;
use h264::Avc;
use h265::Hevc;
use nal::{NalDepacketizer, NalPacketizer};
use std::fmt;
use weir_media::{
    Codec, Error, Frame, MediaPacket, Rule, Timestamp, Track, TrackConfig, Violation,
};

/// A packet in sequence order, with where it came from and its place on the stream's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The datagram's index in its flow (the offset violations carry).
    pub index: u64,
    /// The sequence number, extended past its 16-bit wraps.
    pub sequence: i64,
    /// The RTP timestamp, extended past its 32-bit wraps, from the stream's first packet.
    pub ticks: i64,
    /// The packet.
    pub packet: RtpPacket,
}

/// How a format's packets make frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Every packet stands alone (one or more whole frames, or multiplex bytes).
    Packet,
    /// A frame is the packets of one timestamp; the marker bit is on its last packet.
    Frame,
}

/// What a format makes of packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// A decoder configuration or a frame.
    Media(MediaPacket),
    /// Bytes of a multiplex (MPEG-TS, MPEG-PS), for the demuxer that follows.
    Mux(Bytes),
}

/// Why a format dropped a frame whose packets all arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged(pub String);

/// A format's units and violations from one group.
#[derive(Debug, Default)]
pub struct Units {
    /// The units, in order.
    pub units: Vec<Unit>,
    /// The rules the group broke.
    pub violations: Vec<Violation>,
}

impl Units {
    /// Adds a unit.
    pub fn push(&mut self, unit: MediaPacket) {
        self.units.push(Unit::Media(unit));
    }

    /// Reports a broken rule at `packet`.
    pub fn violation(&mut self, rule: &'static Rule, packet: &Received, detail: impl Into<String>) {
        self.violations
            .push(Violation::new(rule, packet.index, detail.into()));
    }
}

/// The receiving half of a payload format.
pub trait Depacketize: fmt::Debug + Send {
    /// How its packets make frames.
    fn grouping(&self) -> Grouping;

    /// The packets of one group, in sequence order with none missing (one packet for
    /// [`Grouping::Packet`]). Units go to `units`; a frame that cannot be whole is dropped with
    /// [`Damaged`], its broken rules reported in `units`.
    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged>;

    /// Packets were lost before the next group: anything spanning groups is forgotten.
    fn lost(&mut self) {}

    /// Whether `packet` surely begins a frame (a [`Grouping::Frame`] format's answer lets a
    /// frame right after a loss be kept; without one, it is dropped as possibly headless).
    fn starts_frame(&self, packet: &RtpPacket) -> bool {
        let _ = packet;
        false
    }
}

/// One payload and the marker bit of its packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The payload.
    pub data: Bytes,
    /// The packet's marker bit.
    pub marker: bool,
}

/// The sending half of a payload format.
pub trait Packetize: fmt::Debug + Send {
    /// The payloads of one unit, each at most `max_payload` bytes, in order (a configuration
    /// is kept to send in-band, or sent out of band, and may give none). A media format
    /// refuses multiplex bytes and a multiplex format refuses media.
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error>;
}

/// The error of a format given the wrong kind of unit.
pub fn wrong_unit(format: &str, unit: &Unit) -> Error {
    let what = match unit {
        Unit::Media(_) => "media",
        Unit::Mux(_) => "multiplex bytes",
    };
    Error::usage(format!("the {format} payload format does not carry {what}"))
}

/// What a format learned from the session description — its decoder configuration, and what
/// was wrong with its parameters — given out with the stream's first group.
#[derive(Debug, Default)]
pub(crate) struct FromSession {
    /// The configuration.
    pub config: Option<TrackConfig>,
    /// A broken rule and what broke it.
    pub problem: Option<(&'static Rule, String)>,
}

impl FromSession {
    /// Gives out what is left, at the group whose first packet is `first`.
    pub fn announce(&mut self, first: &Received, units: &mut Units) {
        if let Some((rule, detail)) = self.problem.take() {
            units.violation(rule, first, detail);
        }
        if let Some(config) = self.config.take() {
            units.push(MediaPacket::Config(config));
        }
    }
}

/// A frame made from one group, at the media time of its first packet.
pub(crate) fn frame(codec: Codec, time: Timestamp, keyframe: bool, data: Bytes) -> MediaPacket {
    let track = match codec.kind() {
        Some(weir_media::MediaKind::Audio) => Track::AUDIO,
        _ => Track::VIDEO,
    };
    MediaPacket::Frame(Frame {
        track,
        codec,
        pts: time,
        dts: time,
        keyframe,
        data,
    })
}

/// The one payload of a unit a format sends whole, one per packet (audio frames): a
/// configuration goes out of band, so gives none.
pub(crate) fn whole(
    name: &str,
    unit: &Unit,
    max_payload: usize,
    out: &mut Vec<Payload>,
) -> Result<(), Error> {
    let Unit::Media(media) = unit else {
        return Err(wrong_unit(name, unit));
    };
    let MediaPacket::Frame(f) = media else {
        return Ok(());
    };
    if f.data.len() > max_payload {
        return Err(Error::usage(format!(
            "a {}-byte {name} frame does not fit a {max_payload}-byte payload",
            f.data.len()
        )));
    }
    out.push(Payload {
        data: f.data.clone(),
        marker: false,
    });
    Ok(())
}

/// `bytes` in payloads of `size` bytes, the last one shorter.
pub(crate) fn cut(bytes: &Bytes, size: usize, out: &mut Vec<Payload>) {
    let mut at = 0;
    while at < bytes.len() {
        let end = (at + size.max(1)).min(bytes.len());
        out.push(Payload {
            data: bytes.slice(at..end),
            marker: false,
        });
        at = end;
    }
}

/// A frame spread over payloads of at most `max_payload` bytes, each a `header_len`-byte
/// header that `header(first, last, out)` writes, then a piece of `data`; the marker bit on
/// the last.
pub(crate) fn spread(
    name: &str,
    data: &[u8],
    header_len: usize,
    max_payload: usize,
    mut header: impl FnMut(bool, bool, &mut Vec<u8>),
    out: &mut Vec<Payload>,
) -> Result<(), Error> {
    let room = max_payload.saturating_sub(header_len);
    if room == 0 {
        return Err(Error::usage(format!(
            "a {max_payload}-byte payload holds no {name} data"
        )));
    }
    let count = data.len().div_ceil(room);
    for (i, piece) in data.chunks(room).enumerate() {
        let last = i + 1 == count;
        let mut payload = Vec::with_capacity(header_len + piece.len());
        header(i == 0, last, &mut payload);
        payload.extend_from_slice(piece);
        out.push(Payload {
            data: payload.into(),
            marker: last,
        });
    }
    Ok(())
}

/// The frame of a media unit, if it is one: configurations give none; multiplex bytes are
/// refused.
pub(crate) fn frame_of<'a>(name: &str, unit: &'a Unit) -> Result<Option<&'a Frame>, Error> {
    match unit {
        Unit::Media(MediaPacket::Frame(f)) => Ok(Some(f)),
        Unit::Media(_) => Ok(None),
        Unit::Mux(_) => Err(wrong_unit(name, unit)),
    }
}

/// An RTP clock: converts its ticks to the 90 kHz media timeline and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Ticks per second.
    pub rate: u32,
}

impl Clock {
    /// The media time of `ticks`, rounded down.
    pub fn time(self, ticks: i64) -> Timestamp {
        let rate = i128::from(self.rate.max(1));
        Timestamp((i128::from(ticks) * i128::from(Timestamp::HZ)).div_euclid(rate) as i64)
    }

    /// The ticks of a media time, rounded down.
    pub fn ticks(self, time: Timestamp) -> i64 {
        (i128::from(time.0) * i128::from(self.rate)).div_euclid(i128::from(Timestamp::HZ)) as i64
    }
}

/// The depacketizer of a format.
pub fn depacketizer(format: &Format) -> Result<Box<dyn Depacketize>, Error> {
    let clock = Clock {
        rate: format.clock_rate,
    };
    match format.encoding() {
        Some(Encoding::H264) => Ok(Box::new(NalDepacketizer::<Avc>::new(format, clock)?)),
        Some(Encoding::H265) => Ok(Box::new(NalDepacketizer::<Hevc>::new(format, clock)?)),
        Some(Encoding::Vp8) => Ok(Box::new(vp8::Vp8::new(clock))),
        Some(Encoding::Vp9) => Ok(Box::new(vp9::Vp9::new(clock))),
        Some(Encoding::Av1) => Ok(Box::new(av1::Av1::new(clock))),
        Some(Encoding::Opus) => Ok(Box::new(opus::Opus::new(format, clock)?)),
        Some(Encoding::Aac) => Ok(Box::new(aac::Aac::new(format, clock))),
        Some(Encoding::Pcmu) => Ok(Box::new(g711::G711::new(Codec::Pcmu, clock))),
        Some(Encoding::Pcma) => Ok(Box::new(g711::G711::new(Codec::Pcma, clock))),
        Some(Encoding::MpegTs) => Ok(Box::new(mp2t::Mp2t)),
        Some(Encoding::MpegPs) => Ok(Box::new(ps::Ps::default())),
        _ => Err(Error::usage(format!(
            "no depacketizer for {}/{}",
            format.name, format.clock_rate
        ))),
    }
}

/// The packetizer of a format.
pub fn packetizer(format: &Format) -> Result<Box<dyn Packetize>, Error> {
    let clock = Clock {
        rate: format.clock_rate,
    };
    match format.encoding() {
        Some(Encoding::H264) => Ok(Box::new(NalPacketizer::<Avc>::new(format)?)),
        Some(Encoding::H265) => Ok(Box::new(NalPacketizer::<Hevc>::new(format)?)),
        Some(Encoding::Vp8) => Ok(Box::new(vp8::Vp8::new(clock))),
        Some(Encoding::Vp9) => Ok(Box::new(vp9::Vp9::new(clock))),
        Some(Encoding::Av1) => Ok(Box::new(av1::Av1::new(clock))),
        Some(Encoding::Opus) => Ok(Box::new(opus::OpusPacketizer)),
        Some(Encoding::Aac) => Ok(Box::new(aac::Aac::new(format, clock))),
        Some(Encoding::Pcmu) => Ok(Box::new(g711::G711::new(Codec::Pcmu, clock))),
        Some(Encoding::Pcma) => Ok(Box::new(g711::G711::new(Codec::Pcma, clock))),
        Some(Encoding::MpegTs) => Ok(Box::new(mp2t::Mp2t)),
        Some(Encoding::MpegPs) => Ok(Box::new(ps::Ps::default())),
        _ => Err(Error::usage(format!(
            "no packetizer for {}/{}",
            format.name, format.clock_rate
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_convert_both_ways() {
        let opus = Clock { rate: 48_000 };
        assert_eq!(opus.time(960), Timestamp::from_millis(20));
        assert_eq!(opus.ticks(Timestamp::from_millis(20)), 960);
        let video = Clock { rate: 90_000 };
        assert_eq!(video.time(-3000), Timestamp(-3000));
        assert_eq!(Clock { rate: 8000 }.time(160), Timestamp::from_millis(20));
    }
}
