//! The origin cluster's stream registry, in Redis (`[cluster] redis`): which origins are alive,
//! and which origin holds which stream, so that a player asking any origin reaches any stream
//! and a stream has one publisher in the whole cluster, as on one server.
//!
//! # Key layout
//!
//! Every key starts with `cluster.prefix` (`weir` by default); values are plain strings, so that
//! `redis-cli` shows them as they are.
//!
//! | key | value | written | gone |
//! | --- | --- | --- | --- |
//! | `{prefix}:node:{node}` | JSON `{"node", "rtmp", "http", "api"}`: the node's name and the `host:port` of its listeners (`http`, `api`: `null` when off) | by the node at start and every `heartbeat` (`SET … PX expiry`) | `expiry` after the node's last heartbeat |
//! | `{prefix}:stream:{vhost}/{app}/{stream}` | the publishing node's name | by a publish, atomically with the check that no other node holds it ([`CLAIM`]); refreshed every `heartbeat` while the stream lives | when the publish ends ([`RELEASE`], only if still this node's), or `expiry` after its node died |
//!
//! A node's name is `cluster.node`, by default `host:port` of its advertised RTMP address.
//!
//! # Redis down
//!
//! Every call is bounded by [`call_timeout`]. When a call fails the registry is *unreachable*:
//! that is logged once, publishes are then accepted locally without a claim, and plays are not
//! redirected (a player waits for the stream here, as on a standalone server). The heartbeat
//! reconnects in the background; the first heartbeat that succeeds logs the recovery and, in
//! the same call, re-registers the node and claims every stream published here meanwhile (a
//! stream another node claimed during the outage is logged as held twice; both go on).

use crate::config::{ClusterConfig, ClusterMode};
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, info, warn};
use weir_hub::StreamKey;

/// Claims stream keys for node `ARGV[1]` for `ARGV[2]` ms, each unless another node holds it,
/// in one atomic step (a Lua script runs alone on the server): a publish claims its stream, a
/// heartbeat refreshes (or, after an outage, re-claims) all of this node's. Returns the keys
/// held by another node, each followed by that node's name.
pub const CLAIM: &str = r"
local lost = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder and holder ~= ARGV[1] then
    table.insert(lost, key)
    table.insert(lost, holder)
  else
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
  end
end
return lost
";

/// Deletes the stream key `KEYS[1]` if node `ARGV[1]` still holds it: a node never removes
/// another's claim.
pub const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// How long one registry call (connecting included) may take: a publish or a play waits at
/// most this for Redis, and never when the registry is known to be unreachable.
pub fn call_timeout(heartbeat: Duration) -> Duration {
    heartbeat.clamp(Duration::from_millis(100), Duration::from_secs(1))
}

/// A node of the cluster as the registry lists it: where players and other nodes reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Its name in the registry (`cluster.node`).
    pub node: String,
    /// `host:port` of its RTMP listener.
    pub rtmp: String,
    /// `host:port` of its HTTP server (HTTP-FLV, HTTP-TS, HLS), if on.
    pub http: Option<String>,
    /// `host:port` of its API, if on.
    pub api: Option<String>,
}

impl Node {
    /// This node as it registers: `advertise` (or the RTMP listener's address) with the ports
    /// the listeners bound. An error when no address can be advertised.
    pub fn local(
        config: &ClusterConfig,
        rtmp: SocketAddr,
        http: Option<SocketAddr>,
        api: Option<SocketAddr>,
    ) -> anyhow::Result<Node> {
        let host = match config.advertise.as_str() {
            "" if rtmp.ip().is_unspecified() => anyhow::bail!(
                "cluster.redis is set but RTMP listens on {rtmp}, which other nodes cannot \
                 reach: set cluster.advertise to this node's host name or address"
            ),
            "" => rtmp.ip().to_string(),
            host => host.to_owned(),
        };
        let at = |port: u16| match host.contains(':') && !host.starts_with('[') {
            true => format!("[{host}]:{port}"),
            false => format!("{host}:{port}"),
        };
        let rtmp = at(rtmp.port());
        Ok(Node {
            node: match config.node.as_str() {
                "" => rtmp.clone(),
                name => name.to_owned(),
            },
            rtmp,
            http: http.map(|a| at(a.port())),
            api: api.map(|a| at(a.port())),
        })
    }

