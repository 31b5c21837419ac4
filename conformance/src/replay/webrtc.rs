//! `weir replay CAPTURE --keylog KEYS --to http://host:port/…/whip/…`: each captured WHIP
//! session (RFC 9725) re-published to a live server at the RTP layer. A session is a POST of an
//! SDP offer to a WHIP endpoint in a signalling (HTTP) flow, paired with the UDP flow whose
//! STUN checks carry the offer's and the answer's ICE username fragments (RFC 8445 §7.2.2:
//! USERNAME is "answerer:offerer"), as `weir check` learns them.
//!
//! The captured ICE and DTLS cannot be reused (the credentials and certificates are the
//! captured peers'), so our str0m client ([`crate::probe::whip::media`], in str0m's RTP mode)
//! makes a fresh WHIP session with an offer of H.264 and Opus; the publisher's SRTP, decrypted
//! with the key log (`weir serve`'s `rtc.keylog`, [`weir_rtp::srtp::keylog`]), is re-sent
//! packet by packet as captured (payload, marker, the sequence numbers' and timestamps'
//! distances kept, so a captured loss is a loss again), on the new session's SSRC and the
//! payload type the live answer gives the captured packet's codec, at the captured pacing.
//! Packets of other codecs (RTX, RED, FEC) are left out: str0m answers NACKs itself.
//!
//! The answers compared: the POST's status, media type and Location; the codecs the answer
//! accepts; whether ICE and DTLS completed; each kind of RTCP the server sent (receiver
//! reports, NACK, PLI, TWCC…, their counts beside the lines, as frame counts are: they depend
//! on timing; extended reports only counted, for they answer what the client sent); and the
//! DELETE's status when the captured client sent one.
//! A WHEP session (play) replays its signalling and connection the same way and stays as long
//! as the captured player stayed; its client sends no media, and whether the server sent it
//! any is compared. A session whose SRTP no key of the key log decrypts is not replayable,
//! and says why. The URL's endpoint (and its WHEP twin, `/whip` swapped for `/whep`) replaces
//! the captured ones, stream name and all; the captured OPTIONS requests are not re-sent.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::{Certificate, Url};
use str0m::format::Codec;
use str0m::media::Direction as MediaDirection;
use str0m::rtp::RtpWrite;
use weir_http::{Event, Limits, MessageReader, Role, Start};
use weir_media::{Machine, Output};
use weir_rtp::RtpPacket;
use weir_rtp::rtcp;
use weir_rtp::srtp::{Context, KeyLog};
use weir_stun::demux::Kind;
use weir_stun::{Class, Message};

use super::answers::Answers;
use super::flows::Flow;
use super::{FlowReplay, Options, Pacing, ReplayReport};
use crate::capture::{Direction, Transport};
use crate::observe::webrtc::decrypt;
use crate::probe::Outcome;
use crate::probe::whip::Endpoints;
use crate::probe::whip::http::{self, Http, SDP};
use crate::probe::whip::media::{Peer, PeerOptions, rtcp_kind, until_connected};
use crate::probe::whip::offer::Side;
use crate::protocols::Protocol;

/// Replays every WHIP and WHEP session of the input.
pub fn run(options: &Options, mut report: ReplayReport) -> ReplayReport {
    let prepared = Endpoints::new(&options.url, None, None).and_then(|endpoints| {
        let roots = http::roots(None)?;
        let keys = match &options.keylog {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("--keylog {}: {e}", path.display()))?;
                let log = KeyLog::parse(&text)
                    .map_err(|e| format!("--keylog {}: {e}", path.display()))?;
                Some(log)
            }
            None => None,
        };
        Ok((endpoints, roots, keys))
    });
    let (endpoints, roots, keys) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let wanted = [Protocol::Http, Protocol::WebRtc];
    let Some(flows) = super::read_flows(options, &wanted, &mut report) else {
        return report;
    };
    let (signalling, media): (Vec<Flow>, Vec<Flow>) = flows
        .into_iter()
        .partition(|f| f.protocol == Protocol::Http);
    let media: Vec<Flow> = media
        .into_iter()
        .filter(|f| f.transport == Transport::Udp)
        .collect();
    let mut sessions: Vec<(Flow, Session)> = signalling
        .iter()
        .flat_map(|f| sessions(f, &media))
        .collect();
    sessions.sort_by_key(|(_, s)| s.post.time);
    // Each session is a thread and a socket, side by side.
    report.not_replayed += sessions.len().saturating_sub(super::MAX_FLOWS);
    sessions.truncate(super::MAX_FLOWS);
    let live = Live {
        endpoints: &endpoints,
        roots: &roots,
        keys: keys.as_ref(),
        options,
    };
    super::side_by_side(sessions, options.pacing, &mut report, |flow, session| {
        live.replay(&flow, &session)
    });
    report
}

