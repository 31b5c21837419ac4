//! The RTMP handshake machines against real recorded handshakes (FFmpeg 5.1 both ways, Flash
//! Player 10 with FMS 3), against each other through memory, split every way, and fed bad input.

use proptest::prelude::*;
use weir_media::Output;
use weir_rtmp::Error;
use weir_rtmp::handshake::{
    ClientHandshake, ClientKind, DigestScheme, FLASH_MEDIA_SERVER_KEY, FLASH_PLAYER_KEY,
    HANDSHAKE_LEN, HandshakeInfo, HandshakeKind, PACKET_LEN, Reply, RngCore, ServerHandshake,
    check_c2, check_s2, find_digest,
};
use weir_rtmp::rules::{HANDSHAKE_DIGEST, HANDSHAKE_ECHO, HANDSHAKE_S0_VERSION, HANDSHAKE_VERSION};
use weir_testkit::{SeededRng, split};

const COMPLEX0: HandshakeKind = HandshakeKind::Complex {
    scheme: DigestScheme::Scheme0,
};
const COMPLEX1: HandshakeKind = HandshakeKind::Complex {
    scheme: DigestScheme::Scheme1,
};
const C2_OFFSET: u64 = 1 + PACKET_LEN as u64;

fn corpus(name: &str) -> Vec<u8> {
    weir_testkit::corpus::read(&format!("rtmp/{name}"))
}

/// Everything a machine did with one input sequence, in order.
#[derive(Debug, PartialEq)]
struct Transcript {
    outputs: Vec<Output<HandshakeInfo>>,
    consumed: usize,
    error: Option<Error>,
}

/// The shape both machines share, so one driver runs either.
trait Machine {
    fn input(&mut self, input: &[u8], rng: &mut dyn RngCore) -> Result<usize, Error>;
    fn output(&mut self) -> Option<Output<HandshakeInfo>>;
}

impl Machine for ServerHandshake {
    fn input(&mut self, input: &[u8], rng: &mut dyn RngCore) -> Result<usize, Error> {
        self.handle_input(input, rng)
    }
    fn output(&mut self) -> Option<Output<HandshakeInfo>> {
        self.poll_output()
    }
}

impl Machine for ClientHandshake {
    fn input(&mut self, input: &[u8], rng: &mut dyn RngCore) -> Result<usize, Error> {
        self.handle_input(input, rng)
    }
    fn output(&mut self) -> Option<Output<HandshakeInfo>> {
        self.poll_output()
    }
}

/// Feeds `input` cut at `cuts`, draining outputs after every piece, the way a session does:
/// what a piece leaves unconsumed belongs to the chunk stream. (The handshakes are a
/// session's sub-machines, taking the RNG and telling what they consumed: not `Machine`s.)
fn drive(
    machine: &mut dyn Machine,
    input: &[u8],
    cuts: &[usize],
    rng: &mut dyn RngCore,
) -> Transcript {
    let mut transcript = Transcript {
        outputs: Vec::new(),
        consumed: 0,
        error: None,
    };
    transcript
        .outputs
        .extend(std::iter::from_fn(|| machine.output()));
    for piece in split::pieces(input, cuts) {
        match machine.input(piece, rng) {
            Ok(consumed) => transcript.consumed += consumed,
            Err(error) => transcript.error = Some(error),
        }
        transcript
            .outputs
            .extend(std::iter::from_fn(|| machine.output()));
        if transcript.error.is_some() {
            break;
        }
    }
    transcript
}

fn server_run(input: &[u8], cuts: &[usize]) -> Transcript {
    drive(
        &mut ServerHandshake::new(1000),
        input,
        cuts,
        &mut SeededRng::new(7),
    )
}

fn client_run(kind: ClientKind, input: &[u8], cuts: &[usize]) -> Transcript {
    let mut rng = SeededRng::new(11);
    drive(
        &mut ClientHandshake::new(kind, 2000, &mut rng),
        input,
        cuts,
        &mut rng,
    )
}

