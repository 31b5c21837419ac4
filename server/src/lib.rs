//! Weir's reference server: RTMP, SRT, WebRTC and MPEG-TS over UDP in; RTMP, HTTP-FLV, HTTP-TS,
//! HLS, WebRTC and SRT out,
//! from a bounded hub; an SRS-compatible HTTP API and HTTP callbacks. One tokio task per connection drives one sans-IO machine from
//! `protocols/`; no protocol logic lives here.

pub mod api;
pub mod clients;
pub mod cluster;
pub mod config;
pub mod direct;
pub mod dvr;
pub mod flv;
pub mod forward;
pub mod gb28181;
pub mod hls;
pub mod hooks;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod mpegts;
pub mod reload;
pub mod rtc;
pub mod rtmp;
pub mod security;
pub mod session;
pub mod srt;
pub mod system;
pub mod tls;
mod wire;

use crate::clients::Clients;
use crate::config::Config;
use crate::hooks::Hooks;
use weir_hub::{Busy, Hub, HubLimits, Publisher, StreamKey};

/// The vhost SRS uses when a request names none, or names one the config does not define.
pub const DEFAULT_VHOST: &str = "__defaultVhost__";
use crate::metrics::Metrics;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{info, warn};

/// What every connection task shares.
pub struct Context {
    /// The configuration sessions read when they start; a reload swaps it (see [`reload`]).
    config: RwLock<Arc<Config>>,
    reloader: reload::Reloader,
    pub hub: Arc<Hub>,
    /// The HLS of every published stream.
    pub hls: hls::Store,
    pub clients: Arc<Clients>,
    /// An edge's upstreams (see [`cluster::edge`]).
    pub edges: cluster::edge::Edges,
    /// The WebRTC media endpoint, when `rtc.enabled`.
    pub rtc: Option<Arc<rtc::Endpoint>>,
    /// The SRT endpoint, when `srt.enabled`.
    pub srt: Option<Arc<srt::Endpoint>>,
    /// The GB28181 endpoint, when `gb28181.enabled`.
    pub gb28181: Option<Arc<gb28181::Endpoint>>,
    pub metrics: Metrics,
    /// The origin cluster's stream registry, when `cluster.redis` is set.
    pub registry: Option<Arc<cluster::registry::Registry>>,
    /// The process's and the machine's CPU, memory and sockets, sampled by housekeeping.
    pub system: system::System,
    pub hooks: Hooks,
    /// The TLS listeners' certificates; [`tls::Certificates::reload`] swaps them for new
    /// connections.
    pub tls: tls::Certificates,
    /// SRS's `server` and `service` ids, in every API reply and hook body.
    pub server_id: String,
    pub service_id: String,
    pub started: Instant,
    /// Where the API listens, once bound (the browser pages call it).
    api_addr: std::sync::OnceLock<SocketAddr>,
    shutdown: watch::Receiver<bool>,
}

impl Context {
    /// Makes `client_id` the publisher of `key` (every ingest comes through here), and starts
    /// the stream's HLS and recording.
    pub fn publish(self: &Arc<Self>, key: &StreamKey, client_id: &str) -> Result<Publisher, Busy> {
        let publisher = self.hub.publish(key, client_id)?;
        hls::spawn(self, key);
        dvr::spawn(self, key);
        Ok(publisher)
    }

    /// What a callback about the stream `key` tells of it and of its publisher now (the
    /// server's own events: `on_hls`, `on_dvr`).
    pub fn publisher_hook_context(&self, key: &StreamKey) -> hooks::HookContext {
        let stream = self.hub.streams().into_iter().find(|s| s.key() == key);
        let info = stream.as_ref().map(|s| s.info());
        let publisher = info
            .as_ref()
            .and_then(|i| i.publisher.clone())
            .and_then(|id| self.clients.get(&id));
        let mut context = hooks::HookContext {
            vhost: key.vhost.clone(),
            app: key.app.clone(),
            stream: key.stream.clone(),
            stream_id: info.map(|i| i.id).unwrap_or_default(),
            ..hooks::HookContext::default()
        };
        if let Some(client) = publisher {
            let request = client.info(self.hub.now_ms()).request;
            context.client_id = client.id.clone();
            context.ip = client.peer.ip();
            context.tc_url = request.tc_url;
            context.param = request.param;
        }
        context
    }

