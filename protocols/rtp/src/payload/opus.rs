//! Opus over RTP (RFC 7587): one Opus packet per RTP packet (§4.2) on a 48 kHz clock, declared
//! `opus/48000/2` whatever the stream's channels (§7). The decoder configuration is an
//! `OpusHead` (RFC 7845 §5.1) built from the `sprop-stereo` parameter (§7.1).

use super::{
    Clock, Damaged, Depacketize, FromSession, Grouping, Packetize, Payload, Received, Unit, Units,
};
use crate::format::Format;
use crate::rules::{OPUS_PACKET, OPUS_RTPMAP};
use weir_media::opus::{ChannelMapping, packet_samples};
use weir_media::{Codec, Error, OpusHead, Track, TrackConfig};

/// The receiving side.
#[derive(Debug)]
pub struct Opus {
    clock: Clock,
    /// The configuration, and what was wrong with the declaration.
    session: FromSession,
}

impl Opus {
    /// A depacketizer for `format`.
    pub fn new(format: &Format, clock: Clock) -> Result<Self, Error> {
        let rtpmap = (format.clock_rate != 48_000 || format.channels != Some(2)).then(|| {
            format!(
                "declared {}/{}/{}",
                format.name,
                format.clock_rate,
                format.channels.unwrap_or(1)
            )
        });
        let head = OpusHead {
            version: 1,
            channels: if format.param("sprop-stereo") == Some("1") {
                2
            } else {
                1
            },
            // RFC 7845 §5.1: 3840 samples (80 ms) is the recommended pre-skip when unknown.
            pre_skip: 3840,
            input_sample_rate: 48_000,
            output_gain: 0,
            mapping: ChannelMapping::MonoOrStereo,
        };
        let config = TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Opus,
            data: head.to_bytes()?.into(),
        };
        Ok(Opus {
            clock,
            session: FromSession {
                config: Some(config),
                problem: rtpmap.map(|detail| (&OPUS_RTPMAP, detail)),
            },
        })
    }
}

impl Depacketize for Opus {
    fn grouping(&self) -> Grouping {
        Grouping::Packet
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        let Some(r) = group.first() else {
            return Ok(());
        };
        self.session.announce(r, units);
        let data = &r.packet.payload;
        if let Err(e) = packet_samples(data) {
            let detail = e.to_string();
            units.violation(&OPUS_PACKET, r, detail.clone());
            return Err(Damaged(detail));
        }
        let time = self.clock.time(r.ticks);
        units.push(super::frame(Codec::Opus, time, true, data.clone()));
        Ok(())
    }
}

/// The sending side: each frame is one packet.
#[derive(Debug, Default)]
pub struct OpusPacketizer;

impl Packetize for OpusPacketizer {
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        super::whole("Opus", unit, max_payload, out)
    }
}
