//! HTTP-TS: the live stream as one endless MPEG-TS (ISO/IEC 13818-1), PAT and PMT first and
//! then as often as the muxer repeats them, which FFmpeg, VLC and mpegts.js play.
//!
//! The stream has one muxer for all its HTTP-TS players, kept in a slot of the stream: each
//! entry is muxed once, by the first player that reaches it (players take entries in order),
//! and its packets are kept in a slot of the entry for the others. A player that joins gets
//! PAT and PMT made for it first, with continuity counters the stream's output continues.
//! Opus audio goes out as the stream's AAC, transcoded once (`weir_transcode::each_as`).

use super::live::Format;
use crate::clients::ClientKind;
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use tracing::{debug, warn};
use weir_hub::{Entry, Item, Slot, Stream};
use weir_media::{MediaPacket, Output};
use weir_mpegts::{Muxer, MuxerConfig};
use weir_transcode::{Want, each_as};

/// The stream's muxer.
static MUXER: Slot<Mutex<Muxer>> = Slot::new();
/// Each entry's packets (empty for a configuration: the PMT goes out with the next frame).
static PACKETS: Slot<Bytes> = Slot::new();

pub struct Ts {
    stream: Arc<Stream>,
    /// PAT and PMT go out before the first frame, once every configuration of the join
    /// snapshot is known.
    started: bool,
}

impl Format for Ts {
    const CONTENT_TYPE: &'static str = "video/MP2T";
    const KIND: ClientKind = ClientKind::TsPlay;
    const EXTENSION: &'static str = "ts";

    fn new(stream: &Arc<Stream>) -> Self {
        Ts {
            stream: stream.clone(),
            started: false,
        }
    }

    fn start(&mut self, _out: &mut Vec<Bytes>) {}

    fn write(&mut self, item: Item, out: &mut Vec<Bytes>) {
        let Item::Media(media) = item else { return };
        let muxer = MUXER.get_or_init(&*self.stream, || {
            Mutex::new(Muxer::new(MuxerConfig::default()))
        });
        let started = &mut self.started;
        each_as(&self.stream, &media, Want::Aac, |media| {
            let packets = PACKETS.get_or_init(&**media, || mux(muxer, media));
            if matches!(media.value, MediaPacket::Frame(_)) && !std::mem::replace(started, true) {
                out.push(muxer.lock().unwrap().psi_for_joiner());
            }
            if !packets.is_empty() {
                out.push(packets.clone());
            }
        });
    }
}

/// `media`'s packets from the stream's muxer.
fn mux(muxer: &Mutex<Muxer>, media: &Entry<MediaPacket>) -> Bytes {
    let mut muxer = muxer.lock().unwrap();
    match &media.value {
        // Once per configuration of the stream (each entry is muxed once): a track MPEG-TS
        // cannot carry (G.711 from a camera) is said to be left out, and its frames then are
        // refused quietly.
        MediaPacket::Config(config) => {
            if let Err(e) = muxer.handle_config(config) {
                warn!(error = %e, codec = %config.codec, "track left out of HTTP-TS and SRT players");
            }
        }
        MediaPacket::Frame(frame) => {
            if let Err(e) = muxer.handle_frame(frame) {
                debug!(error = %e, "frame left out of HTTP-TS");
            }
        }
        MediaPacket::EndOfSequence { .. } => {}
    }
    let mut packets = Vec::new();
    while let Some(Output::Transmit(bytes)) = muxer.poll_output() {
        packets.extend_from_slice(&bytes);
    }
    packets.into()
}
