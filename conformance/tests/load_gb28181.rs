//! The GB28181 device simulator (`weir load --gb28181`): its captures, read back through
//! weir-capture, the RTP reader and the PS demuxer, give the source file's frames (all of them
//! for the faults that lose none); its devices register with an API (a fake one here) and
//! stream what a server can read back, over TCP and over UDP.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;
use weir_capture::{CaptureEvents, FlowEvent, Limits};
use weir_conformance::load::gb28181::{
    GbOptions, MAX_PAYLOAD, Mangle, Media, PAYLOAD_TYPE, PcapOptions, Transport, device_ssrc, run,
    write_pcap,
};
use weir_media::{Frame, MediaKind, Output};
use weir_mpegps::{Demuxer, PsEvent};
use weir_rtp::framing::{Deframer, Framed};
use weir_rtp::packet::RtpPacket;
use weir_testkit::Outputs;

const SSRC: u32 = 0x0bad_cafe;
const FILE: &str = "flv/avc_aac.flv";

fn media() -> Media {
    Media::read(&weir_testkit::corpus::path(FILE)).expect("the corpus file reads")
}

/// RTP packets out of RFC 4571 framed bytes.
fn deframe(stream: &[u8]) -> Vec<RtpPacket> {
    let mut deframer = Deframer::new();
    let now = std::time::Instant::now();
    weir_media::Machine::handle_input(&mut deframer, now, stream).unwrap();
    weir_media::Machine::handle_end(&mut deframer, now).unwrap();
    let mut out = Vec::new();
    while let Some(o) = weir_media::Machine::poll_output(&mut deframer) {
        match o {
            Output::Event(Framed::Packet { data, .. }) => {
                out.push(RtpPacket::parse(&data).unwrap())
            }
            other => panic!("{other:?}"),
        }
    }
    out
}

/// The RTP packets of a capture: each UDP datagram, or the TCP stream deframed.
fn rtp_of(pcap: &[u8]) -> Vec<RtpPacket> {
    let mut packets = Vec::new();
    let mut stream = Vec::new();
    for event in CaptureEvents::new(pcap, Limits::default()).unwrap() {
        match event.unwrap().event {
            FlowEvent::Datagram { bytes, .. } => packets.push(RtpPacket::parse(&bytes).unwrap()),
            FlowEvent::Data { bytes, .. } => stream.extend_from_slice(&bytes),
            FlowEvent::Gap { .. } => panic!("a gap in our own capture"),
            _ => {}
        }
    }
    packets.extend(deframe(&stream));
    packets
}

/// What a server does: keep the registered SSRC's payloads, in order, and demux them.
fn demux(packets: &[RtpPacket], ssrc: u32) -> Outputs<PsEvent> {
    let pieces: Vec<&[u8]> = packets
        .iter()
        .filter(|p| p.ssrc == ssrc)
        .map(|p| &p.payload[..])
        .collect();
    weir_testkit::run(&mut Demuxer::new(Default::default()), pieces, true)
}

/// The frames a run of the demuxer gave.
fn frames(out: &Outputs<PsEvent>) -> Vec<Frame> {
    let mut frames = Vec::new();
    for event in &out.events {
        if let PsEvent::Frame(f) = event {
            frames.push(f.clone());
        }
    }
    frames
}

fn counts(frames: &[Frame]) -> BTreeMap<MediaKind, usize> {
    let mut counts = BTreeMap::new();
    for f in frames {
        *counts.entry(f.track.kind).or_insert(0) += 1;
    }
    counts
}

fn capture(transport: Transport, mangle: Option<Mangle>) -> Vec<RtpPacket> {
    let options = PcapOptions {
        transport,
        mangle,
        ssrc: SSRC,
        duration: None,
    };
    rtp_of(&write_pcap(&media(), &options).unwrap())
}

#[test]
fn a_clean_capture_gives_every_frame_of_the_file_over_udp_and_tcp() {
    let source = media();
    let expected = counts(&source.frames);
    assert_eq!(expected.len(), 2, "H.264 and AAC: {expected:?}");
    for transport in [Transport::Udp, Transport::Tcp] {
        let packets = capture(transport, None);
        assert!(packets.iter().all(|p| p.payload_type == PAYLOAD_TYPE
            && p.ssrc == SSRC
            && p.payload.len() <= MAX_PAYLOAD
            && p.extension.is_none()));
        // Sequence numbers run on by one (across the wrap); a frame's packets share a
        // timestamp, the marker on its last.
        for w in packets.windows(2) {
            assert_eq!(w[1].sequence, w[0].sequence.wrapping_add(1));
            if !w[0].marker {
                assert_eq!(w[0].timestamp, w[1].timestamp);
            }
        }
        assert_eq!(
            packets.iter().filter(|p| p.marker).count(),
            source.frames.len(),
            "one marker a frame"
        );
        let out = demux(&packets, SSRC);
        assert_eq!(out.error, None);
        assert!(out.violations.is_empty(), "{:?}", out.violations);
        let got = frames(&out);
        assert_eq!(counts(&got), expected, "{transport:?}");
        let data = |fs: &[Frame]| {
            fs.iter()
                .map(|f| (f.track.kind, f.dts, f.data.clone()))
                .collect::<Vec<_>>()
        };
        let mut sorted = data(&got);
        let mut want = data(&source.frames);
        sorted.sort_by_key(|(k, t, _)| (*k, *t));
        want.sort_by_key(|(k, t, _)| (*k, *t));
        assert_eq!(sorted.len(), want.len());
        for (a, b) in sorted.iter().zip(&want) {
            assert_eq!((a.0, a.1), (b.0, b.1));
            assert_eq!(a.2, b.2, "frame data at {:?}", a.1);
        }
    }
}

