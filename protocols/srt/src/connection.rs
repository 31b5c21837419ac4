//! One established SRT connection in live mode (draft §4): a [`Machine`] fed one datagram at
//! a time, that receives, sends, or both.
//!
//! - Receiving: data packets go into the [`ReceiveBuffer`]; a gap is NAKed at once and then
//!   every NAK period while it lasts (draft §4.8.1, §4.8.2); packets are handed on in order
//!   at their TSBPD play time, and those that never came are dropped as too late (§4.5,
//!   §4.6). A full ACK goes every 10 ms and a light one every 64 packets (§4.8.1); the
//!   ACKACK that answers a full ACK gives an RTT sample and a drift sample (§4.10, §4.7).
//! - Sending: [`Connection::send`] stamps, encrypts and sends a payload and keeps it in the
//!   [`SendBuffer`] until acknowledged; a NAK retransmits (R flag, §3.1); a packet older than
//!   the peer's latency (at least a second) is dropped and the receiver told by a drop
//!   request (§4.6).
//! - Both: keep-alives after a second of silence (§3.2.3), a peer silent for the idle timeout
//!   closes the connection, so do its shutdown and peer error; key refreshes (KMREQ in a
//!   user-defined control packet, as libsrt sends them) are answered.
//!
//! Hostile input never ends a connection: a datagram that does not parse, names another
//! socket, acknowledges what was never sent or overruns the flow window is a violation, and
//! every buffer is bounded.

use crate::ack::{Ack, AckRates, AckTiming};
use crate::checks;
use crate::control::{Control, ControlPacket};
use crate::crypto::CryptoContext;
use crate::data::{DataPacket, KeyFlags, Position};
use crate::dropreq::DropRequest;
use crate::loss_list::LossList;
use crate::nak::{LossList as LossReport, LossRange};
use crate::pacer::Pacer;
use crate::packet::{Header, Packet};
use crate::receive_buffer::{Arrival, Ready, ReceiveBuffer};
use crate::rtt::Rtt;
use crate::rules::{CONNECTION_FLOW_WINDOW, CONNECTION_SOCKET_ID, CONNECTION_UNENCRYPTED};
use crate::send_buffer::{SendBuffer, Sent};
use crate::tsbpd::Tsbpd;
use crate::{MsgNumber, SeqNumber, Timestamp};
use bytes::{Bytes, BytesMut};
use rand_core::RngCore;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use weir_media::{Error, Machine, Output, Violation};

/// The ACK period, libsrt's SYN interval (draft §4.8.1).
const SYN: Duration = Duration::from_millis(10);
/// A light ACK after this many packets without one (draft §4.8.1).
const LIGHT_ACK_PACKETS: u32 = 64;
/// A keep-alive after this much silence (draft §3.2.3).
const KEEPALIVE: Duration = Duration::from_secs(1);
/// Full ACKs remembered for their ACKACK.
const ACK_HISTORY: usize = 64;
/// Loss ranges one NAK names at most: what fits in a 1500-byte datagram.
const NAK_RANGES: usize = 160;
/// The least a sender keeps a packet for (libsrt's minimum too-late drop threshold).
const MIN_SEND_DROP: Duration = Duration::from_secs(1);
/// Probe pairs remembered for the link capacity estimate.
const PROBES: usize = 16;
/// How many times a refresh's KMREQ is sent before the sender gives up waiting for a KMRSP.
const KMREQ_TRIES: u32 = 10;

/// What a connection is set up with, from the handshake.
#[derive(Clone, Debug)]
pub struct Params {
    /// Our socket id: the destination id of the peer's packets.
    pub local_socket_id: u32,
    /// The peer's socket id: the destination id of our packets.
    pub peer_socket_id: u32,
    /// The sequence number of our first data packet.
    pub send_isn: SeqNumber,
    /// The sequence number of the peer's first data packet.
    pub recv_isn: SeqNumber,
    /// The latency we apply as receiver.
    pub recv_latency: Duration,
    /// The latency the peer applies as receiver: how long our packets stay worth sending.
    pub send_latency: Duration,
    /// Whether the receiver drops packets that come too late to play (TLPKTDROP).
    pub too_late_drop: bool,
    /// When our clock started: our timestamps count from here.
    pub start: Instant,
    /// When the peer's conclusion arrived, and its timestamp: the TSBPD time base (§4.5.1.1).
    pub peer_clock: (Instant, Timestamp),
    /// The RTT measured during the handshake, if any (µs).
    pub handshake_rtt: Option<u32>,
}

