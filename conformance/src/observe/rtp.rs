//! The RTP observer: RTP and RTCP of one UDP flow, told apart as RFC 5761 §4 says, or framed
//! over TCP (RFC 4571). Per direction and SSRC: the payload type and its format — from `--sdp`,
//! `--decode-as rtp.pt==PT,NAME/RATE` or the static table (RFC 3551 §6) —, the reception
//! statistics of RFC 3550 A.1, A.3 and A.8 (loss, duplicates, reordering, jitter), and the
//! frames of its depacketizer, which go through the media summary like every other
//! protocol's. RTCP packets are parsed and judged; sender and receiver reports are set against
//! what the capture shows.
//!
//! Violation offsets are where the datagram (or framed packet) starts in its direction's
//! bytes, datagrams end to end, as the flow's byte counts count them. A
//! capture's losses are no rule the sender broke: they are transcript events, and the
//! direction counts as observed in part.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use weir_media::{Machine, MediaKind, MediaPacket, Output, Track, Violation};
use weir_rtp::behaviour::{Behaviour, Limits as BehaviourLimits};
use weir_rtp::framing::{Deframer, Framed};
use weir_rtp::payload::Unit;
use weir_rtp::rtcp::{self, Packet as RtcpPacket};
use weir_rtp::stats::Reception;
use weir_rtp::{Depacketizer, Event, Format, Limits, RtpPacket};

use super::sdp::SharedLearned;
use super::{Listing, Observation, Observer, violation};
use crate::capture::Direction;
use crate::transcript::EntryKind;

/// Events listed per direction; the rest are counted.
const MAX_LISTED: u64 = 200;
/// Sources followed per direction; packets of more are counted only.
const MAX_STREAMS: usize = 64;

/// RTP payload types and their formats (RFC 3551 §3): what an SDP or `--decode-as` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayloadTypes(BTreeMap<u8, (Format, &'static str)>, BTreeMap<u8, bool>);

impl PayloadTypes {
    /// Payload type `pt` is `format`, as `source` says (`--sdp`, `--decode-as`, an SDP in
    /// the capture).
    pub fn insert(&mut self, pt: u8, format: Format, source: &'static str) {
        self.0.insert(pt, (format, source));
        self.1.remove(&pt);
    }

    /// Payload type `pt` is carried in SRTP (RFC 3711): an m-line of a secure profile
    /// (`RTP/SAVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`) names it. Its payloads are ciphertext.
    pub fn secure(&mut self, pt: u8) {
        self.1.insert(pt, true);
    }

    fn is_secure(&self, pt: u8) -> bool {
        self.1.get(&pt).copied().unwrap_or(false)
    }

    /// Parses `PT,NAME[/RATE[/CHANNELS]][,FMTP]` (`--decode-as rtp.pt==96,H264/90000`,
    /// after tshark's `-d rtp.pt==96,h264`); the clock rate of video and of Opus, PCMU and
    /// PCMA is their usual one when left out.
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let bad = |why: &str| format!("--decode-as rtp.pt=={spec}: {why}");
        let mut fields = spec.splitn(3, ',');
        let pt: u8 = fields
            .next()
            .and_then(|pt| pt.trim().parse().ok())
            .filter(|pt| *pt < 128)
            .ok_or_else(|| bad("expected a payload type 0-127"))?;
        let encoding = fields
            .next()
            .ok_or_else(|| bad("expected PT,NAME[/RATE]"))?;
        let mut parts = encoding.trim().split('/');
        let name = parts.next().unwrap_or_default();
        let usual = Format::new(name, 0)
            .encoding()
            .and_then(|e| e.usual_clock());
        let rate = match parts.next() {
            Some(rate) => rate
                .parse()
                .map_err(|_| bad("the clock rate is no number"))?,
            None => {
                usual
                    .ok_or_else(|| bad("give the clock rate: NAME/RATE"))?
                    .0
            }
        };
        let mut format = Format::new(name, rate);
        match parts.next().map(str::parse) {
            Some(Ok(channels)) => format = format.with_channels(channels),
            Some(Err(_)) => return Err(bad("the channel count is no number")),
            None => {
                if let Some((_, Some(channels))) = usual {
                    format = format.with_channels(channels);
                }
            }
        }
        if let Some(fmtp) = fields.next() {
            format = format.with_fmtp(fmtp);
        }
        if format.encoding().is_none() {
            return Err(bad("not an encoding Weir depacketizes"));
        }
        self.insert(pt, format, "--decode-as");
        Ok(())
    }

    /// Whether the user gave `pt` (`--decode-as`, `--sdp`): a description in the capture does
    /// not change it.
    pub fn given(&self, pt: u8) -> bool {
        self.0
            .get(&pt)
            .is_some_and(|(_, source)| *source != FROM_CAPTURE)
    }

    /// The format of `pt`: given, learned from a description, or static (RFC 3551 §6).
    pub fn format(&self, pt: u8) -> Option<Format> {
        self.get(pt).map(|(format, _)| format)
    }

    /// The format of `pt` and where it was learned: given, else static (RFC 3551 §6).
    fn get(&self, pt: u8) -> Option<(Format, &'static str)> {
        self.0
            .get(&pt)
            .cloned()
            .or_else(|| Format::of_static(pt).map(|f| (f, "static payload type")))
    }
}