fn transmitted(transcript: &Transcript) -> Vec<u8> {
    let mut bytes = Vec::new();
    for output in &transcript.outputs {
        if let Output::Transmit(chunk) = output {
            bytes.extend_from_slice(chunk);
        }
    }
    bytes
}

fn violations(transcript: &Transcript) -> Vec<(&'static str, u64)> {
    let mut found = Vec::new();
    for output in &transcript.outputs {
        if let Output::Violation(v) = output {
            found.push((v.rule.id, v.offset));
        }
    }
    found
}

fn event(transcript: &Transcript) -> Option<HandshakeInfo> {
    transcript.outputs.iter().find_map(|output| match output {
        Output::Event(info) => Some(*info),
        _ => None,
    })
}

/// C1 and C2 (or S1 and S2) of a recorded stream.
fn recorded(name: &str) -> (Vec<u8>, Vec<u8>) {
    let stream = corpus(name);
    let (packet1, packet2) = packets(&stream);
    (packet1.to_vec(), packet2.to_vec())
}

/// C1 and C2 (or S1 and S2) of a stream.
fn packets(stream: &[u8]) -> (&[u8], &[u8]) {
    (
        &stream[1..1 + PACKET_LEN],
        &stream[1 + PACKET_LEN..HANDSHAKE_LEN],
    )
}

// --- The recorded handshakes ------------------------------------------------------------------

#[test]
fn recorded_digests_are_where_the_complex_handshake_puts_them() {
    let (ffmpeg_c1, _) = recorded("ffmpeg_client_stream");
    let (ffmpeg_s1, _) = recorded("ffmpeg_server_stream");
    let (flash_c1, _) = recorded("client_stream");
    let (fms_s1, _) = recorded("server_stream");
    // FFmpeg's client signs C1 in scheme 0; its -listen server sends a simple S1.
    assert_eq!(
        find_digest(&ffmpeg_c1, FLASH_PLAYER_KEY),
        Some(DigestScheme::Scheme0)
    );
    assert_eq!(find_digest(&ffmpeg_s1, FLASH_MEDIA_SERVER_KEY), None);
    assert_eq!(ffmpeg_s1[4..8], [0; 4]);
    // Flash Player 10 signs C1 in scheme 1; FMS 3 answers in scheme 0.
    assert_eq!(
        find_digest(&flash_c1, FLASH_PLAYER_KEY),
        Some(DigestScheme::Scheme1)
    );
    assert_eq!(
        find_digest(&fms_s1, FLASH_MEDIA_SERVER_KEY),
        Some(DigestScheme::Scheme0)
    );
    // A C1 is not signed with the server's key, nor an S1 with the player's.
    assert_eq!(find_digest(&flash_c1, FLASH_MEDIA_SERVER_KEY), None);
    assert_eq!(find_digest(&fms_s1, FLASH_PLAYER_KEY), None);
}

#[test]
fn recorded_replies_answer_the_recorded_packets() {
    let (ffmpeg_c1, ffmpeg_c2) = recorded("ffmpeg_client_stream");
    let (ffmpeg_s1, ffmpeg_s2) = recorded("ffmpeg_server_stream");
    assert_eq!(check_c2(&ffmpeg_s1, &ffmpeg_c2), Ok(Reply::Echo));
    assert_eq!(check_s2(&ffmpeg_c1, &ffmpeg_s2), Ok(Reply::Echo));

    let (flash_c1, flash_c2) = recorded("client_stream");
    let (fms_s1, fms_s2) = recorded("server_stream");
    assert_eq!(check_c2(&fms_s1, &flash_c2), Ok(Reply::Digest));
    assert_eq!(check_s2(&flash_c1, &fms_s2), Ok(Reply::Digest));

    // Crossed over, nothing matches: the checks can fail.
    let crossed = check_c2(&ffmpeg_s1, &flash_c2).unwrap_err();
    assert_eq!((crossed.rule, crossed.offset), (&HANDSHAKE_ECHO, 8));
    let crossed = check_s2(&flash_c1, &ffmpeg_s2).unwrap_err();
    assert_eq!((crossed.rule, crossed.offset), (&HANDSHAKE_ECHO, 1504));
}

