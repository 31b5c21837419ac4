//! Elementary stream readers: one per track, turning complete PES packets into
//! [`Frame`]s and [`TrackConfig`]s.
//!
//! - AVC/HEVC (13818-1 §2.14, §2.17): one access unit per PES; Annex-B in, 4-byte
//!   length-prefixed out; AUDs and parameter sets leave the frame and the parameter sets
//!   become the track's decoder configuration record, sent again whenever they change.
//! - AAC (13818-7 §6.2 ADTS): each ADTS frame is a Frame without its header; the
//!   AudioSpecificConfig comes from the header. Frames may straddle PES packets.
//! - MPEG audio (11172-3, 13818-3): each frame, header included, is a Frame; the config is
//!   the frame header's fixed fields ([`weir_media::MpaHeader::record`]), sent again when they
//!   change.
//! - Opus (Opus-in-TS): each `opus_access_unit` is a Frame; the config comes from the PMT.
//!
//! The PES's PTS belongs to the first access unit that starts in it (13818-1 §2.4.3.7);
//! later ones are timed by their durations.

use crate::event::DemuxEvent;
use crate::mpa::MpaHeader;
use crate::opus::ControlHeader;
use crate::rules::{ANNEX_B, DTS_MONOTONIC, LIMIT, MPEG_AUDIO, OPUS_CONTROL, PTS_REPETITION};
use crate::video::{StartCodes, annexb_nals};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::ops::Range;
use weir_media::access_unit::{InBand, VideoSyntax};
use weir_media::adts::AdtsHeader;
use weir_media::opus::OpusHead;
use weir_media::rules as media_rules;
use weir_media::{
    Announcer, Codec, Error, Frame, Output, Timestamp, Track, TrackConfig, Violation,
};

/// The most 13818-1 §2.7.4 lets pass between two PTSs of a stream: 0.7 s.
const MAX_PTS_GAP: i64 = 63_000;

/// One complete PES packet, its timestamps unwrapped: what an [`EsReader`] reads. Built by
/// the TS demuxer and by the MPEG-PS demuxer (`weir-mpegps`), which share these readers.
#[derive(Debug)]
pub struct Pes {
    /// Presentation time (90 kHz, unwrapped), if the PES header had one.
    pub pts: Option<i64>,
    /// Decoding time (90 kHz, unwrapped); the PTS when the header had no DTS.
    pub dts: Option<i64>,
    /// A random_access_indicator came with it.
    pub random_access: bool,
    /// Its header's `data_alignment_indicator`: the payload starts with the syntax element
    /// the stream's alignment type names (13818-1 §2.4.3.7, §2.6.10), a start code for AVC
    /// and HEVC.
    pub data_alignment: bool,
    /// The PES payload, after its header.
    pub data: Bytes,
    /// Stream offset of the packet that began it.
    pub offset: u64,
}

type Out = VecDeque<Output<DemuxEvent>>;

fn violation(out: &mut Out, v: Violation) {
    out.push_back(Output::Violation(v));
}

fn config_violation(out: &mut Out, e: Error, offset: u64, what: &str) {
    if let Some(mut v) = e.into_violation() {
        v.detail = format!("{what}: {} (byte {} of it)", v.detail, v.offset);
        v.offset = offset;
        violation(out, v);
    }
}

/// A sample clock: timestamps as a base plus a count of samples, so that durations that are
/// not whole ticks do not drift.
#[derive(Debug, Clone, Copy, Default)]
struct SampleClock {
    base: Option<i64>,
    samples: u64,
    rate: u32,
}

impl SampleClock {
    fn now(&self) -> Option<i64> {
        let base = self.base?;
        let rate = u64::from(self.rate.max(1));
        // Rounded to the nearest tick, as FFmpeg times the frames after a PES's first.
        let ticks = (self.samples.saturating_mul(90_000).saturating_add(rate / 2)) / rate;
        Some(base.saturating_add(ticks as i64))
    }

    fn restart(&mut self, at: i64, rate: u32) {
        self.base = Some(at);
        self.samples = 0;
        self.rate = rate;
    }

    fn advance(&mut self, samples: u32, rate: u32) {
        if rate != self.rate {
            if let Some(now) = self.now() {
                self.restart(now, rate);
            }
            self.rate = rate;
        }
        self.samples = self.samples.saturating_add(u64::from(samples));
    }
}

