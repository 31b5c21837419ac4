//! One WebRTC session: admitted through [`crate::session`] like every other client, then one
//! task drives its `str0m::Rtc` — datagrams in from the socket's loop, hub items out to a
//! player, frames in from a publisher — until the peer leaves, ICE consent lapses, the
//! handshake does not finish in time, the resource is deleted, or the client is kicked.

use super::egress::{Egress, Write};
use super::ingest::Ingest;
use super::{Endpoint, Inbound, RouteGuard};
use crate::Context;
use crate::clients::{ClientKind, ClientRequest};
use crate::session::{Denied, Session};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use str0m::change::SdpOffer;
use str0m::media::{KeyframeRequestKind, Mid, Rid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::sync::{Notify, mpsc};
use tracing::{Instrument, debug, info};
use weir_hub::{Slot, Stream, Subscriber};

/// An offer on its way to becoming a session.
pub(crate) struct Offer {
    pub sdp: String,
    pub request: ClientRequest,
    pub publish: bool,
    /// Who sent the offer (its address counts against `max_sessions_per_ip`).
    pub peer: SocketAddr,
    /// An extra candidate address (`?eip=`).
    pub eip: Option<IpAddr>,
}

/// The answer, and the session's resource id.
pub(crate) struct Answer {
    pub sdp: String,
    pub id: String,
}

/// Why an offer did not become a session.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    /// The offer is not SDP Weir can read (the rule it broke).
    #[error("{0}")]
    BadOffer(String),
    /// Nothing in the offer can be received or sent (no codec in common).
    #[error("{0}")]
    Unsupported(String),
    /// The security rules or a callback said no.
    #[error("{0}")]
    Denied(Denied),
    /// The client address has too many sessions.
    #[error("too many WebRTC sessions from {0}")]
    TooMany(IpAddr),
}

/// Keyframe requests from a stream's WebRTC players to its WebRTC publisher.
#[derive(Default)]
struct KeyframeWanted {
    wanted: AtomicBool,
    notify: Notify,
}

static KEYFRAMES: Slot<KeyframeWanted> = Slot::new();

/// Frames a player hands str0m in one turn of its loop, at most.
const MAX_WRITES: usize = 64;

/// Asks the stream's publisher, if it is a WebRTC one, for a keyframe.
fn want_keyframe(stream: &Stream) {
    let k = KEYFRAMES.get_or_init(stream, KeyframeWanted::default);
    k.wanted.store(true, Ordering::Relaxed);
    k.notify.notify_one();
}

