//! The hub: live streams keyed by vhost/app/stream, one publisher each, any number of
//! subscribers. It carries the media model only — no FLV, RTMP, AMF or TS type is in it, and
//! its crate depends on no protocol crate, so the build keeps it that way. Each delivery
//! format caches its encoding of an item in a [`Slot`] it owns.
//!
//! A publisher pushes [`Item`]s. A caught-up player is written to directly: the stream writes
//! each item to its [`Sink`] (its socket) from the publisher's task (see `fanout.rs`). Any
//! other subscriber reads from one shared ring of at most the last `queue_frames` items, each
//! with a sequence number, at its own place: fan-out clones an `Arc`, never a payload, and no
//! subscriber can make the ring grow past that. The ring lets go of what every subscriber
//! has, so an unwatched stream holds a few dozen items, not `queue_frames`. A subscriber that falls a whole ring behind skips to the
//! next keyframe ([`Subscriber`]); one that stops taking items altogether is found by the
//! server's stall watchdog and disconnected. A late joiner starts from a snapshot taken under
//! the same lock as the ring: metadata, sequence headers and the cached GOP.

#![forbid(unsafe_code)]

mod fanout;
mod item;
pub mod rate;
mod slots;
mod stream;
mod subscriber;

pub use fanout::Sink;
pub use item::{Entry, Item};
pub use slots::{HasSlots, SLOTS, Slot, Slots};
pub use stream::{Stream, StreamInfo, TrackInfo};
pub use subscriber::Subscriber;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The most items a sender takes from its subscriber for one write: what is already waiting
/// goes out together (and, with merged writes, what arrived during the wait).
pub const MAX_BATCH_ITEMS: usize = 256;

/// The most payload bytes a sender takes for one write. A player whose socket stays full
/// holds at most one batch while it waits (the stall watchdog then drops it), so this, not
/// the ring, bounds what a stuck player can keep alive after the ring has moved on.
pub const MAX_BATCH_BYTES: usize = 1 << 20;

/// Names a live stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    pub vhost: String,
    pub app: String,
    pub stream: String,
}

impl StreamKey {
    pub fn new(
        vhost: impl Into<String>,
        app: impl Into<String>,
        stream: impl Into<String>,
    ) -> Self {
        StreamKey {
            vhost: vhost.into(),
            app: app.into(),
            stream: stream.into(),
        }
    }

    /// `/app/stream`, as SRS's API shows a stream's `url`.
    pub fn url(&self) -> String {
        format!("/{}/{}", self.app, self.stream)
    }
}

impl fmt::Display for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.vhost, self.app, self.stream)
    }
}

/// Bounds the hub keeps, from the `[hub]` config section.
#[derive(Debug, Clone)]
pub struct HubLimits {
    /// Whether late joiners get the GOP in progress.
    pub gop_cache: bool,
    pub gop_cache_max_frames: usize,
    pub gop_cache_max_bytes: usize,
    /// The shared ring's length: how far (in items) a subscriber may fall behind before it
    /// skips to the next keyframe.
    pub queue_frames: usize,
    /// Merged writes: how long a sender waits after an item for those behind it (0: none).
    pub merged_write: std::time::Duration,
}

impl Default for HubLimits {
    fn default() -> Self {
        HubLimits {
            gop_cache: true,
            gop_cache_max_frames: 4096,
            gop_cache_max_bytes: 64 << 20,
            queue_frames: 1024,
            merged_write: std::time::Duration::ZERO,
        }
    }
}

/// Another client already publishes the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub publisher: String,
}

/// The set of live streams.
pub struct Hub {
    limits: HubLimits,
    epoch: Instant,
    streams: Mutex<HashMap<StreamKey, Arc<Stream>>>,
    /// Items subscribers lost by falling a whole ring behind, all streams together.
    skipped: std::sync::atomic::AtomicU64,
}

