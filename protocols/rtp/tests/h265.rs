//! H.265 over RTP (RFC 7798): round trips through our packetizer and depacketizer under loss
//! and reordering, parameter sets from the session, and each rule the depacketizer checks.

mod support;

use base64::Engine;
use bytes::Bytes;
use proptest::prelude::*;
use support::{Groups, dropped, rules, run};
use weir_media::access_unit::{InBand, VideoSyntax, record_params};
use weir_media::{Codec, Frame, MediaPacket, Output, Timestamp, Track, TrackConfig};
use weir_rtp::payload::Unit;
use weir_rtp::{Event, Format};

/// libx265's parameter sets (ffmpeg 5.1, `testsrc=size=320x180`), as in weir-media's tests.
const VPS: &str = "40010c01ffff01600000030090000003000003003c959809";
const SPS: &str =
    "42010101600000030090000003000003003ca00a080b9f796566924caf016808000003000800000300c840";
const PPS: &str = "4401c172b46240";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The decoder configuration record of the three parameter sets.
fn record() -> Bytes {
    let mut data = Vec::new();
    let mut ranges = Vec::new();
    for p in [VPS, SPS, PPS] {
        let start = data.len();
        data.extend(hex(p));
        ranges.push(start..data.len());
    }
    InBand::new(VideoSyntax::Hevc)
        .access_unit(&data, &ranges)
        .config
        .expect("a record")
}

fn format() -> Format {
    Format::new("H265", 90_000)
}

/// A frame of slice segments of the given sizes: IDR_W_RADL (19) or TRAIL_R (1); the first
/// segment has first_slice_segment_in_pic_flag set.
fn frame(n: i64, keyframe: bool, sizes: &[usize]) -> MediaPacket {
    let mut data = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let kind: u8 = if keyframe { 19 } else { 1 };
        let mut nal = vec![kind << 1, 1];
        nal.extend((0..size).map(|k| (k * 5 + n as usize) as u8));
        nal[2] = if i == 0 { nal[2] | 0x80 } else { nal[2] & 0x7f };
        data.extend_from_slice(&(nal.len() as u32).to_be_bytes());
        data.extend_from_slice(&nal);
    }
    let time = Timestamp(n * 3000);
    MediaPacket::Frame(Frame {
        track: Track::VIDEO,
        codec: Codec::H265,
        pts: time,
        dts: time,
        keyframe,
        data: data.into(),
    })
}

