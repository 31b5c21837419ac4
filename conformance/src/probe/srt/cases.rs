//! The SRT cases: handshakes of several shapes (what libsrt callers send, with and without a
//! stream id, a wrong cookie, an unknown extension, a wrong or missing passphrase, a stream id
//! nobody can read), a quiet connection's keep-alives, and the media round ([`super::media`]):
//! ACKs, NAKs of the packets we left out, the server's silence after our shutdown and the
//! player's TS against what was published. Each verdict says what was seen.

use std::time::{Duration, Instant};

use bytes::Bytes;
use weir_srt::crypto::{CryptoContext, Refresh};
use weir_srt::handshake::{Encryption, SRT_MAGIC};
use weir_srt::kdf::Passphrase;
use weir_srt::km::KeyLength;
use weir_srt::{Extension, Handshake, HandshakeType, RejectReason, SeqNumber};

use super::conn::{self, Answer, Dial, Udp};
use super::media::{Round, compare, compare_frames};
use super::rules as live;
use super::{Case, Ctx};
use crate::probe::{Outcome, Step};

use crate::probe::case_with as case;

/// Every case, in the order they run.
pub const CASES: &[Case] = &[
    case!(
        "srt.handshake.induction",
        &[&live::INDUCTION],
        "A v4 induction is answered with an induction of version 5 carrying the SRT magic 0x4A17 and a SYN cookie.",
        induction,
    ),
    case!(
        "srt.handshake.caller",
        &[&live::CONCLUSION],
        "Our caller, as libsrt's (v4 induction, v5 conclusion with HSREQ and a #!:: stream id of m=publish), is accepted with an HSRSP.",
        |ctx| caller(ctx, Some(ctx.stream_id("publish"))),
    ),
    case!(
        "srt.handshake.no-stream-id",
        &[&live::CONCLUSION],
        "The same caller without a stream id extension is accepted (or refused with a reason, for a server that needs one).",
        |ctx| caller(ctx, None),
    ),
    case!(
        "srt.handshake.wrong-cookie",
        &[&live::COOKIE],
        "A conclusion returning another SYN cookie than the induction's is ignored or rejected, never accepted.",
        wrong_cookie,
    ),
    case!(
        "srt.handshake.unknown-extension",
        &[&live::UNKNOWN_EXTENSION],
        "A conclusion carrying an extension of unknown type 0x7F00 (8 bytes) after HSREQ and the stream id is accepted.",
        unknown_extension,
    ),
    case!(
        "srt.crypto.bad-secret",
        &[&live::BAD_SECRET],
        "With passphrase= in the URL: a caller whose key material is wrapped with another passphrase is rejected with BADSECRET (1010).",
        bad_secret,
    ),
    case!(
        "srt.crypto.no-passphrase",
        &[&live::UNSECURE],
        "With passphrase= in the URL: a caller without key material is rejected (libsrt: UNSECURE, 1011), never connected in the clear.",
        no_passphrase,
    ),
    case!(
        "srt.streamid.malformed",
        &[&live::BAD_STREAM_ID],
        "A caller with the stream id #!::m=nonsense is rejected with a rejection reason (reported); a listener that accepts it reads no stream ids.",
        bad_stream_id,
    ),
    case!(
        "srt.session.keepalive",
        &[&live::KEEPALIVE],
        "A publisher that sends nothing for 3 s hears a keep-alive from the server at least every 1.5 s, and the connection stays up.",
        keepalive,
    ),
    case!(
        "srt.media.ack",
        &[&live::ACK],
        "In the media round (3 s of TS published in real time), every packet before the first one we leave out is acknowledged within 30 ms (full ACKs every 10 ms).",
        ack,
    ),
    case!(
        "srt.media.nak",
        &[&live::NAK],
        "In the media round the publisher leaves out the first transmission of 5 packets: the server NAKs each, and our retransmissions follow.",
        nak,
    ),
    case!(
        "srt.media.shutdown",
        &[&live::SHUTDOWN],
        "After the publisher's shutdown the server sends nothing more on that connection (watched for 1.5 s).",
        shutdown,
    ),
    case!(
        "srt.media.relay",
        &[&live::RELAY],
        "A player (m=request; at play=host:port when given, none with play=none) gets every TS packet published, the ones left out and retransmitted included, identical and in order from its join point on.",
        relay,
    ),
];

