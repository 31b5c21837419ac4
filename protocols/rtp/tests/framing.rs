//! RFC 4571 framing: frames out as written in, the same however the stream is split, views
//! of the input where a frame lies inside one input, a bounded buffer, and a stream cut short
//! reported at its end.

use bytes::Bytes;
use proptest::prelude::*;
use std::time::Instant;
use weir_media::{Machine, Output};
use weir_rtp::framing::{Deframer, Framed, MAX_PACKET, frame, write_frame};
use weir_testkit::split;

/// The packets of `framed`, in order (a null frame is an empty packet).
fn packets(events: &[Framed]) -> Vec<Vec<u8>> {
    events
        .iter()
        .map(|e| match e {
            Framed::Packet { data, .. } => data.to_vec(),
            Framed::Null { .. } => Vec::new(),
        })
        .collect()
}

fn stream(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        write_frame(p, &mut out).unwrap();
    }
    out
}

#[test]
fn frames_come_out_as_written_with_their_offsets() {
    let input = stream(&[vec![0x80; 12], vec![], vec![1, 2, 3]]);
    let out = weir_testkit::run(&mut Deframer::new(), [&input], true);
    assert_eq!(
        out.events,
        [
            Framed::Packet {
                offset: 0,
                data: Bytes::from(vec![0x80; 12])
            },
            Framed::Null { offset: 14 },
            Framed::Packet {
                offset: 16,
                data: Bytes::from_static(&[1, 2, 3])
            },
        ]
    );
    assert!(out.violations.is_empty() && out.error.is_none());
}

#[test]
fn a_frame_inside_one_input_is_a_view_of_it() {
    let input = Bytes::from(stream(&[vec![7; 100], vec![9; 50]]));
    let range = input.as_ptr_range();
    let mut deframer = Deframer::new();
    deframer
        .handle_bytes(Instant::now(), input.clone())
        .unwrap();
    let mut seen = 0;
    while let Some(out) = deframer.poll_output() {
        let Output::Event(Framed::Packet { data, .. }) = out else {
            panic!("{out:?}");
        };
        assert!(range.contains(&data.as_ptr()), "a copy, not a view");
        seen += 1;
    }
    assert_eq!(seen, 2);
}

#[test]
fn the_buffer_holds_at_most_one_frame() {
    let mut deframer = Deframer::new();
    let now = Instant::now();
    deframer.handle_input(now, &[0xff, 0xff]).unwrap();
    for _ in 0..100 {
        deframer.handle_input(now, &[0x55; 1000]).unwrap();
        assert!(deframer.buffered() <= 2 + MAX_PACKET);
        while let Some(out) = deframer.poll_output() {
            assert!(matches!(out, Output::Event(Framed::Packet { .. })));
        }
    }
    // One 65 535-byte packet, one of 0x5555 bytes, and the start of the next held.
    assert_eq!(deframer.position(), 2 + MAX_PACKET as u64 + 2 + 0x5555);
    assert_eq!(deframer.position() + deframer.buffered() as u64, 100_002);
}

/// Hostile and cut streams: the events and (rule, offset) violations they give, ended.
#[test]
fn broken_streams_are_reported_at_the_end() {
    type Case = (
        &'static str,
        &'static [u8],
        usize,
        &'static [(&'static str, u64)],
    );
    let cases: &[Case] = &[
        ("empty", &[], 0, &[]),
        ("half a LENGTH", &[0], 0, &[("rtp.tcp.truncated", 0)]),
        ("LENGTH, no packet", &[0, 4], 0, &[("rtp.tcp.truncated", 0)]),
        (
            "a frame then a cut one",
            &[0, 1, 9, 0, 3, 1],
            1,
            &[("rtp.tcp.truncated", 3)],
        ),
        ("null frames only", &[0, 0, 0, 0], 2, &[]),
        (
            "the longest LENGTH, cut",
            &[0xff, 0xff, 1, 2, 3],
            0,
            &[("rtp.tcp.truncated", 0)],
        ),
    ];
    for (name, input, events, violations) in cases {
        let out = split::check(Deframer::new, input, &split::every_byte(input.len()));
        assert_eq!(out.events.len(), *events, "{name}");
        assert_eq!(out.rule_offsets(), *violations, "{name}");
        assert!(out.error.is_none(), "{name}");
    }
}

#[test]
fn input_after_the_end_is_an_error() {
    let mut deframer = Deframer::new();
    let now = Instant::now();
    deframer.handle_end(now).unwrap();
    assert!(deframer.handle_input(now, &[0, 0]).is_err());
}

#[test]
fn a_packet_longer_than_65535_bytes_cannot_be_framed() {
    assert!(frame(&vec![0; MAX_PACKET + 1]).is_err());
    let mut out = Vec::new();
    assert!(write_frame(&vec![0; MAX_PACKET + 1], &mut out).is_err());
    assert!(out.is_empty(), "nothing written");
    assert_eq!(frame(&vec![0; MAX_PACKET]).unwrap().len(), 2 + MAX_PACKET);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_gives_the_packets_written(
        sent in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20),
        cut in 0usize..3,
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let mut input = stream(&sent);
        input.truncate(input.len().saturating_sub(cut));
        let out = split::check(Deframer::new, &input, &cuts);
        let whole = if cut == 0 { sent.len() } else { sent.len().saturating_sub(1) };
        prop_assert_eq!(packets(&out.events), sent[..whole].to_vec());
        // A cut leaves part of the last frame, unless it took the whole of it (an empty
        // packet's frame is its 2-byte length alone).
        let cut_short = cut > 0 && sent.last().is_some_and(|last| cut < 2 + last.len());
        prop_assert_eq!(out.violations.len(), usize::from(cut_short));
    }

    #[test]
    fn any_bytes_split_anywhere_give_the_same_outputs(
        input in proptest::collection::vec(any::<u8>(), 0..2000),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let out = split::check(Deframer::new, &input, &cuts);
        prop_assert!(out.violations.len() <= 1);
        prop_assert!(out.error.is_none());
    }
}
