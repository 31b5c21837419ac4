//! The WHIP/WHEP cases: signalling (offers of several shapes, DELETE, trickle PATCH, bad
//! requests, tokens) and the media round ([`super::media`]), each judged on what the server
//! answered. A case that creates a session deletes it before it ends.

use reqwest::{Method, Url};
use weir_sdp::rules as sdp;
use weir_sdp::{SessionDescription, Setup};

use super::http::{Reply, Request, SDP, SDPFRAG};
use super::media::{self, Round};
use super::offer::{self, Flavour, Shape, Side, Video};
use super::rules as live;
use super::{Case, Ctx};
use crate::probe::{Outcome, Step};

/// The offer/answer rules every accepted offer is held to.
const ANSWER_RULES: &[&weir_media::Rule] = &[
    &live::CREATED,
    &sdp::OA_M_LINE_COUNT,
    &sdp::OA_MEDIA_TYPE,
    &sdp::OA_PAYLOAD_TYPE,
    &sdp::OA_MID,
    &sdp::OA_BUNDLE_SUBSET,
    &sdp::OA_BUNDLE_TAG,
    &sdp::OA_RTCP_MUX,
    &sdp::OA_DIRECTION,
    &sdp::ICE_CREDENTIALS,
    &sdp::DTLS_FINGERPRINT_MISSING,
    &sdp::DTLS_FINGERPRINT_HASH,
    &sdp::DTLS_SETUP_ANSWER,
];

use crate::probe::case_with as case;

