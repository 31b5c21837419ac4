//! RTP streams of the public corpus through the reception statistics and the RFC 4571
//! deframer, read with `weir-capture`, the numbers tshark's.
//!
//! A browser's stream (`rtp/str0m_h264.pcap`, str0m's test data: one SSRC, H.264, one-byte
//! header extensions): every datagram parses, its extension elements read without a
//! violation, and the reception statistics count what tshark counts.
//!
//! tshark (`tshark -r str0m_h264.pcap -d udp.port==1235,rtp -q -z rtp,streams`): 298 packets
//! of SSRC 0x6A5CC848, sequence 19249 to 19549, 3 lost (19412, 19459 and 19509 are missing),
//! none duplicated or out of order; every packet carries a 0xBEDE extension with IDs 4 (3
//! bytes) and 7 (2 bytes), 10 of them ID 3 (1 byte) besides (`-e rtp.ext.rfc5285.id`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::time::Instant;
use weir_capture::flow::CaptureEvents;
use weir_capture::{Direction, FlowEvent, Limits};
use weir_media::{Machine, Output};
use weir_rtp::RtpPacket;
use weir_rtp::extension::Elements;
use weir_rtp::framing::{Deframer, Framed};
use weir_rtp::stats::{Arrival, Reception};
use weir_testkit::{corpus, split};

#[test]
fn every_datagram_of_a_browser_stream_parses_and_its_loss_is_tshark_s() {
    let path = corpus::path("rtp/str0m_h264.pcap");
    let file = BufReader::new(File::open(&path).unwrap());
    let start = Instant::now();
    let mut reception = Reception::new(90_000);
    let (mut datagrams, mut first_seq, mut ssrcs) = (0, None, BTreeMap::new());
    let mut ids: BTreeMap<(u8, usize), usize> = BTreeMap::new();
    for event in CaptureEvents::new(file, Limits::default()).unwrap() {
        let event = event.unwrap();
        let FlowEvent::Datagram { bytes, .. } = event.event else {
            continue;
        };
        datagrams += 1;
        let packet =
            RtpPacket::parse(&bytes).unwrap_or_else(|e| panic!("datagram {datagrams}: {e}"));
        assert_eq!(packet.to_bytes().unwrap(), bytes, "written back as read");
        *ssrcs.entry(packet.ssrc).or_insert(0) += 1;
        first_seq.get_or_insert(packet.sequence);
        let ext = packet.extension.as_ref().expect("an extension");
        let mut violations = Vec::new();
        let elements = Elements::parse(ext, &mut violations).expect("RFC 8285");
        assert!(violations.is_empty(), "{violations:?}");
        for e in &elements.elements {
            *ids.entry((e.id, e.data.len())).or_insert(0) += 1;
        }
        let arrival = reception.on_packet(start + event.time, packet.sequence, packet.timestamp);
        assert!(
            !matches!(
                arrival,
                Arrival::Duplicate | Arrival::Reordered | Arrival::Jump | Arrival::Restart { .. }
            ),
            "{arrival:?}"
        );
    }
    assert_eq!(datagrams, 298);
    assert_eq!(ssrcs, BTreeMap::from([(0x6a5c_c848, 298)]));
    assert_eq!(first_seq, Some(19_249));
    assert_eq!(
        ids,
        BTreeMap::from([((3, 1), 10), ((4, 3), 298), ((7, 2), 298)])
    );
    // A.1 counts from the packet that ends probation (19250): 300 expected, 297 received.
    assert_eq!(reception.extended_highest(), 19_549);
    assert_eq!(
        (reception.expected(), reception.received(), reception.lost()),
        (300, 297, 3)
    );
    assert_eq!((reception.duplicates(), reception.reordered()), (0, 0));
    let block = reception.report_block();
    assert_eq!(block.cumulative_lost, 3);
    assert_eq!(block.fraction_lost, (3 * 256 / 300) as u8);
}

/// nDPI's `rtp/rtp.pcapng` holds one TCP flow, 40252 -> 5000, of RTP framed as RFC 4571 says:
/// tshark (`-Y tcp.len>0 -T fields -e tcp.len -e tcp.payload`) shows 17 segments of 1214
/// bytes, each a LENGTH of 0x04bc (1212) and one PCMA packet (PT 8, the first with the marker),
/// sequence numbers 0xc623 to 0xc633 in order, timestamps 1200 apart.
#[test]
fn rtp_over_tcp_from_the_corpus_deframes_into_packets_in_sequence() {
    let path = corpus::path("rtp/rtp.pcapng");
    let file = BufReader::new(File::open(&path).unwrap());
    let (mut stream, mut segments, mut times) = (Vec::new(), Vec::new(), Vec::new());
    for event in CaptureEvents::new(file, Limits::default()).unwrap() {
        let event = event.unwrap();
        if let FlowEvent::Data {
            direction: Direction::ClientToServer,
            bytes,
            ..
        } = event.event
        {
            stream.extend_from_slice(&bytes);
            segments.push(stream.len());
            times.push(event.time);
        }
    }
    assert_eq!((segments.len(), stream.len()), (17, 17 * 1214));
    // The same packets whole and cut where the segments were (and at every byte).
    split::check(Deframer::new, &stream, &segments);
    let out = split::check(Deframer::new, &stream, &split::every_byte(stream.len()));
    assert!(out.violations.is_empty() && out.error.is_none());

    let mut deframer = Deframer::new();
    let mut reception = Reception::new(8000);
    let start = Instant::now();
    let (mut packets, mut from) = (Vec::new(), 0);
    for (&end, &time) in segments.iter().zip(&times) {
        let segment = bytes::Bytes::copy_from_slice(&stream[from..end]);
        let range = segment.as_ptr_range();
        from = end;
        deframer.handle_bytes(start + time, segment).unwrap();
        while let Some(out) = deframer.poll_output() {
            let Output::Event(Framed::Packet { data, .. }) = out else {
                panic!("{out:?}");
            };
            assert!(
                range.contains(&data.as_ptr()),
                "a frame in one segment is a view of it"
            );
            let packet = RtpPacket::parse(&data).unwrap();
            let arrival = reception.on_packet(start + time, packet.sequence, packet.timestamp);
            assert!(!matches!(
                arrival,
                Arrival::Duplicate | Arrival::Reordered | Arrival::Jump
            ));
            packets.push(packet);
        }
    }
    deframer.handle_end(start).unwrap();
    assert_eq!(deframer.poll_output(), None);
    assert_eq!(packets.len(), 17);
    assert!(
        packets
            .iter()
            .all(|p| p.payload_type == 8 && p.payload.len() == 1200)
    );
    assert!(packets[0].marker && packets[1..].iter().all(|p| !p.marker));
    assert_eq!(
        (packets[0].sequence, packets[16].sequence),
        (0xc623, 0xc633)
    );
    assert!(
        packets
            .windows(2)
            .all(|w| w[1].timestamp.wrapping_sub(w[0].timestamp) == 1200)
    );
    assert_eq!(reception.extended_highest(), 0xc633);
    assert_eq!((reception.expected(), reception.lost()), (16, 0));
    assert_eq!(reception.report_block().fraction_lost, 0);
}
