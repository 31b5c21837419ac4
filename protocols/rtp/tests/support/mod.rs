//! What the payload format tests share: media through a packetizer, the packets lost and
//! reordered as a test says, then through a depacketizer; and the property every format keeps.
#![allow(dead_code)]

pub mod peer;

use bytes::Bytes;
use std::collections::BTreeSet;
use std::time::Instant;
use weir_media::{Frame, MediaPacket, Output};
use weir_rtp::packetizer::{Packetizer, Start};
use weir_rtp::payload::Unit;
use weir_rtp::{Depacketizer, Event, Format, Limits, RtpPacket};

/// Packets made from `media`, and the index in `media` each came from.
pub fn packetize(
    format: &Format,
    media: &[MediaPacket],
    mtu: usize,
) -> (Vec<RtpPacket>, Vec<usize>) {
    let start = Start {
        ssrc: 0x5eed,
        sequence: 65_500,
        timestamp: u32::MAX - 5_000,
    };
    let mut p = Packetizer::new(format, 96, start, mtu).expect("a packetizer");
    let (mut packets, mut from) = (Vec::new(), Vec::new());
    for (i, m) in media.iter().enumerate() {
        let before = packets.len();
        p.packetize(m, &mut packets).expect("packetizes");
        from.extend(std::iter::repeat_n(i, packets.len() - before));
    }
    for packet in &packets {
        assert!(
            packet.len() <= mtu,
            "a {}-byte packet for MTU {mtu}",
            packet.len()
        );
    }
    (packets, from)
}

/// The depacketizer's outputs for `packets` arriving in `order` (indexes into `packets`).
pub fn depacketize(format: &Format, packets: &[RtpPacket], order: &[usize]) -> Vec<Output<Event>> {
    let mut d = Depacketizer::new(format, Limits::default()).expect("a depacketizer");
    let now = Instant::now();
    let mut out = Vec::new();
    for &i in order {
        // Through the wire format, so that what is judged is what a peer would send.
        let bytes = packets[i].to_bytes().expect("writes");
        let packet = RtpPacket::parse(&bytes).expect("parses");
        d.push(now, i as u64, packet);
        out.extend(std::iter::from_fn(|| d.poll_output()));
    }
    d.finish();
    out.extend(std::iter::from_fn(|| d.poll_output()));
    out
}

/// The frames among outputs.
pub fn frames(out: &[Output<Event>]) -> Vec<Frame> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::Unit(Unit::Media(MediaPacket::Frame(f)))) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Arrival order: every index but the `lost`, with the ones at `swaps` exchanged with their
/// successor.
pub fn arrival(count: usize, lost: &BTreeSet<usize>, swaps: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).filter(|i| !lost.contains(i)).collect();
    for &s in swaps {
        if s + 1 < order.len() {
            order.swap(s, s + 1);
        }
    }
    order
}

/// The property every payload format keeps under loss and reordering (packet 0 never lost,
/// as it sets the timeline's origin): no frame comes out that did not go in, they come out in
/// order, and a frame comes out whenever its packets and the packet before it all arrived.
/// No violation is reported for what a packetizer of ours sent.
pub fn check(
    format: &Format,
    media: &[MediaPacket],
    mtu: usize,
    lost: &BTreeSet<usize>,
    swaps: &[usize],
) {
    let (packets, from) = packetize(format, media, mtu);
    let lost: BTreeSet<usize> = lost
        .iter()
        .copied()
        .filter(|&i| i != 0 && i < packets.len())
        .collect();
    let out = depacketize(format, &packets, &arrival(packets.len(), &lost, swaps));
    let violations: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Violation(v) => Some(v),
            _ => None,
        })
        .collect();
    assert!(violations.is_empty(), "{violations:?}");
    let sent: Vec<(usize, &Frame)> = media
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m {
            MediaPacket::Frame(f) => Some((i, f)),
            _ => None,
        })
        .collect();
    let got = frames(&out);
    let mut at = 0;
    for f in &got {
        let Some(k) = sent[at..].iter().position(|(_, s)| *s == f) else {
            panic!("a frame came out that did not go in, or out of order: {f:?}");
        };
        at += k + 1;
    }
    for (i, f) in &sent {
        let mine: Vec<usize> = (0..packets.len()).filter(|&p| from[p] == *i).collect();
        let Some(&first) = mine.first() else { continue };
        let whole = mine.iter().all(|p| !lost.contains(p));
        let before = first == 0 || !lost.contains(&(first - 1));
        if whole && before {
            assert!(
                got.contains(f),
                "frame {i} arrived whole but did not come out"
            );
        }
    }
}

/// Packets' payloads, frame by frame.
pub type Groups<'a> = &'a [&'a [&'a [u8]]];

/// Packets with the given payloads, one timestamp per group (`ticks` apart), consecutive
/// sequence numbers from 0, the marker bit on the last packet of each group.
pub fn packets(groups: &[&[&[u8]]], ticks: u32) -> Vec<RtpPacket> {
    let mut out = Vec::new();
    for (g, payloads) in groups.iter().enumerate() {
        for (i, p) in payloads.iter().enumerate() {
            out.push(RtpPacket {
                marker: i + 1 == payloads.len(),
                payload_type: 96,
                sequence: out.len() as u16,
                timestamp: g as u32 * ticks,
                ssrc: 7,
                csrcs: Vec::new(),
                extension: None,
                payload: Bytes::copy_from_slice(p),
                padding: 0,
            });
        }
    }
    out
}

/// The depacketizer's outputs for `packets` in order, then the end.
pub fn run(format: &Format, packets: Vec<RtpPacket>) -> Vec<Output<Event>> {
    let order: Vec<usize> = (0..packets.len()).collect();
    depacketize(format, &packets, &order)
}

/// The rule ids among outputs.
pub fn rules(out: &[Output<Event>]) -> Vec<&'static str> {
    out.iter()
        .filter_map(|o| match o {
            Output::Violation(v) => Some(v.rule.id),
            _ => None,
        })
        .collect()
}

/// How many frames were dropped.
pub fn dropped(out: &[Output<Event>]) -> usize {
    out.iter()
        .filter(|o| matches!(o, Output::Event(Event::Dropped { .. })))
        .count()
}

/// The multiplex bytes among outputs.
pub fn mux(out: &[Output<Event>]) -> Vec<Bytes> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::Unit(Unit::Mux(b))) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

/// A video stream: a configuration, then a frame of each size list (`frame(n, keyframe,
/// sizes)`), every tenth a keyframe.
pub fn video_stream(
    config: MediaPacket,
    sizes: &[Vec<usize>],
    frame: impl Fn(i64, bool, &[usize]) -> MediaPacket,
) -> Vec<MediaPacket> {
    let mut media = vec![config];
    for (n, s) in sizes.iter().enumerate() {
        media.push(frame(n as i64, n % 10 == 0, s));
    }
    media
}
