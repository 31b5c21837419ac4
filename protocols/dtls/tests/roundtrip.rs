//! Property tests: handshake reassembly gives the same messages however they are fragmented,
//! ordered and repeated (the datagram counterpart of split invariance); a flow gives the
//! same handshake events whether a hello comes whole or in fragments over many datagrams;
//! records and hellos written then parsed give back their values.

mod support;

use bytes::Bytes;
use proptest::prelude::*;
use support::*;
use weir_dtls::handshake::Fragment;
use weir_dtls::reassembly::{Message, Pushed, Reassembler};
use weir_dtls::record::{self, Unit};
use weir_dtls::{ClientHello, Event, ServerHello, Side};

/// Cuts `body` into fragments at the sorted `cuts`.
fn fragments(msg_type: u8, seq: u16, body: &[u8], cuts: &[usize]) -> Vec<Fragment> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    points.extend([0, body.len()]);
    points.sort_unstable();
    points.dedup();
    let mut out: Vec<Fragment> = points
        .windows(2)
        .map(|w| Fragment {
            msg_type,
            length: body.len() as u32,
            message_seq: seq,
            offset: w[0] as u32,
            body: Bytes::copy_from_slice(&body[w[0]..w[1]]),
        })
        .collect();
    if out.is_empty() {
        out.push(Fragment {
            msg_type,
            length: 0,
            message_seq: seq,
            offset: 0,
            body: Bytes::new(),
        });
    }
    out
}

fn handshake_events(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| !matches!(e, Event::Record { .. }))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn reassembly_gives_the_same_messages_for_any_fragmenting(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 1..4),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        order in any::<u64>(),
        repeats in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut all = Vec::new();
        for (seq, body) in bodies.iter().enumerate() {
            all.extend(fragments(11, seq as u16, body, &cuts));
        }
        // Retransmitted fragments, then a shuffle.
        let extra: Vec<Fragment> = repeats.iter().map(|i| all[i.index(all.len())].clone()).collect();
        all.extend(extra);
        let mut state = order | 1;
        for i in (1..all.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            all.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut r = Reassembler::new(1 << 16, 8);
        let mut got = Vec::new();
        let mut violations = Vec::new();
        for f in &all {
            if let Pushed::Complete(m) = r.push(f, 0, &mut violations) {
                got.push(m);
            }
        }
        got.sort_by_key(|m| m.message_seq);
        let want: Vec<Message> = bodies
            .iter()
            .enumerate()
            .map(|(seq, body)| Message {
                msg_type: 11,
                message_seq: seq as u16,
                body: Bytes::copy_from_slice(body),
            })
            .collect();
        prop_assert_eq!(got, want);
        prop_assert!(violations.is_empty());
    }

    #[test]
    fn a_hello_in_fragments_over_many_datagrams_reads_as_one_whole(
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        per_datagram in 1usize..4,
    ) {
        let mut body = Vec::new();
        client_hello().write(&mut body);
        let whole = run(&[(Side::Client, client_hello_datagram(&client_hello(), 0))]);
        let pieces = fragments(1, 0, &body, &cuts);
        let datagrams: Vec<(Side, Vec<u8>)> = pieces
            .chunks(per_datagram)
            .enumerate()
            .map(|(i, chunk)| {
                let mut d = Vec::new();
                for (j, f) in chunk.iter().enumerate() {
                    let mut bytes = Vec::new();
                    f.write(&mut bytes);
                    d.extend(handshake((i * per_datagram + j) as u64, &bytes));
                }
                (Side::Client, d)
            })
            .collect();
        let cut = run(&datagrams);
        prop_assert_eq!(handshake_events(cut.0), handshake_events(whole.0));
        prop_assert_eq!(cut.1, whole.1);
    }

    #[test]
    fn records_write_and_parse_back(
        records in proptest::collection::vec(
            (20u8..=25, 0u16..4, 0u64..(1 << 48), proptest::collection::vec(any::<u8>(), 0..64)),
            1..5,
        ),
    ) {
        let mut datagram = Vec::new();
        for (ct, epoch, seq, fragment) in &records {
            datagram.extend(record(*ct, *epoch, *seq, fragment));
        }
        let mut violations = Vec::new();
        let units = record::parse_datagram(&Bytes::from(datagram), &mut violations);
        prop_assert!(violations.is_empty());
        prop_assert_eq!(units.len(), records.len());
        for (unit, (ct, epoch, seq, fragment)) in units.iter().zip(&records) {
            let Unit::Record { record, .. } = unit else {
                panic!("a plaintext record");
            };
            prop_assert_eq!(record.content_type.byte(), *ct);
            prop_assert_eq!(record.epoch, *epoch);
            prop_assert_eq!(record.sequence, *seq);
            prop_assert_eq!(&record.fragment[..], &fragment[..]);
        }
    }

    #[test]
    fn hellos_write_and_parse_back(
        suites in proptest::collection::vec(any::<u16>(), 1..20),
        cookie in proptest::collection::vec(any::<u8>(), 0..255),
        session in proptest::collection::vec(any::<u8>(), 0..32),
        profiles in proptest::collection::vec(any::<u16>(), 1..5),
        random in any::<[u8; 32]>(),
    ) {
        let mut ch = client_hello();
        ch.cipher_suites = suites.clone();
        ch.cookie = cookie.into();
        ch.session_id = session.clone().into();
        ch.random = random;
        ch.extensions.as_mut().unwrap()[1] = use_srtp(&profiles);
        let mut bytes = Vec::new();
        ch.write(&mut bytes);
        let parsed = ClientHello::parse(&Bytes::from(bytes)).unwrap();
        prop_assert_eq!(parsed.use_srtp().unwrap().unwrap().profiles, profiles);
        prop_assert_eq!(parsed, ch);
        let mut sh = server_hello();
        sh.session_id = session.into();
        sh.cipher_suite = suites[0];
        let mut bytes = Vec::new();
        sh.write(&mut bytes);
        prop_assert_eq!(ServerHello::parse(&Bytes::from(bytes)).unwrap(), sh);
    }
}
