//! The listener's handshake (draft-sharabayko-srt-01 §4.3.1): inductions answered with a SYN
//! cookie and no state kept, conclusions checked against the cookie and handed to the
//! application as a [`ConnectionRequest`] to [`accept`](Listener::accept) or
//! [`reject`](Listener::reject) by id, the answer repeated when a caller sends its
//! conclusion again.
//!
//! One listener serves every caller of a UDP port, so its inputs and outputs carry the
//! peer's address; what it holds is bounded by [`ListenerConfig::backlog`].
//!
//! ```text
//! let mut listener = Listener::new(ListenerConfig::default(), secret, Box::new(rng), now);
//! listener.handle_input(now, from, &datagram);      // datagrams with destination socket 0
//! while let Some(out) = listener.poll_output() {
//!     match out {
//!         ListenerOutput::Transmit { to, bytes } => { /* send */ }
//!         ListenerOutput::Event(ListenerEvent::Request(r)) => listener.accept(now, r.id, None)?,
//!         ListenerOutput::Event(ListenerEvent::Established { from, established }) => {}
//!         ListenerOutput::Event(ListenerEvent::Rejected { from, reason }) => {}
//!         ListenerOutput::Violation { from, violation } => {}
//!     }
//! }
//! ```

use crate::caller::draw_socket_id;
use crate::checks;
use crate::control::{Control, ControlPacket};
use crate::cookie::CookieJar;
use crate::established::{Established, LIVE_FLAGS, SRT_VERSION, negotiate_latency};
use crate::extension::{Extension, SrtFlags, SrtOptions};
use crate::handshake::{
    EXT_HSREQ, EXT_KMREQ, Encryption, Handshake, HandshakeType, PeerIp, RejectReason, SRT_MAGIC,
};
use crate::packet::{Header, Packet};
use crate::rules::HANDSHAKE_COOKIE;
use crate::seq::Timestamp;
use bytes::Bytes;
use rand_core::RngCore;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use weir_media::{Error, Rule, Violation};

/// What the listener offers and how much it holds.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// The TSBPD delay we want as receiver, milliseconds.
    pub latency_ms: u16,
    /// The smallest TSBPD delay we let the caller use as receiver, milliseconds.
    pub peer_latency_ms: u16,
    /// Our MTU, bytes.
    pub mtu: u32,
    /// Our flow window, packets.
    pub flow_window: u32,
    /// The key length announced in induction answers (libsrt announces its pbkeylen).
    pub encryption: Encryption,
    /// Seconds per SYN cookie time bucket; a cookie holds for its bucket and the next.
    pub cookie_bucket_secs: u64,
    /// Requests awaiting the application's answer, at most; more are refused (`BACKLOG`).
    pub backlog: usize,
    /// How long a request may wait for an answer before it is refused (`TIMEOUT`).
    pub request_timeout: Duration,
    /// How long an answer is kept to repeat to a caller that sends its conclusion again.
    pub answer_kept: Duration,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            latency_ms: 120,
            peer_latency_ms: 120,
            mtu: 1500,
            flow_window: 8192,
            encryption: Encryption::NONE,
            cookie_bucket_secs: 60,
            backlog: 64,
            request_timeout: Duration::from_secs(3),
            answer_kept: Duration::from_secs(10),
        }
    }
}

/// Identifies a [`ConnectionRequest`] in [`Listener::accept`] and [`Listener::reject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// A caller concluded with a valid cookie: the application decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRequest {
    /// What to answer with.
    pub id: RequestId,
    /// The caller's address.
    pub from: SocketAddr,
    /// The caller's socket id.
    pub peer_socket_id: u32,
    /// The caller's stream id (parse it with `streamid`).
    pub stream_id: Option<String>,
    /// The caller's KMREQ body (answer it with `km`).
    pub km_request: Option<Bytes>,
    /// The key length the caller announced.
    pub encryption: Encryption,
    /// The caller's SRT options.
    pub options: SrtOptions,
}

