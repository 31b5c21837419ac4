//! The SRT observer: one UDP flow of SRT in live mode (draft-sharabayko-srt-01), both
//! directions. Every datagram is parsed with [`Packet::parse`]; the handshake is followed
//! (induction, conclusion with HSREQ/HSRSP, stream id, KMREQ/KMRSP, rejections with libsrt's
//! reason names) and judged with the checks the `weir-srt` machines make
//! ([`weir_srt::checks`]); the data of each direction is accounted: sequence gaps,
//! retransmissions and the NAK that asked for each, ACK/ACKACK pairs and the round trip they
//! imply, the time from a packet's first transmission to the ACK that covers it against the
//! negotiated latency, drop requests, keep-alives and shutdown. Clear payloads (decrypted when
//! `--srt-passphrase` is given) go in sequence order to the [`TsObserver`], which judges the
//! transport stream; encrypted payloads without the passphrase are noted, never demuxed.
//!
//! Violation offsets are where the datagram starts in its direction's bytes, datagrams end to
//! end (as the RTP observer counts them), plus the offset inside it. A capture's losses are
//! no rule either peer broke: they are counted, and the TS of that direction is observed in
//! part. Memory is bounded: every table of sequence numbers is capped and counts what it
//! could not keep.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use weir_media::Violation;
use weir_srt::ack::Ack;
use weir_srt::control::{Control, ControlPacket};
use weir_srt::crypto::CryptoContext;
use weir_srt::data::{DataPacket, KeyFlags};
use weir_srt::dropreq::DropRequest;
use weir_srt::handshake::{Handshake, HandshakeType};
use weir_srt::kdf::Passphrase;
use weir_srt::km::KmResponse;
use weir_srt::rules::{CONNECTION_SOCKET_ID, CONNECTION_UNENCRYPTED, HANDSHAKE_COOKIE};
use weir_srt::streamid::StreamId;
use weir_srt::{LossList, Packet, SeqNumber, SrtOptions, checks};

use super::mpegts::TsObserver;
use super::sdp::SharedLearned;
use super::{Listing, Observation, Observer, violation};
use crate::capture::Direction;
use crate::transcript::EntryKind;

/// Events listed per direction; the rest are counted.
const MAX_LISTED: u64 = 60;
/// Sequence numbers kept per table (missing, asked for by a NAK, awaiting their ACK).
const MAX_TRACKED: usize = 8192;
/// ACKs kept per direction until their ACKACK.
const MAX_ACKS: usize = 1024;
/// Clear payloads held per direction until the packets before them come.
const MAX_HELD: usize = 1024;
/// Bytes of those payloads, at most.
const MAX_HELD_BYTES: usize = 4 << 20;

/// The observer of one SRT flow.
pub struct SrtObserver {
    learned: SharedLearned,
    handshake: HandshakeState,
    sides: [Side; 2],
    ts: TsObserver,
    /// Clear payloads went to `ts`.
    ts_fed: bool,
    crypto: Option<CryptoContext>,
}

/// What the handshake said so far.
#[derive(Default)]
struct HandshakeState {
    /// The direction the caller sends in.
    caller: Option<Direction>,
    /// Whether any handshake was seen.
    seen: bool,
    /// The listener's cookie from its induction answer.
    cookie: Option<u32>,
    /// The caller's HSREQ.
    hsreq: Option<SrtOptions>,
    /// Both socket ids are known: the listener answered the conclusion.
    established: bool,
    /// The socket id each direction's sender announced.
    socket: [Option<u32>; 2],
    /// The TSBPD latency that applies to each direction's data (its receiver's), ms.
    latency_ms: [Option<u16>; 2],
    /// The caller asked for encryption (a KMREQ).
    encrypted: bool,
    /// Handshakes already seen again (libsrt repeats them until answered).
    repeats: [u64; 2],
    kinds: [Vec<HandshakeType>; 2],
}

