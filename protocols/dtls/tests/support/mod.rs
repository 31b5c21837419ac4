//! Builders the DTLS tests share: records, handshake messages and hellos as bytes, and a
//! run of a [`Flow`] over datagrams.
#![allow(dead_code)]

use bytes::Bytes;
use std::time::Instant;
use weir_dtls::extension::{Extension, UseSrtp, types};
use weir_dtls::handshake::Fragment;
use weir_dtls::record::{DTLS_1_2, Record};
use weir_dtls::{ClientHello, ContentType, Event, Flow, Limits, ServerHello, Side};
use weir_media::{Machine, Output, Violation};

/// One record's bytes.
pub fn record(content_type: u8, epoch: u16, sequence: u64, fragment: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Record {
        content_type: ContentType::from_byte(content_type),
        version: DTLS_1_2,
        epoch,
        sequence,
        fragment: Bytes::copy_from_slice(fragment),
    }
    .write(&mut out);
    out
}

/// A whole handshake message as one fragment's bytes.
pub fn message(msg_type: u8, message_seq: u16, body: &[u8]) -> Vec<u8> {
    fragment(msg_type, body.len() as u32, message_seq, 0, body)
}

/// One fragment's bytes.
pub fn fragment(msg_type: u8, length: u32, message_seq: u16, offset: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Fragment {
        msg_type,
        length,
        message_seq,
        offset,
        body: Bytes::copy_from_slice(body),
    }
    .write(&mut out);
    out
}

/// A handshake record holding `message`'s bytes.
pub fn handshake(sequence: u64, message: &[u8]) -> Vec<u8> {
    record(22, 0, sequence, message)
}

/// An extension.
pub fn ext(typ: u16, data: &[u8]) -> Extension {
    Extension {
        typ,
        data: Bytes::copy_from_slice(data),
    }
}

/// use_srtp with `profiles` and no MKI.
pub fn use_srtp(profiles: &[u16]) -> Extension {
    let mut data = Vec::new();
    UseSrtp {
        profiles: profiles.to_vec(),
        mki: Bytes::new(),
    }
    .write(&mut data);
    ext(types::USE_SRTP, &data)
}

/// A WebRTC-like ClientHello: two suites, null compression, extended_master_secret and
/// use_srtp with two profiles.
pub fn client_hello() -> ClientHello {
    ClientHello {
        version: DTLS_1_2,
        random: [7; 32],
        session_id: Bytes::new(),
        cookie: Bytes::new(),
        cipher_suites: vec![0xc02b, 0xc02f],
        compression_methods: Bytes::from_static(&[0]),
        extensions: Some(vec![
            ext(types::EXTENDED_MASTER_SECRET, &[]),
            use_srtp(&[0x0001, 0x0007]),
        ]),
    }
}

/// The ServerHello that answers [`client_hello`] well.
pub fn server_hello() -> ServerHello {
    ServerHello {
        version: DTLS_1_2,
        random: [9; 32],
        session_id: Bytes::new(),
        cipher_suite: 0xc02f,
        compression_method: 0,
        extensions: Some(vec![
            ext(types::EXTENDED_MASTER_SECRET, &[]),
            use_srtp(&[0x0007]),
        ]),
    }
}

/// A datagram with `hello` as handshake message `seq`.
pub fn client_hello_datagram(hello: &ClientHello, seq: u16) -> Vec<u8> {
    let mut body = Vec::new();
    hello.write(&mut body);
    handshake(u64::from(seq), &message(1, seq, &body))
}

/// A datagram with `hello` as handshake message `seq`.
pub fn server_hello_datagram(hello: &ServerHello, seq: u16) -> Vec<u8> {
    let mut body = Vec::new();
    hello.write(&mut body);
    handshake(u64::from(seq), &message(2, seq, &body))
}

/// A fresh flow over `datagrams`, ended: its events and violations.
pub fn run(datagrams: &[(Side, Vec<u8>)]) -> (Vec<Event>, Vec<Violation>) {
    let now = Instant::now();
    let mut flow = Flow::new(Side::Client, Limits::default());
    for (side, d) in datagrams {
        flow.handle_datagram(now, *side, d);
    }
    flow.handle_end(now).unwrap();
    let (mut events, mut violations) = (Vec::new(), Vec::new());
    while let Some(out) = flow.poll_output() {
        match out {
            Output::Event(e) => events.push(e),
            Output::Violation(v) => violations.push(v),
            Output::Transmit(_) => {}
        }
    }
    (events, violations)
}

/// The rule ids `datagrams` break.
pub fn broken(datagrams: &[(Side, Vec<u8>)]) -> Vec<&'static str> {
    run(datagrams).1.iter().map(|v| v.rule.id).collect()
}
