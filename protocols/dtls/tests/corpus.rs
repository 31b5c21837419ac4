//! The corpus's DTLS: `webrtc/dtls.pcap` (DTLS 1.3 with a HelloRetryRequest, DTLS 1.2
//! ClientHellos, GTP-tunnelled ones), and the DTLS datagrams of `webrtc/stun_dtls_rtp.pcapng`
//! and `webrtc/stun_google_meet.pcapng` (told from STUN and RTP by RFC 7983's first byte).
//! The negotiated versions, cipher suites and SRTP profiles are tshark's
//! (`tshark -r FILE -Y dtls -V`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use weir_capture::flow::CaptureEvents;
use weir_capture::{Direction, FlowEvent, FlowId, Limits as CaptureLimits};
use weir_dtls::{Event, Flow, Limits, Negotiated, Side};
use weir_media::{Machine, Output};
use weir_stun::demux::{self, Kind};
use weir_testkit::corpus;

/// What one capture's DTLS gave, over all its flows.
#[derive(Debug, Default)]
struct Tally {
    negotiated: Vec<Negotiated>,
    /// Handshake messages by (side, type).
    handshakes: BTreeMap<(String, u8), usize>,
    alerts: Vec<(Side, u8, u8)>,
    hello_retries: usize,
    encrypted: [u64; 2],
    violations: BTreeMap<&'static str, usize>,
    details: Vec<String>,
}

fn tally(path: &str) -> Tally {
    let file = BufReader::new(File::open(corpus::path(path)).unwrap());
    let mut flows: BTreeMap<FlowId, Flow> = BTreeMap::new();
    let now = Instant::now();
    let mut t = Tally::default();
    let drain = |flow: &mut Flow, t: &mut Tally| {
        while let Some(out) = flow.poll_output() {
            match out {
                Output::Event(Event::Negotiated(n)) => t.negotiated.push(n),
                Output::Event(Event::Handshake { side, msg_type, .. }) => {
                    *t.handshakes
                        .entry((format!("{side:?}"), msg_type))
                        .or_default() += 1
                }
                Output::Event(Event::Alert { side, alert }) => {
                    t.alerts.push((side, alert.level, alert.description))
                }
                Output::Event(Event::ServerHello(h)) if h.is_hello_retry_request() => {
                    t.hello_retries += 1
                }
                Output::Event(Event::Finished {
                    client_encrypted,
                    server_encrypted,
                }) => {
                    t.encrypted[0] += client_encrypted;
                    t.encrypted[1] += server_encrypted;
                }
                Output::Violation(v) => {
                    *t.violations.entry(v.rule.id).or_default() += 1;
                    t.details.push(v.to_string());
                }
                _ => {}
            }
        }
    };
    for event in CaptureEvents::new(file, CaptureLimits::default()).unwrap() {
        if let FlowEvent::Datagram {
            flow,
            direction,
            bytes,
        } = event.unwrap().event
        {
            if demux::classify(&bytes) != Kind::Dtls {
                continue;
            }
            let side = match direction {
                Direction::ClientToServer => Side::Client,
                Direction::ServerToClient => Side::Server,
            };
            let f = flows
                .entry(flow)
                .or_insert_with(|| Flow::new(Side::Client, Limits::default()));
            f.handle_datagram(now, side, &bytes);
            drain(f, &mut t);
        }
    }
    for f in flows.values_mut() {
        f.handle_end(now).unwrap();
        drain(f, &mut t);
    }
    t
}

/// `(side, msg_type)` counts from a list.
fn handshakes(list: &[(&str, u8, usize)]) -> BTreeMap<(String, u8), usize> {
    list.iter()
        .map(|&(s, t, n)| ((s.to_string(), t), n))
        .collect()
}