    /// Where an RTMP player of `key` goes on this node, with the request's `param` (`?...`).
    /// A vhost other than the default rides in the app's query (`app?vhost=v`), which a
    /// tcUrl of an address cannot otherwise name.
    pub fn rtmp_url(&self, key: &StreamKey, param: &str) -> String {
        let vhost = match key.vhost.as_str() {
            crate::DEFAULT_VHOST => String::new(),
            vhost => format!("?vhost={vhost}"),
        };
        format!(
            "rtmp://{}/{}{vhost}/{}{param}",
            self.rtmp, key.app, key.stream
        )
    }

    /// `http://host:port` of this node's HTTP server, if on.
    pub fn http_base(&self) -> Option<String> {
        self.http.as_ref().map(|http| format!("http://{http}"))
    }
}

/// The registry's key for a node.
pub fn node_key(prefix: &str, node: &str) -> String {
    format!("{prefix}:node:{node}")
}

/// The registry's key for a stream.
pub fn stream_key(prefix: &str, key: &StreamKey) -> String {
    format!("{prefix}:stream:{}/{}/{}", key.vhost, key.app, key.stream)
}

/// What the registry last saw of Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Reach {
    /// Not asked yet.
    Unknown = 0,
    Up = 1,
    Down = 2,
}

/// A stream published here, as the heartbeat keeps it claimed.
#[derive(Debug, Default)]
struct Held {
    /// How many live publishes hold it (one, but a release may overlap the next publish).
    count: usize,
    /// The other node that holds it too (claimed during an outage), once logged.
    conflict: Option<String>,
}

/// The registry client of one node; see the [module docs](self).
pub struct Registry {
    client: redis::Client,
    /// The URL without its password, for logs and the API.
    url: String,
    prefix: String,
    heartbeat: Duration,
    expiry: Duration,
    /// Whether this node registers itself and its streams (an origin; an edge only looks up).
    registers: bool,
    /// This node, once its listeners are bound ([`Registry::start`]).
    node: OnceLock<Node>,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    reach: AtomicU8,
    held: Mutex<HashMap<StreamKey, Held>>,
    claim: redis::Script,
    release: redis::Script,
    errors: AtomicU64,
}

impl Registry {
    /// The registry `config` names, if any; an error for a URL Redis's client cannot use or
    /// an expiry a heartbeat cannot keep alive.
    pub fn new(config: &ClusterConfig) -> anyhow::Result<Option<Arc<Registry>>> {
        if config.redis.is_empty() {
            return Ok(None);
        }
        anyhow::ensure!(
            config.expiry > config.heartbeat && !config.heartbeat.is_zero(),
            "cluster.expiry ({:?}) must be longer than cluster.heartbeat ({:?}), which must not \
             be zero: entries would expire between two refreshes",
            config.expiry,
            config.heartbeat
        );
        anyhow::ensure!(
            !config.prefix.is_empty(),
            "cluster.prefix must not be empty"
        );
        let client = redis::Client::open(config.redis.as_str())
            .map_err(|e| anyhow::anyhow!("cluster.redis {:?}: {e}", redacted(&config.redis)))?;
        Ok(Some(Arc::new(Registry {
            client,
            url: redacted(&config.redis),
            prefix: config.prefix.clone(),
            heartbeat: config.heartbeat,
            expiry: config.expiry,
            registers: config.mode == ClusterMode::Origin,
            node: OnceLock::new(),
            conn: tokio::sync::Mutex::new(None),
            reach: AtomicU8::new(Reach::Unknown as u8),
            held: Mutex::new(HashMap::new()),
            claim: redis::Script::new(CLAIM),
            release: redis::Script::new(RELEASE),
            errors: AtomicU64::new(0),
        })))
    }

    /// Sets this node (its listeners now bound) and starts the heartbeat, which registers it
    /// at once and then every `heartbeat` until shutdown.
    pub fn start(
        self: &Arc<Self>,
        node: Node,
        mut shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        info!(node = %node.node, rtmp = %node.rtmp, http = ?node.http, redis = %self.url,
              registers = self.registers, "cluster registry");
        let _ = self.node.set(node);
        let registry = self.clone();
        tokio::spawn(async move {
            loop {
                registry.beat().await;
                tokio::select! {
                    _ = tokio::time::sleep(registry.heartbeat) => {}
                    _ = shutdown.changed() => break,
                }
            }
            registry.deregister().await;
        })
    }

    /// This node, once started.
    pub fn node(&self) -> Option<&Node> {
        self.node.get()
    }

    /// Whether the last call reached Redis.
    pub fn reachable(&self) -> bool {
        self.reach() == Reach::Up
    }

