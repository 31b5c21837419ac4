//! The muxer machine: track configurations and [`Frame`]s in, whole 188-byte transport
//! packets out (13818-1 §2.4), one program.
//!
//! ```text
//! muxer.handle_config(&config)?;        // every track, before its frames (again on change)
//! muxer.start_segment();                // PAT and PMT now (an HLS segment begins)
//! muxer.handle_frame(&frame)?;
//! while let Some(Output::Transmit(bytes)) = muxer.poll_output() { /* write */ }
//! ```
//!
//! What it writes: PAT and PMT (§2.4.4.3, §2.4.4.8) before the first frame, at every
//! [`Muxer::start_segment`] and every [`MuxerConfig::psi_interval`] of DTS; a PCR (§2.4.3.5)
//! in the first packet of every PES on the PCR PID (the first video track, else the first
//! track) and PCR-only packets in between so that PCRs are never more than
//! [`MuxerConfig::pcr_interval`] apart (TR 101 290 2.3a: 40 ms); one access unit per PES with
//! PTS (and DTS when it differs), `data_alignment_indicator` and, on keyframes, the
//! `random_access_indicator`; H.264/H.265 as Annex B with an AUD first and the parameter
//! sets of the track's record before each keyframe that lacks them; AAC behind ADTS headers
//! (13818-7 §6.2), Opus behind `opus_control_header`s with the Opus descriptors in the PMT,
//! MPEG audio as is; continuity counters per PID; 0xFF stuffing in the adaptation field.

use crate::adaptation::{AdaptationField, Pcr};
use crate::opus::{ControlHeader, DESCRIPTOR_EXTENSION_TAG, channel_config_code};
use crate::packet::{PACKET_LEN, PAT_PID, PacketHeader, write_packet};
use crate::pat::{Pat, PatEntry};
use crate::pes::{self, PesHeader, stream_id};
use crate::pmt::{OPUS_FORMAT, Pmt, PmtStream, descriptor_tag, stream_type};
use crate::psi::packetize_section;
use crate::timestamp::wrap;
use crate::video::{record_params_annexb, write_annexb};
use bytes::Bytes;
use std::convert::Infallible;
use weir_media::access_unit::VideoSyntax;
use weir_media::adts::{self, AdtsHeader};
use weir_media::opus::OpusHead;
use weir_media::{
    AudioSpecificConfig, Codec, Error, Frame, MediaKind, Output, Timestamp, Track, TrackConfig,
};

/// A PCR step larger than this (or a step back) is written as a discontinuity.
const MAX_PCR_STEP: i64 = 90_000;

/// How the muxer lays out its program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuxerConfig {
    /// `transport_stream_id` written in the PAT.
    pub transport_stream_id: u16,
    /// The one program's `program_number`, in the PAT and PMT.
    pub program_number: u16,
    /// The PID the PMT is written on.
    pub pmt_pid: u16,
    /// The PID of the first track; later tracks take the next ones.
    pub first_pid: u16,
    /// PAT and PMT are repeated at least this often (DTS time).
    pub psi_interval: Timestamp,
    /// PCRs are at most this far apart (40 ms for TR 101 290 2.3a).
    pub pcr_interval: Timestamp,
    /// How far the PCR runs behind the DTS of the frame being written, so that a decoder
    /// has each access unit before its decoding time.
    pub pcr_delay: Timestamp,
    /// Put an access unit delimiter first in every H.264/H.265 access unit (Apple's HLS
    /// authoring rules and many set-top decoders want it).
    pub access_unit_delimiters: bool,
}

impl Default for MuxerConfig {
    fn default() -> Self {
        MuxerConfig {
            transport_stream_id: 1,
            program_number: 1,
            pmt_pid: 0x1000,
            first_pid: 0x100,
            psi_interval: Timestamp::from_millis(100),
            pcr_interval: Timestamp::from_millis(40),
            pcr_delay: Timestamp::from_millis(100),
            access_unit_delimiters: true,
        }
    }
}