/// Where a payload type learned from a description in the capture comes from.
pub const FROM_CAPTURE: &str = "an SDP of this input";

/// The observer of one flow.
pub struct RtpObserver {
    types: SharedLearned,
    sides: [Side; 2],
    /// The capture's time 0 as an instant, for the machines' clocks.
    start: Instant,
    /// The latest capture time seen, for framed packets (which come without one).
    now: Duration,
    /// With `--keylog` (decrypted sessions): both directions' feedback and what answered it
    /// (`rtp.behaviour.*`).
    behaviour: Option<Behaviour>,
}

/// Whether a direction's packets are encrypted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Protection {
    /// As the descriptions say: SRTP for the payload types of an SAVP m-line.
    Described,
    /// SRTP and SRTCP, whatever they say (a DTLS-SRTP flow, RFC 5764).
    Srtp,
    /// Clear, whatever they say: SRTP decrypted with logged keys (`--keylog`).
    Decrypted,
}

impl Protection {
    /// Whether payload type `pt` is carried in SRTP.
    fn secure(self, types: &PayloadTypes, pt: u8) -> bool {
        match self {
            Protection::Described => types.is_secure(pt),
            Protection::Srtp => true,
            Protection::Decrypted => false,
        }
    }
}

/// One direction.
struct Side {
    protection: Protection,
    streams: BTreeMap<u32, Stream>,
    /// Datagrams (or framed packets) so far.
    packets: u64,
    /// Their bytes: the next one's offset.
    offset: u64,
    rtcp: u64,
    /// Packets of sources past [`MAX_STREAMS`].
    unfollowed: u64,
    /// Datagrams that are neither RTP nor RTCP.
    other: u64,
    /// RTCP datagrams taken for SRTCP: only their first header is clear.
    encrypted_rtcp: u64,
    deframer: Option<Deframer>,
    notes: Listing,
    /// What was not read (a loss, a source without a known format...): each reason once.
    unread: std::collections::BTreeSet<&'static str>,
    ended: bool,
    /// Tracks handed out per kind, so that each source has its own in the media summary.
    tracks: [u8; 3],
}

/// One source (SSRC) of a direction.
struct Stream {
    payload_type: u8,
    /// The format's name, for the summary.
    format: Option<String>,
    reception: Reception,
    depacketizer: Option<Depacketizer>,
    track: Option<Track>,
    packets: u64,
    bytes: u64,
    /// Packets of another payload type than the first (not depacketized).
    other_types: u64,
    frames: u64,
    keyframes: u64,
    dropped: u64,
    lost: u64,
    mux_bytes: u64,
}

