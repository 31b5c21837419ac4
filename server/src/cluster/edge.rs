//! Edges (`[cluster] mode = "edge"`): the first player of a stream makes the edge pull it
//! once from an origin into its own hub, as SRS's edge does (its `SrsPlayEdge`); every
//! further player shares that one upstream, whatever it plays by (RTMP, HTTP-FLV, HTTP-TS,
//! HLS, SRT, WHEP: they all read the hub).
//!
//! - [`wanted`] is the player path's one call (from `Session::play`, and for HLS from the
//!   playlist request): it starts the stream's upstream, or tells it a player still wants it.
//! - [`origins_for`] is where an upstream pulls from: the `origins`, round-robin (each new
//!   upstream starts at the next), the rest in order as failover.
//! - [`pull_from`] starts the same machinery on any server for one given URL (an origin whose
//!   registry names another origin, `on_miss = "pull"`).
//!
//! An upstream is one task and one client of the API (type `edge-pull`; kicked while
//! players remain, it is replaced at once by a new one, as a dropped forward comes back): it
//! publishes the stream into the hub for its whole life, so players stay across origin
//! changes, and pulls with `crate::cluster::pull` from one origin after the other (the next
//! at once when one ends), a round of them after another: 0.5 s after a round that received
//! media, else after a backoff doubling up to 5 s. Each pull's timestamps are moved to follow the last ones sent, so players see one
//! timeline across origins. The upstream ends `grace` after its last player left: the hub
//! counts RTMP, HTTP and SRT and WebRTC players; an HLS player counts for `grace` after each
//! playlist request.
//!
//! A stream published on the edge itself is not pulled: the edge serves it locally and
//! forwards it to an origin (`crate::forward`), where a second publisher is then refused.

use crate::Context;
use crate::clients::{ClientKind, ClientRequest};
use crate::cluster::pull;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::{Instrument, info, warn};
use weir_hub::{Item, Publisher, StreamKey};
use weir_media::{MediaPacket, Timestamp};
use weir_rtmp::session::StreamData;
use weir_rtmp::url::RtmpUrl;

/// The first wait before trying the origins again after a round without media, and the
/// longest.
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MOST: Duration = Duration::from_secs(5);
/// How often an upstream looks whether it is still wanted.
const CHECK_EVERY: Duration = Duration::from_millis(250);

/// Where an upstream pulls a stream from: `rtmp://host:port/app/stream` (RTMP) or
/// `http://host:port/app/stream.flv` (HTTP-FLV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub url: String,
}

impl Origin {
    fn is_http(&self) -> bool {
        self.url.starts_with("http://") || self.url.starts_with("https://")
    }
}

/// The edge's upstreams, by stream.
#[derive(Default)]
pub struct Edges {
    upstreams: Mutex<HashMap<StreamKey, Arc<Upstream>>>,
    /// Where the next upstream starts in the origins (round-robin).
    next: AtomicUsize,
}