#[derive(Debug)]
enum State {
    Video(Box<VideoState>),
    /// AAC or MPEG audio: frames may straddle PES packets.
    Audio {
        carry: BytesMut,
        /// When the carried frame starts.
        carry_at: Option<i64>,
        clock: SampleClock,
        /// (profile, sampling index, channels) of the config last sent (AAC).
        config: Option<(u8, u8, u8)>,
        /// MPEG audio's configuration, made from its frames' headers.
        announcer: Announcer,
    },
    Opus {
        clock: SampleClock,
    },
}

#[derive(Debug)]
struct VideoState {
    inband: InBand,
    /// NAL units of the access unit being converted (reused).
    nals: Vec<Range<usize>>,
    /// Where access units start in the PES being read (reused).
    starts: Vec<usize>,
    /// DTS step between the last two timed access units, to time the others.
    step: i64,
    /// The access unit being gathered: it ends where the next one starts.
    au: Option<PendingAu>,
    /// The stream delimits its access units with AUDs.
    uses_aud: bool,
    /// The access unit being gathered holds a slice (a later first slice or parameter set
    /// starts the next one, in streams without AUDs).
    in_vcl: bool,
    /// The last bytes of the previous PES payload (a start code may straddle two PES).
    tail: Vec<u8>,
    codes: StartCodes,
    /// Finds a start code followed by an AUD's first header byte.
    auds: memchr::memmem::Finder<'static>,
}

#[derive(Debug)]
struct PendingAu {
    /// The access unit as its first PES packet held it (a slice of that packet).
    data: Bytes,
    /// The whole access unit once later PES packets added to it (grown in place, so that an
    /// access unit spread over many PES packets costs linear time).
    grown: Option<BytesMut>,
    pts: i64,
    dts: i64,
    random_access: bool,
    offset: u64,
}

impl PendingAu {
    fn len(&self) -> usize {
        self.grown.as_ref().map_or(self.data.len(), BytesMut::len)
    }
}

/// Reads the PES packets of one track: H.264/H.265 access units gathered across PES
/// packets (Annex-B in, length-prefixed out, parameter sets to configs), ADTS and MPEG audio
/// frames (each with its own time), Opus access units. Other codecs are ignored.
#[derive(Debug)]
pub struct EsReader {
    /// The track its frames go on.
    pub track: Track,
    /// The codec it reads.
    pub codec: Codec,
    max_au: usize,
    state: State,
    last_dts: Option<i64>,
    last_dts_with_pts: Option<i64>,
}

impl EsReader {
    /// A reader for `codec`; `opus` is the head the PMT's descriptor gave (Opus only).
    /// `max_au` bounds the bytes of one access unit gathered from several PES packets.
    pub fn new(track: Track, codec: Codec, max_au: usize) -> Self {
        let state = match codec {
            Codec::H264 | Codec::H265 => State::Video(Box::new(VideoState {
                inband: InBand::new(if codec == Codec::H264 {
                    VideoSyntax::Avc
                } else {
                    VideoSyntax::Hevc
                }),
                nals: Vec::new(),
                starts: Vec::new(),
                step: 0,
                au: None,
                uses_aud: false,
                in_vcl: false,
                tail: Vec::new(),
                codes: StartCodes::default(),
                auds: memchr::memmem::Finder::new(&[0, 0, 1, aud_header(codec)]).into_owned(),
            })),
            Codec::Opus => State::Opus {
                clock: SampleClock::default(),
            },
            _ => State::Audio {
                carry: BytesMut::new(),
                carry_at: None,
                clock: SampleClock::default(),
                config: None,
                announcer: Announcer::default(),
            },
        };
        EsReader {
            track,
            codec,
            max_au,
            state,
            last_dts: None,
            last_dts_with_pts: None,
        }
    }

    /// Times video access units that come without a PTS `step` apart (90 kHz), until two
    /// timed ones give the step: for a raw elementary stream, which carries no time.
    pub fn set_video_step(&mut self, step: i64) {
        if let State::Video(v) = &mut self.state {
            v.step = step;
        }
    }

    /// The Opus config to announce with the track (from the PMT).
    pub fn opus_config(&self, head: &OpusHead) -> Option<TrackConfig> {
        Some(TrackConfig {
            track: self.track,
            codec: Codec::Opus,
            data: head.to_bytes().ok()?.into(),
        })
    }

