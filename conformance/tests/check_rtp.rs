//! `weir check` on RTP, RTCP and SDP: the corpus's browser RTP depacketized by the format
//! `--decode-as` gives, its RTCP judged, RFC 4571 RTP over TCP found by content, SRTP and
//! SRTCP counted without being judged; `.sdp` files and an offer beside its answer; and a
//! WHIP exchange whose SDP tells the RTP flow after it what it carries.

mod support;

use std::path::PathBuf;

use support::packets::{ethernet, ethernet_capture, ipv4, tcp, udp};
use support::pipeline::rule_failures;
use weir_conformance::capture::{CaptureReader, Transport};
use weir_conformance::check::{self, Coverage, Input, InputReport, Options};
use weir_conformance::protocols::Protocol;
use weir_media::MediaKind;
use weir_testkit::TempPath;
use weir_testkit::corpus::dir as corpus;

fn check_with(path: PathBuf, decode_as: &[&str]) -> InputReport {
    let mut options = Options::default();
    for spec in decode_as {
        options.decode_as.add(spec).unwrap();
    }
    check::run(&[Input::Capture(path)], &options)
        .inputs
        .remove(0)
}

fn rtp(name: &str) -> PathBuf {
    corpus().join("rtp").join(name)
}

/// Video frames and keyframes of the flow's first video track.
fn video(report: &InputReport) -> (u64, u64) {
    let track = report.flows[0]
        .tracks
        .iter()
        .find(|(_, t, _)| t.kind == MediaKind::Video)
        .map(|(_, _, s)| s)
        .expect("a video track");
    (track.frames, track.keyframes)
}

/// Chromium's H.264 (str0m's capture), with the format given: 268 timestamps less the 3
/// frames the capture lost packets of and the one whose STAP-A tshark also calls bad.
#[test]
fn browser_h264_is_depacketized_with_the_format_given() {
    let report = check_with(
        rtp("str0m_h264.pcap"),
        &["rtp.pt==126,H264/90000,packetization-mode=1"],
    );
    assert_eq!(report.flows[0].protocol, Protocol::Rtp);
    assert_eq!(video(&report), (264, 7));
    // Where the bad STAP-A starts in the flow's bytes (tshark: the payloads before it).
    assert_eq!(
        rule_failures(&report, "rtp.h264.stap-size"),
        [(1, Some(38_792))]
    );
    // Losses in the capture leave the flow observed in part: nothing passes on it.
    assert!(matches!(report.flows[0].coverage, Coverage::Partial(_)));
    // Without a format, packets are counted, nothing is depacketized or judged.
    let bare = check_with(rtp("str0m_h264.pcap"), &[]);
    assert!(bare.flows[0].tracks.is_empty());
    assert!(rule_failures(&bare, "rtp.h264.stap-size").is_empty());
}

/// `--sdp FILE` gives the payload types as `--decode-as` does.
#[test]
fn an_sdp_file_gives_the_formats() {
    let dir = TempPath::dir("sdp-option");
    let sdp = dir.path().join("session.sdp");
    std::fs::write(&sdp, OFFER.replace("UDP/TLS/RTP/SAVPF", "RTP/AVPF")).unwrap();
    let mut options = Options::default();
    options.decode_as.add_sdp(&sdp).unwrap();
    let report = check::run(&[Input::Capture(rtp("str0m_h264.pcap"))], &options)
        .inputs
        .remove(0);
    assert_eq!(video(&report), (264, 7));
    assert!(
        options
            .decode_as
            .add_sdp(&dir.path().join("missing.sdp"))
            .is_err()
    );
}

#[test]
fn browser_vp8_and_av1_are_depacketized() {
    let vp8 = check_with(rtp("str0m_vp8.pcap"), &["rtp.pt==96,VP8"]);
    assert_eq!(video(&vp8), (101, 3));
    assert!(matches!(vp8.flows[0].coverage, Coverage::Full));
    let av1 = check_with(rtp("str0m_av1.pcap"), &["rtp.pt==45,AV1"]);
    // The capture ends inside the 45th temporal unit: it is dropped.
    assert_eq!(video(&av1), (44, 1));
}

/// FreeSWITCH's compound RTCP (SR or RR, then SDES) breaks no rule: every RTP and media rule
/// passes on the flow.
#[test]
fn compound_rtcp_passes() {
    let report = check_with(rtp("rtcp_multiple_pkts_in_the_same_datagram.pcap"), &[]);
    let flow = &report.flows[0];
    assert_eq!(flow.protocol, Protocol::Rtp);
    assert!(matches!(flow.coverage, Coverage::Full));
    assert_eq!(flow.counted_failures(), 0);
    let transcript = support::pipeline::transcript_of(report);
    assert!(
        transcript.contains("RTCP SR from SSRC 0x5d931534: 200 packets, 32000 octets sent"),
        "{transcript}"
    );
}

