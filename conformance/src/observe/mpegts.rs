//! The MPEG-TS observer: each direction's transport stream into its own [`Demuxer`]
//! (ISO/IEC 13818-1 §2.4), whether it comes as TCP bytes, a file, UDP datagrams of whole
//! packets (seven 188-byte packets is usual for multicast and unicast TS) or RTP packets
//! (RFC 2250 §2) whose headers, CSRCs, extension and padding are stripped (RFC 3550 §5.1).
//!
//! Violation offsets count bytes of the direction's transport stream: for datagrams, their TS
//! payloads end to end. RTP sequence numbers (RFC 3550 §5.1) are followed: a loss is no rule
//! the sender broke, so it is a transcript event, and the demuxer starts afresh after it, as
//! after a TCP gap, so that what the network or the capture lost is not blamed on the
//! stream's continuity counters. The direction then counts as observed in part, as it does
//! when the capture ends a TCP stream before its sender closed it: what the demuxer finds at
//! that end (a packet, PES or frame cut short) is noted, not judged.

use std::collections::BTreeMap;
use std::time::Instant;

use weir_media::Output;
use weir_mpegts::framer::{Framed, Framer};
use weir_mpegts::packet::SYNC_BYTE;
use weir_mpegts::{DemuxEvent, Demuxer, Limits, PacketSize, TrackInfo};

use super::{Listing, Observation, Observer, config, violation};
use crate::capture::Direction;
use crate::media_summary::track_name;
use crate::transcript::EntryKind;
use bytes::Bytes;
use weir_media::Machine;
use weir_rtp::RtpPacket;

/// Events listed per direction (programs, tracks, configurations, RTP notes); the rest are
/// counted, so that a stream changing its PMT on every packet keeps a small transcript.
const MAX_LISTED: u64 = 100;
/// Streams listed per program event, PIDs in the closing packet count.
const MAX_STREAMS_LISTED: usize = 16;
const MAX_PIDS_LISTED: usize = 8;

/// The two demuxers of one flow.
pub struct TsObserver {
    sides: [Side; 2],
    /// The demuxer ignores time; one instant serves every call.
    now: Instant,
}

/// One direction.
struct Side {
    demuxer: Demuxer,
    limits: Limits,
    /// Frames the same bytes again to count packets per PID (13818-1 §2.4.3.2), for the
    /// closing summary; its violations are the demuxer's too, so they are not repeated.
    framer: Framer,
    packets: BTreeMap<u16, u64>,
    /// Stream position where the current demuxer's input began.
    base: u64,
    /// Stream position of the next byte.
    position: u64,
    rtp: Option<RtpState>,
    ended: bool,
    /// Its bytes came as a stream (TCP), whose end only the sender's close marks.
    streamed: bool,
    /// The input ended before the sender closed the stream: what the demuxer finds at the end
    /// (a last packet, PES or audio frame cut short) may be the capture's doing, not the
    /// sender's, and is noted rather than judged.
    cut: bool,
    /// Bytes were lost before the demuxer read them (a gap, an RTP loss).
    incomplete: bool,
    notes: Listing,
}

#[derive(Clone, Copy)]
struct RtpState {
    ssrc: u32,
    next: u16,
}

impl Default for TsObserver {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl TsObserver {
    pub fn new(limits: Limits) -> Self {
        let side = || Side {
            demuxer: Demuxer::new(limits),
            limits,
            framer: Framer::new(),
            packets: BTreeMap::new(),
            base: 0,
            position: 0,
            rtp: None,
            ended: false,
            streamed: false,
            cut: false,
            incomplete: false,
            notes: Listing::new(MAX_LISTED),
        };
        TsObserver {
            sides: [side(), side()],
            now: Instant::now(),
        }
    }

    fn feed(&mut self, dir: Direction, bytes: &[u8], out: &mut Vec<Observation>) {
        let side = &mut self.sides[dir.index()];
        // The one error is input after the end, which `ended` rules out.
        let _ = side.demuxer.handle_input(self.now, bytes);
        let packets = &mut side.packets;
        side.framer.push(bytes, &mut |f| count(packets, f));
        side.position += bytes.len() as u64;
        side.drain(dir, out);
    }

