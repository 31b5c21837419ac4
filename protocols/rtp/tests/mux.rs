//! MPEG-TS (RFC 2250) and MPEG-PS as GB28181 carries it, over RTP: multiplex bytes through
//! the packetizer and back whole under loss and reordering, and the rules checked.

mod support;

use bytes::Bytes;
use proptest::prelude::*;
use std::collections::BTreeSet;
use support::{dropped, mux, rules, run};
use weir_media::Timestamp;
use weir_rtp::packetizer::{Packetizer, Start};
use weir_rtp::{Format, RtpPacket};

fn ps() -> Format {
    Format::new("PS", 90_000)
}

/// The packets of `chunks` (one per 40 ms) and the chunk each came from.
fn packetize(format: &Format, chunks: &[Bytes], mtu: usize) -> (Vec<RtpPacket>, Vec<usize>) {
    let start = Start {
        ssrc: 9,
        sequence: 65_530,
        timestamp: 1,
    };
    let mut p = Packetizer::new(format, 96, start, mtu).unwrap();
    let (mut packets, mut from) = (Vec::new(), Vec::new());
    for (i, c) in chunks.iter().enumerate() {
        let before = packets.len();
        let time = Timestamp::from_millis(40 * i as i64);
        p.packetize_mux(c.clone(), time, &mut packets).unwrap();
        from.extend(std::iter::repeat_n(i, packets.len() - before));
    }
    (packets, from)
}

/// A PS frame: a pack header start code, then bytes.
fn ps_frame(n: usize, size: usize) -> Bytes {
    let mut data = vec![0, 0, 1, 0xba];
    data.extend((0..size).map(|k| (k * 3 + n) as u8));
    data.into()
}

/// TS packets: sync byte, then bytes.
fn ts_chunk(n: usize, packets: usize) -> Bytes {
    let mut data = Vec::new();
    for k in 0..packets {
        data.push(0x47);
        data.extend((0..187).map(|b| (b + k + n) as u8));
    }
    data.into()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A PS frame comes out whole, and only when all its packets and the one before it came.
    #[test]
    fn ps_frames_survive_loss_and_reordering(
        sizes in prop::collection::vec(1usize..5000, 1..25),
        mtu in 200usize..=1500,
        lost in prop::collection::btree_set(1usize..200, 0..10),
        swaps in prop::collection::vec(0usize..200, 0..10),
    ) {
        let chunks: Vec<Bytes> = sizes.iter().enumerate().map(|(n, &s)| ps_frame(n, s)).collect();
        let (packets, from) = packetize(&ps(), &chunks, mtu);
        let order = support::arrival(packets.len(), &lost, &swaps);
        let out = support::depacketize(&ps(), &packets, &order);
        prop_assert!(rules(&out).is_empty(), "{:?}", rules(&out));
        let got = mux(&out);
        let mut at = 0;
        for g in &got {
            let k = chunks[at..].iter().position(|c| c == g).expect("a frame that went in, in order");
            at += k + 1;
        }
        for (i, c) in chunks.iter().enumerate() {
            let mine: Vec<usize> = (0..packets.len()).filter(|&p| from[p] == i).collect();
            let whole = mine.iter().all(|p| !lost.contains(p));
            let before = mine[0] == 0 || !lost.contains(&(mine[0] - 1));
            if whole && before {
                prop_assert!(got.contains(c), "frame {} arrived whole", i);
            }
        }
    }

    /// TS bytes come out as whole TS packets: everything of the packets that arrived, in order.
    #[test]
    fn ts_packets_survive_loss_and_reordering(
        counts in prop::collection::vec(1usize..30, 1..20),
        lost in prop::collection::btree_set(1usize..100, 0..10),
        swaps in prop::collection::vec(0usize..100, 0..10),
    ) {
        let format = Format::of_static(33).unwrap();
        let chunks: Vec<Bytes> = counts.iter().enumerate().map(|(n, &c)| ts_chunk(n, c)).collect();
        let (packets, _) = packetize(&format, &chunks, 1500);
        prop_assert!(packets.iter().all(|p| p.payload.len() <= 7 * 188));
        let lost: BTreeSet<usize> = lost.into_iter().filter(|&l| l < packets.len()).collect();
        let order = support::arrival(packets.len(), &lost, &swaps);
        let out = support::depacketize(&format, &packets, &order);
        prop_assert!(rules(&out).is_empty());
        let expected: Vec<u8> = (0..packets.len())
            .filter(|i| !lost.contains(i))
            .flat_map(|i| packets[i].payload.to_vec())
            .collect();
        prop_assert_eq!(mux(&out).concat(), expected);
    }
}

#[test]
/// The rule-table check of the MPEG-TS and PS payload rules.
fn each_rule_fires() {
    let ts = Format::of_static(33).unwrap();
    let out = run(&ts, support::packets(&[&[&[0x47; 100]]], 3000));
    assert_eq!((rules(&out), dropped(&out)), (vec!["rtp.mp2t.packets"], 1));
    let mut not_synced = ts_chunk(0, 2).to_vec();
    not_synced[188] = 0x48;
    let out = run(&ts, support::packets(&[&[&not_synced]], 3000));
    let mut table = vec![("rtp.mp2t.packets", rules(&out))];

    let out = run(
        &ps(),
        support::packets(
            &[&[&[0, 0, 1, 0xba, 1]], &[&[9, 9, 9], &[0, 0, 1, 0xe0]]],
            3600,
        ),
    );
    assert_eq!(mux(&out).len(), 2);
    table.push(("rtp.ps.frame-start", rules(&out)));
    let ours = weir_testkit::rule_table::area(weir_rtp::rules::CATALOG, &["rtp.mp2t.", "rtp.ps."]);
    weir_testkit::rule_table::check(&ours, &table);
}
