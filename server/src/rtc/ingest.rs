//! What a WebRTC publisher sends, as the hub's media packets: str0m hands over whole frames
//! (depacketized, reordered, NACKed); this turns them into the media model — H.264 from Annex B
//! to length-prefixed NAL units with its parameter sets as the track's configuration record,
//! Opus with its identification header (RFC 7845 §5.1), VP8, VP9, AV1 and H.265 as they are —
//! on the stream's 90 kHz timeline.
//!
//! Simulcast (RFC 8853): the publisher's first layer is the stream; each other layer is a
//! stream of its own, `{stream}@{rid}`, with the same audio, so that a player picks its layer by
//! picking its stream (WHEP's `?layer=rid`) and every protocol can play any layer.

use std::time::Instant;
use str0m::media::MediaData;
use weir_hub::{Item, Publisher};
use weir_media::access_unit::{InBand, VideoSyntax};
use weir_media::opus::{ChannelMapping, OpusHead};
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track, TrackConfig};

/// A publisher's tracks on their way into the hub.
pub(super) struct Ingest {
    /// The publisher's stream, then one per further simulcast layer.
    layers: Vec<Layer>,
    /// Where the stream's timeline starts: both tracks are placed on it by arrival, so that
    /// their independent RTP clocks (RFC 3550 §5.1: random offsets) line up.
    epoch: Instant,
    audio: Option<TrackIn>,
    /// Frames that arrived but could not be used (no codec Weir carries, a broken access unit).
    pub(super) dropped: u64,
    /// The media section video arrives on (keyframe requests go there).
    pub(super) video_mid: Option<str0m::media::Mid>,
}

/// One simulcast layer (or the only video) and the stream it publishes.
pub(super) struct Layer {
    /// Its RTP stream id (`None` without simulcast).
    pub(super) rid: Option<str0m::media::Rid>,
    pub(super) publisher: Publisher,
    video: Option<TrackIn>,
    /// When a keyframe of this layer was last asked for.
    last_keyframe_request: Option<Instant>,
}

/// One incoming track.
struct TrackIn {
    codec: Codec,
    clock: Clock,
    /// H.264/H.265: the parameter sets seen, the record announced.
    inband: Option<InBand>,
    configured: bool,
}

/// An RTP clock placed on the stream's timeline by its first frame's arrival.
struct Clock {
    rate: u64,
    first_rtp: u64,
    first_time: Timestamp,
}

impl Clock {
    fn time(&self, rtp: u64) -> Timestamp {
        let delta = i128::from(rtp) - i128::from(self.first_rtp);
        let ticks = delta * i128::from(Timestamp::HZ) / i128::from(self.rate.max(1));
        Timestamp(self.first_time.0 + ticks as i64)
    }
}

impl Ingest {
    pub(super) fn new(publisher: Publisher, epoch: Instant) -> Self {
        Ingest {
            layers: vec![Layer {
                rid: None,
                publisher,
                video: None,
                last_keyframe_request: None,
            }],
            epoch,
            audio: None,
            dropped: 0,
            video_mid: None,
        }
    }

    /// The publisher's own stream.
    pub(super) fn publisher(&self) -> &Publisher {
        &self.layers[0].publisher
    }

    /// The layers: the publisher's stream first.
    pub(super) fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Simulcast: the first layer is the publisher's stream, `others` publish the streams of
    /// the rest (in the offer's order).
    pub(super) fn simulcast(
        &mut self,
        first: str0m::media::Rid,
        others: Vec<(str0m::media::Rid, Publisher)>,
    ) {
        self.layers[0].rid = Some(first);
        self.layers.truncate(1);
        self.layers
            .extend(others.into_iter().map(|(rid, publisher)| Layer {
                rid: Some(rid),
                publisher,
                video: None,
                last_keyframe_request: None,
            }));
    }

    /// Whether a keyframe of `layer` may be asked for at `now` (at most twice a second), and
    /// the layer's rid to ask with.
    pub(super) fn keyframe_due(
        &mut self,
        layer: usize,
        now: Instant,
    ) -> Option<Option<str0m::media::Rid>> {
        let layer = self.layers.get_mut(layer)?;
        let recent = layer
            .last_keyframe_request
            .is_some_and(|at| now.duration_since(at) < std::time::Duration::from_millis(500));
        if recent {
            return None;
        }
        layer.last_keyframe_request = Some(now);
        Some(layer.rid)
    }

