//! One SRT caller: admitted like every client (security, hooks, a busy stream), its key
//! material checked against the passphrase of its stream, then its connection machine driven
//! until it ends. A publisher's payloads are MPEG-TS, demuxed into the hub by the same
//! `TsIngest` as MPEG-TS over UDP; a player gets any stream as the same MPEG-TS HTTP-TS
//! players get ([`Ts`], muxed once per stream), seven TS packets to an SRT packet.

use super::{Decision, Endpoint, Handover, SrtStats};
use crate::Context;
use crate::clients::{ClientKind, ClientRequest};
use crate::config::Secret;
use crate::http::live::Format;
use crate::http::ts::Ts;
use crate::ingest::TsIngest;
use crate::session::Session;
use bytes::{Bytes, BytesMut};
use rand::SeedableRng;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tracing::{Instrument, debug, info, warn};
use weir_hub::Subscriber;
use weir_media::{Machine, Output};
use weir_srt::connection::{CloseReason, Config, Connection, Event, Params};
use weir_srt::crypto::CryptoContext;
use weir_srt::kdf::Passphrase;
use weir_srt::streamid::{Mode, StreamId};
use weir_srt::{
    ConnectionRequest, Control, ControlPacket, Header, Packet, RejectReason, RequestId, Timestamp,
};

/// The MPEG-TS packets in one SRT payload (7 × 188 = 1316, libsrt's live payload size).
const TS_PER_PACKET: usize = 7;
/// Datagrams handled per wake-up at most, before the connection's outputs are sent.
const BATCH: usize = 64;
/// How long a received packet may wait past its play time for the connection's next tick
/// (see [`Config::delivery_slack`]): the demuxer takes packets a tick at a time.
const DELIVERY_SLACK: Duration = Duration::from_millis(10);
/// How often a connection's statistics are published to the API.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// libsrt's predefined rejection reasons (SRT_REJX_*, 1000 + the HTTP status).
const BAD_REQUEST: RejectReason = RejectReason(RejectReason::PREDEFINED + 400);
const FORBIDDEN: RejectReason = RejectReason(RejectReason::PREDEFINED + 403);
const CONFLICT: RejectReason = RejectReason(RejectReason::PREDEFINED + 409);
/// SRT_REJX_OVERLOAD (1402): libsrt's access-control guide gives it to a service that
/// limits what a client may use ("credits"), as `srt.max_connections_per_ip` does.
pub(crate) const OVERLOAD: RejectReason = RejectReason(RejectReason::PREDEFINED + 402);

/// The stream id as a request: an empty one publishes `live/livestream`, as SRS does.
pub(crate) fn stream_id(request: &ConnectionRequest) -> Result<StreamId, RejectReason> {
    match request.stream_id.as_deref() {
        None | Some("") => Ok(StreamId::default_publish()),
        Some(text) => StreamId::parse(text).map_err(|e| {
            debug!(stream_id = text, error = %e, "srt stream id refused");
            BAD_REQUEST
        }),
    }
}

/// What a connection does with its stream.
enum Role {
    Publish(Box<TsIngest>),
    Play(Subscriber, Ts, BytesMut),
}

