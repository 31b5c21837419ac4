//! Hub entries as what a WebRTC player is sent: H.264 and H.265 frames back to Annex B with
//! their parameter sets before each keyframe (str0m's packetizers take Annex B, RFC 6184 §5.1),
//! made once per entry and shared by every WebRTC player of the stream; VP8, VP9, AV1 and Opus
//! as they are, AAC as Opus. B-frames are left out, as SRS leaves them out of RTMP-to-WebRTC (browsers'
//! WebRTC decoders expect frames in presentation order); RTP timestamps are presentation times.

use super::rtc_codec;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use str0m::Rtc;
use str0m::media::{MediaKind as RtcKind, MediaTime, Mid, Pt};
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::unversioned::{H264Packetizer, Packetizer};
use weir_hub::{Entry, Item, Slot, Stream};
use weir_media::access_unit::{VideoSyntax, record_params};
use weir_media::{Codec, MediaKind, MediaPacket, Timestamp};

/// Each media entry as the stream's WebRTC players are sent it (`None`: nothing to send).
static PAYLOAD: Slot<Option<Arc<Prepared>>> = Slot::new();

/// The RTP payload budget: str0m's datagram target less the SRTP tag, a multiple of the AES
/// block size, as str0m's own packetizing uses (RFC 3711 §3.1: the tag follows the payload).
const RTP_MTU: usize = {
    let rtp = str0m::DATAGRAM_MTU_TARGET - 16;
    rtp - rtp % 16
};

/// One frame as every WebRTC player of the stream is sent it, made once per hub entry.
pub(super) struct Prepared {
    codec: Codec,
    /// The frame as str0m's frame API takes it (Annex B for H.264 and H.265).
    pub(super) payload: Arc<[u8]>,
    /// The frame cut into RTP payloads, made when an RTP-mode player first needs them.
    packets: OnceLock<Option<Box<[Packet]>>>,
}

/// One RTP payload of a frame, and whether it ends the frame (the RTP marker bit, RFC 6184
/// §5.1 for H.264).
pub(super) struct Packet {
    payload: Arc<[u8]>,
    marker: bool,
}

impl Prepared {
    /// The frame's RTP payloads: H.264 cut by str0m's packetizer (single NAL units, FU-A,
    /// STAP-A for the parameter sets), Opus as one packet; `None` for other codecs (their
    /// players use the frame API).
    pub(super) fn packets(&self) -> Option<&[Packet]> {
        self.packets
            .get_or_init(|| {
                let chunks = match self.codec {
                    Codec::H264 => H264Packetizer::default()
                        .packetize(RTP_MTU, &self.payload)
                        .ok()?,
                    Codec::Opus => vec![self.payload.to_vec()],
                    _ => return None,
                };
                let last = chunks.len().checked_sub(1)?;
                let video = self.codec.kind() == Some(MediaKind::Video);
                Some(
                    chunks
                        .into_iter()
                        .enumerate()
                        .map(|(i, chunk)| Packet {
                            payload: chunk.into(),
                            marker: video && i == last,
                        })
                        .collect(),
                )
            })
            .as_deref()
    }
}

/// Whether a player is served in RTP mode, each frame cut into packets once for all players:
/// when the stream's video is H.264 (`video`), or, while it has none yet, when no video codec
/// the player offered (`offered`) is one RTP mode cannot send. str0m's mode is fixed when the
/// session is made (its frame API panics in RTP mode), so a player that joins before the
/// publisher must be ready for whatever codec comes.
pub(super) fn packetized_once(video: Option<Codec>, offered: &[Codec]) -> bool {
    match video {
        Some(codec) => codec == Codec::H264,
        None => offered
            .iter()
            .all(|c| c.kind() != Some(MediaKind::Video) || *c == Codec::H264),
    }
}

/// One frame for str0m to packetize and send. str0m takes one write at a time: its output
/// must be drained before the next (one AAC frame can make two Opus frames, and a player
/// catching up takes several items at once), so a player's items become writes first.
pub(super) struct Write {
    pub mid: Mid,
    pub pt: Pt,
    pub wallclock: Instant,
    pub rtp: MediaTime,
    pub frame: Arc<Prepared>,
}

