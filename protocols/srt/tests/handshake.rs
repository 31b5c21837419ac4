//! The handshake machines: our caller and our listener through memory, one fixture per
//! behaviour of the draft's §4.3.1 and of libsrt, and the plain capture's handshake replayed
//! into our caller (libsrt's cookies cannot be reproduced: its secret is random).

mod common;

use bytes::Bytes;
use common::*;
use std::fs::File;
use std::io::BufReader;
use std::time::{Duration, Instant};
use weir_capture::flow::CaptureEvents;
use weir_capture::flow::Direction;
use weir_capture::{FlowEvent, Limits};
use weir_media::Machine;
use weir_srt::handshake::SRT_MAGIC;
use weir_srt::{
    Caller, CallerConfig, CallerEvent, Control, ControlPacket, Extension, HandshakeType,
    ListenerConfig, ListenerEvent, Packet, RejectReason, SeqNumber,
};
use weir_testkit::{SeededRng, corpus};

fn handshake_of(bytes: &Bytes) -> weir_srt::Handshake {
    match Packet::parse(bytes, &mut Vec::new()).unwrap() {
        Packet::Control(ControlPacket {
            control: Control::Handshake(hs),
            ..
        }) => hs,
        other => panic!("{other:?}"),
    }
}

#[test]
fn caller_and_listener_agree_on_sockets_sequence_and_the_larger_latency() {
    let caller = CallerConfig {
        latency_ms: 200,
        peer_latency_ms: 50,
        stream_id: Some("#!::r=live/test,m=publish".into()),
        km_request: Some(Bytes::from_static(&[1, 2, 3, 4])),
        ..Default::default()
    };
    let listener = ListenerConfig {
        latency_ms: 120,
        peer_latency_ms: 120,
        ..Default::default()
    };
    let (c, l) = connect(caller, listener, |listener, now, request| {
        assert_eq!(
            request.stream_id.as_deref(),
            Some("#!::r=live/test,m=publish")
        );
        assert_eq!(request.km_request.as_deref(), Some(&[1, 2, 3, 4][..]));
        listener
            .accept(now, request.id, Some(Bytes::from_static(&[5, 6, 7, 8])))
            .unwrap();
    });
    assert_eq!((c.violations, l.violations), (vec![], vec![]));
    let [CallerEvent::Established(ce)] = &c.events[..] else {
        panic!("{:?}", c.events)
    };
    let Some(ListenerEvent::Established {
        established: le, ..
    }) = l.events.last()
    else {
        panic!("{:?}", l.events)
    };
    assert_eq!(ce.peer_socket_id, le.local_socket_id);
    assert_eq!(le.peer_socket_id, ce.local_socket_id);
    assert_eq!((ce.send_isn, ce.recv_isn), (le.recv_isn, le.send_isn));
    // The caller receives with max(200, listener's peer 120); the listener with max(120, 50).
    assert_eq!((ce.recv_latency_ms, ce.send_latency_ms), (200, 120));
    assert_eq!((le.recv_latency_ms, le.send_latency_ms), (120, 200));
    assert_eq!(ce.km_response.as_deref(), Some(&[5, 6, 7, 8][..]));
    assert_eq!(le.stream_id, ce.stream_id);
}

#[test]
fn a_rejection_reaches_the_caller_with_its_reason() {
    let forbidden = RejectReason(RejectReason::PREDEFINED + 403);
    let (c, l) = connect(
        CallerConfig::default(),
        ListenerConfig::default(),
        |l, now, r| l.reject(now, r.id, forbidden).unwrap(),
    );
    assert_eq!(c.events, [CallerEvent::Rejected { reason: forbidden }]);
    assert!(l.events.contains(&ListenerEvent::Rejected {
        from: addr(),
        reason: forbidden
    }));
    assert_eq!(forbidden.name(), "PREDEFINED");
    assert_eq!(RejectReason::BADSECRET.to_string(), "BADSECRET (10)");
}

#[test]
fn the_listener_keeps_nothing_for_an_induction_and_echoes_the_caller() {
    let now = Instant::now();
    let mut listener = listener(ListenerConfig::default(), now);
    listener.handle_input(now, addr(), &handshake_bytes(induction_request()));
    let d = drain(&mut listener);
    assert_eq!(listener.held(), (0, 0));
    let hs = handshake_of(&d.sent[0]);
    assert_eq!((hs.version, hs.extension_field), (5, SRT_MAGIC));
    assert_eq!(
        (hs.socket_id, hs.initial_seq),
        (0x1234, SeqNumber::new(1000))
    );
    assert_ne!(hs.syn_cookie, 0);
}