/// Every case, in the order they run.
pub const CASES: &[Case] = &[
    case!(
        "whip.offer.chromium",
        ANSWER_RULES,
        "A Chromium-like offer (Opus; H.264 and VP8 with RTX; BUNDLE, rtcp-mux, trickle) gets 201, application/sdp, a Location, and a valid answer (ICE credentials, fingerprint, setup active or passive).",
        |ctx| offered(ctx, Shape::new(Side::Whip, Flavour::Chromium)),
    ),
    case!(
        "whip.offer.firefox",
        ANSWER_RULES,
        "A Firefox-like offer (session-level fingerprint, Firefox's payload types) gets 201 and a valid answer.",
        |ctx| offered(ctx, Shape::new(Side::Whip, Flavour::Firefox)),
    ),
    case!(
        "whip.offer.audio-only",
        ANSWER_RULES,
        "An offer of Opus alone gets 201 and a valid answer.",
        |ctx| {
            offered(
                ctx,
                Shape {
                    video: Video::None,
                    ..Shape::new(Side::Whip, Flavour::Chromium)
                },
            )
        },
    ),
    case!(
        "whip.offer.video-only",
        ANSWER_RULES,
        "An offer of video alone gets 201 and a valid answer.",
        |ctx| {
            offered(
                ctx,
                Shape {
                    audio: false,
                    ..Shape::new(Side::Whip, Flavour::Chromium)
                },
            )
        },
    ),
    case!(
        "whip.offer.h264-mode0",
        &[&live::H264_MODE, &live::CREATED],
        "An offer of H.264 packetization-mode=0 only is answered with mode 0 (or refused with an error status), never with mode 1.",
        h264_mode0,
    ),
    case!(
        "whip.offer.no-common-codec",
        &[&live::NO_COMMON_CODEC],
        "An offer whose only codec no server knows is refused with an HTTP error status.",
        no_common_codec,
    ),
    case!(
        "whep.offer.chromium",
        ANSWER_RULES,
        "With a WHIP session on the stream, a Chromium-like recvonly offer to the WHEP endpoint gets 201 and a valid answer.",
        |ctx| offered(ctx, Shape::new(Side::Whep, Flavour::Chromium)),
    ),
    case!(
        "whep.offer.firefox",
        ANSWER_RULES,
        "With a WHIP session on the stream, a Firefox-like recvonly offer to the WHEP endpoint gets 201 and a valid answer.",
        |ctx| offered(ctx, Shape::new(Side::Whep, Flavour::Firefox)),
    ),
    case!(
        "whip.delete",
        &[&live::DELETE],
        "A DELETE of the WHIP session's Location is answered with 200.",
        |ctx| delete(ctx, Side::Whip, false),
    ),
    case!(
        "whip.delete-again",
        &[&live::DELETE_GONE],
        "A second DELETE of the same WHIP session is answered with 404.",
        |ctx| delete(ctx, Side::Whip, true),
    ),
    case!(
        "whep.delete",
        &[&live::DELETE],
        "A DELETE of the WHEP session's Location is answered with 200.",
        |ctx| delete(ctx, Side::Whep, false),
    ),
    case!(
        "whip.trickle",
        &[&live::TRICKLE],
        "A PATCH of application/trickle-ice-sdpfrag (a candidate, end-of-candidates) is answered with 204, or 405/501 when trickle ICE is not supported.",
        trickle,
    ),
    case!(
        "whip.trickle.if-match",
        &[&live::IF_MATCH],
        "When the session gave an ETag, a PATCH with If-Match of another tag is answered with 412.",
        if_match,
    ),
    case!(
        "whip.malformed-offer",
        &[&live::MALFORMED_OFFER],
        "A POST of application/sdp whose body is not SDP is answered with 400.",
        malformed,
    ),
    case!(
        "whip.content-type",
        &[&live::CONTENT_TYPE],
        "A POST of a valid offer as text/plain is answered with 415.",
        content_type,
    ),
    case!(
        "whip.options",
        &[&live::OPTIONS],
        "A CORS preflight OPTIONS is answered with a 2xx that allows POST (or 405 when the endpoint offers none).",
        options,
    ),
    case!(
        "whip.auth.missing",
        &[&live::AUTH],
        "With a token (--token, or a server that demands one), a POST without it is answered with 401.",
        auth_missing,
    ),
    case!(
        "whip.auth.bad",
        &[&live::AUTH],
        "With a token (--token, or a server that demands one), a POST with a wrong one is answered with 401 or 403.",
        auth_bad,
    ),
    case!(
        "media.relay",
        &[&live::RELAY],
        "Our str0m client publishes 2 s of generated H.264 (IDR + P) and Opus by WHIP; a WHEP player of the same stream gets every frame, byte for byte, in order.",
        relay,
    ),
    case!(
        "media.dtls-role",
        &[&live::DTLS_ROLE, &sdp::DTLS_SETUP_ANSWER],
        "In the media round, the server takes the DTLS role its answer's setup names (active: it sends the ClientHello; passive: it waits for ours).",
        dtls_role,
    ),
    case!(
        "media.forged-fingerprint",
        &[&live::FINGERPRINT],
        "While our str0m client publishes by WHIP, a str0m player whose WHEP offer names a fingerprint that is not its certificate's gets no media: the server refuses the DTLS handshake, or checks the fingerprint after it and sends nothing.",
        forged_fingerprint,
    ),
    case!(
        "media.consent",
        &[&live::CONSENT],
        "In the media round, once connected, the server answers our STUN Binding request (its ICE credentials, integrity) on both sessions.",
        consent,
    ),
];

/// A session a case made: deleted when dropped.
struct Session<'a> {
    ctx: &'a Ctx,
    resource: Option<Url>,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(resource) = self.resource.take() {
            let _ = self
                .ctx
                .http
                .send(Request::new(Method::DELETE, &resource).token(self.ctx.token()));
        }
    }
}

impl Ctx {
    fn post(&self, url: &Url, content_type: &str, body: &str, token: Option<&str>) -> Step<Reply> {
        self.http
            .send(
                Request::new(Method::POST, url)
                    .body(content_type, body)
                    .token(token),
            )
            .map_err(Outcome::error)
    }