impl RtpObserver {
    /// An observer of a flow over UDP, or over TCP with RFC 4571 framing (`framed`).
    pub fn new(types: SharedLearned, framed: bool) -> Self {
        let side = || Side {
            protection: Protection::Described,
            streams: BTreeMap::new(),
            packets: 0,
            offset: 0,
            rtcp: 0,
            unfollowed: 0,
            other: 0,
            encrypted_rtcp: 0,
            deframer: framed.then(Deframer::new),
            notes: Listing::new(MAX_LISTED),
            unread: Default::default(),
            ended: false,
            tracks: [0; 3],
        };
        RtpObserver {
            types,
            sides: [side(), side()],
            start: Instant::now(),
            now: Duration::ZERO,
            behaviour: None,
        }
    }

    /// The SSRCs `dir` has carried so far (the first [`MAX_STREAMS`]).
    pub fn sources(&self, dir: Direction) -> impl Iterator<Item = u32> + '_ {
        self.sides[dir.index()].streams.keys().copied()
    }

    /// An observer of the packets of a DTLS-SRTP flow decrypted with logged keys: clear,
    /// though the flow's descriptions say SAVP.
    pub fn decrypted(types: SharedLearned) -> Self {
        RtpObserver {
            behaviour: Some(Behaviour::new(BehaviourLimits::default())),
            ..Self::protected(types, Protection::Decrypted)
        }
    }

    /// An observer of the SRTP and SRTCP of a flow keyed by DTLS (RFC 5764): headers and
    /// their statistics only.
    pub fn srtp(types: SharedLearned) -> Self {
        Self::protected(types, Protection::Srtp)
    }

    fn protected(types: SharedLearned, protection: Protection) -> Self {
        let mut observer = Self::new(types, false);
        for side in &mut observer.sides {
            side.protection = protection;
        }
        observer
    }

    fn packet(&mut self, dir: Direction, time: Duration, bytes: Bytes, out: &mut Vec<Observation>) {
        self.now = self.now.max(time);
        let now = self.start + time;
        // RFC 7983 §7: RTP and RTCP begin with 128-191; what else shares the port (STUN, DTLS,
        // a vendor's keep-alive) is no RTP packet gone wrong.
        let is_rtp = matches!(bytes.first(), Some(128..=191));
        let is_rtcp = is_rtp && rtcp::is_rtcp(&bytes);
        // Report blocks speak of what their sender receives: the other direction's sources.
        let seen: Seen = match is_rtcp {
            true => self.sides[1 - dir.index()]
                .streams
                .iter()
                .map(|(ssrc, s)| (*ssrc, (s.reception.lost(), s.reception.extended_highest())))
                .collect(),
            false => Seen::new(),
        };
        let index = self.sides[dir.index()].offset;
        let keyframes = self.judge_before(dir, now, index, &bytes, is_rtp, is_rtcp);
        let side = &mut self.sides[dir.index()];
        side.packets += 1;
        side.offset += bytes.len() as u64;
        if !is_rtp {
            side.other += 1;
            if side.other == 1 {
                let first = bytes.first().copied().unwrap_or_default();
                let text = format!(
                    "a datagram that begins {first:#04x}: not RTP or RTCP (RFC 7983 §7); such \
                     datagrams are counted, not read"
                );
                side.note(dir, text, out);
            }
        } else if is_rtcp {
            let options = rtcp::Options {
                reduced_size: self.types.borrow().rtcp_rsize,
                ..rtcp::Options::default()
            };
            side.rtcp(dir, index, &bytes, &seen, &options, out);
        } else {
            let types = &self.types.borrow().payload_types;
            side.rtp(dir, types, now, index, bytes, out);
        }
        side.timeouts(dir, now, out);
        self.judge_after(dir, now, keyframes, out);
    }

    /// Feeds the behaviour judge (decrypted sessions only) one packet; for RTP, the source and
    /// its keyframe count before the packet, to see whether it completed a keyframe.
    fn judge_before(
        &mut self,
        dir: Direction,
        now: Instant,
        index: u64,
        bytes: &Bytes,
        is_rtp: bool,
        is_rtcp: bool,
    ) -> Option<(u32, u64)> {
        let judge = self.behaviour.as_mut()?;
        let learned = self.types.borrow();
        judge.set_transport_sequence_id(learned.transport_sequence_id);
        let side = dir.index();
        if is_rtcp {
            let options = rtcp::Options {
                reduced_size: learned.rtcp_rsize,
                ..rtcp::Options::default()
            };
            if let Ok(compound) = rtcp::parse(bytes, &options) {
                judge.on_rtcp(side, now, index, &compound.packets);
            }
            return None;
        }
        if !is_rtp {
            return None;
        }
        let rtx = learned
            .payload_types
            .0
            .iter()
            .filter(|(_, (f, _))| f.name.eq_ignore_ascii_case("rtx"));
        judge.set_rtx_payload_types(rtx.map(|(pt, _)| *pt));
        let packet = RtpPacket::parse(bytes).ok()?;
        judge.on_rtp(side, now, index, &packet);
        let keyframes = self.sides[side]
            .streams
            .get(&packet.ssrc)
            .map_or(0, |s| s.keyframes);
        Some((packet.ssrc, keyframes))
    }

    /// A keyframe the packet completed goes to the judge, and what the judge found to `out`.
    fn judge_after(
        &mut self,
        dir: Direction,
        now: Instant,
        keyframes: Option<(u32, u64)>,
        out: &mut Vec<Observation>,
    ) {
        let Some(judge) = self.behaviour.as_mut() else {
            return;
        };
        if let Some((ssrc, before)) = keyframes {
            let after = self.sides[dir.index()]
                .streams
                .get(&ssrc)
                .map_or(0, |s| s.keyframes);
            if after > before {
                judge.on_keyframe(dir.index(), now, ssrc);
            }
        }
        drain_judge(judge, out);
    }
}