    /// Calls that failed (unreachable, timed out, or refused by Redis) since start.
    pub fn errors(&self) -> u64 {
        self.errors.load(Relaxed)
    }

    /// Claims `key` for this node before it is published here: `Err(node)` when another node
    /// holds it. Without the registry (not started, an edge, or unreachable) the publish is
    /// accepted locally, and the heartbeat claims it once it can.
    pub async fn claim(&self, key: &StreamKey) -> Result<(), String> {
        let Some(node) = self.node.get().filter(|_| self.registers) else {
            return Ok(());
        };
        if self.reach() == Reach::Down {
            info!(stream = %key, "cluster registry unreachable: publish accepted locally, claimed once it is back");
            return Ok(());
        }
        let mut invocation = self.claim.prepare_invoke();
        invocation
            .key(stream_key(&self.prefix, key))
            .arg(&node.node)
            .arg(self.expiry.as_millis() as u64);
        let lost: Vec<String> = match self
            .call(|mut c| async move { invocation.invoke_async(&mut c).await })
            .await
        {
            Ok(lost) => lost,
            Err(e) => {
                info!(stream = %key, error = %e, "cluster registry unreachable: publish accepted locally, claimed once it is back");
                return Ok(());
            }
        };
        match lost.get(1) {
            Some(holder) => Err(holder.clone()),
            None => Ok(()),
        }
    }

    /// Keeps `key` claimed while the returned guard lives (a publish here holds it); dropping
    /// it releases the claim.
    pub fn hold(self: &Arc<Self>, key: &StreamKey) -> Claim {
        self.held
            .lock()
            .unwrap()
            .entry(key.clone())
            .or_default()
            .count += 1;
        Claim {
            registry: self.clone(),
            key: key.clone(),
        }
    }

    /// The node the registry says holds `key`, unless that is this node, its registration has
    /// expired (the node died), or the registry cannot be reached.
    pub async fn lookup(&self, key: &StreamKey) -> Option<Node> {
        if self.reach() == Reach::Down {
            return None;
        }
        let get = redis::cmd("GET").arg(stream_key(&self.prefix, key)).clone();
        let holder: String = self
            .call(|mut c| async move { get.query_async::<Option<String>>(&mut c).await })
            .await
            .ok()??;
        if self.node.get().is_some_and(|n| n.node == holder) {
            return None;
        }
        let get = redis::cmd("GET")
            .arg(node_key(&self.prefix, &holder))
            .clone();
        let value: String = self
            .call(|mut c| async move { get.query_async::<Option<String>>(&mut c).await })
            .await
            .ok()??;
        match serde_json::from_str::<Node>(&value) {
            Ok(node) => Some(node),
            Err(e) => {
                warn!(node = %holder, error = %e, "cluster registry: unreadable node entry ignored");
                None
            }
        }
    }

    /// What the API shows: this node, Redis, and the streams it keeps claimed.
    pub fn view(&self) -> serde_json::Value {
        let mut streams: Vec<_> = self
            .held
            .lock()
            .unwrap()
            .iter()
            .map(|(key, held)| serde_json::json!({"stream": key.to_string(), "also_at": held.conflict}))
            .collect();
        streams.sort_by_key(|s| s["stream"].as_str().map(str::to_owned));
        serde_json::json!({
            "redis": self.url,
            "prefix": self.prefix,
            "registers": self.registers,
            "node": self.node.get(),
            "reachable": self.reachable(),
            "errors": self.errors(),
            "streams": streams,
        })
    }

    /// One heartbeat: this node's entry and every stream published here, refreshed (or
    /// registered again after an outage) in two calls; an edge only checks Redis answers.
    async fn beat(&self) {
        let Some(node) = self.node.get() else { return };
        if !self.registers {
            let ping = redis::cmd("PING");
            let _ = self
                .call(|mut c| async move { ping.query_async::<String>(&mut c).await })
                .await;
            return;
        }
        let expiry = self.expiry.as_millis() as u64;
        let value = serde_json::to_string(node).unwrap_or_default();
        let set = redis::cmd("SET")
            .arg(node_key(&self.prefix, &node.node))
            .arg(value)
            .arg("PX")
            .arg(expiry)
            .clone();
        if self
            .call(|mut c| async move { set.query_async::<()>(&mut c).await })
            .await
            .is_err()
        {
            return;
        }
        let keys: Vec<StreamKey> = self.held.lock().unwrap().keys().cloned().collect();
        if keys.is_empty() {
            return;
        }
        let mut invocation = self.claim.prepare_invoke();
        for key in &keys {
            invocation.key(stream_key(&self.prefix, key));
        }
        invocation.arg(&node.node).arg(expiry);
        let Ok(lost) = self
            .call(|mut c| async move { invocation.invoke_async::<Vec<String>>(&mut c).await })
            .await
        else {
            return;
        };
        let mut held = self.held.lock().unwrap();
        for key in &keys {
            let redis_key = stream_key(&self.prefix, key);
            let holder = lost
                .chunks(2)
                .find(|pair| pair[0] == redis_key)
                .and_then(|pair| pair.get(1));
            if let Some(entry) = held.get_mut(key)
                && entry.conflict.as_ref() != holder
            {
                if let Some(holder) = holder {
                    warn!(stream = %key, node = %holder, "stream published here and at another node (claimed there while the registry was unreachable): both go on; the registry names the other");
                }
                entry.conflict = holder.cloned();
            }
        }
    }

