//! `weir serve` with WebRTC peers: headless Chromium publishes by WHIP and plays by WHEP
//! (H.264 and VP8, with Opus), FFmpeg's RTMP stream plays in Chromium by WHEP, Chromium's WHIP
//! stream plays over RTMP; the signalling answers as RFC 9725 says when it must refuse.

mod support;

use serde_json::Value;
use std::process::Command;
use std::time::Duration;
use support::{Weir, ffmpeg_publish, ffprobe_streams, finish, run};

/// The Chromium driver (tests/webrtc/chromium.mjs), its packages installed by ci/install-peers.
fn chromium(options: Value, wait: Duration) -> Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webrtc");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/playwright-core")
            .exists(),
        "playwright-core is missing: run ci/install-peers (npm install in tests/webrtc)"
    );
    let (ok, stdout, stderr) = run(
        Command::new("node")
            .current_dir(dir)
            .arg("chromium.mjs")
            .arg(options.to_string()),
        wait,
    );
    assert!(ok, "the Chromium driver failed: {stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
}

fn whip(weir: &Weir, stream: &str) -> String {
    weir.api_url(&format!("/rtc/v1/whip/?app=live&stream={stream}"))
}

fn whep(weir: &Weir, stream: &str) -> String {
    weir.api_url(&format!("/rtc/v1/whep/?app=live&stream={stream}"))
}

/// Chromium's publisher and player of one stream in `codec`: both connect, every frame the
/// player received was decoded, in the codec sent, with sound.
fn round_trip(codec: &str) {
    let weir = Weir::start(&[]);
    let out = chromium(
        serde_json::json!({
            "whip": whip(&weir, codec), "whep": whep(&weir, codec),
            "codec": codec, "seconds": 8, "playAfter": 3,
        }),
        Duration::from_secs(60),
    );
    let (publish, play) = (&out["publish"], &out["play"]);
    assert_eq!(publish["status"], 201, "{out:#}");
    assert_eq!(play["status"], 201, "{out:#}");
    assert!(
        publish["location"]
            .as_str()
            .is_some_and(|l| l.starts_with("/rtc/v1/resource/")),
        "{out:#}"
    );
    let sent = &publish["stats"]["outbound-rtp-video"];
    assert_eq!(sent["codec"], format!("video/{codec}"), "{out:#}");
    let video = &play["stats"]["inbound-rtp-video"];
    assert_eq!(video["codec"], format!("video/{codec}"), "{out:#}");
    let decoded = video["framesDecoded"].as_u64().unwrap_or(0);
    // 5 s of a 25 fps camera reached the player, at least; each frame it got was decoded.
    assert!(decoded >= 75, "only {decoded} frames decoded: {out:#}");
    assert_eq!(video["framesReceived"], video["framesDecoded"], "{out:#}");
    assert_eq!(
        (video["frameWidth"].clone(), video["frameHeight"].clone()),
        (640.into(), 360.into())
    );
    let audio = &play["stats"]["inbound-rtp-audio"];
    assert_eq!(audio["codec"], "audio/opus", "{out:#}");
    assert!(
        audio["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "silence: {out:#}"
    );
    // RFC 9725 §4.3: DELETE ends the session.
    assert_eq!(publish["deleted"], 200, "{out:#}");
    assert_eq!(play["deleted"], 200, "{out:#}");
    let log = weir.log();
    assert!(log.contains("reason=\"deleted\""), "{log}");
}

#[test]
fn chromium_publishes_h264_by_whip_and_plays_it_back_by_whep() {
    round_trip("H264");
}

#[test]
fn chromium_publishes_vp8_by_whip_and_plays_it_back_by_whep() {
    round_trip("VP8");
}

#[test]
fn ffmpeg_publishes_by_rtmp_and_chromium_plays_by_whep() {
    let weir = Weir::start(&[]);
    let publisher = ffmpeg_publish(&weir.rtmp_url("rtmp2rtc"), 20);
    weir.wait_for_stream("rtmp2rtc", Duration::from_secs(15));
    let out = chromium(
        serde_json::json!({"whep": whep(&weir, "rtmp2rtc"), "codec": "H264", "seconds": 6}),
        Duration::from_secs(60),
    );
    let video = &out["play"]["stats"]["inbound-rtp-video"];
    assert_eq!(video["codec"], "video/H264", "{out:#}");
    let decoded = video["framesDecoded"].as_u64().unwrap_or(0);
    assert!(decoded >= 75, "only {decoded} frames decoded: {out:#}");
    assert_eq!(
        (video["frameWidth"].clone(), video["frameHeight"].clone()),
        (640.into(), 360.into())
    );
    drop(finish(publisher, Duration::from_secs(1)));
}

#[test]
fn chromium_publishes_by_whip_and_ffprobe_reads_it_over_rtmp() {
    let weir = Weir::start(&[]);
    let url = weir.rtmp_url("rtc2rtmp");
    let probe = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        ffprobe_streams(&url)
    });
    let out = chromium(
        serde_json::json!({"whip": whip(&weir, "rtc2rtmp"), "codec": "H264", "seconds": 10}),
        Duration::from_secs(60),
    );
    assert_eq!(out["publish"]["status"], 201, "{out:#}");
    let probe = probe.join().unwrap();
    let streams = probe["streams"].as_array().cloned().unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s["codec_name"] == "h264")
        .unwrap_or_else(|| panic!("no H.264 over RTMP: {probe:#}"));
    assert_eq!(
        (video["width"].clone(), video["height"].clone()),
        (640.into(), 360.into())
    );
}