impl Params {
    /// The parameters an established handshake gives, with or without too-late drop.
    pub fn of(established: &crate::Established, too_late_drop: bool) -> Self {
        Self {
            local_socket_id: established.local_socket_id,
            peer_socket_id: established.peer_socket_id,
            send_isn: established.send_isn,
            recv_isn: established.recv_isn,
            recv_latency: Duration::from_millis(established.recv_latency_ms.into()),
            send_latency: Duration::from_millis(established.send_latency_ms.into()),
            too_late_drop,
            start: established.start,
            peer_clock: established.peer_clock,
            handshake_rtt: None,
        }
    }
}

/// Limits and timers.
#[derive(Clone, Debug)]
pub struct Config {
    /// The receive buffer, and the flow window we announce, in packets.
    pub recv_buffer: usize,
    /// Packets kept for retransmission.
    pub send_buffer: usize,
    /// A peer silent this long is gone (libsrt's peer idle timeout, 5 s).
    pub idle_timeout: Duration,
    /// The largest payload [`Connection::send`] takes (libsrt's live payload size, 1316).
    pub max_payload: usize,
    /// A packet due at most this long before the next periodic tick (every 10 ms) is handed
    /// on at that tick, with the others then due: a receiver that remuxes (a server) then
    /// wakes once a tick rather than once a packet, for at most this much more latency.
    /// Zero (the default) hands each packet on at its exact play time, as libsrt does.
    pub delivery_slack: Duration,
    /// Data leaves no faster than this many bytes a second, retransmissions included
    /// (libsrt's `SRTO_MAXBW`); `None` sends each packet at once.
    pub max_bandwidth: Option<u64>,
    /// Whether unacknowledged packets are sent again when neither an ACK nor new data has
    /// come for a while (see `retransmit_unacknowledged`): on by default, since a tail loss
    /// is otherwise lost for good. libsrt keeps it off in live mode; so does a probe that
    /// leaves packets out to see whether the peer NAKs them.
    pub tail_retransmission: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            recv_buffer: 8192,
            send_buffer: 8192,
            idle_timeout: Duration::from_secs(5),
            max_payload: 1316,
            delivery_slack: Duration::ZERO,
            max_bandwidth: None,
            tail_retransmission: true,
        }
    }
}

/// What a connection reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A payload, in order, at its play time.
    Data {
        /// Its sequence number.
        seq: SeqNumber,
        /// Its message number.
        msg: MsgNumber,
        /// The payload, decrypted.
        payload: Bytes,
    },
    /// `first..=last` never arrived in time and were skipped.
    Dropped {
        /// The first skipped packet.
        first: SeqNumber,
        /// The last skipped packet.
        last: SeqNumber,
    },
    /// The connection is over.
    Closed(CloseReason),
}

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer sent a shutdown.
    Shutdown,
    /// We closed it.
    Local,
    /// The peer was silent for the idle timeout.
    Timeout,
    /// The peer reported an error.
    PeerError(u32),
}

/// Counters, as libsrt's statistics name them where they match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Data packets sent, first transmissions.
    pub packets_sent: u64,
    /// Payload bytes sent, first transmissions.
    pub bytes_sent: u64,
    /// Data packets retransmitted.
    pub packets_retransmitted: u64,
    /// Data packets the sender dropped as too old.
    pub packets_send_dropped: u64,
    /// Data packets received (new ones).
    pub packets_received: u64,
    /// Payload bytes received (new ones).
    pub bytes_received: u64,
    /// Packets found missing (gaps).
    pub packets_lost: u64,
    /// Retransmitted packets received.
    pub packets_recovered: u64,
    /// Packets that arrived twice or after being dropped.
    pub packets_redundant: u64,
    /// Packets skipped as too late.
    pub packets_dropped: u64,
    /// NAKs sent and received.
    pub naks_sent: u64,
    /// NAKs received.
    pub naks_received: u64,
    /// The smoothed RTT, µs.
    pub rtt_us: u32,
    /// The RTT variance, µs.
    pub rtt_var_us: u32,
    /// Packets per second received over the last second.
    pub receive_rate_pps: u32,
    /// The link capacity estimated from probe pairs, packets per second (0 before any).
    pub link_capacity_pps: u32,
}

/// A packet held by the receiver.
#[derive(Clone, Debug)]
struct Held {
    msg: MsgNumber,
    /// The sender's time, unwrapped, µs.
    sent_us: u64,
    payload: Bytes,
}