    /// A node shutting down removes its entry at once, rather than leave it for `expiry` (its
    /// streams' claims go as their sessions end).
    async fn deregister(&self) {
        let (Some(node), true) = (self.node.get(), self.registers) else {
            return;
        };
        if self.reach() == Reach::Down {
            return;
        }
        let del = redis::cmd("DEL")
            .arg(node_key(&self.prefix, &node.node))
            .clone();
        let _ = self
            .call(|mut c| async move { del.query_async::<i64>(&mut c).await })
            .await;
    }

    /// Forgets a publish's claim; the last one releases the stream's key in the background.
    fn unhold(self: &Arc<Self>, key: &StreamKey) {
        {
            let mut held = self.held.lock().unwrap();
            let Some(entry) = held.get_mut(key) else {
                return;
            };
            entry.count -= 1;
            if entry.count > 0 {
                return;
            }
            held.remove(key);
        }
        let (Some(node), Ok(runtime)) = (
            self.node.get().filter(|_| self.registers),
            tokio::runtime::Handle::try_current(),
        ) else {
            return;
        };
        if self.reach() == Reach::Down {
            return; // the key expires by itself
        }
        let (registry, key, node) = (self.clone(), key.clone(), node.clone());
        runtime.spawn(async move {
            // A publish of the same stream may have started here meanwhile: its claim stays.
            if registry.held.lock().unwrap().contains_key(&key) {
                return;
            }
            let released = registry.release(&node.node, &key).await;
            debug!(stream = %key, ?released, "cluster registry: claim released");
        });
    }

    /// Deletes `key`'s entry if `node` holds it: how many keys went (0 or 1).
    async fn release(&self, node: &str, key: &StreamKey) -> Result<i64, String> {
        let mut invocation = self.release.prepare_invoke();
        invocation.key(stream_key(&self.prefix, key)).arg(node);
        self.call(|mut c| async move { invocation.invoke_async::<i64>(&mut c).await })
            .await
    }

    fn reach(&self) -> Reach {
        match self.reach.load(Relaxed) {
            1 => Reach::Up,
            2 => Reach::Down,
            _ => Reach::Unknown,
        }
    }

    /// Runs `f` on the connection (made first if need be), all within [`call_timeout`]; a
    /// failure drops the connection and marks the registry unreachable (logged once per
    /// outage), a success after an outage logs the recovery.
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, String>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let timeout = call_timeout(self.heartbeat);
        let attempt = async {
            let conn = {
                let mut slot = self.conn.lock().await;
                match slot.as_ref() {
                    Some(conn) => conn.clone(),
                    None => {
                        let conn = self
                            .client
                            .get_multiplexed_async_connection()
                            .await
                            .map_err(|e| e.to_string())?;
                        *slot = Some(conn.clone());
                        conn
                    }
                }
            };
            f(conn).await.map_err(|e| e.to_string())
        };
        let outcome = match tokio::time::timeout(timeout, attempt).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no answer within {timeout:?}")),
        };
        match &outcome {
            Ok(_) => {
                let before = self.reach.swap(Reach::Up as u8, Relaxed);
                if before == Reach::Down as u8 {
                    let streams = self.held.lock().unwrap().len();
                    info!(redis = %self.url, streams, "cluster registry reachable again: node and streams registered again");
                } else if before == Reach::Unknown as u8 {
                    info!(redis = %self.url, "cluster registry reachable");
                }
            }
            Err(e) => {
                self.errors.fetch_add(1, Relaxed);
                *self.conn.lock().await = None;
                if self.reach.swap(Reach::Down as u8, Relaxed) != Reach::Down as u8 {
                    warn!(redis = %self.url, error = %e, "cluster registry unreachable: publishes are accepted locally and plays are not redirected until it is back; retrying every heartbeat ({:?})", self.heartbeat);
                }
            }
        }
        outcome
    }
}