#[test]
fn a_retransmitted_conclusion_gets_the_same_answer_again() {
    let now = Instant::now();
    let mut listener = listener(ListenerConfig::default(), now);
    let cookie = cookie(&mut listener, now);
    let request = handshake_bytes(conclusion(cookie, vec![hsreq(120, 120)]));
    listener.handle_input(now, addr(), &request);
    let d = drain(&mut listener);
    let [ListenerEvent::Request(r)] = &d.events[..] else {
        panic!("{d:?}")
    };
    // A copy while the application decides: nothing more.
    listener.handle_input(now, addr(), &request);
    assert!(drain(&mut listener).sent.is_empty());
    listener.accept(now, r.id, None).unwrap();
    let first = drain(&mut listener).sent;
    listener.handle_input(now + Duration::from_millis(250), addr(), &request);
    let again = drain(&mut listener);
    assert_eq!(again.sent, first);
    assert!(again.events.is_empty());
    // Forgotten after `answer_kept`.
    listener.handle_timeout(now + Duration::from_secs(11));
    assert_eq!(listener.held(), (0, 0));
}

#[test]
fn cookies_expire_after_the_next_time_bucket() {
    let now = Instant::now();
    let mut listener = listener(ListenerConfig::default(), now);
    let cookie = cookie(&mut listener, now);
    let request = handshake_bytes(conclusion(cookie, vec![hsreq(120, 120)]));
    listener.handle_input(now + Duration::from_secs(120), addr(), &request);
    let d = drain(&mut listener);
    assert_eq!(d.violations, ["srt.handshake.cookie"]);
    assert!(d.sent.is_empty());
    listener.handle_input(now + Duration::from_secs(119), addr(), &request);
    assert!(matches!(
        drain(&mut listener).events[..],
        [ListenerEvent::Request(_)]
    ));
}

#[test]
fn the_same_secret_and_times_give_the_same_cookie() {
    let now = Instant::now();
    let a = cookie(&mut listener(ListenerConfig::default(), now), now);
    let later = Instant::now() + Duration::from_secs(3600);
    let b = cookie(&mut listener(ListenerConfig::default(), later), later);
    assert_eq!(a, b);
}

/// Makes a conclusion from the listener's cookie.
type MakeConclusion = Box<dyn Fn(u32) -> weir_srt::Handshake>;

#[test]
fn the_listener_refuses_what_live_mode_cannot_use_with_libsrts_reasons() {
    let cases: Vec<(&str, MakeConclusion, RejectReason)> = vec![
        (
            "HSv4 conclusion",
            Box::new(|c| weir_srt::Handshake {
                version: 4,
                ..conclusion(c, vec![])
            }),
            RejectReason::VERSION,
        ),
        (
            "no HSREQ",
            Box::new(|c| conclusion(c, vec![Extension::StreamId("a".into())])),
            RejectReason::ROGUE,
        ),
        (
            "stream id of 513 bytes",
            Box::new(|c| conclusion(c, vec![hsreq(120, 0), Extension::StreamId("s".repeat(513))])),
            RejectReason::ROGUE,
        ),
        (
            "file congestion control",
            Box::new(|c| conclusion(c, vec![hsreq(120, 0), Extension::Congestion("file".into())])),
            RejectReason::CONGESTION,
        ),
    ];
    for (what, make, reason) in cases {
        let now = Instant::now();
        let mut listener = listener(ListenerConfig::default(), now);
        let cookie = cookie(&mut listener, now);
        listener.handle_input(now, addr(), &handshake_bytes(make(cookie)));
        let d = drain(&mut listener);
        assert_eq!(
            d.events,
            [ListenerEvent::Rejected {
                from: addr(),
                reason
            }],
            "{what}"
        );
        assert_eq!(
            handshake_of(&d.sent[0]).kind,
            HandshakeType::Rejection(reason),
            "{what}"
        );
    }
}

#[test]
fn a_full_backlog_refuses_and_unanswered_requests_time_out() {
    let now = Instant::now();
    let config = ListenerConfig {
        backlog: 1,
        ..Default::default()
    };
    let mut listener = listener(config, now);
    let cookie = cookie(&mut listener, now);
    let mut second = conclusion(cookie, vec![hsreq(120, 0)]);
    listener.handle_input(now, addr(), &handshake_bytes(second.clone()));
    second.socket_id = 0x9999;
    listener.handle_input(now, addr(), &handshake_bytes(second));
    let d = drain(&mut listener);
    assert!(matches!(d.events[0], ListenerEvent::Request(_)));
    assert_eq!(
        d.events[1],
        ListenerEvent::Rejected {
            from: addr(),
            reason: RejectReason::BACKLOG
        }
    );
    let at = listener.poll_timeout().unwrap();
    assert_eq!(at, now + Duration::from_secs(3));
    listener.handle_timeout(at);
    assert_eq!(
        drain(&mut listener).events,
        [ListenerEvent::Rejected {
            from: addr(),
            reason: RejectReason::TIMEOUT
        }]
    );
    assert!(listener.accept(at, weir_srt::RequestId(0), None).is_err());
}