    /// Reads one PES packet.
    pub fn push(&mut self, pes: Pes, out: &mut Out) {
        if let Some(pts) = pes.pts {
            let dts = pes.dts.unwrap_or(pts);
            if let Some(last) = self.last_dts.filter(|&last| dts < last) {
                violation(
                    out,
                    Violation::new(
                        &DTS_MONOTONIC,
                        pes.offset,
                        format!("{:?} DTS {dts} after {last}", self.track.kind),
                    ),
                );
            }
            if let Some(last) = self
                .last_dts_with_pts
                .filter(|&last| dts - last > MAX_PTS_GAP)
            {
                violation(
                    out,
                    Violation::new(
                        &PTS_REPETITION,
                        pes.offset,
                        format!(
                            "{} ms since the previous PTS of this stream",
                            (dts - last) / 90
                        ),
                    ),
                );
            }
            self.last_dts_with_pts = Some(dts);
        }
        match self.codec {
            Codec::H264 | Codec::H265 => self.video(pes, out),
            Codec::Aac | Codec::Mp3 => self.audio(pes, out),
            Codec::Opus => self.opus(pes, out),
            _ => {}
        }
    }

    /// The end of the stream: a frame cut short is reported.
    pub fn finish(&mut self, out: &mut Out) {
        if let State::Video(v) = &mut self.state
            && let Some(au) = v.au.take()
        {
            emit_au(self.track, self.codec, v, au, out);
        }
        if let State::Audio { carry, .. } = &mut self.state
            && !carry.is_empty()
        {
            let rule = if self.codec == Codec::Aac {
                &media_rules::ADTS_TRUNCATED
            } else {
                &MPEG_AUDIO
            };
            violation(
                out,
                Violation::new(
                    rule,
                    0,
                    format!(
                        "the stream ends inside a {}-byte partial audio frame",
                        carry.len()
                    ),
                ),
            );
            carry.clear();
        }
    }