/// A rejection as libsrt names it, with its code (the handshake type is 1000 more); the
/// predefined application codes are HTTP-like (1400: 400).
fn reason(r: RejectReason) -> String {
    match r.0 {
        RejectReason::PREDEFINED..RejectReason::USER_DEFINED => {
            format!(
                "PREDEFINED {} (HTTP-like {})",
                r.0,
                r.0 - RejectReason::PREDEFINED
            )
        }
        code if code >= RejectReason::USER_DEFINED => format!("USERDEFINED {code}"),
        code => format!("{} ({})", r.name(), u64::from(code) + 1000),
    }
}

/// The URL's passphrase and key length.
fn passphrase(ctx: &Ctx) -> Option<(String, usize)> {
    ctx.target
        .passphrase
        .clone()
        .map(|p| (p, ctx.target.key_len))
}

fn induction(ctx: &Ctx) -> Step<Outcome> {
    let mut udp = Udp::open(ctx.target.addr)?;
    let socket_id = (ctx.seed as u32 & 0x3fff_ffff).max(1);
    let hs = conn::induce(&mut udp, socket_id, ctx.deadline)?;
    let seen = format!(
        "version {}, extension field 0x{:04x}, cookie 0x{:08x}, type {:?}",
        hs.version, hs.extension_field, hs.syn_cookie, hs.kind
    );
    if hs.kind != HandshakeType::Induction || hs.version != 5 || hs.extension_field != SRT_MAGIC {
        return Ok(Outcome::fail(
            "an induction of version 5 with extension field 0x4a17",
            seen,
        ));
    }
    if hs.syn_cookie == 0 {
        return Ok(Outcome::fail("a nonzero SYN cookie", seen));
    }
    Ok(Outcome::pass(seen))
}

fn caller(ctx: &Ctx, stream_id: Option<String>) -> Step<Outcome> {
    let without = stream_id.is_none();
    let dial = Dial {
        stream_id,
        passphrase: passphrase(ctx),
    };
    match conn::connect(ctx.target.addr, &dial, ctx.seed, ctx.deadline)? {
        Ok(mut session) => {
            let e = &session.established;
            let note = format!(
                "accepted: HSRSP version 0x{:06x}, flags 0x{:02x}, latency {}/{} ms, peer socket 0x{:08x}",
                e.peer_version,
                e.peer_flags.0,
                e.recv_latency_ms,
                e.send_latency_ms,
                e.peer_socket_id
            );
            session.close();
            Ok(Outcome::pass(note))
        }
        Err(RejectReason::TIMEOUT) => Ok(Outcome::fail(
            "a conclusion answer",
            "no answer to our conclusion",
        )),
        Err(r) if without => Ok(Outcome::info(format!(
            "rejected without a stream id: {}",
            reason(r)
        ))),
        Err(r) => Ok(Outcome::fail(
            "accepted",
            format!("rejected: {}", reason(r)),
        )),
    }
}

/// The induction, then a conclusion with `cookie` (the listener's when `None`) and `extra`
/// extensions after HSREQ, the stream id and (with a passphrase) key material.
fn shaped(ctx: &Ctx, cookie: impl Fn(u32) -> u32, extra: Vec<Extension>) -> Step<(Answer, u32)> {
    let mut udp = Udp::open(ctx.target.addr)?;
    let mut rng = conn::rng(ctx.seed);
    let socket_id = (rand_core::RngCore::next_u32(&mut rng) & 0x3fff_ffff).max(1);
    let isn = SeqNumber::new(rand_core::RngCore::next_u32(&mut rng));
    let induced = conn::induce(&mut udp, socket_id, ctx.deadline)?;
    let mut extensions = Vec::new();
    let mut encryption = Encryption::NONE;
    if let Some((phrase, key_len)) = passphrase(ctx) {
        let phrase =
            Passphrase::new(phrase).map_err(|e| Outcome::error(format!("passphrase: {e}")))?;
        let length = KeyLength::from_bytes(key_len)
            .ok_or_else(|| Outcome::error("pbkeylen is 16, 24 or 32"))?;
        let crypto = CryptoContext::initiator(phrase, length, Refresh::default(), &mut rng);
        extensions.push(Extension::KmReq(crypto.km_request().to_bytes()));
        encryption = Encryption::for_key_len(key_len);
    }
    extensions.push(Extension::StreamId(ctx.stream_id("publish")));
    extensions.extend(extra);
    let sent_cookie = cookie(induced.syn_cookie);
    let hs = Handshake {
        encryption,
        ..conn::conclusion(socket_id, isn, sent_cookie, extensions)
    };
    Ok((
        conn::conclude(&mut udp, hs, ctx.deadline)?,
        induced.syn_cookie,
    ))
}