    /// POSTs an offer with the run's token; the session it made, if any, is deleted when
    /// the returned one drops.
    fn offer(&self, side: Side, text: &str) -> Step<(Reply, Session<'_>)> {
        let url = self.endpoint(side);
        let reply = self.post(&url, SDP, text, self.token())?;
        let resource = (reply.status == 201)
            .then(|| reply.header("location").and_then(|l| url.join(l).ok()))
            .flatten();
        Ok((
            reply,
            Session {
                ctx: self,
                resource,
            },
        ))
    }

    /// A WHIP session on the case's stream (signalling only), so that WHEP has a stream.
    fn publish_signalling(&self) -> Step<Session<'_>> {
        let text = offer::offer(Shape::new(Side::Whip, Flavour::Chromium));
        let (reply, session) = self.offer(Side::Whip, &text)?;
        if reply.status != 201 {
            return Err(Outcome::error(format!(
                "no WHIP session to play from: {}",
                reply.summary()
            )));
        }
        Ok(session)
    }
}

/// A WHEP 404 while the WHIP session only signalled: the server may wait for media before
/// a stream exists, so the case is not judged.
fn unplayable(side: Side, reply: &Reply) -> Step<()> {
    if side == Side::Whep && reply.status == 404 {
        return Err(Outcome::Skipped(format!(
            "no stream to play ({}): the WHIP session sent no media, which a server may wait for",
            reply.summary()
        )));
    }
    Ok(())
}

/// Whether `reply` is 201 with an SDP body and a Location.
fn created(reply: &Reply) -> Result<(), Outcome> {
    let mut missing = Vec::new();
    if reply.status != 201 {
        missing.push(format!("status {}", reply.status));
    }
    if reply.media_type().as_deref() != Some(SDP) {
        missing.push(format!("Content-Type {:?}", reply.header("content-type")));
    }
    if reply.header("location").is_none() {
        missing.push("no Location".to_owned());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Outcome::fail(
            "201 Created, application/sdp, Location",
            format!("{}: {}", missing.join(", "), reply.summary()),
        ))
    }
}

/// The answer parsed and checked against the offer; `Err` names what it breaks.
fn checked_answer(offer: &str, reply: &Reply) -> Step<SessionDescription> {
    let (offered, _) = weir_sdp::parse(offer).map_err(|e| Outcome::error(e.to_string()))?;
    let (answer, _) = weir_sdp::parse(&reply.body)
        .map_err(|e| Outcome::fail("an SDP answer", format!("the body does not parse: {e}")))?;
    let broken = weir_sdp::check_answer(&offered, &answer);
    if !broken.is_empty() {
        let list: Vec<String> = broken
            .iter()
            .map(|v| format!("{}: {}", v.rule.id, v.detail))
            .collect();
        return Err(Outcome::fail(
            "an answer that fits the offer (RFC 3264, RFC 8829, RFC 8842)",
            list.join("; "),
        ));
    }
    Ok(answer)
}

/// What an answer chose, in a few words.
fn describe(answer: &SessionDescription) -> String {
    let ice = if answer.ice_lite() {
        "ICE-lite"
    } else {
        "full ICE"
    };
    let setup = answer
        .media
        .iter()
        .find_map(|m| m.setup(answer))
        .map_or("no setup".to_owned(), |s| format!("setup {s}"));
    let candidates: usize = answer.media.iter().map(|m| m.candidates().count()).sum();
    let codecs: Vec<String> = answer
        .media
        .iter()
        .map(|m| {
            if m.is_rejected() {
                format!("{} rejected", m.media)
            } else {
                let names: Vec<String> = m.codecs().iter().map(|c| c.name.clone()).collect();
                format!("{} {}", m.media, names.join("/"))
            }
        })
        .collect();
    format!(
        "{ice}, {setup}, {candidates} candidates, {}",
        codecs.join(", ")
    )
}

