//! Hostile datagrams: every truncation of real packets, absurd extension lengths, loss lists
//! with inverted or unfinished ranges. Each gives an error naming its rule, never a panic.

use bytes::Bytes;
use weir_srt::Packet;
use weir_testkit::corpus;

fn error(bytes: &[u8]) -> &'static str {
    Packet::parse(&Bytes::copy_from_slice(bytes), &mut Vec::new())
        .expect_err("a hostile datagram")
        .rule_id()
}

#[test]
fn every_truncation_of_a_handshake_is_an_error_or_a_shorter_packet() {
    for (name, bytes) in corpus::contents("srt/srt-rs-wire-vectors", "bin") {
        for len in 0..bytes.len() {
            // Cut inside the header or the handshake body: always an error. Past it, the cut
            // is a shorter extension list (an error) or still a whole packet.
            if let Ok(packet) =
                Packet::parse(&Bytes::copy_from_slice(&bytes[..len]), &mut Vec::new())
            {
                assert_eq!(packet.to_bytes().len(), len, "{name} cut at {len}");
            }
        }
        assert!(error(&bytes[..15]).starts_with("srt.packet"), "{name}");
    }
}

#[test]
fn hostile_inputs_name_their_rule() {
    let mut absurd_extension = corpus::read("srt/srt-rs-wire-vectors/raw_handshake_sid.bin");
    absurd_extension[16 + 48 + 2..16 + 48 + 4].copy_from_slice(&[0xff, 0xff]);
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty datagram", vec![], "srt.packet.truncated"),
        (
            "header only, control type 0",
            vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "srt.handshake.truncated",
        ),
        (
            "extension of 65535 words",
            absurd_extension,
            "srt.handshake.extension-truncated",
        ),
    ];
    let nak = |body: &[u32]| {
        let mut b = vec![0x80, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        for w in body {
            b.extend(w.to_be_bytes());
        }
        b
    };
    cases.push((
        "inverted range",
        nak(&[0x8000_0010, 0x0f]),
        "srt.nak.range-order",
    ));
    cases.push((
        "range without end",
        nak(&[1, 0x8000_0010]),
        "srt.nak.dangling-range",
    ));
    cases.push((
        "two range starts",
        nak(&[0x8000_0001, 0x8000_0002]),
        "srt.nak.dangling-range",
    ));
    cases.push((
        "ACK of 5 words",
        {
            let mut b = nak(&[1, 2, 3, 4, 5]);
            b[1] = 2;
            b
        },
        "srt.ack.length",
    ));
    cases.push((
        "control type 0x7ffe",
        vec![0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "srt.control.type",
    ));
    for (what, bytes, rule) in cases {
        assert_eq!(error(&bytes), rule, "{what}");
    }
}
