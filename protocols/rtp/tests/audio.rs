//! Opus (RFC 7587), G.711 (RFC 3551 §4.5.14) and AAC (RFC 3640 AAC-hbr) over RTP: round
//! trips under loss and reordering, the configurations announced, and the rules checked.

mod support;

use bytes::Bytes;
use proptest::prelude::*;
use support::{Groups, dropped, rules, run};
use weir_media::{Codec, Frame, MediaPacket, OpusHead, Output, Timestamp, Track};
use weir_rtp::payload::Unit;
use weir_rtp::rules::CATALOG;
use weir_rtp::{Event, Format};
use weir_testkit::rule_table;

fn opus() -> Format {
    Format::new("opus", 48_000)
        .with_channels(2)
        .with_fmtp("minptime=10;useinbandfec=1;sprop-stereo=1")
}

/// AAC-LC, 48 kHz, stereo: AudioSpecificConfig 0x1190 (ISO/IEC 14496-3 §1.6.2.1).
fn aac() -> Format {
    Format::new("mpeg4-generic", 48_000).with_channels(2).with_fmtp(
        "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190",
    )
}

/// AAC frames of 1024 samples at 48 kHz (1920 ticks of 90 kHz).
fn aac_frames(sizes: &[usize]) -> Vec<MediaPacket> {
    sizes
        .iter()
        .enumerate()
        .map(|(n, &size)| {
            let time = Timestamp(1920 * n as i64);
            MediaPacket::Frame(Frame {
                track: Track::AUDIO,
                codec: Codec::Aac,
                pts: time,
                dts: time,
                keyframe: true,
                data: (0..size)
                    .map(|k| (k * 7 + n) as u8)
                    .collect::<Vec<u8>>()
                    .into(),
            })
        })
        .collect()
}

