//! The demuxer machine: program stream bytes in, in any split; tracks, codec configurations,
//! [`Frame`]s and violations out (13818-1 §2.5).
//!
//! ```text
//! demuxer.handle_input(now, bytes)?;          // any piece of the stream
//! while let Some(out) = demuxer.poll_output() { /* Event(PsEvent) or Violation */ }
//! demuxer.handle_end(now)?;                    // end of stream: flushes the last frames
//! ```
//!
//! It reads packet after packet: pack headers, system headers, program stream maps and PES
//! packets. PES payloads go to the elementary-stream readers of `weir-mpegts`
//! ([`weir_mpegts::es::EsReader`]), which gather a video access unit across PES packets until
//! the next one starts (so a frame split over several PES comes out whole) and cut ADTS into
//! frames with their own times; G.711 PES payloads are frames as they are.
//!
//! What cameras send and how it is met:
//! - start codes split across inputs: bytes wait until the packet is whole (at most one PES,
//!   64 KiB and its header, is held);
//! - zero bytes before a start code: skipped (`mpegps.stream.zero-stuffing`);
//! - a video frame over several PES each repeating the PTS: the repeats are dropped so the
//!   PES continue one access unit;
//! - a map with wrong lengths: read leniently (see [`crate::psm`]); one whose
//!   `program_stream_map_length` disagrees with its own fields is cut where its fields end
//!   when a start code follows there;
//! - no usable map: the codec is sniffed from the stream (Annex-B NAL types, ADTS sync),
//!   reported once per stream (`mpegps.es.sniffed`);
//! - marker bits not set: violations, the values are used;
//! - garbage between packs, a start code that begins no packet, a header that cannot be
//!   read: reported, and the demuxer skips to the next pack header
//!   ([`PsEvent::Resync`]). After [`Limits::max_failures`] such failures in a row with no
//!   good pack between them, it gives up with `mpegps.stream.unrecoverable`.

use crate::mpeg1::Mpeg1Header;
use crate::pack::{PACK_START_CODE, PackHeader};
use crate::psm::{Psm, structural_len};
use crate::rules::{
    GARBAGE, KEYFRAME_PSM, KEYFRAME_SYSTEM_HEADER, LIMIT, PES_LENGTH_ZERO, PES_MPEG1, PES_UNKNOWN,
    PES_UNMAPPED, PSM_LENGTH, PSM_STREAM_TYPE, PSM_VERSION, SCR_MONOTONIC, SNIFFED, START_CODE,
    SYSTEM_HEADER_POSITION, TRUNCATED, UNRECOVERABLE, ZERO_STUFFING,
};
use crate::system_header::SystemHeader;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::Instant;
use weir_media::{
    Codec, Error, Frame, Machine, MediaKind, Output, Timestamp, Track, TrackConfig, Unwrapper,
    Violation,
};
use weir_mpegts::DemuxEvent;
use weir_mpegts::es::{EsReader, Pes};
use weir_mpegts::pes::{PesHeader, stream_id};

/// Bounds on what the demuxer keeps and how long it keeps trying (DESIGN.md: bounded
/// memory). A PES packet with a length field is at most 6 + 65535 bytes by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a PES packet whose `PES_packet_length` is 0 (read to the next start code).
    pub max_unbounded_pes: usize,
    /// Bytes of one video access unit gathered from several PES packets.
    pub max_access_unit: usize,
    /// Elementary streams read.
    pub max_streams: usize,
    /// Failures in a row (garbage, unreadable headers) before the demuxer gives up.
    pub max_failures: u32,
    /// Bytes skipped looking for a pack header that count as one more failure.
    pub max_skip: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_unbounded_pes: 1 << 20,
            max_access_unit: 8 << 20,
            max_streams: 16,
            max_failures: 16,
            max_skip: 1 << 20,
        }
    }
}

/// A track the demuxer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// The track its frames go on.
    pub track: Track,
    /// Its codec.
    pub codec: Codec,
    /// The `stream_id` of its PES packets.
    pub stream_id: u8,
    /// The `stream_type` the map gave, or `None` when the codec was sniffed.
    pub stream_type: Option<u8>,
}