fn offered(ctx: &Ctx, shape: Shape) -> Step<Outcome> {
    let _publisher = match shape.side {
        Side::Whep => Some(ctx.publish_signalling()?),
        Side::Whip => None,
    };
    let text = offer::offer(shape);
    let (reply, _session) = ctx.offer(shape.side, &text)?;
    unplayable(shape.side, &reply)?;
    created(&reply)?;
    let answer = checked_answer(&text, &reply)?;
    Ok(Outcome::pass(describe(&answer)))
}

fn h264_mode0(ctx: &Ctx) -> Step<Outcome> {
    let text = offer::offer(Shape {
        audio: false,
        video: Video::H264Mode0,
        ..Shape::new(Side::Whip, Flavour::Chromium)
    });
    let (reply, _session) = ctx.offer(Side::Whip, &text)?;
    if (400..500).contains(&reply.status) {
        return Ok(Outcome::info(format!(
            "refused: {} (the server does not take mode 0)",
            reply.summary()
        )));
    }
    created(&reply)?;
    let answer = checked_answer(&text, &reply)?;
    let Some(video) = answer.media.first().filter(|m| !m.is_rejected()) else {
        return Ok(Outcome::info("the video m= line was rejected (port 0)"));
    };
    let modes: Vec<String> = video
        .codecs()
        .iter()
        .map(|c| {
            c.fmtp
                .as_ref()
                .and_then(|f| f.get("packetization-mode"))
                .unwrap_or("0")
                .to_owned()
        })
        .collect();
    if modes.iter().all(|m| m == "0") {
        Ok(Outcome::pass(format!(
            "answered with mode 0 ({})",
            describe(&answer)
        )))
    } else {
        Err(Outcome::fail(
            "packetization-mode=0 in the answer",
            format!("packetization-mode {}", modes.join(", ")),
        ))
    }
}

fn no_common_codec(ctx: &Ctx) -> Step<Outcome> {
    let text = offer::offer(Shape {
        audio: false,
        video: Video::Unknown,
        ..Shape::new(Side::Whip, Flavour::Chromium)
    });
    let (reply, _session) = ctx.offer(Side::Whip, &text)?;
    if (400..500).contains(&reply.status) {
        return Ok(Outcome::pass(reply.summary()));
    }
    let rejected = weir_sdp::parse(&reply.body)
        .ok()
        .is_some_and(|(sd, _)| !sd.media.is_empty() && sd.media.iter().all(|m| m.is_rejected()));
    let actual = if reply.status == 201 && rejected {
        format!("{}, every m= line rejected (port 0)", reply.summary())
    } else {
        reply.summary()
    };
    Err(Outcome::fail("a 4xx error status", actual))
}

fn delete(ctx: &Ctx, side: Side, again: bool) -> Step<Outcome> {
    let _publisher = match side {
        Side::Whep => Some(ctx.publish_signalling()?),
        Side::Whip => None,
    };
    let text = offer::offer(Shape::new(side, Flavour::Chromium));
    let (reply, mut session) = ctx.offer(side, &text)?;
    unplayable(side, &reply)?;
    created(&reply)?;
    let resource = session
        .resource
        .take()
        .ok_or_else(|| Outcome::fail("a Location to DELETE", reply.summary()))?;
    let send = || {
        ctx.http
            .send(Request::new(Method::DELETE, &resource).token(ctx.token()))
            .map_err(Outcome::error)
    };
    let first = send()?;
    if !again {
        return if first.status == 200 {
            Ok(Outcome::pass(format!("DELETE {resource}: 200")))
        } else {
            Err(Outcome::fail("200 OK", first.summary()))
        };
    }
    if !(200..300).contains(&first.status) {
        return Ok(Outcome::Skipped(format!(
            "the first DELETE failed: {}",
            first.summary()
        )));
    }
    let second = send()?;
    if second.status == 404 {
        Ok(Outcome::pass("second DELETE: 404"))
    } else {
        Err(Outcome::fail("404 Not Found", second.summary()))
    }
}