fn wrong_cookie(ctx: &Ctx) -> Step<Outcome> {
    let (answer, cookie) = shaped(ctx, |c| c ^ 0x5a5a_a5a5, Vec::new())?;
    let given = format!(
        "the listener's cookie 0x{cookie:08x}, ours 0x{:08x}",
        cookie ^ 0x5a5a_a5a5
    );
    Ok(match answer {
        Answer::Accepted(hs) => Outcome::fail(
            "the conclusion ignored or rejected",
            format!(
                "accepted (HSRSP from socket 0x{:08x}); {given}",
                hs.socket_id
            ),
        ),
        Answer::Rejected(r) => Outcome::pass(format!("rejected: {}; {given}", reason(r))),
        Answer::Silent => Outcome::pass(format!("ignored (no answer in 2 s); {given}")),
        Answer::Other(kind) => Outcome::pass(format!("answered {kind:?}, not accepted; {given}")),
    })
}

fn unknown_extension(ctx: &Ctx) -> Step<Outcome> {
    let unknown = Extension::Unknown {
        typ: 0x7f00,
        body: Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]),
    };
    let (answer, _) = shaped(ctx, |c| c, vec![unknown])?;
    Ok(match answer {
        Answer::Accepted(hs) => Outcome::pass(format!(
            "accepted (HSRSP {}), extension 0x7f00 skipped",
            if hs.srt_options().is_some() {
                "present"
            } else {
                "missing"
            }
        )),
        Answer::Rejected(r) => Outcome::fail("accepted", format!("rejected: {}", reason(r))),
        Answer::Silent => Outcome::fail("accepted", "no answer to the conclusion in 2 s"),
        Answer::Other(kind) => Outcome::fail("accepted", format!("answered {kind:?}")),
    })
}

/// A case that wants `dial` refused: connects, then judges the rejection with `judge`;
/// silence fails (`want` says what was expected) and an acceptance gives `accepted`.
fn refusal(
    ctx: &Ctx,
    dial: Dial,
    want: &str,
    judge: impl Fn(RejectReason) -> Outcome,
    accepted: Outcome,
) -> Step<Outcome> {
    Ok(
        match conn::connect(ctx.target.addr, &dial, ctx.seed, ctx.deadline)? {
            Err(RejectReason::TIMEOUT) => Outcome::fail(want, "no answer to our conclusion"),
            Err(r) => judge(r),
            Ok(mut session) => {
                session.close();
                accepted
            }
        },
    )
}

/// Why the encryption cases do not run without a passphrase.
fn not_encrypting() -> Outcome {
    Outcome::Skipped(
        "not applicable: the URL has no passphrase= (the server does not encrypt)".to_owned(),
    )
}

fn bad_secret(ctx: &Ctx) -> Step<Outcome> {
    let Some((phrase, key_len)) = passphrase(ctx) else {
        return Ok(not_encrypting());
    };
    let dial = Dial {
        stream_id: Some(ctx.stream_id("publish")),
        passphrase: Some((format!("{phrase}-but-wrong"), key_len)),
    };
    let want = "a rejection with BADSECRET (1010)";
    refusal(
        ctx,
        dial,
        want,
        |r| match r {
            RejectReason::BADSECRET => Outcome::pass("rejected: BADSECRET (1010)"),
            r => Outcome::fail(want, format!("rejected: {}", reason(r))),
        },
        Outcome::fail(want, "accepted with a wrong passphrase"),
    )
}

