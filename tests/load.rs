//! `weir load` against a live `weir serve`: it publishes a corpus file, plays it with many
//! players, and reports what they received; failures exit 1 with the first error's text.

mod support;

use std::process::Command;
use std::time::Duration;
use support::{Weir, free_port, run};
use weir_testkit::corpus;

fn weir_load(args: &[&str]) -> (bool, serde_json::Value, String) {
    let (ok, stdout, stderr) = run(
        Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("load")
            .args(args),
        Duration::from_secs(60),
    );
    let summary = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (ok, summary, stderr)
}

#[test]
fn twenty_players_of_a_published_file_all_connect_and_receive() {
    let weir = Weir::start(&[]);
    let file = corpus::path("flv/avatar.flv");
    let url = weir.rtmp_url("load");
    let (ok, summary, stderr) = weir_load(&[
        &url,
        "--players",
        "20",
        "--publish",
        file.to_str().unwrap(),
        "--duration",
        "3",
        "--ramp",
        "0",
        "--json",
    ]);
    assert!(ok, "{summary:#}\n{stderr}\n{}", weir.log());
    assert_eq!(summary["connected"], 20, "{summary:#}");
    assert_eq!(summary["stalled"], 0);
    assert_eq!(summary["errors"], 0, "{summary:#}");
    assert_eq!(summary["violations"], 0, "{summary:#}");
    // avatar.flv averages 237 kbit/s: 20 players of it, plus each one's GOP burst, are several
    // Mbit/s; a player that received only the handshake and commands would be a few kbit/s.
    let mbps = summary["mbps"].as_f64().unwrap();
    assert!(mbps > 3.0 && mbps < 100.0, "{mbps} Mbit/s");
    // Every player got at least the sequence headers and a second of frames (~ 68 packets/s).
    assert!(
        summary["media_packets"].as_u64().unwrap() > 20 * 60,
        "{summary:#}"
    );
    let published = &summary["published"];
    assert!(published["tags"].as_u64().unwrap() > 150, "{published}");
    // The per-second lines went to stderr, the last one with every player connected.
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("players")).collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[2].contains("players 20/20"), "{stderr}");
    assert!(lines[2].contains("stalled 0  errors 0"), "{stderr}");
}

#[test]
fn five_whep_players_of_an_rtmp_publisher_all_receive_video() {
    let weir = Weir::start(&[]);
    let file = corpus::path("flv/avatar.flv");
    let whep = weir.api_url("/rtc/v1/whep/?app=live&stream=whepload");
    // Published over RTMP by the same `weir load`, played by WHEP.
    let publish = format!("--publish={}", file.display());
    let publish_to = format!("--publish-to={}", weir.rtmp_url("whepload"));
    let options = ["--players=5", "--duration=6", "--warmup=2", "--json"];
    let (ok, summary, stderr) =
        weir_load(&[&[&*whep, &publish, &publish_to], &options[..]].concat());
    assert!(ok, "{summary:#}\n{stderr}\n{}", weir.log());
    assert_eq!(
        (
            &summary["connected"],
            &summary["stalled"],
            &summary["errors"]
        ),
        (&5.into(), &0.into(), &0.into()),
        "{summary:#}\n{stderr}\n{}",
        weir.log()
    );
    // Every player got frames: more than a second's worth each (avatar.flv has ~ 24 video
    // frames and ~ 43 AAC frames a second; the players hear it as 50 Opus packets a second).
    let media = summary["media_packets"].as_u64().unwrap();
    assert!(media > 5 * 60, "{summary:#}");
    assert!(
        summary["bytes"].as_u64().unwrap() > 5 * 20_000,
        "{summary:#}"
    );
    // The first players read the publisher's stamps in the H.264 frames they received.
    let frames = summary["delay_ms"]["frames"].as_u64().unwrap_or(0);
    assert!(frames > 0, "no stamped video frame arrived: {summary:#}");
    // Every session was deleted at the end (draft-ietf-wish-whep §3); the server may log the
    // last one just after answering it.
    let deleted = || weir.log().matches(r#"reason="deleted""#).count();
    for _ in 0..100 {
        if deleted() == 5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(deleted(), 5, "{}", weir.log());
}

#[test]
fn whep_players_whose_ice_never_completes_are_counted_errors_after_ten_seconds() {
    // The server offers a candidate nobody can reach (TEST-NET-1, RFC 5737 §3).
    let weir = Weir::start(&["rtc.candidate=192.0.2.1"]);
    let whep = weir.api_url("/rtc/v1/whep/?app=live&stream=unreachable");
    every_player_fails(&whep, 2, "12", "ICE");
}

#[test]
fn a_201_whose_body_is_no_answer_is_a_counted_error() {
    // A hostile endpoint: 201 Created, and garbage for an answer.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(3) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0; 8192];
            let _ = std::io::Read::read(&mut stream, &mut request);
            let reply = "HTTP/1.1 201 Created\r\nLocation: /r/1\r\nContent-Length: 7\r\n\
                         Connection: close\r\n\r\ngarbage";
            let _ = std::io::Write::write_all(&mut stream, reply.as_bytes());
        }
    });
    let whep = format!("http://127.0.0.1:{port}/rtc/v1/whep/?app=live&stream=s");
    every_player_fails(&whep, 3, "1", "an answer str0m cannot read");
}

