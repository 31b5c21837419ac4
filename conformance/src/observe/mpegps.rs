//! The MPEG-PS observer: each direction's program stream into its own [`Demuxer`]
//! (ISO/IEC 13818-1 §2.5), as GB28181 devices send it — RTP packets over UDP, RTP framed over
//! TCP by 16-bit lengths (RFC 4571), whose headers, CSRCs, header extensions and padding are
//! stripped (RFC 3550 §5.1, §5.3.1) — or a `.ps`/`.mpg`/`.vob` file read whole. Every RTP
//! header is judged by the `rtp.header.*` rules with the RTP observer's own code
//! ([`judge_header`]); a packet whose header breaks one is not read.
//!
//! Violation offsets count bytes of the direction's program stream: for RTP, the payloads end
//! to end; a violation's detail names the RTP packet (sequence number) its offset falls in (a
//! broken header's, where its payload would have gone).
//! RTP sequence numbers are followed: a loss is no rule the sender broke, so it is a
//! transcript event, and the demuxer starts afresh after it — at the next packet that begins
//! with a pack header and carries a program stream map (the next keyframe, GB/T 28181 Annex
//! C), or with a pack header alone when the stream sent no map before — so that what the
//! network or the capture lost is not blamed on the stream. The direction then counts as
//! observed in part. Frames and codec configurations go to the media summary.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use weir_media::{Error, Machine, Output, Violation};
use weir_mpegps::rules::SNIFFED;
use weir_mpegps::{Demuxer, Limits, PsEvent, Stats, TrackInfo};
use weir_rtp::RtpPacket;
use weir_rtp::framing::Deframer;

use super::rtp::{deframe, end_framing, judge_header};
use super::{Listing, Observation, Observer, config, violation};
use crate::capture::Direction;
use crate::media_summary::track_name;
use crate::transcript::EntryKind;

/// Events listed per direction (tracks, maps, configurations, RTP notes); the rest are
/// counted.
const MAX_LISTED: u64 = 100;
/// RTP packets remembered per direction to name the one a violation falls in.
const MAX_MARKS: usize = 4096;
/// `mpegps.es.sniffed` violations held until the first map (one per stream the demuxer reads).
const MAX_HELD: usize = 16;
/// Zero bytes skipped before a pack header when looking for one to resume at.
const MAX_ZEROS: usize = 64;

/// How a flow's program stream comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    /// The stream's bytes as they are: a file.
    Bytes,
    /// RTP packets, one per UDP datagram.
    Datagrams,
    /// RTP packets framed by 16-bit lengths on TCP (RFC 4571).
    Framed,
}

/// The two demuxers of one flow.
pub struct PsObserver {
    carrier: Carrier,
    sides: [Side; 2],
    /// The demuxer ignores time; one instant serves every call.
    now: Instant,
}

/// Where a restarted demuxer may take up the stream again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    /// Any payload: nothing was lost.
    Now,
    /// The first payload that begins with a pack header: a flow of RTP packets is read from
    /// there, since a capture may begin inside a frame (or after its first packets were
    /// lost), and what comes before is the tail of a frame that cannot be read.
    Start,
    /// A payload that begins with a pack header.
    Pack,
    /// A payload that begins with a pack header and carries a program stream map.
    Map,
}

/// One direction.
struct Side {
    demuxer: Demuxer,
    /// What earlier demuxers of this direction read (before a restart).
    stats: Stats,
    /// Stream position where the current demuxer's input began.
    base: u64,
    /// Stream position of the next byte.
    position: u64,
    deframer: Option<Deframer>,
    rtp: Option<RtpState>,
    resume: Resume,
    /// (stream position, sequence number) of the RTP packets whose payloads were fed.
    marks: VecDeque<(u64, u16)>,
    packets: u64,
    payload_bytes: u64,
    lost: u64,
    /// Payloads skipped while waiting to resume.
    skipped: u64,
    /// Of those, the payloads and bytes skipped before the first pack header.
    skipped_at_start: (u64, u64),
    /// The capture began inside the stream and no program stream map came since: a stream
    /// the demuxer sniffs (`mpegps.es.sniffed`) may have been named by a map sent before.
    /// Those violations wait here until a map shows that the stream sends them (they are
    /// dropped) or the direction ends without one (they are reported).
    unmapped: Option<Vec<Violation>>,
    rtcp: u64,
    /// Packets whose RTP header is broken (`rtp.header.*`): not read.
    broken: u64,
    frames: u64,
    ended: bool,
    /// The demuxer gave up: nothing more is read.
    stopped: bool,
    /// Bytes were lost or not read (a gap, an RTP loss, a packet that was not RTP).
    incomplete: bool,
    notes: Listing,
}