/// A replayed C2 answers the recorded S1, not the one our server just made up, so the only
/// violation a replay can raise is that echo/digest mismatch on C2; everything else must pass.
fn assert_replay_only_misses_the_reply(transcript: &Transcript, reply_violation_at: u64) {
    assert_eq!(
        violations(transcript),
        [(HANDSHAKE_ECHO.id, reply_violation_at)]
    );
    assert_eq!(transcript.error, None);
}

#[test]
fn ffmpeg_client_handshake_is_complex_scheme_0() {
    let stream = corpus("ffmpeg_client_stream");
    let transcript = server_run(&stream, &[]);
    assert_eq!(transcript.consumed, HANDSHAKE_LEN);
    assert_eq!(
        stream[HANDSHAKE_LEN], 0x03,
        "the chunk stream starts right after C2"
    );
    let info = event(&transcript).expect("handshake event");
    assert_eq!(
        info,
        HandshakeInfo {
            kind: COMPLEX0,
            peer_version: [9, 0, 124, 2],
            peer_time: 0
        }
    );
    // FFmpeg's C2 echoes S1 (it signs C2 only when playing from a server of version >= 3 that it
    // verified); against our S1 it neither echoes nor signs: offset 1504 of C2.
    assert_replay_only_misses_the_reply(&transcript, C2_OFFSET + 1504);

    // Our answer is complex in FFmpeg's scheme, and our S2 is what FFmpeg would verify.
    let answer = transmitted(&transcript);
    assert_eq!(answer.len(), HANDSHAKE_LEN);
    let (our_s1, our_s2) = packets(&answer);
    assert_eq!(
        (answer[0], our_s1[..4].to_vec(), our_s1[4..8].to_vec()),
        (3, vec![0, 0, 3, 0xE8], vec![3, 5, 1, 1])
    );
    assert_eq!(
        find_digest(our_s1, FLASH_MEDIA_SERVER_KEY),
        Some(DigestScheme::Scheme0)
    );
    assert_eq!(
        check_s2(&stream[1..1 + PACKET_LEN], our_s2),
        Ok(Reply::Digest)
    );
}

#[test]
fn flash_player_10_handshake_is_complex_scheme_1() {
    let stream = corpus("client_stream");
    let transcript = server_run(&stream, &[]);
    assert_eq!(transcript.consumed, HANDSHAKE_LEN);
    let info = event(&transcript).expect("handshake event");
    assert_eq!(
        info,
        HandshakeInfo {
            kind: COMPLEX1,
            peer_version: [0x80, 0, 3, 2],
            peer_time: 0x0007_6b26
        }
    );
    assert_replay_only_misses_the_reply(&transcript, C2_OFFSET + 1504);
    let answer = transmitted(&transcript);
    let (our_s1, our_s2) = packets(&answer);
    assert_eq!(
        find_digest(our_s1, FLASH_MEDIA_SERVER_KEY),
        Some(DigestScheme::Scheme1)
    );
    assert_eq!(
        check_s2(&stream[1..1 + PACKET_LEN], our_s2),
        Ok(Reply::Digest)
    );
}