impl Hub {
    pub fn new(limits: HubLimits) -> Self {
        Hub {
            limits,
            epoch: Instant::now(),
            streams: Mutex::new(HashMap::new()),
            skipped: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Items players lost by falling a whole ring behind (they then wait for a keyframe),
    /// since the hub was made: 0 while every player keeps up.
    pub fn skipped_items(&self) -> u64 {
        self.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` on the stream named `key` (created if need be) while holding the map's lock,
    /// so that a stream is never forgotten between being found and being joined.
    fn with_stream<T>(
        &self,
        key: &StreamKey,
        f: impl FnOnce(&Arc<Stream>) -> T,
    ) -> (Arc<Stream>, T) {
        let mut streams = self.streams.lock().unwrap();
        let stream = streams
            .entry(key.clone())
            .or_insert_with(|| Arc::new(Stream::new(key.clone(), &self.limits, self.epoch)))
            .clone();
        let result = f(&stream);
        if stream.is_unused() {
            streams.remove(key);
        }
        (stream, result)
    }

    /// Makes `client_id` the stream's publisher, unless another client is.
    pub fn publish(self: &Arc<Self>, key: &StreamKey, client_id: &str) -> Result<Publisher, Busy> {
        let (stream, started) = self.with_stream(key, |s| s.start_publish(client_id));
        started.map(|()| Publisher {
            hub: self.clone(),
            stream,
        })
    }

    /// Subscribes a client to the stream, which need not have a publisher yet.
    pub fn subscribe(self: &Arc<Self>, key: &StreamKey) -> Subscriber {
        self.join(key, false)
    }

    /// Subscribes the server itself (the HLS packager): the stream counts it as no client.
    pub fn subscribe_internal(self: &Arc<Self>, key: &StreamKey) -> Subscriber {
        self.join(key, true)
    }

    fn join(self: &Arc<Self>, key: &StreamKey, internal: bool) -> Subscriber {
        let cursor = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (stream, (backlog, last_seq)) = self.with_stream(key, |s| s.join(internal, &cursor));
        Subscriber::new(self.clone(), stream, backlog, last_seq, cursor, internal)
    }

    /// Forgets a stream nobody publishes or plays any more.
    fn release(&self, stream: &Arc<Stream>) {
        let mut streams = self.streams.lock().unwrap();
        let current = streams.get(stream.key());
        if stream.is_unused() && current.is_some_and(|c| Arc::ptr_eq(c, stream)) {
            streams.remove(stream.key());
        }
    }

    /// Whether a client publishes `key` here now.
    pub fn has_publisher(&self, key: &StreamKey) -> bool {
        let streams = self.streams.lock().unwrap();
        streams.get(key).is_some_and(|s| s.has_publisher())
    }

    /// Every stream, in key order.
    pub fn streams(&self) -> Vec<Arc<Stream>> {
        let mut all: Vec<_> = self.streams.lock().unwrap().values().cloned().collect();
        all.sort_by(|a, b| a.key().cmp(b.key()));
        all
    }

    pub fn limits(&self) -> &HubLimits {
        &self.limits
    }

    /// Milliseconds since the hub started: the clock of stream and subscriber progress.
    pub fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

/// The right to push into one stream; dropping it unpublishes.
pub struct Publisher {
    hub: Arc<Hub>,
    stream: Arc<Stream>,
}

impl Publisher {
    pub fn stream(&self) -> &Arc<Stream> {
        &self.stream
    }

    /// Sends an item to every subscriber and keeps what late joiners need.
    pub fn push(&self, item: Item) {
        self.stream.push(item, self.hub.now_ms());
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stream.stop_publish(self.hub.now_ms());
        self.hub.release(&self.stream);
    }
}

/// A random id of `len` lowercase letters and digits after `prefix`, as SRS names streams and
/// clients (std's per-process random hash keys are the randomness: ids need no more).
pub fn random_id(prefix: &str, len: usize) -> String {
    use std::hash::BuildHasher;
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let keys = std::collections::hash_map::RandomState::new();
    let chars = (0..len).map(|i| CHARS[(keys.hash_one((n, i)) % CHARS.len() as u64) as usize]);
    prefix.chars().chain(chars.map(char::from)).collect()
}
