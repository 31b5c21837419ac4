//! Opus (RFC 7587) and G.711 (RFC 3551 §4.5.14) over RTP: round trips under loss and
//! reordering, the configuration Opus announces, and the rules its depacketizer checks.

mod support;

use bytes::Bytes;
use proptest::prelude::*;
use support::{dropped, rules, run};
use weir_media::{Codec, Frame, MediaPacket, OpusHead, Output, Timestamp, Track};
use weir_rtp::payload::Unit;
use weir_rtp::{Event, Format};

fn opus() -> Format {
    Format::new("opus", 48_000)
        .with_channels(2)
        .with_fmtp("minptime=10;useinbandfec=1;sprop-stereo=1")
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
    assert_eq!(rules(&out), ["rtp.opus.rtpmap", "rtp.opus.packet"]);
    assert_eq!(dropped(&out), 1);
    assert_eq!(support::frames(&out).len(), 1);
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
