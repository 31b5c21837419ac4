//! The capture reader and flow table on every capture of the public corpus, with byte counts
//! pinned from tshark (`tshark -r FILE -q -z conv,tcp`, `-z follow,tcp,raw,N`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::net::SocketAddr;
use std::path::Path;

use weir_capture::flow::CaptureEvents;
use weir_capture::{CaptureReader, CloseReason, Direction, FlowEvent, FlowId, Limits, Transport};

use weir_testkit::corpus::dir as corpus;

/// What one flow carried, per direction.
#[derive(Debug, Default)]
struct FlowSummary {
    client: Option<SocketAddr>,
    server: Option<SocketAddr>,
    transport: Option<Transport>,
    midstream: bool,
    bytes: [u64; 2],
    datagrams: [u64; 2],
    first: [Vec<u8>; 2],
    gaps: Vec<(Direction, u64, u64)>,
    closed: Option<CloseReason>,
}

#[derive(Debug, Default)]
struct Summary {
    flows: BTreeMap<FlowId, FlowSummary>,
    unopened: BTreeMap<String, u64>,
}

fn summarize(path: &Path) -> Summary {
    let file = BufReader::new(File::open(path).unwrap());
    let mut summary = Summary::default();
    for event in CaptureEvents::new(file, Limits::default()).unwrap() {
        let event = event.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match event.event {
            FlowEvent::Opened {
                flow,
                client,
                server,
                transport,
                midstream,
            } => {
                let f = summary.flows.entry(flow).or_default();
                f.client = Some(client);
                f.server = Some(server);
                f.transport = Some(transport);
                f.midstream = midstream;
            }
            FlowEvent::Data {
                flow,
                direction,
                offset,
                bytes,
            } => {
                let f = summary.flows.get_mut(&flow).unwrap();
                let d = direction as usize;
                assert_eq!(offset, f.bytes[d], "data offsets are contiguous");
                f.bytes[d] += bytes.len() as u64;
                if f.first[d].len() < 16 {
                    f.first[d].extend(bytes.iter().take(16 - f.first[d].len()));
                }
            }
            FlowEvent::Gap {
                flow,
                direction,
                offset,
                len,
            } => {
                let f = summary.flows.get_mut(&flow).unwrap();
                f.bytes[direction as usize] += len;
                f.gaps.push((direction, offset, len));
            }
            FlowEvent::Datagram {
                flow, direction, ..
            } => summary.flows.get_mut(&flow).unwrap().datagrams[direction as usize] += 1,
            FlowEvent::Closed { flow, reason } => {
                summary.flows.get_mut(&flow).unwrap().closed = Some(reason)
            }
            FlowEvent::Finished { .. } => {}
            FlowEvent::Unopened { reason, .. } => {
                *summary.unopened.entry(reason.to_string()).or_default() += 1
            }
        }
    }
    summary
}

fn count_packets(path: &Path) -> usize {
    let file = BufReader::new(File::open(path).unwrap());
    let mut count = 0;
    for packet in CaptureReader::new(file).unwrap() {
        packet.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        count += 1;
    }
    count
}

/// Every capture in the corpus, with its packet count (capinfos) and its TCP and UDP flow
/// counts (tshark's `conv,tcp` and `conv,udp`), except where noted.
const CAPTURES: &[(&str, usize, usize, usize)] = &[
    ("hls/hls.pcapng", 13, 1, 0),
    ("misc/sip.pcap", 112, 0, 4),
    ("mpegts/mpegts.pcap", 1, 0, 1),
    ("mpegts/test-162.pcap", 16, 0, 1),
    ("mpegts/test-171.11.pcapng", 47, 0, 1),
    ("mpegts/test-176.pcapng", 23, 0, 2),
    // tshark: 3 TCP and 2 UDP: the UDP flows are the GTP-U tunnels around two of the TCP ones.
    ("rtmp/rtmp.pcap", 60, 3, 0),
    ("rtmp/rtmp_sample.cap", 26, 1, 0),
    ("rtp/rtcp_multiple_pkts_in_the_same_datagram.pcap", 5, 0, 1),
    ("rtp/rtp.pcapng", 112, 1, 3),
    // tshark: 7. Port 52478's first SYN is refused (RST) and the retried SYN, with the same
    // ISN, connects: tshark keys streams by ISN and sees one, we see a refused flow and a new one.
    ("rtp/rtsp.pcap", 568, 8, 0),
    ("rtp/str0m_av1.pcap", 201, 0, 1),
    ("rtp/str0m_h264.pcap", 298, 0, 1),
    ("rtp/str0m_vp8.pcap", 104, 0, 1),
    (
        "srt/locally_generated/srt_ffmpeg_caller_to_slt_listener_aes128.pcapng",
        377,
        0,
        1,
    ),
    (
        "srt/locally_generated/srt_ffmpeg_caller_to_slt_listener_loss_nak.pcapng",
        381,
        0,
        1,
    ),
    (
        "srt/locally_generated/srt_ffmpeg_caller_to_slt_listener_plain.pcapng",
        380,
        0,
        1,
    ),
    ("stun/stun.pcap", 201, 2, 6),
    ("stun/stun_classic.pcap", 22, 0, 1),
    ("stun/stun_tcp_multiple_msgs_same_pkt.pcap", 5, 1, 0),
    // tshark: 4, counting the GTP-U tunnel's outer UDP flow too; we open the tunnel.
    ("webrtc/dtls.pcap", 24, 0, 3),
    ("webrtc/stun_dtls_rtp.pcapng", 102, 1, 1),
    ("webrtc/stun_google_meet.pcapng", 362, 0, 7),
];

