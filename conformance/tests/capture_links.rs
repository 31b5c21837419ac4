//! Hand-built packets through the whole reader: one pcapng file with an interface per link
//! type (Ethernet with 802.1Q, Linux SLL and SLL2, BSD loopback, raw IP, an unknown one),
//! each with its own timestamp resolution; IPv4 fragments, IPv6 extension headers and a GTP-U
//! tunnel. `WEIR_DUMP_CAPTURE=FILE` writes the file, to check it with tshark.

use std::net::SocketAddr;
use std::time::Duration;

use weir_conformance::capture::flow::CaptureEvents;
use weir_conformance::capture::{Direction, Event, FlowEvent, Limits, Transport};

mod support;
use support::packets::{be16, block, ethernet, interface, ipv4, ipv6, packet, tcp, udp};

fn capture() -> Vec<u8> {
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend((-1i64).to_le_bytes());
    let mut file = block(0x0A0D_0D0A, &shb);
    file.extend(interface(1, None)); // 0: Ethernet, microseconds
    file.extend(interface(113, Some(9))); // 1: SLL, nanoseconds
    file.extend(interface(276, Some(3))); // 2: SLL2, milliseconds
    file.extend(interface(0, Some(0x80 | 10))); // 3: NULL, 1/1024 s
    file.extend(interface(101, None)); // 4: raw IP
    file.extend(interface(147, None)); // 5: a private link type

    let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let t0 = 1_700_000_000u64;
    // 1. VLAN 42 Ethernet: TCP SYN 10.0.0.1:50000 -> 10.0.0.2:1935, then 3 bytes.
    let syn = ipv4(6, a, b, 1, 0, &tcp(50000, 1935, 999, 0x02, b""));
    file.extend(packet(0, t0 * 1_000_000, &ethernet(Some(42), 0x0800, &syn)));
    let data = ipv4(6, a, b, 2, 0, &tcp(50000, 1935, 1000, 0x18, b"\x03ab"));
    file.extend(packet(
        0,
        t0 * 1_000_000 + 250_000,
        &ethernet(Some(42), 0x0800, &data),
    ));
    // 3. SLL: UDP 10.0.0.2:5004 -> 10.0.0.1:6000 (server port 5004 is not a hint: first
    // sender is the client).
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    sll.extend(be16(0x0800));
    sll.extend(ipv4(17, b, a, 3, 0, &udp(5004, 6000, b"sll")));
    file.extend(packet(1, t0 * 1_000_000_000 + 5, &sll));
    // 4. SLL2: IPv6 with a destination options header, UDP 2001:db8::1:7000 -> ::2:8000.
    let mut sll2 = be16(0x86DD).to_vec();
    sll2.extend([0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
    let mut ext = vec![17, 0, 1, 4, 0, 0, 0, 0];
    ext.extend(udp(7000, 8000, b"sll2"));
    sll2.extend(ipv6(60, 1, 2, &ext));
    file.extend(packet(2, t0 * 1000 + 7, &sll2));
    // 5. NULL (little-endian AF_INET): TCP data mid-stream from the server port 1935.
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend(ipv4(6, b, a, 4, 0, &tcp(1935, 50001, 77, 0x18, b"srv")));
    file.extend(packet(3, t0 << 10 | 512, &null));
    // 6-7. Raw IP: one UDP datagram in two IPv4 fragments, last fragment first.
    let whole = udp(40000, 40001, b"0123456789abcdef");
    let (first, last) = whole.split_at(16);
    file.extend(packet(4, t0 * 1_000_000 + 3, &ipv4(17, a, b, 77, 2, last)));
    file.extend(packet(
        4,
        t0 * 1_000_000 + 4,
        &ipv4(17, a, b, 77, 0x2000, first),
    ));
    // 8. GTP-U on Ethernet: UDP 2152 around IPv4 UDP 192.0.2.1:4000 -> 192.0.2.2:4001.
    let inner = ipv4(
        17,
        [192, 0, 2, 1],
        [192, 0, 2, 2],
        5,
        0,
        &udp(4000, 4001, b"in"),
    );
    let mut gtp = vec![0x30, 0xff];
    gtp.extend(be16(inner.len() as u16));
    gtp.extend([0, 0, 0, 9]);
    gtp.extend(&inner);
    let outer = ipv4(
        17,
        [172, 16, 0, 1],
        [172, 16, 0, 2],
        6,
        0,
        &udp(2152, 2152, &gtp),
    );
    file.extend(packet(
        0,
        t0 * 1_000_000 + 8,
        &ethernet(None, 0x0800, &outer),
    ));
    // 9. ARP on Ethernet, 10. a frame of the private link type, 11. ICMP on raw IP.
    file.extend(packet(
        0,
        t0 * 1_000_000 + 9,
        &ethernet(None, 0x0806, &[0; 28]),
    ));
    file.extend(packet(5, t0 * 1_000_000 + 10, &[1, 2, 3]));
    file.extend(packet(
        4,
        t0 * 1_000_000 + 11,
        &ipv4(1, a, b, 8, 0, &[8, 0, 0, 0]),
    ));
    file
}

fn events() -> Vec<Event> {
    let file = capture();
    if let Ok(path) = std::env::var("WEIR_DUMP_CAPTURE") {
        std::fs::write(path, &file).unwrap();
    }
    CaptureEvents::new(&file[..], Limits::default())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn every_link_type_and_tunnel() {
    let events = events();
    let opened: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            FlowEvent::Opened {
                client,
                server,
                transport,
                midstream,
                ..
            } => Some((e.packet, *client, *server, *transport, *midstream)),
            _ => None,
        })
        .collect();
    assert_eq!(
        opened,
        vec![
            (
                1,
                addr("10.0.0.1:50000"),
                addr("10.0.0.2:1935"),
                Transport::Tcp,
                false
            ),
            (
                3,
                addr("10.0.0.2:5004"),
                addr("10.0.0.1:6000"),
                Transport::Udp,
                false
            ),
            (
                4,
                addr("[2001:db8::1]:7000"),
                addr("[2001:db8::2]:8000"),
                Transport::Udp,
                false
            ),
            (
                5,
                addr("10.0.0.1:50001"),
                addr("10.0.0.2:1935"),
                Transport::Tcp,
                true
            ),
            (
                7,
                addr("10.0.0.1:40000"),
                addr("10.0.0.2:40001"),
                Transport::Udp,
                false
            ),
            (
                8,
                addr("192.0.2.1:4000"),
                addr("192.0.2.2:4001"),
                Transport::Udp,
                false
            ),
        ]
    );
    let payloads: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            FlowEvent::Data {
                direction, bytes, ..
            } => Some((e.packet, *direction, bytes.to_vec())),
            FlowEvent::Datagram {
                direction, bytes, ..
            } => Some((e.packet, *direction, bytes.to_vec())),
            _ => None,
        })
        .collect();
    use Direction::*;
    assert_eq!(
        payloads,
        vec![
            (2, ClientToServer, b"\x03ab".to_vec()),
            (3, ClientToServer, b"sll".to_vec()),
            (4, ClientToServer, b"sll2".to_vec()),
            (5, ServerToClient, b"srv".to_vec()),
            (7, ClientToServer, b"0123456789abcdef".to_vec()),
            (8, ClientToServer, b"in".to_vec()),
        ]
    );
    let unopened: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            FlowEvent::Unopened { packet, reason } => Some((*packet, reason.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        unopened,
        vec![
            (9, "ethertype 0x0806 is not IP".to_string()),
            (10, "link type 147 is not decoded".to_string()),
            (11, "IP protocol 1 (ICMP) is not opened".to_string()),
        ]
    );
}

#[test]
fn each_interface_keeps_its_timestamp_resolution() {
    let events = events();
    let time_of = |packet: u64| events.iter().find(|e| e.packet == packet).unwrap().time;
    let t0 = Duration::from_secs(1_700_000_000);
    assert_eq!(time_of(2), t0 + Duration::from_micros(250_000));
    assert_eq!(time_of(3), t0 + Duration::from_nanos(5));
    assert_eq!(time_of(4), t0 + Duration::from_millis(7));
    assert_eq!(time_of(5), t0 + Duration::from_millis(500));
    assert_eq!(time_of(7), t0 + Duration::from_micros(4));
}
