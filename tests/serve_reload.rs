//! Reloading the configuration of a running `weir serve` (SIGHUP, SRS's
//! `GET /api/v1/raw?rpc=reload`) and checking one without running it (`--test-config`, SRS's
//! `-t`): new sessions see the new rules; running ones do not lose a frame.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Weir, run};
use weir_testkit::{TempPath, corpus};

/// `weir serve --test-config FILE`: (exit code, stdout, stderr).
fn test_config(text: &str) -> (i32, String, String) {
    let file = TempPath::new("test-config.toml");
    std::fs::write(&file, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["serve", "--test-config"])
        .arg(file.path())
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        output.status.code().unwrap_or(-1),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn test_config_checks_a_file_and_exits() {
    let (code, stdout, _) = test_config("[rtmp]\nchunk_size = 60000\n[log]\nlevel = \"debug\"\n");
    assert_eq!(code, 0);
    assert!(stdout.contains("is good"), "{stdout}");
    let (code, _, stderr) = test_config("[log]\nlevel = \"infos\"\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("line 2") && stderr.contains("log.level"),
        "{stderr}"
    );
    // The origin cluster's registry: a Redis URL and an expiry a heartbeat can keep alive.
    let (code, _, stderr) =
        test_config("[cluster]\nredis = \"redis://127.0.0.1:1/\"\nheartbeat = 5\nexpiry = 5\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cluster.expiry"), "{stderr}");
    let (code, _, stderr) = test_config("[cluster]\nredis = \"redis://127.0.0.1:1/\"\n");
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = test_config("listen 1935;\nvhost __defaultVhost__ {\n}\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("Weir reads TOML"), "{stderr}");
}

/// The HTTP status a new HTTP-FLV player of `url` gets.
fn play_status(url: &str) -> String {
    let (_, status, _) = run(
        Command::new("curl").args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "2",
            url,
        ]),
        Duration::from_secs(10),
    );
    status
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// Sends SIGHUP and waits until the server says it reloaded: a status checked before that
/// could still be the last configuration's (two steps can both answer 403).
fn sighup(weir: &Weir) {
    let reloads = || weir.log().matches("configuration reloaded").count();
    let before = reloads();
    // SAFETY: kill(2) takes integers and touches no memory of this process.
    unsafe { libc::kill(weir.pid() as i32, libc::SIGHUP) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while reloads() == before {
        assert!(
            Instant::now() < deadline,
            "no reload after SIGHUP\n{}",
            weir.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until a new HTTP-FLV player of `url` gets `status`.
fn wait_for_status(url: &str, status: &str, weir: &Weir) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = play_status(url);
        if got == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "a new player still gets {got}, not {status}\n{}",
            weir.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// 200 RTMP players of a live stream while SIGHUP changes the security rules and the
/// callbacks three times: every new player meets the rules of the moment, and not one of the
/// 200 is dropped, stalls or loses an item.
#[test]
fn sighup_changes_rules_for_new_sessions_while_two_hundred_players_lose_nothing() {
    let config = TempPath::new("reload.toml");
    write(&config, "[log]\nlevel = \"info\"\n");
    let weir = Weir::start_with_config(config.path(), &[]);
    let file = corpus::path("flv/avatar.flv");
    let load = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("load")
        .arg(weir.rtmp_url("reload"))
        .args([
            "--players",
            "200",
            "--ramp",
            "0",
            "--duration",
            "14",
            "--json",
        ])
        .arg("--publish")
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    weir.wait_for_stream("reload", Duration::from_secs(10));
    let flv = weir.flv_url("reload");
    wait_for_status(&flv, "200", &weir);
    // 1: players from here are refused by a security rule.
    write(
        &config,
        "[security]\nenabled = true\nrules = [\"deny play 127.0.0.1\"]\n",
    );
    sighup(&weir);
    wait_for_status(&flv, "403", &weir);
    // 2: no rule, but an on_play callback nobody answers: refused by the callback.
    write(
        &config,
        "[hooks]\nenabled = true\non_play = [\"http://127.0.0.1:9/nobody\"]\ntimeout = 1\n",
    );
    sighup(&weir);
    wait_for_status(&flv, "403", &weir);
    assert!(
        weir.log().contains("on_play"),
        "the refusal came from the callback:\n{}",
        weir.log()
    );
    // 3: back to none: players are welcome again.
    write(&config, "[log]\nlevel = \"info\"\n");
    sighup(&weir);
    wait_for_status(&flv, "200", &weir);
    let (ok, stdout, stderr) = support::finish(load, Duration::from_secs(60));
    let summary: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    assert!(ok, "{summary:#}\n{stderr}");
    assert_eq!(summary["connected"], 200, "{summary:#}");
    assert_eq!(summary["stalled"], 0, "{summary:#}");
    assert_eq!(summary["silent"], 0, "{summary:#}");
    assert_eq!(summary["errors"], 0, "{summary:#}");
    assert_eq!(
        weir.metric("weir_player_skipped_items_total"),
        0,
        "a player fell a ring behind"
    );
    assert_eq!(weir.metric("weir_stalled_players_total"), 0);
    assert_eq!(
        weir.log().matches("configuration reloaded").count(),
        3,
        "{}",
        weir.log()
    );
}

#[test]
fn the_raw_api_reloads_only_when_allowed_and_says_what_needs_a_restart() {
    let config = TempPath::new("raw.toml");
    write(&config, "[api]\nraw_api = true\nallow_reload = true\n");
    let weir = Weir::start_with_config(config.path(), &[]);
    let reload = || weir.api("/api/v1/raw?rpc=reload");
    let reply = reload();
    assert_eq!(reply["code"], 0, "{reply:#}");
    assert_eq!(reply["data"]["applied"], serde_json::json!([]), "{reply:#}");
    // A security rule applies; the hub's bounds take a restart.
    write(
        &config,
        "[api]\nraw_api = true\nallow_reload = true\n[hub]\ngop_cache = false\n[security]\nenabled = true\nrules = [\"deny play all\"]\n",
    );
    let reply = reload();
    assert_eq!(reply["code"], 0, "{reply:#}");
    assert_eq!(
        reply["data"]["applied"],
        serde_json::json!(["security"]),
        "{reply:#}"
    );
    assert_eq!(
        reply["data"]["restart_needed"],
        serde_json::json!(["hub"]),
        "{reply:#}"
    );
    assert_eq!(play_status(&weir.flv_url("any")), "403");
    // A file that does not load changes nothing and says why.
    write(&config, "[log]\nlevel = \"loud\"\n");
    let reply = reload();
    assert_eq!(reply["code"], 1063, "{reply:#}");
    assert!(
        reply["error"].as_str().unwrap().contains("log.level"),
        "{reply:#}"
    );
    assert_eq!(play_status(&weir.flv_url("any")), "403");
    // Unknown rpc; then SRS's codes when the raw API is off or reloading is not allowed.
    assert_eq!(weir.api("/api/v1/raw?rpc=persist")["code"], 1063);
    for (text, code) in [
        ("[api]\nraw_api = false\n", 1061),
        ("[api]\nraw_api = true\n", 1062),
    ] {
        let file = TempPath::new("raw-off.toml");
        write(&file, text);
        let weir = Weir::start_with_config(file.path(), &[]);
        assert_eq!(weir.api("/api/v1/raw?rpc=reload")["code"], code, "{text}");
    }
}