/// Decides `request` (its stream id already parsed into `sid`), then runs its connection.
pub(crate) async fn accept(
    mut session: Session,
    endpoint: Arc<Endpoint>,
    request: ConnectionRequest,
    sid: StreamId,
    decide: mpsc::Sender<(RequestId, Decision)>,
    handed: oneshot::Receiver<Handover>,
) {
    let ctx = session.context().clone();
    let from = request.from;
    let publish = sid.mode == Mode::Publish;
    let kind = match publish {
        true => ClientKind::SrtPublish,
        false => ClientKind::SrtPlay,
    };
    let client = Arc::clone(session.client());
    let span = tracing::info_span!("srt", id = %client.id, peer = %from, kind = kind.as_str());
    session.set_span(span.clone());
    async move {
        let local = endpoint.local_addr();
        let params: Vec<String> = sid.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let wanted = ClientRequest {
            vhost: ctx.vhost_or_default(sid.vhost.as_deref().unwrap_or("")),
            app: sid.app.clone(),
            stream: sid.stream.clone(),
            param: match params.is_empty() {
                true => String::new(),
                false => format!("?{}", params.join("&")),
            },
            tc_url: format!("srt://{local}/{}", sid.app),
            ..ClientRequest::default()
        };
        let key = crate::session::key(&wanted);
        info!(stream = %key, caller = %super::describe(&request), "{}", if publish { "publish" } else { "play" });
        let admitted = match publish {
            true => session
                .publish(wanted.clone(), kind)
                .await
                .map(|(id, publisher)| (id, None, Some(publisher))),
            false => session
                .play(wanted.clone(), kind)
                .await
                .map(|(id, subscriber)| (id, Some(subscriber), None)),
        };
        let (role_id, subscriber, publisher) = match admitted {
            Ok(admitted) => admitted,
            Err(denied) => {
                warn!(stream = %key, reason = %denied, "refused");
                let reason = match denied.is_busy() {
                    true => CONFLICT,
                    false => FORBIDDEN,
                };
                let _ = decide.send((request.id, Decision::Reject(reason))).await;
                return;
            }
        };
        let config = ctx.config();
        let secret = config.srt.secret_for(&wanted.vhost, &wanted.app);
        let (crypto, km_response) = match keys(secret, request.km_request.as_deref()) {
            Ok(keys) => keys,
            Err(reason) => {
                warn!(stream = %key, %reason, "refused: key material");
                let _ = decide.send((request.id, Decision::Reject(reason))).await;
                return;
            }
        };
        let accept = Decision::Accept { km_response };
        if decide.send((request.id, accept)).await.is_err() {
            return;
        }
        let handover = match tokio::time::timeout(ctx.config().srt.connect_timeout, handed).await {
            Ok(Ok(handover)) => handover,
            _ => {
                debug!("the handshake did not complete");
                return;
            }
        };
        ctx.metrics.connections.add("srt", 1);
        let role = match (publisher, subscriber) {
            (Some(publisher), _) => Role::Publish(Box::new(TsIngest::ts(ctx.clone(), publisher))),
            (_, Some(subscriber)) => {
                let ts = Ts::new(subscriber.stream());
                Role::Play(subscriber, ts, BytesMut::new())
            }
            _ => return,
        };
        let mut forget = Forget {
            endpoint: endpoint.clone(),
            socket_id: handover.established.local_socket_id,
            client_id: session.client().id.clone(),
            peer: from,
            peer_socket_id: handover.established.peer_socket_id,
            shut: false,
        };
        let reason = run(&ctx, &endpoint, &session, from, handover, crypto, role).await;
        forget.shut = matches!(reason, Some(CloseReason::Shutdown | CloseReason::Local));
        info!(stream = %key, ?reason, "closed");
        session.end(role_id);
    }
    .instrument(span)
    .await
}

/// Takes a connection's route and statistics away when its task ends, however it ends, and
/// tells the peer with a shutdown (a kick aborts the task, which then cannot) unless one has
/// already crossed: ours, or the peer's, which libsrt does not answer either.
struct Forget {
    endpoint: Arc<Endpoint>,
    socket_id: u32,
    client_id: String,
    peer: SocketAddr,
    peer_socket_id: u32,
    /// A shutdown went one way or the other.
    shut: bool,
}

impl Drop for Forget {
    fn drop(&mut self) {
        self.endpoint.route(self.socket_id, None);
        self.endpoint.set_stats(&self.client_id, None);
        if self.shut {
            return;
        }
        let shutdown = Packet::Control(ControlPacket {
            header: Header {
                timestamp: Timestamp::default(),
                dst_socket: self.peer_socket_id,
            },
            control: Control::Shutdown,
        });
        self.endpoint.send(self.peer, &shutdown.to_bytes());
    }
}