fn trickle(ctx: &Ctx) -> Step<Outcome> {
    let text = offer::offer(Shape::new(Side::Whip, Flavour::Chromium));
    let (reply, session) = ctx.offer(Side::Whip, &text)?;
    created(&reply)?;
    let Some(resource) = &session.resource else {
        return Err(Outcome::fail("a Location to PATCH", reply.summary()));
    };
    let mut request = Request::new(Method::PATCH, resource)
        .body(SDPFRAG, offer::sdpfrag(&text))
        .token(ctx.token());
    if let Some(etag) = reply.header("etag") {
        request = request.header("if-match", etag);
    }
    let patched = ctx.http.send(request).map_err(Outcome::error)?;
    match patched.status {
        204 => Ok(Outcome::pass("204 No Content")),
        405 | 501 => Ok(Outcome::info(format!(
            "trickle ICE not supported: {}",
            patched.summary()
        ))),
        _ => Err(Outcome::fail("204, or 405/501", patched.summary())),
    }
}

fn if_match(ctx: &Ctx) -> Step<Outcome> {
    let text = offer::offer(Shape::new(Side::Whip, Flavour::Chromium));
    let (reply, session) = ctx.offer(Side::Whip, &text)?;
    created(&reply)?;
    let Some(etag) = reply.header("etag") else {
        return Ok(Outcome::Skipped("the 201 carried no ETag".to_owned()));
    };
    let Some(resource) = &session.resource else {
        return Err(Outcome::fail("a Location to PATCH", reply.summary()));
    };
    let patched = ctx
        .http
        .send(
            Request::new(Method::PATCH, resource)
                .body(SDPFRAG, offer::sdpfrag(&text))
                .token(ctx.token())
                .header("if-match", "\"weir-not-the-etag\""),
        )
        .map_err(Outcome::error)?;
    match patched.status {
        412 => Ok(Outcome::pass(format!("ETag {etag}; a wrong If-Match: 412"))),
        405 | 501 => Ok(Outcome::Skipped(format!(
            "PATCH not supported: {}",
            patched.summary()
        ))),
        _ => Err(Outcome::fail("412 Precondition Failed", patched.summary())),
    }
}

fn malformed(ctx: &Ctx) -> Step<Outcome> {
    let (reply, _session) = ctx.offer(Side::Whip, "this is not a session description\r\n")?;
    if reply.status == 400 {
        Ok(Outcome::pass(reply.summary()))
    } else {
        Err(Outcome::fail("400 Bad Request", reply.summary()))
    }
}

fn content_type(ctx: &Ctx) -> Step<Outcome> {
    let text = offer::offer(Shape::new(Side::Whip, Flavour::Chromium));
    let url = ctx.endpoint(Side::Whip);
    let reply = ctx.post(&url, "text/plain", &text, ctx.token())?;
    let _session = Session {
        ctx,
        resource: (reply.status == 201)
            .then(|| reply.header("location").and_then(|l| url.join(l).ok()))
            .flatten(),
    };
    if reply.status == 415 {
        Ok(Outcome::pass(reply.summary()))
    } else {
        Err(Outcome::fail("415 Unsupported Media Type", reply.summary()))
    }
}

fn options(ctx: &Ctx) -> Step<Outcome> {
    let url = ctx.endpoint(Side::Whip);
    let reply = ctx
        .http
        .send(
            Request::new(Method::OPTIONS, &url)
                .header("origin", "https://weir.invalid")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "content-type, authorization",
                ),
        )
        .map_err(Outcome::error)?;
    if reply.status == 405 {
        return Ok(Outcome::info("OPTIONS not offered: 405"));
    }
    if !(200..300).contains(&reply.status) {
        return Err(Outcome::fail("a 2xx (or 405)", reply.summary()));
    }
    let allowed = ["access-control-allow-methods", "allow"]
        .iter()
        .filter_map(|h| reply.header(h))
        .any(|v| v.split(',').any(|m| m.trim().eq_ignore_ascii_case("POST")));
    if allowed {
        Ok(Outcome::pass(format!(
            "{}; Access-Control-Allow-Methods {:?}, Accept-Post {:?}",
            reply.status,
            reply.header("access-control-allow-methods"),
            reply.header("accept-post")
        )))
    } else {
        Err(Outcome::fail(
            "POST in Access-Control-Allow-Methods or Allow",
            format!(
                "HTTP {}: Access-Control-Allow-Methods {:?}, Allow {:?}",
                reply.status,
                reply.header("access-control-allow-methods"),
                reply.header("allow")
            ),
        ))
    }
}

