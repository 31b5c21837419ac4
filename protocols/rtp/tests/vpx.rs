//! VP8 (RFC 7741), VP9 (RFC 9628) and AV1 (the AOMedia RTP payload format) over RTP: round
//! trips under loss and reordering, and each rule the depacketizers check.

mod support;

use proptest::prelude::*;
use support::{Groups, dropped, rules, run};
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track};
use weir_rtp::Format;

fn video(codec: Codec, n: usize, keyframe: bool, data: Vec<u8>) -> MediaPacket {
    let time = Timestamp(n as i64 * 3000);
    MediaPacket::Frame(Frame {
        track: Track::VIDEO,
        codec,
        pts: time,
        dts: time,
        keyframe,
        data: data.into(),
    })
}

/// VP8 frames: the frame tag's first bit is the inverted keyframe flag.
fn vp8(sizes: &[usize]) -> Vec<MediaPacket> {
    sizes
        .iter()
        .enumerate()
        .map(|(n, &size)| {
            let key = n % 10 == 0;
            let mut data: Vec<u8> = (0..size.max(1)).map(|k| (k * 3 + n) as u8).collect();
            data[0] = (data[0] & !1) | u8::from(!key);
            video(Codec::Vp8, n, key, data)
        })
        .collect()
}

fn vp9(sizes: &[usize]) -> Vec<MediaPacket> {
    sizes
        .iter()
        .enumerate()
        .map(|(n, &size)| {
            let data = (0..size.max(1)).map(|k| (k * 5 + n) as u8).collect();
            video(Codec::Vp9, n, n % 10 == 0, data)
        })
        .collect()
}