/// tshark: "Cipher Suite: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f)", "SRTP Protection
/// Profile: SRTP_AEAD_AES_256_GCM (0x0008)", DTLS 1.2, extended_master_secret and
/// renegotiation_info in both hellos: what Chrome and Google's server agree.
fn chrome_and_google() -> Negotiated {
    Negotiated {
        version: weir_dtls::record::DTLS_1_2,
        cipher_suite: 0xc02f,
        srtp_profile: Some(0x0008),
        mki: Default::default(),
        extended_master_secret: true,
        renegotiation_info: true,
    }
}

/// The DTLS 1.2 flight both WebRTC captures show: ServerHello, Certificate,
/// ServerKeyExchange, CertificateRequest, ServerHelloDone and NewSessionTicket from the
/// server; ClientHello, Certificate, ClientKeyExchange, CertificateVerify from the client
/// (Finished is encrypted).
const WEBRTC_FLIGHTS: &[(&str, u8, usize)] = &[
    ("Client", 1, 1),
    ("Client", 11, 1),
    ("Client", 15, 1),
    ("Client", 16, 1),
    ("Server", 2, 1),
    ("Server", 4, 1),
    ("Server", 11, 1),
    ("Server", 12, 1),
    ("Server", 13, 1),
    ("Server", 14, 1),
];

#[test]
fn a_dtls_1_3_handshake_with_a_retry_negotiates_aes_128_gcm() {
    let t = tally("webrtc/dtls.pcap");
    // Frames 7-10: ClientHello, HelloRetryRequest (the special random, with a cookie),
    // ClientHello with the cookie, ServerHello selecting 0xfefc in supported_versions with
    // TLS_AES_128_GCM_SHA256 (0x1301). No use_srtp: the capture is not WebRTC.
    assert_eq!(t.hello_retries, 1);
    assert_eq!(
        t.negotiated,
        [Negotiated {
            version: weir_dtls::record::DTLS_1_3,
            cipher_suite: 0x1301,
            srtp_profile: None,
            mki: Default::default(),
            extended_master_secret: false,
            renegotiation_info: false,
        }]
    );
    // ClientHellos (message_seq 0 each): frames 1 and 2 are one message sent twice, as are
    // the GTP-tunnelled frames 3 and 4; frame 5 is a ClientHello from the other end of that
    // tunnelled flow (record sequence 1); then frames 7 and 9.
    assert_eq!(
        t.handshakes,
        handshakes(&[("Client", 1, 4), ("Server", 1, 1), ("Server", 2, 2)])
    );
    // Frame 6: a fatal unexpected_message alert.
    assert_eq!(t.alerts, [(Side::Client, 2, 10)]);
    // Frames 11-24 carry DTLS 1.3 unified headers: 9 from the server, 5 from the client.
    assert_eq!(t.encrypted, [5, 9]);
    assert!(t.violations.is_empty(), "{:#?}", t.details);
}

#[test]
fn chrome_and_google_agree_on_gcm_and_srtp_aead_aes_256_gcm() {
    let t = tally("webrtc/stun_dtls_rtp.pcapng");
    assert_eq!(t.negotiated, [chrome_and_google()]);
    assert_eq!(t.handshakes, handshakes(WEBRTC_FLIGHTS));
    assert!(t.alerts.is_empty());
    // Protected records (epoch 1): Finished in frames 6, 9, 10, 11 and the Application Data.
    assert_eq!(t.encrypted, [11, 10]);
    assert!(t.violations.is_empty(), "{:#?}", t.details);
}

#[test]
fn google_meet_negotiates_the_same_twice() {
    let t = tally("webrtc/stun_google_meet.pcapng");
    // Two handshakes (frames 9-14 and 218-220), both as tshark shows them.
    assert_eq!(t.negotiated, [chrome_and_google(), chrome_and_google()]);
    let twice: Vec<_> = WEBRTC_FLIGHTS.iter().map(|&(s, m, _)| (s, m, 2)).collect();
    assert_eq!(t.handshakes, handshakes(&twice));
    assert_eq!(t.encrypted, [28, 23]);
    assert!(t.violations.is_empty(), "{:#?}", t.details);
}
