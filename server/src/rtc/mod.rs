//! WebRTC, as SRS's `rtc_server`: every session's media on one UDP port (ICE-lite, DTLS-SRTP,
//! RTP/RTCP with NACK, PLI/FIR, and TWCC from publishers), signalling on the HTTP API port.
//! str0m is the transport: each session is one `str0m::Rtc`, a sans-IO machine driven by one
//! task (and, for a caught-up player, by its stream's fan-out: `direct`).
//!
//! - [`signal`]: the HTTP side — WHIP (RFC 9725) and WHEP publish and play, SRS's JSON
//!   `/rtc/v1/publish/` and `/rtc/v1/play/`, `PATCH` (trickle ICE, ICE restart) and `DELETE`
//!   on a session's resource;
//! - `udp`: the socket's loop, which only routes datagrams: a STUN request by the local ufrag
//!   of its USERNAME (RFC 8445 §7.2.2), anything else by the peer address that ufrag's session
//!   last spoke from;
//! - `peer`: one session — admission through [`crate::session`], the `Rtc`, the hub;
//! - `ingest`: what a publisher sends, as the hub's media packets;
//! - `egress`: hub entries as what a player is sent, made once per entry for all players;
//! - `direct`: a caught-up player driven from its stream's task, one pass per frame for all
//!   its players, rather than a wake of each player's task;
//! - `outbox`: the datagrams of many peers in one `sendmmsg` (all of a pass's players').
//!
//! A session's datagrams queue for its task behind a bounded channel, so that nothing one peer
//! sends blocks the socket or another session.

mod direct;
mod egress;
mod ingest;
pub mod keylog;
mod outbox;
mod peer;
pub mod signal;
mod udp;

use bytes::Bytes;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

pub(crate) use udp::listen;

/// The codecs WebRTC carries, as str0m and the media model name them: one table both ways.
const CODECS: [(str0m::format::Codec, weir_media::Codec); 8] = {
    use str0m::format::Codec as R;
    use weir_media::Codec as M;
    [
        (R::H264, M::H264),
        (R::H265, M::H265),
        (R::Vp8, M::Vp8),
        (R::Vp9, M::Vp9),
        (R::Av1, M::Av1),
        (R::Opus, M::Opus),
        (R::PCMU, M::Pcmu),
        (R::PCMA, M::Pcma),
    ]
};

/// The media model's codec for one str0m negotiated.
fn media_codec(codec: str0m::format::Codec) -> Option<weir_media::Codec> {
    CODECS.iter().find(|(r, _)| *r == codec).map(|(_, m)| *m)
}

/// str0m's codec for one of the media model's, when WebRTC carries it.
fn rtc_codec(codec: weir_media::Codec) -> Option<str0m::format::Codec> {
    CODECS.iter().find(|(_, m)| *m == codec).map(|(r, _)| *r)
}

/// Datagrams and commands queued for one session before more datagrams are dropped (RTP
/// recovers by NACK; STUN retries).
const QUEUE: usize = 512;

/// What reaches a session's task.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// A datagram from `from`.
    Datagram { from: SocketAddr, data: Bytes },
    /// Remote candidates from a trickle `PATCH` (RFC 8840 candidate lines).
    Candidates(Vec<String>),
    /// Restart ICE with these credentials (a `PATCH` with new ones, RFC 9725 §4.4.2).
    Restart {
        local: str0m::IceCreds,
        remote: str0m::IceCreds,
    },
    /// End the session (`DELETE` on its resource).
    Close,
}

/// The UDP endpoint all sessions share, and the routes from datagrams to sessions.
pub struct Endpoint {
    socket: Arc<UdpSocket>,
    /// quinn-udp's view of the socket: sends a run of datagrams to one peer in one call
    /// (Linux UDP GSO) where the kernel can.
    gso: quinn_udp::UdpSocketState,
    local: SocketAddr,
    /// The addresses offered as host candidates, with the socket's port.
    candidates: Vec<IpAddr>,
    routes: Mutex<Routes>,
    /// Each session's transport statistics, by client id, for the API.
    stats: Mutex<HashMap<String, SessionStats>>,
    /// `rtc.keylog`, open for appending, when set.
    keylog: Option<Mutex<std::fs::File>>,
}

