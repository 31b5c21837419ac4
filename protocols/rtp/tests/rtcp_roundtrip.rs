//! Round trips: every packet type and whole compounds written then parsed give back the value,
//! and what was parsed writes back to the same bytes; transport-wide CC feedback keeps any
//! receive pattern; NACK keeps any list of lost sequence numbers.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use weir_rtp::rtcp::{
    self, App, Bye, FeedbackSsrcs, Fir, FirEntry, Nack, NackEntry, Options, Packet, Pli, RawPacket,
    ReceiverReport, Remb, ReportBlock, Sdes, SdesChunk, SdesItem, SenderReport, TransportFeedback,
};

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// Whole 32-bit words of anything.
fn words(max_words: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<[u8; 4]>(), 0..=max_words).prop_map(|w| Bytes::from(w.concat()))
}

fn ssrcs() -> impl Strategy<Value = FeedbackSsrcs> {
    (any::<u32>(), any::<u32>()).prop_map(|(sender, media)| FeedbackSsrcs { sender, media })
}

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<(u32, u8, u32, u32, u32, u32)>(),
        ReportBlock::CUMULATIVE_LOST_RANGE,
    )
        .prop_map(
            |((ssrc, fraction_lost, ext, jitter, lsr, dlsr), lost)| ReportBlock {
                ssrc,
                fraction_lost,
                cumulative_lost: lost,
                extended_highest_seq: ext,
                jitter,
                last_sr: lsr,
                delay_since_last_sr: dlsr,
            },
        )
}

fn sdes_item() -> impl Strategy<Value = SdesItem> {
    prop_oneof![
        bytes(255).prop_map(SdesItem::Cname),
        bytes(40).prop_map(SdesItem::Name),
        bytes(40).prop_map(SdesItem::Email),
        bytes(40).prop_map(SdesItem::Phone),
        bytes(40).prop_map(SdesItem::Location),
        bytes(40).prop_map(SdesItem::Tool),
        bytes(40).prop_map(SdesItem::Note),
        (bytes(100), bytes(100)).prop_map(|(prefix, value)| SdesItem::Private { prefix, value }),
        (9u8.., bytes(40)).prop_map(|(kind, value)| SdesItem::Other { kind, value }),
    ]
}

fn twcc() -> impl Strategy<Value = TransportFeedback> {
    let delta = prop_oneof![
        Just(None),
        (0i16..=255).prop_map(Some),
        any::<i16>().prop_map(Some),
    ];
    // Runs as well as noise, so every chunk kind is chosen.
    let pattern = vec((delta, 1usize..30), 0..40).prop_map(|runs| {
        runs.into_iter()
            .flat_map(|(d, n)| std::iter::repeat_n(d, n))
            .collect()
    });
    (
        ssrcs(),
        any::<u16>(),
        0u32..=0xff_ffff,
        any::<u8>(),
        pattern,
    )
        .prop_map(|(ssrcs, base_seq, reference_time, fb_pkt_count, deltas)| {
            TransportFeedback {
                ssrcs,
                base_seq,
                reference_time,
                fb_pkt_count,
                deltas,
            }
        })
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        (
            any::<(u32, u64, u32, u32, u32)>(),
            vec(report_block(), 0..=31),
            words(3)
        )
            .prop_map(|((ssrc, ntp, rtp, packets, octets), reports, extension)| {
                Packet::SenderReport(SenderReport {
                    ssrc,
                    ntp_timestamp: ntp,
                    rtp_timestamp: rtp,
                    packet_count: packets,
                    octet_count: octets,
                    reports,
                    extension,
                })
            }),
        (any::<u32>(), vec(report_block(), 0..=31), words(3)).prop_map(
            |(ssrc, reports, extension)| Packet::ReceiverReport(ReceiverReport {
                ssrc,
                reports,
                extension
            })
        ),
        vec((any::<u32>(), vec(sdes_item(), 0..5)), 0..=8).prop_map(|chunks| {
            Packet::Sdes(Sdes {
                chunks: chunks
                    .into_iter()
                    .map(|(ssrc, items)| SdesChunk { ssrc, items })
                    .collect(),
            })
        }),
        (vec(any::<u32>(), 0..=31), proptest::option::of(bytes(255)))
            .prop_map(|(sources, reason)| Packet::Bye(Bye { sources, reason })),
        (0u8..32, any::<u32>(), any::<[u8; 4]>(), words(8)).prop_map(
            |(subtype, ssrc, name, data)| {
                Packet::App(App {
                    subtype,
                    ssrc,
                    name,
                    data,
                })
            }
        ),
        (ssrcs(), vec(any::<(u16, u16)>(), 1..20)).prop_map(|(ssrcs, entries)| {
            Packet::Nack(Nack {
                ssrcs,
                entries: entries
                    .into_iter()
                    .map(|(pid, blp)| NackEntry { pid, blp })
                    .collect(),
            })
        }),
        ssrcs().prop_map(|ssrcs| Packet::Pli(Pli { ssrcs })),
        (ssrcs(), vec(any::<(u32, u8)>(), 1..10)).prop_map(|(ssrcs, entries)| {
            Packet::Fir(Fir {
                ssrcs,
                entries: entries
                    .into_iter()
                    .map(|(ssrc, seq)| FirEntry { ssrc, seq })
                    .collect(),
            })
        }),
        (ssrcs(), 0u8..64, 0u32..0x4_0000, vec(any::<u32>(), 0..20)).prop_map(
            |(ssrcs, exponent, mantissa, sources)| Packet::Remb(Remb {
                ssrcs,
                exponent,
                mantissa,
                sources,
            })
        ),
        twcc().prop_map(Packet::TransportFeedback),
        // XR (RFC 3611) and IJ (RFC 5450), which are kept raw.
        (prop_oneof![Just(207u8), Just(195u8)], 0u8..32, words(10)).prop_map(
            |(packet_type, count, body)| Packet::Raw(RawPacket {
                count,
                packet_type,
                body,
            })
        ),
    ]
}

