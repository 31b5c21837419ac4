//! The corpus's SRT packets: the srt-rs wire vectors (single control packets that srt-rs's
//! tests took from libsrt, stransmit and FFmpeg) parse to the values their names promise and
//! write back byte-identical; every UDP payload of the three ffmpeg → srt-live-transmit
//! captures parses without error and round-trips byte-identical. Counts pinned from tshark
//! (`tshark -r FILE -d udp.port==9000,srt`) and the captures' README.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use weir_capture::flow::CaptureEvents;
use weir_capture::{FlowEvent, Limits};
use weir_srt::extension::SrtFlags;
use weir_srt::handshake::{EXT_CONFIG, EXT_HSREQ, EXT_KMREQ, Encryption, PeerIp, SRT_MAGIC};
use weir_srt::{Control, Extension, HandshakeType, Packet, SeqNumber};
use weir_testkit::corpus;

/// Parses a vector, checks it writes back byte-identical and has no violations.
fn vector(name: &str) -> Packet {
    let bytes = Bytes::from(corpus::read(&format!("srt/srt-rs-wire-vectors/{name}.bin")));
    let mut violations = Vec::new();
    let packet = Packet::parse(&bytes, &mut violations).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(violations, vec![], "{name}");
    assert_eq!(
        packet.to_bytes(),
        bytes,
        "{name} writes back byte-identical"
    );
    packet
}

fn handshake(packet: Packet) -> weir_srt::Handshake {
    match packet {
        Packet::Control(c) => match c.control {
            Control::Handshake(hs) => hs,
            other => panic!("not a handshake: {other:?}"),
        },
        other => panic!("not control: {other:?}"),
    }
}

#[test]
fn srt_rs_conclusion_with_hsreq_and_key_material() {
    let hs = handshake(vector("raw_handshake_crypto"));
    assert_eq!(hs.version, 5);
    assert_eq!(hs.kind, HandshakeType::Conclusion);
    assert_eq!(hs.extension_field, EXT_HSREQ | EXT_KMREQ);
    assert_eq!(hs.mtu, 1500);
    assert_eq!(hs.flow_window, 8192);
    assert_eq!(hs.peer_ip, PeerIp::from_ip("127.0.0.1".parse().unwrap()));
    let options = hs.srt_options().unwrap();
    assert_eq!(options.version, 0x01_03_01);
    assert!(options.flags.has(SrtFlags::CRYPT | SrtFlags::TSBPDRCV));
    assert_eq!((options.recv_delay_ms, options.send_delay_ms), (500, 500));
    assert_eq!(hs.key_material().unwrap().len(), 14 * 4);
    assert!(matches!(hs.extensions[1], Extension::KmReq(_)));

    let hs = handshake(vector("raw_handshake_crypto_pt2"));
    assert!(matches!(hs.extensions[0], Extension::HsRsp(_)));
    assert!(matches!(hs.extensions[1], Extension::KmRsp(_)));
    assert_eq!(hs.srt_options().unwrap().recv_delay_ms, 1000);
}

#[test]
fn srt_rs_ipv6_induction_keeps_the_address_words() {
    let hs = handshake(vector("raw_handshake_ipv6"));
    assert_eq!((hs.version, hs.kind), (4, HandshakeType::Induction));
    assert_eq!(hs.extension_field, 2);
    assert_eq!(
        hs.peer_ip.to_ip(),
        "::1".parse::<std::net::IpAddr>().unwrap()
    );
    assert!(hs.extensions.is_empty());
}

#[test]
fn srt_rs_stream_ids_are_word_reversed() {
    let hs = handshake(vector("raw_handshake_sid"));
    assert_eq!(hs.stream_id(), Some("abcdefghij"));
    assert_eq!(hs.extension_field, EXT_HSREQ | EXT_CONFIG);
    let hs = handshake(vector("test_unordered_hs_extensions"));
    assert_eq!(hs.stream_id(), Some("#!::u=hex"));
    assert_eq!(hs.encryption, Encryption::AES_256);
    assert!(matches!(hs.extensions[0], Extension::HsReq(_)));
    assert!(matches!(hs.extensions[2], Extension::KmReq(_)));
}