/// What the API reports of a WebRTC session's transport, refreshed each second from str0m's
/// statistics (RTCP receiver reports, NACK/PLI/FIR counts, the bandwidth estimate).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SessionStats {
    /// Round-trip time, in milliseconds (RTCP RR/XR, RFC 3550 §6.4.1).
    pub rtt_ms: Option<f64>,
    /// Fraction of what the peer sent that was lost on the way in (0..1).
    pub loss_in: Option<f32>,
    /// Fraction of what Weir sent that the peer reports lost (0..1).
    pub loss_out: Option<f32>,
    /// NACKs: sent to a publisher, received from a player.
    pub nacks: u64,
    /// PLIs: sent to a publisher, received from a player.
    pub plis: u64,
    /// FIRs: sent to a publisher, received from a player.
    pub firs: u64,
    /// The send bandwidth estimate (TWCC), in kbit/s, when there is one.
    pub bwe_kbps: Option<u64>,
}

/// Sessions by local ICE ufrag, by the address their peer speaks from, and by resource id.
#[derive(Default)]
struct Routes {
    by_ufrag: HashMap<String, Route>,
    by_addr: HashMap<SocketAddr, Route>,
    by_id: HashMap<String, Route>,
    per_ip: HashMap<IpAddr, usize>,
}

/// How to reach one session's task.
#[derive(Clone)]
pub(crate) struct Route {
    id: Arc<str>,
    tx: mpsc::Sender<Inbound>,
    /// ICE restarts so far: the ETag names the ICE session (RFC 9725 §4.4.1).
    restarts: Arc<std::sync::atomic::AtomicU32>,
    /// The peer's ufrag in the current ICE session: a fragment with another one restarts ICE
    /// (RFC 8840 §4.4), one with this one only trickles.
    remote_ufrag: Arc<Mutex<String>>,
}

/// A session's entries in the routes, removed when its task ends.
pub(crate) struct RouteGuard {
    endpoint: Arc<Endpoint>,
    id: Arc<str>,
    ip: IpAddr,
}

impl Drop for RouteGuard {
    fn drop(&mut self) {
        let mut routes = self.endpoint.routes.lock().unwrap();
        routes.by_ufrag.retain(|_, r| r.id != self.id);
        routes.by_id.remove(&*self.id);
        routes.by_addr.retain(|_, r| r.id != self.id);
        self.endpoint.stats.lock().unwrap().remove(&*self.id);
        if let Some(n) = routes.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                routes.per_ip.remove(&self.ip);
            }
        }
    }
}