/// The behaviour judge's violations, each placed in the direction that broke its rule.
fn drain_judge(judge: &mut Behaviour, out: &mut Vec<Observation>) {
    while let Some((side, v)) = judge.poll_violation() {
        let dir = match side {
            0 => Direction::ClientToServer,
            _ => Direction::ServerToClient,
        };
        out.push(violation(dir, v));
    }
}

impl Side {
    fn note(&mut self, dir: Direction, text: String, out: &mut Vec<Observation>) {
        self.notes.note(dir, text, out);
    }

    fn rtp(
        &mut self,
        dir: Direction,
        types: &PayloadTypes,
        now: Instant,
        index: u64,
        bytes: Bytes,
        out: &mut Vec<Observation>,
    ) {
        let srtp = match bytes.get(1) {
            Some(b) => self.protection.secure(types, b & 0x7f),
            None => self.protection == Protection::Srtp,
        };
        let place = |mut v: Violation| {
            v.offset += index;
            v
        };
        let Some(packet) = judge_header(&bytes, srtp, dir, place, out) else {
            return;
        };
        let ssrc = packet.ssrc;
        if !self.streams.contains_key(&ssrc) {
            if self.streams.len() >= MAX_STREAMS {
                self.unfollowed += 1;
                return;
            }
            let stream = self.open(dir, types, &packet, out);
            self.streams.insert(ssrc, stream);
        }
        let mut notes = Vec::new();
        let Some(stream) = self.streams.get_mut(&ssrc) else {
            return;
        };
        stream.packets += 1;
        stream.bytes += packet.payload.len() as u64;
        let arrival = stream
            .reception
            .on_packet(now, packet.sequence, packet.timestamp);
        if let Some(v) = arrival.violation(index) {
            out.push(violation(dir, v));
        }
        if packet.payload_type != stream.payload_type {
            if stream.other_types == 0 {
                notes.push(format!(
                    "RTP: SSRC {ssrc:#010x} sends payload type {} besides {}: those packets are \
                     counted, not depacketized",
                    packet.payload_type, stream.payload_type
                ));
            }
            stream.other_types += 1;
        } else if let Some(d) = stream.depacketizer.as_mut() {
            d.push(now, index, packet);
            notes.extend(stream.drain(dir, ssrc, out));
        }
        for text in notes {
            self.note(dir, text, out);
        }
    }

