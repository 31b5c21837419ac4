//! Write then parse gives back every structure (proptest), and parse then write gives back
//! the bytes of any datagram that parses (the encoding is canonical for what libsrt sends).

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use weir_srt::ack::{AckRates, AckTiming};
use weir_srt::data::{KeyFlags, Position};
use weir_srt::dropreq::DropRequest;
use weir_srt::handshake::{Encryption, PeerIp};
use weir_srt::nak::LossRange;
use weir_srt::{
    Ack, Control, ControlPacket, DataPacket, Extension, Handshake, HandshakeType, Header, LossList,
    MsgNumber, Packet, RejectReason, SeqNumber, SrtFlags, SrtOptions, Timestamp,
};

fn header() -> impl Strategy<Value = Header> {
    (any::<u32>(), any::<u32>()).prop_map(|(t, dst_socket)| Header {
        timestamp: Timestamp::new(t),
        dst_socket,
    })
}

fn seq() -> impl Strategy<Value = SeqNumber> {
    (0..=SeqNumber::MAX).prop_map(SeqNumber::new)
}

fn data() -> impl Strategy<Value = Packet> {
    (
        header(),
        seq(),
        0u32..4,
        any::<bool>(),
        0u32..3,
        any::<bool>(),
        0..=MsgNumber::MAX,
        vec(any::<u8>(), 1..64),
    )
        .prop_map(
            |(header, seq, pp, in_order, kk, retransmitted, msg, payload)| {
                Packet::Data(DataPacket {
                    header,
                    seq,
                    position: Position::from_bits(pp),
                    in_order,
                    key: KeyFlags::from_bits(kk),
                    retransmitted,
                    msg: MsgNumber::new(msg),
                    payload: payload.into(),
                })
            },
        )
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9#!:=,/%é]{0,40}"
}

fn extension() -> impl Strategy<Value = Extension> {
    let options =
        (any::<u32>(), 0u32..256, any::<u16>(), any::<u16>()).prop_map(|(v, f, r, s)| SrtOptions {
            version: v,
            flags: SrtFlags(f),
            recv_delay_ms: r,
            send_delay_ms: s,
        });
    let words = vec(any::<u8>(), 1..16).prop_map(|mut b| {
        b.resize(b.len().div_ceil(4) * 4, 0);
        Bytes::from(b)
    });
    prop_oneof![
        options.clone().prop_map(Extension::HsReq),
        options.prop_map(Extension::HsRsp),
        words.clone().prop_map(Extension::KmReq),
        words.clone().prop_map(Extension::KmRsp),
        text().prop_map(Extension::StreamId),
        Just(Extension::Congestion("live".into())),
        text().prop_map(Extension::Filter),
        words.clone().prop_map(Extension::Group),
        (9u16..100, words).prop_map(|(typ, body)| Extension::Unknown { typ, body }),
    ]
}

fn handshake() -> impl Strategy<Value = Handshake> {
    let kind = prop_oneof![
        Just(HandshakeType::Wavehand),
        Just(HandshakeType::Induction),
        Just(HandshakeType::Conclusion),
        Just(HandshakeType::Agreement),
        Just(HandshakeType::Done),
        (0u32..3000).prop_map(|r| HandshakeType::Rejection(RejectReason(r))),
    ];
    (
        (
            4u32..=5,
            0u16..5,
            any::<u16>(),
            seq(),
            any::<u32>(),
            any::<u32>(),
        ),
        (kind, any::<u32>(), any::<u32>(), any::<[u8; 16]>()),
        vec(extension(), 0..4),
    )
        .prop_map(
            |(
                (version, enc, ext, initial_seq, mtu, flow_window),
                (kind, socket_id, syn_cookie, ip),
                extensions,
            )| Handshake {
                version,
                encryption: Encryption(enc),
                extension_field: ext,
                initial_seq,
                mtu,
                flow_window,
                kind,
                socket_id,
                syn_cookie,
                peer_ip: PeerIp(ip),
                extensions,
            },
        )
}

fn ack() -> impl Strategy<Value = Ack> {
    let timing = (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
        |(rtt, rtt_variance, available_buffer)| AckTiming {
            rtt,
            rtt_variance,
            available_buffer,
        },
    );
    let rates = (
        any::<u32>(),
        any::<u32>(),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(packet_rate, link_capacity, receive_rate)| AckRates {
            packet_rate,
            link_capacity,
            receive_rate,
        });
    (
        any::<u32>(),
        seq(),
        proptest::option::of((timing, proptest::option::of(rates))),
    )
        .prop_map(|(ack_number, last_ack, extra)| Ack {
            ack_number,
            last_ack,
            timing: extra.map(|e| e.0),
            rates: extra.and_then(|e| e.1),
        })
}

fn loss_list() -> impl Strategy<Value = LossList> {
    vec((seq(), 0u32..1000), 1..10).prop_map(|ranges| LossList {
        ranges: ranges
            .into_iter()
            .map(|(first, len)| LossRange {
                first,
                last: first.add(len),
            })
            .collect(),
    })
}

fn control() -> impl Strategy<Value = Packet> {
    let body = prop_oneof![
        handshake().prop_map(Control::Handshake),
        Just(Control::KeepAlive),
        ack().prop_map(Control::Ack),
        loss_list().prop_map(Control::Nak),
        Just(Control::CongestionWarning),
        Just(Control::Shutdown),
        any::<u32>().prop_map(|ack_number| Control::AckAck { ack_number }),
        (any::<u32>(), seq(), 0u32..100).prop_map(|(message_number, first, n)| Control::DropReq(
            DropRequest {
                message_number,
                first,
                last: first.add(n),
            }
        )),
        any::<u32>().prop_map(|code| Control::PeerError { code }),
        (any::<u16>(), any::<u32>(), vec(any::<u8>(), 0..32)).prop_map(
            |(subtype, type_specific, body)| Control::UserDefined {
                subtype,
                type_specific,
                body: body.into(),
            }
        ),
    ];
    (header(), body)
        .prop_map(|(header, control)| Packet::Control(ControlPacket { header, control }))
}

proptest! {
    #[test]
    fn every_packet_written_parses_back_to_itself(packet in prop_oneof![data(), control()]) {
        let bytes = packet.to_bytes();
        let parsed = Packet::parse(&bytes, &mut Vec::new()).unwrap();
        prop_assert_eq!(&parsed, &packet);
        prop_assert_eq!(parsed.to_bytes(), bytes);
    }

    #[test]
    fn any_bytes_that_parse_write_back_to_a_packet_that_parses_the_same(
        bytes in vec(any::<u8>(), 0..200), control in any::<bool>()
    ) {
        let mut bytes = bytes;
        if control && !bytes.is_empty() {
            bytes[0] |= 0x80;
            if bytes.len() > 1 { bytes[0] = 0x80; bytes[1] %= 9; }
        }
        if let Ok(packet) = Packet::parse(&Bytes::from(bytes), &mut Vec::new()) {
            let again = Packet::parse(&packet.to_bytes(), &mut Vec::new()).unwrap();
            prop_assert_eq!(again, packet);
        }
    }
}