#[derive(Debug, Clone)]
enum Payload {
    Video {
        syntax: VideoSyntax,
        /// The record's parameter sets as Annex B.
        params: Vec<u8>,
        length_size: u8,
    },
    /// The ADTS header for a zero-length payload; frame lengths are patched in.
    Aac {
        adts: [u8; adts::HEADER_LEN],
    },
    MpegAudio,
    Opus,
}

#[derive(Debug, Clone)]
struct MuxTrack {
    track: Track,
    codec: Codec,
    pid: u16,
    stream_id: u8,
    stream_type: u8,
    es_info: Vec<u8>,
    cc: u8,
    payload: Payload,
}

/// The muxer.
#[derive(Debug)]
pub struct Muxer {
    config: MuxerConfig,
    tracks: Vec<MuxTrack>,
    pcr_pid: Option<u16>,
    pat_cc: u8,
    pmt_cc: u8,
    pmt_version: u8,
    /// The PMT was written since the tracks last changed.
    pmt_written: bool,
    psi_due: bool,
    last_psi: Option<i64>,
    last_pcr: Option<i64>,
    pcr_floor: Option<i64>,
    force_pcr: bool,
    last_dts: Option<i64>,
    out: Vec<u8>,
    scratch: Vec<u8>,
}

impl Default for Muxer {
    fn default() -> Self {
        Self::new(MuxerConfig::default())
    }
}

