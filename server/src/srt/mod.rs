//! SRT in and out, as SRS's `srt_server`: every connection on one UDP port (`srt.listen`,
//! 10080), our own sans-IO machines from `weir-srt` — the [`Listener`] for handshakes, one
//! [`Connection`](weir_srt::connection::Connection) per caller.
//!
//! The socket's loop ([`listen`]) only routes: a datagram for socket 0 is a handshake and goes
//! to the listener; any other goes, by its destination socket id, to its connection's task
//! ([`conn`]) behind a bounded queue, so that nothing one caller does blocks the socket or
//! another caller. A caller's conclusion becomes a task that parses its stream id, asks
//! security and the hooks (the same [`Session`](crate::session::Session) as every protocol),
//! checks its key material, and tells the loop to accept or reject it.

pub mod conn;

use crate::Context;
use crate::clients::ClientKind;
use crate::session::Session;
use bytes::Bytes;
use rand::SeedableRng;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tracing::debug;
use weir_srt::kdf::Passphrase;
use weir_srt::streamid::Mode;
use weir_srt::{
    ConnectionRequest, Established, Listener, ListenerConfig, ListenerEvent, ListenerOutput,
    RejectReason, RequestId,
};

/// Datagrams queued for a connection before more are dropped (SRT recovers them).
const QUEUE: usize = 4096;

/// A connection's transport statistics, for the API.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct SrtStats {
    pub rtt_ms: f64,
    pub rtt_var_ms: f64,
    pub latency_ms: u32,
    pub packets_received: u64,
    pub packets_lost: u64,
    pub packets_recovered: u64,
    pub packets_dropped: u64,
    pub packets_sent: u64,
    pub packets_retransmitted: u64,
    pub packets_send_dropped: u64,
    pub receive_rate_pps: u32,
    pub link_capacity_pps: u32,
}

/// The SRT port: its socket, the connections' routes and their statistics.
pub struct Endpoint {
    socket: Arc<UdpSocket>,
    /// Our socket id → the connection's queue.
    routes: Mutex<HashMap<u32, mpsc::Sender<Bytes>>>,
    stats: Mutex<HashMap<String, SrtStats>>,
}

