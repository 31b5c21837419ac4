//! `weir check` on MPEG-PS (GB28181): program stream files of our muxer, GStreamer's
//! `mpegpsmux` and FFmpeg's `-f vob`, read whole with the frame counts ffprobe gives; the
//! same stream as GB28181 devices send it — PS over RTP over UDP, and over TCP framed as
//! RFC 4571 says, with RTP header extensions — found by content and read to the same
//! frames; the broken variants of `weir_mpegps::mangle` over RTP, each failing the rules it
//! breaks with its frames still counted; an RTP loss noted, never blamed on the stream; and
//! pinned transcripts. Files are made in the test (2-4 s each); peers come from
//! `FFMPEG`/`FFPROBE`/`GST_LAUNCH` or PATH (ci/install-peers).

mod support;

// The mpegps crate's own peer helpers (GStreamer and FFmpeg files, our remux, ffprobe's
// counts): shared, not copied.
#[path = "../../protocols/mpegps/tests/support/mod.rs"]
mod peers;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use support::packets::{ethernet, ethernet_capture, ipv4, tcp, udp};
use support::pipeline::{resplit, run_events, transcript_of};
use weir_conformance::capture::{CaptureEvents, Event, Limits};
use weir_conformance::check::{self, Coverage, Input, InputReport, Options, Report};
use weir_conformance::protocols::Protocol;
use weir_conformance::verdict::Status;
use weir_media::{Level, MediaKind};
use weir_mpegps::mangle;
use weir_testkit::TempPath;

/// Our muxer's H.264 + AAC stream (GStreamer's x264 and AAC, 100 frames at 25 fps with a
/// keyframe every 25, remuxed by us), made once per test binary.
fn ours() -> &'static [u8] {
    static OURS: OnceLock<Vec<u8>> = OnceLock::new();
    OURS.get_or_init(|| {
        let gst = peers::gstreamer_file("ours-source.mpg", 100);
        peers::remux(&peers::demux(&std::fs::read(&gst).expect("gst wrote it")))
    })
}

fn check_path(path: &Path) -> InputReport {
    check::run(&[Input::Capture(path.to_owned())], &Options::default())
        .inputs
        .remove(0)
}

fn capture_events(file: &[u8]) -> Vec<Event> {
    CaptureEvents::new(file, Limits::default())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Frames per codec (ffprobe's names), over every track of every flow.
fn frames_per_codec(report: &InputReport) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for (_, _, s) in report.flows.iter().flat_map(|f| &f.tracks) {
        if let Some(codec) = s.codec {
            *counts
                .entry(peers::ffprobe_name(codec).to_owned())
                .or_default() += s.frames;
        }
    }
    counts
}

/// ffprobe's packets per codec in a file.
fn ffprobe_per_codec(path: &Path) -> BTreeMap<String, u64> {
    let (streams, _) = peers::probe(path);
    let mut counts = BTreeMap::new();
    for (name, packets, _) in streams {
        *counts.entry(name).or_default() += packets as u64;
    }
    counts
}

/// The rules failed, by id, with their counts.
fn failed(report: &InputReport) -> BTreeMap<&'static str, u64> {
    support::pipeline::failed_counts(report)
        .into_iter()
        .collect()
}

/// The MUST rules failed.
fn must_failed(report: &InputReport) -> Vec<&'static str> {
    report
        .flows
        .iter()
        .flat_map(|f| &f.verdicts)
        .filter(|v| matches!(v.status, Status::Fail { .. }) && v.rule.level == Level::Must)
        .map(|v| v.rule.id)
        .collect()
}

/// Frames per track kind.
fn frames(report: &InputReport) -> (u64, u64) {
    let kind = |k: MediaKind| {
        report
            .flows
            .iter()
            .flat_map(|f| &f.tracks)
            .filter(|(_, t, _)| t.kind == k)
            .map(|(_, _, s)| s.frames)
            .sum()
    };
    (kind(MediaKind::Video), kind(MediaKind::Audio))
}

