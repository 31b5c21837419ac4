//! The muxer: track configurations and [`Frame`]s in, program stream bytes out (13818-1
//! §2.5), laid out as GB/T 28181-2016 Annex C asks.
//!
//! ```text
//! muxer.handle_config(&config)?;        // every track, before its frames (again on change)
//! muxer.handle_frame(&frame)?;
//! while let Some(Output::Transmit(bytes)) = muxer.poll_output() { /* one frame's packs */ }
//! ```
//!
//! What it writes per frame: a pack header (SCR a little behind the frame's DTS, never going
//! back); before each video keyframe, and before the first frame and after a track change,
//! a system header and the program stream map; then the frame as PES packets of its track's
//! `stream_id` (0xE0.. video, 0xC0.. audio), the first with PTS (and DTS when it differs), the
//! next ones (when the frame does not fit 65535 bytes) without. H.264/H.265 go as Annex B with
//! an AUD first and the parameter sets of the track's record before each keyframe that lacks
//! them; AAC behind ADTS headers (13818-7 §6.2); G.711 as is.

use crate::pack::PackHeader;
use crate::psm::{Psm, PsmStream, stream_type};
use crate::system_header::{StreamBound, SystemHeader};
use bytes::Bytes;
use std::convert::Infallible;
use weir_media::access_unit::VideoSyntax;
use weir_media::adts::AdtsHeader;
use weir_media::{
    AudioSpecificConfig, Codec, Error, Frame, MediaKind, Output, Timestamp, Track, TrackConfig,
};
use weir_mpegts::pes::{MAX_PACKET_LENGTH, PesHeader};
use weir_mpegts::video::{record_params_annexb, write_annexb};

/// How the muxer writes its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuxerConfig {
    /// `program_mux_rate` and `rate_bound`, in units of 50 bytes/s.
    pub mux_rate: u32,
    /// How far the SCR runs behind the DTS of the frame it precedes.
    pub scr_delay: Timestamp,
    /// Put an access unit delimiter first in every H.264/H.265 access unit.
    pub access_unit_delimiters: bool,
    /// The most payload bytes in one PES packet (at most 65535 less the header); a frame
    /// longer is split over several.
    pub max_pes_payload: usize,
}

impl Default for MuxerConfig {
    fn default() -> Self {
        MuxerConfig {
            // 8 Mbit/s.
            mux_rate: 20_000,
            scr_delay: Timestamp::from_millis(100),
            access_unit_delimiters: true,
            max_pes_payload: MAX_PACKET_LENGTH - 3 - 10,
        }
    }
}

#[derive(Debug, Clone)]
enum Payload {
    Video {
        syntax: VideoSyntax,
        params: Vec<u8>,
        length_size: u8,
    },
    Aac(AudioSpecificConfig),
    G711,
}

#[derive(Debug, Clone)]
struct MuxTrack {
    track: Track,
    codec: Codec,
    stream_id: u8,
    payload: Payload,
}

/// The muxer.
#[derive(Debug)]
pub struct Muxer {
    config: MuxerConfig,
    tracks: Vec<MuxTrack>,
    version: u8,
    /// The map must be written before the next frame (tracks changed, or nothing written).
    map_due: bool,
    last_scr: Option<u64>,
    out: Vec<u8>,
    scratch: Vec<u8>,
    ready: Option<Bytes>,
}

impl Default for Muxer {
    fn default() -> Self {
        Self::new(MuxerConfig::default())
    }
}

impl Muxer {
    /// A muxer with `config` and no tracks yet.
    pub fn new(config: MuxerConfig) -> Self {
        Muxer {
            config,
            tracks: Vec::new(),
            version: 0,
            map_due: true,
            last_scr: None,
            out: Vec::new(),
            scratch: Vec::new(),
            ready: None,
        }
    }

    /// The `stream_id` a track is written with.
    pub fn stream_id(&self, track: Track) -> Option<u8> {
        self.tracks
            .iter()
            .find(|t| t.track == track)
            .map(|t| t.stream_id)
    }

