//! H.264 over RTP (RFC 6184): round trips through our packetizer and depacketizer under loss
//! and reordering, and each rule the depacketizer checks, fired by the packets that break it.

mod support;

use bytes::Bytes;
use proptest::prelude::*;
use std::time::Instant;
use weir_media::access_unit::{VideoSyntax, record_params};
use weir_media::{Codec, Frame, MediaPacket, Output, Timestamp, Track, TrackConfig};
use weir_rtp::payload::Unit;
use weir_rtp::{Depacketizer, Event, Format, Limits, RtpPacket};

/// x264's decoder configuration record for 320x240 baseline, level 1.3 (the one the RTMP probe
/// publishes).
const RECORD: &[u8] = &[
    0x01, 0x42, 0xc0, 0x0d, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb,
    0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x42, 0xa4, 0x80,
    0x01, 0x00, 0x05, 0x68, 0xcb, 0x83, 0xcb, 0x20,
];

fn format() -> Format {
    Format::new("H264", 90_000).with_fmtp("packetization-mode=1;profile-level-id=42c00d")
}

fn config() -> MediaPacket {
    MediaPacket::Config(TrackConfig {
        track: Track::VIDEO,
        codec: Codec::H264,
        data: Bytes::from_static(RECORD),
    })
}

/// A frame of slices of the given sizes: the first starts the picture (first_mb_in_slice 0).
fn frame(n: i64, keyframe: bool, sizes: &[usize]) -> MediaPacket {
    let mut data = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let mut nal = vec![if keyframe { 0x65 } else { 0x41 }];
        nal.extend((0..size).map(|k| (k * 7 + n as usize) as u8));
        nal[1] = if i == 0 { nal[1] | 0x80 } else { nal[1] & 0x7f };
        data.extend_from_slice(&(nal.len() as u32).to_be_bytes());
        data.extend_from_slice(&nal);
    }
    let time = Timestamp(n * 3000);
    MediaPacket::Frame(Frame {
        track: Track::VIDEO,
        codec: Codec::H264,
        pts: time,
        dts: time,
        keyframe,
        data: data.into(),
    })
}

fn stream(sizes: &[Vec<usize>]) -> Vec<MediaPacket> {
    support::video_stream(config(), sizes, frame)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn frames_survive_loss_and_reordering_whole_or_not_at_all(
        sizes in prop::collection::vec(prop::collection::vec(prop_oneof![1usize..300, 300usize..4000], 1..6), 1..30),
        mtu in 200usize..=1500,
        lost in prop::collection::btree_set(0usize..300, 0..12),
        swaps in prop::collection::vec(0usize..300, 0..20),
    ) {
        support::check(&format(), &stream(&sizes), mtu, &lost, &swaps);
    }
}

#[test]
fn without_loss_every_frame_and_the_in_band_record_come_back() {
    let sizes: Vec<Vec<usize>> = (0..25).map(|n| vec![50 + n * 97, 30, 2000]).collect();
    let media = stream(&sizes);
    let (packets, _) = support::packetize(&format(), &media, 1200);
    let out = support::depacketize(&format(), &packets, &(0..packets.len()).collect::<Vec<_>>());
    assert!(out.iter().all(|o| matches!(o, Output::Event(_))), "{out:?}");
    let sent: Vec<_> = media[1..].to_vec();
    let got: Vec<_> = support::frames(&out)
        .into_iter()
        .map(MediaPacket::Frame)
        .collect();
    assert_eq!(got, sent);
    let configs: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Event(Event::Unit(Unit::Media(MediaPacket::Config(c)))) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(configs.len(), 1);
    let (params, _) = record_params(VideoSyntax::Avc, &configs[0].data).unwrap();
    let (sent_params, _) = record_params(VideoSyntax::Avc, RECORD).unwrap();
    assert_eq!(params, sent_params);
}