impl Endpoint {
    /// Binds the media socket at `listen`; `candidates` are the addresses to offer (none: the
    /// `CANDIDATE` environment variable, else the machine's interfaces); `keylog`, when not
    /// empty, is the [`keylog`] file to append to.
    pub async fn bind(
        listen: SocketAddr,
        candidate: &str,
        keylog: &str,
    ) -> std::io::Result<Arc<Endpoint>> {
        let keylog = match keylog {
            "" => None,
            path => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        std::io::Error::new(e.kind(), format!("rtc.keylog {path}: {e}"))
                    })?,
            )),
        };
        // Every IPv4 address means every address: one dual-stack IPv6 socket serves both
        // families where the machine has IPv6, the IPv4 socket asked for where it has not.
        let any6 = SocketAddr::new(std::net::Ipv6Addr::UNSPECIFIED.into(), listen.port());
        let socket = match listen {
            SocketAddr::V4(v4) if v4.ip().is_unspecified() => match crate::udp_socket(any6).await {
                Ok(socket) => socket,
                Err(_) => crate::udp_socket(listen).await?,
            },
            _ => crate::udp_socket(listen).await?,
        };
        let local = socket.local_addr()?;
        let gso = quinn_udp::UdpSocketState::new((&socket).into())?;
        Ok(Arc::new(Endpoint {
            gso,
            socket: Arc::new(socket),
            local,
            candidates: candidates(candidate, local),
            routes: Mutex::default(),
            stats: Mutex::default(),
            keylog,
        }))
    }

    /// Appends a session's line to the key log.
    fn log_keys(&self, line: &str) {
        if let Some(file) = &self.keylog {
            use std::io::Write;
            if let Err(e) = file.lock().unwrap().write_all(line.as_bytes()) {
                tracing::warn!(error = %e, "rtc.keylog not written");
            }
        }
    }

    /// Whether sessions' SRTP keys are logged.
    fn logs_keys(&self) -> bool {
        self.keylog.is_some()
    }

    /// The address the media socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// `to` as the socket writes to it: an IPv4 peer of a dual-stack socket as its
    /// IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2).
    fn mapped(&self, to: SocketAddr) -> SocketAddr {
        match to {
            SocketAddr::V4(v4) if self.local.is_ipv6() => {
                SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port())
            }
            to => to,
        }
    }

    /// Sends what `batch` holds and empties it: on Linux every run in one `sendmmsg` (per
    /// 1,024), each run a message with its GSO segment size (see `outbox`); elsewhere a call
    /// per run.
    fn send_batch(&self, batch: &mut Batch) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let runs = batch.runs.iter().map(|run| {
                let segment = (run.count > 1).then_some(run.segment as u16);
                (
                    self.mapped(run.to),
                    &batch.bytes[run.start..run.end],
                    segment,
                )
            });
            let mut messages = outbox::Messages::new(runs);
            let fd = self.socket.as_raw_fd();
            let tally = outbox::send_all(
                messages.len(),
                |from| messages.send(fd, from),
                |at, e| {
                    let run = &batch.runs[at];
                    tracing::debug!(error = %e, to = %run.to, "rtc send failed");
                    if run.count > 1 {
                        // Perhaps no segmentation offload: the run's datagrams one by one.
                        let to = self.mapped(run.to);
                        for datagram in batch.bytes[run.start..run.end].chunks(run.segment) {
                            let _ = self.socket.try_send_to(datagram, to);
                        }
                    }
                },
            );
            if tally.dropped > 0 {
                tracing::debug!(
                    dropped = tally.dropped,
                    "rtc send buffer full: datagrams dropped"
                );
            }
        }
        #[cfg(not(target_os = "linux"))]
        for run in &batch.runs {
            let transmit = quinn_udp::Transmit {
                destination: self.mapped(run.to),
                ecn: None,
                contents: &batch.bytes[run.start..run.end],
                segment_size: (run.count > 1).then_some(run.segment),
                src_ip: None,
            };
            if let Err(e) = self.gso.try_send((&*self.socket).into(), &transmit) {
                tracing::debug!(error = %e, "rtc send failed");
            }
        }
        batch.clear();
    }

    /// The candidate addresses of a session, with `extra` (a request's `?eip=`) first.
    fn session_candidates(&self, extra: Option<IpAddr>) -> Vec<SocketAddr> {
        let port = self.local.port();
        let mut ips: Vec<IpAddr> = extra.into_iter().collect();
        ips.extend(self.candidates.iter().filter(|ip| Some(**ip) != extra));
        ips.into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect()
    }

    /// The local address str0m is told a datagram from `from` reached: the first candidate of
    /// its family (the socket may be bound to every interface and cannot say which one).
    fn destination(&self, from: SocketAddr) -> SocketAddr {
        self.candidates
            .iter()
            .find(|ip| ip.is_ipv4() == from.is_ipv4())
            .map_or(self.local, |ip| SocketAddr::new(*ip, self.local.port()))
    }

    /// Lists a session under its ufrag and resource id, unless its client address already
    /// has `max_per_ip` sessions (0: no limit).
    fn register(
        self: &Arc<Self>,
        id: &str,
        (ufrag, remote_ufrag): (&str, &str),
        ip: IpAddr,
        max_per_ip: usize,
    ) -> Option<(RouteGuard, mpsc::Receiver<Inbound>)> {
        let mut routes = self.routes.lock().unwrap();
        let count = routes.per_ip.entry(ip).or_default();
        if max_per_ip != 0 && *count >= max_per_ip {
            return None;
        }
        *count += 1;
        let (tx, rx) = mpsc::channel(QUEUE);
        let id: Arc<str> = id.into();
        let route = Route {
            id: id.clone(),
            tx,
            restarts: Arc::default(),
            remote_ufrag: Arc::new(Mutex::new(remote_ufrag.to_owned())),
        };
        routes.by_ufrag.insert(ufrag.to_owned(), route.clone());
        routes.by_id.insert(id.to_string(), route);
        let guard = RouteGuard {
            endpoint: self.clone(),
            id,
            ip,
        };
        Some((guard, rx))
    }

    /// Sends `command` to the session with resource `id`; false when there is none.
    pub(crate) fn command(&self, id: &str, command: Inbound) -> bool {
        let route = self.routes.lock().unwrap().by_id.get(id).cloned();
        route.is_some_and(|r| r.tx.try_send(command).is_ok())
    }

    /// Ends session `id` (a `DELETE` of its resource); false when there is none. Its routes go
    /// at once, so that a second `DELETE` or a `PATCH` finds no session (RFC 9725 §4.3) however
    /// long its task takes to stop, and the task stops even when its queue is full: with every
    /// sender gone, its queue ends once drained.
    pub(crate) fn close(&self, id: &str) -> bool {
        let mut routes = self.routes.lock().unwrap();
        let Some(route) = routes.by_id.remove(id) else {
            return false;
        };
        routes.by_ufrag.retain(|_, r| r.id != route.id);
        routes.by_addr.retain(|_, r| r.id != route.id);
        // Sooner than the end of the queue, when there is room.
        let _ = route.tx.try_send(Inbound::Close);
        true
    }

    /// The ETag of session `id`'s ICE session, if there is such a session.
    pub(crate) fn etag(&self, id: &str) -> Option<String> {
        let routes = self.routes.lock().unwrap();
        let route = routes.by_id.get(id)?;
        let restarts = route.restarts.load(std::sync::atomic::Ordering::Relaxed);
        Some(format!("\"{id}.{restarts}\""))
    }

    /// Whether `ufrag` is not the peer's ufrag in session `id`'s current ICE session: new
    /// credentials in a fragment mean an ICE restart (RFC 8840 §4.4).
    pub(crate) fn is_new_ufrag(&self, id: &str, ufrag: &str) -> bool {
        let routes = self.routes.lock().unwrap();
        routes
            .by_id
            .get(id)
            .is_some_and(|r| *r.remote_ufrag.lock().unwrap() != ufrag)
    }

    /// Restarts ICE in session `id` with the peer's new credentials: new local ones are made,
    /// routed to the session (checks under the old ufrag still reach it until it ends), and
    /// returned with the candidates; `None` when there is no such session.
    pub(crate) fn restart_ice(
        &self,
        id: &str,
        remote: str0m::IceCreds,
    ) -> Option<(str0m::IceCreds, Vec<SocketAddr>)> {
        let local = str0m::IceCreds {
            ufrag: crate::random_id("", 8),
            pass: crate::random_id("", 24),
        };
        let mut routes = self.routes.lock().unwrap();
        let route = routes.by_id.get(id)?.clone();
        *route.remote_ufrag.lock().unwrap() = remote.ufrag.clone();
        let restart = Inbound::Restart {
            local: local.clone(),
            remote,
        };
        route.tx.try_send(restart).ok()?;
        route
            .restarts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        routes.by_ufrag.insert(local.ufrag.clone(), route);
        Some((local, self.session_candidates(None)))
    }

    /// The transport statistics of the session of client `id`.
    pub fn stats(&self, id: &str) -> Option<SessionStats> {
        self.stats.lock().unwrap().get(id).cloned()
    }

    /// Updates the statistics of the session of client `id`.
    fn update_stats(&self, id: &str, update: impl FnOnce(&mut SessionStats)) {
        update(self.stats.lock().unwrap().entry(id.to_owned()).or_default());
    }

    /// How many sessions are open.
    pub fn sessions(&self) -> usize {
        self.routes.lock().unwrap().by_id.len()
    }
}