fn reduced() -> Options {
    Options {
        reduced_size: true,
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_packet_type_round_trips(packet in packet()) {
        let bytes = Bytes::from(packet.to_bytes().unwrap());
        let parsed = rtcp::parse(&bytes, &reduced()).unwrap();
        prop_assert_eq!(&parsed.packets, &vec![packet]);
        prop_assert_eq!(parsed.to_bytes().unwrap(), bytes.to_vec());
    }

    #[test]
    fn a_compound_round_trips(packets in vec(packet(), 1..6)) {
        let bytes = Bytes::from(rtcp::to_bytes(&packets).unwrap());
        let parsed = rtcp::parse(&bytes, &reduced()).unwrap();
        prop_assert_eq!(&parsed.packets, &packets);
        prop_assert_eq!(parsed.to_bytes().unwrap(), bytes.to_vec());
    }

    #[test]
    fn twcc_keeps_any_receive_pattern(feedback in twcc()) {
        let packet = Packet::TransportFeedback(feedback.clone());
        let bytes = Bytes::from(packet.to_bytes().unwrap());
        let parsed = rtcp::parse(&bytes, &reduced()).unwrap();
        prop_assert_eq!(parsed.violations, vec![]);
        let Packet::TransportFeedback(back) = &parsed.packets[0] else {
            panic!("not TWCC: {:?}", parsed.packets[0]);
        };
        prop_assert_eq!(back.packets().collect::<Vec<_>>(), feedback.packets().collect::<Vec<_>>());
    }

    #[test]
    fn nack_keeps_any_lost_list(mut lost in vec(any::<u16>(), 0..100)) {
        lost.sort_unstable();
        lost.dedup();
        let nack = Nack::from_lost(FeedbackSsrcs::default(), &lost);
        prop_assert_eq!(nack.lost(), lost);
    }

    #[test]
    fn any_datagram_parses_or_errs_and_what_parses_round_trips(datagram in vec(any::<u8>(), 0..200)) {
        if let Ok(parsed) = rtcp::parse(&Bytes::from(datagram), &Options::default()) {
            let bytes = Bytes::from(parsed.to_bytes().unwrap());
            prop_assert_eq!(rtcp::parse(&bytes, &Options::default()).unwrap().packets, parsed.packets);
        }
    }
}
