//! `weir serve`'s WebRTC players over a lossy path: FFmpeg publishes H.264 + AAC by RTMP, a
//! str0m 0.25 player (full ICE, DTLS-SRTP, its own RTCP) plays by WHEP and loses one RTP
//! datagram in ten on the way in. Its NACKs (RFC 4585 §6.2.1) must bring the lost video
//! packets back as RTX (RFC 4588), so that it still assembles nearly every frame: the RTP
//! packets the server cuts once per stream (`rtc.packetize_once`) are kept per player for
//! resending, as str0m's frame API keeps them, also while the stream's task writes to the
//! player directly. The same player, kicked while written to directly, is sent nothing more.

mod support;

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use str0m::change::SdpAnswer;
use str0m::media::{Direction, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, RtcConfig};
use support::{Weir, ffmpeg_publish, finish};

/// What a lossy player saw: video frames assembled, of which not contiguous (a packet lost
/// for good), RTP datagrams dropped on purpose.
#[derive(Debug, Default)]
struct Played {
    frames: u64,
    broken: u64,
    dropped: u64,
    connected: bool,
}

/// Plays `url` by WHEP for `seconds`, dropping every `nth` RTP datagram (never RTCP, RFC 5761
/// §4: RTCP packet types 192-223 in the second byte; never before DTLS is done); `seen` counts
/// the video frames as they come.
fn lossy_player(url: &str, seconds: u64, nth: u64, seen: &AtomicU64) -> Played {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    let mut rtc = RtcConfig::new().build(Instant::now());
    rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
    let mut change = rtc.sdp_api();
    change.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None);
    change.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None);
    let (offer, pending) = change.apply().expect("an offer");
    let response = reqwest::blocking::Client::new()
        .post(url)
        .header("Content-Type", "application/sdp")
        .body(offer.to_sdp_string())
        .send()
        .unwrap();
    assert_eq!(response.status(), 201, "WHEP offer refused");
    let answer = SdpAnswer::from_sdp_string(&response.text().unwrap()).expect("an answer");
    rtc.sdp_api().accept_answer(pending, answer).unwrap();

    let mut played = Played::default();
    let (mut rtp, mut buf) = (0u64, vec![0u8; 2048]);
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end && rtc.is_alive() {
        loop {
            match rtc.poll_output().unwrap() {
                Output::Timeout(_) => break,
                Output::Transmit(t) => {
                    let _ = socket.send_to(&t.contents, t.destination);
                }
                Output::Event(Event::Connected) => played.connected = true,
                Output::Event(Event::MediaData(data)) if data.params.spec().codec.is_video() => {
                    played.frames += 1;
                    played.broken += u64::from(!data.contiguous);
                    seen.fetch_add(1, Relaxed);
                }
                Output::Event(_) => {}
            }
        }
        if let Ok((n, source)) = socket.recv_from(&mut buf) {
            let is_rtp = n > 12 && buf[0] >> 6 == 2 && !(192..=223).contains(&buf[1]);
            if played.connected && is_rtp {
                rtp += 1;
                if rtp.is_multiple_of(nth) {
                    played.dropped += 1;
                    continue;
                }
            }
            let receive = Receive {
                proto: Protocol::Udp,
                source,
                destination: local,
                contents: buf[..n].try_into().unwrap(),
            };
            let _ = rtc.handle_input(Input::Receive(Instant::now(), receive));
        }
        let _ = rtc.handle_input(Input::Timeout(Instant::now()));
    }
    played
}

fn lost_packets_come_back(settings: &[&str]) {
    let weir = Weir::start(settings);
    let publisher = ffmpeg_publish(&weir.rtmp_url("lossy"), 14);
    weir.wait_for_stream("lossy", Duration::from_secs(15));
    let whep = weir.api_url("/rtc/v1/whep/?app=live&stream=lossy");
    let player = std::thread::spawn(move || lossy_player(&whep, 8, 10, &AtomicU64::new(0)));
    // While the player plays, the server counts the NACKs it received in the session's stats.
    std::thread::sleep(Duration::from_secs(6));
    let client = weir
        .client_of_type("rtc-play")
        .expect("the player's session");
    let played = player.join().unwrap();
    drop(finish(publisher, Duration::from_secs(1)));
    assert!(played.connected, "{played:?}");
    assert!(played.dropped >= 30, "too few drops to test: {played:?}");
    assert!(played.frames >= 100, "{played:?}");
    // Without NACK, one packet in ten lost breaks most frames of three or more packets; with
    // it, a frame is lost only when its packet and the packet's resend are both dropped.
    assert!(
        played.broken * 10 <= played.frames,
        "frames not repaired: {played:?}"
    );
    let nacks = client["rtc"]["nacks"].as_u64().unwrap_or(0);
    assert!(nacks > 0, "no NACK counted: {client:#}");
    // The player was caught up, so its stream wrote to it directly (`rtc::direct`): the
    // resends came from the session's task while the stream's task sent the frames.
    let direct = weir.metric("weir_rtc_direct_players_total");
    assert!(direct >= 1, "the player was never written to directly");
}

#[test]
fn a_whep_player_that_loses_packets_gets_them_again_by_nack() {
    lost_packets_come_back(&[]);
}

#[test]
fn a_whep_player_that_loses_packets_gets_them_again_by_nack_from_per_player_packetizing() {
    lost_packets_come_back(&["rtc.packetize_once=false"]);
}

/// A player the stream writes to directly is kicked by the API like any other client: its
/// session ends, and the stream's task sends it nothing more.
#[test]
fn a_whep_player_written_to_directly_is_kicked_and_sent_nothing_more() {
    let weir = Weir::start(&[]);
    let publisher = ffmpeg_publish(&weir.rtmp_url("kicked"), 14);
    weir.wait_for_stream("kicked", Duration::from_secs(15));
    let whep = weir.api_url("/rtc/v1/whep/?app=live&stream=kicked");
    let seen = Arc::new(AtomicU64::new(0));
    let counted = seen.clone();
    let player = std::thread::spawn(move || lossy_player(&whep, 10, u64::MAX, &counted));
    let waited = Instant::now();
    while weir.metric("weir_rtc_direct_players_total") == 0 || seen.load(Relaxed) < 10 {
        assert!(
            waited.elapsed() < Duration::from_secs(15),
            "the player was never written to directly"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let client = weir
        .client_of_type("rtc-play")
        .expect("the player's session");
    assert!(weir.kick(client["id"].as_str().unwrap()));
    while weir.client_of_type("rtc-play").is_some() {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the kicked session is still listed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // What was on its way when the session ended may still arrive; a frame every 40 ms would
    // make 50 in the next two seconds.
    let at_end = seen.load(Relaxed);
    std::thread::sleep(Duration::from_secs(2));
    let after = seen.load(Relaxed) - at_end;
    let played = player.join().unwrap();
    drop(finish(publisher, Duration::from_secs(1)));
    assert!(played.connected, "{played:?}");
    assert!(after <= 2, "{after} frames after the kick: {played:?}");
}
