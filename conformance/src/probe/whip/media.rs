//! The media round: our own WebRTC peers (str0m) publish a generated stream by WHIP and play
//! it back by WHEP, on UDP sockets this file drives, and record what the cases judge — the
//! frames sent and received, who sent the DTLS ClientHello, and whether the server answered
//! a STUN Binding request of ours once connected (RFC 7675 consent).
//!
//! Both peers run on one thread: each turn drains their outputs, reads what arrived on their
//! sockets, fires their timers and writes the frames that are due.

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use weir_dtls::handshake::{Fragment, types};
use weir_dtls::record::{self, ContentType, Unit};
use weir_sdp::{SessionDescription, Setup};
use weir_stun::{Attribute, Builder, Class, Credentials, Message, MessageType, TransactionId};

use super::h264;
use super::http::{Http, Reply, Request, SDP};
use crate::probe::{Outcome, Step};

/// Video frames the publisher sends (25 fps).
pub const VIDEO_FRAMES: usize = 50;
/// Opus packets the publisher sends (20 ms each).
pub const AUDIO_PACKETS: usize = 100;
/// How long the player waits after the last frame for stragglers.
const LINGER: Duration = Duration::from_millis(1500);

/// Who sent the DTLS ClientHello on a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hellos {
    pub from_server: bool,
    pub from_us: bool,
}

/// One peer's session as the cases judge it.
#[derive(Debug, Clone)]
pub struct Leg {
    /// `whip` or `whep`.
    pub name: &'static str,
    pub answer: String,
    /// The answer's DTLS setup (its first m= line's, or its BUNDLE tag's).
    pub setup: Option<Setup>,
    pub hellos: Hellos,
    pub connected: bool,
    /// STUN Binding requests of ours after the connection: (sent, answered with a success
    /// whose integrity checked).
    pub consent: (u32, u32),
    /// What was wrong with consent answers (an error response, a bad integrity).
    pub consent_problems: Vec<String>,
    /// STUN Binding success responses str0m's own checks got after the connection.
    pub keepalive_answers: u32,
    pub resource: Option<Url>,
}

/// What the round saw.
#[derive(Debug, Clone)]
pub struct Round {
    pub publish: Leg,
    pub play: Leg,
    /// The access units sent, as NAL units.
    pub sent_video: Vec<Vec<Vec<u8>>>,
    pub sent_audio: Vec<Vec<u8>>,
    pub got_video: Vec<Vec<Vec<u8>>>,
    pub got_audio: Vec<Vec<u8>>,
}

/// One peer: str0m, its socket and what it saw.
pub(crate) struct Peer {
    pub(crate) rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    pub(crate) leg: Leg,
    local_ufrag: String,
    remote_ufrag: String,
    remote_pwd: String,
    /// Where the server's datagrams come from (ICE's selected remote address).
    remote: Option<SocketAddr>,
    consent_id: Option<TransactionId>,
    media: Vec<(bool, Vec<u8>)>,
    /// In RTP mode (`weir replay`): the RTCP packets the server sent, by kind, and the RTP
    /// packets it sent.
    pub(crate) rtcp: std::collections::BTreeMap<&'static str, u64>,
    pub(crate) rtp_received: u64,
}

/// How [`Peer::post`] makes its peer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PeerOptions {
    /// The offer names another certificate's fingerprint than ours.
    pub forge: bool,
    /// str0m's RTP mode: packets written as they are (`StreamTx::write_rtp`), not frames,
    /// and the RTCP received reported by kind (`weir replay`).
    pub rtp_mode: bool,
}