    /// A receiver that changes when the server shuts down.
    pub fn shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    /// The vhost a request names (`?vhost=` in the app or tcUrl, else the tcUrl's host), if
    /// the config defines it; SRS's default vhost otherwise.
    pub fn resolve_vhost(&self, tc_url: &str, app_query: &str) -> String {
        let from_query = |q: &str| {
            q.split(['&', '?'])
                .find_map(|kv| kv.strip_prefix("vhost=").map(str::to_owned))
        };
        let (_, tc_query) = tc_url.split_once('?').unwrap_or((tc_url, ""));
        let host = tc_url
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', ':', '?']).next().unwrap_or(""))
            .unwrap_or("");
        let named = from_query(app_query)
            .or_else(|| from_query(tc_query))
            .unwrap_or_else(|| host.to_owned());
        self.vhost_or_default(&named)
    }

    /// `name` if the config defines that vhost, the default vhost otherwise.
    pub fn vhost_or_default(&self, name: &str) -> String {
        if self.config().vhosts.contains_key(name) {
            name.to_owned()
        } else {
            DEFAULT_VHOST.to_owned()
        }
    }

    /// The API's port: the one bound, or the configured one before (or without) it.
    pub fn api_port(&self) -> u16 {
        self.api_addr
            .get()
            .map_or_else(|| self.config().api.listen.port(), SocketAddr::port)
    }

    /// The configuration now: a session reads it once as it starts, so that a reload
    /// reaches new sessions and never changes one under way.
    pub fn config(&self) -> Arc<Config> {
        self.config.read().unwrap().clone()
    }
}

/// The next connection `listener` accepts, or `None` once the server shuts down. A failed
/// accept (out of descriptors, say) is logged and retried a moment later, never fatal.
pub(crate) async fn accept(
    listener: &TcpListener,
    shutdown: &mut watch::Receiver<bool>,
    what: &str,
) -> Option<(tokio::net::TcpStream, SocketAddr)> {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => return Some(accepted),
                Err(e) => {
                    warn!(error = %e, "{what} accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => return None,
        }
    }
}

pub use weir_hub::random_id;