/// One SRT connection; see the [module docs](self).
pub struct Connection {
    params: Params,
    config: Config,
    outputs: VecDeque<Output<Event>>,
    closed: bool,
    stats: Stats,
    crypto: Option<CryptoContext>,
    rng: Box<dyn RngCore + Send>,
    last_heard: Instant,
    last_sent: Instant,
    next_tick: Instant,
    // Receiving.
    recv: ReceiveBuffer<Held>,
    losses: LossList,
    tsbpd: Tsbpd,
    rtt: Rtt,
    next_ack_number: u32,
    /// Full ACKs awaiting their ACKACK: number, when sent, the sequence number they carried.
    acks: VecDeque<(u32, Instant, SeqNumber)>,
    last_acked: SeqNumber,
    last_full_ack: Instant,
    /// The last acknowledged sequence number the peer confirmed with an ACKACK.
    confirmed: SeqNumber,
    since_ack: u32,
    /// Arrivals in the current second, and the rate of the last one.
    rate_window: (Instant, u32),
    /// The arrival of the last packet whose number is 0 mod 16, and the pair intervals (µs).
    probe: Option<(SeqNumber, Instant)>,
    probes: VecDeque<u64>,
    // Sending.
    send: SendBuffer<DataPacket>,
    retransmit: LossList,
    /// Data waiting for its turn under `Config::max_bandwidth`.
    pacer: Option<Pacer>,
    /// When the peer's last ACK arrived, or new data last left if later (the sender's
    /// retransmission timer for a tail loss).
    last_ack_heard: Instant,
    next_msg: MsgNumber,
    /// Our key refresh's KMREQ until the peer's KMRSP: its body, when last sent, and how often.
    km_pending: Option<(Bytes, Instant, u32)>,
    /// Our last handshake answer, sent again if the peer repeats its conclusion.
    handshake_reply: Option<Bytes>,
}

impl Connection {
    /// A connection set up by a handshake at `now`; `crypto` when the handshake exchanged
    /// keys; `rng` makes refreshed keys.
    pub fn new(
        params: Params,
        config: Config,
        crypto: Option<CryptoContext>,
        rng: Box<dyn RngCore + Send>,
        now: Instant,
    ) -> Self {
        let (at, timestamp) = params.peer_clock;
        let mut rtt = Rtt::new();
        if let Some(sample) = params.handshake_rtt {
            rtt.sample(sample);
        }
        Self {
            recv: ReceiveBuffer::new(params.recv_isn, config.recv_buffer),
            losses: LossList::new(config.recv_buffer as u32),
            tsbpd: Tsbpd::new(at, timestamp, params.recv_latency),
            rtt,
            next_ack_number: 1,
            acks: VecDeque::new(),
            last_acked: params.recv_isn,
            last_full_ack: now,
            confirmed: params.recv_isn,
            since_ack: 0,
            rate_window: (now, 0),
            probe: None,
            probes: VecDeque::new(),
            send: SendBuffer::new(params.send_isn, config.send_buffer),
            retransmit: LossList::new(config.send_buffer as u32),
            last_ack_heard: now,
            pacer: config
                .max_bandwidth
                .map(|rate| Pacer::new(rate, config.send_buffer, now)),
            next_msg: MsgNumber::new(1),
            km_pending: None,
            handshake_reply: None,
            outputs: VecDeque::new(),
            closed: false,
            stats: Stats::default(),
            crypto,
            rng,
            last_heard: now,
            last_sent: now,
            next_tick: now + SYN,
            params,
            config,
        }
    }