/// A stream claimed in the registry while a publish here holds it; see [`Registry::hold`].
pub struct Claim {
    registry: Arc<Registry>,
    key: StreamKey,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.registry.unhold(&self.key);
    }
}

impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Claim({})", self.key)
    }
}

/// The node a player of `key` should be sent to (or, with `on_miss = "pull"`, pulled from):
/// the one the registry names, when this server is an origin with a registry and nobody
/// publishes `key` here. The one question every player path asks.
pub async fn locate(ctx: &crate::Context, key: &StreamKey) -> Option<Node> {
    let registry = ctx.registry.as_ref()?;
    if !registry.registers || ctx.hub.has_publisher(key) {
        return None;
    }
    registry.lookup(key).await
}

/// `url` without the password of its user info, for logs and the API.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClusterConfig {
        ClusterConfig {
            redis: "redis://127.0.0.1:6379/0".into(),
            ..ClusterConfig::default()
        }
    }

    #[test]
    fn keys_follow_the_documented_layout() {
        let key = StreamKey::new(crate::DEFAULT_VHOST, "live", "cam:1");
        assert_eq!(
            stream_key("weir", &key),
            "weir:stream:__defaultVhost__/live/cam:1"
        );
        assert_eq!(node_key("prod", "10.0.0.1:1935"), "prod:node:10.0.0.1:1935");
    }

    #[test]
    fn a_node_advertises_its_bound_ports_at_its_advertised_host() {
        let rtmp: SocketAddr = "127.0.0.1:19350".parse().unwrap();
        let http: SocketAddr = "127.0.0.1:18080".parse().unwrap();
        let node = Node::local(&config(), rtmp, Some(http), None).unwrap();
        assert_eq!(node.node, "127.0.0.1:19350");
        assert_eq!(node.rtmp, "127.0.0.1:19350");
        assert_eq!(node.http.as_deref(), Some("127.0.0.1:18080"));
        assert_eq!(node.api, None);

        let named = ClusterConfig {
            advertise: "::1".into(),
            node: "a".into(),
            ..config()
        };
        let node = Node::local(&named, "[::]:1935".parse().unwrap(), None, None).unwrap();
        assert_eq!(
            (node.node.as_str(), node.rtmp.as_str()),
            ("a", "[::1]:1935")
        );

        let unknown = Node::local(&config(), "0.0.0.0:1935".parse().unwrap(), None, None);
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("cluster.advertise")
        );
    }

    #[test]
    fn redirect_urls_carry_the_app_the_vhost_and_the_parameters() {
        let node = Node {
            node: "b".into(),
            rtmp: "10.0.0.2:1935".into(),
            http: Some("10.0.0.2:8080".into()),
            api: None,
        };
        let key = StreamKey::new(crate::DEFAULT_VHOST, "live", "s");
        assert_eq!(
            node.rtmp_url(&key, "?token=1"),
            "rtmp://10.0.0.2:1935/live/s?token=1"
        );
        let key = StreamKey::new("v.example", "live", "s");
        assert_eq!(
            node.rtmp_url(&key, ""),
            "rtmp://10.0.0.2:1935/live?vhost=v.example/s"
        );
        assert_eq!(node.http_base().unwrap(), "http://10.0.0.2:8080");
    }

    #[test]
    fn the_configuration_is_checked_before_any_call() {
        assert!(Registry::new(&ClusterConfig::default()).unwrap().is_none());
        let slow = ClusterConfig {
            heartbeat: Duration::from_secs(6),
            ..config()
        };
        let error = Registry::new(&slow).err().unwrap().to_string();
        assert!(error.contains("cluster.expiry"), "{error}");
        let bad = ClusterConfig {
            redis: "http://nowhere".into(),
            ..config()
        };
        assert!(Registry::new(&bad).is_err());
    }

    #[test]
    fn passwords_stay_out_of_logs() {
        assert_eq!(
            redacted("redis://user:secret@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(redacted("redis://host:6379"), "redis://host:6379");
    }

    /// A real `redis-server` on a free port for the claim tests, killed on drop.
    struct Server(std::process::Child, u16);

    impl Server {
        async fn start() -> Server {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let redis = weir_testkit::peer::binary("REDIS_SERVER", "redis-server");
            let child = std::process::Command::new(redis)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("redis-server starts");
            let server = Server(child, port);
            for _ in 0..200 {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return server;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("redis-server did not listen on {port}");
        }

        /// A started origin's registry named `name` (not heartbeating: the test beats).
        fn origin(&self, name: &str) -> Arc<Registry> {
            let config = ClusterConfig {
                redis: format!("redis://127.0.0.1:{}/", self.1),
                node: name.into(),
                ..ClusterConfig::default()
            };
            let registry = Registry::new(&config).unwrap().unwrap();
            let rtmp = "127.0.0.1:1935".parse().unwrap();
            let _ = registry
                .node
                .set(Node::local(&config, rtmp, None, None).unwrap());
            registry
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Two origins on one Redis: the claim is exclusive, a release touches only its own node's
    /// claim, a lookup names the holder, and a heartbeat after Redis lost everything registers
    /// the node and its streams again, noting a stream claimed meanwhile by another.
    #[tokio::test]
    async fn claims_are_exclusive_and_heartbeats_restore_them() {
        let server = Server::start().await;
        let (a, b) = (server.origin("a"), server.origin("b"));
        let key = StreamKey::new(crate::DEFAULT_VHOST, "live", "s");
        assert_eq!(a.claim(&key).await, Ok(()));
        assert_eq!(a.claim(&key).await, Ok(()), "claiming again refreshes");
        assert_eq!(b.claim(&key).await, Err("a".to_owned()));
        let _held = a.hold(&key);
        a.beat().await;
        let found = b.lookup(&key).await.expect("b finds the stream at a");
        assert_eq!(
            (found.node.as_str(), found.rtmp.as_str()),
            ("a", "127.0.0.1:1935")
        );
        assert_eq!(a.lookup(&key).await, None, "a holds it itself");
        assert_eq!(
            b.release("b", &key).await,
            Ok(0),
            "b cannot release a's claim"
        );
        assert!(b.lookup(&key).await.is_some());

        // Redis loses everything (a restart without persistence): nothing is found...
        let flush = redis::cmd("FLUSHALL");
        a.call(|mut c| async move { flush.query_async::<()>(&mut c).await })
            .await
            .unwrap();
        assert_eq!(b.lookup(&key).await, None);
        // ...until a's next heartbeat registers the node and claims its stream again.
        a.beat().await;
        assert_eq!(b.lookup(&key).await.map(|n| n.node), Some("a".to_owned()));
        assert_eq!(a.view()["streams"][0]["also_at"], serde_json::Value::Null);

        // Lost again, and b claims the stream meanwhile: a's heartbeat says so, b keeps it.
        let flush = redis::cmd("FLUSHALL");
        a.call(|mut c| async move { flush.query_async::<()>(&mut c).await })
            .await
            .unwrap();
        assert_eq!(b.claim(&key).await, Ok(()));
        a.beat().await;
        assert_eq!(a.view()["streams"][0]["also_at"], "b");
        assert_eq!(b.release("a", &key).await, Ok(0));
        assert_eq!(b.release("b", &key).await, Ok(1));
        assert_eq!(a.errors() + b.errors(), 0);
    }

    /// Unreachable Redis (nothing listens on the port): a claim is accepted locally, a lookup
    /// finds nothing, each within the call bound, and the outage is counted.
    #[tokio::test]
    async fn an_unreachable_registry_degrades_to_local() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let registry = Registry::new(&ClusterConfig {
            redis: format!("redis://127.0.0.1:{port}/"),
            ..ClusterConfig::default()
        })
        .unwrap()
        .unwrap();
        let node = Node::local(
            &ClusterConfig::default(),
            "127.0.0.1:1".parse().unwrap(),
            None,
            None,
        )
        .unwrap();
        let _ = registry.node.set(node);
        let key = StreamKey::new(crate::DEFAULT_VHOST, "live", "s");
        let bound = call_timeout(registry.heartbeat) * 2;
        let claimed = tokio::time::timeout(bound * 4, registry.claim(&key)).await;
        assert_eq!(claimed, Ok(Ok(())));
        assert!(!registry.reachable());
        assert!(registry.errors() >= 1);
        let claim = registry.hold(&key);
        assert_eq!(registry.view()["streams"][0]["stream"], key.to_string());
        assert_eq!(
            tokio::time::timeout(bound, registry.lookup(&key)).await,
            Ok(None)
        );
        drop(claim);
        assert!(registry.view()["streams"].as_array().unwrap().is_empty());
    }
}