#[test]
fn mode_0_sends_each_nal_unit_alone_and_refuses_one_too_big() {
    let mode0 = Format::new("H264", 90_000);
    let media = vec![config(), frame(0, true, &[100, 200])];
    let (packets, _) = support::packetize(&mode0, &media, 1500);
    // SPS, PPS and two slices, each alone.
    assert_eq!(packets.len(), 4);
    assert!(
        packets
            .iter()
            .all(|p| matches!(p.payload[0] & 0x1f, 1..=23))
    );
    let mut p = weir_rtp::packetizer::Packetizer::new(
        &mode0,
        96,
        weir_rtp::packetizer::Start {
            ssrc: 1,
            sequence: 0,
            timestamp: 0,
        },
        500,
    )
    .unwrap();
    assert!(
        p.packetize(&frame(1, false, &[1000]), &mut Vec::new())
            .is_err()
    );
}

/// Packets of the given payloads after a first frame, an IDR slice, that starts the stream.
fn packets(groups: &[&[&[u8]]]) -> Vec<RtpPacket> {
    let start: &[&[u8]] = &[&[0x65, 0x88, 0]];
    let all: Vec<&[&[u8]]> = std::iter::once(start)
        .chain(groups.iter().copied())
        .collect();
    support::packets(&all, 3000)
}

use support::{Groups, dropped, rules, run};
use weir_rtp::rules::CATALOG;
use weir_testkit::rule_table;

#[test]
fn each_rule_fires_on_the_packets_that_break_it() {
    let idr: &[u8] = &[0x65, 0x88, 1, 2];
    let cases: &[(&str, Groups, usize)] = &[
        // (rule, packets by frame, frames dropped)
        ("rtp.h264.nal-type", &[&[&[0x1e, 1, 2], idr]], 0),
        ("rtp.h264.forbidden-bit", &[&[&[0xe5, 0x88, 1]]], 0),
        ("rtp.h264.stap-size", &[&[&[0x18, 0x00, 0x09, 0x65, 1]]], 1),
        ("rtp.h264.stap-size", &[&[&[0x18]]], 1),
        (
            "rtp.h264.stap-size",
            &[&[&[0x18, 0x00, 0x02, 0x1c, 0x85]]],
            1,
        ),
        ("rtp.h264.fu", &[&[&[0x7c, 0xc5, 1]]], 0),
        ("rtp.h264.fu", &[&[&[0x7c, 0x05, 1], &[0x7c, 0x45, 2]]], 1),
        ("rtp.h264.fu", &[&[&[0x7c, 0x85, 1], &[0x7c, 0x85, 2]]], 1),
        ("rtp.h264.fu", &[&[&[0x7c, 0x85, 1], &[0x7c, 0x05, 2]]], 1),
        ("rtp.h264.fu", &[&[&[0x7c, 0x98, 1], &[0x7c, 0x58, 2]]], 1),
        ("rtp.h264.fu", &[&[&[0x7c]]], 1),
        (
            "rtp.h264.fu-reserved",
            &[&[&[0x7c, 0xa5, 1], &[0x7c, 0x45, 2]]],
            0,
        ),
        (
            "rtp.h264.packetization-mode",
            &[&[&[0x19, 0, 0, 0x65, 1]]],
            1,
        ),
        ("rtp.payload.marker", &[&[idr], &[idr]], 0),
    ];
    let mut table = Vec::new();
    for (rule, groups, drops) in cases {
        let mut ps = packets(groups);
        if *rule == "rtp.payload.marker" {
            ps[1].marker = false;
        }
        let out = run(&format(), ps);
        assert_eq!(dropped(&out), *drops, "{rule}: {out:?}");
        table.push((*rule, rules(&out)));
    }
    // Aggregates and fragments are mode 1's: in mode 0 they are reported.
    let out = run(
        &Format::new("H264", 90_000),
        packets(&[&[&[0x18, 0, 2, 0x65, 1]]]),
    );
    assert_eq!(rules(&out), ["rtp.h264.packetization-mode"]);
    // A marker before the frame's last packet.
    let mut ps = packets(&[&[&[0x7c, 0x85, 1], &[0x7c, 0x45, 2]]]);
    ps[1].marker = true;
    assert!(rules(&run(&format(), ps)).contains(&"rtp.payload.marker"));
    // Bad sprop-parameter-sets.
    let bad =
        Format::new("H264", 90_000).with_fmtp("packetization-mode=1;sprop-parameter-sets=Z0LA,%%%");
    let out = run(&bad, packets(&[&[idr]]));
    table.push(("rtp.h264.sprop-parameter-sets", rules(&out)));
    // A frame over the receiver's limits.
    let limits = Limits {
        frame_packets: 2,
        ..Limits::default()
    };
    let mut d = Depacketizer::new(&format(), limits).unwrap();
    for (i, p) in packets(&[&[&[0x7c, 0x85, 1], &[0x7c, 0x05, 2], &[0x7c, 0x45, 3]]])
        .into_iter()
        .enumerate()
    {
        d.push(Instant::now(), i as u64, p);
    }
    d.finish();
    let out: Vec<_> = std::iter::from_fn(|| d.poll_output()).collect();
    assert_eq!(rules(&out), ["rtp.payload.frame-limit"]);
    assert_eq!(dropped(&out), 1);
    table.push(("rtp.payload.frame-limit", rules(&out)));
    let ours = rule_table::area(CATALOG, &["rtp.h264.", "rtp.payload."]);
    rule_table::check(&ours, &table);
}