#[test]
fn srt_rs_hsreq_only_and_user_defined_and_small_ack() {
    let hs = handshake(vector("raw_handshake_srt"));
    assert_eq!(hs.srt_options().unwrap().recv_delay_ms, 120);
    match vector("raw_srt_packet_test") {
        Packet::Control(c) => {
            assert_eq!(c.header.dst_socket, 0x2bff_eff2);
            assert_eq!(c.header.timestamp.get(), 100_720);
            let Control::UserDefined { subtype, body, .. } = c.control else {
                panic!("{:?}", c.control)
            };
            assert_eq!((subtype, body.len()), (0, 12));
        }
        other => panic!("{other:?}"),
    }
    match vector("short_ack") {
        Packet::Control(c) => {
            let Control::Ack(ack) = c.control else {
                panic!("{:?}", c.control)
            };
            assert_eq!(ack.ack_number, 14);
            assert_eq!(ack.last_ack, SeqNumber::new(0x389c_2478));
            let timing = ack.timing.unwrap();
            assert_eq!(
                (timing.rtt, timing.rtt_variance, timing.available_buffer),
                (0x4529, 0x7bb0, 0x1fa9)
            );
            assert_eq!(ack.rates, None);
        }
        other => panic!("{other:?}"),
    }
}

/// What one capture's UDP payloads parsed to.
#[derive(Debug, Default)]
struct Tally {
    by_type: BTreeMap<&'static str, usize>,
    retransmitted: usize,
    lost_reported: u64,
    stream_ids: Vec<String>,
    key_material: usize,
    violations: BTreeMap<&'static str, usize>,
}

fn tally(name: &str) -> Tally {
    let path = corpus::path(&format!("srt/locally_generated/{name}.pcapng"));
    let file = BufReader::new(File::open(path).unwrap());
    let mut tally = Tally::default();
    for event in CaptureEvents::new(file, Limits::default()).unwrap() {
        let FlowEvent::Datagram { bytes, .. } = event.unwrap().event else {
            continue;
        };
        let mut violations = Vec::new();
        let packet = Packet::parse(&bytes, &mut violations)
            .unwrap_or_else(|e| panic!("{name}: {e} in {bytes:02x?}"));
        assert_eq!(
            packet.to_bytes(),
            bytes,
            "{name}: writes back byte-identical"
        );
        for v in violations {
            *tally.violations.entry(v.rule.id).or_default() += 1;
        }
        let kind = match packet {
            Packet::Data(data) => {
                tally.retransmitted += usize::from(data.retransmitted);
                "data"
            }
            Packet::Control(c) => match c.control {
                Control::Handshake(hs) => {
                    if let Some(sid) = hs.stream_id() {
                        tally.stream_ids.push(sid.to_owned());
                    }
                    tally.key_material += usize::from(hs.key_material().is_some());
                    if hs.kind == HandshakeType::Induction && hs.version == 5 {
                        assert_eq!(hs.extension_field, SRT_MAGIC);
                    }
                    "handshake"
                }
                Control::KeepAlive => "keepalive",
                Control::Ack(_) => "ack",
                Control::Nak(list) => {
                    tally.lost_reported += list.lost();
                    "nak"
                }
                Control::Shutdown => "shutdown",
                Control::AckAck { .. } => "ackack",
                other => panic!("unexpected {other:?}"),
            },
        };
        *tally.by_type.entry(kind).or_default() += 1;
    }
    tally
}

#[test]
fn plain_capture_parses_and_round_trips() {
    let t = tally("srt_ffmpeg_caller_to_slt_listener_plain");
    let counts: Vec<_> = t.by_type.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        counts,
        [
            ("ack", 108),
            ("ackack", 108),
            ("data", 159),
            ("handshake", 4),
            ("shutdown", 1)
        ]
    );
    // ffmpeg 5.1 sends the URL-encoded form (see the captures' README).
    assert_eq!(t.stream_ids, ["%23!::r=live/test,m=publish"]);
    assert_eq!(t.violations, BTreeMap::new());
}

#[test]
fn encrypted_capture_carries_key_material_both_ways() {
    let t = tally("srt_ffmpeg_caller_to_slt_listener_aes128");
    assert_eq!(t.by_type["handshake"], 4);
    assert_eq!(
        t.key_material, 2,
        "KMREQ in the conclusion, KMRSP in its answer"
    );
    assert_eq!(t.violations, BTreeMap::new());
}

#[test]
fn lossy_capture_reports_and_retransmits_seven_packets() {
    let t = tally("srt_ffmpeg_caller_to_slt_listener_loss_nak");
    assert_eq!(t.by_type["nak"], 7);
    assert_eq!(t.lost_reported, 7);
    assert_eq!(t.retransmitted, 7);
    assert_eq!(t.violations, BTreeMap::new());
}