#[derive(Clone, Copy)]
struct RtpState {
    ssrc: u32,
    payload_type: u8,
    next: u16,
}

impl PsObserver {
    fn new(carrier: Carrier) -> Self {
        let side = || Side {
            demuxer: Demuxer::new(Limits::default()),
            stats: Stats::default(),
            base: 0,
            position: 0,
            deframer: (carrier == Carrier::Framed).then(Deframer::new),
            rtp: None,
            resume: match carrier {
                Carrier::Bytes => Resume::Now,
                Carrier::Datagrams | Carrier::Framed => Resume::Start,
            },
            marks: VecDeque::new(),
            packets: 0,
            payload_bytes: 0,
            lost: 0,
            skipped: 0,
            skipped_at_start: (0, 0),
            unmapped: None,
            rtcp: 0,
            broken: 0,
            frames: 0,
            ended: false,
            stopped: false,
            incomplete: false,
            notes: Listing::new(MAX_LISTED),
        };
        PsObserver {
            carrier,
            sides: [side(), side()],
            now: Instant::now(),
        }
    }

    /// A `.ps`/`.mpg`/`.vob` file (or any flow of bare program stream bytes).
    pub fn file() -> Self {
        Self::new(Carrier::Bytes)
    }

    /// PS over RTP over UDP: each datagram one RTP packet.
    pub fn datagrams() -> Self {
        Self::new(Carrier::Datagrams)
    }

    /// PS over RTP over TCP, framed as RFC 4571 says.
    pub fn framed() -> Self {
        Self::new(Carrier::Framed)
    }

    /// One RTP packet of `dir` (a datagram, or a frame's packet).
    fn packet(&mut self, dir: Direction, bytes: &Bytes, out: &mut Vec<Observation>) {
        let side = &mut self.sides[dir.index()];
        if side.ended || side.stopped {
            return;
        }
        // RFC 5761 §4: RTCP on the same port has payload types 64-95 with the marker bit.
        if weir_rtp::rtcp::is_rtcp(bytes) {
            side.rtcp += 1;
            return;
        }
        // The header is judged as the RTP observer judges it (`rtp.header.*`).
        let place = |v| side.placed_header(v, bytes);
        let Some(packet) = judge_header(bytes, false, dir, place, out) else {
            // An RTP packet too broken to read leaves a hole in the sequence numbers, which
            // the next one shows as a loss.
            side.broken += 1;
            side.incomplete = true;
            return;
        };
        side.packets += 1;
        side.payload_bytes += packet.payload.len() as u64;
        if !side.sequence(dir, &packet, out) {
            return;
        }
        let payload = &packet.payload;
        if side.resume != Resume::Now {
            if !side.may_resume(payload) {
                side.skipped += 1;
                side.position += payload.len() as u64;
                if side.resume == Resume::Start {
                    side.skipped_at_start.0 += 1;
                    side.skipped_at_start.1 += payload.len() as u64;
                    // What was not read is not judged: the direction is observed in part.
                    side.incomplete = true;
                }
                return;
            }
            let (packets, bytes) = side.skipped_at_start;
            let text = match side.resume {
                // The stream begins at its first packet: nothing to say.
                Resume::Start if packets == 0 => None,
                Resume::Start => Some(format!(
                    "RTP: the capture begins inside a frame: {packets} packet(s) ({bytes} \
                     payload bytes) before packet {} skipped; the demuxer starts at its pack \
                     header",
                    packet.sequence
                )),
                resume => Some(format!(
                    "RTP: packet {} begins with a pack header{}: the demuxer starts afresh there",
                    packet.sequence,
                    match resume {
                        Resume::Map => " and carries a program stream map",
                        _ => "",
                    }
                )),
            };
            if let Some(text) = text {
                side.note(dir, text, out);
            }
            if side.resume == Resume::Start && packets > 0 {
                side.unmapped = Some(Vec::new());
            }
            side.resume = Resume::Now;
            side.restart();
        }
        if side.marks.len() == MAX_MARKS {
            side.marks.pop_front();
        }
        side.marks.push_back((side.position, packet.sequence));
        side.feed(self.now, dir, payload, out);
    }
}