    /// Gathers access units: one starts at each AUD (in streams that use them), or else at
    /// the first start code of a PES with a PTS; bytes before the first start in a PES end
    /// the access unit gathered so far (PES packets need not be aligned to access units,
    /// 13818-1 §2.4.3.7 `data_alignment_indicator`).
    fn video(&mut self, pes: Pes, out: &mut Out) {
        let State::Video(v) = &mut self.state else {
            return;
        };
        let data = &pes.data[..];
        v.starts.clear();
        // The zero bytes before a start code belong to it.
        let begin = |at: usize| {
            data[..at]
                .iter()
                .rposition(|&b| b != 0)
                .map_or(0, |i| i + 1)
        };
        let first_start_code = v.codes.find_iter(data).next().map(begin);
        // A start code begun in the previous PES whose NAL header is in this one.
        let mut split: Option<usize> = None;
        let mut window = v.tail.clone();
        let n = window.len();
        window.extend_from_slice(&data[..data.len().min(3)]);
        for i in 0..n {
            if window.get(i..i + 3) == Some(&[0, 0, 1][..]) && i + 3 >= n && i + 3 < window.len() {
                split = Some(i + 3 - n);
                break;
            }
        }
        v.tail.clear();
        v.tail
            .extend_from_slice(&window[window.len().saturating_sub(3)..]);
        let mut aud = false;
        if let Some(h) = split
            && data[h] == aud_header(self.codec)
        {
            aud = true;
            v.starts.push(0);
        }
        for at in v.auds.find_iter(data) {
            aud = true;
            v.starts.push(begin(at));
        }
        v.uses_aud |= aud;
        if !v.uses_aud {
            // Without AUDs, access units start where H.264 §7.4.1.2.3 / H.265 §7.4.2.4.4 say
            // one does: at a first slice or a parameter set, SEI... after a slice. PES packets
            // holding several access units (program streams pack them so) are cut there.
            let hevc = self.codec == Codec::H265;
            let mut pending = v.au.is_some() || pes.pts.is_none();
            let found = v.codes.find_iter(data).map(|at| (at, at + 3));
            for (at, header) in split.map(|h| (0, h)).into_iter().chain(found) {
                let Some(&h) = data.get(header) else {
                    continue;
                };
                let (vcl, first, starter) = nal_kind(hevc, h, &data[header + 1..]);
                let start = if !pending {
                    pending = true;
                    true
                } else {
                    v.in_vcl && (if vcl { first } else { starter })
                };
                if start {
                    v.starts
                        .push(if split == Some(header) { 0 } else { begin(at) });
                    v.in_vcl = false;
                }
                v.in_vcl |= vcl;
            }
        }
        if pes.pts.is_some()
            && (!v.uses_aud || v.starts.is_empty())
            && let Some(first) = first_start_code.filter(|f| v.starts.first() != Some(f))
        {
            v.starts.insert(0, first);
        }
        v.starts.sort_unstable();
        v.starts.dedup();
        let first = v.starts.first().copied().unwrap_or(data.len());
        let head = &data[..first];
        if !head.is_empty() {
            match v.au.as_mut() {
                Some(au) if au.len() + head.len() <= self.max_au => {
                    let data = &au.data;
                    au.grown
                        .get_or_insert_with(|| {
                            let mut grown = BytesMut::with_capacity(2 * (data.len() + head.len()));
                            grown.extend_from_slice(data);
                            grown
                        })
                        .extend_from_slice(head);
                }
                Some(au) => {
                    violation(
                        out,
                        Violation::new(
                            &LIMIT,
                            au.offset,
                            format!(
                                "an access unit of more than {} bytes is dropped",
                                self.max_au
                            ),
                        ),
                    );
                    v.au = None;
                }
                // Without data_alignment_indicator the bytes may be the tail of an access
                // unit begun before the capture or a loss: only an aligned PES is certain.
                None if pes.data_alignment && head.iter().any(|&b| b != 0) => violation(
                    out,
                    Violation::new(
                        &ANNEX_B,
                        pes.offset,
                        format!(
                            "{} bytes before the first start code of the PES, with no access unit before them, are dropped",
                            head.len()
                        ),
                    ),
                ),
                None => {}
            }
        }
        for k in 0..v.starts.len() {
            let begin = v.starts[k];
            let end = v.starts.get(k + 1).copied().unwrap_or(data.len());
            if let Some(au) = v.au.take() {
                emit_au(self.track, self.codec, v, au, out);
            }
            let (pts, dts) = match (k, pes.pts) {
                (0, Some(pts)) => (pts, pes.dts.unwrap_or(pts)),
                _ => {
                    let dts = self.last_dts.map_or(0, |d| d + v.step);
                    (dts, dts)
                }
            };
            if let Some(last) = self.last_dts.filter(|_| k == 0 && pes.pts.is_some()) {
                v.step = dts - last;
            }
            self.last_dts = Some(dts);
            // An access unit whose start code began in the previous PES gets it back whole.
            let (slice, grown) = match split.filter(|_| begin == 0) {
                Some(h) => {
                    let mut grown = BytesMut::with_capacity(end - h + 4);
                    grown.extend_from_slice(&[0, 0, 0, 1]);
                    grown.extend_from_slice(&data[h..end]);
                    (pes.data.slice(h..end), Some(grown))
                }
                None => (pes.data.slice(begin..end), None),
            };
            v.au = Some(PendingAu {
                data: slice,
                grown,
                pts,
                dts,
                random_access: k == 0 && pes.random_access,
                offset: pes.offset,
            });
        }
    }