/// A request of a signalling connection and its response, as much as the replay compares.
#[derive(Debug, Clone, Default)]
struct Exchange {
    time: Duration,
    method: String,
    target: String,
    content_type: Option<String>,
    body: Vec<u8>,
    status: Option<u16>,
    response_type: Option<String>,
    location: Option<String>,
    response: Vec<u8>,
}

/// Body bytes kept per message (an SDP is a few kilobytes).
const MAX_BODY: usize = 64 * 1024;

fn keep(body: &mut Vec<u8>, data: &[u8]) {
    let room = MAX_BODY.saturating_sub(body.len());
    body.extend_from_slice(&data[..data.len().min(room)]);
}

/// The exchanges of a captured HTTP connection, in order (those read before a reader gave up).
fn exchanges(flow: &Flow) -> Vec<Exchange> {
    let now = Instant::now();
    let mut out: Vec<Exchange> = Vec::new();
    let mut requests = MessageReader::new(Role::Request, Limits::default());
    let mut responses = MessageReader::new(Role::Response, Limits::default());
    'read: for (time, piece) in &flow.bytes[Direction::ClientToServer.index()].pieces {
        let failed = requests.handle_input(now, piece).is_err();
        while let Some(output) = requests.poll_output() {
            match output {
                Output::Event(Event::Head { head, .. }) => {
                    let Start::Request { method, target } = head.start else {
                        continue;
                    };
                    if responses.expect_response(&method).is_none() {
                        break 'read;
                    }
                    out.push(Exchange {
                        time: *time,
                        method,
                        target,
                        content_type: head.content_type,
                        ..Exchange::default()
                    });
                }
                Output::Event(Event::Body { data, .. }) => {
                    if let Some(exchange) = out.last_mut() {
                        keep(&mut exchange.body, &data);
                    }
                }
                _ => {}
            }
        }
        if failed {
            break;
        }
    }
    let mut current = None;
    for (_, piece) in &flow.bytes[Direction::ServerToClient.index()].pieces {
        let failed = responses.handle_input(now, piece).is_err();
        while let Some(output) = responses.poll_output() {
            match output {
                Output::Event(Event::Head { head, answers }) => {
                    current = answers.and_then(|n| usize::try_from(n).ok());
                    if let (Start::Response { status, .. }, Some(exchange)) =
                        (head.start, current.and_then(|n| out.get_mut(n)))
                    {
                        exchange.status = Some(status);
                        exchange.response_type = head.content_type;
                        exchange.location = head
                            .kept
                            .iter()
                            .find(|(name, _)| *name == "location")
                            .map(|(_, value)| value.clone());
                    }
                }
                Output::Event(Event::Body { data, .. }) => {
                    if let Some(exchange) = current.and_then(|n| out.get_mut(n)) {
                        keep(&mut exchange.response, &data);
                    }
                }
                _ => {}
            }
        }
        if failed {
            break;
        }
    }
    out
}

/// One captured WHIP or WHEP session.
#[derive(Debug, Clone)]
struct Session {
    side: Side,
    post: Exchange,
    /// The DELETE of its resource, if the client sent one: when, and the status it got.
    delete: Option<(Duration, Option<u16>)>,
    /// The direction the WHIP/WHEP client sent in on the media flow (when one was found).
    client: Direction,
    has_media: bool,
}

/// The path of a request target or Location (an absolute URL's, or as it is).
fn path_of(target: &str) -> &str {
    let rest = target.split_once("://").map_or(target, |(_, rest)| {
        rest.find('/').map_or("/", |at| &rest[at..])
    });
    rest.split('?').next().unwrap_or_default()
}

/// The ICE username fragment of an SDP's first m-line (or its session level).
fn ufrag(sdp: &[u8]) -> Option<String> {
    let (sd, _) = weir_sdp::parse(sdp).ok()?;
    sd.media
        .iter()
        .find_map(|m| m.ice_ufrag(&sd))
        .map(str::to_owned)
}

