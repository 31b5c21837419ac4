//! What a WebRTC publisher sends, as the hub's media packets: str0m hands over whole frames
//! (depacketized, reordered, NACKed); this turns them into the media model — H.264 from Annex B
//! to length-prefixed NAL units with its parameter sets as the track's configuration record,
//! Opus with its identification header (RFC 7845 §5.1), VP8, VP9, AV1 and H.265 as they are —
//! on the stream's 90 kHz timeline.

use std::time::Instant;
use str0m::format::Codec as RtcCodec;
use str0m::media::MediaData;
use weir_hub::{Item, Publisher};
use weir_media::access_unit::{InBand, VideoSyntax};
use weir_media::opus::{ChannelMapping, OpusHead};
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track, TrackConfig};

/// A publisher's tracks on their way into the hub.
pub(super) struct Ingest {
    publisher: Publisher,
    /// Where the stream's timeline starts: both tracks are placed on it by arrival, so that
    /// their independent RTP clocks (RFC 3550 §5.1: random offsets) line up.
    epoch: Instant,
    video: Option<TrackIn>,
    audio: Option<TrackIn>,
    /// Frames that arrived but could not be used (no codec Weir carries, a broken access unit).
    pub(super) dropped: u64,
    /// The media section video arrives on (keyframe requests go there).
    pub(super) video_mid: Option<str0m::media::Mid>,
    /// When a keyframe was last asked for.
    pub(super) last_keyframe_request: Option<Instant>,
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
            publisher,
            epoch,
            video: None,
            audio: None,
            dropped: 0,
            video_mid: None,
            last_keyframe_request: None,
        }
    }

    pub(super) fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// One frame from str0m.
    pub(super) fn media(&mut self, data: &MediaData) {
        let Some(codec) = codec(data.params.spec().codec) else {
            self.dropped += 1;
            return;
        };
        let video = codec.kind() == Some(weir_media::MediaKind::Video);
        if video {
            self.video_mid = Some(data.mid);
        }
        let slot = if video {
            &mut self.video
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
                    self.publisher.push(config(kind, codec, record, time));
                    track.configured = true;
                }
                match au.frame {
                    Some(frame) => (bytes::Bytes::from(frame), au.keyframe),
                    None => return,
                }
            }
            None => {
                if !track.configured {
                    track.configured = true;
                    if codec == Codec::Opus {
                        let head = opus_head(&data.params);
                        self.publisher.push(config(kind, codec, head.into(), time));
                    }
                }
                let keyframe = video && data.is_keyframe();
                (bytes::Bytes::copy_from_slice(&data.data), keyframe)
            }
        };
        if video && !track.configured && codec == Codec::H264 {
            // No parameter sets yet: a decoder could not use this frame.
            self.dropped += 1;
            return;
        }
        let frame = Frame {
            track: kind,
            codec,
            pts: time,
            dts: time,
            keyframe,
            data: bytes,
        };
        self.publisher
            .push(Item::media(time, MediaPacket::Frame(frame)));
    }
}

fn config(track: Track, codec: Codec, data: bytes::Bytes, time: Timestamp) -> Item {
    Item::media(
        time,
        MediaPacket::Config(TrackConfig { track, codec, data }),
    )
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

/// The media model's codec for one str0m negotiated.
pub(super) fn codec(codec: RtcCodec) -> Option<Codec> {
    Some(match codec {
        RtcCodec::H264 => Codec::H264,
        RtcCodec::H265 => Codec::H265,
        RtcCodec::Vp8 => Codec::Vp8,
        RtcCodec::Vp9 => Codec::Vp9,
        RtcCodec::Av1 => Codec::Av1,
        RtcCodec::Opus => Codec::Opus,
        RtcCodec::PCMU => Codec::Pcmu,
        RtcCodec::PCMA => Codec::Pcma,
        _ => return None,
    })
}