/// One direction: what its sender sent, and what the other side said about it (NAKs, ACKs).
#[derive(Default)]
struct Side {
    datagrams: u64,
    /// Bytes of the datagrams so far: the next one's offset.
    offset: u64,
    unreadable: u64,
    data: u64,
    payload_bytes: u64,
    /// One past the highest sequence number first sent.
    next: Option<SeqNumber>,
    /// The sender's initial sequence number from the handshake.
    isn: Option<SeqNumber>,
    gaps: u64,
    gap_packets: u64,
    /// Sequence numbers the capture skipped, until a retransmission (or late copy) fills them.
    missing: BTreeMap<u32, ()>,
    filled: u64,
    reordered: u64,
    retransmitted: u64,
    /// Retransmissions a NAK asked for, and those nothing asked for.
    asked_for: u64,
    unasked: u64,
    /// Sequence numbers a NAK from the other side asked for, with that NAK's number (1 on).
    asked: BTreeMap<u32, u64>,
    untracked: u64,
    naks: u64,
    nak_ranges: u64,
    nak_packets: u64,
    /// First transmissions awaiting the ACK that covers them, with their capture time.
    unacked: VecDeque<(SeqNumber, Duration)>,
    acked_latency: Stats,
    late_acks: u64,
    acks: [u64; 3],
    /// Full ACKs of the other side about this data, awaiting their ACKACK.
    ack_times: VecDeque<(u32, Duration)>,
    rtt: Stats,
    unmatched_ackacks: u64,
    reported_rtt_us: Option<u32>,
    dropreqs: u64,
    dropped: u64,
    keepalives: u64,
    shutdowns: u64,
    other_control: u64,
    socket_mismatches: u64,
    encrypted: u64,
    decrypted: u64,
    undecrypted: u64,
    /// Clear payloads held by sequence number until those before them come.
    held: BTreeMap<u32, Bytes>,
    held_bytes: usize,
    /// The next sequence number the TS observer is due.
    ts_next: Option<SeqNumber>,
    ts_offset: u64,
    ts_given_up: u64,
    notes: Option<Listing>,
    incomplete: bool,
    /// The capture holds no handshake before this side's first data packet.
    midstream: bool,
    ended: bool,
}

/// Count, sum, least and greatest of some durations.
#[derive(Default, Clone, Copy)]
struct Stats {
    n: u64,
    sum: Duration,
    min: Duration,
    max: Duration,
}

impl Stats {
    fn add(&mut self, d: Duration) {
        self.min = if self.n == 0 { d } else { self.min.min(d) };
        self.max = self.max.max(d);
        self.sum += d;
        self.n += 1;
    }

    /// "min/avg/max a/b/c ms".
    fn render(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let avg = self.sum / self.n.max(1) as u32;
        format!(
            "min/avg/max {:.3}/{:.3}/{:.3} ms",
            ms(self.min),
            ms(avg),
            ms(self.max)
        )
    }
}

/// Moves a violation's offset (in the datagram) to where the datagram starts, `index`.
fn at(index: u64) -> impl Fn(Violation) -> Violation {
    move |mut v| {
        v.offset += index;
        v
    }
}

/// Reports violations found in the datagram at `index` of `dir`.
fn report(
    dir: Direction,
    index: u64,
    violations: impl IntoIterator<Item = Violation>,
    out: &mut Vec<Observation>,
) {
    out.extend(violations.into_iter().map(|v| violation(dir, at(index)(v))));
}

fn other(dir: Direction) -> Direction {
    match dir {
        Direction::ClientToServer => Direction::ServerToClient,
        Direction::ServerToClient => Direction::ClientToServer,
    }
}

impl SrtObserver {
    /// An observer that decrypts with the passphrase `learned` holds, if any.
    pub fn new(learned: SharedLearned) -> Self {
        SrtObserver {
            learned,
            handshake: HandshakeState::default(),
            sides: [Side::default(), Side::default()],
            ts: TsObserver::default(),
            ts_fed: false,
            crypto: None,
        }
    }

    fn note(&mut self, dir: Direction, text: String, out: &mut Vec<Observation>) {
        self.sides[dir.index()].note(dir, text, out);
    }

    fn packet(
        &mut self,
        dir: Direction,
        time: Duration,
        bytes: &Bytes,
        out: &mut Vec<Observation>,
    ) {
        let side = &mut self.sides[dir.index()];
        let index = side.offset;
        side.datagrams += 1;
        side.offset += bytes.len() as u64;
        let mut violations = Vec::new();
        let parsed = Packet::parse(bytes, &mut violations);
        report(dir, index, violations, out);
        let packet = match parsed {
            Ok(packet) => packet,
            Err(e) => {
                side.unreadable += 1;
                report(dir, index, e.into_violation(), out);
                return;
            }
        };
        let is_handshake = matches!(
            &packet,
            Packet::Control(ControlPacket {
                control: Control::Handshake(_),
                ..
            })
        );
        if !is_handshake {
            self.socket_check(dir, index, packet.header().dst_socket, out);
        }
        match packet {
            Packet::Data(data) => self.data(dir, time, data, out),
            Packet::Control(c) => self.control(dir, time, index, c.control, out),
        }
    }