/// The sessions of a signalling flow, each with the flow it is replayed as: its media flow
/// (the one with most datagrams whose STUN checks name the session's fragments), starting
/// when its offer was posted.
fn sessions(signalling: &Flow, media: &[Flow]) -> Vec<(Flow, Session)> {
    let exchanges = exchanges(signalling);
    let mut out = Vec::new();
    for post in &exchanges {
        let path = path_of(&post.target);
        let side = if path.contains("/whep") {
            Side::Whep
        } else if path.contains("/whip") {
            Side::Whip
        } else {
            continue;
        };
        let is_sdp = |t: &Option<String>| t.as_deref().is_some_and(|t| t.starts_with(SDP));
        if post.method != "POST" || !is_sdp(&post.content_type) {
            continue;
        }
        let delete = post.location.as_deref().and_then(|location| {
            exchanges
                .iter()
                .find(|e| e.method == "DELETE" && path_of(&e.target) == path_of(location))
                .map(|e| (e.time, e.status))
        });
        let username = match (ufrag(&post.response), ufrag(&post.body)) {
            (Some(answerer), Some(offerer)) => Some(format!("{answerer}:{offerer}")),
            _ => None,
        };
        let found = username.and_then(|username| {
            media
                .iter()
                .filter_map(|f| checked_by(f, &username).map(|dir| (f, dir)))
                .max_by_key(|(f, _)| f.bytes[0].pieces.len() + f.bytes[1].pieces.len())
        });
        let mut flow = match found {
            Some((flow, _)) => flow.clone(),
            None => Flow {
                bytes: Default::default(),
                ..signalling.clone()
            },
        };
        // The session starts when its offer was posted.
        flow.bytes[0].pieces.insert(0, (post.time, Bytes::new()));
        let session = Session {
            side,
            post: post.clone(),
            delete,
            client: found.map_or(Direction::ClientToServer, |(_, dir)| dir),
            has_media: found.is_some(),
        };
        out.push((flow, session));
    }
    out
}

/// The direction in which a STUN request with `username` went on `flow`, if one did.
fn checked_by(flow: &Flow, username: &str) -> Option<Direction> {
    [Direction::ClientToServer, Direction::ServerToClient]
        .into_iter()
        .find(|dir| {
            flow.bytes[dir.index()].pieces.iter().any(|(_, datagram)| {
                weir_stun::classify(datagram) == Kind::Stun
                    && Message::parse_datagram(datagram, &mut Vec::new()).is_ok_and(|m| {
                        m.message_type.class == Class::Request && m.username() == Some(username)
                    })
            })
        })
}

fn other(dir: Direction) -> Direction {
    match dir {
        Direction::ClientToServer => Direction::ServerToClient,
        Direction::ServerToClient => Direction::ClientToServer,
    }
}

/// What a server did in one session, in the answers' shape.
#[derive(Debug, Default)]
struct Heard {
    post: String,
    /// The codecs the answer accepts, per m-line kind.
    accepted: Option<String>,
    /// Whether ICE and DTLS completed (for an answered offer).
    connected: Option<bool>,
    /// Why our client could not take the answer.
    unusable: Option<String>,
    rtcp: BTreeMap<&'static str, u64>,
    /// RTP packets the server sent (to a player).
    media: u64,
    delete: Option<Option<u16>>,
}

impl Heard {
    fn answered(side: Side, status: Option<u16>, media_type: Option<&str>, located: bool) -> Self {
        let post = match status {
            Some(status) => format!(
                "{} POST: {status} {}{}",
                side.name(),
                media_type.unwrap_or("(no Content-Type)"),
                if located { ", Location" } else { "" }
            ),
            None => format!("{} POST: no answer", side.name()),
        };
        Heard {
            post,
            ..Heard::default()
        }
    }

    fn answers(&self) -> Answers {
        let mut answers = Answers::default();
        let lines = &mut answers.lines;
        lines.push(self.post.clone());
        lines.extend(self.accepted.iter().map(|a| format!("answer accepts {a}")));
        lines.extend(
            self.unusable
                .iter()
                .map(|why| format!("answer unusable: {why}")),
        );
        match self.connected {
            Some(true) => lines.push("ICE and DTLS completed".to_owned()),
            Some(false) => lines.push("ICE and DTLS did not complete".to_owned()),
            None => {}
        }
        for (kind, count) in &self.rtcp {
            // Extended reports are counted, not compared: a server's DLRR answers the
            // client's RRTR (RFC 3611 §4.4, §4.5), which str0m sends and Chromium does not.
            if *kind != "extended reports" {
                lines.push(format!("RTCP {kind} from the server"));
            }
            answers.frames.insert(format!("RTCP {kind}"), *count);
        }
        if self.media > 0 {
            lines.push("media from the server".to_owned());
            answers.frames.insert("RTP packets".to_owned(), self.media);
        }
        match self.delete {
            Some(Some(status)) => lines.push(format!("DELETE: {status}")),
            Some(None) => lines.push("DELETE: no answer".to_owned()),
            None => {}
        }
        answers
    }
}

