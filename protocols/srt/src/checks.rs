//! The handshake and connection checks the machines make, as pure functions, so that the
//! [`Listener`](crate::Listener), the [`Caller`](crate::Caller), the connection machine and the
//! harness's SRT observer (which only watches both peers) judge a packet with one piece of
//! code (draft-sharabayko-srt-01 §3.2.4, §3.2.5, §4.3.1).

use crate::extension::{Extension, MAX_STREAM_ID_LEN, SrtOptions};
use crate::handshake::{Handshake, HandshakeType, RejectReason};
use crate::rules::{
    CONNECTION_ACK_RANGE, CONNECTION_NAK_RANGE, HANDSHAKE_CONCLUSION_VERSION, HANDSHAKE_CONGESTION,
    HANDSHAKE_HSREQ_MISSING, HANDSHAKE_HSRSP_MISSING, HANDSHAKE_INDUCTION_COOKIE,
    HANDSHAKE_LATENCY, HANDSHAKE_LISTENER_TYPE,
};
use crate::seq::SeqNumber;
use weir_media::Violation;

/// Why a listener refuses a conclusion request: the reason it answers with, and the rule the
/// caller broke, if one did (a full backlog or a long stream id breaks none here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rejection reason sent back (libsrt's).
    pub reason: RejectReason,
    /// The rule broken, offset 0 (the handshake).
    pub violation: Option<Violation>,
}

/// A caller's induction request carries no cookie yet (draft §4.3.1.1).
pub fn induction_request(request: &Handshake) -> Option<Violation> {
    (request.syn_cookie != 0).then(|| {
        Violation::new(
            &HANDSHAKE_INDUCTION_COOKIE,
            0,
            format!("induction request with cookie {:#x}", request.syn_cookie),
        )
    })
}

/// Judges a conclusion request as a live listener does (draft §4.3.1.2), the cookie aside: the
/// caller's SRT options, or why it is refused.
pub fn conclusion_request(request: &Handshake) -> Result<SrtOptions, Refusal> {
    let refuse = |reason, violation| Err(Refusal { reason, violation });
    if request.version != 5 {
        let detail = format!("conclusion version {}", request.version);
        let v = Violation::new(&HANDSHAKE_CONCLUSION_VERSION, 0, detail);
        return refuse(RejectReason::VERSION, Some(v));
    }
    let Some(options) = request.srt_options().copied() else {
        let detail = "a version-5 conclusion without HSREQ";
        let v = Violation::new(&HANDSHAKE_HSREQ_MISSING, 0, detail);
        return refuse(RejectReason::ROGUE, Some(v));
    };
    if request
        .stream_id()
        .is_some_and(|s| s.len() > MAX_STREAM_ID_LEN)
    {
        return refuse(RejectReason::ROGUE, None);
    }
    let congestion = request.extensions.iter().find_map(|e| match e {
        Extension::Congestion(name) => Some(name.clone()),
        _ => None,
    });
    if let Some(name) = congestion.filter(|name| name != "live") {
        let detail = format!("congestion controller {name:?} asked of a live listener");
        let v = Violation::new(&HANDSHAKE_CONGESTION, 0, detail);
        return refuse(RejectReason::CONGESTION, Some(v));
    }
    Ok(options)
}

/// Judges the listener's conclusion answer to a caller that asked for `latency_ms` as
/// receiver and `peer_latency_ms` for the listener (its HSREQ's delays, draft §4.3.1.2):
/// the HSRSP's options and a latency below the asked one, or the missing HSRSP (the caller
/// then gives up as libsrt does, with `ROGUE`).
pub fn conclusion_response(
    response: &Handshake,
    latency_ms: u16,
    peer_latency_ms: u16,
) -> Result<(SrtOptions, Option<Violation>), Violation> {
    let Some(options) = response.srt_options().copied() else {
        let detail = "the listener's conclusion has no HSRSP";
        return Err(Violation::new(&HANDSHAKE_HSRSP_MISSING, 0, detail));
    };
    // The listener's receiver delay is the caller's sending latency, its sender delay the
    // caller's receiving latency; each at least what was asked.
    let (recv, send) = (options.send_delay_ms, options.recv_delay_ms);
    let low = (recv < latency_ms || send < peer_latency_ms).then(|| {
        Violation::new(
            &HANDSHAKE_LATENCY,
            0,
            format!(
                "HSRSP delays {}/{} ms below the requested {peer_latency_ms}/{latency_ms} ms",
                options.recv_delay_ms, options.send_delay_ms,
            ),
        )
    });
    Ok((options, low))
}

/// An ACK up to `last_ack` when the packets before `sent_end` were sent (draft §3.2.4).
pub fn ack_range(last_ack: SeqNumber, sent_end: SeqNumber) -> Option<Violation> {
    sent_end.before(last_ack).then(|| {
        let detail = format!("ACK up to {last_ack}, but only packets before {sent_end} were sent");
        Violation::new(&CONNECTION_ACK_RANGE, 0, detail)
    })
}

/// A NAK range `first..=last` when the packets before `sent_end` were sent (draft §3.2.5).
pub fn nak_range(first: SeqNumber, last: SeqNumber, sent_end: SeqNumber) -> Option<Violation> {
    (sent_end.sub(1).before(last) || last.before(first)).then(|| {
        let detail =
            format!("NAK for {first}..={last}, but only packets before {sent_end} were sent");
        Violation::new(&CONNECTION_NAK_RANGE, 0, detail)
    })
}

/// A handshake a caller sends a listener: only induction and conclusion (draft §4.3.1);
/// wavehand, agreement and done belong to rendezvous. Rejections are left to the caller.
pub fn listener_type(kind: HandshakeType) -> Option<Violation> {
    match kind {
        HandshakeType::Induction | HandshakeType::Conclusion | HandshakeType::Rejection(_) => None,
        kind => Some(Violation::new(
            &HANDSHAKE_LISTENER_TYPE,
            0,
            format!("a {kind:?} handshake sent to a listener"),
        )),
    }
}