/// Admits the offer's client, answers the offer, and starts the session's task.
pub(crate) async fn start(
    ctx: &Arc<Context>,
    endpoint: &Arc<Endpoint>,
    offer: Offer,
) -> Result<Answer, Refused> {
    let config = &ctx.config().rtc;
    let limits = weir_sdp::Limits {
        max_bytes: config.max_sdp_bytes,
        max_lines: 4096,
    };
    let (parsed, violations) = weir_sdp::parse_with(offer.sdp.as_bytes(), &limits)
        .map_err(|e| Refused::BadOffer(e.to_string()))?;
    for v in &violations {
        ctx.metrics.violations.add(v.rule.id, 1);
        debug!(rule = v.rule.id, detail = %v.detail, "offer broke a rule");
    }
    if parsed.media.is_empty() {
        return Err(Refused::BadOffer(
            "sdp.media: the offer has no m-line (RFC 9725 §4.2 offers media)".into(),
        ));
    }
    if parsed.media.len() > config.max_media {
        return Err(Refused::BadOffer(format!(
            "the offer has {} m-lines; at most {} are accepted",
            parsed.media.len(),
            config.max_media
        )));
    }
    let sdp_offer =
        SdpOffer::from_sdp_string(&offer.sdp).map_err(|e| Refused::BadOffer(e.to_string()))?;
    let remote_ufrag = parsed
        .media
        .first()
        .and_then(|m| m.ice_ufrag(&parsed))
        .unwrap_or_default()
        .to_owned();

    let kind = if offer.publish {
        ClientKind::RtcPublish
    } else {
        ClientKind::RtcPlay
    };
    let mut session = Session::open(ctx, offer.peer, kind);
    let key = crate::session::key(&offer.request);
    let mut rtp_mode = false;
    let role = if offer.publish {
        let (_, publisher) = session
            .publish(offer.request, kind)
            .await
            .map_err(Refused::Denied)?;
        Role::Publish(Box::new(Ingest::new(publisher, Instant::now())))
    } else {
        let (_, subscriber) = session
            .play(offer.request, kind)
            .await
            .map_err(Refused::Denied)?;
        let video = subscriber.stream().info().video.map(|v| v.codec);
        rtp_mode = config.packetize_once
            && super::egress::packetized_once(video, &offered_codecs(&parsed));
        Role::Play(Box::new((subscriber, Egress::new())))
    };

    let ufrag = crate::random_id("", 8);
    let mut config_rtc = RtcConfig::new();
    if endpoint.logs_keys() {
        config_rtc = config_rtc.set_crypto_provider(super::keylog::provider());
    }
    let mut rtc = config_rtc
        .set_ice_lite(true)
        .set_rtp_mode(rtp_mode)
        .set_local_ice_credentials(str0m::IceCreds {
            ufrag: ufrag.clone(),
            pass: crate::random_id("", 24),
        })
        .clear_codecs()
        .enable_h264(true)
        .enable_vp8(true)
        .enable_vp9(true)
        .enable_av1(true)
        .enable_h265(true)
        .enable_opus(true, false)
        .set_stats_interval(Some(Duration::from_secs(1)))
        .build(Instant::now());
    for addr in endpoint.session_candidates(offer.eip) {
        if let Ok(candidate) = Candidate::host(addr, "udp") {
            rtc.add_local_candidate(candidate);
        }
    }
    let answer = rtc
        .sdp_api()
        .accept_offer(sdp_offer)
        .map_err(|e| Refused::BadOffer(e.to_string()))?;
    let answer = with_rtcp_rsize(&answer.to_sdp_string(), &parsed);
    // What the answer says, read once: whether it carries a codec, and our DTLS role.
    let (usable, dtls_client) = weir_sdp::parse(answer.as_bytes())
        .map(|(sd, _)| {
            let usable = sd
                .media
                .iter()
                .any(|m| m.port != 0 && !m.codecs().is_empty());
            let setup = sd.media.first().and_then(|m| m.setup(&sd));
            (usable, setup == Some(weir_sdp::Setup::Active))
        })
        .unwrap_or((false, false));
    if !usable {
        return Err(Refused::Unsupported(
            "no codec of the offer is one Weir sends or receives (H.264, H.265, VP8, VP9, AV1, Opus)"
                .into(),
        ));
    }

    let id = session.client().id.clone();
    let (guard, rx) = endpoint
        .register(
            &id,
            (&ufrag, &remote_ufrag),
            offer.peer.ip(),
            config.max_sessions_per_ip,
        )
        .ok_or(Refused::TooMany(offer.peer.ip()))?;
    let client = Arc::clone(session.client());
    let span = tracing::info_span!(parent: None, "rtc", id = %client.id, peer = %client.peer, kind = kind.as_str());
    session.set_span(span.clone());
    info!(parent: &span, stream = %key, "session answered");
    let mut task = Peer {
        ctx: ctx.clone(),
        endpoint: endpoint.clone(),
        session,
        rtc,
        rx,
        role,
        _guard: guard,
        connected: false,
        last_heard: Instant::now(),
        published: Vec::new(),
        feedback: Vec::new(),
        keys: endpoint.logs_keys().then(Vec::new),
        dtls_client,
        rtp_mode,
        batch: super::Batch::new(endpoint),
    };
    task.published_changed();
    let handle = tokio::spawn(task.run().instrument(span));
    client.set_abort(handle.abort_handle());
    Ok(Answer { sdp: answer, id })
}

/// The codecs of the offer's live media sections that WebRTC carries (as the media model
/// names them).
fn offered_codecs(offer: &weir_sdp::SessionDescription) -> Vec<weir_media::Codec> {
    offer
        .media
        .iter()
        .filter(|m| m.port != 0)
        .flat_map(|m| m.codecs())
        .filter_map(|c| super::media_codec(str0m::format::Codec::from(c.name.as_str())))
        .collect()
}