impl Edges {
    /// How many upstreams are running.
    pub fn len(&self) -> usize {
        self.upstreams.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Upstream {
    /// When a player last asked for the stream or was last seen on it, in hub milliseconds.
    wanted_ms: AtomicU64,
    /// The origins of [`pull_from`]; `None`: [`origins_for`].
    fixed: Option<Vec<Origin>>,
}

/// A player wants `key` on this server: on an edge, its upstream starts (or is told so).
pub fn wanted(ctx: &Arc<Context>, key: &StreamKey) {
    if ctx.config().cluster.mode == crate::config::ClusterMode::Edge {
        start(ctx, key, None);
    }
}

/// Pulls `key` into this server's hub from `url` (an `rtmp://` or `http://...flv` URL) for as
/// long as players want it, as an edge's upstream does; what `on_miss = "pull"` calls.
pub fn pull_from(ctx: &Arc<Context>, key: &StreamKey, url: &str) {
    start(
        ctx,
        key,
        Some(vec![Origin {
            url: url.to_owned(),
        }]),
    );
}

/// The origins an edge pulls `key` from, in the order to try them: the origin the cluster's
/// registry names for the stream first, when there is a registry and it knows; then the
/// configured ones, starting one further at each call (round-robin), as failover (and all
/// there is when Redis cannot be reached).
pub async fn origins_for(ctx: &Context, key: &StreamKey) -> Vec<Origin> {
    let config = ctx.config();
    let all: Vec<Origin> = config
        .cluster
        .origins
        .iter()
        .filter_map(|o| origin_url(o, key).ok())
        .map(|url| Origin { url })
        .collect();
    let held = match &ctx.registry {
        Some(registry) => registry.lookup(key).await.map(|node| Origin {
            url: node.rtmp_url(key, ""),
        }),
        None => None,
    };
    let mut ordered: Vec<Origin> = held.into_iter().collect();
    if !all.is_empty() {
        let first = ctx.edges.next.fetch_add(1, Relaxed) % all.len();
        ordered.extend(all[first..].iter().chain(&all[..first]).cloned());
    }
    ordered
}

/// Where an edge forwards a publish of `key`: its RTMP origins, in [`origins_for`]'s order.
pub async fn publish_targets(ctx: &Context, key: &StreamKey) -> Vec<RtmpUrl> {
    origins_for(ctx, key)
        .await
        .into_iter()
        .filter_map(|o| RtmpUrl::parse(&o.url).ok())
        .collect()
}

/// The URL of `key` at a configured origin: `host:port` and `rtmp://host[:port]` are RTMP,
/// `http://host[:port]` HTTP-FLV (`/app/stream.flv`). A vhost other than the default is named
/// by `?vhost=`, in the app for RTMP (as SRS's edges and clients name it to an origin reached
/// by address) and in the query for HTTP.
fn origin_url(origin: &str, key: &StreamKey) -> Result<String, String> {
    let base = origin.trim_end_matches('/');
    let (app, stream) = (&key.app, &key.stream);
    let vhost = match key.vhost.as_str() {
        crate::DEFAULT_VHOST => String::new(),
        vhost => format!("?vhost={vhost}"),
    };
    if base.starts_with("http://") || base.starts_with("https://") {
        let url = format!("{base}/{app}/{stream}.flv{vhost}");
        reqwest::Url::parse(&url).map_err(|e| format!("{origin:?}: {e}"))?;
        return Ok(url);
    }
    let url = match base.contains("://") {
        true => format!("{base}/{app}{vhost}/{stream}"),
        false => format!("rtmp://{base}/{app}{vhost}/{stream}"),
    };
    RtmpUrl::parse(&url).map_err(|e| format!("{origin:?}: {e}"))?;
    Ok(url)
}

/// Whether `origin` is one an edge can pull from, for the config to say so where it is
/// written.
pub(crate) fn check_origin(origin: &str) -> Result<(), String> {
    let key = StreamKey::new(crate::DEFAULT_VHOST, "app", "stream");
    origin_url(origin, &key).map(drop).map_err(|e| {
        format!("{e}: an origin is host:port, rtmp://host[:port] or http://host[:port]")
    })
}

/// Starts `key`'s upstream unless it runs (then notes that a player wants it) or the stream
/// is published here.
fn start(ctx: &Arc<Context>, key: &StreamKey, fixed: Option<Vec<Origin>>) {
    let now = ctx.hub.now_ms();
    let mut upstreams = ctx.edges.upstreams.lock().unwrap();
    if let Some(upstream) = upstreams.get(key) {
        upstream.wanted_ms.store(now, Relaxed);
        return;
    }
    if ctx.hub.has_publisher(key) {
        return;
    }
    let upstream = Arc::new(Upstream {
        wanted_ms: AtomicU64::new(now),
        fixed,
    });
    upstreams.insert(key.clone(), upstream.clone());
    drop(upstreams);
    let client = ctx
        .clients
        .register(SocketAddr::from(([0, 0, 0, 0], 0)), ClientKind::EdgePull);
    let request = ClientRequest {
        vhost: key.vhost.clone(),
        app: key.app.clone(),
        stream: key.stream.clone(),
        ..ClientRequest::default()
    };
    client.set_request(ClientKind::EdgePull, request.clone());
    // Its own span, not the first player's.
    let span = tracing::info_span!(parent: None, "edge-pull", id = %client.id, stream = %key);
    let listed = Arc::clone(&client);
    let entry = Entry {
        ctx: ctx.clone(),
        key: key.clone(),
        upstream,
    };
    let task = tokio::spawn(run(entry, client, request).instrument(span));
    listed.set_abort(task.abort_handle());
}

/// An upstream's place in [`Edges`], given up when its task ends (however: idle, kicked,
/// shut down).
struct Entry {
    ctx: Arc<Context>,
    key: StreamKey,
    upstream: Arc<Upstream>,
}

impl Drop for Entry {
    /// A kicked upstream whose players remain is replaced at once (as a forward that a
    /// destination drops comes back): players are never left without one.
    fn drop(&mut self) {
        let mut upstreams = self.ctx.edges.upstreams.lock().unwrap();
        if upstreams
            .get(&self.key)
            .is_some_and(|u| Arc::ptr_eq(u, &self.upstream))
        {
            upstreams.remove(&self.key);
        }
        drop(upstreams);
        let players = self
            .ctx
            .hub
            .streams()
            .into_iter()
            .any(|s| s.key() == &self.key && !s.has_publisher() && s.info().subscribers > 0);
        let running =
            !*self.ctx.shutdown().borrow() && tokio::runtime::Handle::try_current().is_ok();
        if players && running {
            start(&self.ctx, &self.key, self.upstream.fixed.clone());
        }
    }
}

impl Entry {
    /// Whether a player is on the stream, or asked for it within `grace`; when not, the
    /// upstream leaves [`Edges`] (under its lock, so that a player arriving now starts a
    /// new one).
    fn still_wanted(&self, publisher: &Publisher) -> bool {
        let mut upstreams = self.ctx.edges.upstreams.lock().unwrap();
        let grace = self.ctx.config().cluster.grace.as_millis() as u64;
        let now = self.ctx.hub.now_ms();
        // Grace runs from when the last player was seen, or asked.
        if publisher.stream().info().subscribers > 0 {
            self.upstream.wanted_ms.store(now, Relaxed);
        }
        let wanted = now < self.upstream.wanted_ms.load(Relaxed) + grace;
        let ours = upstreams
            .get(&self.key)
            .is_some_and(|u| Arc::ptr_eq(u, &self.upstream));
        if !wanted && ours {
            upstreams.remove(&self.key);
        }
        wanted
    }
}

/// Why an upstream's wait ended.
enum Stop {
    Unwanted,
    Shutdown,
}

/// An upstream: publishes the stream into the hub and pulls it from the origins while it is
/// wanted.
async fn run(entry: Entry, client: crate::clients::ClientGuard, mut request: ClientRequest) {
    let ctx = entry.ctx.clone();
    let key = entry.key.clone();
    // A previous upstream of the stream may still be letting go of it.
    let mut publisher = None;
    for _ in 0..100 {
        match ctx.publish(&key, &client.id) {
            Ok(p) => {
                publisher = Some(p);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let Some(publisher) = publisher else {
        warn!("the stream is published here: no pull");
        return;
    };
    client.attach(Some(publisher.stream().clone()), None);
    info!("upstream started");
    let max_redirects = ctx.config().cluster.max_redirects;
    let http = pull::client(max_redirects);
    let mut retime = Retime::default();
    let mut configs = weir_media::Announcer::default();
    let mut wait = RETRY_FIRST;
    let stop = 'pulls: loop {
        let origins = match &entry.upstream.fixed {
            Some(fixed) => fixed.clone(),
            None => origins_for(&ctx, &key).await,
        };
        if origins.is_empty() {
            warn!("no origin to pull from");
        }
        let mut received = false;
        for origin in origins {
            ctx.metrics.edge_pulls.fetch_add(1, Relaxed);
            info!(url = %origin.url, "pulling");
            // The API shows where the upstream pulls from as its tcUrl.
            request.tc_url.clone_from(&origin.url);
            client.set_request(ClientKind::EdgePull, request.clone());
            retime.next_pull();
            let mut sink = |time: Timestamp, data: StreamData| {
                received |= matches!(data, StreamData::Media(_));
                crate::rtmp::push_data(&mut configs, time, data, &mut |item| {
                    publisher.push(retime.item(item))
                });
            };
            let count = pull::Counting {
                client: &client,
                metrics: &ctx.metrics,
            };
            let pulled = async {
                match origin.is_http() {
                    true => pull::flv(&http, &origin.url, count, &mut sink).await,
                    false => pull::rtmp(&origin.url, max_redirects, count, &mut sink).await,
                }
            };
            tokio::select! {
                why = pulled => {
                    ctx.metrics.edge_pull_failures.fetch_add(1, Relaxed);
                    warn!(url = %origin.url, %why, "pull ended");
                }
                stop = unwanted(&entry, &publisher) => break 'pulls stop,
            }
        }
        // Between two rounds, even after one that received media (an origin that sends a
        // frame and closes must not make the edge reconnect in a loop).
        if received {
            wait = RETRY_FIRST;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            stop = unwanted(&entry, &publisher) => break 'pulls stop,
        }
        if !received {
            wait = (wait * 2).min(RETRY_MOST);
        }
    };
    match stop {
        Stop::Unwanted => info!("no player left: upstream closed"),
        Stop::Shutdown => info!("shutting down: upstream closed"),
    }
    // The entry leaves the edges before the publisher, so that a new upstream may publish.
    drop(entry);
    drop(publisher);
}

/// Ready once the upstream is no longer wanted, or the server shuts down.
async fn unwanted(entry: &Entry, publisher: &Publisher) -> Stop {
    let mut shutdown = entry.ctx.shutdown();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(CHECK_EVERY) => {}
            _ = shutdown.changed() => return Stop::Shutdown,
        }
        if !entry.still_wanted(publisher) {
            return Stop::Unwanted;
        }
    }
}

/// Moves each pull's timestamps to follow the last ones the upstream pushed: an origin's
/// timeline starts where its publisher started, and a player must not see time go back
/// when the edge changes origins.
#[derive(Default)]
struct Retime {
    /// Ticks added to the current pull's times, once known.
    offset: Option<i64>,
    /// The latest time pushed.
    last: Option<Timestamp>,
}

impl Retime {
    /// A new pull: its first item sets the offset.
    fn next_pull(&mut self) {
        self.offset = None;
    }

    fn item(&mut self, item: Item) -> Item {
        let time = match &item {
            Item::Media(media) => media.time,
            Item::Metadata(metadata) => metadata.time,
            Item::Publisher(_) => return item,
        };
        // One frame at 25 fps after the last.
        let offset = *self.offset.get_or_insert(match self.last {
            Some(last) => last.0 + Timestamp::from_millis(40).0 - time.0,
            None => 0,
        });
        let at = Timestamp(time.0 + offset);
        self.last = Some(self.last.map_or(at, |last| last.max(at)));
        if offset == 0 {
            return item;
        }
        match item {
            Item::Media(media) => {
                let packet = match media.value.clone() {
                    MediaPacket::Frame(mut frame) => {
                        frame.pts = Timestamp(frame.pts.0 + offset);
                        frame.dts = Timestamp(frame.dts.0 + offset);
                        MediaPacket::Frame(frame)
                    }
                    other => other,
                };
                Item::media(at, packet)
            }
            Item::Metadata(metadata) => Item::metadata(at, metadata.value.clone()),
            publisher => publisher,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_become_urls_of_the_stream() {
        let key = StreamKey::new(crate::DEFAULT_VHOST, "live", "cam");
        let url = |o| origin_url(o, &key).unwrap();
        assert_eq!(url("10.0.0.1:1935"), "rtmp://10.0.0.1:1935/live/cam");
        assert_eq!(url("rtmp://o.example/"), "rtmp://o.example/live/cam");
        assert_eq!(
            url("http://10.0.0.1:8080"),
            "http://10.0.0.1:8080/live/cam.flv"
        );
        let key = StreamKey::new("v.example", "live", "cam");
        let url = |o| origin_url(o, &key).unwrap();
        assert_eq!(
            url("10.0.0.1:1935"),
            "rtmp://10.0.0.1:1935/live?vhost=v.example/cam"
        );
        assert_eq!(
            url("http://10.0.0.1:8080"),
            "http://10.0.0.1:8080/live/cam.flv?vhost=v.example"
        );
        let parsed = RtmpUrl::parse(&url("10.0.0.1:1935")).unwrap();
        assert_eq!(
            (parsed.app.as_str(), parsed.stream.as_str()),
            ("live?vhost=v.example", "cam")
        );
        assert!(check_origin("ftp://o.example").is_err());
        assert!(check_origin("o.example:1935").is_ok());
    }

    #[test]
    fn a_second_pull_continues_the_first_ones_timeline() {
        let frame = |ms| {
            Item::media(
                Timestamp::from_millis(ms),
                MediaPacket::Frame(weir_media::Frame {
                    track: weir_media::Track::VIDEO,
                    codec: weir_media::Codec::H264,
                    pts: Timestamp::from_millis(ms + 80),
                    dts: Timestamp::from_millis(ms),
                    keyframe: true,
                    data: bytes::Bytes::new(),
                }),
            )
        };
        let times = |item: &Item| match item {
            Item::Media(m) => match &m.value {
                MediaPacket::Frame(f) => (m.time.as_millis(), f.pts.as_millis()),
                _ => unreachable!(),
            },
            _ => unreachable!(),
        };
        let mut retime = Retime::default();
        retime.next_pull();
        assert_eq!(times(&retime.item(frame(1000))), (1000, 1080));
        assert_eq!(times(&retime.item(frame(5000))), (5000, 5080));
        retime.next_pull();
        assert_eq!(times(&retime.item(frame(0))), (5040, 5120));
        assert_eq!(times(&retime.item(frame(40))), (5080, 5160));
    }
}