/// nDPI's mixed capture: PCMA framed over TCP (RFC 4571) is found by content and read whole;
/// an SRTP flow's SRTCP is counted, never judged.
#[test]
fn rtp_over_tcp_and_srtcp() {
    let report = check_with(rtp("rtp.pcapng"), &["rtp.pt==8,PCMA"]);
    let tcp = report
        .flows
        .iter()
        .find(|f| f.server.port() == 5000)
        .unwrap();
    assert_eq!(tcp.protocol, Protocol::Rtp);
    assert!(matches!(tcp.coverage, Coverage::Full));
    let audio = tcp.tracks.iter().map(|(_, _, s)| s.frames).sum::<u64>();
    assert_eq!(audio, 17);
    assert_eq!(
        report
            .flows
            .iter()
            .map(|f| f.counted_failures())
            .sum::<usize>(),
        0
    );
}

const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 126\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n\
a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n\
a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:126 H264/90000\r\na=fmtp:126 packetization-mode=1\r\n";

fn answer(setup: &str) -> String {
    OFFER
        .replace("a=sendonly", "a=recvonly")
        .replace("a=setup:actpass", &format!("a=setup:{setup}"))
        .replace("ice-ufrag:abcd", "ice-ufrag:wxyz")
}

/// An offer beside its answer is read as one exchange: an answer whose DTLS role the offer
/// does not allow fails the offer/answer rule; a good one passes every SDP rule.
#[test]
fn sdp_offer_and_answer_files() {
    let dir = TempPath::dir("sdp");
    let offer = dir.path().join("call_offer.sdp");
    std::fs::write(&offer, OFFER).unwrap();
    std::fs::write(dir.path().join("call_answer.sdp"), answer("actpass")).unwrap();
    let report = check_with(offer.clone(), &[]);
    assert_eq!(report.flows[0].protocol, Protocol::Sdp);
    let failed: Vec<&str> = report.flows[0]
        .verdicts
        .iter()
        .filter(|v| matches!(v.status, weir_conformance::verdict::Status::Fail { .. }))
        .map(|v| v.rule.id)
        .collect();
    assert_eq!(failed, ["sdp.dtls.setup-answer"]);
    std::fs::write(dir.path().join("call_answer.sdp"), answer("active")).unwrap();
    let report = check_with(offer, &[]);
    assert_eq!(report.flows[0].counted_failures(), 0);
    // A lone file is one description.
    let safari = check_with(corpus().join("sdp/webrtc-rs/safari_offer.sdp"), &[]);
    assert_eq!(safari.flows[0].protocol, Protocol::Sdp);
}

/// A WHIP-like exchange (RFC 9725: POST of an application/sdp offer, 201 with the answer),
/// then the browser's RTP: the RTP flow is depacketized by the format the SDP gave, with no
/// `--decode-as` — when the SDP's profile is plain RTP/AVPF. WHIP's own UDP/TLS/RTP/SAVPF
/// means SRTP: then the headers are counted and nothing of the payload is judged.
#[test]
fn whip_sdp_tells_the_rtp_flow_its_format() {
    let (report, transcript) = whip(&OFFER.replace("UDP/TLS/RTP/SAVPF", "RTP/AVPF"));
    let http = &report.flows[0];
    assert_eq!(http.protocol, Protocol::Http);
    assert_eq!(http.counted_failures(), 0, "{:?}", http.verdicts);
    let rtp_flow = &report.flows[1];
    assert_eq!(rtp_flow.protocol, Protocol::Rtp);
    let frames: u64 = rtp_flow.tracks.iter().map(|(_, _, s)| s.frames).sum();
    assert_eq!(frames, 264);
    assert!(
        transcript.contains("answer checked against its offer"),
        "{transcript}"
    );
    assert!(
        transcript.contains("H264/90000 (an SDP of this input)"),
        "{transcript}"
    );

    let (report, transcript) = whip(OFFER);
    let rtp_flow = &report.flows[1];
    assert!(rtp_flow.tracks.is_empty());
    assert_eq!(rtp_flow.counted_failures(), 0);
    assert!(matches!(rtp_flow.coverage, Coverage::Partial(_)));
    assert!(
        transcript.contains("in SRTP: the payloads are ciphertext"),
        "{transcript}"
    );
}

