//! Every packet rule of the catalog fires on an input made to break it, and the table names
//! every rule, so no rule is one nothing can trigger.

use bytes::{BufMut, Bytes, BytesMut};
use weir_srt::extension::{SrtFlags, types};
use weir_srt::handshake::{EXT_HSREQ, Encryption, PeerIp, SRT_MAGIC};
use weir_srt::{
    Control, ControlPacket, Extension, Handshake, HandshakeType, Header, Packet, SeqNumber,
    SrtOptions, rules,
};

/// The rule ids `bytes` breaks when parsed as a datagram (the error's rule last).
pub fn parse(bytes: &[u8]) -> Vec<&'static str> {
    let mut violations = Vec::new();
    let result = Packet::parse(&Bytes::copy_from_slice(bytes), &mut violations);
    let mut ids: Vec<_> = violations.iter().map(|v| v.rule.id).collect();
    if let Err(e) = result {
        ids.push(e.rule_id());
    }
    ids
}

fn control(control: Control) -> Vec<u8> {
    Packet::Control(ControlPacket {
        header: Header::default(),
        control,
    })
    .to_bytes()
    .to_vec()
}

/// A control packet of raw type `typ` with `type_specific` and `body`.
fn raw_control(typ: u16, subtype: u16, type_specific: u32, body: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    out.put_u16(0x8000 | typ);
    out.put_u16(subtype);
    out.put_u32(type_specific);
    out.put_u64(0);
    out.put_slice(body);
    out.to_vec()
}

fn conclusion(extensions: Vec<Extension>) -> Handshake {
    let mut hs = Handshake {
        version: 5,
        encryption: Encryption::NONE,
        extension_field: 0,
        initial_seq: SeqNumber::new(7),
        mtu: 1500,
        flow_window: 8192,
        kind: HandshakeType::Conclusion,
        socket_id: 1,
        syn_cookie: 2,
        peer_ip: PeerIp::default(),
        extensions,
    };
    hs.extension_field = hs.present_flags();
    hs
}

fn hs(hs: Handshake) -> Vec<u8> {
    control(Control::Handshake(hs))
}

fn hsreq() -> Extension {
    Extension::HsReq(SrtOptions {
        version: 0x010501,
        flags: SrtFlags(0xbf),
        recv_delay_ms: 120,
        send_delay_ms: 120,
    })
}

/// A conclusion whose one extension is `typ` with raw `body`.
fn with_raw_extension(typ: u16, body: &[u8]) -> Vec<u8> {
    let mut bytes = hs(conclusion(vec![Extension::Unknown {
        typ,
        body: Bytes::copy_from_slice(body),
    }]));
    bytes[16 + 6..16 + 8].copy_from_slice(&[0, 4 | 1]);
    bytes
}

fn data(word2: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    out.put_u32(1);
    out.put_u32(word2);
    out.put_u64(0);
    out.put_slice(payload);
    out.to_vec()
}