/// The caller's key material against the stream's secret: both or neither (libsrt's
/// enforced encryption), a KMREQ that unwraps with the passphrase, and the key length the
/// stream requires (refused as UNSECURE: libsrt would take the caller's length; a server's
/// operator who asks for AES-256 means it). Returns the keys and the KMRSP.
fn keys(
    secret: Option<Secret<'_>>,
    km_request: Option<&[u8]>,
) -> Result<(Option<CryptoContext>, Option<Bytes>), RejectReason> {
    match (secret, km_request) {
        (None, None) => Ok((None, None)),
        (Some(_), None) | (None, Some(_)) => Err(RejectReason::UNSECURE),
        (Some(secret), Some(kmreq)) => {
            let passphrase =
                Passphrase::new(secret.passphrase).map_err(|_| RejectReason::BADSECRET)?;
            let mut violations = Vec::new();
            match CryptoContext::responder(passphrase, kmreq, &mut violations) {
                Ok((crypto, _))
                    if secret.pbkeylen != 0
                        && crypto.key_length().bytes() != usize::from(secret.pbkeylen) =>
                {
                    warn!(
                        offered = crypto.key_length().bytes(),
                        required = secret.pbkeylen,
                        "refused: the caller's key length is not the stream's pbkeylen"
                    );
                    Err(RejectReason::UNSECURE)
                }
                Ok((crypto, kmrsp)) => Ok((Some(crypto), Some(kmrsp))),
                Err(e) => {
                    debug!(error = %e, "the caller's key material does not unwrap");
                    Err(RejectReason::BADSECRET)
                }
            }
        }
    }
}

/// Drives the connection until it closes, the client is kicked or the server stops.
async fn run(
    ctx: &Arc<Context>,
    endpoint: &Endpoint,
    session: &Session,
    peer: SocketAddr,
    handover: Handover,
    crypto: Option<CryptoContext>,
    mut role: Role,
) -> Option<CloseReason> {
    let Handover {
        established,
        mut datagrams,
    } = handover;
    let config = &ctx.config().srt;
    let connection_config = Config {
        recv_buffer: config.buffer_packets,
        send_buffer: config.buffer_packets,
        idle_timeout: config.idle_timeout,
        delivery_slack: DELIVERY_SLACK,
        max_bandwidth: (config.max_bw > 0).then_some(config.max_bw),
        ..Config::default()
    };
    let rng = Box::new(rand::rngs::SmallRng::from_rng(&mut rand::rng()));
    let params = Params::of(&established, config.tlpktdrop);
    let mut connection = Connection::new(params, connection_config, crypto, rng, Instant::now());
    let client = session.client();
    let mut shutdown = ctx.shutdown();
    let stopping = shutdown.changed();
    tokio::pin!(stopping);
    let mut next_stats = Instant::now();
    // One timer, moved only when the connection's deadline moves, and every datagram queued
    // by the time the task runs handled in one pass: the receive path's cost is the
    // datagrams', not the wake-ups'.
    let timer = tokio::time::sleep(STATS_EVERY);
    tokio::pin!(timer);
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let wake = connection
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + STATS_EVERY);
        if timer.deadline() != wake {
            timer.as_mut().reset(wake);
        }
        let next_item = async {
            match &mut role {
                Role::Play(subscriber, ..) => subscriber.recv().await,
                Role::Publish(..) => std::future::pending().await,
            }
        };
        tokio::select! {
            received = datagrams.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    break;
                }
                let now = Instant::now();
                let mut bytes = 0;
                for datagram in batch.drain(..) {
                    bytes += datagram.len() as u64;
                    connection.handle_datagram(now, datagram);
                }
                client.add_recv(bytes);
                ctx.metrics.add_recv(bytes);
            }
            _ = &mut timer => connection.handle_timeout(Instant::now()),
            item = next_item => {
                let Some(item) = item else {
                    // The stream dropped this player (it stalled) or ended for good.
                    connection.shutdown(Instant::now());
                    drain(ctx, endpoint, session, peer, &mut connection, &mut role);
                    return Some(CloseReason::Local);
                };
                if let Role::Play(subscriber, ts, pending) = &mut role {
                    let mut out = Vec::new();
                    subscriber.batch(item, |item| ts.write(item, &mut out));
                    for bytes in out {
                        pending.extend_from_slice(&bytes);
                    }
                    if !send_ts(&mut connection, pending) {
                        warn!("the player cannot keep up: its send buffer is full");
                        connection.shutdown(Instant::now());
                        drain(ctx, endpoint, session, peer, &mut connection, &mut role);
                        return Some(CloseReason::Local);
                    }
                }
            }
            _ = &mut stopping => {
                connection.shutdown(Instant::now());
                drain(ctx, endpoint, session, peer, &mut connection, &mut role);
                return Some(CloseReason::Local);
            }
        }
        if let Some(reason) = drain(ctx, endpoint, session, peer, &mut connection, &mut role) {
            return Some(reason);
        }
        let now = Instant::now();
        if now >= next_stats {
            next_stats = now + STATS_EVERY;
            endpoint.set_stats(&client.id, Some(stats(&connection, &established)));
        }
    }
    None
}