#[test]
fn fms_3_answer_is_complex_scheme_0() {
    let stream = corpus("server_stream");
    for kind in [HandshakeKind::Simple, COMPLEX0, COMPLEX1] {
        let transcript = client_run(kind, &stream, &[]);
        assert_eq!(transcript.consumed, HANDSHAKE_LEN);
        assert_eq!(
            stream[HANDSHAKE_LEN], 0x02,
            "the chunk stream starts right after S2"
        );
        let info = event(&transcript).expect("handshake event");
        assert_eq!(
            info,
            HandshakeInfo {
                kind: COMPLEX0,
                peer_version: [3, 0, 3, 1],
                peer_time: 0x17ab_da34
            }
        );
        // The recorded S2 is signed from the recorded C1's digest, not from ours.
        let s2_violation = if kind == HandshakeKind::Simple {
            8
        } else {
            1504
        };
        assert_replay_only_misses_the_reply(&transcript, C2_OFFSET + s2_violation);
        // Our C2 is complex only when our C1 was, and then FMS could verify it.
        let sent = transmitted(&transcript);
        let c2 = &sent[1 + PACKET_LEN..];
        let expected = if kind == HandshakeKind::Simple {
            Reply::Echo
        } else {
            Reply::Digest
        };
        assert_eq!(check_c2(&stream[1..1 + PACKET_LEN], c2), Ok(expected));
    }
}

#[test]
fn ffmpeg_server_answer_is_simple() {
    let stream = corpus("ffmpeg_server_stream");
    let transcript = client_run(COMPLEX0, &stream, &[]);
    assert_eq!(transcript.consumed, HANDSHAKE_LEN);
    let info = event(&transcript).expect("handshake event");
    assert_eq!(
        info,
        HandshakeInfo {
            kind: HandshakeKind::Simple,
            peer_version: [0; 4],
            peer_time: 0
        }
    );
    // Our C1 was complex, so the recorded S2 neither echoes it nor carries our digest.
    assert_replay_only_misses_the_reply(&transcript, C2_OFFSET + 1504);
    let sent = transmitted(&transcript);
    assert_eq!(
        check_c2(&stream[1..1 + PACKET_LEN], &sent[1 + PACKET_LEN..]),
        Ok(Reply::Echo)
    );
}

/// An observer of a recorded handshake (the harness's) reads and judges it as a party would,
/// but sends nothing, so nothing of its own is checked against the recorded replies: the
/// echo/digest mismatch a replay raises is gone, the handshake event is the same.
#[test]
fn observers_send_nothing_and_judge_the_recorded_packets() {
    let client = corpus("client_stream");
    let server = corpus("server_stream");
    let mut rng = SeededRng::new(3);
    let observed = drive(&mut ServerHandshake::observer(), &client, &[], &mut rng);
    let answered = server_run(&client, &[]);
    assert_eq!(observed.consumed, HANDSHAKE_LEN);
    assert_eq!(transmitted(&observed), Vec::<u8>::new());
    assert_eq!(violations(&observed), []);
    assert_eq!(event(&observed), event(&answered));
    let observed = drive(&mut ClientHandshake::observer(), &server, &[], &mut rng);
    let answered = client_run(COMPLEX0, &server, &[]);
    assert_eq!(observed.consumed, HANDSHAKE_LEN);
    assert_eq!(transmitted(&observed), Vec::<u8>::new());
    assert_eq!(violations(&observed), []);
    assert_eq!(event(&observed), event(&answered));
    // A broken digest in C1 is still judged.
    let mut broken = client.clone();
    broken[1 + 8..1 + PACKET_LEN].fill(0);
    let observed = drive(&mut ServerHandshake::observer(), &broken, &[], &mut rng);
    let found = violations(&observed);
    assert_eq!(found.first().map(|v| v.0), Some(HANDSHAKE_DIGEST.id));
    assert_eq!(found, violations(&server_run(&broken, &[]))[..1]);
}

// --- Our client against our server -------------------------------------------------------------