impl Side {
    fn note(&mut self, dir: Direction, text: String, out: &mut Vec<Observation>) {
        self.notes.note(dir, text, out);
    }

    /// Follows the sequence numbers (RFC 3550 §5.1); whether the packet's payload is read
    /// (not when repeated or late).
    fn sequence(&mut self, dir: Direction, packet: &RtpPacket, out: &mut Vec<Observation>) -> bool {
        let seq = packet.sequence;
        match self.rtp {
            None => {
                let text = format!(
                    "RTP: SSRC {:#010x}, payload type {}, first sequence number {seq}",
                    packet.ssrc, packet.payload_type
                );
                self.note(dir, text, out);
            }
            Some(state) if state.ssrc != packet.ssrc => {
                let text = format!(
                    "RTP: SSRC {:#010x} follows {:#010x} (a new source, sequence number {seq}): \
                     the demuxer starts afresh at its next pack header",
                    packet.ssrc, state.ssrc
                );
                self.note(dir, text, out);
                self.lose(Resume::Pack);
            }
            Some(state) if state.next == seq => {}
            Some(state) => {
                let ahead = seq.wrapping_sub(state.next);
                if ahead >= 0x8000 {
                    let last = state.next.wrapping_sub(1);
                    let text = format!(
                        "RTP: packet {seq} after packet {last} (repeated or reordered): not read"
                    );
                    self.note(dir, text, out);
                    return false;
                }
                self.lost += u64::from(ahead);
                self.incomplete = true;
                let resume = self.resume_point();
                let text = format!(
                    "RTP: sequence number {seq} where {} was due: {ahead} packet(s) lost before \
                     the capture; the demuxer starts afresh at the next packet that begins with \
                     a pack header{}",
                    state.next,
                    match resume {
                        Resume::Map => " and carries a program stream map",
                        _ => "",
                    }
                );
                self.note(dir, text, out);
                self.lose(resume);
            }
        }
        self.rtp = Some(RtpState {
            ssrc: packet.ssrc,
            payload_type: packet.payload_type,
            next: seq.wrapping_add(1),
        });
        true
    }

    /// Where to resume after a loss: at the next map when the stream has sent one (the next
    /// keyframe, GB/T 28181 Annex C), else at the next pack header.
    fn resume_point(&self) -> Resume {
        match self.demuxer.map().is_some() || self.stats.maps > 0 {
            true => Resume::Map,
            false => Resume::Pack,
        }
    }

    /// What the demuxer holds does not go on: wait for a place to resume at (still the
    /// first pack header, when none came yet).
    fn lose(&mut self, resume: Resume) {
        if self.resume != Resume::Start {
            self.resume = resume;
        }
    }

    /// Whether `payload` is a place to resume at.
    fn may_resume(&self, payload: &[u8]) -> bool {
        let zeros = payload
            .iter()
            .take(MAX_ZEROS + 2)
            .take_while(|&&b| b == 0)
            .count();
        let pack = zeros >= 2 && payload.get(zeros..zeros + 2) == Some(&[1, 0xba]);
        pack && (self.resume != Resume::Map || has_map(payload))
    }

    /// A fresh demuxer from the current position on; what the old one read is kept in the
    /// counts, what it held is dropped (what follows does not continue it).
    fn restart(&mut self) {
        self.stats = add(self.stats, self.demuxer.stats());
        self.demuxer = Demuxer::new(*self.demuxer.limits());
        self.base = self.position;
    }

    fn feed(&mut self, now: Instant, dir: Direction, bytes: &[u8], out: &mut Vec<Observation>) {
        let result = self.demuxer.handle_input(now, bytes);
        self.position += bytes.len() as u64;
        self.drain(dir, out);
        if let Err(e) = result {
            self.stop(dir, e, out);
        }
    }

    /// The demuxer gave up: a fatal violation, and the direction is not read further.
    fn stop(&mut self, dir: Direction, e: Error, out: &mut Vec<Observation>) {
        self.stopped = true;
        self.incomplete = true;
        let kind = match e.rule {
            Some(rule) => EntryKind::Violation {
                rule,
                offset: Some(e.offset + self.base),
                detail: e.detail,
                fatal: true,
            },
            None => EntryKind::GaveUp(e.detail),
        };
        out.push(Observation::Entry(dir, kind));
    }