/// RTP payloads as a GB28181 device cuts a program stream: each pack (one frame with its
/// headers) starts a payload, cut into payloads of at most 1400 bytes; and cut at `extra`
/// too.
fn payloads<'a>(ps: &'a [u8], extra: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = mangle::packets(ps)
        .iter()
        .filter(|p| p.code == 0xba)
        .map(|p| p.start)
        .chain(extra.iter().copied())
        .filter(|&c| c > 0 && c < ps.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut at = 0;
    for end in cuts.into_iter().chain([ps.len()]) {
        out.extend(ps[at..end].chunks(1400));
        at = end;
    }
    out
}

/// One RTP packet (RFC 3550 §5.1) of payload type 96 (GB28181's PS), SSRC 0x0bad_cafe; with a
/// one-byte-header extension (RFC 8285) when `extension`.
fn rtp(seq: u16, payload: &[u8], extension: bool) -> Vec<u8> {
    let mut p = vec![0x80 | if extension { 0x10 } else { 0 }, 96];
    p.extend(seq.to_be_bytes());
    p.extend((u32::from(seq) * 3600).to_be_bytes());
    p.extend([0x0b, 0xad, 0xca, 0xfe]);
    if extension {
        p.extend([0xbe, 0xde, 0, 1, 0x10, 0xab, 0, 0]);
    }
    p.extend(payload);
    p
}

/// RTP packets of `ps` cut as [`payloads`] says, sequence numbers from 65530 (wrapping on the
/// way), every other one with a header extension; `drop` leaves some out.
fn rtp_packets(ps: &[u8], extra: &[usize], drop: &dyn Fn(usize) -> bool) -> Vec<Vec<u8>> {
    payloads(ps, extra)
        .iter()
        .enumerate()
        .filter(|(i, _)| !drop(*i))
        .map(|(i, p)| rtp(65530u16.wrapping_add(i as u16), p, i % 2 == 1))
        .collect()
}

const DEVICE: [u8; 4] = [10, 0, 0, 7];
const SERVER: [u8; 4] = [10, 0, 0, 2];

/// A capture of the packets over UDP, device to server.
fn over_udp(packets: &[Vec<u8>]) -> Vec<u8> {
    let frames: Vec<_> = packets
        .iter()
        .map(|p| {
            ethernet(
                None,
                0x0800,
                &ipv4(17, DEVICE, SERVER, 1, 0, &udp(15060, 9000, p)),
            )
        })
        .collect();
    ethernet_capture(&frames)
}

/// A capture of the packets over TCP, each framed by its 16-bit length (RFC 4571): the
/// device connects and sends (GB28181's passive mode for the server).
fn over_tcp(packets: &[Vec<u8>]) -> Vec<u8> {
    tcp_capture(packets, true)
}

/// The same, the device connecting (`device_connects`) or the server connecting to the device
/// (GB28181's active mode), the device sending either way.
fn tcp_capture(packets: &[Vec<u8>], device_connects: bool) -> Vec<u8> {
    let segment = |from_device: bool, seq: u32, flags: u8, payload: &[u8]| {
        let (device_port, server_port) = match device_connects {
            true => (15060, 9000),
            false => (9000, 40000),
        };
        let (src, dst, sp, dp) = match from_device {
            true => (DEVICE, SERVER, device_port, server_port),
            false => (SERVER, DEVICE, server_port, device_port),
        };
        ethernet(
            None,
            0x0800,
            &ipv4(6, src, dst, 1, 0, &tcp(sp, dp, seq, flags, payload)),
        )
    };
    let mut frames = vec![
        segment(device_connects, 0, 0x02, b""),
        segment(!device_connects, 0, 0x12, b""),
    ];
    let mut seq = 1u32;
    for p in packets {
        let mut framed = (p.len() as u16).to_be_bytes().to_vec();
        framed.extend(p);
        frames.push(segment(true, seq, 0x18, &framed));
        seq += framed.len() as u32;
    }
    ethernet_capture(&frames)
}

fn report_of(capture: &[u8]) -> InputReport {
    run_events(capture_events(capture))
}

