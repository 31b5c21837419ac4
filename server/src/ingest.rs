//! From a publisher's container bytes to its stream: a demuxer (MPEG-TS for MPEG-TS over UDP
//! and SRT, MPEG-PS for GB28181) whose configurations and frames go into the hub in order,
//! and whose rule violations are counted. One piece of code for every container a sender
//! pushes, so that they all reach players the same way.

use crate::Context;
use std::sync::Arc;
use std::time::Instant;
use tracing::debug;
use weir_hub::{Item, Publisher};
use weir_media::{Frame, Machine, MediaPacket, Output, Timestamp, TrackConfig};

/// A demuxer's outputs the stream takes.
pub(crate) enum Demuxed {
    Config(TrackConfig),
    Frame(Frame),
}

/// A container demuxer: a [`Machine`] whose configurations and frames read as [`Demuxed`];
/// its other events come back as they are, for the debug log.
pub(crate) trait Demux: Machine<Event: std::fmt::Debug> {
    fn demuxed(event: Self::Event) -> Result<Demuxed, Self::Event>;
}

impl Demux for weir_mpegts::Demuxer {
    fn demuxed(event: weir_mpegts::DemuxEvent) -> Result<Demuxed, weir_mpegts::DemuxEvent> {
        match event {
            weir_mpegts::DemuxEvent::Config(c) => Ok(Demuxed::Config(c)),
            weir_mpegts::DemuxEvent::Frame(f) => Ok(Demuxed::Frame(f)),
            other => Err(other),
        }
    }
}

impl Demux for weir_mpegps::Demuxer {
    fn demuxed(event: weir_mpegps::PsEvent) -> Result<Demuxed, weir_mpegps::PsEvent> {
        match event {
            weir_mpegps::PsEvent::Config(c) => Ok(Demuxed::Config(c)),
            weir_mpegps::PsEvent::Frame(f) => Ok(Demuxed::Frame(f)),
            other => Err(other),
        }
    }
}

/// The demuxer between a sender's bytes and its stream.
pub(crate) struct Ingest<D: Demux> {
    ctx: Arc<Context>,
    publisher: Publisher,
    demuxer: D,
    /// The decode time of the last frame, for configurations found in between.
    last_dts: Timestamp,
}

impl<D: Demux> Ingest<D> {
    pub(crate) fn new(ctx: Arc<Context>, publisher: Publisher, demuxer: D) -> Self {
        Ingest {
            ctx,
            publisher,
            demuxer,
            last_dts: Timestamp::default(),
        }
    }

    pub(crate) fn input(&mut self, bytes: &[u8]) {
        if let Err(e) = self.demuxer.handle_input(Instant::now(), bytes) {
            debug!(error = %e, "input not read");
        }
        self.drain();
    }

    pub(crate) fn end(&mut self) {
        let _ = self.demuxer.handle_end(Instant::now());
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(out) = self.demuxer.poll_output() {
            match out {
                Output::Event(event) => match D::demuxed(event) {
                    Ok(Demuxed::Config(config)) => {
                        self.publisher
                            .push(Item::media(self.last_dts, MediaPacket::Config(config)));
                    }
                    Ok(Demuxed::Frame(frame)) => {
                        self.last_dts = frame.dts;
                        self.publisher
                            .push(Item::media(frame.dts, MediaPacket::Frame(frame)));
                    }
                    // Formatted only when the debug log is on.
                    Err(event) => debug!(?event, "demuxed"),
                },
                Output::Transmit(_) => {}
                Output::Violation(v) => {
                    self.ctx.metrics.violations.add(v.rule.id, 1);
                    debug!(rule = v.rule.id, offset = v.offset, detail = %v.detail, "sender broke a rule");
                }
            }
        }
    }
}

/// MPEG-TS in: MPEG-TS over UDP's datagrams and SRT's payloads.
pub(crate) type TsIngest = Ingest<weir_mpegts::Demuxer>;

impl TsIngest {
    pub(crate) fn ts(ctx: Arc<Context>, publisher: Publisher) -> Self {
        Ingest::new(
            ctx,
            publisher,
            weir_mpegts::Demuxer::new(weir_mpegts::Limits::default()),
        )
    }
}
