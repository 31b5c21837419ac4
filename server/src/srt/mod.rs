//! SRT in and out, as SRS's `srt_server`: every connection on one UDP port (`srt.listen`,
//! 10080), our own sans-IO machines from `weir-srt` — the [`Listener`] for handshakes, one
//! [`Connection`](weir_srt::connection::Connection) per caller.
//!
//! The socket's loop ([`listen`]) only routes: a datagram for socket 0 is a handshake and goes
//! to the listener; any other goes, by its destination socket id, to its connection's task
//! ([`conn`]) behind a bounded queue, so that nothing one caller does blocks the socket or
//! another caller. A caller's conclusion becomes a task that parses its stream id, asks
//! security and the hooks (the same [`Session`] as every protocol), checks its key material,
//! and tells the loop to accept or reject it.
//!
//! While datagrams come densely the loop reads the socket every `REST` (3 ms) instead of as
//! each arrives (`Reader`): a 20 Mbit/s publisher's 2,000 datagrams a second would otherwise
//! wake the thread for one or two each, and the kernel's sleep and wake-up path was the largest
//! item of the receive path's profile (`benches/RESULTS.md`, SRT receive).

pub mod conn;

use crate::Context;
use crate::clients::ClientKind;
use crate::session::Session;
use bytes::{Bytes, BytesMut};
use rand::SeedableRng;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};
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
    /// Non-blocking, and in the runtime's reactor only while the [`Reader`] waits for it.
    socket: Arc<UdpSocket>,
    /// Our socket id → the connection's queue.
    routes: Mutex<HashMap<u32, mpsc::Sender<Bytes>>>,
    stats: Mutex<HashMap<String, SrtStats>>,
    /// Connections and handshakes in progress, per caller address (`srt.max_connections_per_ip`).
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// One place in its address's count, given back when the caller's task ends (refused,
/// timed out, closed or kicked).
pub(crate) struct IpSlot {
    endpoint: Arc<Endpoint>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut per_ip = self.endpoint.per_ip.lock().unwrap();
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
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
            // Taken out of the reactor: the reader registers it when it waits (tokio's
            // `into_std` leaves it non-blocking).
            socket: Arc::new(socket.into_std()?),
            routes: Mutex::default(),
            stats: Mutex::default(),
            per_ip: Mutex::default(),
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

    /// A place for one more caller from `ip`, unless it has `max` already (0: no limit).
    fn admit(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut per_ip = self.per_ip.lock().unwrap();
        let count = per_ip.entry(ip).or_default();
        if max != 0 && *count >= max {
            return None;
        }
        *count += 1;
        Some(IpSlot {
            endpoint: self.clone(),
            ip,
        })
    }

    /// How many connections are open.
    pub fn connections(&self) -> usize {
        self.routes.lock().unwrap().len()
    }

