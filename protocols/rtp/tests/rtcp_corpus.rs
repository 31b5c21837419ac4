//! The RTCP datagrams of the public corpus parse, and write back to the same bytes; the compound
//! SR/RR + SDES capture's fields are asserted as `tshark -V -d udp.port==PORT,rtcp` shows them.

use bytes::Bytes;
use std::fs::File;
use std::io::BufReader;
use weir_capture::flow::CaptureEvents;
use weir_capture::{FlowEvent, Limits};
use weir_rtp::rtcp::{self, Compound, Header, Options, Packet, SdesItem};
use weir_testkit::corpus;

/// Every UDP datagram of the capture at `relative` (in the corpus) that [`rtcp::is_rtcp`] calls
/// RTCP, in capture order.
fn rtcp_datagrams(relative: &str) -> Vec<Bytes> {
    let file = BufReader::new(File::open(corpus::path(relative)).unwrap());
    CaptureEvents::new(file, Limits::default())
        .unwrap()
        .filter_map(|event| match event.unwrap().event {
            FlowEvent::Datagram { bytes, .. } if rtcp::is_rtcp(&bytes) => Some(bytes),
            _ => None,
        })
        .collect()
}

/// Parses each datagram, asserting it writes back to its own bytes.
fn parse_all(datagrams: &[Bytes], options: &Options) -> Vec<Compound> {
    datagrams
        .iter()
        .map(|datagram| {
            let compound = rtcp::parse(datagram, options).unwrap();
            assert_eq!(compound.to_bytes().unwrap(), datagram.to_vec());
            compound
        })
        .collect()
}

#[test]
fn freeswitch_compound_reports_match_tshark() {
    let datagrams = rtcp_datagrams("rtp/rtcp_multiple_pkts_in_the_same_datagram.pcap");
    let lens: Vec<_> = datagrams.iter().map(Bytes::len).collect();
    assert_eq!(lens, [112, 92, 112, 92, 112]);
    let compounds = parse_all(&datagrams, &Options::default());
    for compound in &compounds {
        assert_eq!(compound.violations, []);
        assert_eq!(compound.packets.len(), 2);
    }
    // Frame 1: SR from 0x5d931534 with one block, then SDES CNAME and NOTE.
    let Packet::SenderReport(sr) = &compounds[0].packets[0] else {
        panic!("frame 1 starts with {:?}", compounds[0].packets[0]);
    };
    assert_eq!(sr.ssrc, 0x5d93_1534);
    assert_eq!(sr.ntp_timestamp, 0xdd3a_c170_4d61_4df8);
    assert_eq!(
        (sr.rtp_timestamp, sr.packet_count, sr.octet_count),
        (32000, 200, 32000)
    );
    assert_eq!(sr.reports.len(), 1);
    let block = sr.reports[0];
    assert_eq!(
        (block.ssrc, block.fraction_lost, block.cumulative_lost),
        (0, 0, 1)
    );
    assert_eq!(
        (block.extended_highest_seq, block.jitter, block.last_sr),
        (0, 0, 0)
    );
    let Packet::Sdes(sdes) = &compounds[0].packets[1] else {
        panic!("frame 1 has no SDES second");
    };
    assert_eq!(sdes.chunks.len(), 1);
    assert_eq!(sdes.chunks[0].ssrc, 0x5d93_1534);
    assert_eq!(
        sdes.chunks[0].items,
        [
            SdesItem::Cname(Bytes::from_static(b"5d931534")),
            SdesItem::Note(Bytes::from_static(b"FreeSWITCH.org -- Come to ClueCon.com")),
        ]
    );
    // Frame 2: RR from 0x01932db4, fraction 1/256, 1 lost, highest 48834, jitter 1.
    let Packet::ReceiverReport(rr) = &compounds[1].packets[0] else {
        panic!("frame 2 starts with {:?}", compounds[1].packets[0]);
    };
    assert_eq!(rr.ssrc, 0x0193_2db4);
    let block = rr.reports[0];
    assert_eq!((block.fraction_lost, block.cumulative_lost), (1, 1));
    assert_eq!((block.extended_highest_seq, block.jitter), (48834, 1));
    let Packet::Sdes(sdes) = &compounds[1].packets[1] else {
        panic!("frame 2 has no SDES second");
    };
    assert_eq!(sdes.cname().unwrap(), &b"1932db4"[..]);
}

/// rtp.pcapng's RTCP-looking datagrams (frames 56, 65 and 79) are SRTCP (RFC 3711 §3.4): a
/// transport-wide CC header in the clear, the rest encrypted, then the E flag, SRTCP index and
/// authentication tag (20 bytes here). The packet's header reads; the trailer after it is not an
/// RTCP packet, and says so exactly where it starts.
#[test]
fn srtcp_in_rtp_pcapng_is_refused_at_its_trailer() {
    let datagrams = rtcp_datagrams("rtp/rtp.pcapng");
    let lens: Vec<_> = datagrams.iter().map(Bytes::len).collect();
    assert_eq!(lens, [56, 48, 44]);
    for datagram in &datagrams {
        let header = Header::parse(datagram).unwrap();
        assert_eq!((header.packet_type, header.count), (205, 15));
        assert_eq!(datagram.len() - header.packet_len(), 20);
        let e = rtcp::parse(datagram, &Options::default()).unwrap_err();
        assert_eq!(e.offset, header.packet_len() as u64);
    }
}

/// The str0m captures hold RTP only: nothing on them is taken for RTCP.
#[test]
fn str0m_rtp_is_not_taken_for_rtcp() {
    for file in [
        "rtp/str0m_h264.pcap",
        "rtp/str0m_vp8.pcap",
        "rtp/str0m_av1.pcap",
    ] {
        assert_eq!(rtcp_datagrams(file).len(), 0, "{file}");
    }
}