    /// Every packet after the handshake names the socket id the peer gave (draft §3, §4.3);
    /// one before the handshake ended cannot.
    fn socket_check(&mut self, dir: Direction, index: u64, dst: u32, out: &mut Vec<Observation>) {
        let hs = &self.handshake;
        if !hs.seen {
            return;
        }
        let detail = match hs.socket[other(dir).index()] {
            Some(id) if hs.established && id == dst => return,
            Some(id) if hs.established => {
                format!("destination socket id {dst:#x}; the peer's is {id:#x}")
            }
            _ => format!(
                "a packet to socket {dst:#x} before the handshake gave a socket id (the \
                 listener's conclusion answer)"
            ),
        };
        let side = &mut self.sides[dir.index()];
        side.socket_mismatches += 1;
        if side.socket_mismatches == 1 {
            let v = Violation::new(&CONNECTION_SOCKET_ID, index, detail);
            out.push(violation(dir, v));
        }
    }

    fn control(
        &mut self,
        dir: Direction,
        time: Duration,
        index: u64,
        control: Control,
        out: &mut Vec<Observation>,
    ) {
        match control {
            Control::Handshake(hs) => self.handshake(dir, index, hs, out),
            Control::KeepAlive => self.sides[dir.index()].keepalives += 1,
            Control::Ack(ack) => self.ack(dir, time, index, ack, out),
            Control::Nak(list) => self.nak(dir, index, list, out),
            Control::AckAck { ack_number } => {
                let side = &mut self.sides[dir.index()];
                match side.ack_times.iter().position(|&(n, _)| n == ack_number) {
                    Some(i) => {
                        let (_, sent) = side.ack_times[i];
                        side.ack_times.drain(..=i);
                        side.rtt.add(time.saturating_sub(sent));
                    }
                    None => side.unmatched_ackacks += 1,
                }
            }
            Control::DropReq(drop) => self.dropreq(dir, drop, out),
            Control::Shutdown => {
                self.sides[dir.index()].shutdowns += 1;
                if self.sides[dir.index()].shutdowns == 1 {
                    self.note(dir, "SRT: shutdown".into(), out);
                }
            }
            Control::PeerError { code } => {
                self.note(dir, format!("SRT: peer error {code}"), out);
            }
            Control::UserDefined {
                subtype: 3, body, ..
            } => {
                // A key refresh (libsrt sends KMREQ as a user-defined packet, subtype 3).
                let mut violations = Vec::new();
                let result = self
                    .crypto
                    .as_mut()
                    .map(|c| c.update(&body, &mut violations));
                report(dir, index, violations, out);
                let text = match result {
                    None => "SRT: key refresh (KMREQ)".to_owned(),
                    Some(Ok(_)) => "SRT: key refresh (KMREQ): new keys taken".to_owned(),
                    Some(Err(e)) => format!("SRT: key refresh (KMREQ) not taken: {}", e.detail),
                };
                self.note(dir, text, out);
            }
            _ => self.sides[dir.index()].other_control += 1,
        }
    }

    fn handshake(&mut self, dir: Direction, index: u64, hs: Handshake, out: &mut Vec<Observation>) {
        let state = &mut self.handshake;
        state.seen = true;
        if state.caller.is_none() {
            // The caller speaks first: its induction (or, without one, its conclusion).
            state.caller = Some(dir);
        }
        let from_caller = state.caller == Some(dir);
        let kinds = &mut state.kinds[dir.index()];
        if kinds.contains(&hs.kind) {
            state.repeats[dir.index()] += 1;
            return;
        }
        if kinds.len() < 8 {
            kinds.push(hs.kind);
        }
        let shifted = at(index);
        let role = if from_caller { "caller" } else { "listener" };
        if from_caller && let Some(v) = checks::listener_type(hs.kind) {
            out.push(violation(dir, shifted(v)));
        }
        match (hs.kind, from_caller) {
            (HandshakeType::Induction, true) => {
                if let Some(v) = checks::induction_request(&hs) {
                    out.push(violation(dir, shifted(v)));
                }
                let text = format!(
                    "SRT caller: induction request, version {}, socket id {:#x}",
                    hs.version, hs.socket_id
                );
                self.note(dir, text, out);
            }
            (HandshakeType::Induction, false) => {
                self.handshake.cookie = Some(hs.syn_cookie);
                let text = format!(
                    "SRT listener: induction answer, version {}, extension field {:#06x}, \
                     cookie {:#010x}",
                    hs.version, hs.extension_field, hs.syn_cookie
                );
                self.note(dir, text, out);
            }
            (HandshakeType::Conclusion, true) => self.conclusion_request(dir, index, hs, out),
            (HandshakeType::Conclusion, false) => self.conclusion_response(dir, index, hs, out),
            (HandshakeType::Rejection(reason), _) => {
                let text = format!(
                    "SRT {role}: rejects the connection: {} ({})",
                    reason.name(),
                    reason.0 + 1000
                );
                self.note(dir, text, out);
            }
            (kind, _) => {
                let text = format!("SRT {role}: {kind:?} handshake, version {}", hs.version);
                self.note(dir, text, out);
            }
        }
    }