/// What the listener tells its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerEvent {
    /// A caller asks to connect.
    Request(ConnectionRequest),
    /// A caller was accepted; its connection machine starts from here.
    Established {
        /// The caller's address.
        from: SocketAddr,
        /// What both sides agreed on.
        established: Established,
    },
    /// A caller was refused (by the application, by a rule, or for the backlog).
    Rejected {
        /// The caller's address.
        from: SocketAddr,
        /// libsrt's reason, as sent.
        reason: RejectReason,
    },
}

/// One output of the listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerOutput {
    /// A datagram to send to `to`.
    Transmit {
        /// The caller's address.
        to: SocketAddr,
        /// The datagram.
        bytes: Bytes,
    },
    /// Something for the application.
    Event(ListenerEvent),
    /// A caller broke a rule (the offset is in its datagram).
    Violation {
        /// The caller's address.
        from: SocketAddr,
        /// What it broke.
        violation: Violation,
    },
}

#[derive(Debug)]
struct Pending {
    id: RequestId,
    from: SocketAddr,
    request: Handshake,
    /// When the conclusion arrived and its timestamp.
    peer_clock: (Instant, Timestamp),
    expires: Instant,
}

#[derive(Debug)]
struct Answer {
    from: SocketAddr,
    caller_socket: u32,
    bytes: Bytes,
    expires: Instant,
}

/// The listener's handshake machine; see the [module docs](self).
pub struct Listener {
    config: ListenerConfig,
    jar: CookieJar,
    start: Instant,
    rng: Box<dyn RngCore + Send>,
    pending: Vec<Pending>,
    answers: VecDeque<Answer>,
    outputs: VecDeque<ListenerOutput>,
    next_id: u64,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("pending", &self.pending.len())
            .field("answers", &self.answers.len())
            .finish_non_exhaustive()
    }
}

impl Listener {
    /// A listener whose cookies are keyed by `secret` and count time from `now`; `rng` draws
    /// the socket ids of accepted connections.
    pub fn new(
        config: ListenerConfig,
        secret: [u8; 16],
        rng: Box<dyn RngCore + Send>,
        now: Instant,
    ) -> Self {
        Listener {
            jar: CookieJar::new(secret, config.cookie_bucket_secs),
            config,
            start: now,
            rng,
            pending: Vec::new(),
            answers: VecDeque::new(),
            outputs: VecDeque::new(),
            next_id: 0,
        }
    }

    /// How many requests await an answer and how many answers are kept: the listener's state.
    pub fn held(&self) -> (usize, usize) {
        (self.pending.len(), self.answers.len())
    }