/// A name for each kind of RTCP packet str0m reads, as [`rtcp_kind`] names weir-rtp's.
fn str0m_rtcp_kind(rtcp: &str0m::rtp::rtcp::Rtcp) -> &'static str {
    use str0m::rtp::rtcp::Rtcp;
    match rtcp {
        Rtcp::SenderReport(_) => "sender reports",
        Rtcp::ReceiverReport(_) => "receiver reports",
        Rtcp::ExtendedReport(_) => "extended reports",
        Rtcp::SourceDescription(_) => "SDES",
        Rtcp::Goodbye(_) => "BYE",
        Rtcp::Nack(_) => "NACK",
        Rtcp::Pli(_) => "PLI",
        Rtcp::Fir(_) => "FIR",
        Rtcp::Twcc(_) => "TWCC",
        Rtcp::Remb(_) => "REMB",
        Rtcp::AppSpecificFeedback(_) => "application feedback",
    }
}

/// The same names for weir-rtp's packets (a captured server's, decrypted).
pub(crate) fn rtcp_kind(packet: &weir_rtp::rtcp::Packet) -> &'static str {
    use weir_rtp::rtcp::Packet;
    match packet {
        Packet::SenderReport(_) => "sender reports",
        Packet::ReceiverReport(_) => "receiver reports",
        Packet::Sdes(_) => "SDES",
        Packet::Bye(_) => "BYE",
        Packet::Nack(_) => "NACK",
        Packet::TransportFeedback(_) => "TWCC",
        Packet::Pli(_) => "PLI",
        Packet::Fir(_) => "FIR",
        Packet::Remb(_) => "REMB",
        Packet::App(_) => "APP",
        Packet::Raw(raw) if raw.packet_type == 207 => "extended reports",
        Packet::Raw(raw) if raw.packet_type == 206 && raw.count == 15 => "application feedback",
        Packet::Raw(_) => "other RTCP",
    }
}

/// Where our socket should live to reach `url`'s host: the address the kernel routes from.
fn local_ip(url: &Url) -> Result<std::net::IpAddr, String> {
    let host = url.host_str().ok_or("the URL names no host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    let server = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} resolves to no address"))?;
    let probe = UdpSocket::bind(if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .and_then(|s| s.connect(server).map(|()| s))
    .and_then(|s| s.local_addr())
    .map_err(|e| format!("no route to {server}: {e}"))?;
    Ok(probe.ip())
}

fn attribute<'a>(sdp: &'a str, name: &str) -> Option<&'a str> {
    sdp.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
}

impl Peer {
    /// Creates the peer, POSTs its offer to `url` and applies the answer.
    fn open(
        http: &Http,
        name: &'static str,
        url: &Url,
        token: Option<&str>,
        direction: Direction,
        forge: bool,
    ) -> Step<Peer> {
        let options = PeerOptions {
            forge,
            rtp_mode: false,
        };
        let (reply, peer) = Self::post(http, name, url, token, direction, options)?;
        if reply.status != 201 {
            return Err(Outcome::fail(
                format!("{name}: 201 Created for str0m's offer"),
                reply.summary(),
            ));
        }
        peer
    }