/// Counters of what the demuxer read and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Pack headers read (MPEG-1 ones included).
    pub packs: u64,
    /// MPEG-1 pack headers among them.
    pub mpeg1_packs: u64,
    /// System headers read.
    pub system_headers: u64,
    /// Program stream maps read.
    pub maps: u64,
    /// Media PES packets read.
    pub pes: u64,
    /// private_stream_1 (0xBD) and private_stream_2 (0xBF) packets skipped.
    pub private: u64,
    /// padding_stream (0xBE) packets skipped.
    pub padding: u64,
    /// PES packets of other stream ids, or of streams with no codec, skipped.
    pub skipped_pes: u64,
    /// Times the demuxer resynchronised on a pack header.
    pub recoveries: u64,
    /// Bytes skipped while resynchronising.
    pub skipped_bytes: u64,
}

/// What the demuxer tells its driver.
#[derive(Debug, Clone, PartialEq)]
pub enum PsEvent {
    /// A track begins (or its codec changed): the map or the stream named its codec.
    TrackAdded(TrackInfo),
    /// A program stream map, the first time and whenever its content changes.
    Map(Psm),
    /// A track's decoder configuration, before the first frame it applies to.
    Config(TrackConfig),
    /// One access unit of a track, PTS and DTS on the 90 kHz clock.
    Frame(Frame),
    /// The demuxer lost the packet structure and found it again at a pack header.
    Resync {
        /// Stream offset of the pack header it resumed at.
        offset: u64,
        /// Bytes skipped to get there.
        skipped: u64,
        /// Resynchronisations so far.
        recoveries: u64,
    },
}

#[derive(Debug)]
enum Reader {
    Es(Box<EsReader>),
    /// G.711: each PES payload is one frame.
    G711 {
        last: Option<i64>,
    },
}

#[derive(Debug)]
struct Stream {
    info: TrackInfo,
    reader: Reader,
    /// The PTS of the last PES with one (a repeat continues the access unit).
    last_pts: Option<u64>,
}

/// The demuxer.
#[derive(Debug)]
pub struct Demuxer {
    limits: Limits,
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Looking for a pack header (at the start, and after an error).
    seeking: bool,
    /// Zero bytes skipped between packets and not yet reported: where the run began, how many.
    zero_run: Option<(u64, u64)>,
    /// Bytes skipped since seeking began, and where it began.
    skip_run: (u64, u64),
    failures: u32,
    out: VecDeque<Output<PsEvent>>,
    es_out: VecDeque<Output<DemuxEvent>>,
    psm: Option<Psm>,
    streams: Vec<Stream>,
    unwrap: Unwrapper,
    last_scr: Option<u64>,
    /// The packet before was a pack header.
    after_pack: bool,
    /// A map / system header came since the last video PES with a PTS.
    psm_seen: bool,
    system_header_seen: bool,
    /// Per video access unit start: (PTS, a map before it, a system header before it).
    au_starts: VecDeque<(i64, bool, bool, u64)>,
    /// Stream ids already reported as unknown, sniffed or unmapped.
    reported: [u8; 256],
    /// Whether an MPEG-1 packet header was reported (once a stream: they come in every packet).
    mpeg1_reported: bool,
    scratch: Vec<Violation>,
    stats: Stats,
    ended: bool,
    failed: bool,
}

impl Default for Demuxer {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

const REPORTED_UNKNOWN: u8 = 1;
const REPORTED_SNIFFED: u8 = 2;
const REPORTED_UNMAPPED: u8 = 4;
const REPORTED_TYPE: u8 = 8;

/// What the next packet is, once enough bytes are there.
enum Next {
    /// More bytes are needed.
    Wait,
    /// A packet of this many bytes (from the start code) is whole in the buffer.
    Packet(usize),
    /// The bytes cannot be a packet: resynchronise.
    Broken(Violation),
}

impl Demuxer {
    /// A demuxer that bounds what it holds by `limits`.
    pub fn new(limits: Limits) -> Self {
        Demuxer {
            limits,
            buf: BytesMut::new(),
            base: 0,
            seeking: true,
            skip_run: (0, 0),
            zero_run: None,
            failures: 0,
            out: VecDeque::new(),
            es_out: VecDeque::new(),
            psm: None,
            streams: Vec::new(),
            unwrap: Unwrapper::new(33),
            last_scr: None,
            after_pack: false,
            psm_seen: false,
            system_header_seen: false,
            au_starts: VecDeque::new(),
            reported: [0; 256],
            mpeg1_reported: false,
            scratch: Vec::new(),
            stats: Stats::default(),
            ended: false,
            failed: false,
        }
    }

    /// The limits this demuxer was made with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What it has read and skipped so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The program stream map last read.
    pub fn map(&self) -> Option<&Psm> {
        self.psm.as_ref()
    }

