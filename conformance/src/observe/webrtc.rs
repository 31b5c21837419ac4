//! The WebRTC observer: one UDP flow where STUN, DTLS and SRTP share a port, told apart by
//! their first byte (RFC 7983 §7) — not labelled by whichever came first. STUN messages go
//! through weir-stun (header, attributes, fingerprint, ICE's connectivity-check rules, responses
//! matched to requests; MESSAGE-INTEGRITY when an SDP of the input gave the password); DTLS
//! through weir-dtls's [`Flow`] (records, the epoch-0 handshake, the hellos, `use_srtp`;
//! nothing decrypted); SRTP and SRTCP through the RTP observer, on their clear headers only —
//! unless `--keylog` gave the session's keys: then each direction's packets are decrypted
//! (weir-rtp's [`srtp`](weir_rtp::srtp), the key found by the first packet that authenticates
//! with it) and judged, depacketized and summed up as plain RTP.
//! A flow of STUN alone (a STUN or TURN server's) is read the same way; over TCP, STUN comes
//! back to back (RFC 8489 §6.2.2, with TURN's ChannelData between) or framed by RFC 4571
//! (ICE-TCP, RFC 6544), and weir-stun's [`Stream`] cuts it.

use std::time::{Duration, Instant};

use bytes::Bytes;
use weir_dtls::extension::srtp_profile_name;
use weir_dtls::flow::{Event as DtlsEvent, Flow, Limits as DtlsLimits, Side};
use weir_dtls::hello::cipher_suite_name;
use weir_media::{Machine, Output, Violation};
use weir_stun::demux::Kind;
use weir_stun::{
    Class, Credentials, Message, Stream, StreamEvent, Transactions, ice, verify_integrity,
};

use weir_rtp::srtp::Context as SrtpContext;
use weir_rtp::{gso, rtcp};

use super::rtp::RtpObserver;
use super::sdp::SharedLearned;
use super::{Listing, Observation, Observer, violation};
use crate::capture::Direction;
use crate::transcript::EntryKind;

/// Events listed per flow; the rest are counted.
const MAX_LISTED: u64 = 200;
/// STUN transactions waited on at once.
const MAX_TRANSACTIONS: usize = 1024;
/// DTLS datagrams whose place is kept for the violations the DTLS flow reports by index.
const MAX_DTLS_PLACES: usize = 4096;

pub struct WebRtcObserver {
    learned: SharedLearned,
    rtp: RtpObserver,
    /// With `--keylog`: the clear RTP and RTCP, and each direction's SRTP context once a
    /// logged key authenticated one of its packets.
    clear: RtpObserver,
    srtp: [Option<SrtpContext>; 2],
    /// Per direction: packets no logged key decrypted.
    undecrypted: [u64; 2],
    /// Per direction: datagrams that were uncut GSO runs of RTP packets ([`gso`]).
    runs: [u64; 2],
    /// Scratch: the SSRCs a run's later packets may be of, gathered for each datagram.
    known: Vec<u32>,
    dtls: Flow,
    /// The direction the DTLS client (the first to send DTLS, with its ClientHello) sends in.
    dtls_client: Option<Direction>,
    /// Where each DTLS datagram began: its direction and offset there.
    dtls_places: Vec<(Direction, u64)>,
    transactions: Transactions,
    /// Over TCP: each direction's STUN stream.
    streams: Option<[Stream; 2]>,
    /// Per direction: bytes so far (the next datagram's offset), STUN messages, DTLS datagrams.
    offset: [u64; 2],
    stun: [u64; 2],
    dtls_datagrams: [u64; 2],
    other: [u64; 2],
    notes: Listing,
    start: Instant,
    now: Duration,
    closed: bool,
}

impl WebRtcObserver {
    pub fn new(learned: SharedLearned) -> Self {
        WebRtcObserver {
            rtp: RtpObserver::srtp(learned.clone()),
            clear: RtpObserver::decrypted(learned.clone()),
            srtp: [None, None],
            undecrypted: [0; 2],
            runs: [0; 2],
            known: Vec::new(),
            learned,
            dtls: Flow::new(Side::Client, DtlsLimits::default()),
            dtls_client: None,
            dtls_places: Vec::new(),
            transactions: Transactions::new(MAX_TRANSACTIONS),
            streams: None,
            offset: [0; 2],
            stun: [0; 2],
            dtls_datagrams: [0; 2],
            other: [0; 2],
            notes: Listing::new(MAX_LISTED),
            start: Instant::now(),
            now: Duration::ZERO,
            closed: false,
        }
    }

