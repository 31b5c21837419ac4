//! `weir check` from the command line: exit status 0, 1 and 2, the report formats, rule
//! selection, --strict and --decode-as, on the corpus's RTMP captures and stream pairs, its
//! transport streams and its playlists.

use std::path::Path;
use std::process::Command;

use weir_testkit::corpus::dir as corpus;

fn rtmp(name: &str) -> String {
    corpus().join("rtmp").join(name).display().to_string()
}

fn weir(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("check")
        .args(args)
        .output()
        .expect("weir runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8 output");
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

/// `weir check --format json --junit FILE --html DIR ARGS`: the exit code, the JSON report,
/// the JUnit XML and the HTML page.
fn every_format(name: &str, args: &[&str]) -> (i32, serde_json::Value, String, String) {
    let dir = std::env::temp_dir().join(format!("weir-check-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("junit.xml");
    let html = dir.join("html");
    let mut all = vec![
        "--format",
        "json",
        "--junit",
        junit.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let (code, out, _) = weir(&all);
    let json = serde_json::from_str(&out).expect("JSON report");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let page = std::fs::read_to_string(html.join("index.html")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (code, json, xml, page)
}

/// The rules of a JSON flow whose failures count.
fn counted_failures(flow: &serde_json::Value) -> Vec<&str> {
    flow["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["status"] == "fail" && v["counts"] == true)
        .map(|v| v["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn a_clean_capture_exits_0_with_a_text_report() {
    let (code, out, _) = weir(&[&rtmp("rtmp_sample.cap")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("flow 1 tcp 192.168.43.1:1177 -> 192.168.43.128:1935: rtmp"));
    // Flash Media Server's user control event 8 breaks a SHOULD rule: reported, not counted.
    assert!(out.contains("warn rtmp.user-control.event (SHOULD, RTMP 1.0 §7.1.7)"));
    assert!(out.ends_with("PASS: no MUST rule failed\n"), "{out}");
}

/// `weir check NAME` (`-` or `/dev/stdin`) with `file` on standard input, written through a
/// pipe (`piped`) or redirected from the file: exit code and report.
fn weir_stdin(name: &str, file: &str, piped: bool) -> (i32, String) {
    use std::io::Write;
    use std::process::Stdio;
    let stdin = match piped {
        true => Stdio::piped(),
        false => Stdio::from(std::fs::File::open(file).unwrap()),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["check", name])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .spawn()
        .expect("weir runs");
    if let Some(mut pipe) = child.stdin.take() {
        // Written in pieces smaller than the sniffing head, as tcpdump writes.
        let bytes = std::fs::read(file).unwrap();
        std::thread::spawn(move || {
            for piece in bytes.chunks(1000) {
                if pipe.write_all(piece).is_err() {
                    break;
                }
            }
        });
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn standard_input_reads_as_the_file_does() {
    for file in [
        rtmp("rtmp_sample.cap"),
        corpus_file("mpegts/test-segment.ts"),
    ] {
        let (code, out, _) = weir(&[&file]);
        let body = |report: &str| report.split_once('\n').map(|(_, rest)| rest.to_owned());
        for (name, piped) in [("-", true), ("/dev/stdin", true), ("-", false)] {
            let (c, o) = weir_stdin(name, &file, piped);
            // The report names the input as given; the rest is the file's report.
            assert_eq!(
                (c, body(&o)),
                (code, body(&out)),
                "{file} as {name} (piped: {piped})"
            );
        }
    }
}

#[test]
fn strict_counts_should_rules() {
    let (code, out, _) = weir(&["--strict", &rtmp("rtmp_sample.cap")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL rtmp.user-control.event"));
    let (code, _, _) = weir(&["--strict", "--rules", "amf0.", &rtmp("rtmp_sample.cap")]);
    assert_eq!(code, 0, "only AMF0 rules are judged");
}

#[test]
fn a_must_failure_exits_1_and_every_format_says_so() {
    let (code, json, xml, page) = every_format(
        "pair",
        &[
            "--pair",
            &rtmp("ffmpeg_client_stream"),
            &rtmp("ffmpeg_server_stream"),
        ],
    );
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["counted_failures"], 2);
    let verdicts = json["inputs"][0]["flows"][0]["verdicts"]
        .as_array()
        .unwrap();
    assert_eq!(
        counted_failures(&json["inputs"][0]["flows"][0]),
        ["amf0.string.utf8", "rtmp.command.stream-name"]
    );
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<failure").count(), 2);
    assert_eq!(xml.matches("<testcase").count(), verdicts.len());
    assert!(page.contains("<svg") && page.contains("rtmp.command.stream-name"));
}

#[test]
fn unreadable_inputs_exit_2() {
    let (code, _, err) = weir(&["/nonexistent/x.pcap"]);
    assert_eq!(code, 2);
    assert!(err.contains("x.pcap"), "{err}");
    // A file that is neither a capture nor half of a stream pair.
    let (code, _, err) = weir(&[&corpus().join("MANIFEST.md").display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a pcap or pcapng file"), "{err}");
    let (code, _, err) = weir(&["--decode-as", "x=rtmp", &rtmp("rtmp.pcap")]);
    assert_eq!(code, 2);
    assert!(err.contains("not a port number"), "{err}");
}

#[test]
fn transcript_and_decode_as() {
    let (code, out, _) = weir(&["--transcript", &rtmp("rtmp.pcap")]);
    assert_eq!(code, 0);
    assert!(out.starts_with("input: rtmp.pcap\nentries:\n"), "{out}");
    assert_eq!(out.matches("detected by content: C0 version 3").count(), 3);
    let (_, out, _) = weir(&[
        "--transcript",
        "--decode-as",
        "6002=http",
        &rtmp("rtmp.pcap"),
    ]);
    assert!(
        out.contains("proto: http\n  event: detected by --decode-as 6002"),
        "{out}"
    );
    // The HTTP observer reads what it was told to: RTMP's C0 is no request line.
    assert!(
        out.contains("violation:\n    rule: http.message.start-line\n"),
        "{out}"
    );
}

fn corpus_file(path: &str) -> String {
    corpus().join(path).display().to_string()
}

#[test]
fn transport_streams_and_playlists_exit_as_their_verdicts_say() {
    // A clean file, a TS capture over RTP and a playlist pass.
    for file in [
        "mpegts/test-middle-pat-pmt.ts",
        "mpegts/test-162.pcap",
        "hls/grafov-m3u8/media-playlist-with-byterange.m3u8",
    ] {
        let (code, out, _) = weir(&[&corpus_file(file)]);
        assert_eq!(code, 0, "{file}: {out}");
    }
    let (_, out, _) = weir(&[&corpus_file("mpegts/test-middle-pat-pmt.ts")]);
    assert!(
        out.contains("flow 1 file (the whole file): mpegts (by content: TS sync byte"),
        "{out}"
    );
    // PCRs 200 ms apart break a MUST rule.
    let (code, out, _) = weir(&[&corpus_file("mpegts/test-segment.ts")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL mpegts.pcr.interval (MUST"), "{out}");
    // A playlist without EXTM3U.
    let (code, out, _) = weir(&[&corpus_file(
        "hls/videojs-m3u8-parser/manifestNoExtM3u.m3u8",
    )]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL hls.playlist.extm3u"), "{out}");
    // A Git LFS pointer where a TS file was expected.
    let (code, _, err) = weir(&[&corpus_file("mpegts/testsrc.ts")]);
    assert_eq!(code, 2);
    assert!(err.contains("a Git LFS pointer"), "{err}");
}

#[test]
fn a_ts_file_in_every_report_format() {
    let (code, json, xml, page) = every_format("ts", &[&corpus_file("mpegts/sintel-captions.ts")]);
    assert_eq!(code, 1, "{json}");
    let flow = &json["inputs"][0]["flows"][0];
    assert_eq!(flow["transport"], "file");
    assert_eq!(flow["protocol"], "mpegts");
    assert_eq!(flow["tracks"].as_array().unwrap().len(), 2);
    assert_eq!(counted_failures(flow), ["mpegts.pcr.interval"]);
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(
        xml.contains("flow 1 file (the whole file): mpegts"),
        "{xml}"
    );
    assert!(page.contains("<svg") && page.contains("mpegts.pcr.interval"));
}

/// A capture with flows nothing judged (sip.pcap: SIP, which no observer reads, beside its
/// RTP) is INCONCLUSIVE, never PASS, naming the flows and what was not read;
/// `--require-full-coverage` makes it a failure (exit 1), in every report format.
#[test]
fn flows_not_judged_in_full_are_inconclusive_and_fail_a_full_coverage_gate() {
    let sip = corpus().join("misc/sip.pcap").display().to_string();
    let (code, out, _) = weir(&[&sip]);
    assert_eq!(code, 0, "{out}");
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("INCONCLUSIVE: no MUST rule failed in what was judged, but 2 of 4"),
        "{out}"
    );
    assert!(
        last.contains("flow 1 (not observed: no protocol recognised)"),
        "{out}"
    );
    let (code, out, _) = weir(&["--require-full-coverage", &sip]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("FAIL: 2 of 4 flow(s) not judged in full (--require-full-coverage)"),
        "{out}"
    );
    let (code, json, xml, page) = every_format("coverage", &["--require-full-coverage", &sip]);
    assert_eq!(code, 1);
    // JUnit: a failing `coverage` case for each flow not judged in full; the HTML page
    // concludes as the text does.
    assert_eq!(xml.matches("name=\"coverage\"").count(), 2, "{xml}");
    assert!(
        xml.contains("not observed: no protocol recognised"),
        "{xml}"
    );
    assert!(page.contains("not judged in full"), "{page}");
    assert_eq!(json["exit_code"], 1);
    assert!(
        json["conclusion"]
            .as_str()
            .unwrap()
            .contains("not judged in full"),
        "{json:#}"
    );
    // What was not read is named: RTP of a payload type no SDP describes.
    let rtp = corpus().join("rtp/str0m_h264.pcap").display().to_string();
    let (code, out, _) = weir(&[&rtp]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "observed in part: payloads of a payload type with no known format, not depacketized"
        ),
        "{out}"
    );
    // A capture judged in full still passes the gate.
    let (code, out, _) = weir(&["--require-full-coverage", &rtmp("rtmp_sample.cap")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("PASS: no MUST rule failed\n"), "{out}");
}

/// An MP4 FFmpeg makes (progressive with `-movflags faststart`, and fragmented), then broken
/// on purpose: cut short, a chunk offset past the media data, a table counting more entries
/// than it holds. Each file is judged by the MP4 rules, box by box.
#[test]
fn mp4_files_are_judged_box_by_box() {
    let dir = std::env::temp_dir().join(format!("weir-check-mp4-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let make = |name: &str, flags: &str| {
        let file = dir.join(name);
        let ok = Command::new(weir_testkit::peer::binary("FFMPEG", "ffmpeg"))
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x240:rate=25",
            ])
            .args([
                "-f", "lavfi", "-i", "sine", "-t", "2", "-c:v", "libx264", "-c:a", "aac",
            ])
            .args(["-movflags", flags])
            .arg(&file)
            .status()
            .unwrap()
            .success();
        assert!(ok, "ffmpeg makes {name}");
        file
    };
    let plain = make("plain.mp4", "faststart");
    let fragmented = make("frag.mp4", "frag_keyframe+empty_moov");
    for file in [&plain, &fragmented] {
        let (code, out, _) = weir(&["--transcript", file.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("proto: mp4"), "{out}");
        assert!(out.contains("2 track(s): avc1"), "{out}");
    }
    let (_, out, _) = weir(&["--transcript", plain.to_str().unwrap()]);
    assert!(out.contains("avc1 50 samples"), "{out}");

    let bytes = std::fs::read(&plain).unwrap();
    let at = |name: &[u8]| bytes.windows(4).position(|w| w == name).unwrap();
    let broken =
        |name: &str, edit: &dyn Fn(&mut Vec<u8>)| check_edited(&bytes, &dir.join(name), edit);
    // Cut in the middle of the media data.
    let (code, out) = broken("cut.mp4", &|b| b.truncate(b.len() / 2));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL mp4.box.size"), "{out}");
    // The first chunk offset (after stco's version, flags and count) far past the end.
    let stco = at(b"stco");
    let (code, out) = broken("offset.mp4", &|b| {
        b[stco + 12..stco + 16].copy_from_slice(&0x7fff_0000u32.to_be_bytes())
    });
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL mp4.table.chunk-offset"), "{out}");
    assert!(
        out.contains("chunk offset 2147418112 is in no media data box"),
        "{out}"
    );
    // stts counting a million entries.
    let stts = at(b"stts");
    let (code, out) = broken("stts.mp4", &|b| {
        b[stts + 8..stts + 12].copy_from_slice(&1_000_000u32.to_be_bytes())
    });
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL mp4.table.entry-count"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `weir check` of a copy of `bytes` edited by `edit`, written to `file`: (exit code, report).
fn check_edited(bytes: &[u8], file: &Path, edit: &dyn Fn(&mut Vec<u8>)) -> (i32, String) {
    let mut copy = bytes.to_vec();
    edit(&mut copy);
    std::fs::write(file, copy).unwrap();
    let (code, out, _) = weir(&[file.to_str().unwrap()]);
    (code, out)
}

/// A bare `.flv` file is recognised by its signature, not its name, and judged tag by tag with
/// the rules an HTTP-FLV body is judged by (one reader serves both).
#[test]
fn flv_files_are_judged_tag_by_tag() {
    let source = weir_testkit::corpus::path("flv/avc_aac.flv");
    let (code, out, _) = weir(&["--transcript", source.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("proto: flv"), "{out}");
    assert!(out.contains("FLV file: 110 tags"), "{out}");
    assert!(out.contains("codec: h264"), "{out}");

    let dir = weir_testkit::TempPath::dir("check-flv");
    let bytes = std::fs::read(&source).unwrap();
    let broken =
        |name: &str, edit: &dyn Fn(&mut Vec<u8>)| check_edited(&bytes, &dir.join(name), edit);
    // No extension to go by: content decides.
    let (code, out) = broken("recording.bin", &|_| {});
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("flv (by content: the FLV signature)"), "{out}");
    // Cut inside a tag, as a capture of a live HTTP-FLV body is: the tags before are read,
    // the end is a violation, and the flow is not called judged in full.
    let (code, out) = broken("cut.flv", &|b| b.truncate(b.len() / 2));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL flv.tag.truncated"), "{out}");
    assert!(out.contains("observed in part"), "{out}");
    // The first tag's PreviousTagSize (after the 9-byte header, PreviousTagSize0 and the
    // tag) made wrong.
    let (code, out) = broken("size.flv", &|b| {
        let first = 9 + 4;
        let data_size = u32::from_be_bytes([0, b[first + 1], b[first + 2], b[first + 3]]);
        let at = first + 11 + data_size as usize;
        b[at..at + 4].copy_from_slice(&7u32.to_be_bytes());
    });
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL flv.tag.previous-tag-size"), "{out}");
    // The first tag, onMetaData, named by a number instead of a string (its marker 0x02
    // made 0x00): script data is judged too.
    let (code, out) = broken("name.flv", &|b| {
        let first = 9 + 4;
        assert_eq!((b[first], b[first + 11]), (18, 0x02), "a script tag first");
        b[first + 11] = 0x00;
    });
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL flv.script.name"), "{out}");
}