    /// Creates the peer and POSTs its offer to `url`: the answer, and the peer with the
    /// answer applied (not when the answer is no 201 Created or str0m cannot take it).
    /// `Err` when there is no answer.
    pub(crate) fn post(
        http: &Http,
        name: &'static str,
        url: &Url,
        token: Option<&str>,
        direction: Direction,
        options: PeerOptions,
    ) -> Step<(Reply, Step<Peer>)> {
        let ip = local_ip(url).map_err(Outcome::error)?;
        let socket = UdpSocket::bind((ip, 0))
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .map_err(|e| Outcome::error(format!("cannot open a UDP socket: {e}")))?;
        let local = socket
            .local_addr()
            .map_err(|e| Outcome::error(e.to_string()))?;
        let mut rtc = RtcConfig::new()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .clear_codecs()
            .enable_opus(true, false)
            .enable_h264(true)
            .set_rtp_mode(options.rtp_mode)
            .enable_raw_packets(options.rtp_mode)
            .build(Instant::now());
        let candidate = Candidate::host(local, "udp")
            .map_err(|e| Outcome::error(format!("no host candidate for {local}: {e}")))?;
        rtc.add_local_candidate(candidate);
        let mut api = rtc.sdp_api();
        api.add_media(MediaKind::Audio, direction, None, None, None);
        api.add_media(MediaKind::Video, direction, None, None, None);
        let (offer, pending) = api
            .apply()
            .ok_or_else(|| Outcome::error("str0m made no offer"))?;
        let mut offer = offer.to_sdp_string();
        if options.forge {
            offer = forge_fingerprint(&offer);
        }
        let reply = http
            .send(
                Request::new(Method::POST, url)
                    .body(SDP, &offer)
                    .token(token),
            )
            .map_err(Outcome::error)?;
        if reply.status != 201 {
            let refused = Outcome::fail(
                format!("{name}: 201 Created for str0m's offer"),
                reply.summary(),
            );
            return Ok((reply, Err(refused)));
        }
        let resource = reply.header("location").and_then(|l| url.join(l).ok());
        let leg = Leg {
            name,
            answer: reply.body.clone(),
            setup: answer_setup(&reply.body),
            hellos: Hellos::default(),
            connected: false,
            consent: (0, 0),
            consent_problems: Vec::new(),
            keepalive_answers: 0,
            resource,
        };
        let mut peer = Peer {
            local_ufrag: attribute(&offer, "a=ice-ufrag:")
                .unwrap_or_default()
                .to_owned(),
            remote_ufrag: attribute(&reply.body, "a=ice-ufrag:")
                .unwrap_or_default()
                .to_owned(),
            remote_pwd: attribute(&reply.body, "a=ice-pwd:")
                .unwrap_or_default()
                .to_owned(),
            rtc,
            socket,
            local,
            leg,
            remote: None,
            consent_id: None,
            media: Vec::new(),
            rtcp: Default::default(),
            rtp_received: 0,
        };
        let accepted = peer.accept(pending, &reply.body).map(|()| peer);
        Ok((reply, accepted))
    }