    /// The observer of a TCP flow: STUN (and what RFC 4571 frames beside it) over a stream.
    pub fn tcp(learned: SharedLearned) -> Self {
        WebRtcObserver {
            streams: Some(Default::default()),
            ..Self::new(learned)
        }
    }

    /// The clear packet of an SRTP or SRTCP datagram, when `--keylog` holds its key: the
    /// direction's context, or the first logged key whose context authenticates it.
    fn decrypt(&mut self, dir: Direction, bytes: &Bytes) -> Option<Bytes> {
        let i = dir.index();
        let learned = self.learned.borrow();
        if self.srtp[i].is_none() && learned.srtp_keys.is_none() {
            return None;
        }
        let clear = decrypt(learned.srtp_keys.as_ref(), &mut self.srtp[i], bytes);
        self.undecrypted[i] += u64::from(clear.is_none());
        clear
    }

    fn note(&mut self, dir: Direction, text: String, out: &mut Vec<Observation>) {
        self.notes.note(dir, text, out);
    }

    fn stun(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        let mut found = Vec::new();
        match Message::parse_datagram(bytes, &mut found) {
            Ok(message) => self.message(dir, offset, &message, Some(bytes), found, out),
            Err(e) => {
                self.stun[dir.index()] += 1;
                found.extend(e.into_violation());
                self.report(dir, offset, found, out);
            }
        }
    }

    /// One STUN message at `offset` of `dir`, with its bytes when they are at hand (for
    /// MESSAGE-INTEGRITY) and what parsing it found.
    fn message(
        &mut self,
        dir: Direction,
        offset: u64,
        message: &Message,
        bytes: Option<&[u8]>,
        mut found: Vec<Violation>,
        out: &mut Vec<Observation>,
    ) {
        self.stun[dir.index()] += 1;
        // A request is keyed by its receiver's password: USERNAME is "receiver:sender"
        // (RFC 8445 §7.2.2); a response by its request's.
        let receiver = message
            .username()
            .and_then(|u| u.split(':').next())
            .map(str::to_owned);
        let password = receiver.and_then(|ufrag| self.learned.borrow().ice.get(&ufrag).cloned());
        let mut integrity = "";
        if let (Some(password), Some(bytes)) = (password, bytes) {
            let check = verify_integrity(bytes, &Credentials::ShortTerm { password }, &mut found);
            integrity = match (check.sha1, check.sha256) {
                (Some(true), _) | (_, Some(true)) => ", integrity verified",
                (Some(false), _) | (_, Some(false)) => ", integrity does not verify",
                _ => "",
            };
        }
        // A binding request to a STUN server is no connectivity check: ICE's rules apply to
        // those with ICE's attributes (RFC 8445 §7.1).
        ice::check(message, false, 0, &mut found);
        match message.message_type.class {
            Class::Request => self.transactions.request(message),
            Class::SuccessResponse | Class::ErrorResponse => {
                self.transactions.response(message, 0, &mut found);
            }
            Class::Indication => {}
        }
        let text = format!(
            "STUN {} {}{}{integrity}",
            message.message_type,
            message.transaction_id,
            message
                .username()
                .map(|u| format!(", USERNAME {u:?}"))
                .unwrap_or_default()
        );
        self.note(dir, text, out);
        self.report(dir, offset, found, out);
    }

    /// Violations whose offsets are within one datagram, placed at it.
    fn report(
        &mut self,
        dir: Direction,
        offset: u64,
        found: Vec<Violation>,
        out: &mut Vec<Observation>,
    ) {
        for mut v in found {
            v.offset += offset;
            out.push(violation(dir, v));
        }
    }

    fn dtls(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        self.dtls_datagrams[dir.index()] += 1;
        let client = *self.dtls_client.get_or_insert(dir);
        let side = if dir == client {
            Side::Client
        } else {
            Side::Server
        };
        if self.dtls_places.len() < MAX_DTLS_PLACES {
            self.dtls_places.push((dir, offset));
        }
        self.dtls
            .handle_datagram(self.start + self.now, side, bytes);
        self.drain_dtls(out);
    }