    /// The tracks being read.
    pub fn tracks(&self) -> impl Iterator<Item = &TrackInfo> {
        self.streams.iter().map(|s| &s.info)
    }

    /// Bytes held waiting for the rest of a packet.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn violation(&mut self, rule: &'static weir_media::Rule, offset: u64, detail: String) {
        self.out
            .push_back(Output::Violation(Violation::new(rule, offset, detail)));
    }

    /// Violations found at `at` (offsets relative to it).
    fn shifted(&mut self, at: u64, violations: &mut Vec<Violation>) {
        for mut v in violations.drain(..) {
            v.offset += at;
            self.out.push_back(Output::Violation(v));
        }
    }

    /// Drops `n` bytes from the front of the buffer.
    fn consume(&mut self, n: usize) -> Bytes {
        self.base += n as u64;
        self.buf.split_to(n).freeze()
    }

    /// One failure: report, count, and look for the next pack header (past the first byte
    /// of the buffer when `skip_one`: the bytes there were not a packet).
    fn fail(&mut self, v: Violation, skip_one: bool) -> Result<(), Error> {
        self.out.push_back(Output::Violation(v));
        self.failures += 1;
        if !self.seeking {
            self.seeking = true;
            self.skip_run = (self.base, 0);
        }
        if skip_one && !self.buf.is_empty() {
            self.consume(1);
            self.skip_run.1 += 1;
            self.stats.skipped_bytes += 1;
        }
        self.give_up_past_limit()
    }

    /// Fails the stream for good once failures in a row pass the limit.
    fn give_up_past_limit(&mut self) -> Result<(), Error> {
        if self.failures > self.limits.max_failures {
            self.failed = true;
            return Err(Error::rule(
                &UNRECOVERABLE,
                self.base,
                format!(
                    "{} failures in a row ({} bytes skipped) without a readable pack; giving up",
                    self.failures, self.skip_run.1
                ),
            ));
        }
        Ok(())
    }

    fn process(&mut self, end: bool) -> Result<(), Error> {
        loop {
            if self.seeking {
                if !self.seek(end)? {
                    return Ok(());
                }
                continue;
            }
            // Zero bytes before a start code.
            let zeros = self
                .buf
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(self.buf.len());
            if zeros == self.buf.len() {
                // All zeros so far: keep two (they may begin a start code).
                self.skip_zeros(zeros);
                if end {
                    self.flush_zeros();
                }
                if end && !self.buf.is_empty() {
                    let at = self.base;
                    let n = self.buf.len();
                    self.consume(n);
                    self.violation(&TRUNCATED, at, format!("the stream ends in {n} zero bytes"));
                }
                return Ok(());
            }
            self.skip_zeros(zeros);
            self.flush_zeros();
            if self.buf.len() < 3 || self.buf[..2] != [0, 0] || self.buf[2] != 1 {
                let at = self.base;
                let v = Violation::new(
                    &GARBAGE,
                    at,
                    format!(
                        "byte {:#04x} where a packet's start code belongs",
                        self.buf[0]
                    ),
                );
                self.fail(v, true)?;
                continue;
            }
            match self.next_packet(end) {
                Next::Wait => {
                    if end && !self.buf.is_empty() {
                        let at = self.base;
                        let n = self.buf.len();
                        self.consume(n);
                        self.violation(
                            &TRUNCATED,
                            at,
                            format!("the stream ends inside a packet, {n} bytes in"),
                        );
                    }
                    return Ok(());
                }
                Next::Broken(v) => self.fail(v, true)?,
                Next::Packet(n) => self.packet(n)?,
            }
        }
    }

    /// Drops all but the last two of `zeros` zero bytes at the front (two may begin a start
    /// code), counted as stuffing: a run is reported once, when it ends, so that how the
    /// input was split does not change the report.
    fn skip_zeros(&mut self, zeros: usize) {
        if zeros > 2 {
            let run = self.zero_run.get_or_insert((self.base, 0));
            run.1 += (zeros - 2) as u64;
            self.consume(zeros - 2);
        }
    }

    /// Reports the run of zero bytes just skipped.
    fn flush_zeros(&mut self) {
        if let Some((at, n)) = self.zero_run.take() {
            self.violation(
                &ZERO_STUFFING,
                at,
                format!("{n} zero bytes between packets"),
            );
        }
    }