    fn conclusion_request(
        &mut self,
        dir: Direction,
        index: u64,
        hs: Handshake,
        out: &mut Vec<Observation>,
    ) {
        let shifted = at(index);
        if let Some(cookie) = self.handshake.cookie
            && cookie != hs.syn_cookie
        {
            let detail = format!(
                "conclusion with cookie {:#x}; the induction answer gave {cookie:#x}",
                hs.syn_cookie
            );
            out.push(violation(
                dir,
                Violation::new(&HANDSHAKE_COOKIE, index, detail),
            ));
        }
        let side = &mut self.sides[dir.index()];
        side.isn = Some(hs.initial_seq);
        self.handshake.socket[dir.index()] = Some(hs.socket_id);
        let mut text = format!(
            "SRT caller: conclusion request, version {}, socket id {:#x}, first sequence number \
             {}, MTU {}, flow window {}",
            hs.version, hs.socket_id, hs.initial_seq, hs.mtu, hs.flow_window
        );
        match checks::conclusion_request(&hs) {
            Ok(options) => {
                self.handshake.hsreq = Some(options);
                text.push_str(&format!(
                    "; HSREQ version {:#x}, flags {:#x}, latency {} ms (receiving), {} ms \
                     (asked of the listener)",
                    options.version, options.flags.0, options.recv_delay_ms, options.send_delay_ms
                ));
            }
            Err(refusal) => {
                if let Some(v) = refusal.violation {
                    out.push(violation(dir, shifted(v)));
                }
                text.push_str(&format!(
                    "; a live listener refuses it ({})",
                    refusal.reason.name()
                ));
            }
        }
        if let Some(sid) = hs.stream_id() {
            text.push_str(&match StreamId::parse_checked(sid) {
                Ok((id, violations)) => {
                    for v in violations {
                        out.push(violation(dir, shifted(v)));
                    }
                    format!(
                        "; stream id {sid:?}: {}/{} ({})",
                        id.app,
                        id.stream,
                        id.mode.as_str()
                    )
                }
                Err(e) => {
                    if let Some(v) = e.into_violation() {
                        out.push(violation(dir, shifted(v)));
                    }
                    format!("; stream id {sid:?} (unreadable)")
                }
            });
        }
        self.note(dir, text, out);
        if let Some(kmreq) = hs.key_material().cloned() {
            self.handshake.encrypted = true;
            self.kmreq(dir, index, &kmreq, hs.encryption.key_len(), out);
        }
    }

    /// The caller's key material: with the passphrase, the keys that decrypt the data.
    fn kmreq(
        &mut self,
        dir: Direction,
        index: u64,
        kmreq: &Bytes,
        key_len: Option<usize>,
        out: &mut Vec<Observation>,
    ) {
        let bits = key_len.map_or("AES".to_owned(), |n| format!("AES-{}", n * 8));
        let passphrase = self.learned.borrow().srt_passphrase.clone();
        let text = match passphrase {
            None => format!(
                "SRT caller: KMREQ ({bits}); no --srt-passphrase given: encrypted payloads are \
                 not decrypted and not read as TS"
            ),
            Some(p) => match Passphrase::new(p) {
                Err(e) => format!("SRT: --srt-passphrase not usable: {}", e.detail),
                Ok(p) => {
                    let mut violations = Vec::new();
                    let result = CryptoContext::responder(p, kmreq, &mut violations);
                    report(dir, index, violations, out);
                    match result {
                        Ok((context, _)) => {
                            self.crypto = Some(context);
                            format!(
                                "SRT caller: KMREQ ({bits}): the keys unwrap with the \
                                 passphrase given; payloads are decrypted"
                            )
                        }
                        Err(e) => format!(
                            "SRT caller: KMREQ ({bits}): not unwrapped with the passphrase \
                             given ({}): payloads are not decrypted",
                            e.detail
                        ),
                    }
                }
            },
        };
        self.note(dir, text, out);
    }

