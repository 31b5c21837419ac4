//! Every RTCP rule, each with a datagram that makes it fire: as a violation of a parse that
//! carries on, or as the error of one that cannot.

use bytes::Bytes;
use weir_rtp::rtcp::{self, Options};
use weir_rtp::rules::CATALOG;
use weir_testkit::rule_table;

/// A receiver report from SSRC 1 with no blocks.
const RR: [u8; 8] = [0x80, 201, 0, 1, 0, 0, 0, 1];
/// An SDES with CNAME "a" for SSRC 1.
const SDES: [u8; 12] = [0x81, 202, 0, 2, 0, 0, 0, 1, 1, 1, b'a', 0];
/// An RTPFB/PSFB sender and media source SSRC pair (1 and 0).
const SSRCS: [u8; 8] = [0, 0, 0, 1, 0, 0, 0, 0];

/// A full compound: RR, SDES, then `rest`.
fn compound(rest: &[u8]) -> Vec<u8> {
    [&RR[..], &SDES, rest].concat()
}

/// A lone feedback message: header, the SSRCs (media source `media`), FCI.
fn feedback(first: u8, packet_type: u8, media: u32, fci: &[u8]) -> Vec<u8> {
    let words = (8 + fci.len()) / 4;
    let mut out = vec![first, packet_type, 0, words as u8];
    out.extend_from_slice(&SSRCS[..4]);
    out.extend_from_slice(&media.to_be_bytes());
    out.extend_from_slice(fci);
    out
}

/// A transport-wide CC message with `count` statuses and `rest` (chunks and deltas).
fn twcc(count: u16, rest: &[u8]) -> Vec<u8> {
    let mut fci = vec![0, 0];
    fci.extend_from_slice(&count.to_be_bytes());
    fci.extend_from_slice(&[0, 0, 0, 0]);
    fci.extend_from_slice(rest);
    feedback(0x8f, 205, 9, &fci)
}

struct Case {
    rule: &'static str,
    datagram: Vec<u8>,
    options: Options,
}

fn full(rule: &'static str, datagram: Vec<u8>) -> Case {
    Case {
        rule,
        datagram,
        options: Options::default(),
    }
}

fn reduced(rule: &'static str, datagram: Vec<u8>) -> Case {
    Case {
        rule,
        datagram,
        options: Options {
            reduced_size: true,
            ..Options::default()
        },
    }
}

fn cases() -> Vec<Case> {
    let remb = |count: u8, media: u32, ssrcs: &[u8]| {
        let fci = [&b"REMB"[..], &[count, 0, 0, 1], ssrcs].concat();
        feedback(0x8f, 206, media, &fci)
    };
    vec![
        full("rtp.rtcp.version", vec![0x40, 201, 0, 1, 0, 0, 0, 1]),
        full("rtp.rtcp.length", compound(&[0x80, 204, 0, 5, 0, 0, 0, 1])),
        full(
            "rtp.rtcp.padding",
            compound(&[0xa0, 204, 0, 2, 0, 0, 0, 1, b'n', b'a', b'm', 0]),
        ),
        full(
            "rtp.rtcp.padding-last",
            [&[0xa0, 201, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4][..], &SDES].concat(),
        ),
        full("rtp.rtcp.first-packet", SDES.to_vec()),
        full("rtp.rtcp.cname", RR.to_vec()),
        full(
            "rtp.rtcp.report-count",
            [&[0x81, 201, 0, 1, 0, 0, 0, 1][..], &SDES].concat(),
        ),
        full(
            "rtp.rtcp.report-loss",
            [
                &[0x81, 201, 0, 7, 0, 0, 0, 1][..],
                &[0, 0, 0, 2, 0, 0, 0, 100, 0, 0, 0, 5],
                &[0; 12],
                &SDES,
            ]
            .concat(),
        ),
        full(
            "rtp.rtcp.source-count",
            compound(&[0x82, 202, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0]),
        ),
        full(
            "rtp.rtcp.sdes-chunk",
            compound(&[0x81, 202, 0, 2, 0, 0, 0, 2, 1, 2, b'a', b'b']),
        ),
        full(
            "rtp.rtcp.sdes-item-length",
            compound(&[0x81, 202, 0, 2, 0, 0, 0, 2, 1, 9, b'a', 0]),
        ),
        full(
            "rtp.rtcp.sdes-priv",
            compound(&[0x81, 202, 0, 3, 0, 0, 0, 2, 8, 2, 5, b'a', 0, 0, 0, 0]),
        ),
        full(
            "rtp.rtcp.sdes-text",
            compound(&[0x81, 202, 0, 2, 0, 0, 0, 2, 1, 1, 0xff, 0]),
        ),
        full(
            "rtp.rtcp.bye-reason",
            compound(&[0x80, 203, 0, 1, 9, b'a', 0, 0]),
        ),
        full(
            "rtp.rtcp.bye-last",
            compound(&[&[0x81, 203, 0, 1, 0, 0, 0, 1][..], &RR].concat()),
        ),
        full(
            "rtp.rtcp.app-length",
            compound(&[0x80, 204, 0, 1, 0, 0, 0, 1]),
        ),
        full(
            "rtp.rtcp.app-name",
            compound(&[0x80, 204, 0, 2, 0, 0, 0, 1, 0, 1, 2, 3]),
        ),
        reduced(
            "rtp.rtcp.feedback-length",
            vec![0x81, 205, 0, 1, 0, 0, 0, 1],
        ),
        reduced("rtp.rtcp.feedback-fmt", feedback(0x82, 205, 5, &[])),
        reduced("rtp.rtcp.nack-fci", feedback(0x81, 205, 5, &[])),
        reduced("rtp.rtcp.pli-fci", feedback(0x81, 206, 5, &[0, 0, 0, 0])),
        reduced("rtp.rtcp.fir-fci", feedback(0x84, 206, 0, &[0, 0, 0, 5])),
        reduced(
            "rtp.rtcp.fir-media-ssrc",
            feedback(0x84, 206, 5, &[0, 0, 0, 5, 1, 0, 0, 0]),
        ),
        reduced(
            "rtp.rtcp.fir-reserved",
            feedback(0x84, 206, 0, &[0, 0, 0, 5, 1, 0, 0, 1]),
        ),
        reduced("rtp.rtcp.remb", remb(2, 0, &[])),
        reduced("rtp.rtcp.remb-media-ssrc", remb(1, 5, &[0, 0, 0, 5])),
        reduced("rtp.rtcp.twcc-status-count", twcc(5, &[])),
        // A run-length chunk of the reserved symbol 3.
        reduced("rtp.rtcp.twcc-symbol", twcc(1, &[0x60, 0x01, 0, 0])),
        // Three large deltas announced, one there.
        reduced("rtp.rtcp.twcc-deltas", twcc(3, &[0x40, 0x03, 0, 1])),
        Case {
            rule: "rtp.rtcp.limits",
            datagram: twcc(3, &[0x20, 0x03, 1, 2, 3, 0, 0, 0]),
            options: Options {
                reduced_size: true,
                max_twcc_statuses: 2,
            },
        },
    ]
}