    /// Declares a track or changes its configuration: the AVC/HEVC decoder configuration
    /// record (may be empty if keyframes carry their parameter sets), the AAC
    /// AudioSpecificConfig, nothing for G.711. A new track or codec changes the map (its
    /// version goes up and it is written before the next frame).
    pub fn handle_config(&mut self, config: &TrackConfig) -> Result<(), Error> {
        let data = &config.data[..];
        let payload = match config.codec {
            Codec::H264 | Codec::H265 => {
                let syntax = VideoSyntax::of(config.codec).expect("video codec");
                let (params, length_size) = if data.is_empty() {
                    (Vec::new(), 4)
                } else {
                    record_params_annexb(syntax, data)?
                };
                Payload::Video {
                    syntax,
                    params,
                    length_size,
                }
            }
            Codec::Aac => Payload::Aac(AudioSpecificConfig::parse(data)?),
            Codec::Pcma | Codec::Pcmu => Payload::G711,
            other => {
                return Err(Error::usage(format!(
                    "{other} cannot be carried in a GB28181 program stream by Weir"
                )));
            }
        };
        if config.codec.kind() != Some(config.track.kind) {
            return Err(Error::usage(format!(
                "{} on a {:?} track",
                config.codec, config.track.kind
            )));
        }
        match self.tracks.iter_mut().find(|t| t.track == config.track) {
            Some(t) => {
                if t.codec != config.codec {
                    self.map_due = true;
                    self.version = (self.version + 1) & 0x1f;
                }
                t.codec = config.codec;
                t.payload = payload;
            }
            None => {
                let base = if config.track.kind == MediaKind::Video {
                    0xe0
                } else {
                    0xc0
                };
                let limit = if config.track.kind == MediaKind::Video {
                    16
                } else {
                    32
                };
                let index = self
                    .tracks
                    .iter()
                    .filter(|t| t.track.kind == config.track.kind)
                    .count();
                if index >= limit {
                    return Err(Error::usage("no stream_id left for another track"));
                }
                self.tracks.push(MuxTrack {
                    track: config.track,
                    codec: config.codec,
                    stream_id: base + index as u8,
                    payload,
                });
                if !self.map_due {
                    self.version = (self.version + 1) & 0x1f;
                }
                self.map_due = true;
            }
        }
        Ok(())
    }

    /// The program stream map the muxer writes now.
    pub fn map(&self) -> Psm {
        Psm {
            current_next: true,
            version: self.version,
            info: Vec::new(),
            streams: self
                .tracks
                .iter()
                .map(|t| PsmStream {
                    stream_type: stream_type::of(t.codec).expect("a codec the muxer takes"),
                    stream_id: t.stream_id,
                    info: Vec::new(),
                })
                .collect(),
        }
    }

    /// The system header the muxer writes now.
    pub fn system_header(&self) -> SystemHeader {
        let count = |kind| self.tracks.iter().filter(|t| t.track.kind == kind).count() as u8;
        SystemHeader {
            rate_bound: self.config.mux_rate,
            audio_bound: count(MediaKind::Audio),
            fixed: false,
            csps: false,
            audio_lock: true,
            video_lock: true,
            video_bound: count(MediaKind::Video),
            packet_rate_restriction: false,
            streams: self
                .tracks
                .iter()
                .map(|t| match t.track.kind {
                    // 1 MiB and 4 KiB of P-STD buffer.
                    MediaKind::Video => StreamBound {
                        stream_id: t.stream_id,
                        scale_1024: true,
                        size_bound: 1024,
                    },
                    _ => StreamBound {
                        stream_id: t.stream_id,
                        scale_1024: false,
                        size_bound: 32,
                    },
                })
                .collect(),
        }
    }