    fn accept(&mut self, pending: SdpPendingOffer, answer: &str) -> Step<()> {
        let answer = SdpAnswer::from_sdp_string(answer).map_err(|e| {
            Outcome::fail(
                format!("{}: an answer str0m can read", self.leg.name),
                e.to_string(),
            )
        })?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| {
                Outcome::fail(
                    format!("{}: an answer str0m accepts", self.leg.name),
                    e.to_string(),
                )
            })
    }

    /// Drains str0m's outputs; the time of its next timer.
    fn drain(&mut self) -> Step<Instant> {
        loop {
            let output = self
                .rtc
                .poll_output()
                .map_err(|e| Outcome::error(format!("{}: str0m: {e}", self.leg.name)))?;
            match output {
                Output::Timeout(at) => return Ok(at),
                Output::Transmit(t) => {
                    if is_client_hello(&t.contents) {
                        self.leg.hellos.from_us = true;
                    }
                    let _ = self.socket.send_to(&t.contents, t.destination);
                }
                Output::Event(Event::Connected) => self.leg.connected = true,
                Output::Event(Event::MediaData(data)) => {
                    let video = data.params.spec().codec.is_video();
                    self.media.push((video, data.data.to_vec()));
                }
                Output::Event(Event::RawPacket(raw)) => {
                    if let str0m::rtp::RawPacket::RtcpRx(rtcp) = *raw {
                        *self.rtcp.entry(str0m_rtcp_kind(&rtcp)).or_default() += 1;
                    }
                }
                Output::Event(Event::RtpPacket(_)) => self.rtp_received += 1,
                Output::Event(_) => {}
            }
        }
    }

    /// Reads every datagram waiting on the socket.
    fn receive(&mut self) -> Step<()> {
        let mut buf = vec![0u8; 2048];
        loop {
            let (n, source) = match self.socket.recv_from(&mut buf) {
                Ok(got) => got,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                Err(e) => return Err(Outcome::error(format!("UDP: {e}"))),
            };
            let datagram = &buf[..n];
            self.remote = Some(source);
            if is_client_hello(datagram) {
                self.leg.hellos.from_server = true;
            }
            if weir_stun::is_stun(datagram) && self.consent_answer(datagram) {
                continue;
            }
            let Ok(contents) = datagram.try_into() else {
                continue;
            };
            let input = Input::Receive(
                Instant::now(),
                Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: self.local,
                    contents,
                },
            );
            if self.rtc.accepts(&input) {
                self.rtc
                    .handle_input(input)
                    .map_err(|e| Outcome::error(format!("{}: str0m: {e}", self.leg.name)))?;
            }
        }
    }

    /// Takes a STUN datagram: true when it answered our own consent request (then it is not
    /// str0m's). Counts str0m's answered checks once connected.
    fn consent_answer(&mut self, datagram: &[u8]) -> bool {
        let mut violations = Vec::new();
        let Ok(message) = Message::parse_datagram(datagram, &mut violations) else {
            return false;
        };
        if Some(message.transaction_id) != self.consent_id {
            if self.leg.connected && message.message_type.class == Class::SuccessResponse {
                self.leg.keepalive_answers += 1;
            }
            return false;
        }
        self.consent_id = None;
        match message.message_type.class {
            Class::SuccessResponse => {
                let credentials = Credentials::ShortTerm {
                    password: self.remote_pwd.clone(),
                };
                let mut problems = Vec::new();
                let check = weir_stun::verify_integrity(datagram, &credentials, &mut problems);
                if problems.is_empty() && check.sha1 == Some(true) {
                    self.leg.consent.1 += 1;
                } else if problems.is_empty() {
                    self.leg
                        .consent_problems
                        .push("a success without MESSAGE-INTEGRITY".to_owned());
                } else {
                    self.leg.consent_problems.extend(
                        problems
                            .iter()
                            .map(|v| format!("{}: {}", v.rule.id, v.detail)),
                    );
                }
            }
            class => self.leg.consent_problems.push(format!(
                "a {class:?} answered our Binding request ({:?})",
                message.error_code()
            )),
        }
        true
    }

    /// Sends a Binding request of our own to the server's address, with its credentials
    /// (RFC 8445 §7.2.2, as a consent check: RFC 7675 §5.1).
    fn send_consent(&mut self) {
        let Some(remote) = self.remote else {
            return;
        };
        let id = TransactionId(rand::random());
        let request = Builder::new(MessageType::BINDING_REQUEST, id)
            .attribute(&Attribute::Username(format!(
                "{}:{}",
                self.remote_ufrag, self.local_ufrag
            )))
            .attribute(&Attribute::Priority(0x6e00_1eff))
            .attribute(&Attribute::IceControlling(rand::random()))
            .message_integrity(self.remote_pwd.as_bytes())
            .fingerprint()
            .build();
        if self.socket.send_to(&request, remote).is_ok() {
            self.consent_id = Some(id);
            self.leg.consent.0 += 1;
        }
    }

    /// One turn: outputs, input, timers.
    pub(crate) fn turn(&mut self) -> Step<()> {
        let at = self.drain()?;
        self.receive()?;
        let now = Instant::now();
        if at <= now {
            self.rtc
                .handle_input(Input::Timeout(now))
                .map_err(|e| Outcome::error(format!("{}: str0m: {e}", self.leg.name)))?;
        }
        self.drain().map(drop)
    }

    /// The mid and payload type of the first negotiated `kind` media with codec `codec`.
    pub(crate) fn sending(&mut self, codec: Codec) -> Option<(Mid, Pt)> {
        let mids: Vec<Mid> = self.mids();
        // The media's payload types the answer accepted, read without a writer (which RTP
        // mode has not).
        for mid in mids {
            let accepted = self.rtc.media(mid)?.remote_pts().to_vec();
            let pt = self
                .rtc
                .codec_config()
                .params()
                .iter()
                .find(|p| {
                    accepted.contains(&p.pt())
                        && p.spec().codec == codec
                        && (codec != Codec::H264 || p.spec().format.packetization_mode == Some(1))
                })
                .map(|p| p.pt());
            if let Some(pt) = pt {
                return Some((mid, pt));
            }
        }
        None
    }

    /// Writes one frame (an access unit or an Opus packet) of media `mid`.
    fn write(&mut self, mid: Mid, pt: Pt, time: MediaTime, data: Vec<u8>) -> Step<()> {
        let writer = self
            .rtc
            .writer(mid)
            .ok_or_else(|| Outcome::error(format!("str0m has no writer for mid {mid}")))?;
        writer
            .write(pt, Instant::now(), time, data)
            .map_err(|e| Outcome::error(format!("str0m write: {e}")))
    }

    fn mids(&self) -> Vec<Mid> {
        self.leg
            .answer
            .lines()
            .filter_map(|l| l.strip_prefix("a=mid:"))
            .map(|m| Mid::from(m.trim()))
            .collect()
    }

    /// DELETEs the session's resource (RFC 9725 §4.3): the answer's status, if one came.
    pub(crate) fn delete(&self, http: &Http, token: Option<&str>) -> Option<u16> {
        let resource = self.leg.resource.as_ref()?;
        let reply = http.send(Request::new(Method::DELETE, resource).token(token));
        reply.ok().map(|r| r.status)
    }
}