/// Each m-line's kind and first codec, as an answer accepts them: "audio opus, video H264".
fn accepted(answer: &[u8]) -> Option<String> {
    let (sd, _) = weir_sdp::parse(answer).ok()?;
    let mut kinds: Vec<String> = sd
        .media
        .iter()
        .filter(|m| !m.is_rejected())
        .filter_map(|m| Some(format!("{} {}", m.media, m.codecs().first()?.name)))
        .collect();
    kinds.sort();
    Some(kinds.join(", "))
}

/// A codec whose captured packets are re-sent, by its SDP encoding name.
fn codec(name: &str) -> Option<Codec> {
    match name.to_ascii_lowercase().as_str() {
        "h264" => Some(Codec::H264),
        "opus" => Some(Codec::Opus),
        _ => None,
    }
}

/// The captured session's media flow, decrypted.
#[derive(Debug, Default)]
struct Captured {
    /// The client's RTP of the codecs re-sent: when, what codec, the clear packet.
    packets: Vec<(Duration, Codec, RtpPacket)>,
    /// The server answered a connectivity check, and SRTP or SRTCP decrypted.
    connected: bool,
    rtcp: BTreeMap<&'static str, u64>,
    media: u64,
    /// Why the session cannot be replayed.
    keyless: Option<String>,
    /// Packets left out for a payload larger than [`MAX_PAYLOAD`].
    oversized: usize,
}

/// The largest payload re-sent: str0m writes a packet into a buffer of 2000 bytes (and
/// panics past it), and no path of an Ethernet MTU carries more than 1500.
const MAX_PAYLOAD: usize = 1500;

fn captured(flow: &Flow, session: &Session, keys: Option<&KeyLog>) -> Captured {
    let mut out = Captured::default();
    // The payload types of the answer (a WHIP answer keeps the offer's numbers).
    let mut types: BTreeMap<u8, Codec> = BTreeMap::new();
    for sdp in [&session.post.body, &session.post.response] {
        if let Ok((sd, _)) = weir_sdp::parse(sdp) {
            for c in sd.media.iter().flat_map(|m| m.codecs()) {
                match codec(&c.name) {
                    Some(codec) => types.insert(c.payload_type, codec),
                    None => types.remove(&c.payload_type),
                };
            }
        }
    }
    let mut ice = false;
    let options = rtcp::Options {
        reduced_size: true,
        ..rtcp::Options::default()
    };
    for dir in [session.client, other(session.client)] {
        let from_client = dir == session.client;
        let mut context: Option<Context> = None;
        let mut encrypted = 0u64;
        for (time, datagram) in &flow.bytes[dir.index()].pieces {
            match weir_stun::classify(datagram) {
                Kind::Stun if !from_client => {
                    ice |= Message::parse_datagram(datagram, &mut Vec::new())
                        .is_ok_and(|m| m.message_type.class == Class::SuccessResponse);
                }
                Kind::Rtp => {
                    encrypted += 1;
                    let Some(clear) = decrypt(keys, &mut context, datagram) else {
                        continue;
                    };
                    if rtcp::is_rtcp(datagram) {
                        if !from_client && let Ok(compound) = rtcp::parse(&clear, &options) {
                            for packet in &compound.packets {
                                *out.rtcp.entry(rtcp_kind(packet)).or_default() += 1;
                            }
                        }
                    } else if !from_client {
                        out.media += 1;
                    } else if let Ok(packet) = RtpPacket::parse(&clear)
                        && let Some(&codec) = types.get(&packet.payload_type)
                    {
                        if packet.payload.len() > MAX_PAYLOAD {
                            out.oversized += 1;
                        } else {
                            out.packets.push((*time, codec, packet));
                        }
                    }
                }
                _ => {}
            }
        }
        if encrypted > 0 && context.is_none() {
            let who = if from_client { "client" } else { "server" };
            out.keyless.get_or_insert_with(|| match keys {
                None => format!("the {who}'s SRTP is encrypted and no --keylog was given"),
                Some(_) => format!("no key of --keylog decrypts the {who}'s SRTP"),
            });
        }
        out.connected |= context.is_some();
    }
    out.connected &= ice;
    out
}

