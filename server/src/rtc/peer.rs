//! One WebRTC session: admitted through [`crate::session`] like every other client, then one
//! task drives its `str0m::Rtc` — datagrams in from the socket's loop, hub items out to a
//! player, frames in from a publisher — until the peer leaves, ICE consent lapses, the
//! handshake does not finish in time, the resource is deleted, or the client is kicked. A
//! caught-up player's hub items come from its stream's task instead (`direct`), which takes
//! turns with the session's task on the `Rtc` ([`Core`], behind one mutex).

use super::egress::{Egress, Write};
use super::ingest::Ingest;
use super::{Endpoint, Inbound, RouteGuard};
use crate::Context;
use crate::clients::Client;
use crate::clients::{ClientKind, ClientRequest};
use crate::session::{Denied, Session};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use str0m::change::SdpOffer;
use str0m::media::{KeyframeRequestKind, Mid, Rid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::sync::{Notify, mpsc};
use tracing::{Instrument, debug, info};
use weir_hub::{Item, Slot, Stream, Subscriber};

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
        Start::Publish(Box::new(Ingest::new(publisher, Instant::now())))
    } else {
        let (_, subscriber) = session
            .play(offer.request, kind)
            .await
            .map_err(Refused::Denied)?;
        let video = subscriber.stream().info().video.map(|v| v.codec);
        rtp_mode = config.packetize_once
            && super::egress::packetized_once(video, &offered_codecs(&parsed));
        Start::Play(subscriber)
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
        .set_extension_map(extensions(offer.publish))
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
    let (role, subscriber) = match role {
        Start::Publish(ingest) => (Role::Publish(ingest), None),
        Start::Play(subscriber) => {
            let play = Play {
                stream: subscriber.stream().clone(),
                egress: Egress::new(),
            };
            (Role::Play(Box::new(play)), Some(subscriber))
        }
    };
    let now = Instant::now();
    let mut core = Core {
        ctx: ctx.clone(),
        endpoint: endpoint.clone(),
        client: client.clone(),
        rtc,
        role,
        connected: false,
        published: Vec::new(),
        published_changed: false,
        feedback: Vec::new(),
        keys: endpoint.logs_keys().then(Vec::new),
        dtls_client,
        rtp_mode,
        batch: super::Batch::new(endpoint),
        gathering: false,
        timeout: now,
        armed: now,
        direct: Default::default(),
    };
    core.published_changed();
    let task = Peer {
        ctx: ctx.clone(),
        shared: Arc::new(Shared {
            core: Mutex::new(core),
            wake: Notify::new(),
        }),
        _session: session,
        rx,
        _guard: guard,
        last_heard: now,
        subscriber,
        direct: false,
        published: Vec::new(),
    };
    let handle = tokio::spawn(task.run().instrument(span));
    client.set_abort(handle.abort_handle());
    Ok(Answer { sdp: answer, id })
}

/// The RTP header extensions Weir answers with: str0m's standard ones, but for a player no
/// transport-wide sequence number. Its TWCC feedback (RFC 8888's predecessor,
/// draft-holmer-rmcat-transport-wide-cc-extensions) would feed a bandwidth estimate Weir does
/// not make for players (it sends the stream at the publisher's rate), yet cost per packet
/// per player (a sequence number registered for each) and a datagram in from each player
/// every 100 ms. A publisher keeps it: the browser adapts its rate to the feedback Weir sends.
fn extensions(publish: bool) -> str0m::rtp::ExtensionMap {
    use str0m::rtp::{Extension, ExtensionMap};
    let standard = ExtensionMap::standard();
    if publish {
        return standard;
    }
    let mut exts = ExtensionMap::empty();
    for (id, ext) in standard.iter() {
        if *ext != Extension::TransportSequenceNumber {
            exts.set(id, ext.clone());
        }
    }
    exts
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
    Play(Box<Play>),
}

/// What an admitted offer does, before its session is made.
enum Start {
    Publish(Box<Ingest>),
    Play(Subscriber),
}

/// A player's stream, and what the player is sent of it.
pub(super) struct Play {
    pub(super) stream: Arc<Stream>,
    pub(super) egress: Egress,
}