/// A player's side of the hub.
pub(super) struct Egress {
    video: Option<Mid>,
    audio: Option<Mid>,
    /// The parameter sets of the video record in force, Annex B, to put before keyframes.
    params: Option<Arc<[u8]>>,
    /// The stream time of the first frame sent, and when it was sent: RTP times count from it.
    base: Option<(Timestamp, Instant)>,
    /// Payload types chosen per codec (the first the answer offers for it).
    pts: Vec<(Codec, Pt)>,
    /// RTP mode: the next sequence number of each media section's stream.
    seqs: Vec<(Mid, u64)>,
    pub(super) frames: u64,
    /// Frames with no payload type negotiated for their codec, or B-frames.
    pub(super) skipped: u64,
}

impl Egress {
    pub(super) fn new() -> Self {
        Egress {
            video: None,
            audio: None,
            params: None,
            base: None,
            pts: Vec::new(),
            seqs: Vec::new(),
            frames: 0,
            skipped: 0,
        }
    }

    /// A media section the offer brought (the player receives on it).
    pub(super) fn media_added(&mut self, mid: Mid, kind: RtcKind) {
        match kind {
            RtcKind::Video if self.video.is_none() => self.video = Some(mid),
            RtcKind::Audio if self.audio.is_none() => self.audio = Some(mid),
            _ => {}
        }
    }

    /// Whether the session negotiated a video section (a keyframe is then worth asking for).
    pub(super) fn has_video(&self) -> bool {
        self.video.is_some()
    }

    /// The writes one hub item of `stream` makes, appended to `out`: AAC as the stream's Opus
    /// (transcoded once for all its WebRTC players, see `weir_transcode`), everything else as
    /// it is.
    pub(super) fn item(
        &mut self,
        rtc: &mut Rtc,
        stream: &Stream,
        item: Item,
        out: &mut Vec<Write>,
    ) {
        let Item::Media(entry) = item else {
            return;
        };
        weir_transcode::each_as(stream, &entry, weir_transcode::Want::Opus, |entry| {
            out.extend(self.entry(rtc, entry));
        });
    }

    fn entry(&mut self, rtc: &Rtc, entry: &Entry<MediaPacket>) -> Option<Write> {
        match &entry.value {
            MediaPacket::Config(config) if config.track.kind == MediaKind::Video => {
                self.params = VideoSyntax::of(config.codec)
                    .and_then(|syntax| record_params(syntax, &config.data).ok())
                    .map(|(params, _)| annexb(params.iter().map(|p| &p[..])).into());
                None
            }
            MediaPacket::Frame(frame) => {
                let Some(prepared) = prepared(entry, self.params.as_ref()) else {
                    self.skipped += 1;
                    return None;
                };
                let video = frame.track.kind == MediaKind::Video;
                let mid = if video { self.video } else { self.audio };
                let Some((mid, pt)) =
                    mid.and_then(|mid| Some((mid, self.pt(rtc, mid, frame.codec)?)))
                else {
                    self.skipped += 1;
                    return None;
                };
                let (base, at) = *self.base.get_or_insert((frame.dts, Instant::now()));
                let since = frame.pts.0.saturating_sub(base.0).max(0) as u64;
                let rtp = if video {
                    MediaTime::from_90khz(since)
                } else {
                    MediaTime::new(
                        since * 48_000 / 90_000,
                        str0m::media::Frequency::FORTY_EIGHT_KHZ,
                    )
                };
                let offset = frame.dts.0.saturating_sub(base.0).max(0) as u64;
                let wallclock = at + std::time::Duration::from_micros(offset * 100 / 9);
                self.frames += 1;
                Some(Write {
                    mid,
                    pt,
                    wallclock,
                    rtp,
                    frame: prepared,
                })
            }
            _ => None,
        }
    }