fn leb128(mut v: usize, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// An OBU with its size field, of `kind`, with an extension header when `ext`.
fn obu(kind: u8, ext: bool, payload: &[u8], out: &mut Vec<u8>) {
    out.push(kind << 3 | u8::from(ext) << 2 | 0x02);
    if ext {
        out.push(0x20);
    }
    leb128(payload.len(), out);
    out.extend_from_slice(payload);
}

/// AV1 temporal units (low-overhead format): a sequence header on keyframes, then frames.
fn av1(units: &[Vec<usize>]) -> Vec<MediaPacket> {
    units
        .iter()
        .enumerate()
        .map(|(n, sizes)| {
            let key = n % 10 == 0;
            let mut data = Vec::new();
            if key {
                obu(
                    1,
                    false,
                    &[0, 0, 0, 0x42, 0xab, 0xbf, 0xc3, 0x70],
                    &mut data,
                );
            }
            for (i, &size) in sizes.iter().enumerate() {
                let payload: Vec<u8> = (0..size).map(|k| (k + i + n) as u8).collect();
                obu(6, i % 2 == 1, &payload, &mut data);
            }
            video(Codec::Av1, n, key, data)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn vp8_frames_survive_loss_and_reordering(
        sizes in prop::collection::vec(prop_oneof![1usize..300, 300usize..6000], 1..30),
        mtu in 100usize..=1500,
        lost in prop::collection::btree_set(0usize..300, 0..12),
        swaps in prop::collection::vec(0usize..300, 0..20),
    ) {
        support::check(&Format::new("VP8", 90_000), &vp8(&sizes), mtu, &lost, &swaps);
    }

    #[test]
    fn vp9_frames_survive_loss_and_reordering(
        sizes in prop::collection::vec(prop_oneof![1usize..300, 300usize..6000], 1..30),
        mtu in 100usize..=1500,
        lost in prop::collection::btree_set(0usize..300, 0..12),
        swaps in prop::collection::vec(0usize..300, 0..20),
    ) {
        support::check(&Format::new("VP9", 90_000), &vp9(&sizes), mtu, &lost, &swaps);
    }

    #[test]
    fn av1_temporal_units_survive_loss_and_reordering(
        units in prop::collection::vec(prop::collection::vec(prop_oneof![0usize..200, 200usize..5000], 1..4), 1..30),
        mtu in 100usize..=1500,
        lost in prop::collection::btree_set(0usize..300, 0..12),
        swaps in prop::collection::vec(0usize..300, 0..20),
    ) {
        support::check(&Format::new("AV1", 90_000), &av1(&units), mtu, &lost, &swaps);
    }
}

/// The rule-table check of the catalog's `area`: each case, after a `start` frame, fires its
/// rule and drops as many frames as it says.
fn fires(format: &Format, start: &[u8], area: &str, cases: &[(&str, Groups, usize)]) {
    let start: &[&[u8]] = &[start];
    let mut table = Vec::new();
    for (rule, groups, drops) in cases {
        let all: Vec<&[&[u8]]> = std::iter::once(start)
            .chain(groups.iter().copied())
            .collect();
        let out = run(format, support::packets(&all, 3000));
        assert_eq!(dropped(&out), *drops, "{rule}: {out:?}");
        table.push((*rule, rules(&out)));
    }
    let ours = weir_testkit::rule_table::area(weir_rtp::rules::CATALOG, &[area]);
    weir_testkit::rule_table::check(&ours, &table);
}

#[test]
fn each_vp8_rule_fires() {
    // X, I with a 15-bit PictureID 0x0102; S; partition 0.
    let key: &[u8] = &[0x90, 0x80, 0x81, 0x02, 0x00, 1];
    fires(
        &Format::new("VP8", 90_000),
        key,
        "rtp.vp8.",
        &[
            ("rtp.vp8.descriptor", &[&[&[0x90, 0x80, 0x81]]], 1),
            ("rtp.vp8.descriptor", &[&[&[0x10]]], 1),
            ("rtp.vp8.reserved", &[&[&[0x50, 1]]], 0),
            ("rtp.vp8.reserved", &[&[&[0x90, 0x01, 1]]], 0),
            ("rtp.vp8.frame-start", &[&[&[0x00, 1], &[0x00, 2]]], 1),
            ("rtp.vp8.frame-start", &[&[&[0x10, 1], &[0x10, 2]]], 1),
            (
                "rtp.vp8.picture-id",
                &[&[&[0x90, 0x80, 0x05, 1], &[0x80, 0x80, 0x06, 2]]],
                0,
            ),
        ],
    );
}

#[test]
fn each_vp9_rule_fires() {
    // I with PictureID 7, B and E, not predicted.
    let key: &[u8] = &[0x8c, 0x07, 1];
    let (b, e) = (0x88, 0x84);
    fires(
        &Format::new("VP9", 90_000),
        key,
        "rtp.vp9.",
        &[
            ("rtp.vp9.descriptor", &[&[&[0x80]]], 1),
            ("rtp.vp9.descriptor", &[&[&[0x0e, 0xf0]]], 1),
            ("rtp.vp9.begin-end", &[&[&[0x80, 1, 1], &[e, 1, 2]]], 1),
            ("rtp.vp9.begin-end", &[&[&[b, 1, 1], &[b, 1, 2]]], 1),
            ("rtp.vp9.begin-end", &[&[&[b, 1, 1], &[0x80, 1, 2]]], 1),
            ("rtp.vp9.picture-id", &[&[&[b, 1, 1], &[e, 2, 2]]], 0),
        ],
    );
    // Two spatial layers of one picture make a superframe: two frames, sizes 2 and 1.
    let (l0, l1): (&[u8], &[u8]) = (
        &[0xac, 0x01, 0x00, 0x00, 7, 7],
        &[0xec, 0x01, 0x02, 0x00, 9],
    );
    let out = run(
        &Format::new("VP9", 90_000),
        support::packets(&[&[l0, l1]], 3000),
    );
    let frames = support::frames(&out);
    assert_eq!(&frames[0].data[..], &[7, 7, 9, 0xc1, 2, 1, 0xc1]);
    assert!(frames[0].keyframe);
}

#[test]
fn each_av1_rule_fires() {
    // W=1, N: one frame OBU (type 6, no size field).
    let key: &[u8] = &[0x18, 0x30, 1, 2];
    fires(
        &Format::new("AV1", 90_000),
        key,
        "rtp.av1.",
        &[
            ("rtp.av1.obu-elements", &[&[&[0x00, 9, 0x30]]], 1),
            ("rtp.av1.obu-elements", &[&[&[0x20, 0x30]]], 1),
            ("rtp.av1.fragment", &[&[&[0x90, 0x30, 1]]], 1),
            (
                "rtp.av1.fragment",
                &[&[&[0x50, 0x30, 1], &[0x10, 0x30, 2]]],
                1,
            ),
            ("rtp.av1.fragment", &[&[&[0x50, 0x30, 1]]], 1),
            ("rtp.av1.obu-header", &[&[&[0x10, 0xb0, 1]]], 1),
            ("rtp.av1.obu-header", &[&[&[0x10, 0x32, 5, 1]]], 1),
            ("rtp.av1.obu-header", &[&[&[0x10, 0x32, 1, 1, 9]]], 0),
            ("rtp.av1.obu-type", &[&[&[0x20, 1, 0x10, 0x30, 1]]], 0),
        ],
    );
    // A fragmented OBU (Y, then Z) comes back whole, with its size field.
    let out = run(
        &Format::new("AV1", 90_000),
        support::packets(&[&[&[0x58, 0x30, 1], &[0x90, 2, 3]]], 3000),
    );
    let frames = support::frames(&out);
    assert_eq!(&frames[0].data[..], &[0x32, 3, 1, 2, 3]);
    assert!(frames[0].keyframe);
}
