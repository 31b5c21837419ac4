//! The feedback behaviour rules (`rtp.behaviour.*`, weir_rtp::behaviour), each fired by a
//! crafted session that breaks it and quiet on one that keeps it: side 0 sends media (H.264
//! on SSRC 0x1111, RTX on payload type 97, transport-wide sequence numbers in extension 3),
//! side 1 sends the feedback.

use bytes::Bytes;
use std::time::{Duration, Instant};
use weir_rtp::RtpPacket;
use weir_rtp::behaviour::{Behaviour, Limits};
use weir_rtp::extension::{Element, write};
use weir_rtp::rtcp::{FeedbackSsrcs, Fir, FirEntry, Nack, Packet, Pli, TransportFeedback};
use weir_rtp::rules::CATALOG;

/// Side 0's video source, and its RTX stream (RFC 4588) on payload type 97.
const MEDIA: u32 = 0x1111;
const RTX: u32 = 0x2222;
const RTX_PT: u8 = 97;

/// One step of a session, at a time in milliseconds.
enum Step {
    /// Side 0 sends MEDIA's `seq` with transport-wide number `twcc`.
    Send(u64, u16, u16),
    /// Side 0 resends `seq` by RTX (its own sequence number `rtx_seq`).
    Rtx(u64, u16, u16),
    /// Side 0 sends a keyframe of MEDIA.
    Keyframe(u64),
    /// Side 1 sends feedback.
    Feedback(u64, Packet),
}

/// Feedback from side 1 (SSRC 0x9999) about `media`.
fn ssrcs(media: u32) -> FeedbackSsrcs {
    FeedbackSsrcs {
        sender: 0x9999,
        media,
    }
}

fn nack(at: u64, lost: &[u16]) -> Step {
    Step::Feedback(at, Packet::Nack(Nack::from_lost(ssrcs(MEDIA), lost)))
}

fn pli(at: u64, media: u32) -> Step {
    Step::Feedback(
        at,
        Packet::Pli(Pli {
            ssrcs: ssrcs(media),
        }),
    )
}

fn fir(at: u64) -> Step {
    let entries = vec![FirEntry {
        ssrc: MEDIA,
        seq: 1,
    }];
    Step::Feedback(
        at,
        Packet::Fir(Fir {
            ssrcs: ssrcs(0),
            entries,
        }),
    )
}

/// Transport-wide feedback: count `count`, from `base`, each of `received` received or not.
fn twcc(at: u64, count: u8, base: u16, received: &[bool]) -> Step {
    let deltas = received.iter().map(|&r| r.then_some(4)).collect();
    let feedback = TransportFeedback {
        ssrcs: ssrcs(MEDIA),
        base_seq: base,
        reference_time: 0,
        fb_pkt_count: count,
        deltas,
    };
    Step::Feedback(at, Packet::TransportFeedback(feedback))
}

/// The `a=extmap` ID of transport-wide sequence numbers.
const TWCC_ID: u8 = 3;

fn packet(ssrc: u32, pt: u8, seq: u16, twcc: u16, payload: Vec<u8>) -> RtpPacket {
    let element = Element {
        id: TWCC_ID,
        data: Bytes::copy_from_slice(&twcc.to_be_bytes()),
    };
    RtpPacket {
        marker: true,
        payload_type: pt,
        sequence: seq,
        timestamp: 0,
        ssrc,
        csrcs: Vec::new(),
        extension: Some(write(&[element]).unwrap()),
        payload: payload.into(),
        padding: 0,
    }
}

/// The violations a session of `steps` gives (rule id, side), ended 10 s after its start.
fn session(steps: &[Step]) -> Vec<(&'static str, usize)> {
    let start = Instant::now();
    let at = |ms: u64| start + Duration::from_millis(ms);
    let mut judge = Behaviour::new(Limits::default());
    judge.set_transport_sequence_id(Some(TWCC_ID));
    judge.set_rtx_payload_types([RTX_PT]);
    for (offset, step) in (0u64..).zip(steps) {
        match step {
            Step::Send(ms, seq, t) => {
                judge.on_rtp(0, at(*ms), offset, &packet(MEDIA, 102, *seq, *t, vec![1]))
            }
            Step::Rtx(ms, seq, rtx_seq) => {
                let mut payload = seq.to_be_bytes().to_vec();
                payload.push(1);
                judge.on_rtp(
                    0,
                    at(*ms),
                    offset,
                    &packet(RTX, RTX_PT, *rtx_seq, 900, payload),
                );
            }
            Step::Keyframe(ms) => judge.on_keyframe(0, at(*ms), MEDIA),
            Step::Feedback(ms, p) => judge.on_rtcp(1, at(*ms), offset, std::slice::from_ref(p)),
        }
    }
    judge.finish(at(10_000));
    std::iter::from_fn(|| judge.poll_violation())
        .map(|(side, v)| (v.rule.id, side))
        .collect()
}

/// Media seq 10..=14 with transport-wide numbers 100..=104, 20 ms apart, a keyframe first.
fn media() -> Vec<Step> {
    let mut steps = vec![Step::Keyframe(0)];
    steps.extend((0..5u16).map(|i| Step::Send(u64::from(i) * 20, 10 + i, 100 + i)));
    steps
}

fn with(mut steps: Vec<Step>, more: Vec<Step>) -> Vec<Step> {
    steps.extend(more);
    steps
}