/// The report and transcript of a capture of `offer` POSTed, answered, then str0m's H.264.
fn whip(offer: &str) -> (InputReport, String) {
    let (client, server) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let tcp_frame = |from_client: bool, seq: u32, flags: u8, payload: &[u8]| {
        let (src, dst, sp, dp) = if from_client {
            (client, server, 40000, 8080)
        } else {
            (server, client, 8080, 40000)
        };
        ethernet(
            None,
            0x0800,
            &ipv4(6, src, dst, 1, 0, &tcp(sp, dp, seq, flags, payload)),
        )
    };
    let post = format!(
        "POST /rtc/v1/whip/?app=live&stream=s HTTP/1.1\r\nHost: 10.0.0.2:8080\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{offer}",
        offer.len()
    );
    let answer = answer("passive").replace(
        "UDP/TLS/RTP/SAVPF",
        if offer.contains("SAVPF") {
            "UDP/TLS/RTP/SAVPF"
        } else {
            "RTP/AVPF"
        },
    );
    let created = format!(
        "HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\nLocation: /whip/1\r\n\
         Content-Length: {}\r\n\r\n{answer}",
        answer.len()
    );
    let mut frames = vec![
        tcp_frame(true, 0, 0x02, b""),
        tcp_frame(false, 0, 0x12, b""),
        tcp_frame(true, 1, 0x18, post.as_bytes()),
        tcp_frame(false, 1, 0x18, created.as_bytes()),
    ];
    // The browser's RTP, as str0m captured it, from the client to the server.
    let file = std::fs::File::open(rtp("str0m_h264.pcap")).unwrap();
    for packet in CaptureReader::new(std::io::BufReader::new(file)).unwrap() {
        let data = packet.unwrap().data;
        // Ethernet (14) + IPv4 (20) + UDP (8) in front of each RTP packet.
        let payload = &data[42..];
        frames.push(ethernet(
            None,
            0x0800,
            &ipv4(17, client, server, 2, 0, &udp(50000, 50001, payload)),
        ));
    }
    let pcap = TempPath::new("whip.pcapng");
    std::fs::write(pcap.path(), ethernet_capture(&frames)).unwrap();
    let report = check_with(pcap.path().to_owned(), &[]);
    let transcript = support::pipeline::transcript_of(report.clone());
    (report, transcript)
}

/// A WebRTC port (RFC 7983): STUN, DTLS and SRTP on one flow are read as one `webrtc` flow,
/// whatever comes first; DTLS's hellos are read (the negotiation tshark shows: DTLS 1.2,
/// ECDHE-RSA AES-128-GCM, SRTP_AEAD_AES_256_GCM), SRTP and SRTCP are counted by their clear
/// headers, and a Chrome call breaks no rule.
#[test]
fn webrtc_ports_are_one_flow() {
    let path = corpus().join("webrtc/stun_dtls_rtp.pcapng");
    let report = check_with(path, &[]);
    let flow = &report.flows[0];
    assert_eq!(flow.protocol, Protocol::WebRtc);
    assert_eq!(flow.counted_failures(), 0);
    // SRTP payloads are never judged: observed in part.
    assert!(matches!(flow.coverage, Coverage::Partial(_)));
    let transcript = support::pipeline::transcript_of(report.clone());
    for line in [
        "STUN Allocate success response",
        "DTLS negotiated: version 0xfefd, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, SRTP_AEAD_AES_256_GCM",
        "STUN Binding success response",
        "payload type 111 (no format): 11 packets",
        "1 RTCP datagrams (1 read as SRTCP)",
    ] {
        assert!(transcript.contains(line), "{line}\n{transcript}");
    }
    // The same capture's TURN over TCP (RFC 8489 §6.2.2: messages back to back).
    let turn = &report.flows[1];
    assert_eq!(
        (turn.protocol, turn.transport),
        (Protocol::WebRtc, Transport::Tcp)
    );
    assert_eq!(turn.counted_failures(), 0);
    // Google Meet's flows, STUN servers' among them, and a DTLS 1.3 capture: no rule broken.
    for name in [
        "webrtc/stun_google_meet.pcapng",
        "webrtc/dtls.pcap",
        // STUN framed by RFC 4571 over TCP (ICE-TCP), several messages in one segment.
        "stun/stun_tcp_multiple_msgs_same_pkt.pcap",
    ] {
        let report = check_with(corpus().join(name), &[]);
        assert!(
            report.flows.iter().all(|f| f.counted_failures() == 0),
            "{name}"
        );
        assert!(
            report.flows.iter().any(|f| f.protocol == Protocol::WebRtc),
            "{name}"
        );
    }
}

