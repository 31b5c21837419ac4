//! The `weir check` pipeline on an arbitrary UDP flow: detection (RTP, WebRTC's STUN/DTLS/SRTP,
//! TS, SRT...), then the RTP or WebRTC observer with the RTP payload types a first byte picks
//! (none, or one of the depacketizers'); its top bit gives the SRT observer the passphrase of
//! the corpus's AES-128 SRT capture, so that decryption and the TS inside are fuzzed too. The rest is datagrams, each a 16-bit length whose top
//! bit says the direction; every transcript renders.
#![no_main]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_conformance::capture::{Direction, Event, FlowEvent, FlowId, Transport};
use weir_conformance::check::{Checker, Options, Report};

const FORMATS: [&str; 8] = [
    "rtp.pt==96,H264/90000,packetization-mode=1",
    "rtp.pt==96,H265",
    "rtp.pt==96,VP8",
    "rtp.pt==96,VP9",
    "rtp.pt==96,AV1",
    "rtp.pt==96,opus",
    "rtp.pt==96,MPEG4-GENERIC/48000/2,mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190",
    "rtp.pt==96,PS/90000",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let mut options = Options::default();
    if let Some(spec) = FORMATS.get(usize::from(pick) % (FORMATS.len() + 1)) {
        options.decode_as.add(spec).unwrap();
    }
    if pick & 0x80 != 0 {
        options.decode_as.given.srt_passphrase = Some("testpassphrase123".to_owned());
    }
    let mut checker = Checker::new("fuzz", &options);
    let flow = FlowId(1);
    let event = |n: u64, event| Event {
        time: Duration::from_millis(10 * n),
        packet: n,
        event,
    };
    checker.push(event(
        0,
        FlowEvent::Opened {
            flow,
            client: SocketAddr::from(([127, 0, 0, 1], 50000)),
            server: SocketAddr::from(([127, 0, 0, 2], 5004)),
            transport: Transport::Udp,
            midstream: true,
        },
    ));
    let mut n = 1;
    while let [a, b, tail @ ..] = rest {
        let word = u16::from_be_bytes([*a, *b]);
        let direction = match word & 0x8000 {
            0 => Direction::ClientToServer,
            _ => Direction::ServerToClient,
        };
        let len = usize::from(word & 0x7fff).min(tail.len());
        let (datagram, after) = tail.split_at(len);
        rest = after;
        checker.push(event(
            n,
            FlowEvent::Datagram {
                flow,
                direction,
                bytes: Bytes::copy_from_slice(datagram),
            },
        ));
        n += 1;
    }
    let report = Report {
        inputs: vec![checker.finish()],
        strict: false,
        require_full_coverage: false,
    };
    let _ = report.transcript_yaml();
});