/// `offer` with every SHA-256 fingerprint replaced by one of no certificate of ours (each
/// byte inverted): the offer of an impostor that holds another certificate.
fn forge_fingerprint(offer: &str) -> String {
    offer
        .split_inclusive('\n')
        .map(|line| match line.strip_prefix("a=fingerprint:sha-256 ") {
            Some(hex) => {
                let forged: Vec<String> = hex
                    .trim_end()
                    .split(':')
                    .map(|b| format!("{:02X}", !u8::from_str_radix(b, 16).unwrap_or(0)))
                    .collect();
                format!("a=fingerprint:sha-256 {}\r\n", forged.join(":"))
            }
            None => line.to_owned(),
        })
        .collect()
}

/// What a player whose offer names another certificate's fingerprint than its own saw.
#[derive(Debug, Clone)]
pub struct Forged {
    /// Our str0m completed ICE and DTLS: the handshake finished (a server may check the
    /// fingerprint after it, and then carry no media).
    pub connected: bool,
    /// Media packets the server sent the impostor, decrypted.
    pub media: usize,
    pub hellos: Hellos,
    /// Why our str0m gave up, if it did (a DTLS alert from the server, say).
    pub gave_up: Option<String>,
}

/// Publishes the round's stream by WHIP and plays it by WHEP with a forged fingerprint (our
/// player's certificate is not the one its offer names): what the impostor got. Both
/// sessions are deleted.
pub fn forged(
    http: &Http,
    whip: &Url,
    whep: &Url,
    token: Option<&str>,
    deadline: Instant,
) -> Step<Forged> {
    let mut publisher = Peer::open(http, "whip", whip, token, Direction::SendOnly, false)?;
    let connected = until_connected(&mut [&mut publisher], deadline).map_err(|o| {
        Outcome::error(format!(
            "no stream to play, so nothing was judged: the WHIP publisher did not connect ({o:?})"
        ))
    });
    let result = connected.and_then(|()| {
        let mut player = Peer::open(http, "whep", whep, token, Direction::RecvOnly, true)?;
        let played = exchange(&mut publisher, &mut player, deadline, true);
        player.delete(http, token);
        let gave_up = played.err().map(|e| format!("{e:?}"));
        Ok(Forged {
            connected: player.leg.connected,
            media: player.media.len(),
            hellos: player.leg.hellos,
            gave_up,
        })
    });
    publisher.delete(http, token);
    result
}