/// The answer with `a=rtcp-rsize` in each media section whose offer had it. str0m sends
/// reduced-size RTCP (transport-wide CC feedback, NACK and PLI alone in a datagram) but does not
/// say so in its answer; RFC 5506 §5 allows it only when both sides agreed, which the offerer
/// can tell only from the answer.
fn with_rtcp_rsize(answer: &str, offer: &weir_sdp::SessionDescription) -> String {
    let mut sections = answer.split("\r\nm=");
    let mut out = sections.next().unwrap_or_default().to_owned();
    for (section, offered) in
        sections.zip(offer.media.iter().map(Some).chain(std::iter::repeat(None)))
    {
        out.push_str("\r\nm=");
        out.push_str(section);
        let wanted =
            offered.is_some_and(|m| m.attributes.contains(&weir_sdp::Attribute::RtcpRsize));
        if wanted && !section.contains("\r\na=rtcp-rsize") && !section.starts_with("application") {
            if !out.ends_with("\r\n") {
                out.push_str("\r\n");
            }
            out.push_str("a=rtcp-rsize");
            if section.ends_with("\r\n") {
                out.push_str("\r\n");
            }
        }
    }
    out
}

enum Role {
    Publish(Box<Ingest>),
    Play(Box<(Subscriber, Egress)>),
}

struct Peer {
    ctx: Arc<Context>,
    endpoint: Arc<Endpoint>,
    /// Ends (with its callbacks) when the task does.
    session: Session,
    rtc: Rtc,
    rx: mpsc::Receiver<Inbound>,
    role: Role,
    _guard: RouteGuard,
    connected: bool,
    last_heard: Instant,
    /// A publisher's streams (one per simulcast layer), whose WebRTC players may ask for
    /// keyframes.
    published: Vec<Arc<Stream>>,
    /// NACK, PLI and FIR totals per media section (and simulcast layer).
    feedback: Vec<(Section, [u64; 3])>,
    /// Whether our answer made us the DTLS client (`a=setup:active`, RFC 5763 §5).
    dtls_client: bool,
    /// The SRTP master keys str0m derived from so far, while `rtc.keylog` waits for them.
    keys: Option<Vec<(Vec<u8>, [u8; 16])>>,
    /// A player sent packets cut once for the stream (see `egress`), not frames.
    rtp_mode: bool,
    /// What str0m has to send, sent when its output is drained.
    batch: super::Batch,
}

/// A media section, and a simulcast layer of it.
type Section = (Mid, Option<Rid>);