#[test]
fn files_of_three_muxers_are_read_with_ffprobes_frame_counts() {
    let dir = TempPath::dir("ps-files");
    let ours_path = dir.path().join("ours.ps");
    std::fs::write(&ours_path, ours()).unwrap();
    let gst = peers::gstreamer_file("gst.mpg", 75);
    let vob = peers::ffmpeg_file("ffmpeg.vob", &["-c:v", "libx264", "-bf", "2"], "vob");
    for path in [&ours_path, gst.path(), vob.path()] {
        let report = check_path(path);
        let name = path.display();
        assert_eq!(report.flows.len(), 1, "{name}");
        assert_eq!(report.flows[0].protocol, Protocol::MpegPs, "{name}");
        assert!(
            report.flows[0]
                .detected_by
                .to_string()
                .contains("pack header"),
            "{name}: {}",
            report.flows[0].detected_by
        );
        assert_eq!(
            frames_per_codec(&report),
            ffprobe_per_codec(path),
            "{name}: ours vs ffprobe's"
        );
        assert_eq!(must_failed(&report), Vec::<&str>::new(), "{name}");
    }
    let report = check_path(&ours_path);
    assert_eq!(report.flows[0].coverage, Coverage::Full);
    assert_eq!(frames(&report), (100, 188));
    insta::assert_snapshot!("ps-file-ours", transcript_of(report));
}

#[test]
fn ps_over_rtp_over_udp_and_tcp_gives_the_files_frames() {
    let dir = TempPath::dir("ps-rtp");
    let file = dir.path().join("ours.ps");
    std::fs::write(&file, ours()).unwrap();
    let reference = check_path(&file);
    let packets = rtp_packets(ours(), &[], &|_| false);
    for (carrier, capture, detected) in [
        ("udp", over_udp(&packets), "RTP payload beginning"),
        ("tcp", over_tcp(&packets), "RFC 4571"),
    ] {
        let report = report_of(&capture);
        assert_eq!(report.flows.len(), 1, "{carrier}");
        let flow = &report.flows[0];
        assert_eq!(flow.protocol, Protocol::MpegPs, "{carrier}");
        assert!(
            flow.detected_by.to_string().contains(detected),
            "{carrier}: {}",
            flow.detected_by
        );
        assert_eq!(flow.coverage, Coverage::Full, "{carrier}");
        assert_eq!(frames(&report), frames(&reference), "{carrier}");
        assert_eq!(
            frames_per_codec(&report),
            frames_per_codec(&reference),
            "{carrier}"
        );
        assert_eq!(failed(&report), failed(&reference), "{carrier}");
        insta::assert_snapshot!(format!("ps-rtp-{carrier}"), transcript_of(report));
    }
}

/// The TCP flow's transcript does not depend on how its bytes were cut into segments.
#[test]
fn ps_over_tcp_reads_the_same_however_the_segments_are_cut() {
    let packets = rtp_packets(ours(), &[], &|_| false);
    let events = capture_events(&over_tcp(&packets));
    let whole = transcript_of(run_events(events.clone()));
    for size in [1usize, 3, 700, 5000] {
        let again = transcript_of(run_events(resplit(&events, |left| size.min(left))));
        assert_eq!(again, whole, "pieces of {size}");
    }
}