/// The rules the demuxer reports for a capture.
fn rules(out: &Outputs<PsEvent>) -> Vec<&'static str> {
    let mut r: Vec<&'static str> = out.violations.iter().map(|v| v.rule.id).collect();
    r.sort();
    r.dedup();
    r
}

#[test]
fn each_fault_that_loses_nothing_gives_every_frame_back() {
    let expected = counts(&media().frames);
    for (name, mangle) in Mangle::ALL {
        if mangle.loses_frames() {
            continue;
        }
        for transport in [Transport::Udp, Transport::Tcp] {
            let packets = capture(transport, Some(mangle));
            let out = demux(&packets, SSRC);
            assert_eq!(out.error, None, "{name}");
            assert_eq!(counts(&frames(&out)), expected, "{name} over {transport:?}");
            let fired = rules(&out);
            let wanted: &[&str] = match mangle {
                Mangle::ZeroStuffing => &["mpegps.stream.zero-stuffing"],
                Mangle::BrokenPsmLength => &["mpegps.psm.length"],
                Mangle::NoPsm => &["mpegps.es.sniffed"],
                Mangle::ClearedMarkers => &["mpegps.pack.marker"],
                Mangle::Junk => &["mpegps.stream.garbage"],
                _ => &[],
            };
            for rule in wanted {
                assert!(fired.contains(rule), "{name}: {fired:?}");
            }
            match mangle {
                Mangle::SplitStartCodes => {
                    assert!(
                        packets.windows(2).any(|w| w[0].payload.ends_with(&[0, 0])
                            && w[1].payload.starts_with(&[1, 0xba])),
                        "a pack start code across two packets"
                    )
                }
                Mangle::HeaderExtension => {
                    assert!(packets.iter().all(|p| p.extension.is_some()))
                }
                _ => {}
            }
        }
    }
}

#[test]
fn each_fault_that_loses_frames_loses_few_and_never_errs() {
    let expected = counts(&media().frames);
    let total: usize = expected.values().sum();
    for (name, mangle) in Mangle::ALL {
        if !mangle.loses_frames() {
            continue;
        }
        let packets = capture(Transport::Udp, Some(mangle));
        let out = demux(&packets, SSRC);
        assert_eq!(out.error, None, "{name}");
        let got = counts(&frames(&out));
        let n: usize = got.values().sum();
        assert!(n < total, "{name}: lost nothing ({got:?})");
        assert!(n * 10 >= total * 8, "{name}: {n} of {total} frames");
        assert_eq!(got.len(), 2, "{name}: both tracks survive: {got:?}");
        match mangle {
            Mangle::WrongSsrc => assert!(packets.iter().any(|p| p.ssrc != SSRC)),
            Mangle::RtpLoss => assert!(
                packets
                    .windows(2)
                    .any(|w| w[1].sequence != w[0].sequence.wrapping_add(1))
            ),
            _ => {}
        }
    }
}

#[test]
fn a_capture_for_a_duration_loops_the_file_with_continuous_timestamps() {
    let source = media();
    let period = Duration::from_micros(source.period.0 as u64 * 100 / 9);
    let options = PcapOptions {
        transport: Transport::Udp,
        mangle: None,
        ssrc: SSRC,
        duration: Some(period + period / 2),
    };
    let packets = rtp_of(&write_pcap(&source, &options).unwrap());
    let got = frames(&demux(&packets, SSRC));
    assert_eq!(got.len(), 2 * source.frames.len(), "two loops");
    let video: Vec<i64> = got
        .iter()
        .filter(|f| f.track.kind == MediaKind::Video)
        .map(|f| f.dts.0)
        .collect();
    assert!(
        video.windows(2).all(|w| w[1] > w[0]),
        "video DTS goes forward across the loop"
    );
}