impl Peer {
    async fn run(mut self) {
        let config = self.ctx.config().rtc.clone();
        let handshake_deadline = tokio::time::Instant::now() + config.handshake_timeout;
        let mut shutdown = self.ctx.shutdown();
        // A publisher is asked for keyframes now and then, for HLS and RTMP (see the config).
        let periodic = matches!(self.role, Role::Publish(_)) && !config.keyframe_interval.is_zero();
        let mut keyframes =
            tokio::time::interval(config.keyframe_interval.max(Duration::from_millis(500)));
        keyframes.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Two timers live as long as the session and are moved, not made anew at each turn of
        // the loop (each turn is a datagram or a frame: thousands a second per core): str0m's
        // next timeout, and a watchdog, first at the handshake's deadline, then at the time
        // the peer would have been silent too long.
        let mut timer = std::pin::pin!(tokio::time::sleep_until(handshake_deadline));
        let mut watchdog = std::pin::pin!(tokio::time::sleep_until(handshake_deadline));
        let reason = loop {
            let timeout = match self.drain_due() {
                Ok(timeout) => timeout,
                Err(e) => break format!("failed: {e}"),
            };
            if !self.rtc.is_alive() {
                break "closed".into();
            }
            let wake = tokio::time::Instant::from_std(timeout);
            if timer.deadline() != wake {
                timer.as_mut().reset(wake);
            }
            let connected = self.connected;
            tokio::select! {
                inbound = self.rx.recv() => match inbound {
                    Some(Inbound::Datagram { from, data }) => self.datagram(from, &data),
                    Some(Inbound::Candidates(lines)) => {
                        for line in lines {
                            match Candidate::from_sdp_string(&line) {
                                Ok(c) => self.rtc.add_remote_candidate(c),
                                Err(e) => debug!(%line, error = %e, "trickled candidate not read"),
                            }
                        }
                    }
                    Some(Inbound::Restart { local, remote }) => {
                        info!(ufrag = %local.ufrag, "ICE restart");
                        let mut direct = self.rtc.direct_api();
                        direct.set_local_ice_credentials(local);
                        direct.set_remote_ice_credentials(remote);
                    }
                    Some(Inbound::Close) | None => break "deleted".into(),
                },
                item = recv_item(&mut self.role), if connected => {
                    let mut writes = Vec::new();
                    if let (Some(item), Role::Play(play)) = (item, &mut self.role) {
                        let (subscriber, egress) = &mut **play;
                        let stream = subscriber.stream().clone();
                        egress.item(&mut self.rtc, &stream, item, &mut writes);
                        // What else waits, a bounded batch: the other branches get their turn.
                        while writes.len() < MAX_WRITES {
                            let Some(item) = subscriber.try_recv() else { break };
                            egress.item(&mut self.rtc, &stream, item, &mut writes);
                        }
                    }
                    if let Err(e) = self.send(writes) {
                        break format!("failed to send: {e}");
                    }
                }
                layer = keyframe_wanted(&self.published), if connected => self.request_keyframe(layer),
                _ = keyframes.tick(), if connected && periodic => {
                    for layer in 0..self.published.len() {
                        self.request_keyframe(layer);
                    }
                }
                _ = &mut timer => {
                    if self.rtc.handle_input(Input::Timeout(Instant::now())).is_err() {
                        break "timer failed".into();
                    }
                }
                _ = &mut watchdog => {
                    if !connected {
                        break format!("ICE and DTLS not complete after {:?}", config.handshake_timeout);
                    }
                    let idle = self.last_heard + config.idle_timeout;
                    if idle <= Instant::now() {
                        break format!("nothing heard for {:?}", config.idle_timeout);
                    }
                    watchdog.as_mut().reset(tokio::time::Instant::from_std(idle));
                }
                _ = shutdown.changed() => break "server shutting down".into(),
            }
        };
        self.rtc.disconnect();
        let _ = self.drain();
        info!(reason, "session ended");
        drop(self.session);
    }

    /// One datagram from the peer.
    fn datagram(&mut self, from: SocketAddr, data: &[u8]) {
        let Ok(contents) = data.try_into() else {
            return;
        };
        self.last_heard = Instant::now();
        self.session.client().add_recv(data.len() as u64);
        self.ctx.metrics.add_recv(data.len() as u64);
        // The socket may be bound to every interface: the datagram reached the session's
        // candidate of its family (ICE-lite answers on the address it was asked on).
        let destination = self.endpoint.destination(from);
        let input = Input::Receive(
            Instant::now(),
            Receive {
                proto: Protocol::Udp,
                source: from,
                destination,
                contents,
            },
        );
        let taken = match self.keys.as_mut() {
            Some(keys) => super::keylog::watch(keys, || self.rtc.handle_input(input)),
            None => self.rtc.handle_input(input),
        };
        if let Err(e) = taken {
            debug!(error = %e, "datagram not taken");
        }
        if let Some(keys) = &self.keys
            && let Some(line) = super::keylog::line(
                keys,
                SocketAddr::new(from.ip().to_canonical(), from.port()),
                SocketAddr::new(destination.ip().to_canonical(), destination.port()),
                self.dtls_client,
            )
        {
            self.endpoint.log_keys(&line);
            self.keys = None;
        }
    }

    /// Hands each write to str0m: in RTP mode all the frames' packets at once, then one
    /// timeout (str0m sends what was queued when time moves on); else one frame at a time,
    /// draining its output after each (its frame API takes one at a time).
    fn send(&mut self, writes: Vec<Write>) -> Result<(), str0m::RtcError> {
        if self.rtp_mode {
            let Role::Play(play) = &mut self.role else {
                return Ok(());
            };
            let mut any = false;
            for write in &writes {
                any |= play.1.write_rtp(&mut self.rtc, write);
            }
            if any {
                self.rtc.handle_input(Input::Timeout(Instant::now()))?;
                self.drain()?;
            }
            return Ok(());
        }
        for write in writes {
            let Some(writer) = self.rtc.writer(write.mid) else {
                continue;
            };
            writer.write(
                write.pt,
                write.wallclock,
                write.rtp,
                write.frame.payload.clone(),
            )?;
            self.drain()?;
        }
        Ok(())
    }