/// What a session's task and, for a player written to directly, its stream's writes share
/// (see `direct`): the `Rtc` and all that one turn of it touches, and the task's wake-up.
pub(super) struct Shared {
    pub(super) core: Mutex<Core>,
    /// Wakes the task: the direct writes handed the player back, or brought str0m's next
    /// timeout before the task's timer.
    pub(super) wake: Notify,
}

/// The session's `Rtc` and what a turn of it touches, whoever takes the turn.
pub(super) struct Core {
    ctx: Arc<Context>,
    endpoint: Arc<Endpoint>,
    client: Arc<Client>,
    pub(super) rtc: Rtc,
    role: Role,
    connected: bool,
    /// A publisher's streams (one per simulcast layer), whose WebRTC players may ask for
    /// keyframes; `published_changed` until the task has copied them.
    published: Vec<Arc<Stream>>,
    published_changed: bool,
    /// NACK, PLI and FIR totals per media section (and simulcast layer).
    feedback: Vec<(Section, [u64; 3])>,
    /// Whether our answer made us the DTLS client (`a=setup:active`, RFC 5763 §5).
    dtls_client: bool,
    /// The SRTP master keys str0m derived from so far, while `rtc.keylog` waits for them.
    keys: Option<Vec<(Vec<u8>, [u8; 16])>>,
    /// A player sent packets cut once for the stream (see `egress`), not frames.
    rtp_mode: bool,
    /// What str0m has to send, sent when its output is drained (unless `gathering`).
    batch: super::Batch,
    /// A fan-out pass holds `batch` (its thread's outbox, see `outbox`), sent at the pass's end.
    gathering: bool,
    /// str0m's next timeout, as the last drain left it, and the one the task's timer is set
    /// to: a direct write that brings the first before the second wakes the task.
    pub(super) timeout: Instant,
    pub(super) armed: Instant,
    /// The stream's direct writes to this player.
    pub(super) direct: super::direct::State,
}

/// The session's task: its queue of datagrams and commands, its timers, and a player's place
/// in its stream.
struct Peer {
    ctx: Arc<Context>,
    shared: Arc<Shared>,
    /// Ends (with its callbacks) when the task does.
    _session: Session,
    rx: mpsc::Receiver<Inbound>,
    _guard: RouteGuard,
    last_heard: Instant,
    /// A player's subscriber: read by the task until it is caught up, then handed to the
    /// stream's direct writes (`direct`) until they hand it back.
    subscriber: Option<Subscriber>,
    direct: bool,
    /// The task's copy of [`Core::published`], which the keyframe wait borrows.
    published: Vec<Arc<Stream>>,
}

/// A media section, and a simulcast layer of it.
type Section = (Mid, Option<Rid>);

impl Drop for Peer {
    /// A session that ends, or is aborted (kicked), takes no more direct writes, even from a
    /// fan-out already under way.
    fn drop(&mut self) {
        if let Ok(mut core) = self.shared.core.lock() {
            core.direct.on = false;
        }
    }
}