/// Each broken variant of a good stream, sent as a device would over RTP: the rules it breaks
/// fail (and only those besides what the clean stream fails), and its frames are counted.
#[test]
fn mangled_streams_over_rtp_fail_their_rules_and_keep_their_frames() {
    let ps = ours();
    let clean = report_of(&over_udp(&rtp_packets(ps, &[], &|_| false)));
    let clean_failed = failed(&clean);
    let clean_frames = frames(&clean);
    let packs = mangle::packets(ps)
        .iter()
        .filter(|p| p.code == 0xba)
        .count();
    type Variant = (
        &'static str,
        Vec<u8>,
        Vec<usize>,
        &'static [&'static str],
        bool,
    );
    let variants: Vec<Variant> = vec![
        // Every pack start code split between two RTP packets: nothing is lost.
        (
            "split start codes",
            ps.to_vec(),
            mangle::start_code_cuts(ps),
            &[],
            true,
        ),
        (
            "zero bytes before packs",
            mangle::extra_zeros(ps, 5),
            vec![],
            &["mpegps.stream.zero-stuffing"],
            true,
        ),
        (
            "a frame in four PES repeating its PTS",
            mangle::split_pes(ps, 4, true),
            vec![],
            &[],
            true,
        ),
        (
            "map length too long",
            mangle::psm_length(ps, 6),
            vec![],
            // The CRC is read where the too-long length puts it.
            &["mpegps.psm.crc", "mpegps.psm.length"],
            true,
        ),
        (
            "elementary stream map length wrong",
            mangle::es_map_length(ps, 8),
            vec![],
            // The mangle leaves the CRC as it was.
            &["mpegps.psm.crc", "mpegps.psm.map-length"],
            true,
        ),
        (
            "no map",
            mangle::without_psm(ps),
            vec![],
            &["mpegps.es.sniffed", "mpegps.keyframe.psm"],
            true,
        ),
        (
            "marker bits cleared",
            mangle::clear_markers(ps),
            vec![],
            &["mpegps.pack.marker", "mpegps.system-header.marker"],
            true,
        ),
        (
            "junk before a pack",
            mangle::junk_before_packs(ps, b"\x47\x40\x11garbage", |i| i == packs / 2),
            vec![],
            &["mpegps.stream.garbage"],
            false,
        ),
    ];
    for (name, bad, cuts, expected, lossless) in variants {
        for (carrier, capture) in [
            ("udp", over_udp(&rtp_packets(&bad, &cuts, &|_| false))),
            ("tcp", over_tcp(&rtp_packets(&bad, &cuts, &|_| false))),
        ] {
            let report = report_of(&capture);
            assert_eq!(
                report.flows[0].protocol,
                Protocol::MpegPs,
                "{name} {carrier}"
            );
            let got = failed(&report);
            let new: Vec<&str> = got
                .keys()
                .filter(|r| !clean_failed.contains_key(*r))
                .copied()
                .collect();
            assert_eq!(new, expected, "{name} over {carrier}: {got:?}");
            let (video, audio) = frames(&report);
            if lossless {
                assert_eq!((video, audio), clean_frames, "{name} over {carrier}");
            } else {
                // One GOP at most is lost around the junk.
                assert!(
                    video + 25 >= clean_frames.0,
                    "{name} over {carrier}: {video}"
                );
                assert!(audio > 0, "{name} over {carrier}");
            }
        }
    }
}

/// RTP packets lost before the capture are an event, never a rule the stream broke: the
/// demuxer starts afresh at the next packet with a pack header and a map (the next
/// keyframe), and the flow counts as observed in part.
#[test]
fn an_rtp_loss_is_an_event_and_the_stream_resumes_at_the_next_keyframe() {
    let ps = ours();
    let clean = report_of(&over_udp(&rtp_packets(ps, &[], &|_| false)));
    let total = payloads(ps, &[]).len();
    let lossy = rtp_packets(ps, &[], &|i| i == total / 3 || i == total / 3 + 1);
    for (carrier, capture) in [("udp", over_udp(&lossy)), ("tcp", over_tcp(&lossy))] {
        let report = report_of(&capture);
        let transcript = transcript_of(report.clone());
        assert!(
            transcript.contains("2 packet(s) lost before the capture"),
            "{carrier}: {transcript}"
        );
        assert!(
            transcript.contains("and carries a program stream map: the demuxer starts afresh"),
            "{carrier}: {transcript}"
        );
        assert!(matches!(report.flows[0].coverage, Coverage::Partial(_)));
        assert_eq!(failed(&report), failed(&clean), "{carrier}");
        let (video, audio) = frames(&report);
        let (clean_video, clean_audio) = frames(&clean);
        assert!(video < clean_video && video + 25 >= clean_video, "{video}");
        assert!(audio < clean_audio && audio > 0, "{audio}");
    }
}