    /// [`drain`](Self::drain), then str0m's timeouts that are already due, handled here rather
    /// than by a turn of the session's loop (a few at most); the time of the next one.
    fn drain_due(&mut self) -> Result<Instant, str0m::RtcError> {
        let mut timeout = self.drain()?;
        for _ in 0..4 {
            let now = Instant::now();
            if timeout > now {
                break;
            }
            self.rtc.handle_input(Input::Timeout(now))?;
            timeout = self.drain()?;
        }
        Ok(timeout)
    }

    /// Sends what str0m has to send and acts on its events; the time of its next timer.
    fn drain(&mut self) -> Result<Instant, str0m::RtcError> {
        loop {
            let output = match self.keys.as_mut() {
                Some(keys) => super::keylog::watch(keys, || self.rtc.poll_output()),
                None => self.rtc.poll_output(),
            };
            match output? {
                Output::Timeout(at) => {
                    if !self.batch.is_empty() {
                        self.endpoint.send_batch(&mut self.batch);
                    }
                    return Ok(at);
                }
                Output::Transmit(t) => {
                    let n = t.contents.len() as u64;
                    self.batch.push(t.destination, &t.contents);
                    self.session.client().add_sent(n);
                    self.ctx.metrics.add_sent(n);
                }
                Output::Event(event) => self.event(event),
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Connected => {
                info!("ICE and DTLS connected");
                self.connected = true;
                if matches!(&self.role, Role::Play(p) if p.1.has_video()) {
                    self.player_wants_keyframe();
                }
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                debug!("ICE disconnected");
                self.rtc.disconnect();
            }
            Event::MediaAdded(added) => match &mut self.role {
                Role::Play(play) => play.1.media_added(added.mid, added.kind),
                Role::Publish(_) => {
                    if let Some(simulcast) = added.simulcast {
                        let layers = if simulcast.recv.is_empty() {
                            simulcast.send
                        } else {
                            simulcast.recv
                        };
                        self.simulcast(layers.iter().map(|l| l.rid).collect());
                    }
                }
            },
            Event::MediaData(data) => {
                if let Role::Publish(ingest) = &mut self.role {
                    ingest.media(&data);
                    if !data.contiguous && data.params.spec().codec.is_video() {
                        // A picture was lost: the next frames are undecodable until a keyframe.
                        let layers = ingest.layers();
                        let layer = layers.iter().position(|l| l.rid == data.rid).unwrap_or(0);
                        self.request_keyframe(layer);
                    }
                }
            }
            Event::KeyframeRequest(_) => self.player_wants_keyframe(),
            Event::PeerStats(peer) => self.stats(|s| {
                s.rtt_ms = peer.rtt.map(|d| d.as_secs_f64() * 1000.0);
                s.loss_in = peer.ingress_loss_fraction;
                s.loss_out = peer.egress_loss_fraction;
                s.bwe_kbps = peer.bwe_tx.map(|b| (b.as_f64() / 1000.0) as u64);
            }),
            // One event per media section, each with its section's totals.
            Event::MediaIngressStats(m) => self.feedback((m.mid, m.rid), [m.nacks, m.plis, m.firs]),
            Event::MediaEgressStats(m) => self.feedback((m.mid, m.rid), [m.nacks, m.plis, m.firs]),
            _ => {}
        }
    }

    /// A media section's NACK, PLI and FIR totals: the session's are their sums.
    fn feedback(&mut self, section: Section, counts: [u64; 3]) {
        match self.feedback.iter_mut().find(|(s, _)| *s == section) {
            Some((_, c)) => *c = counts,
            None => self.feedback.push((section, counts)),
        }
        let sum = |i: usize| self.feedback.iter().map(|(_, c)| c[i]).sum();
        let (nacks, plis, firs) = (sum(0), sum(1), sum(2));
        self.stats(|s| {
            (s.nacks, s.plis, s.firs) = (nacks, plis, firs);
        });
    }

    fn stats(&self, update: impl FnOnce(&mut super::SessionStats)) {
        self.endpoint
            .update_stats(&self.session.client().id, update);
    }

    /// A player lost a picture or joined: its stream's WebRTC publisher is asked for a
    /// keyframe (an RTMP or SRT publisher cannot be; the GOP cache serves joiners).
    fn player_wants_keyframe(&self) {
        if let Role::Play(play) = &self.role {
            want_keyframe(play.0.stream());
        }
    }

    /// Simulcast: the first of `rids` is the publisher's stream, each other one publishes
    /// `{stream}@{rid}` (a layer whose stream has another publisher is left out).
    fn simulcast(&mut self, rids: Vec<Rid>) {
        let Role::Publish(ingest) = &mut self.role else {
            return;
        };
        let Some((&first, others)) = rids.split_first() else {
            return;
        };
        let key = ingest.publisher().stream().key().clone();
        let client = &self.session.client().id;
        let layers = others
            .iter()
            .filter_map(|rid| {
                let layer = weir_hub::StreamKey::new(
                    key.vhost.clone(),
                    key.app.clone(),
                    format!("{}@{rid}", key.stream),
                );
                match self.ctx.hub.publish(&layer, client) {
                    Ok(publisher) => Some((*rid, publisher)),
                    Err(busy) => {
                        info!(stream = %layer, publisher = %busy.publisher, "simulcast layer not published: stream busy");
                        None
                    }
                }
            })
            .collect();
        ingest.simulcast(first, layers);
        info!(layers = rids.len(), "simulcast");
        self.published_changed();
    }

    fn published_changed(&mut self) {
        self.published = match &self.role {
            Role::Publish(ingest) => ingest
                .layers()
                .iter()
                .map(|l| l.publisher.stream().clone())
                .collect(),
            Role::Play(_) => Vec::new(),
        };
    }

    /// Asks this publisher for a keyframe of a layer, at most twice a second per layer.
    fn request_keyframe(&mut self, layer: usize) {
        let Role::Publish(ingest) = &mut self.role else {
            return;
        };
        let Some(mid) = ingest.video_mid else {
            return;
        };
        let Some(rid) = ingest.keyframe_due(layer, Instant::now()) else {
            return;
        };
        if let Some(mut writer) = self.rtc.writer(mid) {
            let kind = if writer.is_request_keyframe_possible(KeyframeRequestKind::Pli) {
                KeyframeRequestKind::Pli
            } else {
                KeyframeRequestKind::Fir
            };
            if let Err(e) = writer.request_keyframe(rid, kind) {
                debug!(error = %e, "keyframe request not sent");
            }
        }
    }
}

/// The next item for a player (never ready for a publisher).
async fn recv_item(role: &mut Role) -> Option<weir_hub::Item> {
    match role {
        Role::Play(play) => play.0.recv().await,
        Role::Publish(_) => std::future::pending().await,
    }
}

/// Resolves, with the layer's index, when a player of one of a WebRTC publisher's streams
/// wants a keyframe.
async fn keyframe_wanted(streams: &[Arc<Stream>]) -> usize {
    fn wanted(stream: &Arc<Stream>) -> &KeyframeWanted {
        KEYFRAMES.get_or_init(&**stream, KeyframeWanted::default)
    }
    match streams {
        [] => std::future::pending().await,
        // The usual case, one layer: this future is made anew at every turn of the session's
        // loop (every datagram), so it allocates nothing.
        [stream] => {
            let k = wanted(stream);
            loop {
                let notified = k.notify.notified();
                if k.wanted.swap(false, Ordering::Relaxed) {
                    return 0;
                }
                notified.await;
            }
        }
        _ => {
            let wanted: Vec<&KeyframeWanted> = streams.iter().map(wanted).collect();
            loop {
                let notified: Vec<_> = wanted
                    .iter()
                    .map(|k| Box::pin(k.notify.notified()))
                    .collect();
                if let Some(layer) = wanted
                    .iter()
                    .position(|k| k.wanted.swap(false, Ordering::Relaxed))
                {
                    return layer;
                }
                futures_util::future::select_all(notified).await;
            }
        }
    }
}