/// 20 ms frames of `codec`; Opus ones begin with a CELT 20 ms TOC (config 31, one frame).
fn frames(codec: Codec, sizes: &[usize]) -> Vec<MediaPacket> {
    sizes
        .iter()
        .enumerate()
        .map(|(n, &size)| {
            let mut data: Vec<u8> = (0..size).map(|k| (k + n) as u8).collect();
            if codec == Codec::Opus {
                data[0] = 31 << 3;
            }
            let time = Timestamp::from_millis(20 * n as i64);
            MediaPacket::Frame(Frame {
                track: Track::AUDIO,
                codec,
                pts: time,
                dts: time,
                keyframe: true,
                data: data.into(),
            })
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn opus_frames_survive_loss_and_reordering(
        sizes in prop::collection::vec(1usize..400, 1..60),
        lost in prop::collection::btree_set(0usize..60, 0..10),
        swaps in prop::collection::vec(0usize..60, 0..10),
    ) {
        support::check(&opus(), &frames(Codec::Opus, &sizes), 1200, &lost, &swaps);
    }

    #[test]
    fn g711_frames_survive_loss_and_reordering(
        sizes in prop::collection::vec(1usize..400, 1..60),
        lost in prop::collection::btree_set(0usize..60, 0..10),
        swaps in prop::collection::vec(0usize..60, 0..10),
        alaw: bool,
    ) {
        let (format, codec) = if alaw {
            (Format::of_static(8).unwrap(), Codec::Pcma)
        } else {
            (Format::of_static(0).unwrap(), Codec::Pcmu)
        };
        support::check(&format, &frames(codec, &sizes), 1200, &lost, &swaps);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn aac_frames_survive_loss_and_reordering(
        sizes in prop::collection::vec(prop_oneof![1usize..400, 400usize..5000], 1..40),
        mtu in 200usize..=1500,
        lost in prop::collection::btree_set(0usize..200, 0..10),
        swaps in prop::collection::vec(0usize..200, 0..10),
    ) {
        support::check(&aac(), &aac_frames(&sizes), mtu, &lost, &swaps);
    }
}

#[test]
fn aac_packets_of_several_units_give_each_its_time() {
    // Two AU headers (32 bits): sizes 2 and 3, index and delta 0.
    let two: &[u8] = &[0, 32, 0, 0x10, 0, 0x18, 1, 2, 3, 4, 5];
    let out = run(&aac(), support::packets(&[&[two]], 2048));
    let Output::Event(Event::Unit(Unit::Media(MediaPacket::Config(c)))) = &out[0] else {
        panic!("{out:?}");
    };
    assert_eq!(&c.data[..], &[0x11, 0x90]);
    let frames = support::frames(&out);
    assert_eq!(frames.len(), 2);
    assert_eq!(
        (&frames[0].data[..], frames[0].pts),
        (&[1, 2][..], Timestamp(0))
    );
    assert_eq!(
        (&frames[1].data[..], frames[1].pts),
        (&[3, 4, 5][..], Timestamp(1920))
    );
}

#[test]
fn each_aac_rule_fires() {
    let one: &[u8] = &[0, 16, 0, 0x10, 1, 2];
    let cases: &[(&str, Groups, usize)] = &[
        ("rtp.aac.au-headers", &[&[one], &[&[0]]], 1),
        (
            "rtp.aac.au-headers",
            &[&[one], &[&[0, 12, 0, 0x10, 1, 2]]],
            1,
        ),
        ("rtp.aac.au-headers", &[&[one], &[&[0, 64, 0, 0x10]]], 1),
        // Sizes that do not add up, in one packet and over fragments.
        (
            "rtp.aac.au-size",
            &[&[one], &[&[0, 32, 0, 0x10, 0, 0x18, 1]]],
            1,
        ),
        (
            "rtp.aac.au-size",
            &[&[one], &[&[0, 16, 0, 0x20, 1], &[0, 16, 0, 0x20, 2]]],
            1,
        ),
        (
            "rtp.aac.au-size",
            &[&[one], &[&[0, 16, 0, 0x20, 1, 2], &[0, 16, 0, 0x18, 3]]],
            1,
        ),
    ];
    let mut table = Vec::new();
    for (rule, groups, drops) in cases {
        let out = run(&aac(), support::packets(groups, 1024));
        assert_eq!(dropped(&out), *drops, "{rule}: {out:?}");
        table.push((*rule, rules(&out)));
    }
    let bad = Format::new("mpeg4-generic", 48_000).with_fmtp("mode=AAC-hbr;sizelength=6");
    let out = run(&bad, support::packets(&[&[one]], 1024));
    assert_eq!(rules(&out), ["rtp.aac.config"]);
    assert_eq!(support::frames(&out).len(), 1);
    table.push(("rtp.aac.config", rules(&out)));
    let ours = rule_table::area(CATALOG, &["rtp.aac."]);
    rule_table::check(&ours, &table);
}

#[test]
fn opus_announces_its_head_from_sprop_stereo() {
    let media = frames(Codec::Opus, &[50, 60]);
    let (packets, _) = support::packetize(&opus(), &media, 1200);
    let out = run(&opus(), packets);
    let Output::Event(Event::Unit(Unit::Media(MediaPacket::Config(c)))) = &out[0] else {
        panic!("{out:?}");
    };
    assert_eq!(OpusHead::parse(&c.data).unwrap().channels, 2);
    assert_eq!(support::frames(&out).len(), 2);
    assert!(rules(&out).is_empty());
}

#[test]
fn each_opus_rule_fires() {
    // Declared opus/48000 (one channel): the rtpmap rule; then a code 3 packet with no count.
    let mono = Format::new("opus", 48_000);
    let out = run(&mono, support::packets(&[&[&[0xf8, 1]], &[&[0xfb]]], 960));
    assert_eq!(dropped(&out), 1);
    assert_eq!(support::frames(&out).len(), 1);
    let fired = rules(&out);
    let table = [
        ("rtp.opus.rtpmap", fired.clone()),
        ("rtp.opus.packet", fired),
    ];
    rule_table::check(&rule_table::area(CATALOG, &["rtp.opus."]), &table);
}

#[test]
fn a_frame_too_big_for_the_mtu_is_refused() {
    let media = frames(Codec::Pcmu, &[2000]);
    let mut p = weir_rtp::packetizer::Packetizer::new(
        &Format::of_static(0).unwrap(),
        0,
        weir_rtp::packetizer::Start {
            ssrc: 1,
            sequence: 0,
            timestamp: 0,
        },
        1200,
    )
    .unwrap();
    assert!(p.packetize(&media[0], &mut Vec::new()).is_err());
    assert!(
        p.packetize_mux(
            Bytes::from_static(&[0x47; 188]),
            Timestamp(0),
            &mut Vec::new()
        )
        .is_err()
    );
}