/// How long a session stays after its captured end, at most, and after its last packet at
/// least (for the last RTCP to come).
const MAX_STAY: Duration = Duration::from_secs(30);
const LINGER: Duration = Duration::from_secs(1);

/// What every session's replay shares.
struct Live<'a> {
    endpoints: &'a Endpoints,
    roots: &'a [Certificate],
    keys: Option<&'a KeyLog>,
    options: &'a Options,
}

/// A captured stream's place on the live session: the captured first extended sequence
/// number and timestamp, the last sequence number seen and its rollovers.
struct Rebase {
    ssrc: u32,
    first_seq: u64,
    first_time: u32,
    extended: u64,
}

impl Rebase {
    fn new(packet: &RtpPacket) -> Rebase {
        Rebase {
            ssrc: packet.ssrc,
            first_seq: u64::from(packet.sequence),
            first_time: packet.timestamp,
            extended: u64::from(packet.sequence),
        }
    }

    /// The live sequence number (from 1, the captured distances kept) and timestamp (from 0).
    fn map(&mut self, packet: &RtpPacket) -> (u64, u32) {
        // The extended sequence number nearest the last one (RFC 3550 §A.1).
        let last = self.extended;
        let delta = i64::from(packet.sequence.wrapping_sub(last as u16) as i16);
        let extended = last.saturating_add_signed(delta).max(self.first_seq);
        self.extended = self.extended.max(extended);
        (
            extended - self.first_seq + 1,
            packet.timestamp.wrapping_sub(self.first_time),
        )
    }
}

