//! `weir probe http://…/x.m3u8` against real HLS: FFmpeg's own live output (libx264 + AAC,
//! one-second segments, a window of five, old segments deleted) served by a static file
//! server in the test passes every counted case, and `weir check` passes one of its segments;
//! servers that break a rule (a media sequence going back, a segment that answers 404) fail
//! the case bound to it, and a careless one fails every `hls.server.*` rule ([`LIVE_RULES`]);
//! an unreachable server exits 2; `--list` shows both catalogs.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::{StatusCode, Uri};
use support::{free_port, outcomes, weir_json};
use weir_testkit::TempPath;
use weir_testkit::corpus;
use weir_testkit::peer;

/// An HTTP server on a free port, on its own runtime, stopped on drop.
struct HttpServer {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

impl HttpServer {
    fn start(app: axum::Router) -> HttpServer {
        let (runtime, listener, port) = support::background_listener();
        runtime.spawn(async move { axum::serve(listener, app).await });
        HttpServer {
            port,
            _runtime: runtime,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

/// Serves the files of `dir` (one level, no `..`).
fn static_files(dir: PathBuf) -> axum::Router {
    axum::Router::new().fallback(move |uri: Uri| {
        let dir = dir.clone();
        async move {
            let name = uri.path().trim_start_matches('/');
            if name.is_empty() || name.contains('/') || name.contains("..") {
                return (StatusCode::NOT_FOUND, Vec::new());
            }
            match std::fs::read(dir.join(name)) {
                Ok(body) => (StatusCode::OK, body),
                Err(_) => (StatusCode::NOT_FOUND, Vec::new()),
            }
        }
    })
}

/// FFmpeg writing live HLS into `dir`, killed on drop.
struct FfmpegHls(Child);

impl FfmpegHls {
    fn start(dir: &Path) -> FfmpegHls {
        let child = Command::new(peer::binary("FFMPEG", "ffmpeg"))
            .args(["-v", "error", "-re"])
            .args(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"])
            .args(["-f", "lavfi", "-i", "sine"])
            .args(["-c:v", "libx264", "-g", "25", "-c:a", "aac"])
            .args(["-f", "hls", "-hls_time", "1", "-hls_list_size", "5"])
            .args(["-hls_flags", "delete_segments"])
            .arg(dir.join("x.m3u8"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ffmpeg starts");
        FfmpegHls(child)
    }
}

impl Drop for FfmpegHls {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn probe(url: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    weir_json(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .args(["probe", url, "--format", "json"])
            .args(extra),
    )
}

fn status<'a>(outcomes: &'a [(String, String, String)], id: &str) -> (&'a str, &'a str) {
    outcomes
        .iter()
        .find(|(case, _, _)| case == id)
        .map(|(_, s, said)| (s.as_str(), said.as_str()))
        .unwrap_or_else(|| panic!("no case {id}"))
}

#[test]
fn ffmpeg_live_hls_passes_and_one_of_its_segments_checks() {
    let dir = TempPath::dir("probe-hls-ffmpeg");
    let _ffmpeg = FfmpegHls::start(&dir);
    let playlist = dir.join("x.m3u8");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&playlist)
        .map_or(true, |text| text.matches("#EXTINF").count() < 2)
    {
        assert!(Instant::now() < deadline, "FFmpeg wrote no playlist");
        std::thread::sleep(Duration::from_millis(100));
    }
    let server = HttpServer::start(static_files(dir.to_path_buf()));
    let junit = dir.join("junit.xml");
    let (code, report) = probe(
        &server.url("x.m3u8"),
        &["--duration", "8", "--junit", junit.to_str().unwrap()],
    );
    let got = outcomes(&report);
    eprintln!("{report:#}");
    // FFmpeg's TS muxer writes its SDT before the PAT: the first two packets are not PAT
    // and PMT, which RFC 8216 §3.2 asks with a SHOULD.
    assert_eq!(status(&got, "segment.starts-with-pat-pmt").0, "fail");
    for (id, status, said) in &got {
        match id.as_str() {
            "segment.starts-with-pat-pmt" => {}
            // A SHOULD case that depends on FFmpeg keeping up with real time on a busy
            // machine.
            "playlist.advances" => assert_ne!(status, "error", "{id}: {said}"),
            _ => assert_eq!(status, "pass", "{id}: {said}\n{report:#}"),
        }
    }
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(got.len(), 15);
    let notes = report["notes"].to_string();
    assert!(notes.contains("polled"), "{notes}");
    // At least a segment a second, each fetched and read.
    let fetched = status(&got, "segment.available").1;
    let segments: usize = fetched.split(' ').next().unwrap().parse().unwrap();
    assert!(segments >= 7, "{fetched}");
    assert!(
        status(&got, "segment.continuity-counters")
            .1
            .contains("boundaries checked")
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 15, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");

    // The newest segment the playlist lists, copied before FFmpeg deletes it.
    let text = std::fs::read_to_string(&playlist).unwrap();
    let newest = text.lines().rfind(|l| l.ends_with(".ts")).unwrap();
    let copy = dir.join("checked.ts");
    std::fs::copy(dir.join(newest), &copy).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("check")
        .arg(&copy)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("file (the whole file): mpegts"), "{text}");
    drop(_ffmpeg);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A live playlist of three one-second segments from `sequence` on.
fn playlist(sequence: u64, uris: &[String]) -> String {
    let mut text = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:{sequence}\n"
    );
    for uri in uris {
        text.push_str(&format!("#EXTINF:1.000,\n{uri}\n"));
    }
    text
}

/// Broken servers: `/backwards.m3u8` lowers its media sequence at each load, `/missing.m3u8`
/// lists a segment that answers 404; every other `.ts` is a corpus segment.
fn broken_server() -> HttpServer {
    let segment = std::fs::read(corpus::path("mpegts/test-middle-pat-pmt.ts")).unwrap();
    let loads = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new()
        .route(
            "/backwards.m3u8",
            axum::routing::get(move || {
                let n = loads.fetch_add(1, Ordering::Relaxed);
                let sequence = 100 - n.min(100);
                let uris: Vec<String> = (0..3).map(|i| format!("s{}.ts", sequence + i)).collect();
                async move { playlist(sequence, &uris) }
            }),
        )
        .route(
            "/missing.m3u8",
            axum::routing::get(|| async {
                playlist(0, &["a.ts".to_owned(), "gone.ts".to_owned()])
            }),
        )
        .route(
            "/gone.ts",
            axum::routing::get(|| async { StatusCode::NOT_FOUND }),
        )
        .fallback(move || {
            let segment = segment.clone();
            async move { segment }
        });
    HttpServer::start(app)
}

#[test]
fn a_media_sequence_going_back_fails_reload_segments() {
    let server = broken_server();
    let (code, report) = probe(
        &server.url("backwards.m3u8"),
        &["--duration", "3", "--case", "reload."],
    );
    let got = outcomes(&report);
    assert_eq!(got.len(), 4, "{report:#}");
    let (status, said) = status(&got, "reload.segments");
    assert_eq!(status, "fail", "{report:#}");
    assert!(
        said.contains("EXT-X-MEDIA-SEQUENCE went back from 100 to 99"),
        "{said}"
    );
    assert_eq!(self::status(&got, "reload.target-duration").0, "pass");
    assert_eq!(code, 1);
    // One second is under two target durations of 1 s: the poll is lengthened, and says so.
    let (_, report) = probe(
        &server.url("backwards.m3u8"),
        &["--duration", "1", "--case", "reload."],
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("polling 2 s, two target durations of 1 s, not the 1 s asked"),
        "{notes}"
    );
}

/// A URL no prober takes (an MP4 file over HTTP): the probe names the URLs it takes and exits
/// 2 at once instead of reading forever.
#[test]
fn a_url_no_prober_takes_exits_2_at_once_naming_those_it_takes() {
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["probe", "http://127.0.0.1:1/live/livestream.mp4"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("weir probe takes") && stderr.contains(".m3u8"),
        "{stderr}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_segment_answering_404_fails_segment_available() {
    let server = broken_server();
    let (code, report) = probe(&server.url("missing.m3u8"), &["--duration", "3"]);
    let got = outcomes(&report);
    let (status, said) = status(&got, "segment.available");
    assert_eq!(status, "fail", "{report:#}");
    assert!(said.contains("segment 1 (gone.ts): HTTP 404"), "{said}");
    // The playlist never grows: a SHOULD case, not counted.
    assert_eq!(self::status(&got, "playlist.advances").0, "skipped");
    assert_eq!(self::status(&got, "playlist.available").0, "pass");
    assert_eq!(code, 1);
}

#[test]
fn an_unreachable_playlist_exits_2_and_list_shows_both_catalogs() {
    let port = free_port();
    let (code, report) = probe(&format!("http://127.0.0.1:{port}/x.m3u8"), &[]);
    assert_eq!(code, 2, "{report:#}");
    assert!(
        report["unreachable"]
            .as_str()
            .unwrap()
            .contains("GET http://127.0.0.1"),
        "{report:#}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["probe", "--list"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("# rtmp://") && text.contains("# http://"),
        "{text}"
    );
    assert!(text.contains("chunk.size-128") && text.contains("segment.continuity-counters"));
    assert!(text.contains("rules: hls.server.continuity, mpegts.packet.continuity"));
}

/// Each `hls.server.*` rule and the fake whose probe run fails it (issue 15: every rule has an
/// input that makes it fail); `weir serve` passes them all (`tests/serve_hls.rs`,
/// `weir_probe_and_weir_check_pass_weir_serves_hls`), and so does FFmpeg's live HLS above but
/// for the SDT it writes before the PAT.
const LIVE_RULES: &[(&str, &str)] = &[
    ("hls.server.playlist-available", "careless"),
    ("hls.server.live-updates", "careless"),
    ("hls.server.segment-available", "careless"),
    ("hls.server.segment-pat-pmt", "careless"),
    ("hls.server.segment-starts-with-pat-pmt", "careless"),
    ("hls.server.segment-keyframe", "careless"),
    ("hls.server.continuity", "careless"),
    ("hls.server.segment-duration", "careless"),
];

/// Four one-second segments FFmpeg cuts by time from a video with a keyframe every two seconds
/// (so the second and fourth start on an inter frame): `c0.ts` to `c3.ts` in `dir`.
fn segments_cut_by_time(dir: &Path) {
    let (ok, _, stderr) = support::run(
        Command::new(peer::binary("FFMPEG", "ffmpeg"))
            .args(["-v", "error", "-y"])
            .args([
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x180:rate=25:duration=4",
            ])
            .args([
                "-c:v",
                "libx264",
                "-bf",
                "0",
                "-g",
                "50",
                "-keyint_min",
                "50",
            ])
            .args(["-sc_threshold", "0", "-f", "hls", "-hls_time", "1"])
            .args(["-hls_list_size", "0", "-hls_flags", "split_by_time"])
            .arg(dir.join("c.m3u8")),
        Duration::from_secs(60),
    );
    assert!(ok, "ffmpeg: {stderr}");
}

/// `segment` without its PAT (PID 0) and PMT (PID 0x1000, FFmpeg's) packets.
fn without_psi(segment: &[u8]) -> Vec<u8> {
    segment
        .chunks(188)
        .filter(|p| {
            let pid = u16::from_be_bytes([p[1], p[2]]) & 0x1fff;
            pid != 0 && pid != 0x1000
        })
        .flatten()
        .copied()
        .collect()
}

/// A careless HLS server: every other load of `/careless.m3u8` answers 500, and the playlist
/// never grows. It lists `c0.ts` (one second) with an EXTINF of half a second, `c1.ts` (which
/// starts on an inter frame), then `c3.ts` as if it followed `c1.ts`, `c2.ts` without its PAT
/// and PMT, and a segment that answers 404. Its segments are FFmpeg's, which start with an SDT.
fn careless_hls_server(dir: &Path) -> HttpServer {
    segments_cut_by_time(dir);
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let segments = Arc::new([
        ("c0.ts", read("c0.ts")),
        ("c1.ts", read("c1.ts")),
        ("c3.ts", read("c3.ts")),
        ("bare.ts", without_psi(&read("c2.ts"))),
    ]);
    let loads = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new()
        .route(
            "/careless.m3u8",
            axum::routing::get(move || {
                let n = loads.fetch_add(1, Ordering::Relaxed);
                let mut text = playlist(0, &[]);
                for (extinf, uri) in [
                    ("0.500", "c0.ts"),
                    ("1.000", "c1.ts"),
                    ("1.000", "c3.ts"),
                    ("1.000", "bare.ts"),
                    ("1.000", "gone.ts"),
                ] {
                    text.push_str(&format!("#EXTINF:{extinf},\n{uri}\n"));
                }
                async move {
                    match n % 2 {
                        0 => (StatusCode::OK, text),
                        _ => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
                    }
                }
            }),
        )
        .fallback(move |uri: Uri| {
            let segments = segments.clone();
            async move {
                let name = uri.path().trim_start_matches('/');
                match segments.iter().find(|(n, _)| *n == name) {
                    Some((_, body)) => (StatusCode::OK, body.clone()),
                    None => (StatusCode::NOT_FOUND, Vec::new()),
                }
            }
        });
    HttpServer::start(app)
}

#[test]
fn a_careless_server_fails_every_live_rule() {
    let dir = TempPath::dir("probe-hls-careless");
    let server = careless_hls_server(&dir);
    let (code, report) = probe(
        &server.url("careless.m3u8"),
        &["--duration", "5", "--strict"],
    );
    let got = outcomes(&report);
    for (id, words) in [
        ("playlist.available", "HTTP 500"),
        ("playlist.advances", "0 new segment(s)"),
        ("segment.available", "segment 4 (gone.ts): HTTP 404"),
        ("segment.pat-pmt", "segment 3 (bare.ts): no PAT"),
        (
            "segment.starts-with-pat-pmt",
            "segment 0 (c0.ts): first packets on PIDs 0x0011",
        ),
        ("segment.keyframe", "segment 1 (c1.ts): the first"),
        ("segment.timestamps", "segment 1 -> 2"),
        ("segment.duration", "segment 0 (c0.ts): EXTINF 0.500 s"),
    ] {
        let (status, said) = status(&got, id);
        assert_eq!(status, "fail", "{id}: {said}\n{report:#}");
        assert!(said.contains(words), "{id}: {said:?} lacks {words:?}");
    }
    assert_eq!(code, 1);
    support::check_live_rules(
        weir_conformance::probe::hls::rules::CATALOG,
        LIVE_RULES,
        &[("careless", support::failed_rules(&report))],
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