    /// Keeps our handshake answer to send again when the peer repeats its conclusion (it
    /// did not get ours).
    pub fn set_handshake_reply(&mut self, reply: Bytes) {
        self.handshake_reply = Some(reply);
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        Stats {
            rtt_us: self.rtt.rtt(),
            rtt_var_us: self.rtt.var(),
            link_capacity_pps: self.link_capacity(),
            ..self.stats
        }
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Our timestamp for `now`: µs since our start, wrapping.
    fn timestamp(&self, now: Instant) -> Timestamp {
        let us = now.saturating_duration_since(self.params.start).as_micros();
        Timestamp::new(us as u32)
    }

    fn violation(&mut self, rule: &'static weir_media::Rule, detail: String) {
        self.outputs
            .push_back(Output::Violation(Violation::new(rule, 0, detail)));
    }

    fn transmit(&mut self, now: Instant, packet: &Packet) {
        self.outputs.push_back(Output::Transmit(packet.to_bytes()));
        self.last_sent = now;
    }

    /// A data packet, first sent or again: through the pacer when a bandwidth is set.
    fn transmit_data(&mut self, now: Instant, packet: &DataPacket) {
        let Some(pacer) = self.pacer.as_mut() else {
            return self.transmit(now, &Packet::Data(packet.clone()));
        };
        // A full pacer holds a send buffer's worth: what it refuses, a NAK asks for again.
        pacer.push(Packet::Data(packet.clone()).to_bytes());
        self.release_paced(now);
    }

    /// What the pacer lets leave by `now`.
    fn release_paced(&mut self, now: Instant) {
        let Some(pacer) = self.pacer.as_mut() else {
            return;
        };
        while let Some(datagram) = pacer.pop(now) {
            self.outputs.push_back(Output::Transmit(datagram));
            self.last_sent = now;
        }
    }

    fn control(&mut self, now: Instant, control: Control) {
        let header = Header {
            timestamp: self.timestamp(now),
            dst_socket: self.params.peer_socket_id,
        };
        self.transmit(now, &Packet::Control(ControlPacket { header, control }));
    }

    fn close(&mut self, reason: CloseReason) {
        if !self.closed {
            self.closed = true;
            self.outputs.push_back(Output::Event(Event::Closed(reason)));
        }
    }

    /// Sends one payload as one packet (live mode: a message is a packet).
    pub fn send(&mut self, now: Instant, payload: Bytes) -> Result<(), Error> {
        if self.closed {
            return Err(Error::usage("the SRT connection is closed"));
        }
        if payload.len() > self.config.max_payload {
            return Err(Error::usage(format!(
                "a payload of {} bytes, more than the {} of one packet",
                payload.len(),
                self.config.max_payload
            )));
        }
        self.expire_sent(now);
        if self.send.is_full() {
            return Err(Error::usage("the SRT send buffer is full"));
        }
        let seq = self.send.next();
        let (payload, key) = self.encrypt(now, seq, payload)?;
        let msg = self.next_msg;
        self.next_msg = msg.next();
        let packet = DataPacket {
            header: Header {
                timestamp: self.timestamp(now),
                dst_socket: self.params.peer_socket_id,
            },
            seq,
            position: Position::Single,
            in_order: false,
            key,
            retransmitted: false,
            msg,
            payload,
        };
        self.stats.packets_sent += 1;
        self.stats.bytes_sent += packet.payload.len() as u64;
        self.last_ack_heard = now;
        self.transmit_data(now, &packet);
        let sent = Sent {
            msg,
            origin: now,
            retransmits: 0,
            packet,
        };
        // The buffer had room: checked above.
        let _ = self.send.push(sent);
        Ok(())
    }

    fn encrypt(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        payload: Bytes,
    ) -> Result<(Bytes, KeyFlags), Error> {
        let Some(crypto) = self.crypto.as_mut() else {
            return Ok((payload, KeyFlags::None));
        };
        let mut bytes = BytesMut::from(&payload[..]);
        let encrypted = crypto.encrypt(&mut self.rng, seq, &mut bytes)?;
        if let Some(km) = encrypted.announce {
            let body = km.to_bytes();
            self.km_pending = Some((body.clone(), now, 1));
            let kmreq = Control::UserDefined {
                subtype: 3,
                type_specific: 0,
                body,
            };
            self.control(now, kmreq);
        }
        Ok((
            bytes.freeze(),
            KeyFlags::from_bits(u32::from(encrypted.key.kk())),
        ))
    }

    /// Ends the connection: a shutdown to the peer.
    pub fn shutdown(&mut self, now: Instant) {
        if !self.closed {
            self.control(now, Control::Shutdown);
            self.close(CloseReason::Local);
        }
    }

    fn on_data(&mut self, now: Instant, data: DataPacket) {
        let seq = data.seq;
        let sent_us = self.tsbpd.unwrap(data.header.timestamp);
        let payload = match (&self.crypto, data.key) {
            (_, KeyFlags::None) => data.payload,
            (Some(crypto), key) => {
                let mut bytes = BytesMut::from(&data.payload[..]);
                if let Err(e) = crypto.decrypt(key.bits() as u8, seq, &mut bytes) {
                    if let Some(v) = e.into_violation() {
                        self.outputs.push_back(Output::Violation(v));
                    }
                    return;
                }
                bytes.freeze()
            }
            (None, _) => {
                let detail = format!("data packet {seq} is encrypted; no keys were exchanged");
                self.violation(&CONNECTION_UNENCRYPTED, detail);
                return;
            }
        };
        self.measure_arrival(now, seq);
        let held = Held {
            msg: data.msg,
            sent_us,
            payload,
        };
        let bytes = held.payload.len() as u64;
        match self.recv.insert(seq, held) {
            Arrival::Stored { gap } => {
                self.stats.packets_received += 1;
                self.stats.bytes_received += bytes;
                if self.losses.remove(seq) || data.retransmitted {
                    self.stats.packets_recovered += 1;
                }
                if let Some((first, last)) = gap
                    && let Some(added) = self.losses.insert(first, last)
                {
                    self.stats.packets_lost += added;
                    // The immediate NAK names the new gap alone (draft §4.8.1); the
                    // periodic NAK repeats it with the rest.
                    self.losses.mark_reported(first, last, now);
                    self.nak(now, &[(first, last)]);
                }
            }
            Arrival::Duplicate | Arrival::Behind => self.stats.packets_redundant += 1,
            Arrival::Beyond => {
                let detail = format!(
                    "data packet {seq} lies beyond the flow window of {} packets from {}",
                    self.config.recv_buffer,
                    self.recv.start()
                );
                self.violation(&CONNECTION_FLOW_WINDOW, detail);
            }
        }
        self.since_ack += 1;
        if self.since_ack >= LIGHT_ACK_PACKETS {
            self.since_ack = 0;
            let ack = Ack::light(self.recv.ack_number());
            self.control(now, Control::Ack(ack));
        }
    }

    /// The receive rate over whole seconds, and the probe pairs: libsrt sends the packet
    /// after each one numbered 0 mod 16 back to back, so their spacing is the link's.
    fn measure_arrival(&mut self, now: Instant, seq: SeqNumber) {
        let (since, count) = &mut self.rate_window;
        *count += 1;
        if now.saturating_duration_since(*since) >= Duration::from_secs(1) {
            self.stats.receive_rate_pps = *count;
            self.rate_window = (now, 0);
        }
        if seq.get().is_multiple_of(16) {
            self.probe = Some((seq, now));
        } else if let Some((first, at)) = self.probe.take()
            && first.next() == seq
        {
            let gap = now.saturating_duration_since(at).as_micros() as u64;
            if self.probes.len() == PROBES {
                self.probes.pop_front();
            }
            self.probes.push_back(gap.max(1));
        }
    }

    /// Packets per second from the median probe-pair spacing.
    fn link_capacity(&self) -> u32 {
        if self.probes.is_empty() {
            return 0;
        }
        let mut gaps: Vec<u64> = self.probes.iter().copied().collect();
        gaps.sort_unstable();
        (1_000_000 / gaps[gaps.len() / 2]).min(u64::from(u32::MAX)) as u32
    }

    fn nak(&mut self, now: Instant, ranges: &[(SeqNumber, SeqNumber)]) {
        if ranges.is_empty() {
            return;
        }
        let report = LossReport {
            ranges: ranges
                .iter()
                .map(|&(first, last)| LossRange { first, last })
                .collect(),
        };
        self.stats.naks_sent += 1;
        self.control(now, Control::Nak(report));
    }

    fn full_ack(&mut self, now: Instant) {
        let ack_number = self.next_ack_number;
        self.next_ack_number = self.next_ack_number.wrapping_add(1).max(1);
        let last_ack = self.recv.ack_number();
        self.last_acked = last_ack;
        self.last_full_ack = now;
        self.since_ack = 0;
        if self.acks.len() == ACK_HISTORY {
            self.acks.pop_front();
        }
        self.acks.push_back((ack_number, now, last_ack));
        let ack = Ack {
            ack_number,
            last_ack,
            timing: Some(AckTiming {
                rtt: self.rtt.rtt(),
                rtt_variance: self.rtt.var(),
                available_buffer: self.recv.available() as u32,
            }),
            rates: Some(AckRates {
                packet_rate: self.stats.receive_rate_pps,
                link_capacity: self.link_capacity(),
                receive_rate: Some(
                    (u64::from(self.stats.receive_rate_pps) * 1316).min(u64::from(u32::MAX)) as u32,
                ),
            }),
        };
        self.control(now, Control::Ack(ack));
    }

    fn on_ack(&mut self, now: Instant, ack: Ack) {
        self.last_ack_heard = now;
        let sent_end = self.send.next();
        let mut acked = ack.last_ack;
        if let Some(v) = checks::ack_range(acked, sent_end) {
            self.outputs.push_back(Output::Violation(v));
            acked = sent_end;
        }
        self.send.acknowledge(acked);
        self.retransmit.remove_before(acked);
        if let Some(timing) = ack.timing {
            self.rtt.sample(timing.rtt);
        }
        if ack.ack_number != 0 && ack.timing.is_some() {
            let ack_number = ack.ack_number;
            self.control(now, Control::AckAck { ack_number });
        }
    }

    fn on_ackack(&mut self, now: Instant, ack_number: u32, timestamp: Timestamp) {
        let Some(i) = self.acks.iter().position(|&(n, ..)| n == ack_number) else {
            return;
        };
        let (_, sent, acked) = self.acks[i];
        self.confirmed = acked;
        self.acks.drain(..=i);
        let sample = now
            .saturating_duration_since(sent)
            .as_micros()
            .min(u32::MAX as u128);
        self.rtt.sample(sample as u32);
        let rtt0 = self.params.handshake_rtt.unwrap_or(self.rtt.rtt());
        self.tsbpd
            .drift_sample(now, timestamp, self.rtt.rtt(), rtt0);
    }

    fn on_nak(&mut self, now: Instant, report: LossReport) {
        self.stats.naks_received += 1;
        let (first_kept, end) = (self.send.first(), self.send.next());
        for range in report.ranges {
            let (mut first, mut last) = (range.first, range.last);
            if let Some(v) = checks::nak_range(first, last, end) {
                self.outputs.push_back(Output::Violation(v));
                if last.before(first) {
                    continue;
                }
                last = end.sub(1);
            }
            // Packets already acknowledged or dropped cannot be sent again.
            if first.before(first_kept) {
                first = first_kept;
            }
            if !last.before(first) {
                self.retransmit.insert(first, last);
            }
        }
        self.retransmit_lost(now);
    }

    /// Sends again what NAKs asked for, oldest first, with the R flag and the original
    /// timestamp: the receiver plays a packet by the time it was first sent.
    fn retransmit_lost(&mut self, now: Instant) {
        while let Some(seq) = self.retransmit.pop_first() {
            let Some(sent) = self.send.get_mut(seq) else {
                continue;
            };
            sent.retransmits += 1;
            let mut packet = sent.packet.clone();
            packet.retransmitted = true;
            self.stats.packets_retransmitted += 1;
            self.transmit_data(now, &packet);
        }
    }

    /// Our refresh's KMREQ again while no KMRSP came, every RTT + 4 × RTTVar (a tick at least)
    /// and at most [`KMREQ_TRIES`] times: a lost one would leave the peer without the key the
    /// packets switch to (libsrt repeats it too).
    fn resend_kmreq(&mut self, now: Instant) {
        let Some((body, sent, tries)) = self.km_pending.clone() else {
            return;
        };
        let wait = Duration::from_micros(u64::from(self.rtt.rtt()) + 4 * u64::from(self.rtt.var()));
        if now.saturating_duration_since(sent) < wait.max(SYN) {
            return;
        }
        self.km_pending = (tries < KMREQ_TRIES).then(|| (body.clone(), now, tries + 1));
        let kmreq = Control::UserDefined {
            subtype: 3,
            type_specific: 0,
            body,
        };
        self.control(now, kmreq);
    }

    /// A tail loss — the last packets sent, lost with nothing after them to reveal the gap —
    /// draws no NAK, and a receiver with nothing new to acknowledge sends no ACK. So when
    /// packets are unacknowledged and neither an ACK has come nor new data left for RTT +
    /// 4 × RTTVar + 2 ticks, they are sent again, once per such wait. (libsrt keeps this
    /// timer off in live mode and leaves a tail loss to the stream's next packet.)
    fn retransmit_unacknowledged(&mut self, now: Instant) {
        let (first, next) = (self.send.first(), self.send.next());
        if first == next || !self.retransmit.is_empty() || !self.config.tail_retransmission {
            return;
        }
        let wait = u64::from(self.rtt.rtt()) + 4 * u64::from(self.rtt.var());
        if now.saturating_duration_since(self.last_ack_heard)
            < Duration::from_micros(wait) + 2 * SYN
        {
            return;
        }
        self.last_ack_heard = now;
        self.retransmit.insert(first, next.sub(1));
    }

    fn on_drop_request(&mut self, drop: DropRequest) {
        let next = drop.last.next();
        self.losses.remove_before(next);
        let missing = self.recv.start().distance_to(next).max(0) as u64;
        let held = self.recv.drop_before(next) as u64;
        self.stats.packets_dropped += missing.saturating_sub(held);
    }

    /// Drops packets too old to play at the peer: its latency, at least a second, plus two
    /// ACK periods (libsrt's threshold).
    fn expire_sent(&mut self, now: Instant) {
        let threshold = self.params.send_latency.max(MIN_SEND_DROP) + 2 * SYN;
        if let Some(expired) = self.send.drop_expired(now, threshold) {
            let count = expired.first.distance_to(expired.last) as u64 + 1;
            self.stats.packets_send_dropped += count;
            self.retransmit.remove_before(expired.last.next());
            let drop = DropRequest {
                message_number: expired.msg.get(),
                first: expired.first,
                last: expired.last,
            };
            self.control(now, Control::DropReq(drop));
        }
    }

    fn deliver(&mut self, now: Instant) {
        // A copy (a few words) so that the buffer can be taken from meanwhile.
        let tsbpd = self.tsbpd.clone();
        let drop = self.params.too_late_drop;
        self.release(now, drop, |h: &Held| tsbpd.play_time(h.sent_us));
    }

    /// Everything held, at once, gaps skipped: the peer has gone.
    fn deliver_all(&mut self, now: Instant) {
        self.release(now, true, |_: &Held| now);
    }

    fn release(&mut self, now: Instant, drop: bool, play: impl Fn(&Held) -> Instant) {
        while let Some(ready) = self.recv.pop_ready(now, drop, &play) {
            match ready {
                Ready::Packet(seq, held) => self.outputs.push_back(Output::Event(Event::Data {
                    seq,
                    msg: held.msg,
                    payload: held.payload,
                })),
                Ready::Dropped(first, last) => {
                    self.losses.remove_before(last.next());
                    self.stats.packets_dropped += first.distance_to(last) as u64 + 1;
                    self.outputs
                        .push_back(Output::Event(Event::Dropped { first, last }));
                }
            }
        }
    }

    fn on_control(&mut self, now: Instant, packet: ControlPacket) {
        match packet.control {
            Control::Ack(ack) => self.on_ack(now, ack),
            Control::AckAck { ack_number } => {
                self.on_ackack(now, ack_number, packet.header.timestamp)
            }
            Control::Nak(report) => self.on_nak(now, report),
            Control::DropReq(drop) => self.on_drop_request(drop),
            Control::Shutdown => {
                // What arrived before the shutdown is handed on now rather than lost with
                // the connection (libsrt discards it): a publisher's last frames.
                self.deliver_all(now);
                self.close(CloseReason::Shutdown);
            }
            Control::PeerError { code } => self.close(CloseReason::PeerError(code)),
            Control::Handshake(_) => {
                if let Some(reply) = self.handshake_reply.clone() {
                    self.outputs.push_back(Output::Transmit(reply));
                    self.last_sent = now;
                }
            }
            Control::UserDefined {
                subtype: 3, body, ..
            } => self.on_key_refresh(now, &body),
            // The peer's KMRSP to our refresh: it has the new keys.
            Control::UserDefined { subtype: 4, .. } => self.km_pending = None,
            Control::KeepAlive | Control::CongestionWarning | Control::UserDefined { .. } => {}
        }
    }

    /// The peer's key refresh: take its new keys and echo the KMREQ as a KMRSP.
    fn on_key_refresh(&mut self, now: Instant, body: &[u8]) {
        let Some(crypto) = self.crypto.as_mut() else {
            return;
        };
        let mut violations = Vec::new();
        let answer = crypto.update(body, &mut violations);
        for v in violations {
            self.outputs.push_back(Output::Violation(v));
        }
        match answer {
            Ok(body) => self.control(
                now,
                Control::UserDefined {
                    subtype: 4,
                    type_specific: 0,
                    body,
                },
            ),
            Err(e) => {
                if let Some(v) = e.into_violation() {
                    self.outputs.push_back(Output::Violation(v));
                }
            }
        }
    }

    /// A full ACK each tick while it acknowledges something new; the same number again only
    /// while the peer has not confirmed it and RTT + 4 × RTTVar have passed since (libsrt's
    /// restraint: a stalled acknowledgement point is not repeated a hundred times a second).
    fn full_ack_due(&self, now: Instant) -> bool {
        let number = self.recv.ack_number();
        if number == self.confirmed {
            return false;
        }
        let wait = u64::from(self.rtt.rtt()) + 4 * u64::from(self.rtt.var());
        number != self.last_acked
            || now.saturating_duration_since(self.last_full_ack) >= Duration::from_micros(wait)
    }

    /// Every SYN: the full ACK, the periodic NAK, the sender's drops and keep-alive.
    fn tick(&mut self, now: Instant) {
        if self.full_ack_due(now) {
            self.full_ack(now);
        }
        // A loss is named again each NAK period (draft §4.8.2), and each tick once its play
        // time is less than two round trips away: the last chances to bring it in time are
        // worth a duplicate retransmission (at 10 % loss each way, two or three rounds fail
        // for one lost packet in a few hundred).
        let period = Duration::from_micros(self.rtt.nak_period_us());
        let urgent =
            Duration::from_micros(2 * u64::from(self.rtt.rtt()) + 4 * u64::from(self.rtt.var()));
        let (recv, tsbpd) = (&self.recv, &self.tsbpd);
        let due = self.losses.take_due(now, NAK_RANGES, |loss| {
            let play = recv
                .get(loss.last.next())
                .map(|held| tsbpd.play_time(held.sent_us));
            match play {
                Some(play) if play.saturating_duration_since(now) < urgent => SYN,
                _ => period,
            }
        });
        self.nak(now, &due);
        self.expire_sent(now);
        self.resend_kmreq(now);
        self.retransmit_unacknowledged(now);
        self.retransmit_lost(now);
        if now.saturating_duration_since(self.last_sent) >= KEEPALIVE {
            self.control(now, Control::KeepAlive);
        }
    }

    /// [`Machine::handle_input`] for a datagram already in `Bytes`: payloads are views of it,
    /// not copies (the server's receive path).
    pub fn handle_datagram(&mut self, now: Instant, bytes: Bytes) {
        if self.closed {
            return;
        }
        let mut violations = Vec::new();
        let packet = Packet::parse(&bytes, &mut violations);
        for v in violations {
            self.outputs.push_back(Output::Violation(v));
        }
        let packet = match packet {
            Ok(packet) => packet,
            Err(e) => {
                if let Some(v) = e.into_violation() {
                    self.outputs.push_back(Output::Violation(v));
                }
                return;
            }
        };
        let dst = packet.header().dst_socket;
        if dst != self.params.local_socket_id {
            let detail = format!(
                "a packet for socket {dst:#x} on the connection of socket {:#x}",
                self.params.local_socket_id
            );
            self.violation(&CONNECTION_SOCKET_ID, detail);
            return;
        }
        self.last_heard = now;
        match packet {
            Packet::Data(data) => self.on_data(now, data),
            Packet::Control(control) => self.on_control(now, control),
        }
        if !self.closed {
            self.deliver(now);
        }
    }
}

impl Machine for Connection {
    type Event = Event;