/// Datagrams a session's turn made (or a fan-out pass, all its players'), sent together at its
/// end: consecutive datagrams to one peer of one size (the last of a run may be shorter) go as
/// one message with UDP GSO, as a video frame's RTP packets do (all but the last fill the MTU).
#[derive(Default)]
pub(crate) struct Batch {
    bytes: Vec<u8>,
    runs: Vec<Run>,
    /// The most datagrams one message may carry (the kernel's GSO limit; 1 without GSO).
    max: usize,
    /// How much of `bytes` is counted in the sent-bytes statistics already.
    counted: usize,
}

/// The most bytes one GSO message may carry (its UDP length before segmentation, less the
/// IPv6 and UDP headers).
const MAX_GSO_BYTES: usize = 65_535 - 40 - 8;

/// Datagrams of `segment` bytes (the last may be shorter) to one peer, in `bytes[start..end]`.
struct Run {
    to: SocketAddr,
    start: usize,
    end: usize,
    segment: usize,
    count: usize,
    /// Whether it holds RTP, the only datagrams a run gathers (see [`Batch::push`]).
    rtp: bool,
}

impl Batch {
    /// A batch for `endpoint`'s socket.
    pub(crate) fn new(endpoint: &Endpoint) -> Self {
        Batch {
            max: Batch::max_for(endpoint),
            ..Batch::default()
        }
    }

