//! Real peer: our RTMP client machine, driven by a small tokio loop, against nginx-rtmp
//! (Debian's libnginx-mod-rtmp), started here on a free loopback port with its own config.
//!
//! - A stream our client publishes (the real media of the corpus's avatar.flv) plays back in
//!   `ffprobe` with the right codecs and size.
//! - A stream `ffmpeg` publishes plays through our client with every frame, byte for byte.
//!
//! Peers are found on PATH or through `NGINX`, `FFMPEG` and `FFPROBE`; `ci/test` installs them.

mod support;

use bytes::Bytes;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Client, Nginx};
use weir_rtmp::handshake::{DigestScheme, HandshakeKind};
use weir_rtmp::session::{ClientEvent, PublishKind, StreamData};
use weir_testkit::corpus;
use weir_testkit::flv::media_tags;
use weir_testkit::peer;

#[tokio::test(flavor = "current_thread")]
async fn our_client_publishes_to_nginx_rtmp_and_ffprobe_plays_it() {
    let ffprobe = peer::binary("FFPROBE", "ffprobe");
    let nginx = Nginx::start();
    let mut publisher = Client::connect(
        nginx.port,
        HandshakeKind::Complex {
            scheme: DigestScheme::Scheme0,
        },
    )
    .await;
    publisher
        .session
        .publish("ours", PublishKind::Live)
        .unwrap();
    publisher.flush().await;
    publisher
        .until(Duration::from_secs(5), "Publishing", |e| {
            matches!(e, ClientEvent::Publishing { .. })
        })
        .await;

    // ffprobe joins while we publish the file's media in real time, twice over.
    let url = nginx.url("ours");
    let probe = tokio::process::Command::new(ffprobe)
        .args([
            "-v",
            "error",
            "-rw_timeout",
            "15000000",
            "-show_entries",
            "stream=codec_name,width,height,sample_rate,channels",
        ])
        .args(["-of", "compact", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("ffprobe starts");
    let tags = corpus::flv_media("flv/avatar.flv");
    let last = tags.last().map(|t| t.1).unwrap_or(0);
    let start = tokio::time::Instant::now();
    for round in 0..2u32 {
        for (video, ts, body) in &tags {
            let at = round * (last + 40) + ts;
            tokio::time::sleep_until(start + Duration::from_millis(at.into())).await;
            publisher
                .session
                .send_media(at, *video, body.clone())
                .unwrap();
            publisher.flush().await;
        }
    }
    let output = tokio::time::timeout(Duration::from_secs(20), probe.wait_with_output())
        .await
        .expect("ffprobe finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ffprobe failed: {stderr}\nnginx: {}",
        Nginx::log_of(&nginx.dir)
    );
    assert!(
        stdout.contains("codec_name=h264|width=768|height=320"),
        "{stdout}"
    );
    assert!(
        stdout.contains("codec_name=aac") && stdout.contains("sample_rate=44100|channels=2"),
        "{stdout}"
    );
    assert!(
        publisher.violations.is_empty(),
        "nginx broke no rule: {:#?}",
        publisher.violations
    );
}

#[tokio::test(flavor = "current_thread")]
async fn ffmpeg_publishes_to_nginx_rtmp_and_our_client_plays_every_frame() {
    let ffmpeg = peer::binary("FFMPEG", "ffmpeg");
    let nginx = Nginx::start();
    // The reference: an FLV file made by ffmpeg, whose every tag we expect back.
    let file = nginx.dir.join("source.flv");
    let made = Command::new(&ffmpeg)
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=25",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            "3",
        ])
        .args([
            "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv",
        ])
        .arg(&file)
        .status()
        .unwrap();
    assert!(made.success(), "ffmpeg made the source file");
    let sent = media_tags(&std::fs::read(&file).unwrap());
    let (video_sent, audio_sent) = (
        sent.iter().filter(|t| t.0).count(),
        sent.iter().filter(|t| !t.0).count(),
    );
    assert!(
        video_sent >= 75 && audio_sent >= 100,
        "{video_sent} video and {audio_sent} audio tags"
    );

    // Our client plays first and waits (nginx-rtmp keeps idle streams); then ffmpeg publishes.
    let mut player = Client::connect(nginx.port, HandshakeKind::Simple).await;
    player.session.play("theirs", -2.0).unwrap();
    player.flush().await;
    player
        .until(Duration::from_secs(5), "Playing", |e| {
            matches!(e, ClientEvent::Playing { .. })
        })
        .await;
    let mut publisher = tokio::process::Command::new(&ffmpeg)
        .args(["-v", "error", "-re", "-i"])
        .arg(&file)
        .args(["-c", "copy", "-f", "flv", &nginx.url("theirs")])
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while player.media_messages() < sent.len() && Instant::now() < deadline {
        player.read(Duration::from_millis(500)).await;
    }
    let status = publisher.wait().await.unwrap();
    assert!(status.success(), "ffmpeg published");

    // Every tag ffmpeg sent arrived, in order, with the same body and timestamp.
    let received: Vec<(bool, u32, Bytes)> = player
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Data {
                timestamp,
                data: StreamData::Media(p),
                ..
            } => Some((p, *timestamp)),
            _ => None,
        })
        .map(|(packet, ts)| {
            let video = packet.track().kind == weir_media::MediaKind::Video;
            (video, ts, weir_flv::write_packet(packet).unwrap())
        })
        .collect();
    // Each track's tags in order (nginx may interleave the two tracks differently at equal
    // timestamps, which changes nothing for a player).
    for video in [true, false] {
        let track = |tags: &[(bool, u32, Bytes)]| -> Vec<(u32, Bytes)> {
            tags.iter()
                .filter(|t| t.0 == video)
                .map(|t| (t.1, t.2.clone()))
                .collect()
        };
        let (got, want) = (track(&received), track(&sent));
        let kind = if video { "video" } else { "audio" };
        assert_eq!(got.len(), want.len(), "every {kind} tag arrives");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                g == w,
                "{kind} tag {i} differs: {} bytes at {} ms, sent {} bytes at {} ms",
                g.1.len(),
                g.0,
                w.1.len(),
                w.0
            );
        }
    }
    assert!(
        player.violations.is_empty(),
        "nginx broke no rule: {:#?}",
        player.violations
    );
}