fn stream(sizes: &[Vec<usize>]) -> Vec<MediaPacket> {
    let config = MediaPacket::Config(TrackConfig {
        track: Track::VIDEO,
        codec: Codec::H265,
        data: record(),
    });
    support::video_stream(config, sizes, frame)
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

fn configs(out: &[Output<Event>]) -> Vec<Bytes> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::Unit(Unit::Media(MediaPacket::Config(c)))) => Some(c.data.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn without_loss_every_frame_and_the_in_band_record_come_back() {
    let sizes: Vec<Vec<usize>> = (0..25).map(|n| vec![40 + n * 91, 20, 1800]).collect();
    let media = stream(&sizes);
    let (packets, _) = support::packetize(&format(), &media, 1200);
    // Parameter sets and small segments share aggregation packets; big ones are fragmented.
    assert!(packets.iter().any(|p| p.payload[0] >> 1 == 48));
    assert!(packets.iter().any(|p| p.payload[0] >> 1 == 49));
    let out = run(&format(), packets);
    assert!(out.iter().all(|o| matches!(o, Output::Event(_))), "{out:?}");
    let got: Vec<_> = support::frames(&out)
        .into_iter()
        .map(MediaPacket::Frame)
        .collect();
    assert_eq!(got, media[1..].to_vec());
    let configs = configs(&out);
    assert_eq!(configs.len(), 1);
    assert_eq!(
        record_params(VideoSyntax::Hevc, &configs[0]).unwrap(),
        record_params(VideoSyntax::Hevc, &record()).unwrap()
    );
}

#[test]
fn parameter_sets_from_the_session_make_the_first_record() {
    let b64 = |h| base64::engine::general_purpose::STANDARD.encode(hex(h));
    let fmtp = format!(
        "sprop-vps={};sprop-sps={};sprop-pps={}",
        b64(VPS),
        b64(SPS),
        b64(PPS)
    );
    let with = Format::new("H265", 90_000).with_fmtp(&fmtp);
    let out = run(&with, support::packets(&[&[&[19 << 1, 1, 0x80, 1]]], 3000));
    assert_eq!(configs(&out), [record()]);
    assert_eq!(support::frames(&out).len(), 1);
    assert!(rules(&out).is_empty(), "{out:?}");
    // DONL fields are refused, not misread.
    let donl = Format::new("H265", 90_000).with_fmtp("sprop-max-don-diff=2");
    assert!(weir_rtp::Depacketizer::new(&donl, weir_rtp::Limits::default()).is_err());
}

#[test]
fn each_rule_fires_on_the_packets_that_break_it() {
    let idr: &[u8] = &[19 << 1, 1, 0x80, 2];
    let start: &[&[u8]] = &[idr];
    // An FU header byte: S, E and the type (19).
    let (s, m, e) = (0x80 | 19, 19, 0x40 | 19);
    let fu = 49 << 1;
    let cases: &[(&str, Groups, usize)] = &[
        // (rule, packets by frame, frames dropped)
        ("rtp.h265.nal-type", &[&[&[51 << 1, 1, 9], idr]], 0),
        (
            "rtp.h265.forbidden-bit",
            &[&[&[0x80 | 19 << 1, 1, 0x80]]],
            0,
        ),
        (
            "rtp.h265.aggregation",
            &[&[&[48 << 1, 1, 0, 9, 19 << 1, 1]]],
            1,
        ),
        ("rtp.h265.aggregation", &[&[&[48 << 1, 1]]], 1),
        ("rtp.h265.aggregation", &[&[&[48 << 1, 1, 0, 1, 0x26]]], 1),
        (
            "rtp.h265.aggregation",
            &[&[&[48 << 1, 1, 0, 3, 49 << 1, 1, 0x93]]],
            1,
        ),
        ("rtp.h265.fu", &[&[&[fu, 1, s | 0x40, 1]]], 0),
        ("rtp.h265.fu", &[&[&[fu, 1, m, 1], &[fu, 1, e, 2]]], 1),
        ("rtp.h265.fu", &[&[&[fu, 1, s, 1], &[fu, 1, s, 2]]], 1),
        ("rtp.h265.fu", &[&[&[fu, 1, s, 1], &[fu, 1, m, 2]]], 1),
        (
            "rtp.h265.fu",
            &[&[&[fu, 1, 0x80 | 48, 1], &[fu, 1, 0x40 | 48, 2]]],
            1,
        ),
        ("rtp.h265.fu", &[&[&[fu, 1]]], 1),
    ];
    let mut table = Vec::new();
    for (rule, groups, drops) in cases {
        let all: Vec<&[&[u8]]> = std::iter::once(start)
            .chain(groups.iter().copied())
            .collect();
        let out = run(&format(), support::packets(&all, 3000));
        assert_eq!(dropped(&out), *drops, "{rule}: {out:?}");
        table.push((*rule, rules(&out)));
    }
    // PACI packets are legal but not taken apart: the frame is dropped, nothing is reported.
    let out = run(
        &format(),
        support::packets(&[start, &[&[50 << 1, 1, 0, 0]]], 3000),
    );
    assert_eq!((rules(&out).len(), dropped(&out)), (0, 1));
    let bad = Format::new("H265", 90_000).with_fmtp("sprop-sps=%%");
    let out = run(&bad, support::packets(&[start], 3000));
    assert_eq!(rules(&out), ["rtp.h265.sprop"]);
    table.push(("rtp.h265.sprop", rules(&out)));
    let ours = weir_testkit::rule_table::area(weir_rtp::rules::CATALOG, &["rtp.h265."]);
    weir_testkit::rule_table::check(&ours, &table);
}