impl Endpoint {
    /// Binds `srt.listen`, after checking every configured passphrase.
    pub async fn bind(config: &crate::config::SrtConfig) -> anyhow::Result<Arc<Endpoint>> {
        let named = std::iter::once(("srt.passphrase".to_owned(), config.passphrase.as_str()))
            .filter(|(_, p)| !p.is_empty())
            .chain(
                config
                    .passphrases
                    .iter()
                    .map(|(app, p)| (format!("srt.passphrases.\"{app}\""), p.passphrase())),
            );
        for (key, passphrase) in named {
            Passphrase::new(passphrase).map_err(|e| anyhow::anyhow!("{key}: {}", e.detail))?;
        }
        let listen = config.listen;
        let socket = crate::udp_socket(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen for SRT on {listen}: {e}"))?;
        Ok(Arc::new(Endpoint {
            socket: Arc::new(socket),
            routes: Mutex::default(),
            stats: Mutex::default(),
        }))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.socket
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// The transport statistics of the connection of client `id`.
    pub fn stats(&self, id: &str) -> Option<SrtStats> {
        self.stats.lock().unwrap().get(id).copied()
    }

    /// Every connection's statistics, by client id.
    pub fn all_stats(&self) -> Vec<(String, SrtStats)> {
        let all = self.stats.lock().unwrap();
        let mut all: Vec<_> = all.iter().map(|(id, s)| (id.clone(), *s)).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    fn set_stats(&self, id: &str, stats: Option<SrtStats>) {
        let mut all = self.stats.lock().unwrap();
        match stats {
            Some(stats) => all.insert(id.to_owned(), stats),
            None => all.remove(id),
        };
    }

    fn route(&self, socket_id: u32, queue: Option<mpsc::Sender<Bytes>>) {
        let mut routes = self.routes.lock().unwrap();
        match queue {
            Some(queue) => routes.insert(socket_id, queue),
            None => routes.remove(&socket_id),
        };
    }

    /// How many connections are open.
    pub fn connections(&self) -> usize {
        self.routes.lock().unwrap().len()
    }

    /// Sends `bytes` to `to`; a full socket buffer drops the datagram (SRT recovers it).
    fn send(&self, to: SocketAddr, bytes: &[u8]) {
        if let Err(e) = self.socket.try_send_to(bytes, to) {
            debug!(%to, error = %e, "srt send failed");
        }
    }
}

/// A connection task's answer to its caller's request.
pub(crate) enum Decision {
    Accept { km_response: Option<Bytes> },
    Reject(RejectReason),
}

/// What the loop hands a connection task once its handshake is done.
pub(crate) struct Handover {
    pub established: Established,
    pub datagrams: mpsc::Receiver<Bytes>,
}

/// A request being decided: where its task waits for the handshake's end.
struct Waiting {
    handover: oneshot::Sender<Handover>,
}

/// Receives datagrams until shutdown; see the [module docs](self).
pub async fn listen(ctx: Arc<Context>, endpoint: Arc<Endpoint>) {
    let config = &ctx.config().srt;
    let listener_config = ListenerConfig {
        latency_ms: config.latency,
        peer_latency_ms: config.peer_latency,
        flow_window: config.buffer_packets as u32,
        request_timeout: config.connect_timeout,
        ..ListenerConfig::default()
    };
    let mut secret = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut secret);
    let rng = Box::new(rand::rngs::SmallRng::from_rng(&mut rand::rng()));
    let mut listener = Listener::new(listener_config, secret, rng, Instant::now());
    let (decide, mut decisions) = mpsc::channel::<(RequestId, Decision)>(256);
    let mut waiting: HashMap<(SocketAddr, u32), Waiting> = HashMap::new();
    let mut shutdown = ctx.shutdown();
    let mut buf = vec![0u8; 65_536];
    loop {
        let wake = listener
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            received = endpoint.socket.recv_from(&mut buf) => {
                let (n, from) = match received {
                    Ok(received) => received,
                    Err(e) => {
                        debug!(error = %e, "srt receive failed");
                        continue;
                    }
                };
                let datagram = &buf[..n];
                match destination(datagram) {
                    Some(0) => listener.handle_input(Instant::now(), from, datagram),
                    Some(socket_id) => {
                        let queue = endpoint.routes.lock().unwrap().get(&socket_id).cloned();
                        match queue {
                            Some(queue) => match queue.try_send(Bytes::copy_from_slice(datagram)) {
                                Ok(()) => {}
                                Err(mpsc::error::TrySendError::Full(_)) => {
                                    debug!(%from, socket_id, "srt datagram dropped: the connection is behind");
                                }
                                Err(mpsc::error::TrySendError::Closed(_)) => endpoint.route(socket_id, None),
                            },
                            None => debug!(%from, socket_id, "srt datagram for no connection"),
                        }
                    }
                    None => debug!(%from, "a datagram too short for SRT"),
                }
            }
            Some((id, decision)) = decisions.recv() => {
                let now = Instant::now();
                let result = match decision {
                    Decision::Accept { km_response } => listener.accept(now, id, km_response),
                    Decision::Reject(reason) => listener.reject(now, id, reason),
                };
                if let Err(e) = result {
                    // The request timed out meanwhile: the listener refused it already.
                    debug!(error = %e, "srt decision too late");
                }
            }
            _ = tokio::time::sleep_until(wake) => listener.handle_timeout(Instant::now()),
            _ = shutdown.changed() => return,
        }
        while let Some(out) = listener.poll_output() {
            match out {
                ListenerOutput::Transmit { to, bytes } => endpoint.send(to, &bytes),
                ListenerOutput::Event(ListenerEvent::Request(request)) => {
                    let sid = match conn::stream_id(&request) {
                        Ok(sid) => sid,
                        Err(reason) => {
                            let _ = listener.reject(Instant::now(), request.id, reason);
                            continue;
                        }
                    };
                    let kind = match sid.mode {
                        Mode::Publish => ClientKind::SrtPublish,
                        Mode::Request => ClientKind::SrtPlay,
                    };
                    let key = (request.from, request.peer_socket_id);
                    let (handover, handed) = oneshot::channel();
                    waiting.insert(key, Waiting { handover });
                    // Listed (and kickable) from its request on.
                    let session = Session::open(&ctx, request.from, kind);
                    let client = Arc::clone(session.client());
                    let task = conn::accept(
                        session,
                        endpoint.clone(),
                        request,
                        sid,
                        decide.clone(),
                        handed,
                    );
                    client.set_abort(tokio::spawn(task).abort_handle());
                }
                ListenerOutput::Event(ListenerEvent::Established { from, established }) => {
                    let key = (from, established.peer_socket_id);
                    let Some(wait) = waiting.remove(&key) else {
                        continue;
                    };
                    let (queue, datagrams) = mpsc::channel(QUEUE);
                    endpoint.route(established.local_socket_id, Some(queue));
                    let handover = Handover {
                        established,
                        datagrams,
                    };
                    if let Err(handover) = wait.handover.send(handover) {
                        endpoint.route(handover.established.local_socket_id, None);
                    }
                }
                ListenerOutput::Event(ListenerEvent::Rejected { from, reason }) => {
                    debug!(%from, %reason, "srt caller refused");
                    waiting.retain(|(addr, _), _| *addr != from);
                }
                ListenerOutput::Violation { from, violation } => {
                    ctx.metrics.violations.add(violation.rule.id, 1);
                    debug!(%from, rule = violation.rule.id, detail = %violation.detail, "srt caller broke a rule");
                }
            }
        }
        // Requests whose task gave up (it timed out or was refused) are forgotten.
        waiting.retain(|_, w| !w.handover.is_closed());
    }
}

/// The destination socket id of an SRT datagram (its fourth header word).
fn destination(datagram: &[u8]) -> Option<u32> {
    let word = datagram.get(12..16)?;
    Some(u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
}

/// What the request says, for a log line.
pub(crate) fn describe(request: &ConnectionRequest) -> String {
    format!(
        "{} (socket {:#x}, stream id {:?})",
        request.from,
        request.peer_socket_id,
        request.stream_id.as_deref().unwrap_or("")
    )
}