    /// Reads one RTP packet's header; whether its payload is read (not when repeated, or
    /// late).
    fn rtp(&mut self, dir: Direction, header: &RtpPacket, out: &mut Vec<Observation>) -> bool {
        let side = &mut self.sides[dir.index()];
        let seq = header.sequence;
        match side.rtp {
            None => side.note(
                dir,
                format!(
                    "RTP: SSRC {:#010x}, payload type {}, first sequence number {seq}",
                    header.ssrc, header.payload_type
                ),
                out,
            ),
            Some(state) if state.ssrc != header.ssrc => {
                side.note(
                    dir,
                    format!(
                        "RTP: SSRC {:#010x} follows {:#010x} (a new source, sequence number \
                         {seq}): the demuxer starts afresh",
                        header.ssrc, state.ssrc
                    ),
                    out,
                );
                side.restart();
            }
            Some(state) if state.next == seq => {}
            Some(state) => {
                let ahead = seq.wrapping_sub(state.next);
                if ahead >= 0x8000 {
                    let last = state.next.wrapping_sub(1);
                    side.note(
                        dir,
                        format!("RTP: packet {seq} after packet {last} (repeated or reordered): not read"),
                        out,
                    );
                    return false;
                }
                side.note(
                    dir,
                    format!(
                        "RTP: sequence number {seq} where {} was due: {ahead} packet(s) lost \
                         before the capture; the demuxer starts afresh",
                        state.next
                    ),
                    out,
                );
                side.incomplete = true;
                side.restart();
            }
        }
        side.rtp = Some(RtpState {
            ssrc: header.ssrc,
            next: seq.wrapping_add(1),
        });
        let len = header.payload.len();
        if !PacketSize::ALL
            .iter()
            .any(|s| len.is_multiple_of(s.stride()))
        {
            side.note(
                dir,
                format!(
                    "RTP: packet {seq} carries {len} bytes, not a whole number of TS packets \
                     (RFC 2250 §2)"
                ),
                out,
            );
        }
        true
    }
}

impl TsObserver {
    /// Bytes of `dir` that never came (what a carrier such as SRT lost and gave up on, `why`):
    /// the demuxer starts afresh at the next sync byte, and `dir` counts as observed in part.
    pub fn lost(&mut self, dir: Direction, why: String, out: &mut Vec<Observation>) {
        let side = &mut self.sides[dir.index()];
        if side.ended {
            return;
        }
        side.incomplete = true;
        side.restart();
        let text = format!(
            "{why}: the demuxer starts afresh at the next sync byte and waits for the next PAT \
             and PMT (ISO/IEC 13818-1 §2.4.4)"
        );
        out.push(Observation::Entry(dir, EntryKind::Event(text)));
    }
}

impl Side {
    /// A fresh demuxer from the current position on (the old one's partial data is dropped:
    /// what follows does not continue it).
    fn restart(&mut self) {
        self.demuxer = Demuxer::new(self.limits);
        self.framer = Framer::new();
        self.base = self.position;
    }

    fn note(&mut self, dir: Direction, text: String, out: &mut Vec<Observation>) {
        self.notes.note(dir, text, out);
    }

    fn drain(&mut self, dir: Direction, out: &mut Vec<Observation>) {
        while let Some(output) = self.demuxer.poll_output() {
            match output {
                Output::Transmit(_) => {}
                Output::Violation(v) if self.cut => {
                    self.incomplete = true;
                    let text = format!(
                        "the capture ends before the sender closed the stream: {} at offset {} \
                         is about what it cut, not judged",
                        v.rule.id,
                        v.offset + self.base
                    );
                    out.push(Observation::Entry(dir, EntryKind::Event(text)));
                }
                Output::Violation(mut v) => {
                    v.offset += self.base;
                    out.push(violation(dir, v));
                }
                Output::Event(DemuxEvent::Frame(frame)) => {
                    out.push(Observation::Frame(dir, frame));
                }
                Output::Event(DemuxEvent::Config(c)) => config(&mut self.notes, dir, c, out),
                Output::Event(event) => {
                    if let Some(text) = describe(&event) {
                        self.note(dir, text, out);
                    }
                }
            }
        }
    }

    fn end(&mut self, now: Instant, dir: Direction, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let _ = self.demuxer.handle_end(now);
        self.drain(dir, out);
        let packets = &mut self.packets;
        self.framer.finish(&mut |f| count(packets, f));
        if !self.packets.is_empty() {
            let text = self.packet_summary();
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        self.notes.close(dir, "TS", out);
    }
}

impl Side {
    /// "329 packets: PID 0x0111 (video1) ×156, …", the most frequent PIDs first, each named
    /// by what the last PAT and PMTs say of it.
    fn packet_summary(&self) -> String {
        let total: u64 = self.packets.values().sum();
        let mut pids: Vec<(u16, u64)> = self.packets.iter().map(|(p, n)| (*p, *n)).collect();
        pids.sort_by_key(|&(pid, n)| (std::cmp::Reverse(n), pid));
        let mut listed: Vec<String> = pids
            .iter()
            .take(MAX_PIDS_LISTED)
            .map(|&(pid, n)| format!("{pid:#06x} ({}) ×{n}", self.pid_role(pid)))
            .collect();
        if pids.len() > MAX_PIDS_LISTED {
            listed.push(format!("{} more PIDs", pids.len() - MAX_PIDS_LISTED));
        }
        format!("{total} packets: {}", listed.join(", "))
    }