/// Runs both machines against each other, delivering each side's bytes in pieces of `piece`.
fn converse(kind: ClientKind, piece: usize) -> (Transcript, Transcript) {
    let mut rng = SeededRng::new(99);
    let mut client = ClientHandshake::new(kind, 10, &mut rng);
    let mut server = ServerHandshake::new(20);
    let mut client_log = Transcript {
        outputs: Vec::new(),
        consumed: 0,
        error: None,
    };
    let mut server_log = Transcript {
        outputs: Vec::new(),
        consumed: 0,
        error: None,
    };
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    for _ in 0..2 * HANDSHAKE_LEN {
        for out in std::iter::from_fn(|| client.poll_output()) {
            if let Output::Transmit(bytes) = &out {
                to_server.extend_from_slice(bytes);
            }
            client_log.outputs.push(out);
        }
        for out in std::iter::from_fn(|| server.poll_output()) {
            if let Output::Transmit(bytes) = &out {
                to_client.extend_from_slice(bytes);
            }
            server_log.outputs.push(out);
        }
        if client.is_done() && server.is_done() {
            break;
        }
        let n = piece.min(to_server.len());
        let consumed = server
            .handle_input(&to_server[..n], &mut rng)
            .expect("server accepts");
        assert_eq!(consumed, n);
        to_server.drain(..n);
        server_log.consumed += consumed;
        let n = piece.min(to_client.len());
        let consumed = client
            .handle_input(&to_client[..n], &mut rng)
            .expect("client accepts");
        assert_eq!(consumed, n);
        to_client.drain(..n);
        client_log.consumed += consumed;
    }
    assert!(client.is_done() && server.is_done(), "handshake finished");
    (client_log, server_log)
}

#[test]
fn our_client_and_server_agree_in_every_kind() {
    for kind in [HandshakeKind::Simple, COMPLEX0, COMPLEX1] {
        for piece in [1, 700, HANDSHAKE_LEN] {
            let (client, server) = converse(kind, piece);
            assert_eq!(
                (client.consumed, server.consumed),
                (HANDSHAKE_LEN, HANDSHAKE_LEN)
            );
            assert_eq!(violations(&client), [], "{kind:?}");
            assert_eq!(violations(&server), [], "{kind:?}");
            let version = |v: [u8; 4]| {
                if kind == HandshakeKind::Simple {
                    [0; 4]
                } else {
                    v
                }
            };
            assert_eq!(
                event(&server),
                Some(HandshakeInfo {
                    kind,
                    peer_version: version([9, 0, 124, 2]),
                    peer_time: 10
                })
            );
            assert_eq!(
                event(&client),
                Some(HandshakeInfo {
                    kind,
                    peer_version: version([3, 5, 1, 1]),
                    peer_time: 20
                })
            );
        }
    }
}

#[test]
fn our_client_sends_c0c1_at_once_and_c2_after_s1() {
    let mut rng = SeededRng::new(1);
    let mut client = ClientHandshake::new(COMPLEX1, 5, &mut rng);
    let Some(Output::Transmit(c0c1)) = client.poll_output() else {
        panic!("C0C1 first")
    };
    assert_eq!(c0c1.len(), 1 + PACKET_LEN);
    assert_eq!(c0c1[..9], [3, 0, 0, 0, 5, 9, 0, 124, 2]);
    assert_eq!(
        find_digest(&c0c1[1..], FLASH_PLAYER_KEY),
        Some(DigestScheme::Scheme1)
    );
    assert_eq!(client.poll_output(), None);

    let server = server_run(&c0c1, &[]);
    let s0s1s2 = transmitted(&server);
    assert_eq!(
        client.handle_input(&s0s1s2[..1 + PACKET_LEN], &mut rng),
        Ok(1 + PACKET_LEN)
    );
    let Some(Output::Transmit(c2)) = client.poll_output() else {
        panic!("C2 after S1")
    };
    assert_eq!(c2.len(), PACKET_LEN);
    assert!(!client.is_done());
    assert_eq!(client.poll_output(), None);
}

// --- Split invariance ---------------------------------------------------------------------------