    fn conclusion_response(
        &mut self,
        dir: Direction,
        index: u64,
        hs: Handshake,
        out: &mut Vec<Observation>,
    ) {
        let shifted = at(index);
        let caller = other(dir);
        self.handshake.socket[dir.index()] = Some(hs.socket_id);
        self.handshake.established = true;
        self.sides[dir.index()].isn = Some(hs.initial_seq);
        let asked = self.handshake.hsreq;
        let mut text = format!(
            "SRT listener: conclusion answer, version {}, socket id {:#x}, MTU {}, flow window {}",
            hs.version, hs.socket_id, hs.mtu, hs.flow_window
        );
        let judged = match asked {
            Some(asked) => {
                checks::conclusion_response(&hs, asked.recv_delay_ms, asked.send_delay_ms)
            }
            None => checks::conclusion_response(&hs, 0, 0),
        };
        match judged {
            Ok((options, low)) => {
                if let Some(v) = low {
                    out.push(violation(dir, shifted(v)));
                }
                // HSRSP: the listener's receiving delay applies to the caller's data.
                self.handshake.latency_ms[caller.index()] = Some(options.recv_delay_ms);
                self.handshake.latency_ms[dir.index()] = Some(options.send_delay_ms);
                text.push_str(&format!(
                    "; HSRSP version {:#x}, flags {:#x}; latency caller→listener {} ms, \
                     listener→caller {} ms",
                    options.version, options.flags.0, options.recv_delay_ms, options.send_delay_ms
                ));
            }
            Err(v) => out.push(violation(dir, shifted(v))),
        }
        self.note(dir, text, out);
        if let Some(kmrsp) = hs.key_material().cloned() {
            let mut violations = Vec::new();
            let response = match &self.crypto {
                Some(c) => c.check_response(&kmrsp, &mut violations),
                None => KmResponse::parse_checked(&kmrsp, &mut violations),
            };
            for v in violations {
                out.push(violation(dir, shifted(v)));
            }
            let text = match response {
                Ok(KmResponse::Accepted(_)) => "SRT listener: KMRSP accepts the keys".to_owned(),
                Ok(KmResponse::Refused(state)) => {
                    format!("SRT listener: KMRSP refuses the keys: {state:?}")
                }
                Err(e) => {
                    let text = format!("SRT listener: KMRSP unreadable: {}", e.detail);
                    if let Some(v) = e.into_violation() {
                        out.push(violation(dir, shifted(v)));
                    }
                    text
                }
            };
            self.note(dir, text, out);
        }
    }

    fn data(
        &mut self,
        dir: Direction,
        time: Duration,
        data: DataPacket,
        out: &mut Vec<Observation>,
    ) {
        if !self.handshake.seen && self.sides[dir.index()].data == 0 {
            let text = "SRT: data before any handshake in the capture: the capture starts \
                        mid-connection"
                .to_owned();
            self.note(dir, text, out);
            self.sides[dir.index()].incomplete = true;
            self.sides[dir.index()].midstream = true;
        }
        let side = &mut self.sides[dir.index()];
        let seq = data.seq;
        side.data += 1;
        side.payload_bytes += data.payload.len() as u64;
        let first = side.next.or(side.isn);
        match first {
            None => {
                side.next = Some(seq.next());
                side.track_unacked(seq, time);
            }
            Some(next) if seq == next => {
                side.next = Some(seq.next());
                if !data.retransmitted {
                    side.track_unacked(seq, time);
                }
            }
            Some(next) if next.before(seq) => {
                // Packets next..seq were never in the capture (yet).
                let missing = next.distance_to(seq).max(0) as u64;
                side.gaps += 1;
                side.gap_packets += missing;
                let mut s = next;
                for _ in 0..missing.min(MAX_TRACKED as u64) {
                    if side.missing.len() >= MAX_TRACKED {
                        side.untracked += 1;
                        break;
                    }
                    side.missing.insert(s.get(), ());
                    s = s.next();
                }
                side.next = Some(seq.next());
                if !data.retransmitted {
                    side.track_unacked(seq, time);
                }
            }
            Some(_) => {
                if side.missing.remove(&seq.get()).is_some() {
                    side.filled += 1;
                }
                if !data.retransmitted {
                    side.reordered += 1;
                }
            }
        }
        if data.retransmitted {
            side.retransmitted += 1;
            match side.asked.remove(&seq.get()) {
                Some(nak) => {
                    side.asked_for += 1;
                    let text = format!("SRT: packet {seq} retransmitted, as NAK #{nak} asked");
                    side.note(dir, text, out);
                }
                None => side.unasked += 1,
            }
        }
        self.payload(dir, data, out);
    }