/// A server bound to its ports and running until [`Server::shutdown`].
pub struct Server {
    pub context: Arc<Context>,
    pub rtmp_addr: SocketAddr,
    /// The RTMPS address, when `rtmps.enabled`.
    pub rtmps_addr: Option<SocketAddr>,
    pub http_addr: Option<SocketAddr>,
    pub api_addr: Option<SocketAddr>,
    /// The HTTPS addresses of the HTTP server and the API, when enabled.
    pub https_addr: Option<SocketAddr>,
    pub api_https_addr: Option<SocketAddr>,
    pub mpegts_addr: Option<SocketAddr>,
    /// The WebRTC media (UDP) address.
    pub rtc_addr: Option<SocketAddr>,
    /// The SRT (UDP) address.
    pub srt_addr: Option<SocketAddr>,
    pub gb28181_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Binds every listener the config enables and starts serving.
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        let (shutdown_tx, shutdown) = watch::channel(false);
        let server_id = random_id("vid-", 7);
        let service_id = random_id("", 8);
        let rtc = if config.rtc.enabled {
            let listen = config.rtc.listen;
            let endpoint = rtc::Endpoint::bind(listen, &config.rtc.candidate, &config.rtc.keylog)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen for WebRTC on {listen}: {e}"))?;
            Some(endpoint)
        } else {
            None
        };
        let srt = match config.srt.enabled {
            true => Some(srt::Endpoint::bind(&config.srt).await?),
            false => None,
        };
        let gb28181 = match config.gb28181.enabled {
            true => Some(gb28181::Endpoint::bind(&config.gb28181).await?),
            false => None,
        };
        let tls = tls::Certificates::load(&config)?;
        let hooks = Hooks::with_ca(server_id.clone(), service_id.clone(), &config.hooks.ca)?;
        let registry = cluster::registry::Registry::new(&config.cluster)?;
        let context = Arc::new(Context {
            hub: Arc::new(Hub::new(HubLimits {
                gop_cache: config.hub.gop_cache,
                gop_cache_max_frames: config.hub.gop_cache_max_frames,
                gop_cache_max_bytes: config.hub.gop_cache_max_bytes,
                queue_frames: config.hub.queue_frames,
                merged_write: Duration::from_millis(config.hub.merged_write_ms),
            })),
            hls: hls::Store::default(),
            clients: Arc::new(Clients::default()),
            edges: cluster::edge::Edges::default(),
            rtc,
            srt,
            gb28181,
            metrics: Metrics::default(),
            registry,
            system: system::System::new(),
            hooks,
            tls,
            server_id,
            service_id,
            started: Instant::now(),
            api_addr: std::sync::OnceLock::new(),
            shutdown,
            config: RwLock::new(Arc::new(config)),
            reloader: reload::Reloader::default(),
        });
        raise_file_limit();
        let bind = |addr: SocketAddr, what: &'static str| async move {
            listener(addr).map_err(|e| anyhow::anyhow!("cannot listen for {what} on {addr}: {e}"))
        };
        let mut tasks = Vec::new();
        let rtmp = bind(context.config().rtmp.listen, "RTMP").await?;
        let rtmp_addr = rtmp.local_addr()?;
        info!(%rtmp_addr, "RTMP listening");
        tasks.push(tokio::spawn(rtmp::listen(context.clone(), rtmp, None)));
        let mut rtmps_addr = None;
        if let Some(tls) = context.tls.rtmps.clone() {
            let rtmps = bind(context.config().rtmps.listen, "RTMPS").await?;
            rtmps_addr = Some(rtmps.local_addr()?);
            info!(rtmps_addr = %rtmps.local_addr()?, "RTMPS listening");
            tasks.push(tokio::spawn(rtmp::listen(
                context.clone(),
                rtmps,
                Some(tls),
            )));
        }
        let mut mpegts_addr = None;
        if context.config().mpegts.enabled {
            let listen = context.config().mpegts.listen;
            let socket = udp_socket(listen).await.map_err(|e| {
                anyhow::anyhow!("cannot listen for MPEG-TS over UDP on {listen}: {e}")
            })?;
            mpegts_addr = Some(socket.local_addr()?);
            info!(mpegts_addr = %socket.local_addr()?, "MPEG-TS over UDP listening");
            tasks.push(tokio::spawn(mpegts::listen(context.clone(), socket)));
        }
        let mut rtc_addr = None;
        if let Some(endpoint) = context.rtc.clone() {
            rtc_addr = Some(endpoint.local_addr());
            info!(rtc_addr = %endpoint.local_addr(), "WebRTC media (UDP) listening");
            tasks.push(tokio::spawn(rtc::listen(context.clone(), endpoint)));
        }
        let mut srt_addr = None;
        if let Some(endpoint) = context.srt.clone() {
            srt_addr = Some(endpoint.local_addr());
            info!(srt_addr = %endpoint.local_addr(), "SRT listening");
            tasks.push(tokio::spawn(srt::listen(context.clone(), endpoint)));
        }
        let mut gb28181_addr = None;
        if let Some(endpoint) = context.gb28181.clone() {
            gb28181_addr = Some(endpoint.local_addr());
            info!(gb28181_addr = %endpoint.local_addr(), "GB28181 media (TCP and UDP) listening");
            tasks.push(tokio::spawn(gb28181::listen(context.clone(), endpoint)));
        }
        let mut http_addr = None;
        if context.config().http.enabled {
            let listener = bind(context.config().http.listen, "HTTP").await?;
            http_addr = Some(listener.local_addr()?);
            info!(http_addr = %listener.local_addr()?, "HTTP server (HTTP-FLV, HTTP-TS, HLS) listening");
            let router = http::router(context.clone());
            tasks.push(tokio::spawn(http::serve(
                context.clone(),
                listener,
                router,
                context.config().http.tcp_nodelay,
                None,
            )));
        }
        let https_addr = https(&context, Https::Streams, &mut tasks)?;
        let mut api_addr = None;
        if context.config().api.enabled {
            let listener = bind(context.config().api.listen, "the HTTP API").await?;
            api_addr = Some(listener.local_addr()?);
            let _ = context.api_addr.set(listener.local_addr()?);
            info!(api_addr = %listener.local_addr()?, "HTTP API listening");
            let router = api::router(context.clone());
            tasks.push(tokio::spawn(http::serve(
                context.clone(),
                listener,
                router,
                true,
                None,
            )));
        }
        let api_https_addr = https(&context, Https::Api, &mut tasks)?;
        if let Some(registry) = &context.registry {
            let config = context.config();
            let node =
                cluster::registry::Node::local(&config.cluster, rtmp_addr, http_addr, api_addr)?;
            tasks.push(registry.start(node, context.shutdown()));
        }
        tasks.push(tokio::spawn(housekeeping(context.clone())));
        Ok(Server {
            context,
            rtmp_addr,
            rtmps_addr,
            http_addr,
            api_addr,
            https_addr,
            api_https_addr,
            mpegts_addr,
            rtc_addr,
            srt_addr,
            gb28181_addr,
            shutdown: shutdown_tx,
            tasks,
        })
    }

    /// Where to publish, play and look, for the start-up log: `live/livestream` at each
    /// listener (an unspecified address shown as loopback).
    pub fn urls(&self) -> Vec<String> {
        let at = |addr: SocketAddr| match addr.ip().is_unspecified() {
            true => SocketAddr::new([127, 0, 0, 1].into(), addr.port()),
            false => addr,
        };
        let mut urls = vec![format!(
            "publish and play rtmp://{}/live/livestream",
            at(self.rtmp_addr)
        )];
        if let Some(srt) = self.srt_addr {
            let srt = at(srt);
            urls.push(format!(
                "publish srt://{srt}?streamid=#!::r=live/livestream,m=publish (m=request to play)"
            ));
        }
        if let Some(http) = self.http_addr {
            let http = at(http);
            urls.push(format!(
                "play http://{http}/live/livestream.flv, .ts and .m3u8"
            ));
        }
        if let Some(api) = self.api_addr {
            let api = at(api);
            urls.push(format!(
                "API http://{api}/api/v1/summaries, metrics http://{api}/metrics"
            ));
            if self.rtc_addr.is_some() {
                urls.push(format!(
                    "WHIP http://{api}/rtc/v1/whip/?app=live&stream=livestream, WHEP http://{api}/rtc/v1/whep/?app=live&stream=livestream"
                ));
            }
        }
        urls
    }

    /// Stops accepting, ends every session (their callbacks still go out, HLS playlists get
    /// their end) and waits, at most `grace`, for the notifications to be delivered.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + grace;
        for task in self.tasks {
            let _ = tokio::time::timeout_at(deadline, task).await;
        }
        // Sessions end as a kicked client's does: their task stops, their state's `Drop`
        // unpublishes, leaves the stream and sends on_unpublish, on_stop and on_close.
        for client in self.context.clients.all() {
            client.kick();
        }
        while !self.context.clients.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // HLS packagers finish their last segment and end their playlists (on disk too).
        while self.context.hls.packaging() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Let notify-only callbacks that are already on their way finish.
        let _ = tokio::time::timeout_at(deadline, self.context.hooks.idle()).await;
    }
}