    fn handle_input(&mut self, now: Instant, datagram: &[u8]) -> Result<(), Error> {
        self.handle_datagram(now, Bytes::copy_from_slice(datagram));
        Ok(())
    }

    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Event>> {
        self.outputs.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let tsbpd = &self.tsbpd;
        let due = self
            .recv
            .next_due(self.params.too_late_drop, |h: &Held| {
                tsbpd.play_time(h.sent_us)
            })
            .map(|due| match self.next_tick.checked_duration_since(due) {
                Some(early) if early <= self.config.delivery_slack => self.next_tick,
                _ => due,
            });
        let idle = self.last_heard + self.config.idle_timeout;
        let paced = self.pacer.as_ref().and_then(Pacer::next_send);
        [Some(self.next_tick), due, Some(idle), paced]
            .into_iter()
            .flatten()
            .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if now.saturating_duration_since(self.last_heard) >= self.config.idle_timeout {
            self.close(CloseReason::Timeout);
            return;
        }
        self.release_paced(now);
        self.deliver(now);
        if now >= self.next_tick {
            self.tick(now);
            // After a long sleep, start again from now rather than catch up in a burst.
            self.next_tick = if now >= self.next_tick + SYN {
                now + SYN
            } else {
                self.next_tick + SYN
            };
        }
    }
}