    /// The most datagrams one message to `endpoint`'s socket may carry.
    fn max_for(endpoint: &Endpoint) -> usize {
        endpoint.gso.max_gso_segments().clamp(1, 64)
    }

    /// The bytes added since the last call: each session counts its own share of a batch
    /// that several fill.
    pub(crate) fn take_uncounted(&mut self) -> u64 {
        let n = self.bytes.len().saturating_sub(self.counted);
        self.counted = self.bytes.len();
        n as u64
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.runs.clear();
        self.counted = 0;
    }

    /// Adds a datagram to `to`. Only RTP joins a run: media bursts are where GSO pays, and a
    /// capture taken where GSO messages are not yet cut (loopback, a NIC that cuts them
    /// itself) shows a run as one datagram, in which a STUN, DTLS or RTCP message followed by
    /// another reads as a malformed one; kept alone, they read as sent.
    pub(crate) fn push(&mut self, to: SocketAddr, data: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(data);
        let end = self.bytes.len();
        let rtp = weir_rtp::packet::Peek::of(data).is_some();
        if let Some(run) = self.runs.last_mut()
            && run.rtp
            && rtp
            && run.to == to
            && run.count < self.max
            // One message is one UDP datagram before segmentation: at most 64 KiB.
            && run.end - run.start + data.len() <= MAX_GSO_BYTES
            // A run ends at its first shorter datagram (GSO: only the last may be shorter).
            && run.end - run.start == run.segment * run.count
            && data.len() <= run.segment
            && !data.is_empty()
        {
            run.end = end;
            run.count += 1;
            return;
        }
        self.runs.push(Run {
            to,
            start,
            end,
            segment: data.len(),
            count: 1,
            rtp,
        });
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

/// The candidate IPs: `configured` (comma-separated), else `CANDIDATE` from the environment,
/// else the socket's own address when it is bound to one, else every interface's address
/// (loopback included, so that a machine without a network still serves itself).
fn candidates(configured: &str, local: SocketAddr) -> Vec<IpAddr> {
    let from_env = std::env::var("CANDIDATE").unwrap_or_default();
    let named = if configured.trim().is_empty() {
        from_env.as_str()
    } else {
        configured
    };
    let parsed: Vec<IpAddr> = named
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if !parsed.is_empty() {
        return parsed;
    }
    if !local.ip().is_unspecified() {
        return vec![local.ip()];
    }
    let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| local.is_ipv6() || ip.is_ipv4())
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80))
        .collect();
    // Non-loopback addresses first: a browser on another machine tries them first.
    ips.sort_by_key(|ip| ip.is_loopback());
    ips.dedup();
    ips
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DELETE ends the session's routes at once: a second finds none, and the session's
    /// queue ends even without room for the close.
    #[tokio::test]
    async fn a_closed_session_is_gone_at_once_and_its_queue_ends() {
        let endpoint = Endpoint::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1", "")
            .await
            .unwrap();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let (_guard, mut rx) = endpoint.register("s1", ("lu", "ru"), ip, 0).unwrap();
        for _ in 0..QUEUE {
            assert!(endpoint.command("s1", Inbound::Candidates(Vec::new())));
        }
        assert!(endpoint.close("s1"));
        assert!(!endpoint.close("s1"));
        assert_eq!(endpoint.etag("s1"), None);
        assert_eq!(endpoint.sessions(), 0);
        let mut queued = 0;
        while let Some(inbound) = rx.recv().await {
            assert!(matches!(inbound, Inbound::Candidates(_)));
            queued += 1;
        }
        assert_eq!(queued, QUEUE);
    }
}