/// A violation names its offset in the stream and the RTP packet it falls in.
#[test]
fn violations_name_the_rtp_packet() {
    let bad = mangle::clear_markers(ours());
    let report = report_of(&over_udp(&rtp_packets(&bad, &[], &|_| false)));
    let transcript = transcript_of(report);
    let line = transcript
        .lines()
        .skip_while(|l| !l.contains("rule: mpegps.pack.marker"))
        .take(4)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(line.contains("(RTP packet 65530)"), "{line}");
}

/// RTP whose payload is no program stream is still RTP, and a flow of RTCP is not PS.
#[test]
fn plain_rtp_is_not_taken_for_ps() {
    let packets: Vec<Vec<u8>> = (0..10u16)
        .map(|i| rtp(i, &[0x65, 0x88, 0x84, 0x00, 0x33], false))
        .collect();
    let report = report_of(&over_udp(&packets));
    assert_eq!(report.flows[0].protocol, Protocol::Rtp);
    let report = report_of(&over_tcp(&packets));
    assert_eq!(report.flows[0].protocol, Protocol::Rtp);
}

/// `weir rules` lists the whole `mpegps.*` catalog.
#[test]
fn weir_rules_lists_the_mpegps_catalog() {
    let listed = weir_conformance::catalog::render("mpegps.");
    for rule in weir_mpegps::rules::CATALOG {
        assert!(listed.contains(rule.id), "{} not listed", rule.id);
    }
    assert_eq!(
        weir_conformance::protocols::Protocol::MpegPs.rule_prefixes()[0],
        "mpegps."
    );
}

/// The keys of a JSON object, or of the first element of an array, at `path`.
fn keys(json: &serde_json::Value, path: &[&str]) -> Vec<String> {
    let mut at = json;
    for step in path {
        at = &at[*step];
        if let Some(first) = at.as_array().and_then(|a| a.first()) {
            at = first;
        }
    }
    let mut keys: Vec<String> = at
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// A PS flow's JSON and JUnit have the shape of a TS flow's: the same keys at every level the
/// reports share.
#[test]
fn json_and_junit_have_the_shape_other_protocols_have() {
    let ps = Report {
        inputs: vec![report_of(&over_udp(&rtp_packets(
            &mangle::clear_markers(ours()),
            &[],
            &|_| false,
        )))],
        strict: false,
        require_full_coverage: false,
    };
    let ts = check::run(
        &[Input::Capture(weir_testkit::corpus::path(
            "mpegts/test-segment.ts",
        ))],
        &Options::default(),
    );
    let json = |r: &Report| -> serde_json::Value {
        serde_json::from_str(&weir_conformance::report::json::render(r)).unwrap()
    };
    let (ps_json, ts_json) = (json(&ps), json(&ts));
    for path in [
        &[][..],
        &["inputs"],
        &["inputs", "flows"],
        &["inputs", "flows", "verdicts"],
    ] {
        assert_eq!(keys(&ps_json, path), keys(&ts_json, path), "{path:?}");
    }
    let junit = weir_conformance::report::junit::render(&ps).unwrap();
    assert!(junit.contains("mpegps.pack.marker"), "{junit}");
    assert!(junit.contains("<failure"), "{junit}");
}

/// A device that sends a pack header and then anything — junk, endless PES, start codes and
/// nothing else, packets cut anywhere — is read without a panic, over UDP and TCP, and what
/// the demuxer cannot get past is reported, not passed.
#[test]
fn hostile_payloads_never_panic() {
    let ps = ours();
    let mut state = 0x2545_f491_u32;
    let mut junk = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect()
    };
    let first = payloads(ps, &[])[0].to_vec();
    let hostile: Vec<Vec<u8>> = vec![
        junk(1400),
        [0, 0, 1, 0xe0, 0, 0].repeat(200),
        [0, 0, 1, 0xba].repeat(300),
        vec![0; 1400],
        [&[0, 0, 1, 0xbc, 0xff, 0xff][..], &junk(1000)].concat(),
        [&[0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 0xff][..], &junk(1200)].concat(),
        ps[100..1500].to_vec(),
    ];
    let mut packets = vec![rtp(1, &first, false)];
    for round in 0..40u16 {
        for (i, payload) in hostile.iter().enumerate() {
            packets.push(rtp(2 + round * 8 + i as u16, payload, i % 2 == 0));
        }
    }
    for (carrier, capture) in [("udp", over_udp(&packets)), ("tcp", over_tcp(&packets))] {
        let report = report_of(&capture);
        assert_eq!(report.flows[0].protocol, Protocol::MpegPs, "{carrier}");
        assert!(!failed(&report).is_empty(), "{carrier}");
        let _ = transcript_of(report);
    }
}