fn no_passphrase(ctx: &Ctx) -> Step<Outcome> {
    if ctx.target.passphrase.is_none() {
        return Ok(not_encrypting());
    }
    let dial = Dial {
        stream_id: Some(ctx.stream_id("publish")),
        passphrase: None,
    };
    refusal(
        ctx,
        dial,
        "a rejection (UNSECURE, 1011)",
        |r| match r {
            RejectReason::UNSECURE => Outcome::pass("rejected: UNSECURE (1011)"),
            r => Outcome::pass(format!("rejected: {} (libsrt says UNSECURE)", reason(r))),
        },
        Outcome::fail(
            "a rejection (UNSECURE, 1011)",
            "accepted without key material: the stream would flow in the clear",
        ),
    )
}

fn bad_stream_id(ctx: &Ctx) -> Step<Outcome> {
    let dial = Dial {
        stream_id: Some("#!::m=nonsense".to_owned()),
        passphrase: passphrase(ctx),
    };
    refusal(
        ctx,
        dial,
        "a rejection",
        |r| Outcome::pass(format!("rejected: {}", reason(r))),
        Outcome::info(
            "accepted: this listener does not read stream ids (a server that does must refuse m=nonsense)",
        ),
    )
}

fn keepalive(ctx: &Ctx) -> Step<Outcome> {
    let dial = Dial {
        stream_id: Some(ctx.stream_id("publish")),
        passphrase: passphrase(ctx),
    };
    let mut session = conn::connected(
        ctx.target.addr,
        &dial,
        ctx.seed,
        ctx.deadline,
        "the publisher",
    )?;
    let start = Instant::now();
    session.pump(start + Duration::from_millis(3200));
    let log = session.log.clone();
    let closed = session.conn.is_closed();
    session.close();
    let mut heard: Vec<Instant> = vec![start];
    heard.extend(log.heard.iter().copied().filter(|t| *t >= start));
    let gap = heard
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain(std::iter::once(
            start.elapsed().saturating_sub(
                heard
                    .last()
                    .map_or(Duration::ZERO, |t| t.duration_since(start)),
            ),
        ))
        .max()
        .unwrap_or_default();
    let seen = format!(
        "{} keep-alives and {} datagrams in 3.2 s, longest silence {} ms",
        log.keepalives.len(),
        heard.len() - 1,
        gap.as_millis()
    );
    if log.shutdown.is_some() || closed {
        return Ok(Outcome::fail(
            "the connection kept up",
            format!("the server closed it: {seen}"),
        ));
    }
    if log.keepalives.len() < 2 || gap > Duration::from_millis(1500) {
        return Ok(Outcome::fail("a keep-alive at least every 1.5 s", seen));
    }
    Ok(Outcome::pass(seen))
}

/// Milliseconds, to one decimal.
fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn ack(ctx: &Ctx) -> Step<Outcome> {
    let round = ctx.round()?;
    let p = &round.publisher;
    let first_drop = p.dropped.iter().map(|s| s.get()).min();
    let mut sent: Vec<(SeqNumber, Instant)> = p
        .sent_at
        .iter()
        .map(|(s, t)| (SeqNumber::new(*s), *t))
        .filter(|(s, _)| first_drop.is_none_or(|d| s.before(SeqNumber::new(d))))
        .collect();
    sent.sort_by_key(|(_, t)| *t);
    if sent.is_empty() {
        return Ok(Outcome::error(
            "no packet was sent before the first left out",
        ));
    }
    let mut delays = Vec::new();
    let mut unacked = 0;
    for (seq, at) in &sent {
        match p
            .log
            .acks
            .iter()
            .find(|(t, upto, _)| t >= at && seq.before(*upto))
        {
            Some((t, _, _)) => delays.push(*t - *at),
            None => unacked += 1,
        }
    }
    delays.sort();
    let full: Vec<Instant> = p.log.acks.iter().filter(|a| a.2).map(|a| a.0).collect();
    let mut periods: Vec<Duration> = full.windows(2).map(|w| w[1] - w[0]).collect();
    periods.sort();
    let pick = |v: &[Duration], q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let seen = format!(
        "{} packets: ACK delay median {} ms, 95th percentile {} ms, max {} ms; {} full ACKs ({} light), median period {} ms",
        sent.len(),
        ms(pick(&delays, 0.5)),
        ms(pick(&delays, 0.95)),
        ms(pick(&delays, 1.0)),
        full.len(),
        p.log.acks.len() - full.len(),
        ms(pick(&periods, 0.5)),
    );
    if unacked > 0 {
        return Ok(Outcome::fail(
            "every packet acknowledged",
            format!("{unacked} never acknowledged; {seen}"),
        ));
    }
    if pick(&delays, 0.95) > Duration::from_millis(30) {
        return Ok(Outcome::fail(
            "ACKs within the 10 ms SYN interval (95 % within 30 ms)",
            seen,
        ));
    }
    Ok(Outcome::pass(seen))
}

