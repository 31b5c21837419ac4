//! Drivers shared by the handshake tests: a caller and a listener talking through memory, and
//! handshakes built by hand to send a listener.

#![allow(dead_code)]

use bytes::Bytes;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use weir_media::{Machine, Output};
use weir_srt::extension::SrtFlags;
use weir_srt::handshake::{Encryption, PeerIp, UDT_DGRAM};
use weir_srt::{
    Caller, CallerConfig, CallerEvent, Control, ControlPacket, Extension, Handshake, HandshakeType,
    Header, Listener, ListenerConfig, ListenerEvent, ListenerOutput, Packet, SeqNumber, SrtOptions,
};
use weir_testkit::SeededRng;

pub const CALLER: &str = "127.0.0.1:40000";
pub const SECRET: [u8; 16] = *b"weir cookie key!";

pub fn addr() -> SocketAddr {
    CALLER.parse().unwrap()
}

pub fn listener(config: ListenerConfig, now: Instant) -> Listener {
    Listener::new(config, SECRET, Box::new(SeededRng::new(7)), now)
}

/// Everything the listener put out, split: datagrams sent, events, violation rule ids.
#[derive(Debug, Default)]
pub struct Drained {
    pub sent: Vec<Bytes>,
    pub events: Vec<ListenerEvent>,
    pub violations: Vec<&'static str>,
}

pub fn drain(listener: &mut Listener) -> Drained {
    let mut d = Drained::default();
    while let Some(out) = listener.poll_output() {
        match out {
            ListenerOutput::Transmit { bytes, .. } => d.sent.push(bytes),
            ListenerOutput::Event(e) => d.events.push(e),
            ListenerOutput::Violation { violation, .. } => d.violations.push(violation.rule.id),
        }
    }
    d
}

/// The caller's outputs, split the same way.
#[derive(Debug, Default)]
pub struct CallerDrained {
    pub sent: Vec<Bytes>,
    pub events: Vec<CallerEvent>,
    pub violations: Vec<&'static str>,
}

pub fn drain_caller(caller: &mut Caller) -> CallerDrained {
    let mut d = CallerDrained::default();
    while let Some(out) = caller.poll_output() {
        match out {
            Output::Transmit(bytes) => d.sent.push(bytes),
            Output::Event(e) => d.events.push(e),
            Output::Violation(v) => d.violations.push(v.rule.id),
        }
    }
    d
}

/// Runs a caller against a listener through memory; the listener's application answers
/// each request with `decide`. Returns both sides' events and violations.
pub fn connect(
    caller_config: CallerConfig,
    listener_config: ListenerConfig,
    mut decide: impl FnMut(&mut Listener, Instant, &weir_srt::ConnectionRequest),
) -> (CallerDrained, Drained) {
    let now = Instant::now();
    let mut listener = listener(listener_config, now);
    let mut rng = SeededRng::new(1);
    let mut caller = Caller::new(caller_config, &mut rng, now);
    let mut caller_all = CallerDrained::default();
    let mut listener_all = Drained::default();
    let mut t = now;
    for _ in 0..20 {
        let c = drain_caller(&mut caller);
        caller_all.events.extend(c.events);
        caller_all.violations.extend(c.violations);
        for bytes in c.sent {
            listener.handle_input(t, addr(), &bytes);
        }
        let mut l = drain(&mut listener);
        for e in &l.events {
            if let ListenerEvent::Request(r) = e {
                decide(&mut listener, t, r);
            }
        }
        let more = drain(&mut listener);
        l.sent.extend(more.sent);
        l.events.extend(more.events);
        l.violations.extend(more.violations);
        for bytes in &l.sent {
            caller.handle_input(t, bytes).unwrap();
        }
        listener_all.events.extend(l.events);
        listener_all.violations.extend(l.violations);
        listener_all.sent.extend(l.sent);
        if !caller_all.events.is_empty() {
            break;
        }
        t += Duration::from_millis(10);
        if caller.poll_timeout().is_some_and(|at| at <= t) {
            caller.handle_timeout(t);
        }
    }
    (caller_all, listener_all)
}

/// A handshake a caller might send, as a datagram.
pub fn handshake_bytes(hs: Handshake) -> Bytes {
    Packet::Control(ControlPacket {
        header: Header::default(),
        control: Control::Handshake(hs),
    })
    .to_bytes()
}

pub fn induction_request() -> Handshake {
    Handshake {
        version: 4,
        encryption: Encryption::NONE,
        extension_field: UDT_DGRAM,
        initial_seq: SeqNumber::new(1000),
        mtu: 1500,
        flow_window: 8192,
        kind: HandshakeType::Induction,
        socket_id: 0x1234,
        syn_cookie: 0,
        peer_ip: PeerIp::default(),
        extensions: vec![],
    }
}

pub fn hsreq(recv: u16, send: u16) -> Extension {
    Extension::HsReq(SrtOptions {
        version: 0x010501,
        flags: SrtFlags(0xbf),
        recv_delay_ms: recv,
        send_delay_ms: send,
    })
}

/// The cookie `listener` gives `addr()` now: from its induction answer.
pub fn cookie(listener: &mut Listener, now: Instant) -> u32 {
    listener.handle_input(now, addr(), &handshake_bytes(induction_request()));
    let d = drain(listener);
    let mut v = Vec::new();
    match Packet::parse(&d.sent[0], &mut v).unwrap() {
        Packet::Control(ControlPacket {
            control: Control::Handshake(hs),
            ..
        }) => hs.syn_cookie,
        other => panic!("{other:?}"),
    }
}

/// A version-5 conclusion with `extensions` and the listener's cookie.
pub fn conclusion(cookie: u32, extensions: Vec<Extension>) -> Handshake {
    let mut hs = Handshake {
        version: 5,
        kind: HandshakeType::Conclusion,
        syn_cookie: cookie,
        extensions,
        ..induction_request()
    };
    hs.extension_field = hs.present_flags();
    hs
}
