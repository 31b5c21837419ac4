//! Every payload format's depacketizer on hostile packets: the first byte picks the format,
//! the rest is RTP datagrams, each with a 16-bit length before it, arriving 10 ms apart and
//! through the reorder window's timeouts. No panic; every frame that comes out fits the
//! limits; every packetizer takes back what came out.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};
use weir_media::{MediaPacket, Output};
use weir_rtp::packetizer::{Packetizer, Start};
use weir_rtp::payload::Unit;
use weir_rtp::{Depacketizer, Event, Format, Limits, RtpPacket};

fn formats() -> Vec<Format> {
    vec![
        Format::new("H264", 90_000).with_fmtp("packetization-mode=1"),
        Format::new("H264", 90_000),
        Format::new("H265", 90_000),
        Format::new("VP8", 90_000),
        Format::new("VP9", 90_000),
        Format::new("AV1", 90_000),
        Format::new("opus", 48_000).with_channels(2),
        Format::new("mpeg4-generic", 48_000).with_fmtp(
            "mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190",
        ),
        Format::of_static(0).unwrap(),
        Format::of_static(33).unwrap(),
        Format::new("PS", 90_000),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let formats = formats();
    let format = &formats[usize::from(pick) % formats.len()];
    let limits = Limits {
        reorder_packets: 16,
        reorder_wait: Duration::from_millis(50),
        frame_packets: 64,
        frame_bytes: 64 * 1024,
    };
    let mut d = Depacketizer::new(format, limits).unwrap();
    let mut now = Instant::now();
    let mut out = Vec::new();
    let mut index = 0;
    while let [a, b, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*a, *b])).min(tail.len());
        let (datagram, after) = tail.split_at(len);
        rest = after;
        if let Ok(packet) = RtpPacket::parse(&bytes::Bytes::copy_from_slice(datagram)) {
            d.push(now, index, packet);
        }
        index += 1;
        now += Duration::from_millis(10);
        if let Some(at) = d.poll_timeout() {
            if at <= now {
                d.handle_timeout(now);
            }
        }
        out.extend(std::iter::from_fn(|| d.poll_output()));
    }
    d.finish();
    out.extend(std::iter::from_fn(|| d.poll_output()));
    let start = Start {
        ssrc: 1,
        sequence: 0,
        timestamp: 0,
    };
    let mut p = Packetizer::new(format, 96, start, 1200).unwrap();
    let mut packets = Vec::new();
    for o in out {
        match o {
            Output::Event(Event::Unit(Unit::Media(m))) => {
                if let MediaPacket::Frame(f) = &m {
                    assert!(f.data.len() <= limits.frame_bytes * 2);
                }
                let _ = p.packetize(&m, &mut packets);
            }
            Output::Event(Event::Unit(Unit::Mux(b))) => {
                let _ = p.packetize_mux(b, weir_media::Timestamp(0), &mut packets);
            }
            _ => {}
        }
    }
});