#[test]
fn whep_players_whose_offer_is_refused_are_counted_errors() {
    let weir = Weir::start(&["rtc.enabled=false"]);
    let whep = weir.api_url("/rtc/v1/whep/?app=live&stream=none");
    every_player_fails(&whep, 3, "2", "the offer was refused: 503");
}

/// Runs `players` WHEP players for `seconds`: the run fails, every player is a counted error,
/// the first one's text holds `expected` and the per-second lines showed it.
fn every_player_fails(whep: &str, players: u32, seconds: &str, expected: &str) {
    let n = players.to_string();
    let (ok, summary, stderr) =
        weir_load(&[whep, "--players", &n, "--duration", seconds, "--json"]);
    assert!(!ok, "{summary:#}");
    assert_eq!(summary["connected"], 0, "{summary:#}");
    assert_eq!(summary["errors"], players, "{summary:#}");
    let first = summary["first_error"].as_str().unwrap();
    assert!(first.contains(expected), "{first}");
    assert!(stderr.contains("first error: player "), "{stderr}");
}

#[test]
fn nginx_rtmp_serves_weir_load_too() {
    let nginx = support::Nginx::start();
    let file = corpus::path("flv/avatar.flv");
    let (ok, summary, stderr) = weir_load(&[
        &nginx.url("load"),
        "--players",
        "10",
        "--publish",
        file.to_str().unwrap(),
        "--duration",
        "3",
        "--json",
    ]);
    assert!(
        ok,
        "{summary:#}\n{stderr}\n{}",
        support::Nginx::log_of(&nginx.dir)
    );
    assert_eq!(
        (
            &summary["connected"],
            &summary["stalled"],
            &summary["errors"]
        ),
        (&10.into(), &0.into(), &0.into()),
        "{summary:#}"
    );
    assert_eq!(summary["violations"], 0, "{summary:#}");
    // nginx-rtmp keeps no GOP: players get the stream from the moment they join.
    let mbps = summary["mbps"].as_f64().unwrap();
    assert!(mbps > 0.5 && mbps < 50.0, "{mbps} Mbit/s");
}

#[test]
fn players_that_cannot_connect_fail_the_run_with_the_first_error() {
    let url = format!("rtmp://127.0.0.1:{}/live/none", free_port());
    let (ok, summary, stderr) = weir_load(&[&url, "--players", "3", "--duration", "1", "--json"]);
    assert!(!ok);
    assert_eq!(summary["connected"], 0);
    assert_eq!(summary["errors"], 3);
    let first = summary["first_error"].as_str().unwrap();
    assert!(
        first.contains("connect to 127.0.0.1:") && first.contains("refused"),
        "{first}"
    );
    assert!(stderr.contains("first error: player "), "{stderr}");
}

/// Players that connect and play but receive no audio or video (nobody publishes) have not
/// been served a stream: the run fails and says so.
#[test]
fn players_that_receive_no_media_fail_the_run() {
    let weir = Weir::start(&[]);
    let url = weir.rtmp_url("nobody");
    let (ok, summary, _) = weir_load(&[&url, "--players", "3", "--duration", "2", "--json"]);
    assert!(!ok, "{summary:#}");
    assert_eq!(summary["connected"], 3, "{summary:#}");
    assert_eq!(summary["silent"], 3, "{summary:#}");
    assert_eq!(summary["passed"], false, "{summary:#}");
}

#[test]
fn a_bad_url_or_file_stops_before_any_player_starts() {
    let (code, err) = status(&["load", "http://h/a/b"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an rtmp:// URL"), "{err}");
    let (code, err) = status(&["load", "rtmp://h/a/b", "--publish", "/nonexistent.flv"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent.flv"), "{err}");
}

fn status(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