#[test]
fn the_caller_retransmits_every_250_ms_then_times_out() {
    let now = Instant::now();
    let mut caller = Caller::new(CallerConfig::default(), &mut SeededRng::new(3), now);
    let mut sent = drain_caller(&mut caller).sent.len();
    let mut t = now;
    let mut events = Vec::new();
    while let Some(at) = caller.poll_timeout() {
        assert!(at > t || at == now);
        t = at;
        caller.handle_timeout(at);
        let d = drain_caller(&mut caller);
        sent += d.sent.len();
        events.extend(d.events);
    }
    assert_eq!(t, now + Duration::from_secs(3));
    assert_eq!(sent, 12, "at 0, 250, ..., 2750 ms");
    assert_eq!(
        events,
        [CallerEvent::Rejected {
            reason: RejectReason::TIMEOUT
        }]
    );
}

/// The UDP payloads of a capture, each with whether it went to the listener (port 9000).
fn capture(name: &str) -> Vec<(bool, Bytes)> {
    let path = corpus::path(&format!("srt/locally_generated/{name}.pcapng"));
    let mut out = Vec::new();
    for event in
        CaptureEvents::new(BufReader::new(File::open(path).unwrap()), Limits::default()).unwrap()
    {
        let event = event.unwrap();
        if let FlowEvent::Datagram {
            direction, bytes, ..
        } = event.event
        {
            // The client is the first sender: ffmpeg, the caller.
            out.push((direction == Direction::ClientToServer, bytes));
        }
    }
    out
}

/// The capture's four handshakes: induction, its answer, conclusion, its answer.
fn handshakes(packets: &[(bool, Bytes)]) -> [&(bool, Bytes); 4] {
    let hs: Vec<_> = packets
        .iter()
        .filter(|(_, b)| weir_srt::packet::peek(b))
        .collect();
    assert!(hs[0].0 && !hs[1].0 && hs[2].0 && !hs[3].0);
    [hs[0], hs[1], hs[2], hs[3]]
}

/// ffmpeg's caller settings in the captures (latency 120 ms, no peer latency).
fn ffmpeg_config(induction: &Bytes) -> CallerConfig {
    let ours = handshake_of(induction);
    CallerConfig {
        latency_ms: 120,
        peer_latency_ms: 0,
        stream_id: Some("%23!::r=live/test,m=publish".into()),
        socket_id: Some(ours.socket_id),
        initial_seq: Some(ours.initial_seq),
        ..Default::default()
    }
}

