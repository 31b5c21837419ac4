//! Every SDP of the public corpus (`$WEIR_CORPUS/sdp/`, MANIFEST.md): it parses with
//! exactly the violations listed here, or fails with the rule listed here; whatever
//! parses comes back the same through write → parse, and byte for byte (with CRLF line
//! ends) unless it had lines out of order or blank.
//!
//! Each expectation was checked by reading the file: the mozilla-webrtc-sdp examples are
//! parser edge cases (comment lines only Mozilla's example program understands, attributes
//! at the wrong level), retina's are real IP cameras' DESCRIBE answers (the RTSP head is cut
//! off here: only the body is SDP).

use weir_sdp::{Limits, parse, parse_with};
use weir_testkit::corpus;

enum Expect {
    /// Parses, with these violations (rule ids, in order, repeats removed).
    Ok(&'static [&'static str]),
    /// Fails with this rule.
    Err(&'static str),
}
use Expect::{Err, Ok};

const CRLF: &str = "sdp.line.crlf";
const LEVEL: &str = "sdp.attribute.level";

/// The mozilla files are all LF-only, so each reports `sdp.line.crlf` once.
const EXPECTED: &[(&str, Expect)] = &[
    ("mozilla-webrtc-sdp/02.sdp", Ok(&[CRLF])),
    // Starts with `;` comment lines ("comment lines only work in the example parser").
    ("mozilla-webrtc-sdp/03.sdp", Err("sdp.line.syntax")),
    ("mozilla-webrtc-sdp/04.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/05.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/06.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/07.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/08.sdp", Err("sdp.line.syntax")),
    ("mozilla-webrtc-sdp/09.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/10.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/11.sdp", Err("sdp.line.syntax")),
    ("mozilla-webrtc-sdp/12.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/13.sdp", Ok(&[CRLF])),
    // candidate at session level
    ("mozilla-webrtc-sdp/14.sdp", Ok(&[CRLF, LEVEL])),
    // bundle-only at session level
    ("mozilla-webrtc-sdp/15.sdp", Ok(&[CRLF, LEVEL])),
    // fmtp at session level
    ("mozilla-webrtc-sdp/16.sdp", Ok(&[CRLF, LEVEL])),
    // ice-mismatch at session level
    ("mozilla-webrtc-sdp/17.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/18.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/19.sdp", Ok(&[CRLF])),
    // maxptime at session level
    ("mozilla-webrtc-sdp/20.sdp", Ok(&[CRLF, LEVEL])),
    // mid, msid, rtcp, rtcp-fb, rtcp-mux, rtcp-rsize, rtpmap at session level
    ("mozilla-webrtc-sdp/21.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/22.sdp", Ok(&[CRLF, LEVEL])),
    // ptime at session level
    ("mozilla-webrtc-sdp/23.sdp", Ok(&[CRLF, LEVEL])),
    // remote-candidates at session level
    ("mozilla-webrtc-sdp/24.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/25.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/26.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/27.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/28.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/29.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/30.sdp", Ok(&[CRLF])),
    // `a=ssrc:5000` has no source attribute
    ("mozilla-webrtc-sdp/31.sdp", Ok(&[CRLF, "sdp.ssrc.syntax"])),
    // ssrc-group at session level
    ("mozilla-webrtc-sdp/32.sdp", Ok(&[CRLF, LEVEL])),
    ("mozilla-webrtc-sdp/33.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/34.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/35.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/36.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/37.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/38.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/39.sdp", Ok(&[CRLF])),
    ("mozilla-webrtc-sdp/40.sdp", Ok(&[CRLF])),
    // a blank line at the end
    ("mozilla-webrtc-sdp/41.sdp", Ok(&[CRLF, "sdp.line.syntax"])),
    ("webrtc-rs/firefox_152_simulcast_offer.sdp", Ok(&[CRLF])),
    ("webrtc-rs/safari_offer.sdp", Ok(&[])),
    // a=tool before t=
    ("retina/anjvision_describe.txt", Ok(&["sdp.line.order"])),
    // a=tool before t=, and the last line has no CRLF
    ("retina/anpviz_sdp.txt", Ok(&["sdp.line.order", CRLF])),
    ("retina/bunny_describe.txt", Ok(&[])),
    ("retina/foscam_describe.txt", Ok(&[])),
    // no t= line
    ("retina/geovision_sdp.txt", Ok(&["sdp.timing.missing"])),
    ("retina/gw_main_describe.txt", Ok(&[])),
    ("retina/gw_sub_describe.txt", Ok(&[])),
    // `a=rtpmap:96 H264/90000 ` (a trailing space after the clock rate)
    ("retina/h264dvr_describe.txt", Ok(&["sdp.rtpmap.syntax"])),
    ("retina/hikvision_describe.txt", Ok(&[])),
    ("retina/ipcam_describe.txt", Ok(&["sdp.rtpmap.syntax"])),
    // no o= line at all
    ("retina/macrovideo_describe.txt", Err("sdp.origin.missing")),
    ("retina/missing_content_type_describe.txt", Ok(&[])),
    ("retina/reolink_describe.txt", Ok(&[])),
    ("retina/reolink_describe_control_first.txt", Ok(&[])),
    // `o=- 14665860 31787219 1 IN IP4 ...`: seven fields
    ("retina/tplink_sdp.txt", Err("sdp.origin.syntax")),
    // `a=fmtp:96` without parameters
    ("retina/ubiquiti_sdp.txt", Ok(&["sdp.fmtp.syntax"])),
    // `m=audio 0 RTP/AVP 8\t `: trailing whitespace in the m= line
    ("retina/vstarcam_describe.txt", Err("sdp.media.syntax")),
];