#[test]
fn the_start_and_a_missing_packet_are_waited_for_then_settled() {
    let ps = packets(&[&[&[0x41, 0x9a, 2]], &[&[0x41, 0x9a, 3]]]);
    let limits = Limits::default();
    let mut d = Depacketizer::new(&format(), limits).unwrap();
    let t0 = Instant::now();
    let mut it = ps.into_iter();
    // The first packet to arrive may not be the first sent: the start waits.
    d.push(t0, 0, it.next().unwrap());
    assert_eq!(d.poll_output(), None);
    assert_eq!(d.poll_timeout(), Some(t0 + limits.reorder_wait));
    d.handle_timeout(t0 + limits.reorder_wait);
    let out: Vec<_> = std::iter::from_fn(|| d.poll_output()).collect();
    assert_eq!(support::frames(&out).len(), 1);
    assert_eq!(d.poll_timeout(), None);
    // Then a packet is missing: the next one waits for it, as long.
    let _lost = it.next();
    let t1 = t0 + limits.reorder_wait * 2;
    d.push(t1, 2, it.next().unwrap());
    assert_eq!(d.poll_output(), None);
    let at = d.poll_timeout().expect("waits for the missing packet");
    assert_eq!(at, t1 + limits.reorder_wait);
    d.handle_timeout(at);
    let out: Vec<_> = std::iter::from_fn(|| d.poll_output()).collect();
    assert!(
        matches!(out[0], Output::Event(Event::Lost { first: 1, count: 1 })),
        "{out:?}"
    );
    // The frame after the loss is a slice of first_mb_in_slice 0 (0x9a's first bit): kept.
    assert_eq!(support::frames(&out).len(), 1);
    assert_eq!(d.poll_timeout(), None);
}

#[test]
fn sixteen_packets_settle_the_start_without_waiting() {
    let groups: Vec<Vec<u8>> = (0..20).map(|i| vec![0x41, 0x9a, i]).collect();
    let refs: Vec<&[u8]> = groups.iter().map(|g| &g[..]).collect();
    let frames: Vec<&[&[u8]]> = refs.iter().map(std::slice::from_ref).collect();
    let mut d = Depacketizer::new(&format(), Limits::default()).unwrap();
    let now = Instant::now();
    let mut ps = packets(&frames);
    // The second packet sent arrives first.
    ps.swap(0, 1);
    let mut out = Vec::new();
    for (i, p) in ps.into_iter().enumerate() {
        d.push(now, i as u64, p);
        out.extend(std::iter::from_fn(|| d.poll_output()));
    }
    let got = support::frames(&out);
    assert_eq!(got.len(), 21);
    assert_eq!(got[0].pts, Timestamp(0));
    assert_eq!(d.late(), 0);
}
