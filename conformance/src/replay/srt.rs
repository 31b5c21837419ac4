//! `weir replay CAPTURE --to srt://host:port[?streamid=…]`: each captured SRT flow whose data
//! is unencrypted, re-sent to a live listener. The captured handshake cannot be reused (the
//! cookie and socket ids are the captured listener's), so the prober's caller makes a fresh
//! one ([`conn::connect`]: v4 induction, v5 conclusion, as libsrt callers do) with the captured
//! stream id (or the URL's; the URL's `passphrase` and `pbkeylen`, as `weir probe` takes them,
//! encrypt the new connection); the captured data packets' payloads, in sequence order, are then
//! sent at their captured pacing by our connection machine (`weir_srt::connection`), renumbered
//! from the new connection's initial sequence number. The machine is the sender a live-mode
//! SRT sender must be (draft-sharabayko-srt-01 §4.8): it answers the listener's ACKs with
//! ACKACK and resends what a NAK reports lost. A packet whose first transmission the capture
//! lacks (it was lost before the capture point and came again retransmitted) is left out at
//! its first transmission again, so that the live listener sees the same loss.
//!
//! The answers compared: the handshake's result (accepted, or rejected and why: the handshake
//! types of §3.2.1 past 1000, named as libsrt names them), whether ACKs, NAKs and (to a
//! player, whose replay sends no data but stays as long) data came, and whether the listener
//! shut the connection down before the caller did (after it, a listener may answer the
//! caller's shutdown with its own; neither srt-live-transmit nor `weir serve` does). How many
//! came is kept beside the lines, as frame counts are, for it depends on timing. An encrypted
//! flow (a KMREQ in its conclusion, or encrypted data) is not replayable without the key, and
//! says so.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use weir_srt::data::KeyFlags;
use weir_srt::{Control, ControlPacket, Extension, HandshakeType, Packet, RejectReason, SeqNumber};

use super::answers::Answers;
use super::flows::Flow;
use super::{FlowReplay, Options, Pacing, ReplayReport};
use crate::capture::{Direction, Transport};
use crate::probe::srt::conn::{self, Dial};
use crate::probe::srt::{SrtTarget, percent_decode};
use crate::protocols::Protocol;

/// Replays every unencrypted SRT flow of the input.
pub fn run(options: &Options, mut report: ReplayReport) -> ReplayReport {
    let (target, stream_id) = match parse_url(&options.url) {
        Ok(parsed) => parsed,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let Some(flows) = super::read_flows(options, &[Protocol::Srt], &mut report) else {
        return report;
    };
    let flows = flows
        .into_iter()
        .filter(|f| f.transport == Transport::Udp)
        .map(|f| (f, ()))
        .collect();
    super::side_by_side(flows, options.pacing, &mut report, |flow, ()| {
        replay_flow(&flow, &target, stream_id.as_deref(), options)
    });
    report
}

/// The target, and the stream id the URL gives (as it is: `#!::r=…,m=publish` or any other).
fn parse_url(url: &str) -> Result<(SrtTarget, Option<String>), String> {
    let target = SrtTarget::parse(url)?;
    let stream_id = url
        .split_once('?')
        .map_or("", |(_, query)| query)
        .split('&')
        .find_map(|pair| pair.strip_prefix("streamid="))
        .map(percent_decode);
    Ok((target, stream_id))
}

/// How a listener answered the caller's conclusion.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Handshake {
    Accepted,
    Rejected(RejectReason),
    Silent,
}

/// What the listener did, in the answers' shape.
#[derive(Debug, Default)]
struct Heard {
    handshake: Option<Handshake>,
    acks: u64,
    naks: u64,
    /// Data packets the listener sent (to a player), first transmissions.
    data: u64,
    shutdown: bool,
}