/// Valid C0C1C2 from our client (in `kind`), answering our server, then chunk bytes.
fn client_bytes(kind: ClientKind) -> Vec<u8> {
    let mut rng = SeededRng::new(5);
    let mut client = ClientHandshake::new(kind, 1, &mut rng);
    let c0c1 = transmitted(&drive(&mut client, &[], &[], &mut rng));
    let s0s1s2 = transmitted(&server_run(&c0c1, &[]));
    let c2 = transmitted(&drive(&mut client, &s0s1s2, &[], &mut rng));
    [c0c1, c2, vec![0xC3; 40]].concat()
}

fn kinds() -> impl Strategy<Value = ClientKind> {
    prop_oneof![Just(HandshakeKind::Simple), Just(COMPLEX0), Just(COMPLEX1)]
}

fn cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..=len, 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn server_outputs_do_not_depend_on_splits(kind in kinds(), flip in proptest::option::of((0..HANDSHAKE_LEN, 1..=255u8)), cuts in cuts(HANDSHAKE_LEN + 40)) {
        let mut input = client_bytes(kind);
        if let Some((at, mask)) = flip {
            input[at] ^= mask;
        }
        let whole = server_run(&input, &[]);
        prop_assert_eq!(&server_run(&input, &split::every_byte(input.len())), &whole);
        prop_assert_eq!(&server_run(&input, &cuts), &whole);
        if whole.error.is_none() {
            prop_assert_eq!(whole.consumed, HANDSHAKE_LEN);
        }
    }

    #[test]
    fn client_outputs_do_not_depend_on_splits(kind in kinds(), server_kind in kinds(), flip in proptest::option::of((0..HANDSHAKE_LEN, 1..=255u8)), cuts in cuts(HANDSHAKE_LEN + 40)) {
        let mut input = transmitted(&server_run(&client_bytes(server_kind), &[]));
        input.extend_from_slice(&[0x02; 40]);
        if let Some((at, mask)) = flip {
            input[at] ^= mask;
        }
        let whole = client_run(kind, &input, &[]);
        prop_assert_eq!(&client_run(kind, &input, &split::every_byte(input.len())), &whole);
        prop_assert_eq!(&client_run(kind, &input, &cuts), &whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_or_overrun(input in proptest::collection::vec(any::<u8>(), 0..4000), cuts in cuts(4000)) {
        let server = server_run(&input, &cuts);
        prop_assert!(server.consumed <= input.len().min(HANDSHAKE_LEN));
        prop_assert_eq!(&server, &server_run(&input, &[]));
        let client = client_run(COMPLEX0, &input, &cuts);
        prop_assert!(client.consumed <= input.len().min(HANDSHAKE_LEN));
        prop_assert_eq!(&client, &client_run(COMPLEX0, &input, &[]));
    }
}

// --- Bad input ----------------------------------------------------------------------------------

#[test]
fn truncated_handshake_waits_without_error() {
    let input = client_bytes(COMPLEX0);
    for len in [
        0,
        1,
        100,
        1 + PACKET_LEN - 1,
        1 + PACKET_LEN,
        HANDSHAKE_LEN - 1,
    ] {
        let mut server = ServerHandshake::new(0);
        assert_eq!(
            server.handle_input(&input[..len], &mut SeededRng::new(1)),
            Ok(len)
        );
        assert!(!server.is_done());
        let outputs: Vec<_> = std::iter::from_fn(|| server.poll_output()).collect();
        // S0S1S2 goes out as soon as C1 is complete, and nothing else before C2.
        match outputs.as_slice() {
            [] => assert!(len < C2_OFFSET as usize),
            [Output::Transmit(reply)] => {
                assert!(len >= C2_OFFSET as usize);
                assert_eq!(reply.len(), HANDSHAKE_LEN);
            }
            other => panic!("unexpected outputs at {len}: {other:?}"),
        }
    }
}

#[test]
fn c0_other_than_3_is_fatal_and_named() {
    let table: [(u8, &str); 5] = [
        (6, "C0 version 6: RTMPE (encrypted RTMP) is not supported"),
        (
            8,
            "C0 version 8: RTMPE with XTEA-encrypted signatures is not supported",
        ),
        (0xFF, "C0 version 255: unknown version, only 3 is defined"),
        (b'G', "C0 version 71: this looks like HTTP, not RTMP"),
        (
            0x16,
            "C0 version 22: this is a TLS record: RTMPS sent to a plain RTMP endpoint",
        ),
    ];
    for (version, detail) in table {
        let mut input = client_bytes(COMPLEX0);
        input[0] = version;
        let transcript = server_run(&input, &[]);
        let error = transcript.error.expect("fatal");
        assert_eq!(
            (error.rule, error.offset, error.detail.as_str()),
            (Some(&HANDSHAKE_VERSION), 0, detail)
        );
        assert_eq!(transcript.outputs, []);
        assert_eq!(
            error.to_string(),
            format!("rtmp.handshake.version (RTMP 1.0 §5.2.2) at byte 0: {detail}")
        );
        // The machine stays closed.
        let mut server = ServerHandshake::new(0);
        assert!(
            server
                .handle_input(&input[..1], &mut SeededRng::new(1))
                .is_err()
        );
        assert_eq!(
            server.handle_input(&[3], &mut SeededRng::new(1)),
            Err(error)
        );
    }
}

#[test]
fn s0_other_than_3_is_fatal_for_the_client() {
    let transcript = client_run(HandshakeKind::Simple, &[6; HANDSHAKE_LEN], &[]);
    let error = transcript.error.expect("fatal");
    assert_eq!((error.rule, error.offset), (Some(&HANDSHAKE_S0_VERSION), 0));
    assert_eq!(
        error.detail,
        "S0 version 6: RTMPE (encrypted RTMP) is not supported"
    );
}

#[test]
fn garbage_c1_falls_back_to_simple_with_a_digest_violation() {
    let mut input = vec![3];
    input.extend((0..2 * PACKET_LEN).map(|i| (i * 31 % 253) as u8 | 1));
    let transcript = server_run(&input, &[]);
    assert_eq!(transcript.consumed, HANDSHAKE_LEN);
    assert_eq!(transcript.error, None);
    // C1 announces a version but has no digest; C2 does not echo our S1.
    assert_eq!(
        violations(&transcript),
        [(HANDSHAKE_DIGEST.id, 5), (HANDSHAKE_ECHO.id, C2_OFFSET + 8)]
    );
    let answer = transmitted(&transcript);
    let (s1, s2) = packets(&answer);
    assert_eq!(s1[4..8], [0; 4], "simple S1");
    assert_eq!(s2[8..], input[9..1 + PACKET_LEN], "S2 echoes C1");
    assert_eq!(
        event(&transcript).map(|info| info.kind),
        Some(HandshakeKind::Simple)
    );
}

#[test]
fn zero_c1_is_simple_without_violation_and_echo_c2_passes() {
    let mut input = vec![3];
    input.extend([0; PACKET_LEN]);
    let mut server = ServerHandshake::new(0);
    assert_eq!(
        server.handle_input(&input, &mut SeededRng::new(3)),
        Ok(1 + PACKET_LEN)
    );
    let Some(Output::Transmit(answer)) = server.poll_output() else {
        panic!("S0S1S2")
    };
    let c2 = &answer[1..1 + PACKET_LEN]; // echo S1 exactly
    assert_eq!(
        server.handle_input(c2, &mut SeededRng::new(3)),
        Ok(PACKET_LEN)
    );
    assert_eq!(
        server.poll_output(),
        Some(Output::Event(HandshakeInfo {
            kind: HandshakeKind::Simple,
            peer_version: [0; 4],
            peer_time: 0
        }))
    );
    assert_eq!(server.poll_output(), None);
    assert!(server.is_done());
    assert_eq!(
        server.handle_input(&[1, 2, 3], &mut SeededRng::new(3)),
        Ok(0),
        "chunks are not ours"
    );
}