    /// Decrypts the payload if it can and hands it on in sequence order.
    fn payload(&mut self, dir: Direction, data: DataPacket, out: &mut Vec<Observation>) {
        let side = &mut self.sides[dir.index()];
        let payload = match (data.key, &self.crypto) {
            (KeyFlags::None, _) => data.payload,
            (key, Some(crypto)) => {
                side.encrypted += 1;
                let mut bytes = BytesMut::from(&data.payload[..]);
                match crypto.decrypt(key.bits() as u8, data.seq, &mut bytes) {
                    Ok(()) => {
                        side.decrypted += 1;
                        bytes.freeze()
                    }
                    Err(e) => {
                        side.undecrypted += 1;
                        side.incomplete = true;
                        if let Some(v) = e.into_violation() {
                            out.push(violation(dir, v));
                        }
                        return;
                    }
                }
            }
            (_, None) => {
                side.encrypted += 1;
                side.undecrypted += 1;
                side.incomplete = true;
                if side.encrypted == 1 && self.handshake.seen && !self.handshake.encrypted {
                    let detail = format!(
                        "data packet {} is encrypted; the handshake exchanged no keys",
                        data.seq
                    );
                    out.push(violation(
                        dir,
                        Violation::new(&CONNECTION_UNENCRYPTED, 0, detail),
                    ));
                }
                return;
            }
        };
        self.ts_fed = true;
        let side = &mut self.sides[dir.index()];
        let due = *side.ts_next.get_or_insert(data.seq);
        if data.seq.before(due) || side.held.contains_key(&data.seq.get()) {
            return; // A copy of what was handed on or is held.
        }
        side.held_bytes += payload.len();
        side.held.insert(data.seq.get(), payload);
        side.deliver(dir, &mut self.ts, out);
        while side.held.len() > MAX_HELD || side.held_bytes > MAX_HELD_BYTES {
            side.give_up_next(dir, &mut self.ts, "not in the capture", out);
        }
    }

    fn ack(
        &mut self,
        dir: Direction,
        time: Duration,
        index: u64,
        ack: Ack,
        out: &mut Vec<Observation>,
    ) {
        let data_dir = other(dir);
        let latency = self.handshake.latency_ms[data_dir.index()];
        let side = &mut self.sides[data_dir.index()];
        let kind = match (&ack.timing, &ack.rates) {
            (None, _) => 0,
            (Some(_), None) => 1,
            (Some(_), Some(_)) => 2,
        };
        side.acks[kind] += 1;
        if let Some(timing) = ack.timing {
            side.reported_rtt_us = Some(timing.rtt);
            if ack.ack_number != 0 {
                if side.ack_times.len() >= MAX_ACKS {
                    side.ack_times.pop_front();
                }
                side.ack_times.push_back((ack.ack_number, time));
            }
        }
        if let Some(sent_end) = side.next.or(side.isn)
            && let Some(mut v) = checks::ack_range(ack.last_ack, sent_end)
        {
            v.offset += index;
            out.push(violation(dir, v));
        }
        let limit = latency.map(|ms| Duration::from_millis(u64::from(ms)));
        while let Some(&(seq, sent)) = side.unacked.front() {
            if !seq.before(ack.last_ack) {
                break;
            }
            side.unacked.pop_front();
            let waited = time.saturating_sub(sent);
            side.acked_latency.add(waited);
            if limit.is_some_and(|limit| waited > limit) {
                side.late_acks += 1;
            }
        }
    }

    fn nak(&mut self, dir: Direction, index: u64, list: LossList, out: &mut Vec<Observation>) {
        let data_dir = other(dir);
        let side = &mut self.sides[data_dir.index()];
        side.naks += 1;
        let number = side.naks;
        let sent_end = side.next.or(side.isn);
        let mut ranges = Vec::new();
        for range in &list.ranges {
            side.nak_ranges += 1;
            side.nak_packets += range.len();
            if let Some(end) = sent_end
                && let Some(mut v) = checks::nak_range(range.first, range.last, end)
            {
                v.offset += index;
                out.push(violation(dir, v));
            }
            let mut s = range.first;
            for _ in 0..range.len().min(MAX_TRACKED as u64) {
                if side.asked.len() >= MAX_TRACKED {
                    side.untracked += 1;
                    break;
                }
                side.asked.insert(s.get(), number);
                s = s.next();
            }
            ranges.push(match range.first == range.last {
                true => range.first.to_string(),
                false => format!("{}..={}", range.first, range.last),
            });
        }
        if ranges.len() > 4 {
            let more = ranges.len() - 4;
            ranges.truncate(4);
            ranges.push(format!("{more} more ranges"));
        }
        let text = format!(
            "SRT: NAK #{number}: {} ({} packets)",
            ranges.join(", "),
            list.lost()
        );
        self.sides[dir.index()].note(dir, text, out);
    }