    /// Writes one frame of a declared track.
    pub fn handle_frame(&mut self, frame: &Frame) -> Result<(), Error> {
        let Some(t) = self.tracks.iter().position(|t| t.track == frame.track) else {
            return Err(Error::usage(format!(
                "a frame of {:?} before its config",
                frame.track
            )));
        };
        // The track's fields, borrowed: its payload holds the parameter sets, not to be copied
        // for every frame.
        let track = &self.tracks[t];
        if track.codec != frame.codec {
            return Err(Error::usage(format!(
                "a {} frame on a {} track",
                frame.codec, track.codec
            )));
        }
        let stream_id = track.stream_id;
        // The elementary stream bytes.
        let mut es = std::mem::take(&mut self.scratch);
        es.clear();
        let keyframe = frame.keyframe && track.track.kind == MediaKind::Video;
        match &track.payload {
            Payload::Video {
                syntax,
                params,
                length_size,
            } => write_annexb(
                *syntax,
                &frame.data,
                *length_size,
                self.config.access_unit_delimiters,
                keyframe.then_some(&params[..]).filter(|p| !p.is_empty()),
                &mut es,
            )?,
            Payload::Aac(asc) => {
                es.extend_from_slice(&AdtsHeader::for_payload(asc, frame.data.len())?.to_bytes());
                es.extend_from_slice(&frame.data);
            }
            Payload::G711 => es.extend_from_slice(&frame.data),
        }
        let wrap = |t: i64| t.rem_euclid(1 << 33) as u64;
        let scr = (frame.dts.0 - self.config.scr_delay.0).max(0) as u64;
        let scr = self.last_scr.map_or(scr, |last| scr.max(last));
        self.last_scr = Some(scr);
        PackHeader {
            scr_base: scr,
            scr_ext: 0,
            mux_rate: self.config.mux_rate,
            stuffing: 0,
            mpeg1: false,
        }
        .write(&mut self.out);
        if keyframe || self.map_due {
            self.map_due = false;
            self.system_header().write(&mut self.out);
            self.map().write(&mut self.out);
        }
        let max = self
            .config
            .max_pes_payload
            .clamp(1, MAX_PACKET_LENGTH - 3 - 10);
        let (pts, dts) = (wrap(frame.pts.0), wrap(frame.dts.0));
        let mut chunks = es.chunks(max);
        let first = chunks.next().unwrap_or(&[]);
        PesHeader::write(stream_id, pts, Some(dts), Some(first.len()), &mut self.out);
        self.out.extend_from_slice(first);
        for chunk in chunks {
            // A continuation: the optional header with no PTS (the frame goes on).
            self.out.extend_from_slice(&[0, 0, 1, stream_id]);
            self.out
                .extend_from_slice(&((chunk.len() + 3) as u16).to_be_bytes());
            self.out.extend_from_slice(&[0x80, 0x00, 0x00]);
            self.out.extend_from_slice(chunk);
        }
        self.scratch = es;
        let bytes = Bytes::from(std::mem::take(&mut self.out));
        self.ready = Some(match self.ready.take() {
            Some(before) => [before, bytes].concat().into(),
            None => bytes,
        });
        Ok(())
    }

    /// The bytes written since the last call, as one [`Output::Transmit`].
    pub fn poll_output(&mut self) -> Option<Output<Infallible>> {
        self.ready.take().map(Output::Transmit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_longer_than_a_pes_is_split_with_one_pts() {
        let mut m = Muxer::default();
        m.handle_config(&TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Pcma,
            data: Bytes::new(),
        })
        .unwrap();
        m.handle_frame(&Frame {
            track: Track::AUDIO,
            codec: Codec::Pcma,
            pts: Timestamp(900),
            dts: Timestamp(900),
            keyframe: true,
            data: vec![0x55; 150_000].into(),
        })
        .unwrap();
        let Some(Output::Transmit(bytes)) = m.poll_output() else {
            panic!("bytes")
        };
        let pes: Vec<usize> = memchr::memmem::find_iter(&bytes, &[0, 0, 1, 0xc0]).collect();
        assert_eq!(pes.len(), 3);
        assert_eq!(bytes[pes[0] + 7], 0x80, "PTS on the first");
        assert_eq!(bytes[pes[1] + 7], 0x00, "none on the next");
    }
}