    fn audio(&mut self, pes: Pes, out: &mut Out) {
        let State::Audio {
            carry,
            carry_at,
            clock,
            config,
            announcer,
        } = &mut self.state
        else {
            return;
        };
        let aac = self.codec == Codec::Aac;
        let (data, new_from) = if carry.is_empty() {
            (pes.data.clone(), 0)
        } else {
            let n = carry.len();
            carry.extend_from_slice(&pes.data);
            (carry.split().freeze(), n)
        };
        // The clock runs from the carried frame's start, or from this PES's PTS.
        let mut pts_pending = pes.pts;
        if new_from > 0 {
            if let Some(at) = carry_at.take() {
                clock.restart(at, clock.rate);
            }
        } else if let Some(pts) = pts_pending.take() {
            clock.restart(pts, clock.rate);
        }
        let mut pos = 0;
        let mut skipped: Option<(usize, String)> = None;
        let mut last_adts: Option<AdtsHeader> = None;
        while pos < data.len() {
            let rest = &data[pos..];
            let parsed = if aac {
                fast_adts(rest, last_adts.as_ref())
                    .map_or_else(|| AdtsHeader::parse(rest), Ok)
                    .map(|h| {
                        last_adts = Some(h);
                        let rate = weir_media::aac::SAMPLING_FREQUENCIES
                            .get(usize::from(h.sampling_index))
                            .copied()
                            .unwrap_or(48_000);
                        let blocks = u32::from(h.raw_data_blocks.max(1));
                        (
                            usize::from(h.frame_length),
                            h.header_len(),
                            1024 * blocks,
                            rate,
                            Some(h),
                        )
                    })
                    .map_err(|e| (e.rule == Some(&media_rules::ADTS_TRUNCATED), e.detail))
            } else {
                MpaHeader::parse(rest)
                    .map(|h| {
                        // A free-format frame runs to the end of the PES.
                        let len = h
                            .frame_len()
                            .unwrap_or(rest.len())
                            .max(crate::mpa::HEADER_LEN);
                        (len, 0, h.samples(), h.sample_rate, None)
                    })
                    .map_err(|e| (rest.len() < crate::mpa::HEADER_LEN, e.detail))
            };
            // A frame begun in the previous PES must be followed by the next header (or the
            // end): otherwise the carried bytes were not a frame's start after all.
            let bogus_carry = pos < new_from
                && matches!(parsed, Ok((len, ..)) if len <= rest.len()
                    && !rest.get(len..len + 2).is_none_or(|b| looks_like_sync(b, aac)));
            let parsed = if bogus_carry {
                Err((
                    false,
                    "bytes carried from the previous PES are no frame".to_owned(),
                ))
            } else {
                parsed
            };
            match parsed {
                Ok((len, header_len, samples, rate, adts)) if len <= rest.len() => {
                    if let Some((start, why)) = skipped.take() {
                        report_skip(out, aac, &pes, start, pos, &why);
                    }
                    if pos >= new_from
                        && let Some(pts) = pts_pending.take()
                    {
                        clock.restart(pts, rate);
                    }
                    if clock.base.is_none() {
                        clock.restart(self.last_dts.unwrap_or(0), rate);
                    }
                    let at = clock.now().unwrap_or(0);
                    if let Some(h) = adts {
                        let key = (h.profile, h.sampling_index, h.channel_configuration);
                        if *config != Some(key) {
                            *config = Some(key);
                            match h.audio_specific_config().to_bytes() {
                                Ok(asc) => {
                                    out.push_back(Output::Event(DemuxEvent::Config(TrackConfig {
                                        track: self.track,
                                        codec: Codec::Aac,
                                        data: asc.into(),
                                    })))
                                }
                                Err(e) => config_violation(out, e, pes.offset, "ADTS header"),
                            }
                        }
                    }
                    let frame = Frame {
                        track: self.track,
                        codec: self.codec,
                        pts: Timestamp(at),
                        dts: Timestamp(at),
                        keyframe: true,
                        data: data.slice(pos + header_len.min(len)..pos + len),
                    };
                    // MPEG audio: the frame header's rate and channels, when they change.
                    if let Some(config) = announcer.before(&frame) {
                        out.push_back(Output::Event(DemuxEvent::Config(config)));
                    }
                    out.push_back(Output::Event(DemuxEvent::Frame(frame)));
                    self.last_dts = Some(at);
                    clock.advance(samples, rate);
                    pos += len;
                }
                Ok(_) | Err((true, _)) => {
                    // The frame continues in the next PES.
                    if let Some((start, why)) = skipped.take() {
                        report_skip(out, aac, &pes, start, pos, &why);
                    }
                    if pos >= new_from
                        && let Some(pts) = pts_pending.take()
                    {
                        clock.restart(pts, clock.rate);
                    }
                    *carry_at = clock.now();
                    carry.clear();
                    carry.extend_from_slice(rest);
                    return;
                }
                Err((false, detail)) => {
                    if skipped.is_none() {
                        skipped = Some((pos, detail));
                    }
                    // Resynchronise on the next 0xFF (every header starts with one); a bogus
                    // carry is dropped whole.
                    let next = if pos < new_from { new_from } else { pos + 1 };
                    pos = data[next.min(data.len())..]
                        .iter()
                        .position(|&b| b == 0xff)
                        .map_or(data.len(), |i| next + i);
                }
            }
        }
        if let Some((start, why)) = skipped.take() {
            report_skip(out, aac, &pes, start, pos, &why);
        }
    }

