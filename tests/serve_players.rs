//! The browser pages `weir serve` serves (`server/players/`), in headless Chromium: the streams
//! page lists a stream FFmpeg publishes and plays it with moving video by HLS (hls.js),
//! HTTP-FLV and WebSocket-FLV (mpegts.js) and WebRTC (WHEP); the WHIP page publishes the
//! camera. SRS's player URLs land on these pages, and the vendored libraries are served.

mod support;

use serde_json::json;
use std::time::Duration;
use support::{Weir, ffmpeg_publish};

#[test]
fn the_streams_page_lists_a_stream_and_every_player_shows_moving_video() {
    // One-second segments: hls.js starts within seconds.
    let weir = Weir::start(&["hls.fragment=1", "hls.window=6"]);
    let mut publisher = ffmpeg_publish(&weir.rtmp_url("page"), 90);
    weir.wait_for_stream("page", Duration::from_secs(10));
    let base = format!("http://127.0.0.1:{}", weir.http);
    let techs = ["flv", "ws", "hls", "whep"];
    let out = support::browser(
        "players.mjs",
        json!({"base": base, "stream": "live/page", "techs": techs}),
        Duration::from_secs(150),
    );
    let _ = publisher.kill();
    let _ = publisher.wait();
    assert_eq!(
        out["listed"], true,
        "the page did not list the stream: {out:#}"
    );
    for tech in techs {
        let played = &out["played"][tech];
        let (first, later) = (played["first"].as_u64(), played["later"].as_u64());
        assert!(
            first > Some(0) && later > first,
            "{tech}: no moving video (decoded frames {first:?} then {later:?}): {out:#}\n{}",
            weir.log()
        );
    }
}

/// With the API's basic authentication on, the page says why it lists nothing.
#[test]
fn the_streams_page_says_when_the_api_wants_credentials() {
    let weir = Weir::start(&["api.username=admin", "api.password=s3cret"]);
    let base = format!("http://127.0.0.1:{}", weir.http);
    let out = support::browser(
        "players.mjs",
        json!({"base": base, "stream": "live/none"}),
        Duration::from_secs(60),
    );
    assert_eq!(out["listed"], false, "{out:#}");
    let status = out["status"].as_str().unwrap_or_default();
    assert!(status.contains("requires credentials"), "{out:#}");
}

#[test]
fn the_whip_page_publishes_the_camera() {
    let weir = Weir::start(&[]);
    let base = format!("http://127.0.0.1:{}", weir.http);
    let browser = std::thread::spawn(move || {
        support::browser(
            "players.mjs",
            json!({"base": base, "whip": "live/cam", "seconds": 8}),
            Duration::from_secs(60),
        )
    });
    let stream = weir.wait_for_stream("cam", Duration::from_secs(20));
    assert_eq!(stream["video"]["codec"], "H264", "{stream:#}");
    let out = browser.join().unwrap();
    assert!(
        out["whip"]
            .as_str()
            .unwrap_or("")
            .contains("publishing live/cam"),
        "{out:#}"
    );
}

#[test]
fn srs_player_urls_and_the_vendored_libraries_are_served() {
    let weir = Weir::start(&[]);
    let get = |path: &str| {
        let response =
            reqwest::blocking::get(format!("http://127.0.0.1:{}{path}", weir.http)).unwrap();
        let kind = response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        (response.status().as_u16(), kind, response.text().unwrap())
    };
    for path in [
        "/",
        "/players/",
        "/players/srs_player.html",
        "/players/whep.html",
    ] {
        let (status, kind, page) = get(path);
        assert_eq!(status, 200, "{path}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(page.contains("Weir: live streams"), "{path}");
    }
    // The API port this server bound is written into the pages' script.
    let (status, kind, script) = get("/players/weir.js");
    assert_eq!((status, kind.as_str()), (200, "text/javascript"));
    assert!(script.contains(&format!("const WEIR_API_PORT = '{}'", weir.api)));
    let (status, _, page) = get("/players/whip.html");
    assert_eq!(status, 200);
    assert!(page.contains("publish your camera by WHIP"));
    for (path, within) in [
        ("/players/vendor/hls.light.min.js", "Hls"),
        ("/players/vendor/mpegts.js", "mpegts"),
        ("/players/vendor/hls.js.LICENSE", "Apache License"),
        ("/players/vendor/mpegts.js.LICENSE", "Apache License"),
    ] {
        let (status, _, text) = get(path);
        assert_eq!(status, 200, "{path}");
        assert!(text.contains(within), "{path}");
    }
    assert_eq!(get("/players/nothing.html").0, 404);
    // Nothing on the pages leaves the server: no absolute http(s) URL in a src or href.
    for path in ["/", "/players/whip.html"] {
        let page = get(path).2;
        for attribute in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(
                !page.contains(attribute),
                "{path} loads from elsewhere: {attribute}"
            );
        }
    }
}