/// An offer as a WebRTC client makes it (str0m's, sending video and audio, or only what
/// `codecs` enables), with a host candidate.
fn offer(codecs: fn(str0m::RtcConfig) -> str0m::RtcConfig) -> String {
    use str0m::media::{Direction, MediaKind};
    let mut rtc = codecs(str0m::RtcConfig::new()).build(std::time::Instant::now());
    let candidate = str0m::Candidate::host("127.0.0.1:9".parse().unwrap(), "udp").unwrap();
    rtc.add_local_candidate(candidate);
    let mut change = rtc.sdp_api();
    change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
    change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let (offer, _) = change.apply().expect("an offer");
    offer.to_sdp_string()
}

fn post(url: &str, content_type: &str, body: String) -> reqwest::blocking::Response {
    reqwest::blocking::Client::new()
        .post(url)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .unwrap()
}

#[test]
fn whip_answers_refuses_and_ends_sessions_as_rfc_9725_says() {
    let weir = Weir::start(&[]);
    let url = whip(&weir, "signal");
    let client = reqwest::blocking::Client::new();

    // §4.2: an offer is application/sdp; one that does not parse is a 400 naming the rule.
    assert_eq!(post(&url, "text/plain", offer(|c| c)).status(), 415);
    let bad = post(&url, "application/sdp", "v=0\r\no=- x\r\n".into());
    assert_eq!(bad.status(), 400);
    assert!(bad.text().unwrap().contains("sdp."), "the rule is named");
    // No codec in common (G.722 only): refused, and no session is left behind.
    let g722 = post(
        &url,
        "application/sdp",
        offer(|c| c.clear_codecs().enable_g722(true, false)),
    );
    assert_eq!(g722.status(), 406);

    // A good offer: 201, the answer, its resource and ETag; CORS lets a page read them.
    let created = post(&url, "application/sdp", offer(|c| c));
    assert_eq!(created.status(), 201);
    let headers = created.headers().clone();
    assert_eq!(headers["content-type"], "application/sdp");
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(
        headers["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("Location")
    );
    let location = headers["location"].to_str().unwrap().to_owned();
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let answer = created.text().unwrap();
    assert!(answer.contains("a=ice-lite"), "{answer}");
    assert!(answer.contains("a=fingerprint:sha-256"), "{answer}");
    assert!(answer.contains("a=candidate:"), "{answer}");
    let resource = weir.api_url(&location);

    // The API lists the session as SRS does.
    assert!(
        weir.client_of_type("rtc-publish").is_some(),
        "{:#}",
        weir.api("/api/v1/clients/")
    );

    // §4.4: trickle by PATCH (204); If-Match naming another ICE session is 412; an ICE restart,
    // which this endpoint does not do, is 422.
    let patch = |if_match: &str, frag: &str| {
        client
            .patch(&resource)
            .header("Content-Type", "application/trickle-ice-sdpfrag")
            .header("If-Match", if_match)
            .body(frag.to_owned())
            .send()
            .unwrap()
            .status()
    };
    let frag = "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9999 typ host\r\n";
    assert_eq!(patch(&etag, frag), 204);
    assert_eq!(patch("\"other\"", frag), 412);
    assert_eq!(
        patch(
            &etag,
            "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
        ),
        422
    );
    let options = client
        .request(reqwest::Method::OPTIONS, &url)
        .send()
        .unwrap();
    assert!(options.status().is_success());
    assert!(
        options.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );

    // §4.3: DELETE ends the session; the resource is then gone.
    assert_eq!(client.delete(&resource).send().unwrap().status(), 200);
    assert_eq!(client.delete(&resource).send().unwrap().status(), 404);
}

#[test]
fn a_required_bearer_token_is_asked_for_and_reaches_the_callbacks() {
    let weir = Weir::start(&["rtc.token=s3cret"]);
    let url = whep(&weir, "tok");
    let client = reqwest::blocking::Client::new();
    let send = |token: Option<&str>| {
        let mut request = client
            .post(&url)
            .header("Content-Type", "application/sdp")
            .body(offer(|c| c));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap()
    };
    let missing = send(None);
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_eq!(send(Some("wrong")).status(), 401);
    let ok = send(Some("s3cret"));
    assert_eq!(ok.status(), 201);
    let client_json = weir
        .client_of_type("rtc-play")
        .unwrap_or_else(|| panic!("{:#}", weir.api("/api/v1/clients/")));
    // SRS's API: kicking the client closes its session.
    let id = client_json["id"].as_str().unwrap();
    let kicked = client
        .delete(weir.api_url(&format!("/api/v1/clients/{id}")))
        .send()
        .unwrap();
    assert!(kicked.status().is_success());
    let location = ok.headers()["location"].to_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status = client
            .delete(weir.api_url(&location))
            .bearer_auth("s3cret")
            .send()
            .unwrap()
            .status();
        if status == 404 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the kicked session lives on"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn srs_json_api_answers_a_play_offer() {
    let weir = Weir::start(&[]);
    let body = serde_json::json!({
        "api": weir.api_url("/rtc/v1/play/"),
        "streamurl": "webrtc://127.0.0.1/live/json",
        "sdp": offer(|c| c),
    });
    let reply: Value = reqwest::blocking::Client::new()
        .post(weir.api_url("/rtc/v1/play/"))
        .json(&body)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(reply["code"], 0, "{reply:#}");
    assert!(
        reply["sdp"].as_str().unwrap().starts_with("v=0"),
        "{reply:#}"
    );
    assert!(
        reply["sessionid"].as_str().is_some_and(|s| !s.is_empty()),
        "{reply:#}"
    );
    let bad: Value = reqwest::blocking::Client::new()
        .post(weir.api_url("/rtc/v1/publish/"))
        .json(&serde_json::json!({"streamurl": "webrtc://h/live"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_ne!(bad["code"], 0, "{bad:#}");
}