#[test]
fn every_corpus_capture_reads() {
    let corpus = corpus();
    let mut failures = Vec::new();
    for &(name, packets, tcp, udp) in CAPTURES {
        let path = corpus.join(name);
        let summary = summarize(&path);
        let count = |t| {
            summary
                .flows
                .values()
                .filter(|f| f.transport == Some(t))
                .count()
        };
        let got = (
            count_packets(&path),
            count(Transport::Tcp),
            count(Transport::Udp),
        );
        eprintln!("{name}: {got:?} unopened {:?}", summary.unopened);
        if got != (packets, tcp, udp) {
            failures.push(format!(
                "{name}: got {got:?}, want {:?}",
                (packets, tcp, udp)
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_capture_file_in_the_corpus_is_listed() {
    let corpus = corpus();
    let mut found = Vec::new();
    let mut dirs = vec![corpus.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if ["pcap", "pcapng", "cap"]
                .contains(&path.extension().and_then(|e| e.to_str()).unwrap_or(""))
            {
                found.push(
                    path.strip_prefix(&corpus)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    found.sort();
    let listed: Vec<_> = CAPTURES.iter().map(|c| c.0.to_string()).collect();
    assert_eq!(found, listed);
}

/// One TCP flow's expected reassembly: tshark `-z follow,tcp,raw,N` byte counts.
struct Expected {
    client: &'static str,
    server: &'static str,
    client_to_server: u64,
    server_to_client: u64,
    first_client_bytes: &'static [u8],
    first_server_bytes: &'static [u8],
}

fn check_tcp(name: &str, expected: &[Expected]) {
    let summary = summarize(&corpus().join(name));
    let tcp: Vec<_> = summary
        .flows
        .values()
        .filter(|f| f.transport == Some(Transport::Tcp))
        .collect();
    assert_eq!(tcp.len(), expected.len(), "{name}");
    for (flow, want) in tcp.iter().zip(expected) {
        assert_eq!(flow.client, Some(want.client.parse().unwrap()), "{name}");
        assert_eq!(flow.server, Some(want.server.parse().unwrap()), "{name}");
        assert!(!flow.midstream, "{name}: the SYN is in the capture");
        assert_eq!(
            flow.bytes,
            [want.client_to_server, want.server_to_client],
            "{name} {}",
            want.server
        );
        assert!(flow.gaps.is_empty(), "{name}: {:?}", flow.gaps);
        assert!(flow.first[0].starts_with(want.first_client_bytes), "{name}");
        assert!(flow.first[1].starts_with(want.first_server_bytes), "{name}");
        assert_eq!(flow.closed, Some(CloseReason::EndOfCapture), "{name}");
    }
}

/// Wireshark's rtmp_sample.cap: one RTMP session, simple handshake (C0 = 3).
#[test]
fn rtmp_sample_reassembles_as_tshark_follows_it() {
    check_tcp(
        "rtmp/rtmp_sample.cap",
        &[Expected {
            client: "192.168.43.1:1177",
            server: "192.168.43.128:1935",
            client_to_server: 3452,
            server_to_client: 3496,
            first_client_bytes: &[0x03, 0x00],
            first_server_bytes: &[0x03, 0x3d],
        }],
    );
}

/// nDPI's rtmp.pcap: rtmp_sample again, then two sessions inside GTP-U (802.1ad + 802.1Q
/// tagged), the second on port 6002; their servers retransmit and overlap a few bytes.
#[test]
fn rtmp_pcap_opens_the_gtp_tunnel_and_reassembles_as_tshark() {
    check_tcp(
        "rtmp/rtmp.pcap",
        &[
            Expected {
                client: "192.168.43.1:1177",
                server: "192.168.43.128:1935",
                client_to_server: 3452,
                server_to_client: 3496,
                first_client_bytes: &[0x03, 0x00],
                first_server_bytes: &[0x03, 0x3d],
            },
            Expected {
                client: "10.140.80.204:49757",
                server: "203.205.224.48:1935",
                client_to_server: 3347,
                server_to_client: 3365,
                first_client_bytes: &[0x03, 0x00],
                first_server_bytes: &[0x03, 0x63],
            },
            Expected {
                client: "10.140.74.206:59509",
                server: "193.118.47.46:6002",
                client_to_server: 3376,
                server_to_client: 3412,
                first_client_bytes: &[0x03, 0x00],
                first_server_bytes: &[0x03, 0x63],
            },
        ],
    );
}

/// With room for one flow, rtmp.pcap's first session is followed and every packet of the two
/// tunnelled sessions (frames 27 to 60, each a SYN or data) is reported, not dropped.
#[test]
fn flow_limit_reports_and_moves_on() {
    let file = BufReader::new(File::open(corpus().join("rtmp/rtmp.pcap")).unwrap());
    let limits = Limits {
        max_flows: 1,
        ..Limits::default()
    };
    let mut events = CaptureEvents::new(file, limits).unwrap();
    let mut limited = Vec::new();
    let mut opened = 0;
    for event in events.by_ref() {
        match event.unwrap().event {
            FlowEvent::Opened { .. } => opened += 1,
            FlowEvent::Unopened { packet, reason } => {
                assert_eq!(reason.kind(), "flow-limit");
                limited.push(packet);
            }
            _ => {}
        }
    }
    assert_eq!(opened, 1);
    assert_eq!(limited, (27..=60).collect::<Vec<u64>>());
    assert_eq!(events.unopened_counts().get("flow-limit"), Some(&34));
}

/// The corpus's raw RTMP stream pair gives the events a captured flow gives.
#[test]
fn stream_pair_events() {
    let dir = corpus();
    let c2s = std::fs::read(dir.join("rtmp/ffmpeg_client_stream")).unwrap();
    let s2c = std::fs::read(dir.join("rtmp/ffmpeg_server_stream")).unwrap();
    let pair = weir_capture::StreamPair {
        client: "127.0.0.1:50000".parse().unwrap(),
        server: "127.0.0.1:1935".parse().unwrap(),
        client_to_server: c2s.into(),
        server_to_client: s2c.into(),
    };
    let events: Vec<_> = pair.events().into_iter().map(|e| e.event).collect();
    let flow = FlowId(1);
    assert!(matches!(
        events[0],
        FlowEvent::Opened {
            flow: FlowId(1),
            transport: Transport::Tcp,
            midstream: false,
            ..
        }
    ));
    let FlowEvent::Data {
        offset: 0,
        ref bytes,
        direction: Direction::ClientToServer,
        ..
    } = events[1]
    else {
        panic!("{:?}", events[1]);
    };
    assert_eq!((bytes.len(), bytes[0]), (3518, 0x03));
    let FlowEvent::Data {
        offset: 0,
        ref bytes,
        direction: Direction::ServerToClient,
        ..
    } = events[2]
    else {
        panic!("{:?}", events[2]);
    };
    assert_eq!((bytes.len(), bytes[0]), (91213, 0x03));
    assert_eq!(
        events[3..],
        [
            FlowEvent::Finished {
                flow,
                direction: Direction::ClientToServer,
                offset: 3518
            },
            FlowEvent::Finished {
                flow,
                direction: Direction::ServerToClient,
                offset: 91213
            },
            FlowEvent::Closed {
                flow,
                reason: CloseReason::EndOfStreams
            },
        ]
    );
}

/// Every corpus capture read in place (`CaptureReader::from_bytes`, as `weir check` reads a
/// mapped file) gives the packets and the end the streamed reader gives.
#[test]
fn captures_read_in_place_as_streamed() {
    for &(name, packets, _, _) in CAPTURES {
        let bytes = std::fs::read(corpus().join(name)).unwrap();
        let streamed: Vec<_> = CaptureReader::new(&bytes[..]).unwrap().collect();
        let whole: Vec<_> = CaptureReader::from_bytes(bytes.into()).unwrap().collect();
        assert_eq!(streamed.len(), packets, "{name}");
        assert_eq!(streamed, whole, "{name}");
    }
}