/// A fake of SRS's API: answers each `POST /gb/v1/publish/` with `port` and `is_tcp` and
/// hands the request bodies back.
fn fake_api(
    port: u16,
    is_tcp: bool,
    requests: usize,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for _ in 0..requests {
            let (mut conn, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert!(line.starts_with("POST /gb/v1/publish/ "), "{line}");
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            bodies.push(String::from_utf8(body).unwrap());
            let answer = format!(r#"{{"code":0,"port":{port},"is_tcp":{is_tcp}}}"#);
            write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
        }
        bodies
    });
    (api, thread)
}

fn options(api: String) -> GbOptions {
    GbOptions {
        api,
        devices: 2,
        publish: weir_testkit::corpus::path(FILE),
        transport: None,
        mangle: None,
        duration: Some(Duration::from_secs(2)),
        reconnect: None,
    }
}

/// Frames per SSRC out of RTP packets.
fn frames_per_ssrc(packets: &[RtpPacket]) -> BTreeMap<u32, usize> {
    let ssrcs: std::collections::BTreeSet<u32> = packets.iter().map(|p| p.ssrc).collect();
    ssrcs
        .into_iter()
        .map(|s| (s, frames(&demux(packets, s)).len()))
        .collect()
}

#[test]
fn devices_register_with_the_api_and_stream_ps_over_tcp_as_it_answers() {
    let media_port = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = media_port.local_addr().unwrap().port();
    let (api, requests) = fake_api(port, true, 2);
    let readers = std::thread::spawn(move || {
        let mut packets = Vec::new();
        for _ in 0..2 {
            let (mut conn, _) = media_port.accept().unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut stream = Vec::new();
            let _ = conn.read_to_end(&mut stream);
            packets.extend(deframe(&stream));
        }
        packets
    });
    let mut progress = Vec::new();
    let summary = run(&options(api), &mut progress).unwrap();
    let bodies = requests.join().unwrap();
    assert_eq!(
        bodies,
        [
            format!(
                r#"{{"id":"34020000001320000000","ssrc":"{}"}}"#,
                device_ssrc(0)
            ),
            format!(
                r#"{{"id":"34020000001320000001","ssrc":"{}"}}"#,
                device_ssrc(1)
            ),
        ]
    );
    assert!(summary.passed(), "{summary}");
    assert_eq!(summary.transport, "TCP");
    let progress = String::from_utf8(progress).unwrap();
    assert!(progress.contains("devices 2/2"), "{progress}");
    // The run ends with its runtime, closing the connections.
    let per_ssrc = frames_per_ssrc(&readers.join().unwrap());
    assert_eq!(
        per_ssrc.keys().copied().collect::<Vec<_>>(),
        [device_ssrc(0), device_ssrc(1)]
    );
    // Two seconds of 25 fps video and AAC, less the frames still being demuxed at the end.
    for (ssrc, n) in per_ssrc {
        assert!(n >= 60, "SSRC {ssrc}: {n} frames");
    }
    assert!(summary.frames >= 120, "{summary}");
}

#[test]
fn devices_stream_over_udp_when_the_api_says_so() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let (api, requests) = fake_api(port, false, 2);
    // Read as they come (the socket's buffer would not hold two seconds of two devices).
    let reader = std::thread::spawn(move || {
        socket
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let mut packets = Vec::new();
        let mut buf = vec![0; 65536];
        while let Ok(n) = socket.recv(&mut buf) {
            packets.push(RtpPacket::parse(&Bytes::copy_from_slice(&buf[..n])).unwrap());
        }
        packets
    });
    let summary = run(&options(api), &mut Vec::new()).unwrap();
    requests.join().unwrap();
    assert!(summary.passed(), "{summary}");
    assert_eq!(summary.transport, "UDP");
    let packets = reader.join().unwrap();
    for (ssrc, n) in frames_per_ssrc(&packets) {
        assert!(n >= 60, "SSRC {ssrc}: {n} frames");
    }
    assert_eq!(
        packets
            .iter()
            .map(|p| p.payload.len() as u64 + 12)
            .sum::<u64>(),
        summary.bytes
    );
}

#[test]
fn a_refused_registration_stops_the_run_before_streaming() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0; 4096];
        let _ = conn.read(&mut buf);
        let answer = r#"{"code":1028,"desc":"stream busy"}"#;
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        );
    });
    let error = run(&options(api), &mut Vec::new()).unwrap_err();
    thread.join().unwrap();
    assert!(error.contains("code 1028: stream busy"), "{error}");
}

#[test]
fn a_ts_file_streams_too() {
    let source = Media::read(&weir_testkit::corpus::path("mpegts/test-segment.ts")).unwrap();
    let expected = counts(&source.frames);
    assert_eq!(expected.len(), 2, "H.264 and AAC: {expected:?}");
    let options = PcapOptions {
        transport: Transport::Tcp,
        mangle: None,
        ssrc: SSRC,
        duration: None,
    };
    let packets = rtp_of(&write_pcap(&source, &options).unwrap());
    let out = demux(&packets, SSRC);
    assert_eq!(out.error, None);
    assert_eq!(counts(&frames(&out)), expected);
}
