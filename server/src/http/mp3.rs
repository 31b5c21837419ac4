//! HTTP-MP3: the live stream's audio as an endless MP3 file (`GET /{app}/{stream}.mp3`, as
//! SRS's `http_remux` serves it): the MP3 frames back to back, each with its own header
//! (ISO/IEC 11172-3 §2.4.1.3), which browsers' `<audio>`, FFmpeg and VLC play. Video and other
//! audio codecs are left out; a stream whose audio is known to be another codec is refused.

use super::live::Format;
use crate::clients::ClientKind;
use bytes::Bytes;
use std::sync::Arc;
use weir_hub::{Item, Stream};
use weir_media::{Codec, MediaKind, MediaPacket};

pub struct Mp3;

impl Format for Mp3 {
    const CONTENT_TYPE: &'static str = "audio/mpeg";
    const KIND: ClientKind = ClientKind::Mp3Play;
    const EXTENSION: &'static str = "mp3";

    fn new(_stream: &Arc<Stream>) -> Self {
        Mp3
    }

    fn refuse(stream: &Stream) -> Option<String> {
        super::live::audio_not(stream, &[Codec::Mp3])
    }

    fn start(&mut self, _out: &mut Vec<Bytes>) {}

    /// A frame's bytes are the publisher's, shared by every player.
    fn write(&mut self, item: Item, out: &mut Vec<Bytes>) {
        if let Item::Media(media) = item
            && let MediaPacket::Frame(frame) = &media.value
            && frame.track.kind == MediaKind::Audio
            && frame.codec == Codec::Mp3
        {
            out.push(frame.data.clone());
        }
    }
}
