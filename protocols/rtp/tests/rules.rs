//! Every rule of the header extension, reception statistics and RFC 4571 framing section of
//! the catalog, each fired by an input that breaks it: the table names each rule id and the
//! input, and asserts the violation or error it gives, at its offset.

use bytes::Bytes;
use std::time::{Duration, Instant};
use weir_media::{Machine, Output};
use weir_rtp::HeaderExtension;
use weir_rtp::extension::{Elements, Kind};
use weir_rtp::framing::Deframer;
use weir_rtp::rules::CATALOG;
use weir_rtp::stats::Reception;

/// The rule ids and offsets that `data` (an extension with `profile`) gives as violations.
fn extension(profile: u16, data: &'static [u8]) -> Vec<(&'static str, u64)> {
    let ext = HeaderExtension {
        profile,
        data: Bytes::from_static(data),
    };
    let mut violations = Vec::new();
    Elements::parse(&ext, &mut violations).expect("an RFC 8285 profile");
    violations.iter().map(|v| (v.rule.id, v.offset)).collect()
}

/// The rule id and offset of the error reading `data` as `kind`.
fn value(kind: Kind, data: &[u8]) -> Vec<(&'static str, u64)> {
    let e = kind.read(data).expect_err("a broken value");
    vec![(e.rule_id(), e.offset)]
}

/// The violations a source whose packets carry `sequences` gives, offsets the packet index.
fn stream(sequences: &[u16]) -> Vec<(&'static str, u64)> {
    let start = Instant::now();
    let mut reception = Reception::new(90_000);
    let mut fired = Vec::new();
    for (i, &seq) in sequences.iter().enumerate() {
        let now = start + Duration::from_millis(i as u64 * 33);
        let arrival = reception.on_packet(now, seq, i as u32 * 3000);
        fired.extend(arrival.violation(i as u64).map(|v| (v.rule.id, v.offset)));
    }
    fired
}

/// The violations and error a framed stream of `bytes` gives, ended.
fn tcp(bytes: &[u8]) -> Vec<(&'static str, u64)> {
    let now = Instant::now();
    let mut deframer = Deframer::new();
    let mut fired = Vec::new();
    let result = deframer
        .handle_input(now, bytes)
        .and(deframer.handle_end(now));
    while let Some(out) = deframer.poll_output() {
        if let Output::Violation(v) = out {
            fired.push((v.rule.id, v.offset));
        }
    }
    fired.extend(result.err().map(|e| (e.rule_id(), e.offset)));
    fired
}

/// Each rule this section owns, with an input that breaks it and what it must give.
type Case = (
    &'static str,
    fn() -> Vec<(&'static str, u64)>,
    &'static [u64],
);

const TABLE: &[Case] = &[
    // An element of ID 1, then ID 15: the parse stops at byte 2.
    (
        "rtp.extension.reserved-id",
        || extension(0xbede, &[0x10, 0xaa, 0xf0, 0x00]),
        &[2],
    ),
    // 0x05 and 0x0f are padding with length bits set: reported, skipped, and the element
    // after them still read.
    (
        "rtp.extension.padding",
        || extension(0xbede, &[0x00, 0x05, 0x0f, 0x10, 0xaa, 0, 0, 0]),
        &[1, 2],
    ),
    // One-byte: ID 1 announcing 4 bytes where 3 are left.
    (
        "rtp.extension.element-length",
        || extension(0xbede, &[0x13, 1, 2, 3]),
        &[0],
    ),
    // Two-byte: ID 7 announcing 9 bytes after an element that fits.
    (
        "rtp.extension.element-length",
        || extension(0x1000, &[1, 0, 7, 9, 1, 2, 3, 4]),
        &[2],
    ),
    (
        "rtp.extension.value-size",
        || value(Kind::AbsSendTime, &[1, 2]),
        &[0],
    ),
    (
        "rtp.extension.value-size",
        || value(Kind::TransportSequence, &[1, 2, 3]),
        &[0],
    ),
    (
        "rtp.extension.value-size",
        || value(Kind::AudioLevel, &[]),
        &[0],
    ),
    (
        "rtp.extension.sdes-value",
        || value(Kind::RtpStreamId, b"hi res"),
        &[2],
    ),
    ("rtp.extension.sdes-value", || value(Kind::Mid, b""), &[0]),
    (
        "rtp.extension.sdes-value",
        || value(Kind::RepairedRtpStreamId, b"r\xff"),
        &[1],
    ),
    // 3001 ahead, then on from there: the 5th packet is the restart.
    (
        "rtp.stream.sequence-restart",
        || stream(&[10, 11, 12, 3013, 3014, 3015]),
        &[4],
    ),
    // 202 back, then on from there (101 back or more: the next is outside the misorder window).
    (
        "rtp.stream.sequence-restart",
        || stream(&[500, 501, 502, 300, 301]),
        &[4],
    ),
    // Cut inside the LENGTH field of the second frame.
    ("rtp.tcp.truncated", || tcp(&[0, 1, 0xaa, 0]), &[3]),
    // Cut 2 bytes into a 5-byte packet.
    ("rtp.tcp.truncated", || tcp(&[0, 5, 1, 2]), &[0]),
];

#[test]
fn every_rule_fires_on_the_input_that_breaks_it() {
    for (rule, case, offsets) in TABLE {
        let fired = case();
        let expected: Vec<_> = offsets.iter().map(|&o| (*rule, o)).collect();
        assert_eq!(fired, expected, "{rule}");
    }
}

#[test]
fn the_table_names_every_rule_of_the_section() {
    let owned = ["rtp.extension.", "rtp.stream.", "rtp.tcp."];
    let section: Vec<_> = CATALOG
        .iter()
        .copied()
        .filter(|r| owned.iter().any(|p| r.id.starts_with(p)))
        .collect();
    let table: Vec<_> = TABLE
        .iter()
        .map(|(id, case, _)| (*id, case().into_iter().map(|(fired, _)| fired).collect()))
        .collect();
    weir_testkit::rule_table::check(&section, &table);
}

#[test]
fn what_breaks_no_rule_fires_none() {
    assert_eq!(extension(0xbede, &[0x10, 0xaa, 0x00, 0x22, 1, 2, 3, 0]), []);
    assert_eq!(extension(0x1005, &[1, 0, 0, 2, 2, 1, 2, 0]), []);
    assert_eq!(stream(&[10, 11, 12, 3100, 13, 14]), []);
    assert_eq!(tcp(&[0, 1, 0xaa, 0, 0, 0, 2, 1, 2]), []);
}