impl Heard {
    fn answers(&self) -> Answers {
        let mut answers = Answers::default();
        answers
            .lines
            .push(match self.handshake.unwrap_or(Handshake::Silent) {
                Handshake::Accepted => "handshake accepted".to_owned(),
                Handshake::Rejected(reason) => {
                    format!(
                        "handshake rejected: {} ({})",
                        reason.name(),
                        reason.0 + 1000
                    )
                }
                Handshake::Silent => "no answer to the handshake".to_owned(),
            });
        if self.acks > 0 {
            answers.lines.push("ACKs".to_owned());
        }
        if self.naks > 0 {
            answers.lines.push("NAKs (loss reports)".to_owned());
        }
        if self.data > 0 {
            answers.lines.push("data from the listener".to_owned());
        }
        if self.shutdown {
            answers.lines.push("shutdown from the listener".to_owned());
        }
        answers.frames.insert("ACKs".to_owned(), self.acks);
        answers.frames.insert("NAKs".to_owned(), self.naks);
        answers.frames.insert("data packets".to_owned(), self.data);
        answers
    }
}

/// A captured sequence number this far from the first one is taken for garbage, not kept.
const MAX_SPAN: i64 = 1 << 22;

/// The captured flow as the replay needs it.
#[derive(Debug, Default)]
struct Captured {
    stream_id: Option<String>,
    /// Why the payloads cannot be re-sent.
    encrypted: Option<String>,
    /// The data payloads in sequence order: when first seen, the payload, and whether its
    /// first transmission is missing (only a retransmission was captured).
    payloads: Vec<(Duration, Bytes, bool)>,
    /// When the caller shut down, if it did.
    shutdown: Option<Duration>,
    /// The caller's last datagram.
    last: Duration,
    heard: Heard,
}

fn captured(flow: &Flow) -> Captured {
    let mut captured = Captured::default();
    let mut first: Option<SeqNumber> = None;
    let mut data: BTreeMap<i64, (Duration, Bytes, bool)> = BTreeMap::new();
    for (time, datagram) in &flow.bytes[Direction::ClientToServer.index()].pieces {
        captured.last = *time;
        match Packet::parse(datagram, &mut Vec::new()) {
            Ok(Packet::Data(packet)) => {
                if packet.key != KeyFlags::None {
                    captured
                        .encrypted
                        .get_or_insert_with(|| "its data packets are encrypted".into());
                }
                let offset = first.get_or_insert(packet.seq).distance_to(packet.seq);
                if offset.abs() <= MAX_SPAN {
                    data.entry(offset)
                        .or_insert((*time, packet.payload, packet.retransmitted));
                }
            }
            Ok(Packet::Control(ControlPacket { control, .. })) => match control {
                Control::Handshake(hs) if hs.kind == HandshakeType::Conclusion => {
                    for extension in hs.extensions {
                        match extension {
                            Extension::StreamId(id) => captured.stream_id = Some(id),
                            Extension::KmReq(_) => {
                                captured.encrypted.get_or_insert_with(|| {
                                    "the caller asked for encryption (a KMREQ)".into()
                                });
                            }
                            _ => {}
                        }
                    }
                }
                Control::Shutdown => {
                    captured.shutdown.get_or_insert(*time);
                }
                _ => {}
            },
            Err(_) => {}
        }
    }
    // A packet lost before the capture point shows first as a retransmission; the one after
    // it went when it did.
    let mut previous = None;
    for (time, payload, lost) in data.into_values() {
        let time = if lost { previous.unwrap_or(time) } else { time };
        previous = Some(time);
        captured.payloads.push((time, payload, lost));
    }
    for (time, datagram) in &flow.bytes[Direction::ServerToClient.index()].pieces {
        let heard = &mut captured.heard;
        let control = match Packet::parse(datagram, &mut Vec::new()) {
            Ok(Packet::Control(ControlPacket { control, .. })) => control,
            Ok(Packet::Data(data)) => {
                heard.data += u64::from(!data.retransmitted);
                continue;
            }
            Err(_) => continue,
        };
        match control {
            Control::Handshake(hs) => match hs.kind {
                HandshakeType::Conclusion => {
                    heard.handshake.get_or_insert(Handshake::Accepted);
                }
                HandshakeType::Rejection(reason) => {
                    heard.handshake.get_or_insert(Handshake::Rejected(reason));
                }
                _ => {}
            },
            Control::Ack(_) => heard.acks += 1,
            Control::Nak(_) => heard.naks += 1,
            // Only before the caller's: a listener may answer one with its own.
            Control::Shutdown => {
                heard.shutdown |= captured.shutdown.is_none_or(|caller| *time < caller);
            }
            _ => {}
        }
    }
    captured
}