    fn opus(&mut self, pes: Pes, out: &mut Out) {
        let State::Opus { clock } = &mut self.state else {
            return;
        };
        if let Some(pts) = pes.pts {
            clock.restart(pts, 48_000);
        } else if clock.base.is_none() {
            clock.restart(self.last_dts.unwrap_or(0), 48_000);
        }
        let data = &pes.data;
        let mut pos = 0;
        while pos < data.len() {
            let header = match ControlHeader::parse(&data[pos..]) {
                Ok(h) => h,
                Err(v) => {
                    violation(
                        out,
                        Violation::new(
                            v.rule,
                            pes.offset,
                            format!(
                                "{} at byte {} of the PES payload; the rest is dropped",
                                v.detail,
                                pos + v.offset as usize
                            ),
                        ),
                    );
                    return;
                }
            };
            let start = pos + header.len;
            let Some(end) = start
                .checked_add(header.au_size)
                .filter(|&e| e <= data.len())
            else {
                violation(
                    out,
                    Violation::new(
                        &OPUS_CONTROL,
                        pes.offset,
                        format!(
                            "au_size {} at byte {pos} of the PES payload runs past its {} bytes",
                            header.au_size,
                            data.len()
                        ),
                    ),
                );
                return;
            };
            let packet = data.slice(start..end);
            let samples = match weir_media::opus::packet_samples(&packet) {
                Ok(n) => n,
                Err(e) => {
                    config_violation(out, e, pes.offset, "Opus packet");
                    0
                }
            };
            let at = clock.now().unwrap_or(0);
            out.push_back(Output::Event(DemuxEvent::Frame(Frame {
                track: self.track,
                codec: Codec::Opus,
                pts: Timestamp(at),
                dts: Timestamp(at),
                keyframe: true,
                data: packet,
            })));
            self.last_dts = Some(at);
            clock.advance(samples, 48_000);
            pos = end;
        }
    }
}

/// Converts a gathered access unit: parameter sets update the track's record (a Config
/// event when it changes), AUDs and parameter sets leave, the rest becomes a Frame.
fn emit_au(track: Track, codec: Codec, v: &mut VideoState, au: PendingAu, out: &mut Out) {
    let data = match &au.grown {
        Some(grown) => &grown[..],
        None => &au.data[..],
    };
    v.nals.clear();
    annexb_nals(&v.codes, data, |range| v.nals.push(range));
    let converted = v.inband.access_unit(data, &v.nals);
    if let Some(e) = converted.error {
        config_violation(out, e, au.offset, "in-band SPS");
    }
    if let Some(record) = converted.config {
        out.push_back(Output::Event(DemuxEvent::Config(TrackConfig {
            track,
            codec,
            data: record,
        })));
    }
    if let Some(frame) = converted.frame {
        out.push_back(Output::Event(DemuxEvent::Frame(Frame {
            track,
            codec,
            pts: Timestamp(au.pts),
            dts: Timestamp(au.dts),
            keyframe: au.random_access || converted.keyframe,
            data: frame.into(),
        })));
    }
}

/// What a NAL unit with header byte `h` (then `rest`) says about access unit boundaries:
/// (it is a slice, it is the first slice of a picture, it starts an access unit when it
/// follows a slice). H.264 §7.4.1.2.3: `first_mb_in_slice` 0 is ue(v) '1'; H.265 §7.4.2.4.4:
/// `first_slice_segment_in_pic_flag` is the first bit after the 2-byte header. A slice whose
/// first byte is in the next PES is taken as a first slice (the PES cut is the likelier AU cut).
fn nal_kind(hevc: bool, h: u8, rest: &[u8]) -> (bool, bool, bool) {
    if hevc {
        let t = (h >> 1) & 0x3f;
        let vcl = t < 32;
        let first = vcl && rest.get(1).is_none_or(|&b| b & 0x80 != 0);
        (vcl, first, matches!(t, 32..=35 | 39 | 41..=44 | 48..=55))
    } else {
        let t = h & 0x1f;
        let vcl = matches!(t, 1..=5);
        let first = vcl && rest.first().is_none_or(|&b| b & 0x80 != 0);
        (vcl, first, matches!(t, 6..=9 | 14..=18))
    }
}