    fn elapsed_secs(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.start).as_secs()
    }

    fn violation(&mut self, from: SocketAddr, rule: &'static Rule, detail: String) {
        self.outputs.push_back(ListenerOutput::Violation {
            from,
            violation: Violation::new(rule, 0, detail),
        });
    }

    /// One datagram from `from` addressed to socket 0 (the listener). Anything that is not a
    /// caller's handshake is reported if it breaks a rule and otherwise ignored.
    pub fn handle_input(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        let mut violations = Vec::new();
        let packet = Packet::parse(&Bytes::copy_from_slice(datagram), &mut violations);
        for violation in violations {
            self.outputs
                .push_back(ListenerOutput::Violation { from, violation });
        }
        let (hs, timestamp) = match packet {
            Ok(Packet::Control(ControlPacket {
                header,
                control: Control::Handshake(hs),
            })) => (hs, header.timestamp),
            Ok(_) => return,
            Err(e) => {
                if let Some(rule) = e.rule {
                    let violation = Violation::new(rule, e.offset, e.detail);
                    self.outputs
                        .push_back(ListenerOutput::Violation { from, violation });
                }
                return;
            }
        };
        match hs.kind {
            HandshakeType::Induction => self.induction(now, from, hs),
            HandshakeType::Conclusion => self.conclusion(now, from, hs, timestamp),
            kind => {
                if let Some(violation) = checks::listener_type(kind) {
                    self.outputs
                        .push_back(ListenerOutput::Violation { from, violation });
                }
            }
        }
    }

    fn header(&self, now: Instant, dst_socket: u32) -> Header {
        let micros = now.saturating_duration_since(self.start).as_micros() as u32;
        Header {
            timestamp: Timestamp::new(micros),
            dst_socket,
        }
    }

    /// Sends `hs` to the caller at `to` whose socket id is `dst_socket`.
    fn transmit(&mut self, now: Instant, to: SocketAddr, dst_socket: u32, hs: Handshake) -> Bytes {
        let bytes = Packet::Control(ControlPacket {
            header: self.header(now, dst_socket),
            control: Control::Handshake(hs),
        })
        .to_bytes();
        self.outputs.push_back(ListenerOutput::Transmit {
            to,
            bytes: bytes.clone(),
        });
        bytes
    }

    /// Answers an induction with version 5, the SRT magic and the cookie; keeps nothing.
    fn induction(&mut self, now: Instant, from: SocketAddr, request: Handshake) {
        if let Some(v) = checks::induction_request(&request) {
            self.outputs
                .push_back(ListenerOutput::Violation { from, violation: v });
        }
        let cookie = self
            .jar
            .cookie(from, self.jar.bucket(self.elapsed_secs(now)));
        let answer = Handshake {
            version: 5,
            encryption: self.config.encryption,
            extension_field: SRT_MAGIC,
            syn_cookie: cookie,
            peer_ip: PeerIp::from_ip(from.ip()),
            mtu: self.config.mtu,
            flow_window: self.config.flow_window,
            extensions: Vec::new(),
            // The caller's socket id and sequence number are echoed, as libsrt does.
            ..request.clone()
        };
        self.transmit(now, from, request.socket_id, answer);
    }

    fn conclusion(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: Handshake,
        timestamp: Timestamp,
    ) {
        if !self
            .jar
            .check(from, self.elapsed_secs(now), request.syn_cookie)
        {
            // No answer: a conclusion without our cookie gets nothing back.
            return self.violation(
                from,
                &HANDSHAKE_COOKIE,
                format!("conclusion with cookie {:#x}, not ours", request.syn_cookie),
            );
        }
        let caller_socket = request.socket_id;
        if let Some(answer) = self
            .answers
            .iter()
            .find(|a| a.from == from && a.caller_socket == caller_socket)
        {
            let bytes = answer.bytes.clone();
            self.outputs
                .push_back(ListenerOutput::Transmit { to: from, bytes });
            return;
        }
        if self
            .pending
            .iter()
            .any(|p| p.from == from && p.request.socket_id == caller_socket)
        {
            return; // Answered once the application decides.
        }
        let options = match checks::conclusion_request(&request) {
            Ok(options) => options,
            Err(refusal) => {
                if let Some(violation) = refusal.violation {
                    self.outputs
                        .push_back(ListenerOutput::Violation { from, violation });
                }
                return self.refuse(now, from, &request, refusal.reason);
            }
        };
        if self.pending.len() >= self.config.backlog {
            return self.refuse(now, from, &request, RejectReason::BACKLOG);
        }
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let event = ConnectionRequest {
            id,
            from,
            peer_socket_id: caller_socket,
            stream_id: request.stream_id().map(str::to_owned),
            km_request: request.key_material().cloned(),
            encryption: request.encryption,
            options,
        };
        self.pending.push(Pending {
            id,
            from,
            request,
            peer_clock: (now, timestamp),
            expires: now + self.config.request_timeout,
        });
        self.outputs
            .push_back(ListenerOutput::Event(ListenerEvent::Request(event)));
    }

    /// Keeps `bytes` to repeat to a caller that concludes again; the oldest goes first when
    /// more than the backlog's worth are kept.
    fn keep(&mut self, now: Instant, from: SocketAddr, caller_socket: u32, bytes: Bytes) {
        while self.answers.len() >= self.config.backlog.max(1) * 4 {
            self.answers.pop_front();
        }
        self.answers.push_back(Answer {
            from,
            caller_socket,
            bytes,
            expires: now + self.config.answer_kept,
        });
    }

    /// Sends a rejection of `request` for `reason` and reports it.
    fn refuse(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &Handshake,
        reason: RejectReason,
    ) {
        let answer = Handshake {
            version: 5,
            extension_field: 0,
            kind: HandshakeType::Rejection(reason),
            peer_ip: PeerIp::from_ip(from.ip()),
            extensions: Vec::new(),
            ..request.clone()
        };
        let bytes = self.transmit(now, from, request.socket_id, answer);
        self.keep(now, from, request.socket_id, bytes);
        self.outputs
            .push_back(ListenerOutput::Event(ListenerEvent::Rejected {
                from,
                reason,
            }));
    }

    fn take(&mut self, id: RequestId) -> Result<Pending, Error> {
        let at = self
            .pending
            .iter()
            .position(|p| p.id == id)
            .ok_or_else(|| Error::usage(format!("no pending connection request {}", id.0)))?;
        Ok(self.pending.swap_remove(at))
    }

    /// Accepts request `id`, answering with HSRSP (the negotiated latency) and
    /// `km_response` (a KMRSP body from `km`) if given.
    pub fn accept(
        &mut self,
        now: Instant,
        id: RequestId,
        km_response: Option<Bytes>,
    ) -> Result<(), Error> {
        let Pending {
            from,
            request,
            peer_clock,
            ..
        } = self.take(id)?;
        let options = request.srt_options().copied().unwrap_or_default();
        let (recv, send) = negotiate_latency(
            self.config.latency_ms,
            self.config.peer_latency_ms,
            &options,
        );
        let socket_id = draw_socket_id(self.rng.as_mut());
        let mut extensions = vec![Extension::HsRsp(SrtOptions {
            version: SRT_VERSION,
            flags: LIVE_FLAGS,
            recv_delay_ms: recv,
            send_delay_ms: send,
        })];
        if let Some(km) = &km_response {
            extensions.push(Extension::KmRsp(km.clone()));
        }
        let answer = Handshake {
            version: 5,
            encryption: Encryption::NONE,
            extension_field: EXT_HSREQ | if km_response.is_some() { EXT_KMREQ } else { 0 },
            mtu: self.config.mtu.min(request.mtu),
            flow_window: self.config.flow_window,
            socket_id,
            peer_ip: PeerIp::from_ip(from.ip()),
            extensions,
            ..request.clone()
        };
        let bytes = self.transmit(now, from, request.socket_id, answer);
        self.keep(now, from, request.socket_id, bytes);
        let established = Established {
            local_socket_id: socket_id,
            peer_socket_id: request.socket_id,
            // HSv5: both directions start at the caller's initial sequence number.
            send_isn: request.initial_seq,
            recv_isn: request.initial_seq,
            recv_latency_ms: recv,
            send_latency_ms: send,
            peer_version: options.version,
            peer_flags: SrtFlags(options.flags.0),
            mtu: self.config.mtu.min(request.mtu),
            flow_window: request.flow_window,
            stream_id: request.stream_id().map(str::to_owned),
            km_request: request.key_material().cloned(),
            km_response,
            encryption: request.encryption,
            start: now,
            peer_clock,
        };
        self.outputs
            .push_back(ListenerOutput::Event(ListenerEvent::Established {
                from,
                established,
            }));
        Ok(())
    }

    /// Refuses request `id` for `reason` (e.g. `RejectReason(RejectReason::PREDEFINED + 403)`
    /// for a stream id the application does not allow, `BADSECRET` for key material that
    /// does not unwrap).
    pub fn reject(
        &mut self,
        now: Instant,
        id: RequestId,
        reason: RejectReason,
    ) -> Result<(), Error> {
        let Pending { from, request, .. } = self.take(id)?;
        self.refuse(now, from, &request, reason);
        Ok(())
    }

    /// The next output, or `None` once drained.
    pub fn poll_output(&mut self) -> Option<ListenerOutput> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next needed: the first request to
    /// time out or answer to forget.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pending = self.pending.iter().map(|p| p.expires);
        let answers = self.answers.iter().map(|a| a.expires);
        pending.chain(answers).min()
    }

    /// Refuses requests left unanswered too long and forgets old answers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.answers.retain(|a| a.expires > now);
        let expired: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|p| p.expires <= now)
            .map(|p| p.id)
            .collect();
        for id in expired {
            if let Ok(Pending { from, request, .. }) = self.take(id) {
                self.refuse(now, from, &request, RejectReason::TIMEOUT);
            }
        }
    }
}