/// A connectivity check whose MESSAGE-INTEGRITY the SDP's ICE password verifies; the same
/// check keyed with another password fails `stun.integrity.value`.
#[test]
fn stun_integrity_is_checked_with_the_sdp_password() {
    use weir_stun::{Attribute, Builder, MessageType, TransactionId};
    // The offer's ice-ufrag is "abcd": a request to it names "abcd:<sender>".
    let request = |password: &str| {
        Builder::new(MessageType::BINDING_REQUEST, TransactionId([7; 12]))
            .attribute(&Attribute::Username("abcd:wxyz".into()))
            .attribute(&Attribute::Priority(0x6e00_1eff))
            .attribute(&Attribute::IceControlling(42))
            .message_integrity(password.as_bytes())
            .fingerprint()
            .build()
    };
    let dir = TempPath::dir("stun-integrity");
    let sdp = dir.path().join("offer.sdp");
    std::fs::write(&sdp, OFFER).unwrap();
    let mut options = Options::default();
    options.decode_as.add_sdp(&sdp).unwrap();
    let run = |password: &str| {
        let frame = ethernet(
            None,
            0x0800,
            &ipv4(
                17,
                [10, 0, 0, 1],
                [10, 0, 0, 2],
                3,
                0,
                &udp(50000, 50001, &request(password)),
            ),
        );
        let pcap = dir.path().join(format!("{password}.pcapng"));
        std::fs::write(&pcap, ethernet_capture(&[frame])).unwrap();
        check::run(&[Input::Capture(pcap)], &options)
            .inputs
            .remove(0)
    };
    let good = run("abcdefghijklmnopqrstuvwx");
    assert_eq!(good.flows[0].protocol, Protocol::WebRtc);
    assert_eq!(good.flows[0].counted_failures(), 0);
    assert!(support::pipeline::transcript_of(good).contains("integrity verified"));
    let bad = run("not-the-password-at-all");
    assert_eq!(rule_failures(&bad, "stun.integrity.value").len(), 1);
}

/// nDPI's RTSP capture: the harness reads no RTSP (its flows stay unknown), but the six
/// DESCRIBE answers' descriptions it carries (tshark: frames 53, 149, 233, 337, 433, 525) are
/// RTSP-style SDP that weir-sdp reads — a control URL per track, H.264 with
/// sprop-parameter-sets and AAC-hbr, both on payload type 96 of their own sessions — and that
/// the RTP depacketizers accept as formats.
#[test]
fn rtsp_describe_answers_carry_sdp_the_crates_read() {
    use std::collections::BTreeMap;
    use weir_conformance::capture::flow::CaptureEvents;
    use weir_conformance::capture::{Direction, FlowEvent, Limits};

    let file = std::fs::File::open(rtp("rtsp.pcap")).unwrap();
    let mut answers: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for event in CaptureEvents::new(std::io::BufReader::new(file), Limits::default()).unwrap() {
        if let FlowEvent::Data {
            flow,
            direction: Direction::ServerToClient,
            bytes,
            ..
        } = event.unwrap().event
        {
            answers.entry(flow.0).or_default().extend_from_slice(&bytes);
        }
    }
    // Each SDP body: after a head naming application/sdp, Content-Length bytes.
    let mut descriptions = Vec::new();
    for stream in answers.values() {
        let text = String::from_utf8_lossy(stream);
        for head in text.split("RTSP/1.0 ").skip(1) {
            let Some((fields, rest)) = head.split_once("\r\n\r\n") else {
                continue;
            };
            if !fields
                .to_ascii_lowercase()
                .contains("content-type: application/sdp")
            {
                continue;
            }
            let length: usize = fields
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            descriptions.push(rest.as_bytes()[..length].to_vec());
        }
    }
    assert_eq!(descriptions.len(), 6);
    for body in &descriptions {
        let (sd, violations) = weir_sdp::parse(body).unwrap();
        let musts: Vec<_> = violations
            .iter()
            .filter(|v| v.rule.level == weir_media::Level::Must)
            .collect();
        assert!(musts.is_empty(), "{musts:?}");
        assert_eq!(sd.media.len(), 2);
        for m in &sd.media {
            assert!(m.control().is_some_and(|c| c.contains("trackID=")));
            let codec = &m.codecs()[0];
            let mut format = weir_rtp::Format::new(&codec.name, codec.clock_rate);
            if let Some(fmtp) = &codec.fmtp {
                format = format.with_fmtp(&fmtp.parameters);
            }
            assert!(matches!(
                format.encoding(),
                Some(weir_rtp::Encoding::H264 | weir_rtp::Encoding::Aac)
            ));
            weir_rtp::Depacketizer::new(&format, weir_rtp::Limits::default()).unwrap();
        }
    }
}