/// A POST of a valid offer with `token`; its session, if one was made, is deleted.
fn post_with(ctx: &Ctx, token: Option<&str>) -> Step<Reply> {
    let text = offer::offer(Shape::new(Side::Whip, Flavour::Chromium));
    let url = ctx.endpoint(Side::Whip);
    let reply = ctx.post(&url, SDP, &text, token)?;
    let _session = Session {
        ctx,
        resource: (reply.status == 201)
            .then(|| reply.header("location").and_then(|l| url.join(l).ok()))
            .flatten(),
    };
    Ok(reply)
}

/// Whether the server wants a token: `--token` was given, or a POST without one got 401.
fn demands_token(ctx: &Ctx) -> Step<Option<Reply>> {
    let without = post_with(ctx, None)?;
    Ok((ctx.token().is_some() || without.status == 401).then_some(without))
}

fn auth_missing(ctx: &Ctx) -> Step<Outcome> {
    let Some(without) = demands_token(ctx)? else {
        return Ok(Outcome::Skipped(
            "no --token given and the server demands none".to_owned(),
        ));
    };
    if without.status == 401 {
        let challenge = without.header("www-authenticate").unwrap_or("none");
        Ok(Outcome::pass(format!("401, WWW-Authenticate: {challenge}")))
    } else {
        Err(Outcome::fail("401 Unauthorized", without.summary()))
    }
}

fn auth_bad(ctx: &Ctx) -> Step<Outcome> {
    if demands_token(ctx)?.is_none() {
        return Ok(Outcome::Skipped(
            "no --token given and the server demands none".to_owned(),
        ));
    }
    let bad = post_with(ctx, Some("weir-wrong-token"))?;
    if matches!(bad.status, 401 | 403) {
        Ok(Outcome::pass(bad.summary()))
    } else {
        Err(Outcome::fail("401 or 403", bad.summary()))
    }
}

fn relay(ctx: &Ctx) -> Step<Outcome> {
    let round = ctx.round()?;
    Ok(compare(&round))
}

/// The relay verdict: every frame sent came back, in order, byte for byte.
pub fn compare(round: &Round) -> Outcome {
    let mut problems = Vec::new();
    let mut check = |what: &str, sent: &[Vec<u8>], got: &[Vec<u8>]| {
        if !sent.is_empty() && sent != got {
            problems.push(format!("{what}: {}", difference(sent, got)));
        }
    };
    let flat = |frames: &[Vec<Vec<u8>>]| -> Vec<Vec<u8>> {
        frames.iter().map(|units| units.concat()).collect()
    };
    check(
        "video frames",
        &flat(&round.sent_video),
        &flat(&round.got_video),
    );
    check("audio packets", &round.sent_audio, &round.got_audio);
    let seen = format!(
        "{} video frames and {} Opus packets sent and received",
        round.sent_video.len(),
        round.sent_audio.len()
    );
    if problems.is_empty() {
        Outcome::pass(seen)
    } else {
        Outcome::fail(
            "every frame published by WHIP played back by WHEP, unchanged, in order",
            problems.join("; "),
        )
    }
}