/// Sends the whole TS packets `pending` holds, seven to an SRT packet; false when the
/// connection cannot take them (its send buffer is full).
fn send_ts(connection: &mut Connection, pending: &mut BytesMut) -> bool {
    let whole = pending.len() - pending.len() % 188;
    let mut ts = pending.split_to(whole).freeze();
    let now = Instant::now();
    while !ts.is_empty() {
        let payload = ts.split_to(ts.len().min(188 * TS_PER_PACKET));
        if connection.send(now, payload).is_err() {
            return false;
        }
    }
    true
}

/// Hands the connection's outputs on: datagrams to the peer, a publisher's payloads to the
/// demuxer. The reason when it closed.
fn drain(
    ctx: &Context,
    endpoint: &Endpoint,
    session: &Session,
    peer: SocketAddr,
    connection: &mut Connection,
    role: &mut Role,
) -> Option<CloseReason> {
    let mut closed = None;
    while let Some(out) = connection.poll_output() {
        match out {
            Output::Transmit(bytes) => {
                endpoint.send(peer, &bytes);
                session.client().add_sent(bytes.len() as u64);
                ctx.metrics.add_sent(bytes.len() as u64);
            }
            Output::Event(Event::Data { payload, .. }) => {
                if let Role::Publish(ingest) = role {
                    ingest.input(&payload);
                }
            }
            Output::Event(Event::Dropped { first, last }) => {
                debug!(%first, %last, "packets dropped as too late");
            }
            Output::Event(Event::Closed(reason)) => closed = Some(reason),
            Output::Violation(v) => {
                ctx.metrics.violations.add(v.rule.id, 1);
                debug!(rule = v.rule.id, detail = %v.detail, "the peer broke a rule");
            }
        }
    }
    if closed.is_some()
        && let Role::Publish(ingest) = role
    {
        ingest.end();
    }
    closed
}

fn stats(connection: &Connection, established: &weir_srt::Established) -> SrtStats {
    let s = connection.stats();
    SrtStats {
        rtt_ms: f64::from(s.rtt_us) / 1000.0,
        rtt_var_ms: f64::from(s.rtt_var_us) / 1000.0,
        latency_ms: u32::from(established.recv_latency_ms),
        packets_received: s.packets_received,
        packets_lost: s.packets_lost,
        packets_recovered: s.packets_recovered,
        packets_dropped: s.packets_dropped,
        packets_sent: s.packets_sent,
        packets_retransmitted: s.packets_retransmitted,
        packets_send_dropped: s.packets_send_dropped,
        receive_rate_pps: s.receive_rate_pps,
        link_capacity_pps: s.link_capacity_pps,
    }
}