/// The SDP of a corpus file: an RTSP response's body, or the whole file.
fn sdp_of(bytes: &[u8]) -> &[u8] {
    if bytes.starts_with(b"RTSP/")
        && let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n")
    {
        return &bytes[at + 4..];
    }
    bytes
}

#[test]
fn every_corpus_sdp_parses_or_fails_with_its_rule_and_round_trips() {
    let mut seen = Vec::new();
    for folder in ["mozilla-webrtc-sdp", "webrtc-rs", "retina"] {
        for name in corpus::names(&format!("sdp/{folder}"), "") {
            seen.push(format!("{folder}/{name}"));
        }
    }
    let listed: Vec<String> = EXPECTED.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        seen, listed,
        "the corpus and the table list different files"
    );
    let (mut parsed, mut byte_for_byte) = (0, 0);
    for (name, expect) in EXPECTED {
        let bytes = corpus::read(&format!("sdp/{name}"));
        let result = parse(sdp_of(&bytes));
        match (expect, result) {
            (Ok(ids), Result::Ok((sd, violations))) => {
                let mut got: Vec<&str> = violations.iter().map(|v| v.rule.id).collect();
                got.dedup();
                assert_eq!(&got, ids, "{name}: {violations:#?}");
                let text = sd.write();
                let (again, clean) = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(again, sd, "{name}: write → parse changed the value");
                assert_eq!(again.write(), text, "{name}: writing is not stable");
                assert!(
                    clean.iter().all(|v| v.rule.id != CRLF),
                    "{name}: the writer uses CRLF"
                );
                // Canonical input comes back byte for byte: only lines out of order and
                // blank lines (both reported) are not where the writer puts them.
                if !got.contains(&"sdp.line.order") && !got.contains(&"sdp.line.syntax") {
                    let input = String::from_utf8_lossy(sdp_of(&bytes)).replace("\r\n", "\n");
                    assert_eq!(
                        text,
                        input.replace('\n', "\r\n"),
                        "{name}: not byte for byte"
                    );
                    byte_for_byte += 1;
                }
                parsed += 1;
            }
            (Err(id), Result::Err(e)) => assert_eq!(e.rule_id(), *id, "{name}: {e}"),
            (Ok(_), Result::Err(e)) => panic!("{name}: expected to parse, got {e}"),
            (Err(id), Result::Ok(_)) => panic!("{name}: expected {id}, but it parsed"),
        }
    }
    assert_eq!((parsed, byte_for_byte), (53, 50));
}

#[test]
fn a_browser_offer_has_its_webrtc_attributes_typed() {
    let bytes = corpus::read("sdp/webrtc-rs/firefox_152_simulcast_offer.sdp");
    let (sd, _) = parse(&bytes).expect("parses");
    let video = &sd.media[0];
    assert_eq!(video.mid(), Some("0"));
    assert_eq!(video.ice_ufrag(&sd), Some("eceb5b58"));
    assert!(video.setup(&sd).is_some());
    assert_eq!(video.fingerprints(&sd)[0].digest.len(), 32);
    let vp8 = video.codecs().into_iter().find(|c| c.payload_type == 120);
    let vp8 = vp8.expect("pt 120");
    assert_eq!((vp8.name.as_str(), vp8.clock_rate), ("VP8", 90000));
    assert_eq!(vp8.fmtp.expect("fmtp").get("max-fr"), Some("60"));
    let typed = |pred: fn(&weir_sdp::Attribute) -> bool| video.attributes.iter().any(pred);
    assert!(typed(|a| matches!(a, weir_sdp::Attribute::Simulcast(_))));
    assert!(typed(|a| matches!(a, weir_sdp::Attribute::Rid(_))));
    assert!(typed(|a| matches!(a, weir_sdp::Attribute::Extmap(_))));
    assert!(typed(|a| matches!(a, weir_sdp::Attribute::RtcpFb(_))));
    assert!(typed(|a| matches!(a, weir_sdp::Attribute::Msid(_))));
}

#[test]
fn a_description_over_the_size_or_line_limit_is_an_error() {
    let bytes = corpus::read("sdp/mozilla-webrtc-sdp/41.sdp");
    let small = Limits {
        max_bytes: bytes.len() - 1,
        ..Limits::default()
    };
    let e = parse_with(&bytes, &small).expect_err("too big");
    assert_eq!(e.rule_id(), "sdp.limits.size");
    let few = Limits {
        max_lines: 10,
        ..Limits::default()
    };
    let e = parse_with(&bytes, &few).expect_err("too many lines");
    assert_eq!(e.rule_id(), "sdp.limits.lines");
}