/// How `got` differs from `sent`: a run of `sent` with its ends missing, or where the
/// two part.
pub fn difference(sent: &[Vec<u8>], got: &[Vec<u8>]) -> String {
    let total = format!("{} of {} came back", got.len(), sent.len());
    let Some(first) = got.first() else {
        return total;
    };
    match sent.iter().position(|s| s == first) {
        Some(at) if sent[at..].starts_with(got) => format!(
            "{total}: {} to {} in order, the first {at} and the last {} missing",
            at,
            at + got.len() - 1,
            sent.len() - at - got.len()
        ),
        Some(at) => {
            let parted = sent[at..]
                .iter()
                .zip(got)
                .position(|(s, g)| s != g)
                .unwrap_or(0);
            format!(
                "{total}: from {at} on, frame {} differs from what was sent (or is out of order)",
                at + parted
            )
        }
        None => format!("{total}: the first one received was never sent"),
    }
}

fn dtls_role(ctx: &Ctx) -> Step<Outcome> {
    let round = ctx.round()?;
    dtls_roles(&round)
}

/// Whether each session's DTLS client was the side its answer's setup names.
fn dtls_roles(round: &Round) -> Step<Outcome> {
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for leg in [&round.publish, &round.play] {
        let hellos = leg.hellos;
        let expected = match leg.setup {
            Some(Setup::Active) => hellos.from_server && !hellos.from_us,
            Some(Setup::Passive) => !hellos.from_server && hellos.from_us,
            _ => false,
        };
        let line = format!(
            "{}: setup {}, ClientHello from the server {}, from us {}",
            leg.name,
            leg.setup.map_or("none".to_owned(), |s| s.to_string()),
            hellos.from_server,
            hellos.from_us
        );
        if expected {
            seen.push(line);
        } else {
            problems.push(line);
        }
    }
    if problems.is_empty() {
        Ok(Outcome::pass(seen.join("; ")))
    } else {
        Err(Outcome::fail(
            "the server sends the ClientHello exactly when its answer says active",
            problems.join("; "),
        ))
    }
}

fn forged_fingerprint(ctx: &Ctx) -> Step<Outcome> {
    let seen = media::forged(
        &ctx.http,
        &ctx.endpoint(Side::Whip),
        &ctx.endpoint(Side::Whep),
        ctx.token(),
        ctx.deadline,
    )?;
    let hellos = seen.hellos;
    let what = format!(
        "ClientHello from the server {}, from us {}{}",
        hellos.from_server,
        hellos.from_us,
        seen.gave_up
            .as_ref()
            .map_or(String::new(), |e| format!("; our player stopped: {e}"))
    );
    if seen.media > 0 {
        return Err(Outcome::fail(
            "no media for a player whose certificate its offer's fingerprint does not name",
            format!("{} media packets reached the impostor; {what}", seen.media),
        ));
    }
    if seen.connected {
        return Ok(Outcome::pass(format!(
            "the handshake finished, but no media came (the fingerprint checked after it); {what}"
        )));
    }
    if !hellos.from_server && !hellos.from_us {
        return Err(Outcome::error(format!(
            "the DTLS handshake never began (ICE did not complete), so nothing was judged; {what}"
        )));
    }
    Ok(Outcome::pass(format!("never connected; {what}")))
}

fn consent(ctx: &Ctx) -> Step<Outcome> {
    let round = ctx.round()?;
    consent_kept(&round)
}