    /// RTP mode: hands str0m the frame's packets, shared with the stream's other players, under
    /// this player's sequence numbers (from a random start below 2^15, so that the rollover
    /// counter starts at 0, RFC 3711 §3.3.1). Video packets are kept for NACKs; audio is not.
    /// `false` when the frame has no packets (a codec cut only by the frame API).
    pub(super) fn write_rtp(&mut self, rtc: &mut Rtc, write: &Write) -> bool {
        let Some(packets) = write.frame.packets() else {
            self.skipped += 1;
            return false;
        };
        let mut direct = rtc.direct_api();
        let Some(stream) = direct.stream_tx_by_mid(write.mid, None) else {
            return false;
        };
        let seq = match self.seqs.iter_mut().find(|(mid, _)| *mid == write.mid) {
            Some((_, seq)) => seq,
            None => {
                self.seqs
                    .push((write.mid, u64::from(rand::random::<u16>() >> 1)));
                &mut self.seqs.last_mut().expect("just pushed").1
            }
        };
        let nackable = write.frame.codec.kind() == Some(MediaKind::Video);
        // RTP timestamps wrap at 2^32 (RFC 3550 §5.1).
        let time = write.rtp.numer() as u32;
        for packet in packets {
            stream.write_rtp(
                RtpWrite::new(
                    write.pt,
                    SeqNo::from(*seq),
                    time,
                    write.wallclock,
                    packet.payload.clone(),
                )
                .marker(packet.marker)
                .nackable(nackable),
            );
            *seq += 1;
        }
        true
    }

    /// The payload type for `codec` on `mid`, found once.
    fn pt(&mut self, rtc: &Rtc, mid: Mid, codec: Codec) -> Option<Pt> {
        if let Some((_, pt)) = self.pts.iter().find(|(c, _)| *c == codec) {
            return Some(*pt);
        }
        // What the peer can receive on `mid` (as `Writer::payload_params`, which RTP mode
        // does not offer).
        let remote = rtc.media(mid)?.remote_pts();
        let wanted = rtc_codec(codec)?;
        let mut candidates: Vec<_> = rtc
            .codec_config()
            .params()
            .iter()
            .filter(|p| remote.contains(&p.pt()) && p.spec().codec == wanted)
            .collect();
        // H.264: packetization-mode 1 (FU-A and STAP-A, RFC 6184 §6.3) where offered.
        candidates.sort_by_key(|p| p.spec().format.packetization_mode != Some(1));
        let pt = candidates.first()?.pt();
        self.pts.push((codec, pt));
        Some(pt)
    }
}

/// A frame entry as players are sent it, made once for all players: `None` for a B-frame, or
/// a codec WebRTC does not carry.
fn prepared(entry: &Entry<MediaPacket>, params: Option<&Arc<[u8]>>) -> Option<Arc<Prepared>> {
    PAYLOAD
        .get_or_init(entry, || {
            let MediaPacket::Frame(frame) = &entry.value else {
                return None;
            };
            rtc_codec(frame.codec)?;
            let payload: Arc<[u8]> = match VideoSyntax::of(frame.codec) {
                Some(syntax) => {
                    let nals: Vec<&[u8]> = weir_media::nal::length_prefixed_nals(&frame.data, 4)
                        .collect::<Result<_, _>>()
                        .ok()?;
                    let b_frame = syntax == VideoSyntax::Avc
                        && nals
                            .iter()
                            .find_map(|nal| weir_media::avc::slice_type(nal))
                            .is_some_and(|t| t == 1);
                    if b_frame {
                        return None;
                    }
                    let mut out = Vec::with_capacity(frame.data.len() + 256);
                    if let Some(params) = params.filter(|_| frame.keyframe) {
                        out.extend_from_slice(params);
                    }
                    out.extend_from_slice(&annexb(nals.into_iter()));
                    out.into()
                }
                None => Arc::from(&frame.data[..]),
            };
            Some(Arc::new(Prepared {
                codec: frame.codec,
                payload,
                packets: OnceLock::new(),
            }))
        })
        .clone()
}

/// NAL units behind 4-byte start codes.
fn annexb<'a>(nals: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for nal in nals {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_player_joining_before_video_is_cut_once_only_if_it_can_receive_nothing_but_h264() {
        use Codec::*;
        // The stream's codec decides once it is known.
        assert!(packetized_once(Some(H264), &[H264, Vp8, Opus]));
        assert!(!packetized_once(Some(Vp8), &[H264, Vp8]));
        // Before it is: a browser's offer (VP8, VP9, AV1 too) gets frame mode, which sends any.
        assert!(!packetized_once(None, &[H264, Vp8, Vp9, Av1, Opus]));
        assert!(packetized_once(None, &[H264, Opus]));
        assert!(packetized_once(None, &[Opus]));
    }
}