    fn dropreq(&mut self, dir: Direction, drop: DropRequest, out: &mut Vec<Observation>) {
        let side = &mut self.sides[dir.index()];
        side.dropreqs += 1;
        side.dropped += drop.first.distance_to(drop.last).max(0) as u64 + 1;
        let text = format!(
            "SRT: drop request for message {}, packets {}..={}",
            drop.message_number, drop.first, drop.last
        );
        side.note(dir, text, out);
        // What the sender dropped will not come: the TS goes on after it.
        if let Some(due) = side.ts_next
            && !due.before(drop.first)
            && !drop.last.before(due)
        {
            // What is held within the dropped range goes too (by the held, not the range:
            // a range can span a billion sequence numbers).
            let dropped = |seq: u32| {
                let seq = SeqNumber::new(seq);
                !seq.before(due) && !drop.last.before(seq)
            };
            side.held.retain(|&seq, payload| {
                let keep = !dropped(seq);
                if !keep {
                    side.held_bytes -= payload.len();
                }
                keep
            });
            side.ts_next = Some(drop.last.next());
            side.ts_given_up += 1;
            side.incomplete = true;
            let why = format!("SRT packets {due}..={} dropped by the sender", drop.last);
            self.ts.lost(dir, why, out);
            side.deliver(dir, &mut self.ts, out);
        }
    }

    fn end(&mut self, dir: Direction, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.sides[dir.index()].ended, true) {
            return;
        }
        let side = &mut self.sides[dir.index()];
        while !side.held.is_empty() {
            side.give_up_next(dir, &mut self.ts, "never in the capture", out);
        }
        let latency = self.handshake.latency_ms[dir.index()];
        let repeats = self.handshake.repeats[dir.index()];
        let side = &self.sides[dir.index()];
        for text in side.summary(latency, repeats) {
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
        if let Some(notes) = &side.notes {
            notes.close(dir, "SRT", out);
        }
    }
}

impl Side {
    fn note(&mut self, dir: Direction, text: String, out: &mut Vec<Observation>) {
        self.notes
            .get_or_insert(Listing::new(MAX_LISTED))
            .note(dir, text, out);
    }

    fn track_unacked(&mut self, seq: SeqNumber, time: Duration) {
        if self.unacked.len() >= MAX_TRACKED {
            self.unacked.pop_front();
        }
        self.unacked.push_back((seq, time));
    }

    /// Hands the held payloads that are due to the TS observer, in order.
    fn deliver(&mut self, dir: Direction, ts: &mut TsObserver, out: &mut Vec<Observation>) {
        while let Some(due) = self.ts_next
            && let Some(payload) = self.held.remove(&due.get())
        {
            self.held_bytes -= payload.len();
            ts.data(dir, self.ts_offset, &payload, out);
            self.ts_offset += payload.len() as u64;
            self.ts_next = Some(due.next());
        }
    }

    /// Gives up waiting for the packets before the first held one: the TS goes on from it.
    fn give_up_next(
        &mut self,
        dir: Direction,
        ts: &mut TsObserver,
        why: &str,
        out: &mut Vec<Observation>,
    ) {
        let Some(due) = self.ts_next else {
            self.held.clear();
            self.held_bytes = 0;
            return;
        };
        let Some(first) = self
            .held
            .keys()
            .map(|&s| SeqNumber::new(s))
            .min_by_key(|s| due.distance_to(*s))
        else {
            return;
        };
        self.ts_given_up += 1;
        self.incomplete = true;
        let last = first.sub(1);
        let range = match last == due {
            true => format!("SRT packet {due}"),
            false => format!("SRT packets {due}..={last}"),
        };
        ts.lost(dir, format!("{range} {why}"), out);
        self.ts_next = Some(first);
        self.deliver(dir, ts, out);
    }