    /// A new source: its format, depacketizer and track.
    fn open(
        &mut self,
        dir: Direction,
        types: &PayloadTypes,
        packet: &RtpPacket,
        out: &mut Vec<Observation>,
    ) -> Stream {
        let pt = packet.payload_type;
        let found = types.get(pt);
        const CIPHERTEXT: &str = "SRTP payloads (ciphertext), not depacketized";
        let (depacketizer, format, text, unread) = match &found {
            None if self.protection == Protection::Srtp => (
                None,
                None,
                "in SRTP: the payloads are ciphertext; the headers and their statistics are read"
                    .to_owned(),
                CIPHERTEXT,
            ),
            Some((format, source)) if self.protection.secure(types, pt) => (
                None,
                Some(format.to_string()),
                format!(
                    "{format} ({source}), in SRTP: the payloads are ciphertext; the headers and \
                     their statistics are read"
                ),
                CIPHERTEXT,
            ),
            Some((format, source)) => {
                let name = format.to_string();
                match Depacketizer::new(format, Limits::default()) {
                    Ok(d) => (
                        Some(d),
                        Some(name.clone()),
                        format!("{name} ({source})"),
                        "",
                    ),
                    Err(e) => (
                        None,
                        Some(name.clone()),
                        format!("{name} ({source}): not depacketized: {e}"),
                        "payloads of a format with no depacketizer, not depacketized",
                    ),
                }
            }
            None => (
                None,
                None,
                format!(
                    "no format known: counted, not depacketized (give --sdp FILE or \
                     --decode-as rtp.pt=={pt},NAME/RATE)"
                ),
                "payloads of a payload type with no known format, not depacketized",
            ),
        };
        // Without a depacketizer the payloads are not judged: observed in part.
        if depacketizer.is_none() {
            self.unread.insert(unread);
        }
        let kind = found
            .as_ref()
            .and_then(|(f, _)| f.encoding())
            .and_then(|e| e.codec())
            .and_then(|c| c.kind());
        let track = kind.map(|kind| {
            let slot = &mut self.tracks[match kind {
                MediaKind::Video => 0,
                MediaKind::Audio => 1,
                MediaKind::Data => 2,
            }];
            let track = Track { kind, index: *slot };
            *slot = slot.saturating_add(1);
            track
        });
        self.note(
            dir,
            format!(
                "RTP: SSRC {:#010x}, payload type {pt}, first sequence number {}: {text}",
                packet.ssrc, packet.sequence
            ),
            out,
        );
        Stream {
            payload_type: pt,
            format,
            reception: Reception::new(found.as_ref().map_or(90_000, |(f, _)| f.clock_rate)),
            depacketizer,
            track,
            packets: 0,
            bytes: 0,
            other_types: 0,
            frames: 0,
            keyframes: 0,
            dropped: 0,
            lost: 0,
            mux_bytes: 0,
        }
    }

    /// Missing packets whose wait is over are given up.
    fn timeouts(&mut self, dir: Direction, now: Instant, out: &mut Vec<Observation>) {
        let mut notes = Vec::new();
        for (ssrc, stream) in &mut self.streams {
            if let Some(d) = stream.depacketizer.as_mut()
                && d.poll_timeout().is_some_and(|at| at <= now)
            {
                d.handle_timeout(now);
                notes.extend(stream.drain(dir, *ssrc, out));
            }
        }
        for text in notes {
            self.note(dir, text, out);
        }
    }