#[test]
fn every_packet_rule_fires_on_an_input_that_breaks_it() {
    let good = hs(conclusion(vec![hsreq()]));
    assert_eq!(parse(&good), Vec::<&str>::new());
    let tweak = |at: usize, bytes: &[u8]| {
        let mut b = good.clone();
        b[16 + at..16 + at + bytes.len()].copy_from_slice(bytes);
        b
    };
    let induction = |version: u32, ext: u16| {
        let mut h = conclusion(vec![]);
        h.kind = HandshakeType::Induction;
        h.version = version;
        h.extension_field = ext;
        hs(h)
    };
    let mut long_sid = conclusion(vec![Extension::StreamId("s".repeat(513))]);
    long_sid.extension_field = EXT_HSREQ | 4;
    long_sid.extensions.insert(0, hsreq());
    let mut twice = conclusion(vec![hsreq(), hsreq()]);
    twice.extension_field = EXT_HSREQ;
    let mut ext_in_induction = conclusion(vec![hsreq()]);
    ext_in_induction.kind = HandshakeType::Induction;
    ext_in_induction.extension_field = SRT_MAGIC;
    let mut sid_with_zero = hs(conclusion(vec![
        hsreq(),
        Extension::StreamId("abcdefgh".into()),
    ]));
    let n = sid_with_zero.len();
    sid_with_zero[n - 8] = 0; // 'd' of the first word: a zero inside the text
    let mut not_utf8 = hs(conclusion(vec![
        hsreq(),
        Extension::StreamId("abcd".into()),
    ]));
    let n = not_utf8.len();
    not_utf8[n - 1] = 0xff;

    let table: Vec<(&str, Vec<&str>)> = vec![
        ("srt.packet.truncated", parse(&good[..15])),
        ("srt.packet.truncated", parse(&data(0, b"x")[..12])),
        ("srt.data.key-flags", parse(&data(3 << 27, b"x"))),
        ("srt.data.empty", parse(&data(0, b""))),
        ("srt.control.type", parse(&raw_control(9, 0, 0, &[0; 4]))),
        ("srt.control.subtype", parse(&raw_control(1, 3, 0, &[0; 4]))),
        ("srt.handshake.truncated", parse(&good[..16 + 47])),
        ("srt.handshake.version", parse(&tweak(0, &[0, 0, 0, 6]))),
        ("srt.handshake.encryption", parse(&tweak(4, &[0, 1]))),
        ("srt.handshake.type", parse(&tweak(20, &[0, 0, 0, 9]))),
        ("srt.handshake.induction-magic", parse(&induction(5, 0))),
        ("srt.handshake.induction-request", parse(&induction(4, 0))),
        ("srt.handshake.sequence", parse(&tweak(8, &[0x80, 0, 0, 1]))),
        ("srt.handshake.mtu", parse(&tweak(12, &[0, 0, 0, 75]))),
        (
            "srt.handshake.flow-window",
            parse(&tweak(16, &[0, 0, 0, 0])),
        ),
        (
            "srt.handshake.extension-truncated",
            parse(&good[..good.len() - 1]),
        ),
        (
            "srt.handshake.extension-truncated",
            parse(&good[..16 + 48 + 2]),
        ),
        ("srt.handshake.extension-flags", parse(&tweak(6, &[0, 5]))),
        (
            "srt.handshake.extension-placement",
            parse(&hs(ext_in_induction)),
        ),
        ("srt.extension.duplicate", parse(&hs(twice))),
        (
            "srt.hsreq.length",
            parse(&with_raw_extension(types::HSREQ, &[0; 8])),
        ),
        (
            "srt.hsreq.flags",
            parse(&with_raw_extension(
                types::HSRSP,
                &[0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            )),
        ),
        (
            "srt.extension.km-empty",
            parse(&with_raw_extension(types::KMREQ, &[])),
        ),
        ("srt.sid.length", parse(&hs(long_sid))),
        ("srt.sid.utf8", parse(&not_utf8)),
        ("srt.sid.padding", parse(&sid_with_zero)),
        (
            "srt.congestion.name",
            parse(&with_raw_extension(types::CONGESTION, b"tsaf")),
        ),
        ("srt.ack.length", parse(&raw_control(2, 0, 1, &[0; 8]))),
        (
            "srt.ack.sequence",
            parse(&raw_control(2, 0, 1, &[0x80, 0, 0, 0])),
        ),
        ("srt.nak.length", parse(&raw_control(3, 0, 0, &[]))),
        ("srt.nak.length", parse(&raw_control(3, 0, 0, &[0, 0, 1]))),
        (
            "srt.nak.dangling-range",
            parse(&raw_control(3, 0, 0, &[0x80, 0, 0, 1])),
        ),
        (
            "srt.nak.dangling-range",
            parse(&raw_control(3, 0, 0, &[0x80, 0, 0, 1, 0x80, 0, 0, 2])),
        ),
        (
            "srt.nak.range-order",
            parse(&raw_control(3, 0, 0, &[0x80, 0, 0, 9, 0, 0, 0, 2])),
        ),
        ("srt.dropreq.length", parse(&raw_control(7, 0, 0, &[0; 4]))),
        (
            "srt.dropreq.range-order",
            parse(&raw_control(7, 0, 0, &[0, 0, 0, 9, 0, 0, 0, 2])),
        ),
    ];
    // The key material's, the encryption's and the connection's rules have their own
    // tables, in `tests/km.rs` and `tests/connection.rs`.
    let elsewhere = ["srt.km.", "srt.crypto.", "srt.connection."];
    let packet_rules: Vec<_> = rules::CATALOG
        .iter()
        .copied()
        .filter(|r| !elsewhere.iter().any(|area| r.id.starts_with(area)))
        .collect();
    weir_testkit::rule_table::check(&packet_rules, &table);
}