impl Muxer {
    /// A muxer with `config` and no tracks yet; [`Muxer::handle_config`] declares them.
    pub fn new(config: MuxerConfig) -> Self {
        Muxer {
            config,
            tracks: Vec::new(),
            pcr_pid: None,
            pat_cc: 0,
            pmt_cc: 0,
            pmt_version: 0,
            pmt_written: false,
            psi_due: true,
            last_psi: None,
            last_pcr: None,
            pcr_floor: None,
            force_pcr: false,
            last_dts: None,
            out: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The configuration this muxer was made with.
    pub fn config(&self) -> &MuxerConfig {
        &self.config
    }

    /// The PID a track is written on.
    pub fn pid(&self, track: Track) -> Option<u16> {
        self.tracks.iter().find(|t| t.track == track).map(|t| t.pid)
    }

    /// The PID that carries the PCR.
    pub fn pcr_pid(&self) -> Option<u16> {
        self.pcr_pid
    }

    /// Declares a track or changes its configuration: the AVC/HEVC decoder configuration
    /// record (may be empty if every keyframe carries its parameter sets), the AAC
    /// AudioSpecificConfig, the OpusHead, MPEG audio's frame header record (or nothing: MPEG-1
    /// audio then). A new track or a new codec or stream type changes the PMT (its version
    /// goes up and it is written before the next frame).
    pub fn handle_config(&mut self, config: &TrackConfig) -> Result<(), Error> {
        let data = &config.data[..];
        let (payload, stream_type, es_info) = match config.codec {
            Codec::H264 | Codec::H265 => {
                let syntax = if config.codec == Codec::H264 {
                    VideoSyntax::Avc
                } else {
                    VideoSyntax::Hevc
                };
                let (params, length_size) = if data.is_empty() {
                    (Vec::new(), 4)
                } else {
                    record_params_annexb(syntax, data)?
                };
                let st = if syntax == VideoSyntax::Avc {
                    stream_type::H264
                } else {
                    stream_type::H265
                };
                (
                    Payload::Video {
                        syntax,
                        params,
                        length_size,
                    },
                    st,
                    Vec::new(),
                )
            }
            Codec::Aac => {
                let asc = AudioSpecificConfig::parse(data)?;
                let header = AdtsHeader::for_payload(&asc, 0)?.to_bytes();
                let adts = header
                    .try_into()
                    .map_err(|_| Error::usage("ADTS header size"))?;
                (Payload::Aac { adts }, stream_type::AAC_ADTS, Vec::new())
            }
            // The stand-in record's ID bit: 32/44.1/48 kHz are MPEG-1 audio (11172-3), the
            // lower rates MPEG-2 audio (13818-3, and its 2.5 extension); no record, MPEG-1.
            Codec::Mp3 => {
                let version = match data {
                    [] => 1,
                    record => weir_media::MpaHeader::parse(record)?.version,
                };
                let st = if version == 1 {
                    stream_type::MPEG1_AUDIO
                } else {
                    stream_type::MPEG2_AUDIO
                };
                (Payload::MpegAudio, st, Vec::new())
            }
            Codec::Opus => {
                let head = OpusHead::parse(data)?;
                let code = channel_config_code(&head).ok_or_else(|| {
                    Error::usage(format!(
                        "an Opus channel mapping of {} channels that MPEG-TS cannot signal without the extended descriptor",
                        head.channels
                    ))
                })?;
                let mut es_info = vec![descriptor_tag::REGISTRATION, 4];
                es_info.extend_from_slice(&OPUS_FORMAT);
                es_info.extend_from_slice(&[
                    descriptor_tag::DVB_EXTENSION,
                    2,
                    DESCRIPTOR_EXTENSION_TAG,
                    code,
                ]);
                (Payload::Opus, stream_type::PRIVATE_PES, es_info)
            }
            other => {
                return Err(Error::usage(format!(
                    "{other} cannot be carried in MPEG-TS by Weir"
                )));
            }
        };
        if config.codec.kind() != Some(config.track.kind) {
            return Err(Error::usage(format!(
                "{} on a {:?} track",
                config.codec, config.track.kind
            )));
        }
        let mut changed = match self.tracks.iter_mut().find(|t| t.track == config.track) {
            Some(t) => {
                let changed =
                    t.codec != config.codec || t.stream_type != stream_type || t.es_info != es_info;
                t.codec = config.codec;
                t.stream_type = stream_type;
                t.es_info = es_info;
                t.payload = payload;
                changed
            }
            None => {
                let mut pid = self.config.first_pid;
                while pid == self.config.pmt_pid || self.tracks.iter().any(|t| t.pid == pid) {
                    pid += 1;
                }
                if !(0x10..0x1fff).contains(&pid) {
                    return Err(Error::usage("no PID left for another track"));
                }
                let same_kind = |id: u8| self.tracks.iter().filter(|t| t.stream_id == id).count();
                let stream_id = match config.codec {
                    Codec::Opus => stream_id::PRIVATE_STREAM_1,
                    _ => {
                        let first = if config.track.kind == MediaKind::Video {
                            stream_id::VIDEO
                        } else {
                            stream_id::AUDIO
                        };
                        let limit = if first == stream_id::VIDEO { 16 } else { 32 };
                        let n = (0..limit).find(|i| same_kind(first + i) == 0).unwrap_or(0);
                        first + n
                    }
                };
                self.tracks.push(MuxTrack {
                    track: config.track,
                    codec: config.codec,
                    pid,
                    stream_id,
                    stream_type,
                    es_info,
                    cc: 0,
                    payload,
                });
                true
            }
        };
        let pcr_pid = self
            .tracks
            .iter()
            .find(|t| t.track.kind == MediaKind::Video)
            .or(self.tracks.first())
            .map(|t| t.pid);
        if pcr_pid != self.pcr_pid {
            self.pcr_pid = pcr_pid;
            changed = true;
        }
        if changed {
            if self.pmt_written {
                self.pmt_version = (self.pmt_version + 1) & 0x1f;
                self.pmt_written = false;
            }
            self.psi_due = true;
        }
        Ok(())
    }

    /// Writes PAT and PMT now, and makes the next frame carry (or be preceded by) a PCR: the
    /// start of a segment a player may begin with.
    pub fn start_segment(&mut self) {
        self.write_psi();
        self.last_psi = self.last_dts;
        self.psi_due = false;
        self.force_pcr = true;
    }

    /// Writes one frame. Errors: a track without configuration, a codec other than the
    /// track's, a payload that is not what the codec needs (bad NAL lengths, an AAC frame
    /// too long for ADTS, an audio frame too long for one PES).
    pub fn handle_frame(&mut self, frame: &Frame) -> Result<(), Error> {
        let Some(i) = self.tracks.iter().position(|t| t.track == frame.track) else {
            return Err(Error::usage(format!(
                "a frame for {:?} before its configuration",
                frame.track
            )));
        };
        if self.tracks[i].codec != frame.codec {
            return Err(Error::usage(format!(
                "a {} frame on a {} track",
                frame.codec, self.tracks[i].codec
            )));
        }
        let (pts, dts) = (frame.pts.0, frame.dts.0);
        // The PES in scratch: header space first, filled in once the payload is known.
        let dts_field = (dts != pts).then_some(dts);
        let header_len = pes::FIXED_LEN + 3 + if dts_field.is_some() { 10 } else { 5 };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        scratch.resize(header_len, 0);
        let track = &self.tracks[i];
        let result = match &track.payload {
            Payload::Video {
                syntax,
                params,
                length_size,
            } => {
                let params = (frame.keyframe && !params.is_empty()).then_some(&params[..]);
                write_annexb(
                    *syntax,
                    &frame.data,
                    *length_size,
                    self.config.access_unit_delimiters,
                    params,
                    &mut scratch,
                )
            }
            Payload::Aac { adts } => {
                let len = frame.data.len() + adts::HEADER_LEN;
                if len >= 1 << 13 {
                    Err(Error::usage(format!(
                        "a {}-byte AAC frame is too long for ADTS",
                        frame.data.len()
                    )))
                } else {
                    let mut h = *adts;
                    h[3] = (h[3] & 0xfc) | (len >> 11) as u8 & 0x03;
                    h[4] = (len >> 3) as u8;
                    h[5] = (h[5] & 0x1f) | ((len & 7) << 5) as u8;
                    scratch.extend_from_slice(&h);
                    scratch.extend_from_slice(&frame.data);
                    Ok(())
                }
            }
            Payload::MpegAudio => {
                scratch.extend_from_slice(&frame.data);
                Ok(())
            }
            Payload::Opus => {
                ControlHeader::write(frame.data.len(), &mut scratch);
                scratch.extend_from_slice(&frame.data);
                Ok(())
            }
        };
        if let Err(e) = result {
            self.scratch = scratch;
            return Err(e);
        }
        let payload_len = scratch.len() - header_len;
        let video = track.track.kind == MediaKind::Video;
        if !video && payload_len + header_len - pes::FIXED_LEN > pes::MAX_PACKET_LENGTH {
            self.scratch = scratch;
            return Err(Error::usage(format!(
                "a {payload_len}-byte audio frame does not fit one PES packet"
            )));
        }
        let mut header = Vec::with_capacity(header_len);
        PesHeader::write(
            track.stream_id,
            wrap(pts),
            dts_field.map(wrap),
            Some(payload_len),
            &mut header,
        );
        scratch[..header_len].copy_from_slice(&header);

        let (pid, on_pcr_pid) = (track.pid, Some(track.pid) == self.pcr_pid);
        if self.psi_due
            || self
                .last_psi
                .is_none_or(|l| dts - l >= self.config.psi_interval.0 || dts < l)
        {
            self.write_psi();
            self.last_psi = Some(dts);
            self.psi_due = false;
        }
        let pcr = self.pcr_before(dts, on_pcr_pid);
        let field = AdaptationField {
            random_access: frame.keyframe && video,
            pcr: pcr.map(|(value, _)| Pcr::from_90khz(value)),
            discontinuity: pcr.is_some_and(|(_, d)| d),
            ..Default::default()
        };
        self.out.reserve((scratch.len() / 184 + 2) * PACKET_LEN);
        let mut cc = self.tracks[i].cc;
        packetize(&mut self.out, &scratch, pid, &mut cc, &field);
        self.tracks[i].cc = cc;
        self.scratch = scratch;
        self.last_dts = Some(self.last_dts.map_or(dts, |l| l.max(dts)));
        Ok(())
    }

    /// Bytes to send: whole packets, as many as the last calls wrote.
    pub fn poll_output(&mut self) -> Option<Output<Infallible>> {
        if self.out.is_empty() {
            return None;
        }
        Some(Output::Transmit(Bytes::from(std::mem::take(&mut self.out))))
    }

    fn write_psi(&mut self) {
        let (pat, pmt) = self.psi_sections();
        packetize_section(&pat, PAT_PID, &mut self.pat_cc, &mut self.out);
        packetize_section(&pmt, self.config.pmt_pid, &mut self.pmt_cc, &mut self.out);
        self.pmt_written = true;
    }

    /// The PAT and PMT sections of the program as it is now.
    fn psi_sections(&self) -> (Vec<u8>, Vec<u8>) {
        let pat = Pat {
            transport_stream_id: self.config.transport_stream_id,
            version: 0,
            programs: vec![PatEntry {
                program_number: self.config.program_number,
                pmt_pid: self.config.pmt_pid,
            }],
            network_pid: None,
        };
        let pmt = Pmt {
            program_number: self.config.program_number,
            version: self.pmt_version,
            pcr_pid: self.pcr_pid.unwrap_or(0x1fff),
            program_info: Vec::new(),
            streams: self
                .tracks
                .iter()
                .map(|t| PmtStream {
                    stream_type: t.stream_type,
                    pid: t.pid,
                    es_info: t.es_info.clone(),
                })
                .collect(),
        };
        (pat.to_section(), pmt.to_section())
    }

    /// PAT and PMT for a receiver that joins this muxer's output now (a server's HTTP-TS
    /// player that starts mid-stream): their continuity counters end just before the ones the
    /// output uses next, so that what follows is continuous for the receiver (13818-1
    /// §2.4.3.3). The muxer's own state does not change.
    pub fn psi_for_joiner(&self) -> Bytes {
        let (pat, pmt) = self.psi_sections();
        let mut out = Vec::new();
        for (section, pid, next) in [
            (pat, PAT_PID, self.pat_cc),
            (pmt, self.config.pmt_pid, self.pmt_cc),
        ] {
            let mut count = Vec::new();
            packetize_section(&section, pid, &mut 0, &mut count);
            let packets = (count.len() / PACKET_LEN) as u8;
            let mut cc = next.wrapping_sub(packets) & 0x0f;
            packetize_section(&section, pid, &mut cc, &mut out);
        }
        out.into()
    }

    /// Writes the PCR-only packets due before a frame of DTS `dts`; returns the PCR the
    /// frame's first packet carries (and whether it is a discontinuity) when it is on the
    /// PCR PID.
    fn pcr_before(&mut self, dts: i64, on_pcr_pid: bool) -> Option<(i64, bool)> {
        let pid = self.pcr_pid?;
        let floor = *self.pcr_floor.get_or_insert(dts);
        let target = (dts - self.config.pcr_delay.0).max(floor);
        let interval = self.config.pcr_interval.0.max(1);
        let force = std::mem::take(&mut self.force_pcr);
        let (value, discontinuity) = match self.last_pcr {
            None => (target, false),
            Some(last) if (target - last).abs() > MAX_PCR_STEP => {
                // A new timeline: the PCR restarts at this frame's DTS.
                self.pcr_floor = Some(dts);
                (dts, true)
            }
            Some(mut last) => {
                let value = target.max(last);
                while value - last > interval {
                    last += interval;
                    self.pcr_only(pid, last, false);
                }
                self.last_pcr = Some(last);
                (value, false)
            }
        };
        if on_pcr_pid {
            self.last_pcr = Some(value);
            return Some((value, discontinuity));
        }
        if self.last_pcr.is_none() || discontinuity || force {
            self.pcr_only(pid, value, discontinuity);
            self.last_pcr = Some(value);
        }
        None
    }

    /// A packet with only an adaptation field carrying a PCR (its continuity counter does not
    /// advance: there is no payload).
    fn pcr_only(&mut self, pid: u16, value: i64, discontinuity: bool) {
        let Some(track) = self.tracks.iter().find(|t| t.pid == pid) else {
            return;
        };
        let header = PacketHeader {
            pid,
            // The counter of the last packet with payload on this PID.
            continuity_counter: track.cc.wrapping_sub(1) & 0x0f,
            ..Default::default()
        };
        let field = AdaptationField {
            pcr: Some(Pcr::from_90khz(value)),
            discontinuity,
            ..Default::default()
        };
        write_packet(&mut self.out, header, Some(&field), &[]);
    }
}

/// Appends the packets carrying one PES on `pid`; `field` goes in the first packet.
fn packetize(out: &mut Vec<u8>, mut data: &[u8], pid: u16, cc: &mut u8, field: &AdaptationField) {
    let mut first = true;
    while !data.is_empty() {
        let header = PacketHeader {
            pid,
            payload_unit_start: first,
            continuity_counter: *cc,
            ..Default::default()
        };
        let used = write_packet(out, header, first.then_some(field), data);
        data = &data[used..];
        *cc = (*cc + 1) & 0x0f;
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_need_a_configured_track() {
        let mut m = Muxer::default();
        let frame = Frame {
            track: Track::AUDIO,
            codec: Codec::Mp3,
            pts: Timestamp(0),
            dts: Timestamp(0),
            keyframe: true,
            data: Bytes::from_static(&[0xff, 0xfb, 0x90, 0x64]),
        };
        assert!(m.handle_frame(&frame).is_err());
        let config = TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Mp3,
            data: Bytes::new(),
        };
        m.handle_config(&config).unwrap();
        m.handle_frame(&frame).unwrap();
        let Some(Output::Transmit(bytes)) = m.poll_output() else {
            panic!("no output");
        };
        // PAT, PMT, one PES packet.
        assert_eq!(bytes.len(), 3 * PACKET_LEN);
        assert!(bytes.chunks(PACKET_LEN).all(|p| p[0] == 0x47));
        assert!(m.poll_output().is_none());
        let wrong = TrackConfig {
            track: Track::VIDEO,
            codec: Codec::Aac,
            data: Bytes::from_static(&[0x12, 0x10]),
        };
        assert!(m.handle_config(&wrong).is_err());
    }

    #[test]
    fn a_joiner_gets_psi_that_the_output_continues() {
        let mut m = Muxer::default();
        m.handle_config(&TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Mp3,
            data: Bytes::new(),
        })
        .unwrap();
        let frame = |n: i64| Frame {
            track: Track::AUDIO,
            codec: Codec::Mp3,
            pts: Timestamp(n * 2160),
            dts: Timestamp(n * 2160),
            keyframe: true,
            data: Bytes::from_static(&[0xff, 0xfb, 0x90, 0x64]),
        };
        m.handle_frame(&frame(0)).unwrap();
        while m.poll_output().is_some() {}
        let joiner = m.psi_for_joiner();
        let cc = |packet: &[u8]| packet[3] & 0x0f;
        let pid = |packet: &[u8]| u16::from_be_bytes([packet[1], packet[2]]) & 0x1fff;
        assert_eq!(joiner.len(), 2 * PACKET_LEN);
        m.start_segment();
        m.handle_frame(&frame(1)).unwrap();
        let Some(Output::Transmit(next)) = m.poll_output() else {
            panic!("no output")
        };
        for (old, new) in joiner.chunks(PACKET_LEN).zip(next.chunks(PACKET_LEN)) {
            assert_eq!(pid(old), pid(new));
            assert_eq!(
                (cc(old) + 1) & 0x0f,
                cc(new),
                "continuous on PID {}",
                pid(old)
            );
            assert_eq!(old[4..], new[4..], "the same tables");
        }
    }
}