#[test]
fn every_rtcp_rule_fires_on_its_input() {
    let table: Vec<(&str, Vec<&str>)> = cases()
        .into_iter()
        .map(|case| {
            let fired = match rtcp::parse(&Bytes::from(case.datagram), &case.options) {
                Ok(compound) => compound.violations.iter().map(|v| v.rule.id).collect(),
                Err(e) => vec![e.rule_id()],
            };
            (case.rule, fired)
        })
        .collect();
    let rtcp_rules: Vec<_> = CATALOG
        .iter()
        .copied()
        .filter(|r| r.id.starts_with("rtp.rtcp."))
        .collect();
    rule_table::check(&rtcp_rules, &table);
}

#[test]
fn a_valid_compound_and_a_lone_reduced_size_feedback_break_nothing() {
    let ok = rtcp::parse(&Bytes::from(compound(&[])), &Options::default()).unwrap();
    assert_eq!(ok.violations, []);
    let pli = feedback(0x81, 206, 5, &[]);
    let options = Options {
        reduced_size: true,
        ..Options::default()
    };
    let lone = rtcp::parse(&Bytes::from(pli.clone()), &options).unwrap();
    assert_eq!(lone.violations, []);
    // Without reduced-size, the same PLI alone breaks the compound rules.
    let full = rtcp::parse(&Bytes::from(pli), &Options::default()).unwrap();
    let ids: Vec<_> = full.violations.iter().map(|v| v.rule.id).collect();
    assert_eq!(ids, ["rtp.rtcp.first-packet", "rtp.rtcp.cname"]);
}

#[test]
fn a_broken_body_is_kept_raw_and_the_packets_after_it_still_parse() {
    // RR, an APP cut short after its SSRC, SDES: the APP stays raw, offsets are the datagram's.
    let datagram = [&RR[..], &[0x80, 204, 0, 1, 0, 0, 0, 1], &SDES].concat();
    let parsed = rtcp::parse(&Bytes::from(datagram), &Options::default()).unwrap();
    assert!(matches!(parsed.packets[1], rtcp::Packet::Raw(ref raw) if raw.packet_type == 204));
    assert!(matches!(parsed.packets[2], rtcp::Packet::Sdes(_)));
    let v: Vec<_> = parsed
        .violations
        .iter()
        .map(|v| (v.rule.id, v.offset))
        .collect();
    assert_eq!(v, [("rtp.rtcp.app-length", 16)]);
}

#[test]
fn violations_inside_a_body_carry_datagram_offsets() {
    // The report block's cumulative loss sits 5 bytes into the block, 8 into the RR body.
    let datagram = [
        &[0x81, 201, 0, 7, 0, 0, 0, 1][..],
        &[0, 0, 0, 2, 0, 0, 0, 100, 0, 0, 0, 5],
        &[0; 12],
        &SDES,
    ]
    .concat();
    let parsed = rtcp::parse(&Bytes::from(datagram), &Options::default()).unwrap();
    let v: Vec<_> = parsed
        .violations
        .iter()
        .map(|v| (v.rule.id, v.offset))
        .collect();
    assert_eq!(v, [("rtp.rtcp.report-loss", 13)]);
}
