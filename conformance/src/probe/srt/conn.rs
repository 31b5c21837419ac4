//! The SRT prober's UDP side, blocking on a std socket: the handshake as libsrt callers make it
//! (our [`Caller`]), hand-made handshakes for the cases that shape one on purpose (a wrong
//! cookie, an unknown extension), and a [`Session`] that drives our connection machine and
//! records what the server sent (ACKs, NAKs, keep-alives, shutdown).

use std::collections::{BTreeSet, HashMap};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_core::RngCore;
use weir_media::{Machine, Output, Violation};
use weir_srt::connection::{Config, Connection, Event, Params};
use weir_srt::crypto::{CryptoContext, Refresh};
use weir_srt::established::{LIVE_FLAGS, SRT_VERSION};
use weir_srt::handshake::{EXT_CONFIG, EXT_HSREQ, EXT_KMREQ, Encryption, PeerIp, UDT_DGRAM};
use weir_srt::kdf::Passphrase;
use weir_srt::km::KeyLength;
use weir_srt::nak::LossRange;
use weir_srt::{
    Caller, CallerConfig, CallerEvent, Control, ControlPacket, Established, Extension, Handshake,
    HandshakeType, Header, Packet, RejectReason, SeqNumber, SrtOptions, Timestamp,
};

use super::SrtTarget;
use crate::probe::{Outcome, Step};

/// How often an unanswered handshake is sent again (draft §4.3.1: 250 ms).
const RESEND: Duration = Duration::from_millis(250);
/// How long a connection stays up before a case that only wanted it shuts it down.
const SETTLE: Duration = Duration::from_millis(300);
/// How long a hand-made handshake waits for its answer.
const ANSWER_WAIT: Duration = Duration::from_secs(2);

/// A UDP socket connected to one server address.
pub struct Udp {
    socket: UdpSocket,
    buf: Vec<u8>,
}

impl Udp {
    pub fn open(peer: SocketAddr) -> Step<Udp> {
        let local = if peer.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket = UdpSocket::bind(local)
            .and_then(|s| s.connect(peer).map(|()| s))
            .map_err(|e| Outcome::error(format!("cannot open a UDP socket to {peer}: {e}")))?;
        Ok(Udp {
            socket,
            buf: vec![0; 2048],
        })
    }

    pub fn send(&self, datagram: &[u8]) {
        // A refused send (ICMP port unreachable) shows as silence, which the cases judge.
        let _ = self.socket.send(datagram);
    }

