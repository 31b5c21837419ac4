//! The sending pipeline of one RTP stream: media through its payload format into packets with
//! consecutive sequence numbers and timestamps on the format's clock (RFC 3550 §5.1).

use crate::RtpPacket;
use crate::format::Format;
use crate::packet::FIXED_HEADER_LEN;
use crate::payload::{self, Clock, Packetize, Payload, Unit};
use bytes::Bytes;
use weir_media::{Error, MediaPacket, Timestamp};

/// One stream's packetizer.
#[derive(Debug)]
pub struct Packetizer {
    format: Box<dyn Packetize>,
    clock: Clock,
    payload_type: u8,
    ssrc: u32,
    sequence: u16,
    /// The RTP timestamp of media time 0.
    timestamp_base: u32,
    max_payload: usize,
    payloads: Vec<Payload>,
}

/// Where a stream starts on the wire: RFC 3550 §5.1 wants the first sequence number and
/// timestamp random, so the caller draws them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    /// The stream's SSRC.
    pub ssrc: u32,
    /// The first sequence number.
    pub sequence: u16,
    /// The RTP timestamp of media time 0.
    pub timestamp: u32,
}

impl Packetizer {
    /// A packetizer for `format` as payload type `payload_type`, making packets of at most
    /// `mtu` bytes (header included; no CSRCs or extension).
    pub fn new(format: &Format, payload_type: u8, start: Start, mtu: usize) -> Result<Self, Error> {
        if mtu <= FIXED_HEADER_LEN + 2 {
            return Err(Error::usage(format!(
                "an MTU of {mtu} bytes holds no payload"
            )));
        }
        Ok(Packetizer {
            format: payload::packetizer(format)?,
            clock: Clock {
                rate: format.clock_rate,
            },
            payload_type,
            ssrc: start.ssrc,
            sequence: start.sequence,
            timestamp_base: start.timestamp,
            max_payload: mtu - FIXED_HEADER_LEN,
            payloads: Vec::new(),
        })
    }

    /// The packets of one media packet (none for a configuration the format sends in-band
    /// later, or out of band), at the frame's presentation time.
    pub fn packetize(
        &mut self,
        media: &MediaPacket,
        out: &mut Vec<RtpPacket>,
    ) -> Result<(), Error> {
        let time = match media {
            MediaPacket::Frame(f) => f.pts,
            _ => Timestamp(0),
        };
        self.packetize_unit(&Unit::Media(media.clone()), time, out)
    }

    /// The packets of multiplex bytes (MPEG-TS, MPEG-PS) whose media begins at `time`.
    pub fn packetize_mux(
        &mut self,
        bytes: Bytes,
        time: Timestamp,
        out: &mut Vec<RtpPacket>,
    ) -> Result<(), Error> {
        self.packetize_unit(&Unit::Mux(bytes), time, out)
    }

    fn packetize_unit(
        &mut self,
        unit: &Unit,
        time: Timestamp,
        out: &mut Vec<RtpPacket>,
    ) -> Result<(), Error> {
        self.payloads.clear();
        self.format
            .packetize(unit, self.max_payload, &mut self.payloads)?;
        let timestamp = self
            .timestamp_base
            .wrapping_add(self.clock.ticks(time) as u32);
        for p in self.payloads.drain(..) {
            out.push(RtpPacket {
                marker: p.marker,
                payload_type: self.payload_type,
                sequence: self.sequence,
                timestamp,
                ssrc: self.ssrc,
                csrcs: Vec::new(),
                extension: None,
                payload: p.data,
                padding: 0,
            });
            self.sequence = self.sequence.wrapping_add(1);
        }
        Ok(())
    }
}