/// GB28181's active mode: the server connects to the device, which sends on the connection it
/// accepted; the flow is found and read the same, from the server's side of the connection.
#[test]
fn ps_from_the_side_that_accepted_the_connection() {
    let packets = rtp_packets(ours(), &[], &|_| false);
    let passive = report_of(&over_tcp(&packets));
    let active = report_of(&tcp_capture(&packets, false));
    assert_eq!(active.flows[0].protocol, Protocol::MpegPs);
    assert_eq!(frames(&active), frames(&passive));
    assert_eq!(failed(&active), failed(&passive));
    assert!(transcript_of(active).contains("dir: s2c"));
}

/// An RTP packet too broken to read (15 CSRCs announced in 12 bytes) fails the header rule the
/// RTP observer judges it by (`rtp.header.csrc-count`), named by its sequence number, and is
/// counted; the hole it leaves is a loss like any other, and nothing else is blamed on the
/// stream.
#[test]
fn a_broken_rtp_header_fails_its_rule_and_is_a_loss() {
    let ps = ours();
    let clean = report_of(&over_udp(&rtp_packets(ps, &[], &|_| false)));
    let mut packets = rtp_packets(ps, &[], &|_| false);
    let at = packets.len() / 2;
    packets[at].truncate(12);
    packets[at][0] = 0x8f;
    let report = report_of(&over_udp(&packets));
    let transcript = transcript_of(report.clone());
    assert!(
        transcript.contains("1 packets whose RTP header is broken"),
        "{transcript}"
    );
    assert!(transcript.contains("1 packet(s) lost"), "{transcript}");
    let seq = 65530u16.wrapping_add(at as u16);
    assert!(
        transcript.contains(&format!("(RTP packet {seq}, byte 12 of its 12)")),
        "{transcript}"
    );
    assert!(matches!(report.flows[0].coverage, Coverage::Partial(_)));
    let mut expected = failed(&clean);
    expected.insert("rtp.header.csrc-count", 1);
    assert_eq!(failed(&report), expected);
    assert!(frames(&report).0 + 25 >= frames(&clean).0);
}

/// The RTP packets of our stream from `tail` packets before a pack header on, the first pack
/// header with as many packets of the frame before it: a capture that began inside that frame.
/// Also the index of that pack header's packet, and which pack it is (from 0).
fn from_inside_a_frame(ps: &[u8], tail: usize) -> (Vec<Vec<u8>>, usize, usize) {
    let packets = rtp_packets(ps, &[], &|_| false);
    let starts: Vec<usize> = (0..packets.len())
        .filter(|&i| {
            let p = &packets[i];
            let header = 12 + if p[0] & 0x10 != 0 { 8 } else { 0 };
            p[header..].starts_with(&[0, 0, 1, 0xba])
        })
        .collect();
    let nth = (1..starts.len())
        .find(|&n| starts[n] - starts[n - 1] > tail)
        .unwrap();
    let at = starts[nth];
    (packets[at - tail..].to_vec(), at, nth)
}