/// How long the caller stays after its captured end, at most, and after its last packet at
/// least (for the last ACKs and NAKs to come).
const MAX_STAY: Duration = Duration::from_secs(30);
const LINGER: Duration = Duration::from_millis(500);

fn replay_flow(
    flow: &Flow,
    target: &SrtTarget,
    stream_id: Option<&str>,
    options: &Options,
) -> FlowReplay {
    let started = Instant::now();
    let captured = captured(flow);
    let mut replay = FlowReplay {
        flow: flow.id,
        client: flow.client,
        server: flow.server,
        sent: 0,
        captured_messages: captured.payloads.len(),
        captured: captured.heard.answers(),
        live: Answers::default(),
        error: None,
        truncated: None,
        elapsed: Duration::ZERO,
    };
    if let Some(why) = &captured.encrypted {
        replay.error = Some(format!(
            "not replayable: {why}, and the payloads cannot be re-sent without the key"
        ));
        return replay;
    }
    let dial = Dial {
        stream_id: stream_id.map(str::to_owned).or(captured.stream_id.clone()),
        passphrase: target.passphrase.clone().map(|p| (p, target.key_len)),
    };
    let mut heard = Heard::default();
    let deadline = Instant::now() + options.answer_timeout;
    let mut session = match conn::connect(target.addr, &dial, flow.id.0 ^ 0x5eed, deadline) {
        Ok(Ok(session)) => session,
        // Our caller gives up with TIMEOUT when nothing answers: no listener there is an
        // error, as a refused TCP connection is to the other replays.
        Ok(Err(RejectReason::TIMEOUT)) => {
            replay.error = Some(format!(
                "no SRT listener answers at {} within {:?}",
                target.addr, options.answer_timeout
            ));
            return replay;
        }
        Ok(Err(reason)) => {
            heard.handshake = Some(Handshake::Rejected(reason));
            replay.live = heard.answers();
            replay.elapsed = started.elapsed();
            return replay;
        }
        Err(outcome) => {
            replay.error = Some(super::describe(outcome));
            return replay;
        }
    };
    heard.handshake = Some(Handshake::Accepted);
    let isn = session.established.send_isn;
    for (i, (_, _, lost)) in captured.payloads.iter().enumerate() {
        if *lost {
            session.drop_first.insert(isn.add(i as u32).get());
        }
    }
    let scale = |d: Duration| match options.pacing {
        Pacing::Speed(speed) => d.div_f64(speed.max(1e-3)),
        Pacing::AsFastAsPossible => Duration::ZERO,
    };
    let start = Instant::now();
    let t0 = captured.payloads.first().map_or(Duration::ZERO, |p| p.0);
    for (time, payload, _) in &captured.payloads {
        // At least a moment between packets, as fast as possible, for ACKs to free the buffer.
        let due = (start + scale(time.saturating_sub(t0)))
            .max(Instant::now() + Duration::from_micros(100));
        session.pump(due);
        heard.data += delivered(&mut session);
        if session.conn.is_closed() {
            break;
        }
        if let Err(outcome) = session.send(payload.clone()) {
            replay.error = Some(super::describe(outcome));
            break;
        }
        replay.sent += 1;
    }
    // The caller stays until its captured end (its shutdown or its last packet), then shuts
    // down if it did.
    let end = captured.shutdown.unwrap_or(captured.last);
    let stay = (start + scale(end.saturating_sub(t0)))
        .min(Instant::now() + MAX_STAY)
        .max(Instant::now() + LINGER);
    // A player's replay has no payloads: it stays as the captured one stayed, counting
    // what it is sent.
    while Instant::now() < stay && !session.conn.is_closed() {
        session.pump(stay.min(Instant::now() + Duration::from_millis(100)));
        heard.data += delivered(&mut session);
    }
    let ours = Instant::now();
    if captured.shutdown.is_some() {
        session.shutdown();
        session.pump(Instant::now() + LINGER);
    }
    heard.acks = session.log.acks.len() as u64;
    heard.naks = session.log.naks.len() as u64;
    heard.shutdown = session.log.shutdown.is_some_and(|at| at < ours);
    replay.live = heard.answers();
    replay.elapsed = started.elapsed();
    replay
}

/// How many payloads the connection handed on since the last call (they are not kept).
fn delivered(session: &mut conn::Session) -> u64 {
    let n = session.payloads().count() as u64;
    session.events.clear();
    n
}