/// Whether each session answered every Binding request of ours with integrity.
fn consent_kept(round: &Round) -> Step<Outcome> {
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for leg in [&round.publish, &round.play] {
        let (sent, answered) = leg.consent;
        let line = format!(
            "{}: {answered} of {sent} Binding requests answered, {} answers to str0m's checks after connecting",
            leg.name, leg.keepalive_answers
        );
        if sent > 0 && answered == sent {
            seen.push(line);
        } else {
            let mut line = line;
            for p in &leg.consent_problems {
                line.push_str("; ");
                line.push_str(p);
            }
            problems.push(line);
        }
    }
    if problems.is_empty() {
        Ok(Outcome::pass(seen.join("; ")))
    } else {
        Err(Outcome::fail(
            "a success response with valid integrity to each Binding request",
            problems.join("; "),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::whip::media::{Hellos, Leg};
    use reqwest::header::HeaderMap;

    fn reply(status: u16, headers: &[(&'static str, &str)]) -> Reply {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        Reply {
            status,
            headers: map,
            body: String::new(),
        }
    }

    #[test]
    fn created_wants_201_sdp_and_a_location() {
        let good = reply(
            201,
            &[
                ("content-type", "application/SDP; charset=utf-8"),
                ("location", "/r/1"),
            ],
        );
        assert!(created(&good).is_ok());
        let Err(Outcome::Fail { actual, .. }) = created(&reply(200, &[])) else {
            panic!("a 200 without headers passed");
        };
        assert!(
            actual.starts_with("status 200, Content-Type None, no Location"),
            "{actual}"
        );
    }

    fn frames(range: std::ops::Range<u8>) -> Vec<Vec<u8>> {
        range.map(|i| vec![i; 3]).collect()
    }

    #[test]
    fn difference_names_the_missing_ends_or_where_the_streams_part() {
        let sent = frames(0..10);
        assert_eq!(
            difference(&sent, &frames(2..9)),
            "7 of 10 came back: 2 to 8 in order, the first 2 and the last 1 missing"
        );
        let mut swapped = frames(0..10);
        swapped.swap(4, 5);
        assert_eq!(
            difference(&sent, &swapped),
            "10 of 10 came back: from 0 on, frame 4 differs from what was sent (or is out of order)"
        );
        assert_eq!(
            difference(&sent, &[vec![99]]),
            "1 of 10 came back: the first one received was never sent"
        );
        assert_eq!(difference(&sent, &[]), "0 of 10 came back");
    }

    #[test]
    fn the_relay_verdict_fails_on_any_difference_and_passes_on_none() {
        let leg = |name| Leg {
            name,
            answer: String::new(),
            setup: Some(Setup::Active),
            hellos: Hellos::default(),
            connected: true,
            consent: (1, 1),
            consent_problems: Vec::new(),
            keepalive_answers: 0,
            resource: None,
        };
        let mut round = Round {
            publish: leg("whip"),
            play: leg("whep"),
            sent_video: vec![frames(0..2), frames(2..3)],
            sent_audio: frames(0..4),
            got_video: vec![frames(0..2), frames(2..3)],
            got_audio: frames(0..4),
        };
        assert_eq!(compare(&round).kind(), crate::verdict::Kind::Pass);
        // Active, and nobody sent a ClientHello: the server did not take its role.
        let Err(Outcome::Fail { actual, .. }) = dtls_roles(&round) else {
            panic!("no ClientHello passed");
        };
        assert!(actual.contains("whip: setup active, ClientHello from the server false"));
        for leg in [&mut round.publish, &mut round.play] {
            leg.hellos.from_server = true;
        }
        assert!(dtls_roles(&round).is_ok());
        round.play.setup = Some(Setup::Passive);
        assert!(
            dtls_roles(&round).is_err(),
            "passive, yet the server sent the ClientHello"
        );
        assert!(consent_kept(&round).is_ok());
        round.publish.consent = (1, 0);
        round
            .publish
            .consent_problems
            .push("a ErrorResponse answered".into());
        let Err(Outcome::Fail { actual, .. }) = consent_kept(&round) else {
            panic!("an unanswered request passed");
        };
        assert!(
            actual.starts_with("whip: 0 of 1") && actual.contains("ErrorResponse"),
            "{actual}"
        );
        round.got_audio.pop();
        let Outcome::Fail { actual, .. } = compare(&round) else {
            panic!("a missing packet passed");
        };
        assert!(actual.starts_with("audio packets: 3 of 4"), "{actual}");
    }
}