    /// The direction's closing lines: data, losses and their recovery, ACKs, control.
    fn summary(&self, latency: Option<u16>, repeats: u64) -> Vec<String> {
        let mut lines = Vec::new();
        if self.data > 0 {
            let mut text = format!(
                "SRT data: {} packets, {} payload bytes; {} retransmitted ({} asked by a NAK, {} \
                 not asked); {} gaps of {} packets in the capture, {} filled later; {} \
                 reordered",
                self.data,
                self.payload_bytes,
                self.retransmitted,
                self.asked_for,
                self.unasked,
                self.gaps,
                self.gap_packets,
                self.filled,
                self.reordered
            );
            if self.encrypted > 0 {
                text.push_str(&format!(
                    "; {} encrypted, {} decrypted",
                    self.encrypted, self.decrypted
                ));
            }
            if self.ts_given_up > 0 {
                text.push_str(&format!(
                    "; the TS lost {} stretches of packets",
                    self.ts_given_up
                ));
            }
            lines.push(text);
        }
        if self.naks > 0 {
            let unanswered = self.asked.len();
            lines.push(format!(
                "SRT NAKs from the receiver: {} ({} ranges, {} packets reported lost); {} \
                 retransmitted after a NAK, {} never retransmitted",
                self.naks, self.nak_ranges, self.nak_packets, self.asked_for, unanswered
            ));
        }
        if self.acks.iter().any(|&n| n > 0) {
            let mut text = format!(
                "SRT ACKs from the receiver: {} full, {} small, {} light",
                self.acks[2], self.acks[1], self.acks[0]
            );
            if self.rtt.n > 0 {
                text.push_str(&format!(
                    "; {} ACK/ACKACK pairs, round trip at the capture point {}",
                    self.rtt.n,
                    self.rtt.render()
                ));
            }
            if let Some(rtt) = self.reported_rtt_us {
                text.push_str(&format!(
                    "; last RTT reported {:.3} ms",
                    f64::from(rtt) / 1000.0
                ));
            }
            if self.acked_latency.n > 0 {
                text.push_str(&format!(
                    "; first transmission to ACK {}",
                    self.acked_latency.render()
                ));
                if let Some(ms) = latency {
                    text.push_str(&format!(
                        " against a latency of {ms} ms ({} acknowledged later)",
                        self.late_acks
                    ));
                }
            }
            lines.push(text);
        }
        let mut control = Vec::new();
        for (n, what) in [
            (self.keepalives, "keep-alives"),
            (self.dropreqs, "drop requests"),
            (self.dropped, "packets dropped by drop requests"),
            (self.shutdowns, "shutdowns"),
            (self.other_control, "other control packets"),
            (self.unmatched_ackacks, "ACKACKs of no ACK seen"),
            (repeats, "repeated handshakes"),
            (self.socket_mismatches, "packets to a wrong socket id"),
            (self.unreadable, "unreadable datagrams"),
            (self.untracked, "sequence numbers past the tracking bound"),
        ] {
            if n > 0 {
                control.push(format!("{n} {what}"));
            }
        }
        if !control.is_empty() || self.datagrams > 0 {
            lines.push(format!(
                "SRT: {} datagrams{}{}",
                self.datagrams,
                if control.is_empty() { "" } else { "; " },
                control.join(", ")
            ));
        }
        lines
    }
}

impl Observer for SrtObserver {
    fn data(&mut self, _dir: Direction, _offset: u64, _bytes: &[u8], _out: &mut Vec<Observation>) {
        // SRT runs over UDP: datagrams only.
    }

    fn datagram(
        &mut self,
        dir: Direction,
        time: Duration,
        bytes: &Bytes,
        out: &mut Vec<Observation>,
    ) {
        if !self.sides[dir.index()].ended {
            self.packet(dir, time, bytes, out);
        }
    }

    fn gap(&mut self, _dir: Direction, _offset: u64, _len: u64, _out: &mut Vec<Observation>) {}

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        self.end(dir, out);
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            if self.sides[dir.index()].datagrams > 0 {
                self.end(dir, out);
            }
        }
        if self.ts_fed {
            // A sender that shut its connection down ended its stream: what it left short is
            // its own. Without a shutdown the capture ended it, and the TS reader judges
            // nothing it cut.
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                if self.sides[dir.index()].shutdowns > 0 {
                    self.ts.finished(dir, 0, out);
                }
            }
            self.ts.closed(out);
        }
    }

    fn complete(&self) -> bool {
        !self.sides.iter().any(|s| s.incomplete) && (!self.ts_fed || self.ts.complete())
    }
    /// What was not read, side by side: packets the capture starts after, payloads not
    /// decrypted, packets lost or dropped before the TS reader, and what the TS reader missed.
    fn unread(&self) -> Option<String> {
        let mut parts = Vec::new();
        for (name, side) in ["c2s", "s2c"].iter().zip(&self.sides) {
            if side.midstream {
                parts.push(format!("{name}: the capture starts mid-connection"));
            }
            if side.undecrypted > 0 {
                let why = match &self.crypto {
                    None => " (no keys: give --srt-passphrase)",
                    Some(_) => " (the keys do not decrypt them)",
                };
                parts.push(format!(
                    "{name}: {} of {} encrypted payloads not decrypted{why}",
                    side.undecrypted, side.encrypted
                ));
            }
            if side.ts_given_up > 0 {
                parts.push(format!(
                    "{name}: {} run(s) of packets lost or dropped before the TS reader",
                    side.ts_given_up
                ));
            }
        }
        if self.ts_fed
            && let Some(ts) = self.ts.unread()
        {
            parts.push(format!("TS: {ts}"));
        }
        match parts.is_empty() {
            false => Some(parts.join("; ")),
            true => (!self.complete()).then(|| "a direction could not be read to its end".into()),
        }
    }
}