    fn rtcp(
        &mut self,
        dir: Direction,
        index: u64,
        bytes: &Bytes,
        seen: &Seen,
        options: &rtcp::Options,
        out: &mut Vec<Observation>,
    ) {
        self.rtcp += 1;
        let parsed = rtcp::parse(bytes, options);
        let broken = match &parsed {
            Ok(c) => !c.violations.is_empty(),
            Err(_) => true,
        };
        if self.protection == Protection::Srtp || (broken && rtcp::looks_like_srtcp(bytes)) {
            self.encrypted_rtcp += 1;
            self.unread
                .insert("SRTCP, read no further than its first header");
            if self.encrypted_rtcp == 1 {
                let text = "RTCP that reads as SRTCP (RFC 3711 §3.4: a clear first header, then \
                            ciphertext and a trailer): its first header is all that is read"
                    .to_owned();
                self.note(dir, text, out);
            }
            return;
        }
        let compound = match parsed {
            Ok(c) => c,
            Err(e) => {
                if let Some(mut v) = e.into_violation() {
                    v.offset += index;
                    out.push(violation(dir, v));
                }
                return;
            }
        };
        for mut v in compound.violations {
            v.offset += index;
            out.push(violation(dir, v));
        }
        let seen_other = seen;
        for packet in &compound.packets {
            let text = match packet {
                RtcpPacket::SenderReport(sr) => {
                    let seen = self.streams.get(&sr.ssrc).map(|s| s.packets);
                    format!(
                        "RTCP SR from SSRC {:#010x}: {} packets, {} octets sent{}{}",
                        sr.ssrc,
                        sr.packet_count,
                        sr.octet_count,
                        seen.map(|n| format!(" ({n} seen from it so far)"))
                            .unwrap_or_default(),
                        match sr.reports.is_empty() {
                            true => String::new(),
                            false => format!("; {}", blocks(&sr.reports, seen_other)),
                        }
                    )
                }
                RtcpPacket::ReceiverReport(rr) => format!(
                    "RTCP RR from SSRC {:#010x}: {}",
                    rr.ssrc,
                    blocks(&rr.reports, seen_other)
                ),
                other => format!("RTCP {}", rtcp_name(other)),
            };
            self.note(dir, text, out);
        }
    }