    /// One frame from str0m.
    pub(super) fn media(&mut self, data: &MediaData) {
        let Some(codec) = super::media_codec(data.params.spec().codec) else {
            self.dropped += 1;
            return;
        };
        let video = codec.kind() == Some(weir_media::MediaKind::Video);
        if video {
            self.video_mid = Some(data.mid);
        }
        let layer = match data.rid {
            Some(rid) if video => match self.layers.iter().position(|l| l.rid == Some(rid)) {
                Some(layer) => layer,
                None => {
                    // A layer the offer did not announce.
                    self.dropped += 1;
                    return;
                }
            },
            _ => 0,
        };
        let slot = if video {
            &mut self.layers[layer].video
        } else {
            &mut self.audio
        };
        let arrival =
            Timestamp::from_duration(data.network_time.saturating_duration_since(self.epoch));
        let start = || TrackIn {
            codec,
            clock: Clock {
                rate: u64::from(data.time.denom()),
                first_rtp: data.time.numer(),
                first_time: arrival,
            },
            inband: VideoSyntax::of(codec).map(InBand::new),
            configured: false,
        };
        let track = slot.get_or_insert_with(start);
        if track.codec != codec {
            // The publisher switched codec on the m-line: the track starts afresh.
            *track = start();
        }
        let time = track.clock.time(data.time.numer());
        let kind = if video { Track::VIDEO } else { Track::AUDIO };
        // What this frame gives the hub: a configuration, a frame, both or neither.
        let mut out: Vec<MediaPacket> = Vec::with_capacity(2);
        let (bytes, keyframe) = match &mut track.inband {
            Some(inband) => {
                let nals: Vec<std::ops::Range<usize>> = weir_media::nal::annexb_nals(&data.data)
                    .map(|nal| {
                        let start = nal.as_ptr() as usize - data.data.as_ptr() as usize;
                        start..start + nal.len()
                    })
                    .collect();
                let au = inband.access_unit(&data.data, &nals);
                if let Some(record) = au.config {
                    out.push(config(kind, codec, record));
                    track.configured = true;
                }
                match au.frame {
                    Some(frame) => (Some(bytes::Bytes::from(frame)), au.keyframe),
                    None => (None, false),
                }
            }
            None => {
                if !track.configured && codec == Codec::Opus {
                    out.push(config(kind, codec, opus_head(&data.params).into()));
                }
                track.configured = true;
                let keyframe = video && data.is_keyframe();
                (Some(bytes::Bytes::copy_from_slice(&data.data)), keyframe)
            }
        };
        match bytes {
            // An H.264 frame before any parameter sets: no decoder could use it.
            Some(_) if !track.configured => self.dropped += 1,
            Some(data) => out.push(MediaPacket::Frame(Frame {
                track: kind,
                codec,
                pts: time,
                dts: time,
                keyframe,
                data,
            })),
            None => {}
        }
        for packet in out {
            if video {
                self.layers[layer].publisher.push(Item::media(time, packet));
            } else {
                for layer in &self.layers {
                    layer.publisher.push(Item::media(time, packet.clone()));
                }
            }
        }
    }
}

fn config(track: Track, codec: Codec, data: bytes::Bytes) -> MediaPacket {
    MediaPacket::Config(TrackConfig { track, codec, data })
}

/// The identification header of a WebRTC Opus stream: 48 kHz, the channels the SDP's
/// `stereo` parameter announces (RFC 7587 §7.1; "opus/48000/2" is always written with 2).
fn opus_head(params: &str0m::format::PayloadParams) -> Vec<u8> {
    let stereo = params.spec().format.stereo.unwrap_or(true);
    let head = OpusHead {
        version: 1,
        channels: if stereo { 2 } else { 1 },
        pre_skip: 0,
        input_sample_rate: 48_000,
        output_gain: 0,
        mapping: ChannelMapping::MonoOrStereo,
    };
    head.to_bytes().unwrap_or_default()
}