    fn drain_dtls(&mut self, out: &mut Vec<Observation>) {
        while let Some(o) = self.dtls.poll_output() {
            match o {
                Output::Violation(v) => {
                    // The flow places violations by datagram index (and says the byte in the
                    // detail).
                    let (dir, at) = usize::try_from(v.offset)
                        .ok()
                        .and_then(|i| self.dtls_places.get(i).copied())
                        .unwrap_or((Direction::ClientToServer, 0));
                    out.push(Observation::Entry(
                        dir,
                        EntryKind::Violation {
                            rule: v.rule,
                            offset: Some(at),
                            detail: v.detail,
                            fatal: false,
                        },
                    ));
                }
                Output::Event(event) => {
                    if let Some((side, text)) = describe(&event) {
                        let dir = match (side, self.dtls_client) {
                            (Side::Client, Some(d)) => d,
                            (Side::Server, Some(d)) => other(d),
                            (_, None) => Direction::ClientToServer,
                        };
                        self.note(dir, text, out);
                    }
                }
                Output::Transmit(_) => {}
            }
        }
    }
}

/// The clear bytes of an SRTP or SRTCP datagram: opened with its direction's `context`, or,
/// before there is one, with the first key of `keys` (either side's of any session) whose
/// context authenticates it, which becomes the direction's.
pub(crate) fn decrypt(
    keys: Option<&weir_rtp::srtp::KeyLog>,
    context: &mut Option<SrtpContext>,
    bytes: &Bytes,
) -> Option<Bytes> {
    let open = |context: &mut SrtpContext| match rtcp::is_rtcp(bytes) {
        true => context.decrypt_rtcp(bytes).ok(),
        false => context
            .decrypt_rtp(bytes)
            .ok()
            .and_then(|p| p.to_bytes().ok()),
    };
    if let Some(context) = context.as_mut() {
        return open(context);
    }
    for entry in &keys?.entries {
        for key in [&entry.client_key, &entry.server_key] {
            let mut candidate = SrtpContext::new(key);
            if let Some(clear) = open(&mut candidate) {
                *context = Some(candidate);
                return Some(clear);
            }
        }
    }
    None
}

fn other(dir: Direction) -> Direction {
    match dir {
        Direction::ClientToServer => Direction::ServerToClient,
        Direction::ServerToClient => Direction::ClientToServer,
    }
}

/// One line for the DTLS events worth a line, with the side that sent what it is about.
fn describe(event: &DtlsEvent) -> Option<(Side, String)> {
    Some(match event {
        DtlsEvent::ClientHello(hello) => (
            Side::Client,
            format!(
                "DTLS ClientHello: {} cipher suites{}",
                hello.cipher_suites.len(),
                match hello.use_srtp() {
                    Some(Ok(srtp)) => {
                        let names: Vec<_> = srtp
                            .profiles
                            .iter()
                            .map(|p| srtp_profile_name(*p))
                            .collect();
                        format!(", use_srtp {}", names.join(", "))
                    }
                    _ => String::new(),
                }
            ),
        ),
        DtlsEvent::HelloVerifyRequest(_) => (Side::Server, "DTLS HelloVerifyRequest".into()),
        DtlsEvent::Negotiated(n) => (
            Side::Server,
            format!(
                "DTLS negotiated: version {:#06x}, {}{}",
                n.version,
                cipher_suite_name(n.cipher_suite),
                n.srtp_profile
                    .map(|p| format!(", {}", srtp_profile_name(p)))
                    .unwrap_or_default()
            ),
        ),
        DtlsEvent::Alert { side, alert } => (*side, format!("DTLS alert in the clear: {alert:?}")),
        DtlsEvent::ChangeCipherSpec { side } => (*side, "DTLS ChangeCipherSpec".into()),
        DtlsEvent::Encrypted { side, unified } => (
            *side,
            format!(
                "DTLS protected records from here on{}: counted, not read",
                if *unified {
                    " (DTLS 1.3 unified header)"
                } else {
                    ""
                }
            ),
        ),
        DtlsEvent::Finished {
            client_encrypted,
            server_encrypted,
        } => (
            Side::Client,
            format!(
                "DTLS: {client_encrypted} protected records from the client, \
                 {server_encrypted} from the server"
            ),
        ),
        _ => return None,
    })
}

impl Observer for WebRtcObserver {
    fn data(&mut self, dir: Direction, _offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        let Some(streams) = self.streams.as_mut() else {
            return;
        };
        let stream = &mut streams[dir.index()];
        let failed = stream.handle_input(self.start + self.now, bytes).is_err();
        let said: Vec<_> = std::iter::from_fn(|| stream.poll_output()).collect();
        for o in said {
            match o {
                Output::Event(StreamEvent::Message { offset, message }) => {
                    self.message(dir, offset, &message, None, Vec::new(), out)
                }
                Output::Event(StreamEvent::Frame { kind, .. }) => {
                    let i = dir.index();
                    match kind {
                        Kind::Dtls => self.dtls_datagrams[i] += 1,
                        _ => self.other[i] += 1,
                    }
                }
                Output::Event(StreamEvent::Framing(framing)) => {
                    self.note(dir, format!("STUN over TCP, {framing:?} framing"), out)
                }
                Output::Violation(v) => out.push(violation(dir, v)),
                Output::Transmit(_) => {}
            }
        }
        if failed {
            let why = "the STUN stream cannot be read further".to_owned();
            out.push(Observation::Entry(dir, EntryKind::GaveUp(why)));
        }
    }