/// A UDP capture that begins with the last 5 packets of a frame: its first datagram is RTP of
/// a dynamic payload type and no pack header, so the flow is held until the next frame's pack
/// header says MPEG-PS (at datagram 6); the held datagrams are read in order, the 5 of the
/// tail skipped and said so (not blamed on the device), and every frame from the pack header
/// on is counted — as many as the same bytes read as a file give.
#[test]
fn ps_over_udp_captured_from_inside_a_frame_is_found_at_its_next_pack_header() {
    let (packets, at, nth) = from_inside_a_frame(ours(), 5);
    let report = report_of(&over_udp(&packets));
    assert_eq!(report.flows.len(), 1);
    let flow = &report.flows[0];
    assert_eq!(flow.protocol, Protocol::MpegPs);
    let reason = flow.detected_by.to_string();
    assert!(
        reason.contains("at datagram 6 (the 5 before it held"),
        "{reason}"
    );
    // Observed in part: the tail was not read.
    assert!(matches!(flow.coverage, Coverage::Partial(_)));
    let tail_bytes: usize = packets[..5]
        .iter()
        .map(|p| p.len() - 12 - if p[0] & 0x10 != 0 { 8 } else { 0 })
        .sum();
    let transcript = transcript_of(report.clone());
    let first_read = 65530u16.wrapping_add(at as u16);
    let said = format!(
        "the capture begins inside a frame: 5 packet(s) ({tail_bytes} payload bytes) before \
         packet {first_read} skipped"
    );
    assert!(transcript.contains(&said), "{transcript}");
    // The same program stream from that pack header, read as a file.
    let start = mangle::packets(ours())
        .iter()
        .filter(|p| p.code == 0xba)
        .nth(nth)
        .unwrap()
        .start;
    let dir = TempPath::dir("ps-inside-a-frame");
    let file = dir.path().join("from-the-second-pack.ps");
    std::fs::write(&file, &ours()[start..]).unwrap();
    let reference = check_path(&file);
    assert_eq!(frames(&report), frames(&reference));
    assert!(frames(&report).0 > 0, "{:?}", frames(&report));
    // The file reader cannot know the map came before its first byte; the RTP flow that
    // started late does, once the next map names the streams it sniffed.
    let mut expected = failed(&reference);
    assert!(expected.remove("mpegps.es.sniffed").is_some());
    assert_eq!(failed(&report), expected);
    assert!(
        transcript.contains("2 stream(s) read before the first program stream map"),
        "{transcript}"
    );
}

/// The same capture with no pack header in its first 64 datagrams stays RTP, as it was told
/// before: the hold ends at its bound, and the reason says how many datagrams were held. A
/// flow that ends within the bound is RTP too, and so is one whose pack header comes from
/// another source.
#[test]
fn rtp_without_a_pack_header_within_the_hold_stays_rtp() {
    let (packets, _, _) = from_inside_a_frame(ours(), 5);
    let no_pack: Vec<Vec<u8>> = packets
        .iter()
        .filter(|p| {
            let header = 12 + if p[0] & 0x10 != 0 { 8 } else { 0 };
            !p[header..].starts_with(&[0, 0, 1, 0xba])
        })
        .cloned()
        .collect();
    let report = report_of(&over_udp(&no_pack));
    assert_eq!(report.flows[0].protocol, Protocol::Rtp);
    let reason = report.flows[0].detected_by.to_string();
    assert!(reason.contains("(64 datagrams of a dynamic"), "{reason}");
    // Held datagrams go to the RTP observer in order, all of them.
    let transcript = transcript_of(report);
    let count = format!("{} packets", no_pack.len());
    assert!(transcript.contains(&count), "{transcript}");

    let short = report_of(&over_udp(&no_pack[..10]));
    assert_eq!(short.flows[0].protocol, Protocol::Rtp);
    let reason = short.flows[0].detected_by.to_string();
    assert!(reason.contains("(10 datagrams of a dynamic"), "{reason}");

    let mut other_source = packets.clone();
    for p in &mut other_source[5..] {
        p[11] ^= 1;
    }
    let report = report_of(&over_udp(&other_source));
    assert_eq!(report.flows[0].protocol, Protocol::Rtp);
}