    /// The RTP packet stream position `offset` falls in, for a violation's detail.
    fn packet_at(&self, offset: u64) -> Option<u16> {
        let i = self.marks.partition_point(|&(at, _)| at <= offset);
        i.checked_sub(1).map(|i| self.marks[i].1)
    }

    fn drain(&mut self, dir: Direction, out: &mut Vec<Observation>) {
        while let Some(output) = self.demuxer.poll_output() {
            match output {
                Output::Transmit(_) => {}
                Output::Violation(v) => {
                    let v = self.placed(v);
                    match self.unmapped.as_mut() {
                        Some(held) if v.rule.id == SNIFFED.id && held.len() < MAX_HELD => {
                            held.push(v)
                        }
                        _ => out.push(violation(dir, v)),
                    }
                }
                Output::Event(PsEvent::Frame(frame)) => {
                    self.frames += 1;
                    out.push(Observation::Frame(dir, frame));
                }
                Output::Event(PsEvent::Config(c)) => config(&mut self.notes, dir, c, out),
                Output::Event(PsEvent::TrackAdded(info)) => {
                    let text = format!("track {}", track(&info));
                    self.note(dir, text, out);
                }
                Output::Event(PsEvent::Map(psm)) => {
                    if let Some(held) = self.unmapped.take()
                        && !held.is_empty()
                    {
                        let text = format!(
                            "{} stream(s) read before the first program stream map: the \
                             capture began after the map before them, so they are not reported \
                             as sniffed ({})",
                            held.len(),
                            SNIFFED.id
                        );
                        self.note(dir, text, out);
                    }
                    let streams: Vec<String> = psm
                        .streams
                        .iter()
                        .take(16)
                        .map(|s| format!("{:#04x} type {:#04x}", s.stream_id, s.stream_type))
                        .collect();
                    let text = format!(
                        "program stream map version {}: {}",
                        psm.version,
                        match streams.is_empty() {
                            true => "no streams".to_owned(),
                            false => streams.join(", "),
                        }
                    );
                    self.note(dir, text, out);
                }
                Output::Event(PsEvent::Resync {
                    offset, skipped, ..
                }) => {
                    let text = format!(
                        "resynchronised at the pack header at offset {}{} after skipping \
                         {skipped} bytes",
                        offset + self.base,
                        self.packet_at(offset + self.base)
                            .map(|seq| format!(" (RTP packet {seq})"))
                            .unwrap_or_default()
                    );
                    self.note(dir, text, out);
                }
            }
        }
    }

    /// A broken RTP header's violation (its offset in `packet`) placed where the packet's
    /// payload would have gone in the stream, the packet named by its sequence number when
    /// the header holds one.
    fn placed_header(&self, mut v: Violation, packet: &[u8]) -> Violation {
        let seq = match packet.get(2..4) {
            Some(&[hi, lo]) => format!("RTP packet {}", u16::from_be_bytes([hi, lo])),
            _ => "an RTP packet".to_owned(),
        };
        v.detail = format!(
            "{} ({seq}, byte {} of its {})",
            v.detail,
            v.offset,
            packet.len()
        );
        v.offset = self.position;
        v
    }

    /// A demuxer violation at its place in the direction's stream, with the RTP packet named.
    fn placed(&self, mut v: Violation) -> Violation {
        v.offset += self.base;
        if let Some(seq) = self.packet_at(v.offset) {
            v.detail = format!("{} (RTP packet {seq})", v.detail);
        }
        v
    }