    fn datagram(
        &mut self,
        dir: Direction,
        time: Duration,
        bytes: &Bytes,
        out: &mut Vec<Observation>,
    ) {
        if self.closed {
            return;
        }
        self.now = self.now.max(time);
        let offset = self.offset[dir.index()];
        self.offset[dir.index()] += bytes.len() as u64;
        match weir_stun::classify(bytes) {
            Kind::Stun => self.stun(dir, offset, bytes, out),
            Kind::Dtls => self.dtls(dir, offset, bytes, out),
            Kind::Rtp => {
                let i = dir.index();
                // The streams a run's later packets may be of: those the direction has carried
                // (read clear or not) and those the descriptions announce.
                let mut known = std::mem::take(&mut self.known);
                known.clear();
                known.extend(self.clear.sources(dir).chain(self.rtp.sources(dir)));
                known.extend(self.learned.borrow().ssrcs.iter());
                let run = gso::split(bytes, &known);
                self.known = known;
                if let Some(run) = &run {
                    self.runs[i] += 1;
                    if self.runs[i] == 1 {
                        let text = format!(
                            "a datagram of {} bytes holds {} RTP packets, {} bytes each but the \
                             last: an uncut UDP GSO run, captured on the sending host; read \
                             packet by packet",
                            bytes.len(),
                            run.len(),
                            run[0].len()
                        );
                        self.note(dir, text, out);
                    }
                }
                for packet in run.as_deref().unwrap_or(std::slice::from_ref(bytes)) {
                    match self.decrypt(dir, packet) {
                        Some(clear) => self.clear.datagram(dir, time, &clear, out),
                        None => self.rtp.datagram(dir, time, packet, out),
                    }
                }
            }
            kind => {
                self.other[dir.index()] += 1;
                if self.other[dir.index()] == 1 {
                    let text = format!("a datagram of {kind:?} (RFC 7983 §7): counted, not read");
                    self.note(dir, text, out);
                }
            }
        }
    }

    fn gap(&mut self, _dir: Direction, _offset: u64, _len: u64, _out: &mut Vec<Observation>) {}

    fn finished(&mut self, _dir: Direction, _offset: u64, _out: &mut Vec<Observation>) {}

    fn closed(&mut self, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.closed, true) {
            return;
        }
        if self.dtls_client.is_some() {
            let _ = self.dtls.handle_end(self.start + self.now);
            self.drain_dtls(out);
        }
        self.rtp.closed(out);
        self.clear.closed(out);
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let i = dir.index();
            if self.learned.borrow().srtp_keys.is_some() && self.undecrypted[i] > 0 {
                let text = format!(
                    "{} SRTP/SRTCP packets no key of --keylog decrypted",
                    self.undecrypted[i]
                );
                out.push(Observation::Entry(dir, EntryKind::Event(text)));
            }
            if self.runs[i] > 0 {
                let text = format!(
                    "{} datagrams were uncut GSO runs of RTP packets",
                    self.runs[i]
                );
                out.push(Observation::Entry(dir, EntryKind::Event(text)));
            }
            if self.stun[i] + self.dtls_datagrams[i] + self.other[i] > 0 {
                let text = format!(
                    "{} STUN messages, {} DTLS datagrams, {} others",
                    self.stun[i], self.dtls_datagrams[i], self.other[i]
                );
                out.push(Observation::Entry(dir, EntryKind::Event(text)));
            }
        }
        self.notes.close(Direction::ClientToServer, "WebRTC", out);
    }

    /// SRTP payloads not decrypted are not read: the flow is observed in part whenever it has
    /// any.
    fn complete(&self) -> bool {
        self.rtp.complete() && self.clear.complete() && self.other.iter().all(|&n| n == 0)
    }

    fn unread(&self) -> Option<String> {
        let others = self.other.iter().sum::<u64>();
        let parts: Vec<String> = [self.rtp.unread(), self.clear.unread()]
            .into_iter()
            .flatten()
            .chain((others > 0).then(|| format!("{others} datagrams neither STUN, DTLS nor RTP")))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}
