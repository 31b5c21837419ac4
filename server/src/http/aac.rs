//! HTTP-AAC: the live stream's audio as an endless ADTS file (`GET /{app}/{stream}.aac`, as
//! SRS's `http_remux` serves it): each AAC frame behind its 7-byte ADTS header (ISO/IEC
//! 14496-3 §1.A.2, made from the stream's AudioSpecificConfig), which browsers, FFmpeg and
//! VLC play. Opus audio goes out as the stream's AAC, transcoded once
//! (`weir_transcode::each_as`); video and other audio codecs are left out, and a stream whose
//! audio is known to be another codec is refused.

use super::live::Format;
use crate::clients::ClientKind;
use bytes::Bytes;
use std::sync::Arc;
use tracing::debug;
use weir_hub::{Entry, Item, Slot, Stream};
use weir_media::{AudioSpecificConfig, Codec, MediaKind, MediaPacket};
use weir_transcode::{Want, each_as};

/// Each AAC frame entry's ADTS frame (header and payload), made once for every player.
static ADTS: Slot<Option<Bytes>> = Slot::new();

pub struct Aac {
    stream: Arc<Stream>,
    /// The configuration of the stream's audio, as last announced.
    config: Option<AudioSpecificConfig>,
}

impl Format for Aac {
    const CONTENT_TYPE: &'static str = "audio/aac";
    const KIND: ClientKind = ClientKind::AacPlay;
    const EXTENSION: &'static str = "aac";

    fn new(stream: &Arc<Stream>) -> Self {
        Aac {
            stream: stream.clone(),
            config: None,
        }
    }

    fn refuse(stream: &Stream) -> Option<String> {
        super::live::audio_not(stream, &[Codec::Aac, Want::Aac.source()])
    }

    fn start(&mut self, _out: &mut Vec<Bytes>) {}

    fn write(&mut self, item: Item, out: &mut Vec<Bytes>) {
        let Item::Media(media) = item else { return };
        let config = &mut self.config;
        each_as(&self.stream, &media, Want::Aac, |media| {
            if media.value.track().kind != MediaKind::Audio || media.value.codec() != Codec::Aac {
                return;
            }
            match &media.value {
                MediaPacket::Config(c) => {
                    *config = AudioSpecificConfig::parse(&c.data)
                        .inspect_err(|e| debug!(error = %e, "AAC configuration not read"))
                        .ok();
                }
                MediaPacket::Frame(_) => {
                    if let Some(frame) = config.as_ref().and_then(|c| adts(media, c)) {
                        out.push(frame.clone());
                    }
                }
                MediaPacket::EndOfSequence { .. } => {}
            }
        });
    }
}

/// The ADTS frame of an AAC frame entry (`None` when `config` cannot be said in ADTS: an
/// object type above 4, or a frame too long for the 13-bit length).
fn adts<'e>(media: &'e Entry<MediaPacket>, config: &AudioSpecificConfig) -> Option<&'e Bytes> {
    ADTS.get_or_init(media, || {
        let MediaPacket::Frame(frame) = &media.value else {
            return None;
        };
        weir_media::adts::raw_to_adts(config, &frame.data)
            .inspect_err(|e| debug!(error = %e, "AAC frame left out of HTTP-AAC"))
            .ok()
            .map(Bytes::from)
    })
    .as_ref()
}