    /// Sends `bytes` to `to`; a full socket buffer drops the datagram (SRT recovers it).
    fn send(&self, to: SocketAddr, bytes: &[u8]) {
        if let Err(e) = self.socket.send_to(bytes, to) {
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
    // The futures every turn of the loop waits on are made once: a timer made afresh per
    // datagram costs a timer-wheel entry each time (benches/RESULTS.md, SRT).
    let stopping = shutdown.changed();
    tokio::pin!(stopping);
    let timer = tokio::time::sleep(IDLE);
    tokio::pin!(timer);
    let mut reader = Reader::default();
    loop {
        let wake = listener
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + IDLE);
        if timer.deadline() != wake {
            timer.as_mut().reset(wake);
        }
        tokio::select! {
            () = reader.ready(&endpoint) => reader.receive(&endpoint, &mut listener),
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
            _ = &mut timer => listener.handle_timeout(Instant::now()),
            _ = &mut stopping => return,
        }
        while let Some(out) = listener.poll_output() {
            match out {
                ListenerOutput::Transmit { to, bytes } => endpoint.send(to, &bytes),
                ListenerOutput::Event(ListenerEvent::Request(request)) => {
                    // Counted from its conclusion on, so that one address's callers, however
                    // many and however slow, hold a bounded share of the port.
                    let max = ctx.config().srt.max_connections_per_ip;
                    let Some(slot) = endpoint.admit(request.from.ip(), max) else {
                        warn!(caller = %describe(&request), max, reason = %conn::OVERLOAD, "srt caller refused: too many connections from its address (srt.max_connections_per_ip)");
                        ctx.metrics.refused.add("srt-per-ip", 1);
                        let _ = listener.reject(Instant::now(), request.id, conn::OVERLOAD);
                        continue;
                    };
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
                    let task = async move {
                        let _slot = slot;
                        task.await
                    };
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

/// The listener's wake-up when it waits for nothing.
const IDLE: Duration = Duration::from_secs(3600);
/// Datagrams read per wake-up at most, so that timers and decisions are not starved.
const READ_BATCH: usize = 256;
/// The shared buffer datagrams are copied into: one allocation for a dozen or more
/// datagrams, each then a slice of it, instead of one each (1,316 bytes is past glibc's
/// per-thread cache, so those allocations were among the receive path's dearest). A held
/// slice keeps its chunk: 16 KiB bounds what one held datagram can keep.
const CHUNK: usize = 16 * 1024;

/// How long the reader rests between reads while datagrams come densely: what arrives
/// meanwhile waits in the socket's buffer (12 MB, [`crate::udp_socket`]) and is read in one
/// pass, for one wake-up instead of one per datagram or two. The socket is out of the reactor
/// meanwhile, since a socket in epoll wakes a sleeping thread at each datagram whether or not
/// a task waits for it. What it costs: a datagram waits up to this long, small against SRT's
/// latency (120 ms by default, 400 ms in the bench), and the round-trip times measured from
/// ACKACKs grow by about half of it (libsrt's own receive thread reads as datagrams arrive).
const REST: Duration = Duration::from_millis(3);

/// The socket's reader: a datagram buffer, the chunk payloads are cut from, the route of the
/// last connection a datagram went to (most datagrams follow one to the same), and how it
/// waits for the next datagrams.
struct Reader {
    buf: Vec<u8>,
    chunk: BytesMut,
    last: Option<(u32, mpsc::Sender<Bytes>)>,
    /// The socket in the reactor while the reader waits for it to be readable; `None` while
    /// it rests.
    registered: Option<AsyncFd<Arc<UdpSocket>>>,
    /// Whether the reader rests (until `rest`'s deadline) rather than waits for the socket.
    resting: bool,
    rest: Pin<Box<tokio::time::Sleep>>,
    /// When a read last found datagrams.
    last_read: Option<Instant>,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            buf: vec![0u8; 65_536],
            chunk: BytesMut::new(),
            last: None,
            registered: None,
            resting: false,
            rest: Box::pin(tokio::time::sleep(Duration::ZERO)),
            last_read: None,
        }
    }
}

impl Reader {
    /// Until there is something to read: the end of a rest, or the socket readable. Safe to
    /// cancel (the loop's `select!` may take another branch).
    async fn ready(&mut self, endpoint: &Endpoint) {
        if !self.resting && self.registered.is_none() {
            let socket = endpoint.socket.clone();
            // SAFETY: the `Arc` it owns keeps the socket, hence its descriptor, open for as
            // long as the `AsyncFd` lives, and a socket's `as_raw_fd` never changes.
            match unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) } {
                Ok(registered) => self.registered = Some(registered),
                Err(e) => {
                    // Not in the reactor (out of its resources): read by the clock instead.
                    debug!(error = %e, "srt socket not registered: reading every rest");
                    self.rest_for(REST);
                }
            }
        }
        match &self.registered {
            Some(registered) if !self.resting => match registered.readable().await {
                // Cleared before the read rather than after: a datagram that comes after it
                // marks the socket readable again, so none waits unseen.
                Ok(mut ready) => ready.clear_ready(),
                Err(e) => {
                    // The reactor is gone (the runtime stops): no faster than by the clock.
                    debug!(error = %e, "srt socket not readable");
                    self.rest_for(REST);
                    self.rest.as_mut().await;
                }
            },
            _ => self.rest.as_mut().await,
        }
    }

    /// Rests for `duration`, the socket out of the reactor.
    fn rest_for(&mut self, duration: Duration) {
        self.registered = None;
        self.resting = true;
        let until = tokio::time::Instant::now() + duration;
        if self.rest.deadline() != until {
            self.rest.as_mut().reset(until);
        }
    }

    /// Reads what the socket holds (up to [`READ_BATCH`] datagrams), then decides how to wait
    /// for more ([`next_wait`]).
    fn receive(&mut self, endpoint: &Endpoint, listener: &mut Listener) {
        let now = Instant::now();
        let rested = std::mem::take(&mut self.resting);
        let read = self.read(endpoint, listener);
        match next_wait(
            rested,
            read,
            self.last_read.map(|t| now.saturating_duration_since(t)),
        ) {
            Wait::Readable => {}
            Wait::Rest => self.rest_for(REST),
            Wait::Again => self.rest_for(Duration::ZERO),
        }
        if read > 0 {
            self.last_read = Some(now);
        }
    }

    /// Reads up to [`READ_BATCH`] datagrams: handshakes go to the listener, the rest by
    /// destination socket id to their connection's queue. How many it read.
    fn read(&mut self, endpoint: &Endpoint, listener: &mut Listener) -> usize {
        for read in 0..READ_BATCH {
            let (n, from) = match endpoint.socket.recv_from(&mut self.buf) {
                Ok(received) => received,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return read,
                Err(e) => {
                    debug!(error = %e, "srt receive failed");
                    return read;
                }
            };
            let datagram = &self.buf[..n];
            match destination(datagram) {
                Some(0) => listener.handle_input(Instant::now(), from, datagram),
                Some(socket_id) => {
                    let queue = match &self.last {
                        Some((id, queue)) if *id == socket_id && !queue.is_closed() => queue,
                        _ => {
                            let queue = endpoint.routes.lock().unwrap().get(&socket_id).cloned();
                            let Some(queue) = queue else {
                                debug!(%from, socket_id, "srt datagram for no connection");
                                continue;
                            };
                            &self.last.insert((socket_id, queue)).1
                        }
                    };
                    if self.chunk.capacity() < n {
                        self.chunk = BytesMut::with_capacity(CHUNK.max(n));
                    }
                    self.chunk.extend_from_slice(datagram);
                    match queue.try_send(self.chunk.split().freeze()) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            debug!(%from, socket_id, "srt datagram dropped: the connection is behind");
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => {
                            self.last = None;
                            endpoint.route(socket_id, None);
                        }
                    }
                }
                None => debug!(%from, "a datagram too short for SRT"),
            }
        }
        READ_BATCH
    }
}

/// How the reader waits after a read.
#[derive(Debug, PartialEq, Eq)]
enum Wait {
    /// For the socket to be readable: datagrams come sparsely (or not at all).
    Readable,
    /// For [`REST`]: datagrams come densely.
    Rest,
    /// Not at all: the read stopped at [`READ_BATCH`] with more waiting.
    Again,
}

/// Datagrams come densely when a read after a rest found some, when one read found several,
/// or when a read came within [`REST`] of the last one that found any (`since_last`).
fn next_wait(rested: bool, read: usize, since_last: Option<Duration>) -> Wait {
    match read {
        0 => Wait::Readable,
        READ_BATCH => Wait::Again,
        1 if !rested && since_last.is_none_or(|since| since >= REST) => Wait::Readable,
        _ => Wait::Rest,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_datagram_waits_for_the_next_one() {
        assert_eq!(next_wait(false, 1, None), Wait::Readable);
        assert_eq!(next_wait(false, 1, Some(REST)), Wait::Readable);
        assert_eq!(next_wait(false, 0, Some(Duration::ZERO)), Wait::Readable);
    }

    #[test]
    fn dense_datagrams_are_read_after_a_rest() {
        // Several at once, one soon after another, or any found after a rest.
        assert_eq!(next_wait(false, 2, None), Wait::Rest);
        assert_eq!(next_wait(false, 1, Some(REST / 2)), Wait::Rest);
        assert_eq!(next_wait(true, 1, Some(REST)), Wait::Rest);
        // A rest that found nothing goes back to waiting for the socket.
        assert_eq!(next_wait(true, 0, Some(REST)), Wait::Readable);
    }

    #[test]
    fn a_full_batch_reads_again_at_once() {
        assert_eq!(next_wait(false, READ_BATCH, None), Wait::Again);
        assert_eq!(next_wait(true, READ_BATCH, Some(REST)), Wait::Again);
    }
}