/// The HTTP servers that also listen over TLS.
enum Https {
    /// The HTTP server's routes (`[https]`).
    Streams,
    /// The API (`[api]`'s `https_*` keys).
    Api,
}

/// Serves the routes of `which` over TLS when it is enabled: the bound address, logged as
/// `https_addr=` or `api_https_addr=`.
fn https(
    ctx: &Arc<Context>,
    which: Https,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> anyhow::Result<Option<SocketAddr>> {
    let config = ctx.config();
    let (tls, listen, router, nodelay, key) = match which {
        Https::Streams => (
            &ctx.tls.https,
            config.https.listen,
            http::router(ctx.clone()),
            config.http.tcp_nodelay,
            "https_addr",
        ),
        Https::Api => (
            &ctx.tls.api,
            config.api.https_listen,
            api::router(ctx.clone()),
            true,
            "api_https_addr",
        ),
    };
    let Some(tls) = tls.clone() else {
        return Ok(None);
    };
    let listener = listener(listen)
        .map_err(|e| anyhow::anyhow!("cannot listen for HTTPS ({key}) on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    info!("HTTPS listening {key}={addr}");
    let serve = http::serve(ctx.clone(), listener, router, nodelay, Some(tls));
    tasks.push(tokio::spawn(serve));
    Ok(Some(addr))
}

/// Once a second: rate samples for the API, and the stall watchdog.
async fn housekeeping(ctx: Arc<Context>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut shutdown = ctx.shutdown();
    let stall_ms = ctx.config().hub.stall_timeout.as_millis() as u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = ctx.hub.now_ms();
        for stream in ctx.hub.streams() {
            stream.sample(now);
        }
        ctx.clients.sample(now);
        ctx.system.sample_if_due(Instant::now());
        sweep_hls(&ctx).await;
        for id in ctx.clients.kick_stalled(stall_ms) {
            ctx.metrics
                .stalled_players
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            warn!(client = %id, stall_ms, "player took nothing from its queue; disconnected");
        }
    }
}

/// Drops HLS segments a while after they left their playlist (RFC 8216 §6.2.2: as long as
/// the playlist lasts, and a segment more) and streams that ended `hls.dispose` ago, with
/// their files when HLS is also written to disk.
async fn sweep_hls(ctx: &Context) {
    let hls = &ctx.config().hls;
    let linger = hls.window + hls.fragment * 2;
    for (key, numbers) in ctx.hls.sweep(Instant::now(), hls.dispose, linger) {
        if hls.path.as_os_str().is_empty() {
            continue;
        }
        let dir = hls.path.join(&key.app);
        for number in numbers {
            let _ = tokio::fs::remove_file(dir.join(hls::segment_name(&key.stream, number))).await;
        }
        if ctx.hls.get(&key).is_none() {
            let _ = tokio::fs::remove_file(dir.join(format!("{}.m3u8", key.stream))).await;
        }
    }
}

/// The receive buffer asked for on every UDP port (SRT, GB28181, MPEG-TS, WebRTC): one
/// socket takes every peer's datagrams, and a burst (a hundred cameras' keyframes at once)
/// must wait there while the server works. libsrt asks for as much (`SRTO_UDP_RCVBUF`,
/// 8192 × 1500 bytes). The kernel caps it at `net.core.rmem_max`.
const UDP_RECV_BUFFER: usize = 12_288_000;

/// A UDP socket on `addr` with a deep receive buffer ([`UDP_RECV_BUFFER`]); a warning names
/// the sysctl when the kernel gave less.
pub(crate) async fn udp_socket(addr: SocketAddr) -> std::io::Result<tokio::net::UdpSocket> {
    let socket = tokio::net::UdpSocket::bind(addr).await?;
    let options = socket2::SockRef::from(&socket);
    options.set_recv_buffer_size(UDP_RECV_BUFFER)?;
    // Linux reports twice what it grants (the other half is its bookkeeping).
    let granted = options.recv_buffer_size()? / if cfg!(target_os = "linux") { 2 } else { 1 };
    if granted < UDP_RECV_BUFFER {
        warn_once_udp_buffer(granted);
    }
    Ok(socket)
}

/// Said once a process: every UDP port gets the same cap.
fn warn_once_udp_buffer(granted: usize) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            asked = UDP_RECV_BUFFER,
            granted,
            "UDP receive buffers are capped by the kernel: bursts may be dropped; raise \
             net.core.rmem_max (sysctl -w net.core.rmem_max={UDP_RECV_BUFFER})"
        );
    });
}

/// How many connections the kernel keeps waiting to be accepted (tokio's default is 1024):
/// players arriving by the thousand while the server is busy must not be dropped at the door.
const LISTEN_BACKLOG: u32 = 4096;

/// A TCP listener on `addr` (with SO_REUSEADDR, as tokio's `bind`) and a deep backlog.
pub(crate) fn listener(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Raises the soft limit on open files to the hard limit, as nginx's `worker_rlimit_nofile`
/// does: every connection is a descriptor.
fn raise_file_limit() {
    #[cfg(unix)]
    // SAFETY: `rlimit` is two integers, so all zeroes is a valid value; getrlimit writes
    // only through the pointer to this live local and setrlimit only reads it.
    unsafe {
        let mut limit = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