type Case = (&'static str, fn() -> Vec<Step>, fn() -> Vec<Step>);

/// Each rule: a session that breaks it (one violation, by the side named in `session`'s
/// output) and the nearest session that keeps it.
const TABLE: &[Case] = &[
    (
        "rtp.behaviour.nack-retransmit",
        // 12 NACKed at 200 ms, never sent again.
        || with(media(), vec![nack(200, &[12]), Step::Send(2000, 15, 105)]),
        // Sent again by RTX 30 ms later; 40 (never sent) NACKed too, and not owed.
        || {
            with(
                media(),
                vec![
                    nack(200, &[12, 40]),
                    Step::Rtx(230, 12, 1),
                    Step::Send(2000, 15, 105),
                ],
            )
        },
    ),
    (
        "rtp.behaviour.pli-keyframe",
        || with(media(), vec![pli(200, MEDIA)]),
        || with(media(), vec![pli(200, MEDIA), Step::Keyframe(1200)]),
    ),
    (
        "rtp.behaviour.fir-keyframe",
        || with(media(), vec![fir(200)]),
        || with(media(), vec![fir(200), Step::Keyframe(400)]),
    ),
    (
        "rtp.behaviour.twcc-unsent",
        // 105 reported received; the sender stopped at 104.
        || with(media(), vec![twcc(200, 0, 100, &[true; 6])]),
        || {
            with(
                media(),
                vec![twcc(200, 0, 100, &[true, false, true, true, true])],
            )
        },
    ),
    (
        "rtp.behaviour.twcc-count",
        // Count 0, then 2.
        || {
            with(
                media(),
                vec![twcc(100, 0, 100, &[true; 3]), twcc(200, 2, 103, &[true; 2])],
            )
        },
        || {
            with(
                media(),
                vec![
                    twcc(100, 255, 100, &[true; 3]),
                    twcc(200, 0, 103, &[true; 2]),
                ],
            )
        },
    ),
    (
        "rtp.behaviour.twcc-gap",
        // 100-101, then 104: 102 and 103 (sent) never reported.
        || {
            with(
                media(),
                vec![twcc(100, 0, 100, &[true; 2]), twcc(200, 1, 104, &[true])],
            )
        },
        // Overlap is allowed: 100-102, then 101-104.
        || {
            with(
                media(),
                vec![twcc(100, 0, 100, &[true; 3]), twcc(200, 1, 101, &[true; 4])],
            )
        },
    ),
    (
        "rtp.behaviour.feedback-ssrc",
        // A PLI for a source side 0 never sent.
        || with(media(), vec![pli(200, 0x7777)]),
        || with(media(), vec![pli(200, MEDIA), Step::Keyframe(300)]),
    ),
];

#[test]
fn every_rule_fires_on_the_session_that_breaks_it_and_not_on_the_one_that_keeps_it() {
    for (rule, broken, kept) in TABLE {
        let fired = session(&broken());
        // Feedback about a source is judged by the side that sent the feedback (1); the
        // others by the media sender (0).
        let side = match *rule {
            "rtp.behaviour.nack-retransmit"
            | "rtp.behaviour.pli-keyframe"
            | "rtp.behaviour.fir-keyframe" => 0,
            _ => 1,
        };
        assert_eq!(fired, [(*rule, side)], "{rule}");
        assert_eq!(session(&kept()), [], "{rule}: the session that keeps it");
    }
}

#[test]
fn the_table_names_every_rule_of_the_section() {
    let section: Vec<_> = CATALOG
        .iter()
        .copied()
        .filter(|r| r.id.starts_with("rtp.behaviour."))
        .collect();
    let table: Vec<_> = TABLE
        .iter()
        .map(|(id, broken, _)| {
            (
                *id,
                session(&broken()).into_iter().map(|(r, _)| r).collect(),
            )
        })
        .collect();
    weir_testkit::rule_table::check(&section, &table);
}

#[test]
fn a_retransmission_with_its_own_ssrc_and_number_answers_a_nack() {
    let steps = with(media(), vec![nack(200, &[11]), Step::Send(250, 11, 105)]);
    assert_eq!(session(&steps), []);
}

#[test]
fn what_is_still_due_when_the_session_ends_is_judged_only_past_its_bound() {
    // A PLI at 9.5 s: its 5 s had not run out when the session ended at 10 s.
    assert_eq!(session(&with(media(), vec![pli(9500, MEDIA)])), []);
}

#[test]
fn a_keyframe_is_asked_of_audio_or_unknown_video_without_judgement() {
    // No keyframe seen of the source before: PLI not judged (its keyframes are not known).
    let steps: Vec<Step> = vec![Step::Send(0, 1, 1), pli(100, MEDIA)];
    assert_eq!(session(&steps), []);
}

#[test]
fn expectations_past_the_limit_are_counted_not_judged() {
    let limits = Limits {
        max_pending: 1,
        ..Limits::default()
    };
    let start = Instant::now();
    let mut judge = Behaviour::new(limits);
    let sent = packet(MEDIA, 102, 10, 0, vec![1]);
    judge.on_rtp(0, start, 0, &sent);
    let mut second = sent.clone();
    second.sequence = 11;
    judge.on_rtp(0, start, 1, &second);
    let nack = Packet::Nack(Nack::from_lost(ssrcs(MEDIA), &[10, 11]));
    judge.on_rtcp(1, start, 0, &[nack]);
    assert_eq!(judge.skipped(), 1);
}