    /// Skips to the next pack header; `false` when more input is needed.
    fn seek(&mut self, end: bool) -> Result<bool, Error> {
        let found = memchr::memmem::find(&self.buf, &PACK_START_CODE);
        let skip = match found {
            Some(i) => i,
            None if end => self.buf.len(),
            None => self.buf.len().saturating_sub(3),
        };
        if skip > 0 {
            let before = self.skip_run.1 / self.limits.max_skip.max(1) as u64;
            self.consume(skip);
            self.skip_run.1 += skip as u64;
            self.stats.skipped_bytes += skip as u64;
            let after = self.skip_run.1 / self.limits.max_skip.max(1) as u64;
            self.failures += (after - before) as u32;
            self.give_up_past_limit()?;
        }
        if found.is_none() {
            if end && !self.buf.is_empty() {
                let n = self.buf.len();
                self.consume(n);
            }
            return Ok(false);
        }
        self.seeking = false;
        let (from, skipped) = std::mem::take(&mut self.skip_run);
        if self.stats.packs == 0 && self.stats.recoveries == 0 && self.failures == 0 {
            // The first pack: bytes before it are a joined stream's tail.
            if skipped > 0 {
                self.violation(
                    &GARBAGE,
                    from,
                    format!("{skipped} bytes before the first pack header"),
                );
            }
        } else {
            self.stats.recoveries += 1;
            self.out.push_back(Output::Event(PsEvent::Resync {
                offset: self.base,
                skipped,
                recoveries: self.stats.recoveries,
            }));
        }
        Ok(true)
    }