    fn end(&mut self, now: Instant, dir: Direction, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        if let Some(deframer) = self.deframer.as_mut() {
            end_framing(deframer, now, dir, out);
        }
        if !self.stopped && self.resume == Resume::Now {
            let result = self.demuxer.handle_end(now);
            self.drain(dir, out);
            if let Err(e) = result {
                self.stop(dir, e, out);
            }
        }
        // No map came: the streams sniffed were never named by one.
        for v in self.unmapped.take().unwrap_or_default() {
            out.push(violation(dir, v));
        }
        let stats = add(self.stats, self.demuxer.stats());
        if stats.packs > 0 || self.position > 0 {
            out.push(Observation::Entry(dir, EntryKind::Event(summary(&stats))));
        }
        if let Some(rtp) = self.rtp {
            let text = format!(
                "RTP: SSRC {:#010x}, payload type {}: {} packets, {} payload bytes; {} lost, {} \
                 skipped waiting for a place to resume; {} frames",
                rtp.ssrc,
                rtp.payload_type,
                self.packets,
                self.payload_bytes,
                self.lost,
                self.skipped,
                self.frames
            );
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        if self.rtcp > 0 {
            let text = format!("{} RTCP packets: counted, not read", self.rtcp);
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        if self.broken > 0 {
            let text = format!(
                "{} packets whose RTP header is broken: not read",
                self.broken
            );
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        self.notes.close(dir, "MPEG-PS", out);
    }
}

/// Whether a payload holds a program stream map's start code (13818-1 §2.5.4.1).
fn has_map(payload: &[u8]) -> bool {
    payload.windows(4).any(|w| w == [0, 0, 1, 0xbc])
}

/// Two counts added.
fn add(a: Stats, b: Stats) -> Stats {
    Stats {
        packs: a.packs + b.packs,
        mpeg1_packs: a.mpeg1_packs + b.mpeg1_packs,
        system_headers: a.system_headers + b.system_headers,
        maps: a.maps + b.maps,
        pes: a.pes + b.pes,
        private: a.private + b.private,
        padding: a.padding + b.padding,
        skipped_pes: a.skipped_pes + b.skipped_pes,
        recoveries: a.recoveries + b.recoveries,
        skipped_bytes: a.skipped_bytes + b.skipped_bytes,
    }
}

/// "MPEG-PS: 75 packs (0 MPEG-1), 3 system headers, 3 maps, 185 PES (…); 0 resynchronisations".
fn summary(s: &Stats) -> String {
    format!(
        "MPEG-PS: {} packs ({} MPEG-1), {} system headers, {} maps, {} PES ({} private, {} \
         padding, {} skipped); {} resynchronisations, {} bytes skipped",
        s.packs,
        s.mpeg1_packs,
        s.system_headers,
        s.maps,
        s.pes,
        s.private,
        s.padding,
        s.skipped_pes,
        s.recoveries,
        s.skipped_bytes
    )
}

fn track(info: &TrackInfo) -> String {
    format!(
        "{} {} on stream id {:#04x} ({})",
        track_name(info.track),
        info.codec,
        info.stream_id,
        match info.stream_type {
            Some(t) => format!("stream type {t:#04x}"),
            None => "sniffed from the stream".to_owned(),
        }
    )
}

impl Observer for PsObserver {
    fn data(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        let now = self.now;
        let side = &mut self.sides[dir.index()];
        if side.ended || side.stopped {
            return;
        }
        let Some(deframer) = side.deframer.as_mut() else {
            if side.position == 0 && side.base == 0 {
                // A flow joined mid-stream starts past 0.
                side.position = offset;
                side.base = offset;
            }
            side.feed(now, dir, bytes, out);
            return;
        };
        for packet in deframe(deframer, now, dir, bytes, out) {
            self.packet(dir, &packet, out);
        }
    }

    fn datagram(
        &mut self,
        dir: Direction,
        _time: Duration,
        bytes: &Bytes,
        out: &mut Vec<Observation>,
    ) {
        self.packet(dir, bytes, out);
    }

    fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        let now = self.now;
        let carrier = self.carrier;
        let side = &mut self.sides[dir.index()];
        if side.ended || side.stopped {
            return;
        }
        side.incomplete = true;
        if carrier == Carrier::Framed {
            // Framing cannot be found again after bytes are lost: the direction ends here.
            let text = format!(
                "{len} bytes missing at offset {offset}: RFC 4571 framing cannot be found again"
            );
            out.push(Observation::Entry(dir, EntryKind::GaveUp(text)));
            side.end(now, dir, out);
            return;
        }
        side.position = offset + len;
        side.restart();
        // Listed with the other notes: a capture with a gap in every segment stays small.
        side.note(
            dir,
            format!(
                "{len} bytes missing at offset {offset}: the demuxer starts afresh at the next \
                 pack header (ISO/IEC 13818-1 §2.5.3.3)"
            ),
            out,
        );
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        self.sides[dir.index()].end(self.now, dir, out);
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let side = &mut self.sides[dir.index()];
            if side.position > 0 || side.packets > 0 || side.notes.listed() > 0 {
                side.end(self.now, dir, out);
            }
        }
    }

    fn complete(&self) -> bool {
        !self.sides.iter().any(|s| s.incomplete)
    }
}