/// A GB28181 flow is RTP too: each header is judged by the `rtp.header.*` rules as the RTP
/// observer judges them, and the PS flow's report lists them (passed on a clean flow).
#[test]
fn a_ps_flow_with_a_broken_rtp_header_fails_the_rtp_header_rule() {
    let clean = report_of(&over_udp(&rtp_packets(ours(), &[], &|_| false)));
    let verdict = clean.flows[0]
        .verdicts
        .iter()
        .find(|v| v.rule.id == "rtp.header.version")
        .unwrap();
    assert_eq!(verdict.status, Status::Pass);
    type Break = fn(&mut Vec<u8>);
    let breaks: [(&str, Break); 6] = [
        ("rtp.header.version", |p| p[0] = 0x40 | (p[0] & 0x3f)),
        ("rtp.header.length", |p| p.truncate(8)),
        ("rtp.header.csrc-count", |p| {
            p[0] |= 0x0f;
            p.truncate(40);
        }),
        // The P bit set, the last byte (a payload byte) counting far more than follow.
        ("rtp.header.padding", |p| {
            p[0] |= 0x20;
            *p.last_mut().unwrap() = 0xff;
            p.truncate(60);
        }),
        ("rtp.header.padding", |p| {
            p[0] |= 0x20;
            *p.last_mut().unwrap() = 0;
        }),
        ("rtp.header.extension-length", |p| {
            p[0] |= 0x10;
            p[12..16].copy_from_slice(&[0xbe, 0xde, 0xff, 0xff]);
        }),
    ];
    for (rule, mangle) in breaks {
        for (carrier, over) in [
            ("udp", over_udp as fn(&[Vec<u8>]) -> Vec<u8>),
            ("tcp", over_tcp),
        ] {
            let mut packets = rtp_packets(ours(), &[], &|_| false);
            let at = packets.len() / 2;
            mangle(&mut packets[at]);
            let report = report_of(&over(&packets));
            assert_eq!(
                report.flows[0].protocol,
                Protocol::MpegPs,
                "{rule} {carrier}"
            );
            let got = failed(&report);
            assert_eq!(got.get(rule), Some(&1), "{rule} over {carrier}: {got:?}");
            assert!(must_failed(&report).contains(&rule), "{rule} {carrier}");
        }
    }
}

/// Runs a capture with one `--decode-as`.
fn report_decoded_as(capture: &[u8], decode_as: &str) -> InputReport {
    let mut options = Options::default();
    options.decode_as.add(decode_as).unwrap();
    let mut checker = check::Checker::new("events", &options);
    for event in capture_events(capture) {
        checker.push(event);
    }
    checker.finish()
}

/// A stream that never sends a program stream map, captured from inside a frame: the streams
/// the demuxer sniffs are reported (`mpegps.es.sniffed`) once the flow ends with no map, as
/// they are when the whole stream is captured.
#[test]
fn a_stream_without_maps_captured_late_still_fails_es_sniffed() {
    let bare = mangle::without_psm(ours());
    let (packets, _, _) = from_inside_a_frame(&bare, 3);
    let report = report_of(&over_udp(&packets));
    assert_eq!(report.flows[0].protocol, Protocol::MpegPs);
    assert_eq!(failed(&report).get("mpegps.es.sniffed"), Some(&2));
    let whole = report_of(&over_udp(&rtp_packets(&bare, &[], &|_| false)));
    assert_eq!(failed(&whole).get("mpegps.es.sniffed"), Some(&2));
}

/// Over TCP (RFC 4571), detection reads the first frame only (its sniff buffer holds one
/// 1400-byte packet): a connection whose first packet is a frame's tail is taken for RTP. Read
/// as PS (`--decode-as PORT=mpegps`), it starts at its first pack header as over UDP, and
/// gives the same frames.
#[test]
fn ps_over_tcp_from_inside_a_frame_is_read_from_its_pack_header_when_decoded_as_ps() {
    let (packets, _, _) = from_inside_a_frame(ours(), 5);
    let udp = report_of(&over_udp(&packets));
    let capture = over_tcp(&packets);
    assert_eq!(report_of(&capture).flows[0].protocol, Protocol::Rtp);
    let report = report_decoded_as(&capture, "9000=mpegps");
    assert_eq!(report.flows[0].protocol, Protocol::MpegPs);
    assert_eq!(frames(&report), frames(&udp));
    assert_eq!(failed(&report), failed(&udp));
    let transcript = transcript_of(report);
    assert!(
        transcript.contains("the capture begins inside a frame: 5 packet(s)"),
        "{transcript}"
    );
}