/// Whether a datagram carries a DTLS ClientHello: an epoch-0 handshake record (RFC 6347
/// §4.1, first byte 20 to 63 as RFC 7983 demultiplexes) holding a client_hello fragment,
/// read with weir-dtls.
fn is_client_hello(datagram: &[u8]) -> bool {
    if !datagram.first().is_some_and(|b| (20..=63).contains(b)) {
        return false;
    }
    let bytes = bytes::Bytes::copy_from_slice(datagram);
    let mut violations = Vec::new();
    record::parse_datagram(&bytes, &mut violations)
        .into_iter()
        .any(|unit| match unit {
            Unit::Record { record, .. } => {
                record.content_type == ContentType::Handshake
                    && record.epoch == 0
                    && Fragment::parse_all(&record.fragment).is_ok_and(|fragments| {
                        fragments.iter().any(|f| f.msg_type == types::CLIENT_HELLO)
                    })
            }
            Unit::Unified { .. } => false,
        })
}

/// The DTLS setup an answer gives its first m= line (or that line's BUNDLE tag).
pub fn answer_setup(answer: &str) -> Option<Setup> {
    let (sd, _) = weir_sdp::parse(answer).ok()?;
    first_setup(&sd)
}

fn first_setup(sd: &SessionDescription) -> Option<Setup> {
    sd.media.iter().find_map(|m| m.setup(sd))
}

/// Publishes by WHIP at `whip`, plays by WHEP at `whep`, and returns what was seen. Both
/// sessions are deleted at the end.
pub fn round(
    http: &Http,
    whip: &Url,
    whep: &Url,
    token: Option<&str>,
    deadline: Instant,
) -> Step<Round> {
    let mut publisher = Peer::open(http, "whip", whip, token, Direction::SendOnly, false)?;
    let result = play_against(http, &mut publisher, whep, token, deadline);
    publisher.delete(http, token);
    result
}

fn play_against(
    http: &Http,
    publisher: &mut Peer,
    whep: &Url,
    token: Option<&str>,
    deadline: Instant,
) -> Step<Round> {
    // The publisher connects first: a server may create the stream only then.
    until_connected(&mut [publisher], deadline)?;
    let mut player = Peer::open(http, "whep", whep, token, Direction::RecvOnly, false)?;
    let result = exchange(publisher, &mut player, deadline, false);
    player.delete(http, token);
    result
}