fn nak(ctx: &Ctx) -> Step<Outcome> {
    let round = ctx.round()?;
    let p = &round.publisher;
    if p.dropped.is_empty() {
        return Ok(Outcome::error("the publisher left nothing out"));
    }
    let mut missing = Vec::new();
    let mut delays = Vec::new();
    for seq in &p.dropped {
        let at = p.sent_at.get(&seq.get()).copied();
        let naked = p.log.naks.iter().find(|(_, ranges)| {
            ranges
                .iter()
                .any(|r| !seq.before(r.first) && !r.last.before(*seq))
        });
        match (naked, at) {
            (Some((t, _)), Some(at)) => delays.push(t.saturating_duration_since(at)),
            _ => missing.push(seq.get()),
        }
    }
    let resent = p
        .dropped
        .iter()
        .filter(|s| p.retransmitted.contains(s))
        .count();
    let seen = format!(
        "{} left out, {} NAKed (first NAK after {} ms at most), {} retransmitted; {} NAKs in all",
        p.dropped.len(),
        p.dropped.len() - missing.len(),
        delays.iter().max().map_or("-".to_owned(), |d| ms(*d)),
        resent,
        p.log.naks.len(),
    );
    if !missing.is_empty() {
        return Ok(Outcome::fail(
            "a NAK naming every packet left out",
            format!("never NAKed: {missing:?}; {seen}"),
        ));
    }
    Ok(Outcome::pass(seen))
}

fn shutdown(ctx: &Ctx) -> Step<Outcome> {
    let round: std::sync::Arc<Round> = ctx.round()?;
    let p = &round.publisher;
    // Packets already on their way when our shutdown left are no fault.
    let grace = p.shutdown_at + Duration::from_millis(100);
    let after: Vec<&Instant> = p.log.heard.iter().filter(|t| **t > grace).collect();
    let replied = p.log.shutdown.is_some_and(|t| t >= p.shutdown_at);
    if after.is_empty() {
        return Ok(Outcome::pass(format!(
            "silent after our shutdown{}",
            if replied {
                " (after its own shutdown)"
            } else {
                ""
            }
        )));
    }
    let last = after.last().map(|t| t.duration_since(p.shutdown_at));
    Ok(Outcome::fail(
        "no datagram after our shutdown",
        format!(
            "{} datagrams up to {} ms after it",
            after.len(),
            last.map_or("-".to_owned(), ms)
        ),
    ))
}

fn relay(ctx: &Ctx) -> Step<Outcome> {
    let round = ctx.round()?;
    let received = match &round.player {
        None => {
            return Ok(Outcome::Skipped(
                "not applicable: play=none (a publish-only listener)".to_owned(),
            ));
        }
        Some(Ok(received)) => received,
        Some(Err(why)) => return Ok(Outcome::fail("a player of the stream", why.clone())),
    };
    let p = &round.publisher;
    Ok(match compare(&round.sent, received) {
        Ok((join, count)) => {
            // Payload i carries TS packets 7i..7i+7.
            let recovered = p
                .dropped
                .iter()
                .filter(|s| p.isn.distance_to(**s) as usize * 7 >= join)
                .count();
            Outcome::pass(format!(
                "{count} TS packets from packet {join} of {} (the player's join point) on, identical and in order; {recovered} of the {} left out and retransmitted among them",
                round.sent.len(),
                p.dropped.len()
            ))
        }
        // A server that remuxes repackages the TS: then every frame must come through.
        Err(why) => match compare_frames(&round.sent, received) {
            Ok(note) => Outcome::pass(format!("the TS was repackaged ({why}); {note}")),
            Err(frames) => Outcome::fail(
                "every TS packet (or, repackaged, every frame) from the join point on",
                format!("{why}; {frames}"),
            ),
        },
    })
}
