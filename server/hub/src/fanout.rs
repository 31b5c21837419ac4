//! Direct fan-out: the stream writes each item (or, with merged writes, each batch of items)
//! straight to the sockets of the players that are caught up, from the publisher's task, with
//! one non-blocking write each. A caught-up player's own task is not woken per item: it waits on
//! its socket's input, and takes over only when its socket would block (then it writes the
//! rest and catches up from the ring at its own pace) or when it has something else to say.
//! nginx-rtmp serves every player from one event loop in the same way; `benches/RESULTS.md`
//! measures why this beats a wake-up per player per frame.
//!
//! The hub knows no protocol: a [`Sink`] is a player's socket with its format's framing,
//! implemented by the delivery adapter.

use crate::Item;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// A caught-up player, written to directly by its stream; see the [module docs](self).
pub trait Sink: Send + Sync {
    /// Writes `items` (in order; each with its sequence number) at once, without waiting. A
    /// sink skips items it already has (those up to the sequence number it joined after).
    /// Returns `false` when it could not take them all: it keeps what it did not write, hands
    /// the player back to its task, and the stream forgets it.
    fn write(&self, items: &[(u64, Item)], now_ms: u64) -> bool;

    /// A hint that [`write`](Self::write) comes soon: the sink may bring what it will touch
    /// into the cache (the stream calls it for the next sink while it writes to this one).
    fn prefetch(&self) {}

    /// The stream's pass over its sinks is over: a sink that holds back what it was written, to
    /// send it with other sinks' in one system call, sends it now. Called for every sink of a
    /// pass after all its writes, and after the write that adds a sink.
    fn flush(&self) {}
}

/// A direct player: its sink, and its subscriber's place in the ring (the last item it has),
/// which each write it takes moves on (the ring keeps what a player may still need).
#[derive(Clone)]
pub(crate) struct Direct {
    pub sink: Arc<dyn Sink>,
    pub cursor: Arc<AtomicU64>,
}

/// The sinks of one stream and, with merged writes, the items waiting for the next write.
pub(crate) struct Fanout {
    /// Copied on change (rare) and shared by every write (each item).
    pub sinks: Arc<[Direct]>,
    pub batch: Vec<(u64, Item)>,
    /// When the first item of the batch came, in hub milliseconds.
    pub batch_since: u64,
}

impl Default for Fanout {
    fn default() -> Self {
        Fanout {
            sinks: Arc::new([]),
            batch: Vec::new(),
            batch_since: 0,
        }
    }
}

impl Fanout {
    pub fn add(&mut self, direct: Direct) {
        let mut sinks = self.sinks.to_vec();
        sinks.push(direct);
        self.sinks = sinks.into();
    }

    /// Forgets `gone` (compared by address).
    pub fn remove(&mut self, gone: &[Arc<dyn Sink>]) {
        let kept: Vec<_> = self
            .sinks
            .iter()
            .filter(|d| !gone.iter().any(|g| same(&d.sink, g)))
            .cloned()
            .collect();
        self.sinks = kept.into();
    }
}

/// The same sink: the same allocation (vtables may differ between codegen units).
pub(crate) fn same(a: &Arc<dyn Sink>, b: &Arc<dyn Sink>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}