/// The first header byte of an access unit delimiter: H.264 type 9 with nal_ref_idc 0 (H.264
/// §7.4.1), H.265 type 35 in layer 0.
fn aud_header(codec: Codec) -> u8 {
    if codec == Codec::H264 { 0x09 } else { 0x46 }
}

/// The ADTS header at the start of `data` when its fixed part (13818-7 §6.2.1
/// `adts_fixed_header`, the first 28 bits) is that of `last`, read without a bit reader: only
/// the frame length and block count vary from frame to frame. `None` sends the caller to the
/// full parser.
fn fast_adts(data: &[u8], last: Option<&AdtsHeader>) -> Option<AdtsHeader> {
    let last = last?;
    let b = data.get(..7)?;
    if b[0] != 0xff
        || b[1] != 0xf0 | u8::from(last.mpeg2) << 3 | u8::from(!last.has_crc)
        || b[2]
            != last.profile << 6
                | last.sampling_index << 2
                | u8::from(last.private_bit) << 1
                | last.channel_configuration >> 2
        || b[3] >> 4
            != (last.channel_configuration & 3) << 2
                | u8::from(last.original_copy) << 1
                | u8::from(last.home)
        || last.has_crc
    {
        return None;
    }
    let frame_length = u16::from(b[3] & 3) << 11 | u16::from(b[4]) << 3 | u16::from(b[5] >> 5);
    if usize::from(frame_length) < 7 {
        return None;
    }
    Some(AdtsHeader {
        copyright_id_bit: b[3] & 0x08 != 0,
        copyright_id_start: b[3] & 0x04 != 0,
        frame_length,
        buffer_fullness: u16::from(b[5] & 0x1f) << 6 | u16::from(b[6] >> 2),
        raw_data_blocks: (b[6] & 3) + 1,
        ..*last
    })
}

/// Whether two bytes can begin an ADTS (`aac`) or MPEG audio header.
fn looks_like_sync(b: &[u8], aac: bool) -> bool {
    b[0] == 0xff && b[1] & if aac { 0xf6 } else { 0xe0 } == if aac { 0xf0 } else { 0xe0 }
}

fn report_skip(out: &mut Out, aac: bool, pes: &Pes, start: usize, end: usize, why: &str) {
    let rule = if aac {
        &media_rules::ADTS_SYNCWORD
    } else {
        &MPEG_AUDIO
    };
    violation(
        out,
        Violation::new(
            rule,
            pes.offset,
            format!(
                "{} bytes without a valid frame header skipped at byte {start} of the PES payload ({why})",
                end - start
            ),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_adts_fast_path_reads_what_the_parser_reads(
            profile in 0u8..4, index in 0u8..13, channels in 0u8..8, flags in any::<[bool; 5]>(),
            len in 7u16..8191, fullness in 0u16..0x800, blocks in 1u8..5, noise in any::<[u8; 7]>(),
        ) {
            let h = AdtsHeader {
                mpeg2: flags[0], has_crc: false, profile, sampling_index: index,
                private_bit: flags[1], channel_configuration: channels, original_copy: flags[2],
                home: flags[3], copyright_id_bit: flags[4], copyright_id_start: !flags[4],
                frame_length: len, buffer_fullness: fullness, raw_data_blocks: blocks, crc: None,
            };
            let bytes = h.to_bytes();
            prop_assert_eq!(AdtsHeader::parse(&bytes), Ok(h));
            prop_assert_eq!(fast_adts(&bytes, Some(&h)), Some(h));
            // Any variable part behind the same fixed part: whatever the fast path accepts,
            // the parser reads the same way.
            let mut other = bytes.clone();
            other[3] = (other[3] & 0xf0) | (noise[3] & 0x0f);
            other[4..7].copy_from_slice(&noise[4..7]);
            match fast_adts(&other, Some(&h)) {
                Some(fast) => prop_assert_eq!(AdtsHeader::parse(&other), Ok(fast)),
                None => prop_assert!(AdtsHeader::parse(&other).is_err()),
            }
        }
    }
}
