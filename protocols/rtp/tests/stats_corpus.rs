//! A browser's RTP stream from the public corpus (`rtp/str0m_h264.pcap`, str0m's test data:
//! one SSRC, H.264, one-byte header extensions), read through `weir-capture`: every datagram
//! parses, its extension elements read without a violation, and the reception statistics
//! give the numbers tshark gives.
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
use weir_capture::{FlowEvent, Limits};
use weir_rtp::RtpPacket;
use weir_rtp::extension::Elements;
use weir_rtp::stats::{Arrival, Reception};
use weir_testkit::corpus;

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