/// Turns every peer until the last one is connected (ICE and DTLS), for at most 5 s.
pub(crate) fn until_connected(peers: &mut [&mut Peer], deadline: Instant) -> Step<()> {
    let connect_by = (Instant::now() + Duration::from_secs(5)).min(deadline);
    loop {
        let Some(last) = peers.last() else {
            return Ok(());
        };
        if last.leg.connected {
            return Ok(());
        }
        if Instant::now() > connect_by {
            return Err(Outcome::fail(
                format!(
                    "the {} session connects (ICE and DTLS) within 5 s",
                    last.leg.name
                ),
                format!(
                    "not connected; DTLS ClientHello from the server: {}, from us: {}",
                    last.leg.hellos.from_server, last.leg.hellos.from_us
                ),
            ));
        }
        for peer in peers.iter_mut() {
            peer.turn()?;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Sends the generated stream from `publisher` while `player` receives. An `impostor`
/// player (its offer's fingerprint forged) need not connect: the stream is sent anyway, to
/// see whether the server gives it any; its errors end the exchange.
fn exchange(
    publisher: &mut Peer,
    player: &mut Peer,
    deadline: Instant,
    impostor: bool,
) -> Step<Round> {
    match impostor {
        true => until_connected(&mut [&mut *publisher], deadline)?,
        false => until_connected(&mut [&mut *publisher, &mut *player], deadline)?,
    }
    let video = publisher.sending(Codec::H264);
    let audio = publisher.sending(Codec::Opus);
    if video.is_none() && audio.is_none() {
        return Err(Outcome::fail(
            "H.264 or Opus negotiated for publishing",
            "the WHIP answer accepted neither",
        ));
    }
    // A moment for the server to attach the player to the stream.
    let start = Instant::now() + Duration::from_millis(500);
    let (mut next_video, mut next_audio) = (0usize, 0usize);
    let mut sent_video = Vec::new();
    let mut sent_audio = Vec::new();
    let end = start + Duration::from_millis(40 * VIDEO_FRAMES as u64) + LINGER;
    let mut consent_sent = false;
    while Instant::now() < end.min(deadline) {
        let now = Instant::now();
        if let Some((mid, pt)) = video {
            while next_video < VIDEO_FRAMES
                && now >= start + Duration::from_millis(40 * next_video as u64)
            {
                let units = h264::video_frame(next_video);
                let ticks = u64::from(h264::VIDEO_TICKS) * next_video as u64;
                let time = MediaTime::new(ticks, Frequency::NINETY_KHZ);
                publisher.write(mid, pt, time, h264::annex_b(&units))?;
                sent_video.push(units);
                next_video += 1;
            }
        }
        if let Some((mid, pt)) = audio {
            while next_audio < AUDIO_PACKETS
                && now >= start + Duration::from_millis(20 * next_audio as u64)
            {
                let packet = h264::opus_packet(next_audio);
                let ticks = u64::from(h264::AUDIO_TICKS) * next_audio as u64;
                let time = MediaTime::new(ticks, Frequency::FORTY_EIGHT_KHZ);
                publisher.write(mid, pt, time, packet.clone())?;
                sent_audio.push(packet);
                next_audio += 1;
            }
        }
        // Halfway, both sessions are asked for consent.
        if !consent_sent && now >= start + Duration::from_millis(20 * VIDEO_FRAMES as u64) {
            publisher.send_consent();
            player.send_consent();
            consent_sent = true;
        }
        publisher.turn()?;
        player.turn()?;
        std::thread::sleep(Duration::from_millis(2));
    }
    let got_video = player
        .media
        .iter()
        .filter(|(video, _)| *video)
        .map(|(_, data)| h264::nal_units(data))
        .collect();
    let got_audio = player
        .media
        .iter()
        .filter(|(video, _)| !*video)
        .map(|(_, data)| data.clone())
        .collect();
    Ok(Round {
        publish: publisher.leg.clone(),
        play: player.leg.clone(),
        sent_video,
        sent_audio,
        got_video,
        got_audio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One epoch-0 handshake record holding one whole message of type `msg_type` (RFC 6347
    /// §4.1 and §4.2.2 headers).
    fn handshake_record(msg_type: u8) -> Vec<u8> {
        let body = [0xAA; 4];
        let mut fragment = vec![msg_type, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4];
        fragment.extend_from_slice(&body);
        let mut record = vec![22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        record.push(fragment.len() as u8);
        record.extend(fragment);
        record
    }

    #[test]
    fn only_a_client_hello_counts_as_one() {
        assert!(is_client_hello(&handshake_record(1)));
        assert!(!is_client_hello(&handshake_record(2)));
        let mut alert_then_hello = vec![21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0];
        alert_then_hello.extend(handshake_record(1));
        assert!(is_client_hello(&alert_then_hello));
        assert!(!is_client_hello(&[0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42]));
        assert!(!is_client_hello(&[]));
    }

    #[test]
    fn the_answer_setup_is_read_from_its_first_m_line() {
        let answer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
                      m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n\
                      a=setup:passive\r\na=rtpmap:111 opus/48000/2\r\n";
        assert_eq!(answer_setup(answer), Some(Setup::Passive));
        assert_eq!(answer_setup("not sdp"), None);
    }
}