    /// The length of the packet at the start of the buffer (which starts with 00 00 01).
    fn next_packet(&mut self, end: bool) -> Next {
        let b = &self.buf[..];
        let Some(&code) = b.get(3) else {
            return Next::Wait;
        };
        match code {
            0xba => match PackHeader::len_needed(b) {
                None => Next::Wait,
                Some(Ok(n)) if n <= b.len() => Next::Packet(n),
                Some(Ok(_)) => Next::Wait,
                Some(Err(())) => Next::Broken(Violation::new(
                    &crate::rules::PACK_MARKER,
                    self.base + 4,
                    format!(
                        "pack header begins {:#04x}: neither MPEG-2 nor MPEG-1",
                        b[4]
                    ),
                )),
            },
            0xb9 => Next::Packet(4),
            0xbb..=0xff => {
                let Some(len) = b.get(4..6) else {
                    return Next::Wait;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if code == 0xbc {
                    return self.map_len(len);
                }
                if len == 0 && code != 0xbb {
                    return self.unbounded_len(end);
                }
                if 6 + len <= b.len() {
                    Next::Packet(6 + len)
                } else {
                    Next::Wait
                }
            }
            _ => Next::Broken(Violation::new(
                &START_CODE,
                self.base,
                format!("start code 00 00 01 {code:02x} where a packet begins"),
            )),
        }
    }

    /// A map's length: the declared one, or where its own fields end when they disagree and
    /// a start code follows there (and not at the declared end). What is looked at is bounded
    /// by what is waited for, so the choice is the same however the input was split.
    fn map_len(&mut self, declared: usize) -> Next {
        let b = &self.buf[..];
        let declared_end = 6 + declared;
        // How long the map's own fields make it, once the bytes that say are here (and when
        // they say something possible).
        let own = match b.get(8..10) {
            None if !self.ended => return Next::Wait,
            None => None,
            Some(l) => {
                let at = 10 + usize::from(u16::from_be_bytes([l[0], l[1]]));
                if at + 2 > 6 + 0xffff {
                    None
                } else if b.len() < at + 2 && !self.ended {
                    return Next::Wait;
                } else {
                    structural_len(b)
                }
            }
        };
        let Some(s) = own else {
            return if declared_end <= b.len() {
                Next::Packet(declared_end)
            } else {
                Next::Wait
            };
        };
        if s == declared_end || !(16..=6 + 0xffff).contains(&s) {
            return if declared_end <= b.len() {
                Next::Packet(declared_end)
            } else {
                Next::Wait
            };
        }
        let need = s.max(declared_end) + 8;
        if b.len() < need && !self.ended {
            return Next::Wait;
        }
        let starts_packet = |at: usize| {
            let window = &b[at.min(b.len())..(at + 8).min(b.len())];
            let z = window.iter().position(|&x| x != 0);
            matches!(z, Some(z) if z >= 2 && window[z] == 1 && window.get(z + 1).is_some_and(|&c| c >= 0xb9))
        };
        if s <= b.len() && starts_packet(s) && !starts_packet(declared_end) {
            self.violation(
                &PSM_LENGTH,
                self.base + 4,
                format!(
                    "program_stream_map_length {declared} but the map's fields end after {}; read to there",
                    s - 6
                ),
            );
            Next::Packet(s)
        } else if declared_end <= b.len() {
            Next::Packet(declared_end)
        } else {
            Next::Wait
        }
    }

    /// A PES of `PES_packet_length` 0: it runs to the next start code that begins a packet
    /// (in H.264/H.265 and ADTS no such start code occurs: NAL headers are below 0x80).
    fn unbounded_len(&mut self, end: bool) -> Next {
        let max = self.limits.max_unbounded_pes.max(6);
        // Only the first `max` bytes (and a start code's 4) are searched, so that the answer
        // does not depend on how much input has come.
        let b = &self.buf[..self.buf.len().min(max + 4)];
        let mut from = 6;
        while let Some(i) = memchr::memmem::find(&b[from.min(b.len())..], &[0, 0, 1]) {
            let at = from + i;
            match b.get(at + 3) {
                Some(&c) if c >= 0xb9 => {
                    // The zero bytes before the start code are not the PES's.
                    let len = b[..at].iter().rposition(|&x| x != 0).map_or(at, |p| p + 1);
                    return Next::Packet(len.max(6));
                }
                Some(_) => from = at + 1,
                None => break,
            }
        }
        if b.len() >= max + 4 {
            Next::Broken(Violation::new(
                &LIMIT,
                self.base,
                format!("a PES packet of PES_packet_length 0 runs past {max} bytes; dropped"),
            ))
        } else if end {
            Next::Packet(b.len())
        } else {
            Next::Wait
        }
    }

    /// Reads the whole packet of `n` bytes at the front of the buffer.
    fn packet(&mut self, n: usize) -> Result<(), Error> {
        let at = self.base;
        let data = self.consume(n);
        let code = data[3];
        let after_pack = std::mem::replace(&mut self.after_pack, false);
        let mut notes = std::mem::take(&mut self.scratch);
        match code {
            0xba => match PackHeader::parse(&data, &mut notes) {
                Ok((h, _)) => {
                    self.shifted(at, &mut notes);
                    self.stats.packs += 1;
                    self.stats.mpeg1_packs += u64::from(h.mpeg1);
                    self.failures = 0;
                    self.after_pack = true;
                    if let Some(last) = self.last_scr {
                        let step = h.scr_base.wrapping_sub(last) & ((1 << 33) - 1);
                        if step >= 1 << 32 {
                            self.violation(
                                &SCR_MONOTONIC,
                                at + 4,
                                format!("SCR base {} after {last}", h.scr_base),
                            );
                        }
                    }
                    self.last_scr = Some(h.scr_base);
                }
                Err(mut v) => {
                    notes.clear();
                    v.offset += at;
                    self.scratch = notes;
                    return self.fail(v, false);
                }
            },
            0xb9 => {}
            0xbb => {
                if !after_pack {
                    self.violation(
                        &SYSTEM_HEADER_POSITION,
                        at,
                        "a system header that does not follow a pack header".into(),
                    );
                }
                let parsed = SystemHeader::parse(&data, &mut notes);
                self.shifted(at, &mut notes);
                match parsed {
                    Ok(_) => {
                        self.stats.system_headers += 1;
                        self.system_header_seen = true;
                        self.after_pack = true;
                    }
                    Err(mut v) => {
                        v.offset += at;
                        self.out.push_back(Output::Violation(v));
                    }
                }
            }
            0xbc => {
                let parsed = Psm::parse(&data, &mut notes);
                self.shifted(at, &mut notes);
                match parsed {
                    Ok(psm) => self.read_map(at, psm),
                    Err(mut v) => {
                        v.offset += at;
                        self.out.push_back(Output::Violation(v));
                    }
                }
            }
            stream_id::PRIVATE_STREAM_1 | stream_id::PRIVATE_STREAM_2 => self.stats.private += 1,
            stream_id::PADDING => self.stats.padding += 1,
            0xc0..=0xef => self.pes(at, data, &mut notes),
            _ => self.stats.skipped_pes += 1,
        }
        notes.clear();
        self.scratch = notes;
        self.drain_es();
        Ok(())
    }

    fn read_map(&mut self, at: u64, psm: Psm) {
        self.stats.maps += 1;
        self.psm_seen = true;
        if let Some(old) = &self.psm {
            if *old == psm {
                return;
            }
            if old.version == psm.version && old.streams != psm.streams {
                self.violation(
                    &PSM_VERSION,
                    at + 6,
                    format!(
                        "the map changed but program_stream_map_version stayed {}",
                        psm.version
                    ),
                );
            }
        }
        for s in &psm.streams {
            if s.codec().is_none() && self.reported[usize::from(s.stream_id)] & REPORTED_TYPE == 0 {
                self.reported[usize::from(s.stream_id)] |= REPORTED_TYPE;
                self.violation(
                    &PSM_STREAM_TYPE,
                    at,
                    format!(
                        "stream_type {:#04x} for stream_id {:#04x} is not one Weir reads; its PES packets are skipped",
                        s.stream_type, s.stream_id
                    ),
                );
            }
        }
        // A stream whose codec the new map changes starts again.
        for i in 0..self.streams.len() {
            let sid = self.streams[i].info.stream_id;
            if let Some(codec) = psm.stream(sid).and_then(|s| s.codec())
                && codec != self.streams[i].info.codec
            {
                self.finish_stream(i);
                let stream_type = psm.stream(sid).map(|s| s.stream_type);
                let track = self.streams[i].info.track;
                self.streams[i] = self.make_stream(track, codec, sid, stream_type);
                let info = self.streams[i].info.clone();
                self.announce(info);
            }
        }
        self.out.push_back(Output::Event(PsEvent::Map(psm.clone())));
        self.psm = Some(psm);
    }

    /// A track begins. A codec with no decoder configuration record of its own (G.711) gets
    /// an empty one at once, so that a driver knows the track's codec before its first frame,
    /// as for the others.
    fn announce(&mut self, info: TrackInfo) {
        let empty = TrackConfig::without_record(info.track, info.codec);
        self.out.push_back(Output::Event(PsEvent::TrackAdded(info)));
        if let Some(config) = empty {
            self.out.push_back(Output::Event(PsEvent::Config(config)));
        }
    }

    fn make_stream(&self, track: Track, codec: Codec, sid: u8, stream_type: Option<u8>) -> Stream {
        let reader = match codec {
            Codec::Pcma | Codec::Pcmu => Reader::G711 { last: None },
            _ => Reader::Es(Box::new(EsReader::new(
                track,
                codec,
                self.limits.max_access_unit,
            ))),
        };
        Stream {
            info: TrackInfo {
                track,
                codec,
                stream_id: sid,
                stream_type,
            },
            reader,
            last_pts: None,
        }
    }

    fn finish_stream(&mut self, i: usize) {
        if let Reader::Es(r) = &mut self.streams[i].reader {
            r.finish(&mut self.es_out);
        }
        self.drain_es();
    }

    /// The stream for `sid`, made on its first PES from the map or by sniffing `payload`.
    fn stream_for(&mut self, at: u64, sid: u8, payload: &[u8]) -> Option<usize> {
        if let Some(i) = self.streams.iter().position(|s| s.info.stream_id == sid) {
            return Some(i);
        }
        let mapped = self.psm.as_ref().and_then(|p| p.stream(sid)).cloned();
        let flags = &mut self.reported[usize::from(sid)];
        // A map entry of a type Weir does not read (reported with the map) is no better than
        // none: the stream is sniffed.
        let (codec, stream_type) = match mapped.as_ref().and_then(|e| Some((e.codec()?, e))) {
            Some((codec, entry)) => (codec, Some(entry.stream_type)),
            None => {
                let sniffed = sniff(sid, payload);
                let first = *flags & (REPORTED_SNIFFED | REPORTED_UNKNOWN) == 0;
                if self.psm.is_some() && mapped.is_none() && *flags & REPORTED_UNMAPPED == 0 {
                    *flags |= REPORTED_UNMAPPED;
                    self.violation(
                        &PES_UNMAPPED,
                        at,
                        format!("stream_id {sid:#04x} is not in the program stream map"),
                    );
                }
                let flags = &mut self.reported[usize::from(sid)];
                match sniffed {
                    Some(codec) => {
                        *flags |= REPORTED_SNIFFED;
                        if first {
                            self.violation(
                                &SNIFFED,
                                at,
                                format!(
                                    "no map names stream_id {sid:#04x}; its bytes look like {codec}"
                                ),
                            );
                        }
                        (codec, None)
                    }
                    None => {
                        if *flags & REPORTED_UNKNOWN == 0 {
                            *flags |= REPORTED_UNKNOWN;
                            self.violation(
                                &PES_UNKNOWN,
                                at,
                                format!(
                                    "no map names stream_id {sid:#04x} and its bytes name no codec Weir reads; skipped"
                                ),
                            );
                        }
                        return None;
                    }
                }
            }
        };
        if self.streams.len() >= self.limits.max_streams {
            if self.reported[usize::from(sid)] & REPORTED_UNKNOWN == 0 {
                self.reported[usize::from(sid)] |= REPORTED_UNKNOWN;
                self.violation(
                    &LIMIT,
                    at,
                    format!(
                        "more than {} elementary streams; stream_id {sid:#04x} is skipped",
                        self.limits.max_streams
                    ),
                );
            }
            return None;
        }
        let kind = codec.kind().unwrap_or(MediaKind::Data);
        let index = self
            .streams
            .iter()
            .filter(|s| s.info.track.kind == kind)
            .count() as u8;
        let track = Track { kind, index };
        let s = self.make_stream(track, codec, sid, stream_type);
        self.announce(s.info.clone());
        self.streams.push(s);
        Some(self.streams.len() - 1)
    }

    fn pes(&mut self, at: u64, data: Bytes, notes: &mut Vec<Violation>) {
        let sid = data[3];
        let mpeg1 = (stream_id::has_optional_header(sid) && Mpeg1Header::is_mpeg1(&data))
            .then(|| Mpeg1Header::parse(&data))
            .flatten();
        let header = match PesHeader::len_needed(&data).filter(|&n| n <= data.len()) {
            // An MPEG-1 packet header (FFmpeg's `-f mpeg`): read, and reported once.
            _ if let Some(h) = mpeg1 => {
                if !std::mem::replace(&mut self.mpeg1_reported, true) {
                    self.violation(
                        &PES_MPEG1,
                        at + 6,
                        format!("stream_id {sid:#04x} has an MPEG-1 packet header; reported once"),
                    );
                }
                Ok(PesHeader {
                    stream_id: sid,
                    packet_length: u16::from_be_bytes([data[4], data[5]]),
                    data_alignment: false,
                    pts: h.pts,
                    dts: h.dts,
                    header_len: h.header_len,
                })
            }
            Some(_) => PesHeader::parse(&data, notes),
            None => Err(Violation::new(
                &weir_mpegts::rules::PES_HEADER,
                0,
                format!(
                    "a {}-byte PES packet is too short for its header",
                    data.len()
                ),
            )),
        };
        self.shifted(at, notes);
        let header = match header {
            Ok(h) => h,
            Err(mut v) => {
                v.offset += at;
                self.out.push_back(Output::Violation(v));
                return;
            }
        };
        if header.packet_length == 0 {
            self.violation(
                &PES_LENGTH_ZERO,
                at + 4,
                format!("PES_packet_length 0 on stream_id {sid:#04x}"),
            );
        }
        let payload = data.slice(header.header_len.min(data.len())..);
        let Some(i) = self.stream_for(at, sid, &payload) else {
            self.stats.skipped_pes += 1;
            return;
        };
        self.stats.pes += 1;
        let video = self.streams[i].info.track.kind == MediaKind::Video;
        let mut pts = header.pts;
        if video && pts.is_some() {
            if pts == self.streams[i].last_pts {
                // The same frame continued in another PES.
                pts = None;
            } else {
                self.streams[i].last_pts = pts;
            }
        }
        let pts = pts.map(|p| self.unwrap.unwrap(p));
        let dts = match (pts, header.dts) {
            (Some(_), Some(d)) => Some(self.unwrap.unwrap(d)),
            (p, _) => p,
        };
        if video && let Some(p) = pts {
            if self.au_starts.len() >= 16 {
                self.au_starts.pop_front();
            }
            self.au_starts
                .push_back((p, self.psm_seen, self.system_header_seen, at));
            self.psm_seen = false;
            self.system_header_seen = false;
        }
        match &mut self.streams[i].reader {
            Reader::Es(r) => r.push(
                Pes {
                    pts,
                    dts,
                    random_access: false,
                    data_alignment: header.data_alignment,
                    data: payload,
                    offset: at,
                },
                &mut self.es_out,
            ),
            Reader::G711 { last } => {
                let time = pts.or(*last).unwrap_or(0);
                // 8 kHz, one byte per sample: a next PES without a PTS follows on.
                *last = Some(time + payload.len() as i64 * 90_000 / 8_000);
                if !payload.is_empty() {
                    let info = &self.streams[i].info;
                    self.out.push_back(Output::Event(PsEvent::Frame(Frame {
                        track: info.track,
                        codec: info.codec,
                        pts: Timestamp(time),
                        dts: Timestamp(time),
                        keyframe: true,
                        data: payload,
                    })));
                }
            }
        }
    }

    /// Moves what the ES readers produced to the output, checking that each video keyframe
    /// came after a map and a system header.
    fn drain_es(&mut self) {
        while let Some(o) = self.es_out.pop_front() {
            match o {
                Output::Event(DemuxEvent::Frame(f)) => {
                    if f.keyframe && f.track.kind == MediaKind::Video {
                        self.keyframe(&f);
                    }
                    self.out.push_back(Output::Event(PsEvent::Frame(f)));
                }
                Output::Event(DemuxEvent::Config(c)) => {
                    self.out.push_back(Output::Event(PsEvent::Config(c)))
                }
                Output::Event(_) | Output::Transmit(_) => {}
                Output::Violation(v) => self.out.push_back(Output::Violation(v)),
            }
        }
    }

    fn keyframe(&mut self, f: &Frame) {
        while let Some(&(pts, psm, system_header, at)) = self.au_starts.front() {
            if pts > f.pts.0 {
                return;
            }
            self.au_starts.pop_front();
            if pts == f.pts.0 {
                if !psm {
                    self.violation(
                        &KEYFRAME_PSM,
                        at,
                        format!("no program stream map before the I-frame at PTS {pts}"),
                    );
                }
                if !system_header {
                    self.violation(
                        &KEYFRAME_SYSTEM_HEADER,
                        at,
                        format!("no system header before the I-frame at PTS {pts}"),
                    );
                }
                return;
            }
        }
    }
}

/// The codec a stream's first PES payload looks like: for video stream ids, the first NAL
/// header that only one of H.264 and H.265 would write (H.265 parameter sets and AUDs carry
/// `nuh_layer_id` 0 and `nuh_temporal_id_plus1` 1: a second header byte of 0x01); for audio
/// ones, an ADTS syncword (13818-7 §6.2: 12 ones, layer 00) or an MPEG audio header (FFmpeg's
/// program streams carry MP2; it comes out as [`Codec::Mp3`], MPEG audio of any layer).
pub fn sniff(stream_id: u8, payload: &[u8]) -> Option<Codec> {
    if (0xe0..=0xef).contains(&stream_id) {
        let mut h264 = false;
        for at in memchr::memmem::find_iter(payload, &[0, 0, 1]) {
            let Some(&h) = payload.get(at + 3) else {
                break;
            };
            if h & 0x80 != 0 {
                continue;
            }
            let hevc_type = h >> 1;
            if payload.get(at + 4) == Some(&1) && h & 1 == 0 && matches!(hevc_type, 32..=35) {
                return Some(Codec::H265);
            }
            h264 |= matches!(h & 0x1f, 1 | 5 | 7 | 8 | 9) && (h & 0x1f != 9 || h >> 5 == 0);
        }
        return h264.then_some(Codec::H264);
    }
    if (0xc0..=0xdf).contains(&stream_id) && payload.len() >= 2 && payload[0] == 0xff {
        if payload[1] & 0xf6 == 0xf0 {
            return Some(Codec::Aac);
        }
        // MPEG audio (11172-3 §2.4.2.3): 11 sync bits, a layer other than 00.
        if payload[1] & 0xe0 == 0xe0 && payload[1] & 0x06 != 0 {
            return Some(Codec::Mp3);
        }
    }
    None
}

impl Machine for Demuxer {
    type Event = PsEvent;

    /// Takes the next bytes of the stream. Problems in the stream are violations; the error
    /// is giving up after too many failures in a row (and any input after that, or after
    /// [`Machine::handle_end`]).
    fn handle_input(&mut self, _now: Instant, data: &[u8]) -> Result<(), Error> {
        if self.ended {
            return Err(Error::usage("input after the end of the stream"));
        }
        if self.failed {
            return Err(Error::rule(
                &UNRECOVERABLE,
                self.base,
                "the demuxer gave up",
            ));
        }
        self.buf.extend_from_slice(data);
        self.process(false)
    }

    /// The end of the stream: a packet cut short is reported, the last access units come out.
    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        if self.failed {
            return Ok(());
        }
        let result = self.process(true);
        for i in 0..self.streams.len() {
            self.finish_stream(i);
        }
        result
    }

    /// The demuxer keeps no timers.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_output(&mut self) -> Option<Output<PsEvent>> {
        self.out.pop_front()
    }
}
