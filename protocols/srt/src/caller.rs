//! The caller's handshake (draft-sharabayko-srt-01 §4.3.1): an induction, then a conclusion
//! with the listener's cookie, HSREQ, the stream id and key material, each sent again every
//! 250 ms until the answer comes or the connect timeout passes.
//!
//! ```text
//! let mut caller = Caller::new(CallerConfig::default(), &mut rng, now);
//! loop {
//!     while let Some(out) = caller.poll_output() {
//!         // Transmit(datagram) to the listener; Event(Established(e)) or Event(Rejected{..})
//!     }
//!     caller.handle_input(now, &datagram)?;   // each datagram from the listener
//!     // or caller.handle_timeout(at) at caller.poll_timeout()
//! }
//! ```

use crate::checks;
use crate::control::{Control, ControlPacket};
use crate::established::{Established, LIVE_FLAGS, SRT_VERSION};
use crate::extension::{Extension, SrtFlags, SrtOptions};
use crate::handshake::{
    EXT_CONFIG, EXT_HSREQ, EXT_KMREQ, Encryption, Handshake, HandshakeType, PeerIp, RejectReason,
    UDT_DGRAM,
};
use crate::packet::{Header, Packet};
use crate::seq::{SeqNumber, Timestamp};
use bytes::Bytes;
use rand_core::RngCore;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use weir_media::{Error, Machine, Output, Violation};

/// What the caller asks for.
#[derive(Debug, Clone)]
pub struct CallerConfig {
    /// The TSBPD delay we want as receiver, milliseconds (libsrt's default 120).
    pub latency_ms: u16,
    /// The TSBPD delay we ask the listener to use as receiver, milliseconds.
    pub peer_latency_ms: u16,
    /// The stream id to send, if any (at most 512 bytes).
    pub stream_id: Option<String>,
    /// A KMREQ body (made by `km`), if the stream is encrypted.
    pub km_request: Option<Bytes>,
    /// The key length announced with the key material.
    pub encryption: Encryption,
    /// Our MTU, bytes.
    pub mtu: u32,
    /// Our flow window, packets.
    pub flow_window: u32,
    /// The listener's address, as the peer address field carries it.
    pub peer_ip: IpAddr,
    /// Our socket id, or `None` to draw one.
    pub socket_id: Option<u32>,
    /// Our first sequence number, or `None` to draw one.
    pub initial_seq: Option<SeqNumber>,
    /// How long to try before giving up (libsrt's default 3 s).
    pub connect_timeout: Duration,
    /// How often an unanswered handshake is sent again (draft §4.3.1: 250 ms).
    pub retransmit: Duration,
}

impl Default for CallerConfig {
    fn default() -> Self {
        CallerConfig {
            latency_ms: 120,
            peer_latency_ms: 120,
            stream_id: None,
            km_request: None,
            encryption: Encryption::NONE,
            mtu: 1500,
            flow_window: 8192,
            peer_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            socket_id: None,
            initial_seq: None,
            connect_timeout: Duration::from_secs(3),
            retransmit: Duration::from_millis(250),
        }
    }
}

/// How the caller's handshake ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerEvent {
    /// The listener accepted; the connection machine starts from here.
    Established(Established),
    /// The listener refused, or the connect timeout passed (reason `TIMEOUT`).
    Rejected {
        /// libsrt's reason.
        reason: RejectReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Induction,
    Conclusion,
    Done,
}

/// A caller's handshake machine; see the [module docs](self).
#[derive(Debug)]
pub struct Caller {
    config: CallerConfig,
    socket_id: u32,
    isn: SeqNumber,
    start: Instant,
    deadline: Instant,
    next_send: Instant,
    state: State,
    last_sent: Bytes,
    outputs: VecDeque<Output<CallerEvent>>,
}

/// A random socket id: nonzero, below 2^30 as libsrt draws them.
pub(crate) fn draw_socket_id(rng: &mut dyn RngCore) -> u32 {
    (rng.next_u32() & 0x3fff_ffff).max(1)
}

impl Caller {
    /// A caller that sends its induction now.
    pub fn new(config: CallerConfig, rng: &mut dyn RngCore, now: Instant) -> Self {
        let socket_id = config.socket_id.unwrap_or_else(|| draw_socket_id(rng));
        let isn = config
            .initial_seq
            .unwrap_or_else(|| SeqNumber::new(rng.next_u32()));
        let mut caller = Caller {
            deadline: now + config.connect_timeout,
            next_send: now,
            config,
            socket_id,
            isn,
            start: now,
            state: State::Induction,
            last_sent: Bytes::new(),
            outputs: VecDeque::new(),
        };
        caller.last_sent = caller.handshake(HandshakeType::Induction, 0);
        caller.send(now);
        caller
    }

    /// Our socket id.
    pub fn socket_id(&self) -> u32 {
        self.socket_id
    }