    fn end(&mut self, dir: Direction, now: Instant, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        if let Some(deframer) = self.deframer.as_mut() {
            end_framing(deframer, now, dir, out);
        }
        let mut notes = Vec::new();
        for (ssrc, stream) in &mut self.streams {
            if let Some(d) = stream.depacketizer.as_mut() {
                d.finish();
                notes.extend(stream.drain(dir, *ssrc, out));
            }
        }
        for text in notes {
            self.note(dir, text, out);
        }
        for (ssrc, stream) in &self.streams {
            if stream.lost > 0 {
                self.unread
                    .insert("RTP packets lost (their payloads never seen)");
            }
            let text = stream.summary(*ssrc);
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        if self.rtcp > 0 {
            let text = format!(
                "{} RTCP datagrams ({} read as SRTCP)",
                self.rtcp, self.encrypted_rtcp
            );
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        if self.other > 0 {
            self.unread.insert("datagrams neither RTP nor RTCP");
            let text = format!("{} datagrams neither RTP nor RTCP", self.other);
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        if self.unfollowed > 0 {
            let text = format!(
                "{} packets of sources past the first {MAX_STREAMS}: counted only",
                self.unfollowed
            );
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        self.notes.close(dir, "RTP", out);
    }
}

impl Stream {
    /// The depacketizer's outputs: media and violations to `out`, the rest as notes.
    fn drain(&mut self, dir: Direction, ssrc: u32, out: &mut Vec<Observation>) -> Vec<String> {
        let mut notes = Vec::new();
        let Some(d) = self.depacketizer.as_mut() else {
            return notes;
        };
        while let Some(o) = d.poll_output() {
            match o {
                Output::Event(Event::Unit(Unit::Media(MediaPacket::Config(mut c)))) => {
                    if let Some(track) = self.track {
                        c.track = track;
                    }
                    out.push(Observation::Config(dir, c));
                }
                Output::Event(Event::Unit(Unit::Media(MediaPacket::Frame(mut f)))) => {
                    if let Some(track) = self.track {
                        f.track = track;
                    }
                    self.frames += 1;
                    self.keyframes += u64::from(f.keyframe);
                    out.push(Observation::Frame(dir, f));
                }
                Output::Event(Event::Unit(Unit::Media(MediaPacket::EndOfSequence { .. }))) => {}
                Output::Event(Event::Unit(Unit::Mux(bytes))) => {
                    self.mux_bytes += bytes.len() as u64
                }
                Output::Event(Event::Lost { first, count }) => {
                    self.lost += count;
                    notes.push(format!(
                        "RTP: SSRC {ssrc:#010x}: {count} packet(s) from sequence number {first} \
                         not in the capture"
                    ));
                }
                Output::Event(Event::Dropped {
                    time,
                    packets,
                    reason,
                }) => {
                    self.dropped += 1;
                    notes.push(format!(
                        "RTP: SSRC {ssrc:#010x}: the frame at {:.3} s ({packets} packets) is \
                         dropped: {reason}",
                        time.as_secs_f64()
                    ));
                }
                Output::Violation(v) => out.push(violation(dir, v)),
                Output::Transmit(_) => {}
            }
        }
        notes
    }

    /// "SSRC 0x…: payload type 126 H264/90000, 298 packets (…), 264 frames (7 keyframes)".
    fn summary(&self, ssrc: u32) -> String {
        let r = &self.reception;
        let mut text = format!(
            "RTP: SSRC {ssrc:#010x}, payload type {} {}: {} packets, {} payload bytes; {} lost, \
             {} duplicate, {} reordered; jitter {:.2} ms",
            self.payload_type,
            self.format.as_deref().unwrap_or("(no format)"),
            self.packets,
            self.bytes,
            r.lost().max(0),
            r.duplicates(),
            r.reordered(),
            r.jitter_duration().as_secs_f64() * 1000.0,
        );
        if self.depacketizer.is_some() {
            text.push_str(&format!(
                "; {} frames ({} keyframes), {} dropped",
                self.frames, self.keyframes, self.dropped
            ));
        }
        if self.mux_bytes > 0 {
            text.push_str(&format!("; {} multiplex bytes", self.mux_bytes));
        }
        if self.other_types > 0 {
            text.push_str(&format!("; {} of other payload types", self.other_types));
        }
        text
    }
}

/// Reads one RTP packet, judging its header as RFC 3550 §5.1 and A.1 say a receiver validates
/// it (`rtp.header.*`): version 2, the 12-byte fixed header, the CSRC list and the header
/// extension within the packet, and the padding count (not for SRTP, `srtp`, whose padding is
/// ciphertext, RFC 3711 §3.1). A header that breaks one is a violation, placed by `place` (from
/// offsets in the packet to the caller's), and the packet is not read (`None`).
///
/// Every observer of RTP judges its headers here — this one, and those of what rides RTP
/// (`observe::mpegps`) — so that a header is judged alike whatever it carries.
pub fn judge_header(
    bytes: &Bytes,
    srtp: bool,
    dir: Direction,
    place: impl FnOnce(Violation) -> Violation,
    out: &mut Vec<Observation>,
) -> Option<RtpPacket> {
    let parsed = match srtp {
        true => RtpPacket::parse_srtp(bytes),
        false => RtpPacket::parse(bytes),
    };
    match parsed {
        Ok(packet) => Some(packet),
        Err(e) => {
            if let Some(v) = e.into_violation() {
                out.push(violation(dir, place(v)));
            }
            None
        }
    }
}

/// The RTP packets that `bytes` of an RFC 4571 stream complete; the framing's violations go
/// to `out`. Shared with the observers of what rides RTP over TCP (`observe::mpegps`).
pub fn deframe(
    deframer: &mut Deframer,
    now: Instant,
    dir: Direction,
    bytes: &[u8],
    out: &mut Vec<Observation>,
) -> Vec<Bytes> {
    let _ = deframer.handle_bytes(now, Bytes::copy_from_slice(bytes));
    let mut packets = Vec::new();
    while let Some(o) = deframer.poll_output() {
        match o {
            Output::Event(Framed::Packet { data, .. }) => packets.push(data),
            Output::Violation(v) => out.push(violation(dir, v)),
            _ => {}
        }
    }
    packets
}

/// The end of an RFC 4571 stream: a frame cut short is a violation.
pub fn end_framing(
    deframer: &mut Deframer,
    now: Instant,
    dir: Direction,
    out: &mut Vec<Observation>,
) {
    let _ = deframer.handle_end(now);
    while let Some(o) = deframer.poll_output() {
        if let Output::Violation(v) = o {
            out.push(violation(dir, v));
        }
    }
}

/// What the capture showed of each source the other direction sends: (lost, extended
/// highest sequence number), by SSRC.
type Seen = BTreeMap<u32, (i64, u64)>;

/// Report blocks, each set against what the capture saw of its source (RFC 3550 §6.4.1: the
/// reporter's cumulative loss and highest sequence number, which a capture near the reporter
/// should show alike).
fn blocks(reports: &[rtcp::ReportBlock], seen: &Seen) -> String {
    if reports.is_empty() {
        return "no report blocks".into();
    }
    reports
        .iter()
        .map(|b| {
            let here = match seen.get(&b.ssrc) {
                Some((lost, highest)) => {
                    format!(" (the capture: {lost} lost, highest {})", highest & 0xffff_ffff)
                }
                None => " (a source the capture has no packets of)".to_owned(),
            };
            format!(
                "about {:#010x}: fraction lost {}/256, {} lost, highest sequence {}, jitter {}{here}",
                b.ssrc, b.fraction_lost, b.cumulative_lost, b.extended_highest_seq, b.jitter
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The name of an RTCP packet other than a report.
fn rtcp_name(packet: &RtcpPacket) -> &'static str {
    match packet {
        RtcpPacket::SenderReport(_) => "SR",
        RtcpPacket::ReceiverReport(_) => "RR",
        RtcpPacket::Sdes(_) => "SDES",
        RtcpPacket::Bye(_) => "BYE",
        RtcpPacket::App(_) => "APP",
        RtcpPacket::Nack(_) => "generic NACK",
        RtcpPacket::TransportFeedback(_) => "transport-wide CC feedback",
        RtcpPacket::Pli(_) => "PLI",
        RtcpPacket::Fir(_) => "FIR",
        RtcpPacket::Remb(_) => "REMB",
        _ => "packet of another type",
    }
}

impl Observer for RtpObserver {
    fn data(&mut self, dir: Direction, _offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        let now = self.start + self.now;
        let side = &mut self.sides[dir.index()];
        let Some(deframer) = side.deframer.as_mut() else {
            return;
        };
        let packets = deframe(deframer, now, dir, bytes, out);
        for packet in packets {
            self.packet(dir, self.now, packet, out);
        }
    }

    fn datagram(
        &mut self,
        dir: Direction,
        time: Duration,
        bytes: &Bytes,
        out: &mut Vec<Observation>,
    ) {
        if !self.sides[dir.index()].ended {
            self.packet(dir, time, bytes.clone(), out);
        }
    }

    fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        // Framing cannot be found again after bytes are lost: the direction ends here.
        let side = &mut self.sides[dir.index()];
        side.unread
            .insert("bytes missing, after which RFC 4571 framing cannot be found again");
        let text = format!(
            "{len} bytes missing at offset {offset}: RFC 4571 framing cannot be found again"
        );
        out.push(Observation::Entry(dir, EntryKind::GaveUp(text)));
        let now = self.start + self.now;
        side.end(dir, now, out);
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        let now = self.start + self.now;
        self.sides[dir.index()].end(dir, now, out);
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        let now = self.start + self.now;
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let side = &mut self.sides[dir.index()];
            if side.packets > 0 {
                side.end(dir, now, out);
            }
        }
        let read = self.sides.iter().any(|s| s.packets > 0);
        if let Some(judge) = self.behaviour.as_mut().filter(|_| read) {
            judge.finish(now);
            drain_judge(judge, out);
            let j = judge.judged();
            let text = format!(
                "feedback behaviour: {} NACKed packets the capture saw sent, {} sent again in \
                 time; {} keyframes asked by PLI/FIR, {} sent in time; {} transport-wide CC \
                 feedback packets reporting {} statuses{}",
                j.nacked,
                j.retransmitted,
                j.keyframes_asked,
                j.keyframes_sent,
                j.twcc_feedback,
                j.twcc_statuses,
                match judge.skipped() {
                    0 => String::new(),
                    n => format!("; {n} expectations past the limit, not judged"),
                }
            );
            out.push(Observation::Entry(
                Direction::ClientToServer,
                EntryKind::Event(text),
            ));
        }
    }

    fn complete(&self) -> bool {
        self.sides.iter().all(|s| s.unread.is_empty())
    }

    fn unread(&self) -> Option<String> {
        let mut all: Vec<&str> = self
            .sides
            .iter()
            .flat_map(|s| s.unread.iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        (!all.is_empty()).then(|| all.join("; "))
    }
}