impl Live<'_> {
    fn scale(&self, d: Duration) -> Duration {
        match self.options.pacing {
            Pacing::Speed(speed) => d.div_f64(speed.max(1e-3)),
            Pacing::AsFastAsPossible => Duration::ZERO,
        }
    }

    fn replay(&self, flow: &Flow, session: &Session) -> FlowReplay {
        let started = Instant::now();
        let captured = captured(flow, session, self.keys);
        let post = &session.post;
        let mut heard = Heard::answered(
            session.side,
            post.status,
            post.response_type.as_deref().map(media_type).as_deref(),
            post.location.is_some(),
        );
        if post.status == Some(201) {
            heard.accepted = accepted(&post.response);
            heard.connected = Some(session.has_media && captured.connected);
        }
        heard.rtcp = captured.rtcp.clone();
        heard.media = captured.media;
        heard.delete = session.delete.map(|(_, status)| status);
        let mut replay = FlowReplay {
            flow: flow.id,
            client: flow.client,
            server: flow.server,
            sent: 0,
            captured_messages: captured.packets.len(),
            captured: heard.answers(),
            live: Answers::default(),
            error: None,
            truncated: (captured.oversized > 0).then(|| {
                format!(
                    "{} RTP packets with payloads over {MAX_PAYLOAD} bytes left out",
                    captured.oversized
                )
            }),
            elapsed: Duration::ZERO,
        };
        if let Some(why) = &captured.keyless {
            replay.error = Some(format!(
                "not replayable: {why}, and its RTP cannot be read without the key"
            ));
            return replay;
        }
        match self.live(session, &captured, &mut replay.sent) {
            Ok(heard) => replay.live = heard.answers(),
            Err(outcome) => replay.error = Some(super::describe(outcome)),
        }
        replay.elapsed = started.elapsed();
        replay
    }

    /// The live session: posted, connected, the captured RTP re-sent, deleted.
    fn live(
        &self,
        session: &Session,
        captured: &Captured,
        sent: &mut usize,
    ) -> Result<Heard, Outcome> {
        let start = Instant::now();
        let t0 = session.post.time;
        let http = Http::new(self.options.answer_timeout, self.roots).map_err(Outcome::error)?;
        let (url, direction): (&Url, _) = match session.side {
            Side::Whip => (&self.endpoints.whip, MediaDirection::SendOnly),
            Side::Whep => (&self.endpoints.whep, MediaDirection::RecvOnly),
        };
        let options = PeerOptions {
            forge: false,
            rtp_mode: true,
        };
        let token = self.endpoints.token.as_deref();
        let (reply, peer) = Peer::post(&http, session.side.name(), url, token, direction, options)?;
        let media_type = reply.media_type();
        let located = reply.header("location").is_some();
        let mut heard = Heard::answered(
            session.side,
            Some(reply.status),
            media_type.as_deref(),
            located,
        );
        if reply.status != 201 {
            return Ok(heard);
        }
        heard.accepted = accepted(reply.body.as_bytes());
        let mut peer = match peer {
            Ok(peer) => peer,
            Err(why) => {
                heard.unusable = Some(super::describe(why));
                return Ok(heard);
            }
        };
        let deadline = Instant::now() + self.options.answer_timeout.max(Duration::from_secs(5));
        let connected = until_connected(&mut [&mut peer], deadline).is_ok();
        heard.connected = Some(connected);
        if connected && session.side == Side::Whip {
            self.publish(&mut peer, captured, start, t0, sent)?;
        }
        // The client stays until its captured end (its DELETE, or its last datagram).
        let last = captured.packets.last().map(|(t, ..)| *t);
        let end = session.delete.map(|(t, _)| t).or(last).unwrap_or(t0);
        let stay = (start + self.scale(end.saturating_sub(t0)))
            .min(Instant::now() + MAX_STAY)
            .max(Instant::now() + LINGER);
        while Instant::now() < stay {
            peer.turn()?;
            std::thread::sleep(Duration::from_millis(2));
        }
        heard.rtcp = peer.rtcp.clone();
        heard.media = peer.rtp_received;
        if session.delete.is_some() {
            heard.delete = Some(peer.delete(&http, token));
        }
        Ok(heard)
    }

    /// Re-sends the captured packets at their pacing, each captured stream on the live
    /// session's stream of its codec (the first captured stream of a codec; others are left
    /// out).
    fn publish(
        &self,
        peer: &mut Peer,
        captured: &Captured,
        start: Instant,
        t0: Duration,
        sent: &mut usize,
    ) -> Result<(), Outcome> {
        let mut streams: BTreeMap<&'static str, Rebase> = BTreeMap::new();
        let h264 = peer.sending(Codec::H264);
        let opus = peer.sending(Codec::Opus);
        let wallclock = Instant::now();
        for (time, codec, packet) in &captured.packets {
            let (key, target) = match codec {
                Codec::H264 => ("video", h264),
                _ => ("audio", opus),
            };
            let Some((mid, pt)) = target else {
                continue;
            };
            let rebase = streams.entry(key).or_insert_with(|| Rebase::new(packet));
            if rebase.ssrc != packet.ssrc {
                continue;
            }
            let due = start + self.scale(time.saturating_sub(t0));
            while Instant::now() < due {
                peer.turn()?;
                let left = due.saturating_duration_since(Instant::now());
                std::thread::sleep(left.min(Duration::from_millis(2)));
            }
            let (seq, rtp_time) = rebase.map(packet);
            let mut api = peer.rtc.direct_api();
            let Some(stream) = api.stream_tx_by_mid(mid, None) else {
                return Err(Outcome::error(format!(
                    "str0m has no stream to send mid {mid} on"
                )));
            };
            let write = RtpWrite::new(
                pt,
                seq.into(),
                rtp_time,
                wallclock + time.saturating_sub(t0),
                packet.payload.to_vec(),
            )
            .marker(packet.marker)
            .nackable(true);
            stream.write_rtp(write);
            *sent += 1;
            peer.turn()?;
        }
        Ok(())
    }
}

/// A Content-Type's media type, without parameters, in lower case.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_targets_and_locations() {
        assert_eq!(path_of("/rtc/v1/whip/?app=live&stream=x"), "/rtc/v1/whip/");
        assert_eq!(
            path_of("http://h:1985/rtc/v1/resource/ab"),
            "/rtc/v1/resource/ab"
        );
        assert_eq!(path_of("http://h"), "/");
    }

    #[test]
    fn rebased_sequence_numbers_keep_their_distances_across_a_wrap() {
        let packet = |sequence: u16, timestamp: u32| RtpPacket {
            marker: false,
            payload_type: 96,
            sequence,
            timestamp,
            ssrc: 1,
            csrcs: Vec::new(),
            extension: None,
            payload: Bytes::new(),
            padding: 0,
        };
        let mut rebase = Rebase::new(&packet(65534, u32::MAX));
        assert_eq!(rebase.map(&packet(65534, u32::MAX)), (1, 0));
        assert_eq!(rebase.map(&packet(1, 89)), (4, 90));
        // A packet from before the first (reordered) is not before 1.
        assert_eq!(rebase.map(&packet(65000, 0)).0, 1);
    }
}