    fn handshake(&self, kind: HandshakeType, cookie: u32) -> Bytes {
        let mut hs = Handshake {
            version: 4,
            encryption: Encryption::NONE,
            extension_field: UDT_DGRAM,
            initial_seq: self.isn,
            mtu: self.config.mtu,
            flow_window: self.config.flow_window,
            kind,
            socket_id: self.socket_id,
            syn_cookie: cookie,
            peer_ip: PeerIp::from_ip(self.config.peer_ip),
            extensions: Vec::new(),
        };
        if kind == HandshakeType::Conclusion {
            hs.version = 5;
            hs.extensions.push(Extension::HsReq(SrtOptions {
                version: SRT_VERSION,
                flags: LIVE_FLAGS,
                recv_delay_ms: self.config.latency_ms,
                send_delay_ms: self.config.peer_latency_ms,
            }));
            // libsrt's order: HSREQ, stream id, key material.
            if let Some(sid) = &self.config.stream_id {
                hs.extensions.push(Extension::StreamId(sid.clone()));
            }
            if let Some(km) = &self.config.km_request {
                hs.encryption = self.config.encryption;
                hs.extensions.push(Extension::KmReq(km.clone()));
            }
            hs.extension_field = hs.present_flags() & (EXT_HSREQ | EXT_KMREQ | EXT_CONFIG);
        }
        Packet::Control(ControlPacket {
            header: Header {
                timestamp: Timestamp::new(0),
                dst_socket: 0,
            },
            control: Control::Handshake(hs),
        })
        .to_bytes()
    }

    /// Sends the current handshake again, stamped with the time since start.
    fn send(&mut self, now: Instant) {
        let mut bytes = self.last_sent.to_vec();
        let micros = now.saturating_duration_since(self.start).as_micros() as u32;
        bytes[8..12].copy_from_slice(&micros.to_be_bytes());
        self.outputs.push_back(Output::Transmit(bytes.into()));
        self.next_send = now + self.config.retransmit;
    }

    fn finish(&mut self, event: CallerEvent) {
        self.state = State::Done;
        self.outputs.push_back(Output::Event(event));
    }

    fn on_handshake(&mut self, now: Instant, hs: Handshake, timestamp: Timestamp) {
        if let HandshakeType::Rejection(reason) = hs.kind {
            return self.finish(CallerEvent::Rejected { reason });
        }
        match (self.state, hs.kind) {
            (State::Induction, HandshakeType::Induction) => {
                if hs.version < 5 {
                    // An HSv4-only listener: live mode here needs the HSv5 conclusion.
                    return self.finish(CallerEvent::Rejected {
                        reason: RejectReason::VERSION,
                    });
                }
                self.state = State::Conclusion;
                self.last_sent = self.handshake(HandshakeType::Conclusion, hs.syn_cookie);
                self.send(now);
            }
            (State::Conclusion, HandshakeType::Conclusion) => self.conclude(hs, (now, timestamp)),
            // A late copy of an answer we already acted on.
            _ => {}
        }
    }

    fn conclude(&mut self, hs: Handshake, peer_clock: (Instant, Timestamp)) {
        let (options, low) = match checks::conclusion_response(
            &hs,
            self.config.latency_ms,
            self.config.peer_latency_ms,
        ) {
            Ok(judged) => judged,
            Err(v) => {
                self.outputs.push_back(Output::Violation(v));
                return self.finish(CallerEvent::Rejected {
                    reason: RejectReason::ROGUE,
                });
            }
        };
        if let Some(v) = low {
            self.outputs.push_back(Output::Violation(v));
        }
        let (recv, send) = (options.send_delay_ms, options.recv_delay_ms);
        let established = Established {
            local_socket_id: self.socket_id,
            peer_socket_id: hs.socket_id,
            send_isn: self.isn,
            recv_isn: hs.initial_seq,
            recv_latency_ms: recv,
            send_latency_ms: send,
            peer_version: options.version,
            peer_flags: SrtFlags(options.flags.0),
            mtu: self.config.mtu.min(hs.mtu),
            flow_window: hs.flow_window,
            stream_id: self.config.stream_id.clone(),
            km_request: self.config.km_request.clone(),
            km_response: hs.key_material().cloned(),
            encryption: self.config.encryption,
            start: self.start,
            peer_clock,
        };
        self.finish(CallerEvent::Established(established));
    }
}

impl Machine for Caller {
    type Event = CallerEvent;

    /// One datagram from the listener. A datagram that does not parse is reported as a
    /// violation and dropped: UDP may carry anything.
    fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error> {
        if self.state == State::Done {
            return Ok(());
        }
        let mut violations = Vec::new();
        let packet = Packet::parse(&Bytes::copy_from_slice(input), &mut violations);
        for v in violations {
            self.outputs.push_back(Output::Violation(v));
        }
        match packet {
            Ok(Packet::Control(ControlPacket {
                header,
                control: Control::Handshake(hs),
            })) if header.dst_socket == self.socket_id => {
                self.on_handshake(now, hs, header.timestamp)
            }
            Ok(_) => {}
            Err(e) => {
                if let Some(rule) = e.rule {
                    self.outputs
                        .push_back(Output::Violation(Violation::new(rule, e.offset, e.detail)));
                }
            }
        }
        Ok(())
    }

    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<CallerEvent>> {
        self.outputs.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Done => None,
            _ => Some(self.next_send.min(self.deadline)),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Done {
            return;
        }
        if now >= self.deadline {
            self.finish(CallerEvent::Rejected {
                reason: RejectReason::TIMEOUT,
            });
        } else if now >= self.next_send {
            self.send(now);
        }
    }
}