impl Peer {
    async fn run(mut self) {
        let config = self.ctx.config().rtc.clone();
        let handshake_deadline = tokio::time::Instant::now() + config.handshake_timeout;
        let mut shutdown = self.ctx.shutdown();
        // A publisher is asked for keyframes now and then, for HLS and RTMP (see the config).
        let periodic = self.subscriber.is_none() && !config.keyframe_interval.is_zero();
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
            let (timeout, connected, handed_back) = {
                let mut core = self.shared.core.lock().unwrap();
                let timeout = match core.drain_due() {
                    Ok(timeout) => timeout,
                    Err(e) => break format!("failed: {e}"),
                };
                if let Some(error) = core.direct.error.take() {
                    break error;
                }
                if !core.rtc.is_alive() {
                    break "closed".into();
                }
                core.armed = timeout;
                if core.published_changed {
                    core.published_changed = false;
                    self.published = core.published.clone();
                }
                (timeout, core.connected, self.direct && !core.direct.on)
            };
            if handed_back {
                self.take_over();
            }
            let wake = tokio::time::Instant::from_std(timeout);
            if timer.deadline() != wake {
                timer.as_mut().reset(wake);
            }
            let reading = connected && !self.direct;
            tokio::select! {
                inbound = self.rx.recv() => {
                    let mut core = self.shared.core.lock().unwrap();
                    match inbound {
                        Some(Inbound::Datagram { from, data }) => {
                            self.last_heard = Instant::now();
                            core.datagram(from, &data);
                        }
                        Some(Inbound::Candidates(lines)) => {
                            for line in lines {
                                match Candidate::from_sdp_string(&line) {
                                    Ok(c) => core.rtc.add_remote_candidate(c),
                                    Err(e) => debug!(%line, error = %e, "trickled candidate not read"),
                                }
                            }
                        }
                        Some(Inbound::Restart { local, remote }) => {
                            info!(ufrag = %local.ufrag, "ICE restart");
                            let mut direct = core.rtc.direct_api();
                            direct.set_local_ice_credentials(local);
                            direct.set_remote_ice_credentials(remote);
                        }
                        Some(Inbound::Close) | None => break "deleted".into(),
                    }
                }
                item = recv_item(&mut self.subscriber), if reading => {
                    // What else waits, a bounded batch: the other branches get their turn.
                    let mut items: Vec<Item> = item.into_iter().collect();
                    if let Some(subscriber) = &mut self.subscriber {
                        while (1..MAX_WRITES).contains(&items.len()) {
                            let Some(item) = subscriber.try_recv() else { break };
                            items.push(item);
                        }
                    }
                    let caught_up = items.len() < MAX_WRITES;
                    let sent = self.shared.core.lock().unwrap().play(items);
                    if let Err(e) = sent {
                        break format!("failed to send: {e}");
                    }
                    if caught_up {
                        self.try_direct();
                    }
                }
                _ = self.shared.wake.notified() => {}
                layer = keyframe_wanted(&self.published), if connected => {
                    self.shared.core.lock().unwrap().request_keyframe(layer);
                }
                _ = keyframes.tick(), if connected && periodic => {
                    let mut core = self.shared.core.lock().unwrap();
                    for layer in 0..core.published.len() {
                        core.request_keyframe(layer);
                    }
                }
                _ = &mut timer => {
                    let mut core = self.shared.core.lock().unwrap();
                    if core.rtc.handle_input(Input::Timeout(Instant::now())).is_err() {
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
        // The stream writes no more to this player before it says goodbye.
        self.shared.core.lock().unwrap().direct.on = false;
        self.subscriber = None;
        let mut core = self.shared.core.lock().unwrap();
        core.rtc.disconnect();
        let _ = core.drain();
        info!(reason, "session ended");
    }

    /// Hands a caught-up player to its stream's direct writes (see `direct`): the stream's
    /// task then drives its `Rtc` for each frame, and this task wakes only for the peer's
    /// datagrams, its timers and commands, or when the writes hand the player back.
    fn try_direct(&mut self) {
        let Some(subscriber) = self.subscriber.as_mut() else {
            return;
        };
        self.shared
            .core
            .lock()
            .unwrap()
            .direct
            .start(subscriber.last_seq(), subscriber.progress());
        let sink: Arc<dyn weir_hub::Sink> = self.shared.clone();
        if subscriber.go_direct(sink) {
            self.direct = true;
            let metrics = &self.ctx.metrics;
            metrics.rtc_direct_players.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let last = {
            let mut core = self.shared.core.lock().unwrap();
            core.direct.on = false;
            core.direct.last_seq
        };
        // Not now; the writes may have taken part of what waited in the ring: from there.
        if last > subscriber.last_seq() {
            subscriber.resume_after(last);
        }
    }

    /// Takes the player back from its stream's direct writes: the ring resumes after the last
    /// item they took.
    fn take_over(&mut self) {
        self.direct = false;
        let last = self.shared.core.lock().unwrap().direct.last_seq;
        let metrics = &self.ctx.metrics;
        metrics.direct_handovers.fetch_add(1, Ordering::Relaxed);
        if let Some(subscriber) = &mut self.subscriber {
            subscriber.resume_after(last);
        }
    }
}

impl Core {
    /// One datagram from the peer.
    fn datagram(&mut self, from: SocketAddr, data: &[u8]) {
        let Ok(contents) = data.try_into() else {
            return;
        };
        self.client.add_recv(data.len() as u64);
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

    /// A player's hub items, as writes, sent.
    fn play(&mut self, items: Vec<Item>) -> Result<(), str0m::RtcError> {
        let mut writes = Vec::new();
        if let Role::Play(play) = &mut self.role {
            for item in items {
                play.egress
                    .item(&mut self.rtc, &play.stream, item, &mut writes);
            }
        }
        self.send(&mut writes)
    }

    /// The writes one hub item makes for a player, appended to `writes` (see
    /// [`Egress::item`]); `false` for a publisher.
    pub(super) fn item(&mut self, item: Item, writes: &mut Vec<Write>) -> bool {
        let Role::Play(play) = &mut self.role else {
            return false;
        };
        play.egress.item(&mut self.rtc, &play.stream, item, writes);
        true
    }

    /// Hands each write to str0m (and empties `writes`): in RTP mode all the frames' packets at
    /// once, then one timeout (str0m sends what was queued when time moves on); else one frame
    /// at a time, draining its output after each (its frame API takes one at a time).
    pub(super) fn send(&mut self, writes: &mut Vec<Write>) -> Result<(), str0m::RtcError> {
        if self.rtp_mode {
            let Role::Play(play) = &mut self.role else {
                writes.clear();
                return Ok(());
            };
            let mut any = false;
            for write in writes.drain(..) {
                any |= play.egress.write_rtp(&mut self.rtc, &write);
            }
            if any {
                self.rtc.handle_input(Input::Timeout(Instant::now()))?;
                self.drain()?;
            }
            return Ok(());
        }
        for write in writes.drain(..) {
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

    /// Runs `turn` with what str0m sends added to this thread's outbox, which the fan-out
    /// sends for all its players at once at the end of its pass (see `outbox`).
    pub(super) fn gathering<T>(&mut self, turn: impl FnOnce(&mut Core) -> T) -> T {
        let outbox = super::outbox::take(&self.endpoint);
        let own = std::mem::replace(&mut self.batch, outbox);
        self.gathering = true;
        let result = turn(self);
        self.gathering = false;
        super::outbox::put(std::mem::replace(&mut self.batch, own));
        result
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
                    // Counted once per batch, not per datagram: two shared counters per packet
                    // per player showed in the profile.
                    let n = self.batch.take_uncounted();
                    if n > 0 {
                        self.client.add_sent(n);
                        self.ctx.metrics.add_sent(n);
                    }
                    if !self.gathering && !self.batch.is_empty() {
                        self.endpoint.send_batch(&mut self.batch);
                    }
                    self.timeout = at;
                    return Ok(at);
                }
                Output::Transmit(t) => self.batch.push(t.destination, &t.contents),
                Output::Event(event) => self.event(event),
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Connected => {
                info!("ICE and DTLS connected");
                self.connected = true;
                if matches!(&self.role, Role::Play(p) if p.egress.has_video()) {
                    self.player_wants_keyframe();
                }
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                debug!("ICE disconnected");
                self.rtc.disconnect();
            }
            Event::MediaAdded(added) => match &mut self.role {
                Role::Play(play) => play.egress.media_added(added.mid, added.kind),
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
                // str0m measures it from TWCC feedback, which players do not send (see
                // `extensions`): theirs comes from their receiver reports (below).
                if let Some(rtt) = peer.rtt {
                    s.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
                }
                s.loss_in = peer.ingress_loss_fraction;
                s.loss_out = peer.egress_loss_fraction;
                s.bwe_kbps = peer.bwe_tx.map(|b| (b.as_f64() / 1000.0) as u64);
            }),
            // One event per media section, each with its section's totals.
            Event::MediaIngressStats(m) => self.feedback((m.mid, m.rid), [m.nacks, m.plis, m.firs]),
            Event::MediaEgressStats(m) => {
                if let Some(rtt) = m.rtt {
                    // From the peer's last receiver report (RFC 3550 §6.4.1).
                    self.stats(|s| s.rtt_ms = Some(rtt.as_secs_f64() * 1000.0));
                }
                self.feedback((m.mid, m.rid), [m.nacks, m.plis, m.firs])
            }
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
        self.endpoint.update_stats(&self.client.id, update);
    }

    /// A player lost a picture or joined: its stream's WebRTC publisher is asked for a
    /// keyframe (an RTMP or SRT publisher cannot be; the GOP cache serves joiners).
    fn player_wants_keyframe(&self) {
        if let Role::Play(play) = &self.role {
            want_keyframe(&play.stream);
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
        let client = &self.client.id;
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
        self.published_changed = true;
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
async fn recv_item(subscriber: &mut Option<Subscriber>) -> Option<Item> {
    match subscriber {
        Some(subscriber) => subscriber.recv().await,
        None => std::future::pending().await,
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