    fn pid_role(&self, pid: u16) -> String {
        if pid == 0 {
            return "PAT".into();
        }
        if pid == 0x1fff {
            return "null".into();
        }
        if let Some(track) = self.demuxer.tracks().find(|t| t.pid == pid) {
            return format!("{} {}", track_name(track.track), track.codec);
        }
        let pmt_pids = self
            .demuxer
            .pat()
            .map(|pat| &pat.programs[..])
            .unwrap_or(&[]);
        if let Some(entry) = pmt_pids.iter().find(|e| e.pmt_pid == pid) {
            return format!("PMT of program {}", entry.program_number);
        }
        let listed = self
            .demuxer
            .programs()
            .flat_map(|pmt| &pmt.streams)
            .find(|s| s.pid == pid);
        match listed {
            Some(stream) => format!("stream type {:#04x}, not read", stream.stream_type),
            None if self.demuxer.pat().is_none() => "no PAT seen".into(),
            None => "in no PMT".into(),
        }
    }
}

fn count(packets: &mut BTreeMap<u16, u64>, framed: Framed<'_>) {
    if let Framed::Packet(_, packet) = framed {
        let pid = u16::from(packet[1] & 0x1f) << 8 | u16::from(packet[2]);
        *packets.entry(pid).or_default() += 1;
    }
}

/// One line for a program or track event.
fn describe(event: &DemuxEvent) -> Option<String> {
    Some(match event {
        DemuxEvent::PacketSize(size) => format!(
            "packet size {} bytes{}",
            size.stride(),
            match size {
                PacketSize::Ts188 => "",
                PacketSize::M2ts192 => " (M2TS: a 4-byte timestamp before each packet)",
                PacketSize::Rs204 => " (16 parity bytes after each packet)",
            }
        ),
        DemuxEvent::Program { pmt_pid, pmt } => {
            let mut streams: Vec<String> = pmt
                .streams
                .iter()
                .take(MAX_STREAMS_LISTED)
                .map(|s| format!("{:#06x} type {:#04x}", s.pid, s.stream_type))
                .collect();
            if pmt.streams.len() > MAX_STREAMS_LISTED {
                streams.push("…".into());
            }
            format!(
                "program {} (PMT on PID {pmt_pid:#06x}, version {}, PCR on PID {:#06x}): {}",
                pmt.program_number,
                pmt.version,
                pmt.pcr_pid,
                if streams.is_empty() {
                    "no streams".to_owned()
                } else {
                    streams.join(", ")
                }
            )
        }
        DemuxEvent::ProgramRemoved { program_number } => {
            format!("program {program_number} left the PAT")
        }
        DemuxEvent::TrackAdded(info) => format!("track {}", track(info)),
        DemuxEvent::TrackRemoved(info) => format!("track {} removed", track(info)),
        DemuxEvent::Config(_) | DemuxEvent::Frame(_) => return None,
    })
}

fn track(info: &TrackInfo) -> String {
    let language = info
        .language
        .filter(|l| l.iter().all(u8::is_ascii_alphanumeric))
        .map(|l| format!(", language {}", String::from_utf8_lossy(&l)))
        .unwrap_or_default();
    format!(
        "{} {} on PID {:#06x} (program {}, stream type {:#04x}{language})",
        track_name(info.track),
        info.codec,
        info.pid,
        info.program_number,
        info.stream_type
    )
}

impl Observer for TsObserver {
    fn data(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        let side = &mut self.sides[dir.index()];
        if side.ended {
            return;
        }
        side.streamed = true;
        if side.position == 0 && side.base == 0 {
            // A flow joined mid-stream starts past 0.
            side.position = offset;
            side.base = offset;
        }
        self.feed(dir, bytes, out);
    }

    fn datagram(
        &mut self,
        dir: Direction,
        _time: std::time::Duration,
        bytes: &Bytes,
        out: &mut Vec<Observation>,
    ) {
        if self.sides[dir.index()].ended {
            return;
        }
        // A TS packet starts with 0x47 (version bits 01), an RTP packet with version 2; a
        // datagram that is neither goes to the demuxer, which says what is wrong with it.
        if bytes.first() != Some(&SYNC_BYTE)
            && let Ok(packet) = RtpPacket::parse(bytes)
        {
            if self.rtp(dir, &packet, out) {
                self.feed(dir, &packet.payload, out);
            }
            return;
        }
        self.feed(dir, bytes, out);
    }

    fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        let side = &mut self.sides[dir.index()];
        if side.ended {
            return;
        }
        side.incomplete = true;
        side.position = offset + len;
        side.restart();
        let text = format!(
            "{len} bytes missing at offset {offset}: the demuxer starts afresh at the next sync \
             byte and waits for the next PAT and PMT (ISO/IEC 13818-1 §2.4.4)"
        );
        out.push(Observation::Entry(dir, EntryKind::Event(text)));
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        self.sides[dir.index()].end(self.now, dir, out);
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let side = &mut self.sides[dir.index()];
            if side.position > 0 || side.notes.listed() > 0 {
                side.cut = side.streamed;
                side.end(self.now, dir, out);
            }
        }
    }

    fn complete(&self) -> bool {
        !self.sides.iter().any(|s| s.incomplete)
    }
}
