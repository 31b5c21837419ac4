//! HTTP-TS: the live stream as one endless MPEG-TS (ISO/IEC 13818-1), PAT and PMT first and
//! then as often as the muxer repeats them, which FFmpeg, VLC and mpegts.js play.

use super::live::Format;
use crate::clients::ClientKind;
use bytes::Bytes;
use tracing::debug;
use weir_hub::Item;
use weir_media::{MediaPacket, Output};
use weir_mpegts::{Muxer, MuxerConfig};

pub struct Ts {
    muxer: Muxer,
    /// PAT and PMT go out before the first frame, once every configuration of the join
    /// snapshot is known.
    started: bool,
}

impl Format for Ts {
    const CONTENT_TYPE: &'static str = "video/MP2T";
    const KIND: ClientKind = ClientKind::TsPlay;

    fn new() -> Self {
        Ts {
            muxer: Muxer::new(MuxerConfig::default()),
            started: false,
        }
    }

    fn start(&mut self, _out: &mut Vec<Bytes>) {}

    fn write(&mut self, item: Item, out: &mut Vec<Bytes>) {
        let Item::Media(media) = item else { return };
        let written = match &media.value {
            MediaPacket::Config(config) => self.muxer.handle_config(config),
            MediaPacket::Frame(frame) => {
                if !std::mem::replace(&mut self.started, true) {
                    self.muxer.start_segment();
                }
                self.muxer.handle_frame(frame)
            }
            MediaPacket::EndOfSequence { .. } => Ok(()),
        };
        if let Err(e) = written {
            debug!(error = %e, "left out of HTTP-TS");
        }
        while let Some(Output::Transmit(bytes)) = self.muxer.poll_output() {
            out.push(bytes);
        }
    }
}