    /// The next datagram that comes before `until`.
    pub fn recv(&mut self, until: Instant) -> Option<Bytes> {
        loop {
            let wait = until.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                return None;
            }
            self.socket
                .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
                .ok()?;
            match self.socket.recv(&mut self.buf) {
                Ok(n) => return Some(Bytes::copy_from_slice(&self.buf[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(_) => return None,
            }
        }
    }
}

/// A random source for one connection.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Whether anything answers an induction at the target's address.
pub fn reachable(target: &SrtTarget, timeout: Duration) -> Result<(), String> {
    let mut udp = Udp::open(target.addr).map_err(|o| format!("{o:?}"))?;
    let mut rng = rng(1);
    let socket_id = (rng.next_u32() & 0x3fff_ffff).max(1);
    induce(&mut udp, socket_id, Instant::now() + timeout)
        .map(drop)
        .map_err(|_| {
            format!(
                "no SRT listener answers at {} within {timeout:?}",
                target.addr
            )
        })
}

/// A control packet to socket `dst` as bytes, stamped 0 (handshakes go to socket 0).
pub fn control_bytes(dst: u32, control: Control) -> Bytes {
    let header = Header {
        timestamp: Timestamp::new(0),
        dst_socket: dst,
    };
    Packet::Control(ControlPacket { header, control }).to_bytes()
}

/// The v4 induction libsrt callers send first.
pub fn induction(socket_id: u32, isn: SeqNumber) -> Handshake {
    Handshake {
        version: 4,
        encryption: Encryption::NONE,
        extension_field: UDT_DGRAM,
        initial_seq: isn,
        mtu: 1500,
        flow_window: 8192,
        kind: HandshakeType::Induction,
        socket_id,
        syn_cookie: 0,
        peer_ip: PeerIp::from_ip(std::net::Ipv4Addr::LOCALHOST.into()),
        extensions: Vec::new(),
    }
}

/// A v5 conclusion with the cookie, an HSREQ, and `extensions` after it, flagged as libsrt
/// flags them.
pub fn conclusion(
    socket_id: u32,
    isn: SeqNumber,
    cookie: u32,
    extensions: Vec<Extension>,
) -> Handshake {
    let mut hs = Handshake {
        version: 5,
        kind: HandshakeType::Conclusion,
        syn_cookie: cookie,
        ..induction(socket_id, isn)
    };
    hs.extensions.push(Extension::HsReq(SrtOptions {
        version: SRT_VERSION,
        flags: LIVE_FLAGS,
        recv_delay_ms: 120,
        send_delay_ms: 120,
    }));
    hs.extensions.extend(extensions);
    hs.extension_field = hs.present_flags() & (EXT_HSREQ | EXT_KMREQ | EXT_CONFIG);
    hs
}

/// The listener's handshake answer addressed to `socket_id`, if `datagram` is one.
fn answer_to(datagram: &Bytes, socket_id: u32) -> Option<Handshake> {
    match Packet::parse(datagram, &mut Vec::new()) {
        Ok(Packet::Control(ControlPacket {
            header,
            control: Control::Handshake(hs),
        })) if header.dst_socket == socket_id => Some(hs),
        _ => None,
    }
}

/// Sends a v4 induction (again every 250 ms) until the listener answers: its answer.
pub fn induce(udp: &mut Udp, socket_id: u32, deadline: Instant) -> Step<Handshake> {
    let bytes = control_bytes(
        0,
        Control::Handshake(induction(socket_id, SeqNumber::new(socket_id))),
    );
    send_until_answered(udp, &bytes, socket_id, deadline)?.ok_or_else(|| {
        Outcome::fail(
            "an induction answer",
            "no answer to our induction (is an SRT listener there?)",
        )
    })
}

/// Sends `bytes` every 250 ms until a handshake for `socket_id` comes or `deadline` passes.
fn send_until_answered(
    udp: &mut Udp,
    bytes: &[u8],
    socket_id: u32,
    deadline: Instant,
) -> Step<Option<Handshake>> {
    while Instant::now() < deadline {
        udp.send(bytes);
        let next = (Instant::now() + RESEND).min(deadline);
        while let Some(datagram) = udp.recv(next) {
            if let Some(hs) = answer_to(&datagram, socket_id) {
                return Ok(Some(hs));
            }
        }
    }
    Ok(None)
}

/// What a listener did with a hand-made conclusion.
#[derive(Debug)]
pub enum Answer {
    /// A conclusion answer: accepted.
    Accepted(Box<Handshake>),
    Rejected(RejectReason),
    /// Nothing within the wait: ignored.
    Silent,
    /// Another handshake type.
    Other(HandshakeType),
}

/// Sends `conclusion` (again every 250 ms) for up to two seconds and says how it was answered.
/// An accepted connection is shut down at once.
pub fn conclude(udp: &mut Udp, conclusion: Handshake, deadline: Instant) -> Step<Answer> {
    let socket_id = conclusion.socket_id;
    let bytes = control_bytes(0, Control::Handshake(conclusion));
    let until = (Instant::now() + ANSWER_WAIT).min(deadline);
    loop {
        let Some(hs) = send_until_answered(udp, &bytes, socket_id, until)? else {
            return Ok(Answer::Silent);
        };
        return Ok(match hs.kind {
            HandshakeType::Conclusion => {
                // Not at once: srt-live-transmit exits when a connection breaks while it
                // is still setting it up.
                let settle = Instant::now() + SETTLE;
                while udp.recv(settle).is_some() {}
                udp.send(&control_bytes(hs.socket_id, Control::Shutdown));
                Answer::Accepted(Box::new(hs))
            }
            HandshakeType::Rejection(reason) => Answer::Rejected(reason),
            // A late induction answer: keep waiting for the conclusion's.
            HandshakeType::Induction => continue,
            other => Answer::Other(other),
        });
    }
}

/// How a case connects.
#[derive(Debug, Clone, Default)]
pub struct Dial {
    pub stream_id: Option<String>,
    /// Encrypt with this passphrase and key length (bytes).
    pub passphrase: Option<(String, usize)>,
}

/// What the server sent on a connection, as the probe saw it.
#[derive(Debug, Default, Clone)]
pub struct Log {
    /// ACKs: when, the sequence number acknowledged up to (exclusive), whether full.
    pub acks: Vec<(Instant, SeqNumber, bool)>,
    /// NAKs: when, the ranges.
    pub naks: Vec<(Instant, Vec<LossRange>)>,
    pub keepalives: Vec<Instant>,
    pub shutdown: Option<Instant>,
    /// Every datagram for our socket, when it came.
    pub heard: Vec<Instant>,
    /// Rules the server's packets broke, as our machines read them.
    pub violations: Vec<Violation>,
}

/// One established connection: our connection machine on the socket.
pub struct Session {
    udp: Udp,
    pub conn: Connection,
    pub established: Established,
    pub log: Log,
    /// Sequence numbers whose first transmission we do not send.
    pub drop_first: BTreeSet<u32>,
    /// Those we did not send.
    pub dropped: Vec<SeqNumber>,
    /// When each data packet was first sent (or dropped on purpose).
    pub sent_at: HashMap<u32, Instant>,
    /// Retransmissions sent.
    pub retransmitted: Vec<SeqNumber>,
    /// What the connection handed on.
    pub events: Vec<Event>,
}

/// Connects with our caller machine as libsrt callers do (v4 induction, v5 conclusion):
/// the session, or the listener's rejection.
pub fn connect(
    addr: SocketAddr,
    dial: &Dial,
    seed: u64,
    deadline: Instant,
) -> Step<Result<Session, RejectReason>> {
    let mut udp = Udp::open(addr)?;
    let mut rng = rng(seed);
    let mut config = CallerConfig {
        stream_id: dial.stream_id.clone(),
        peer_ip: addr.ip(),
        connect_timeout: deadline
            .saturating_duration_since(Instant::now())
            .min(Duration::from_secs(5)),
        ..CallerConfig::default()
    };
    let mut crypto = None;
    if let Some((passphrase, key_len)) = &dial.passphrase {
        let phrase =
            Passphrase::new(passphrase).map_err(|e| Outcome::error(format!("passphrase: {e}")))?;
        let length = KeyLength::from_bytes(*key_len)
            .ok_or_else(|| Outcome::error("pbkeylen is 16, 24 or 32"))?;
        let context = CryptoContext::initiator(phrase, length, Refresh::default(), &mut rng);
        config.km_request = Some(context.km_request().to_bytes());
        config.encryption = Encryption::for_key_len(*key_len);
        crypto = Some(context);
    }
    let mut caller = Caller::new(config, &mut rng, Instant::now());
    let mut log = Log::default();
    loop {
        while let Some(out) = caller.poll_output() {
            match out {
                Output::Transmit(bytes) => udp.send(&bytes),
                Output::Violation(v) => log.violations.push(v),
                Output::Event(CallerEvent::Rejected { reason }) => return Ok(Err(reason)),
                Output::Event(CallerEvent::Established(established)) => {
                    let params = Params::of(&established, true);
                    let now = Instant::now();
                    // Our sender recovers only what the server NAKs, as libsrt's does in
                    // live mode: a tail-loss resend of a packet left out on purpose could
                    // reach the server before the packet after it reveals the gap, and hide
                    // whether the server NAKs.
                    let config = Config {
                        tail_retransmission: false,
                        ..Config::default()
                    };
                    let conn = Connection::new(
                        params,
                        config,
                        crypto,
                        Box::new(self::rng(seed ^ 0x5eed)),
                        now,
                    );
                    return Ok(Ok(Session {
                        udp,
                        conn,
                        established,
                        log,
                        drop_first: BTreeSet::new(),
                        dropped: Vec::new(),
                        sent_at: HashMap::new(),
                        retransmitted: Vec::new(),
                        events: Vec::new(),
                    }));
                }
            }
        }
        let wake = caller.poll_timeout().unwrap_or(deadline).min(deadline);
        if Instant::now() >= deadline {
            return Ok(Err(RejectReason::TIMEOUT));
        }
        match udp.recv(wake) {
            Some(datagram) => {
                let now = Instant::now();
                // A datagram that does not parse is a violation the caller reports.
                let _ = caller.handle_input(now, &datagram);
            }
            None => caller.handle_timeout(Instant::now()),
        }
    }
}

impl Session {
    /// Our socket id.
    pub fn socket_id(&self) -> u32 {
        self.established.local_socket_id
    }

    /// Sends one payload (up to 1316 bytes) now.
    pub fn send(&mut self, payload: Bytes) -> Step<()> {
        self.conn
            .send(Instant::now(), payload)
            .map_err(|e| Outcome::error(format!("our connection refused a payload: {e}")))?;
        self.flush();
        Ok(())
    }

    /// Stays up a moment (see [`SETTLE`]), then shuts down: for the cases that only wanted
    /// the connection.
    pub fn close(&mut self) {
        self.pump(Instant::now() + SETTLE);
        self.shutdown();
    }

    /// Sends our shutdown.
    pub fn shutdown(&mut self) {
        self.conn.shutdown(Instant::now());
        self.flush();
    }

    /// Sends what the connection has to send, leaving out first transmissions of
    /// [`Session::drop_first`]; keeps its events.
    fn flush(&mut self) {
        while let Some(out) = self.conn.poll_output() {
            match out {
                Output::Transmit(bytes) => {
                    if let Ok(Packet::Data(data)) = Packet::parse(&bytes, &mut Vec::new()) {
                        let seq = data.seq;
                        if data.retransmitted {
                            self.retransmitted.push(seq);
                        } else {
                            self.sent_at.entry(seq.get()).or_insert_with(Instant::now);
                            if self.drop_first.remove(&seq.get()) {
                                self.dropped.push(seq);
                                continue;
                            }
                        }
                    }
                    self.udp.send(&bytes);
                }
                Output::Event(event) => self.events.push(event),
                Output::Violation(v) => self.log.violations.push(v),
            }
        }
    }

    /// Notes what a datagram from the server is.
    fn observe(&mut self, now: Instant, datagram: &Bytes) {
        let Ok(packet) = Packet::parse(datagram, &mut Vec::new()) else {
            return;
        };
        if packet.header().dst_socket != self.socket_id() {
            return;
        }
        self.log.heard.push(now);
        if let Packet::Control(c) = packet {
            match c.control {
                Control::Ack(ack) => self
                    .log
                    .acks
                    .push((now, ack.last_ack, ack.timing.is_some())),
                Control::Nak(list) => self.log.naks.push((now, list.ranges)),
                Control::KeepAlive => self.log.keepalives.push(now),
                Control::Shutdown => {
                    self.log.shutdown.get_or_insert(now);
                }
                _ => {}
            }
        }
    }

    /// Runs the connection until `until`: what the server sends goes to our machine and the
    /// log, our timers fire.
    pub fn pump(&mut self, until: Instant) {
        loop {
            self.flush();
            let now = Instant::now();
            if now >= until {
                return;
            }
            let wake = self.conn.poll_timeout().unwrap_or(until).min(until);
            if let Some(datagram) = self.udp.recv(wake) {
                let now = Instant::now();
                self.observe(now, &datagram);
                self.conn.handle_datagram(now, datagram);
            }
            let now = Instant::now();
            if self.conn.poll_timeout().is_some_and(|at| at <= now) {
                self.conn.handle_timeout(now);
            }
        }
    }

    /// The payloads handed on so far, in order.
    pub fn payloads(&self) -> impl Iterator<Item = &Bytes> {
        self.events.iter().filter_map(|e| match e {
            Event::Data { payload, .. } => Some(payload),
            _ => None,
        })
    }
}

/// A case's session: connected, or the case ends with what the listener said.
pub fn connected(
    addr: SocketAddr,
    dial: &Dial,
    seed: u64,
    deadline: Instant,
    what: &str,
) -> Step<Session> {
    connect(addr, dial, seed, deadline)?.map_err(|reason| {
        Outcome::fail(
            format!("{what} accepted"),
            format!("rejected: {} ({})", reason.name(), reason.0 + 1000),
        )
    })
}