/// Replays a capture's handshake into our caller made with `config`: checks our induction
/// and conclusion are ffmpeg's (but for the timestamp) and returns the Established.
fn replay_caller(
    packets: &[(bool, Bytes)],
    config: impl Fn(&Bytes) -> CallerConfig,
) -> weir_srt::Established {
    let [first, answer, theirs, accepted] = handshakes(packets);
    let now = Instant::now();
    let mut caller = Caller::new(config(&first.1), &mut SeededRng::new(0), now);
    let induction = drain_caller(&mut caller).sent.remove(0);
    assert_eq!(induction[..8], first.1[..8]);
    assert_eq!(induction[12..], first.1[12..], "our induction is ffmpeg's");
    caller.handle_input(now, &answer.1).unwrap();
    let conclusion = drain_caller(&mut caller).sent.remove(0);
    assert_eq!(
        conclusion[12..],
        theirs.1[12..],
        "our conclusion is ffmpeg's"
    );
    caller.handle_input(now, &accepted.1).unwrap();
    let d = drain_caller(&mut caller);
    assert_eq!(d.violations, Vec::<&str>::new());
    match &d.events[..] {
        [CallerEvent::Established(e)] => e.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn our_caller_carries_key_material_where_ffmpeg_does() {
    let packets = capture("srt_ffmpeg_caller_to_slt_listener_aes128");
    let [_, _, theirs, accepted] = handshakes(&packets);
    let e = replay_caller(&packets, |induction| CallerConfig {
        km_request: handshake_of(&theirs.1).key_material().cloned(),
        encryption: weir_srt::handshake::Encryption::AES_128,
        ..ffmpeg_config(induction)
    });
    assert_eq!(
        e.km_response,
        handshake_of(&accepted.1).key_material().cloned()
    );
    assert!(e.km_response.is_some());
}

#[test]
fn our_caller_concludes_like_ffmpeg_and_is_established_by_the_captured_listener() {
    let packets = capture("srt_ffmpeg_caller_to_slt_listener_plain");
    let e = replay_caller(&packets, ffmpeg_config);
    assert_eq!(e.peer_socket_id, 0x126a_31f5);
    assert_eq!(e.recv_isn, SeqNumber::new(0x0a1f_215d));
    assert_eq!((e.recv_latency_ms, e.send_latency_ms), (120, 120));
    assert_eq!(e.peer_version, 0x01_05_01);
    // The first data packet is addressed to us and starts at the agreed sequence number.
    let data = packets.iter().find(|(_, b)| b[0] & 0x80 == 0).unwrap();
    let Packet::Data(d) = Packet::parse(&data.1, &mut Vec::new()).unwrap() else {
        panic!()
    };
    assert_eq!((d.header.dst_socket, d.seq), (e.peer_socket_id, e.send_isn));
}

#[test]
fn the_lossy_captures_200_ms_latency_is_agreed_both_ways() {
    let packets = capture("srt_ffmpeg_caller_to_slt_listener_loss_nak");
    let e = replay_caller(&packets, |induction| CallerConfig {
        latency_ms: 200,
        peer_latency_ms: 200,
        ..ffmpeg_config(induction)
    });
    assert_eq!((e.recv_latency_ms, e.send_latency_ms), (200, 200));
}

#[test]
fn the_captured_callers_induction_gets_our_cookie_and_its_libsrt_cookie_nothing() {
    let packets = capture("srt_ffmpeg_caller_to_slt_listener_plain");
    let now = Instant::now();
    let mut listener = listener(ListenerConfig::default(), now);
    listener.handle_input(now, addr(), &packets[0].1);
    let d = drain(&mut listener);
    assert_eq!(d.violations, Vec::<&str>::new());
    let answer = handshake_of(&d.sent[0]);
    let theirs = handshake_of(&packets[1].1);
    assert_eq!(
        (
            answer.version,
            answer.extension_field,
            answer.socket_id,
            answer.initial_seq
        ),
        (
            theirs.version,
            theirs.extension_field,
            theirs.socket_id,
            theirs.initial_seq
        )
    );
    listener.handle_input(now, addr(), &packets[2].1);
    let d = drain(&mut listener);
    assert_eq!(d.violations, ["srt.handshake.cookie"]);
    assert!(d.sent.is_empty());
}

#[test]
fn our_listener_answers_the_captured_conclusion_as_srt_live_transmit_did() {
    let packets = capture("srt_ffmpeg_caller_to_slt_listener_plain");
    let now = Instant::now();
    let mut listener = listener(ListenerConfig::default(), now);
    let ours = cookie(&mut listener, now);
    // The captured conclusion with our cookie in place of libsrt's.
    let mut request = packets[2].1.to_vec();
    request[16 + 28..16 + 32].copy_from_slice(&ours.to_be_bytes());
    listener.handle_input(now, addr(), &request);
    let d = drain(&mut listener);
    let [ListenerEvent::Request(r)] = &d.events[..] else {
        panic!("{d:?}")
    };
    assert_eq!(r.stream_id.as_deref(), Some("%23!::r=live/test,m=publish"));
    listener.accept(now, r.id, None).unwrap();
    let answer = drain(&mut listener).sent.remove(0);
    let theirs = &packets[3].1;
    assert_eq!(answer.len(), theirs.len());
    // Equal but for the timestamp, our socket id and our cookie.
    let differ: Vec<usize> = (0..answer.len())
        .filter(|&i| answer[i] != theirs[i])
        .filter(|i| !(8..12).contains(i) && !(16 + 24..16 + 32).contains(i))
        .collect();
    assert_eq!(differ, Vec::<usize>::new());
}

#[test]
fn an_unknown_extension_is_skipped_and_the_caller_accepted() {
    let now = Instant::now();
    let mut listener = listener(ListenerConfig::default(), now);
    let cookie = cookie(&mut listener, now);
    let unknown = Extension::Unknown {
        typ: 0x55,
        body: Bytes::from_static(&[1, 2, 3, 4]),
    };
    let request = conclusion(cookie, vec![unknown, hsreq(120, 0)]);
    listener.handle_input(now, addr(), &handshake_bytes(request));
    let d = drain(&mut listener);
    assert_eq!(d.violations, Vec::<&str>::new());
    let [ListenerEvent::Request(r)] = &d.events[..] else {
        panic!("{d:?}")
    };
    assert_eq!(r.stream_id, None);
    listener.accept(now, r.id, None).unwrap();
    assert!(matches!(
        drain(&mut listener).events[..],
        [ListenerEvent::Established { .. }]
    ));
}
