//! Server-wide counters for `/metrics`: connections, bytes, rule violations per rule id.
//! (Streams and clients are counted from the hub and the client list when rendered; hook
//! latency comes from [`crate::hooks`].)

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Default)]
pub struct Metrics {
    /// Connections accepted, per protocol ("rtmp", "http").
    pub connections: Counters,
    pub recv_bytes: AtomicU64,
    pub send_bytes: AtomicU64,
    /// Peers' rule violations, per rule id.
    pub violations: Counters,
    /// Connections closed with an error, per protocol.
    pub errors: Counters,
    /// Packets dropped unread, per reason ("gb28181-unknown-ssrc", ...).
    pub dropped: Counters,
    /// Players dropped for not reading.
    pub stalled_players: AtomicU64,
    /// Times a player written to directly by its stream was handed back to its own task
    /// (its socket was full, it had something to say, or an item needed it).
    pub direct_handovers: AtomicU64,
}

/// Counters keyed by a static name.
#[derive(Default)]
pub struct Counters(Mutex<BTreeMap<&'static str, u64>>);

impl Counters {
    pub fn add(&self, key: &'static str, n: u64) {
        *self.0.lock().unwrap().entry(key).or_default() += n;
    }

    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect()
    }

    pub fn get(&self, key: &str) -> u64 {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

impl Metrics {
    pub fn add_recv(&self, n: u64) {
        self.recv_bytes.fetch_add(n, Relaxed);
    }

    pub fn add_sent(&self, n: u64) {
        self.send_bytes.fetch_add(n, Relaxed);
    }
}
