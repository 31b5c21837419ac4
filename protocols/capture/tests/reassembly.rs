//! TCP reassembly on a real flow edited on purpose (segments reordered, duplicated, dropped),
//! and proptests: any permutation and duplication of a stream's segments gives the same bytes;
//! arbitrary bytes never make the capture reader panic.

use std::fs::File;
use std::io::BufReader;

use bytes::Bytes;
use proptest::prelude::*;
use weir_capture::tcp::{Flags, Reassembler, StreamEvent};
use weir_capture::{CaptureReader, Direction, FlowEvent, FlowTable, Limits, Packet};

fn corpus_packets(name: &str) -> Vec<Packet> {
    let file = BufReader::new(File::open(weir_testkit::corpus::path(name)).expect("corpus file"));
    CaptureReader::new(file)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Per direction: the reassembled bytes (gaps as zero bytes) and the gaps (offset, length,
/// and the packet that made the table give up on them: 0 for the end of the capture).
#[derive(Debug, Default, PartialEq)]
struct Streams {
    bytes: [Vec<u8>; 2],
    gaps: [Vec<(u64, u64, u64)>; 2],
    flows: usize,
}

fn run(packets: &[Packet], limits: Limits) -> Streams {
    let mut table = FlowTable::new(limits);
    let mut streams = Streams::default();
    let handle = |packet: u64, event: FlowEvent, streams: &mut Streams| match event {
        FlowEvent::Opened { .. } => streams.flows += 1,
        FlowEvent::Data {
            direction,
            offset,
            bytes,
            ..
        } => {
            let d = &mut streams.bytes[dir(direction)];
            assert_eq!(offset, d.len() as u64);
            d.extend_from_slice(&bytes);
        }
        FlowEvent::Gap {
            direction,
            offset,
            len,
            ..
        } => {
            let d = &mut streams.bytes[dir(direction)];
            assert_eq!(offset, d.len() as u64);
            d.resize(d.len() + len as usize, 0);
            streams.gaps[dir(direction)].push((offset, len, packet));
        }
        _ => {}
    };
    for packet in packets {
        table.push(packet);
        while let Some(e) = table.poll_event() {
            handle(e.packet, e.event, &mut streams);
        }
    }
    table.finish(packets.last().map(|p| p.time).unwrap_or_default());
    while let Some(e) = table.poll_event() {
        handle(e.packet, e.event, &mut streams);
    }
    streams
}

fn dir(direction: Direction) -> usize {
    match direction {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

/// rtmp_sample.cap, frame numbers as tshark's: 1-3 handshake; 4 (client, offset 0, 1460
/// bytes), 6 (client, 1460, 77), 13 (client, 1537, 1460), 14 (client, 2997, 314)...
fn sample() -> Vec<Packet> {
    let packets = corpus_packets("rtmp/rtmp_sample.cap");
    assert_eq!(packets.len(), 26);
    packets
}

fn frame(packets: &[Packet], number: u64) -> Packet {
    packets.iter().find(|p| p.index == number).unwrap().clone()
}

#[test]
fn untouched_flow_has_no_gap() {
    let whole = run(&sample(), Limits::default());
    assert_eq!(whole.flows, 1);
    assert_eq!([whole.bytes[0].len(), whole.bytes[1].len()], [3452, 3496]);
    assert_eq!(whole.gaps, [vec![], vec![]]);
}

#[test]
fn reordered_and_duplicated_segments_heal() {
    let packets = sample();
    let whole = run(&packets, Limits::default());
    // Frame 13 after 14, frame 4 twice (once after 6), frame 10 after 11.
    let order = [
        1, 2, 3, 4, 5, 6, 4, 7, 8, 9, 11, 10, 12, 14, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 26,
    ];
    let edited: Vec<_> = order.iter().map(|&n| frame(&packets, n)).collect();
    assert_eq!(run(&edited, Limits::default()), whole);
}

#[test]
fn dropped_segments_are_gaps_with_exact_offset_and_length() {
    let packets = sample();
    let whole = run(&packets, Limits::default());
    // Drop frame 13 (client bytes 1537..2997) and frame 10 (server bytes 1260..2720).
    let edited: Vec<_> = packets
        .iter()
        .filter(|p| p.index != 13 && p.index != 10)
        .cloned()
        .collect();
    let got = run(&edited, Limits::default());
    assert_eq!(got.gaps, [vec![(1537, 1460, 0)], vec![(1260, 1460, 0)]]);
    for d in 0..2 {
        assert_eq!(got.bytes[d].len(), whole.bytes[d].len());
        let (start, len, _) = got.gaps[d][0];
        let (start, end) = (start as usize, (start + len) as usize);
        assert_eq!(got.bytes[d][..start], whole.bytes[d][..start]);
        assert_eq!(got.bytes[d][end..], whole.bytes[d][end..]);
    }
}

#[test]
fn reset_flushes_each_direction_under_its_own_name() {
    let packets = sample();
    // Drop frame 10 (server bytes 1260..2720) and turn the client's last ACK (frame 26) into
    // RST+ACK (TCP flags at 14 + 20 + 13): the server's held bytes and the hole before them
    // are given at the reset, as the server's.
    let mut edited: Vec<_> = packets.iter().filter(|p| p.index != 10).cloned().collect();
    let last = edited.last_mut().unwrap();
    let mut bytes = last.data.to_vec();
    assert_eq!(bytes[47], 0x10);
    bytes[47] = 0x14;
    last.data = bytes.into();
    let got = run(&edited, Limits::default());
    assert_eq!(got.gaps, [vec![], vec![(1260, 1460, 26)]]);
    assert_eq!([got.bytes[0].len(), got.bytes[1].len()], [3452, 3496]);
}

#[test]
fn small_buffer_gives_up_the_hole_at_once() {
    let packets = sample();
    // With 340 bytes of buffer, frame 14 (314 bytes) waits for 13; frame 18 (16 bytes, at
    // client offset 3311) still fits; then frame 20 (33 bytes) does not: the hole is given up
    // there, not at the end of the capture.
    let edited: Vec<_> = packets.iter().filter(|p| p.index != 13).cloned().collect();
    let limits = Limits {
        max_buffered_per_direction: 340,
        ..Limits::default()
    };
    let got = run(&edited, limits);
    assert_eq!(got.gaps[0], vec![(1537, 1460, 20)]);
    assert_eq!(got.bytes[0].len(), 3452);
}

#[test]
fn midstream_pickup() {
    let packets = sample();
    // Without the three handshake packets, the flow opens at frame 4 and counts from there.
    let got = run(&packets[3..], Limits::default());
    assert_eq!(got.flows, 1);
    assert_eq!([got.bytes[0].len(), got.bytes[1].len()], [3452, 3496]);
    // Without frame 4 either, the client stream starts at frame 6's bytes.
    let got = run(&packets[4..], Limits::default());
    assert_eq!(
        [got.bytes[0].len(), got.bytes[1].len()],
        [3452 - 1460, 3496]
    );
}

proptest! {
    /// Any order and duplication of the data segments (after the handshake) gives the same
    /// streams as the capture's own order.
    #[test]
    fn permuted_and_duplicated_capture(
        order in Just((3..26usize).collect::<Vec<_>>()).prop_shuffle(),
        dups in proptest::collection::vec(3..26usize, 0..10),
    ) {
        let packets = sample();
        let whole = run(&packets, Limits::default());
        let mut edited: Vec<Packet> = packets[..3].to_vec();
        edited.extend(order.iter().map(|&i| packets[i].clone()));
        for (n, &i) in dups.iter().enumerate() {
            let at = (3 + n * 7) % edited.len();
            edited.insert(at.max(3), packets[i].clone());
        }
        prop_assert_eq!(run(&edited, Limits::default()), whole);
    }

    /// A stream cut into random segments, shuffled and partly sent twice, reassembles whole.
    #[test]
    fn reassembler_permutation_invariance(
        data in proptest::collection::vec(any::<u8>(), 1..2000),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..30),
        isn in any::<u32>(),
        shuffle_seed in any::<u64>(),
        dup_mask in any::<u32>(),
    ) {
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len())).collect();
        points.extend([0, data.len()]);
        points.sort_unstable();
        points.dedup();
        let mut segments: Vec<(usize, usize)> =
            points.windows(2).map(|w| (w[0], w[1])).collect();
        for (i, seg) in segments.clone().iter().enumerate() {
            if dup_mask & (1 << (i % 32)) != 0 {
                segments.push(*seg);
            }
        }
        // A deterministic shuffle from the seed.
        let mut state = shuffle_seed | 1;
        for i in (1..segments.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            segments.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let data = Bytes::from(data);
        let mut r = Reassembler::new(1 << 20);
        let mut out = Vec::new();
        r.push(isn, Flags { syn: true, ..Flags::default() }, Bytes::new(), &mut out);
        for (from, to) in segments {
            let seq = isn.wrapping_add(1).wrapping_add(from as u32);
            r.push(seq, Flags { ack: true, ..Flags::default() }, data.slice(from..to), &mut out);
        }
        r.flush(&mut out);
        let mut got = Vec::new();
        for event in out {
            match event {
                StreamEvent::Data { offset, bytes } => {
                    prop_assert_eq!(offset, got.len() as u64);
                    got.extend_from_slice(&bytes);
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        prop_assert_eq!(&got[..], &data[..]);
    }

    /// Arbitrary bytes, and a real capture with arbitrary bytes overwritten, never panic the
    /// reader or the flow table.
    #[test]
    fn hostile_capture_bytes(
        noise in proptest::collection::vec(any::<u8>(), 0..600),
        at in any::<prop::sample::Index>(),
        prefix in prop::sample::select(vec![
            &[][..],
            &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0][..],
            &[0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
              0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0, 0, 0][..],
        ]),
    ) {
        let mut file = prefix.to_vec();
        file.extend_from_slice(&noise);
        drain(&file);
        let mut real = weir_testkit::corpus::read("rtmp/rtmp.pcap");
        let start = at.index(real.len());
        for (i, b) in noise.iter().enumerate() {
            if let Some(slot) = real.get_mut(start + i) {
                *slot = *b;
            }
        }
        drain(&real);
    }
}

fn drain(file: &[u8]) {
    let Ok(reader) = CaptureReader::new(file) else {
        return;
    };
    let mut table = FlowTable::new(Limits::default());
    for packet in reader {
        let Ok(packet) = packet else { break };
        table.push(&packet);
        while table.poll_event().is_some() {}
    }
    table.finish(Default::default());
    while table.poll_event().is_some() {}
}
