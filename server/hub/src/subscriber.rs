//! A subscriber's view of a stream: the join snapshot, then the shared ring, starting and
//! resuming only at video keyframes.

use crate::{Hub, Item, MAX_BATCH_BYTES, MAX_BATCH_ITEMS, Stream};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

pub struct Subscriber {
    hub: Arc<Hub>,
    stream: Arc<Stream>,
    backlog: VecDeque<Item>,
    rx: broadcast::Receiver<Item>,
    /// Video frames are dropped until a keyframe: at the start (when no GOP was cached) and
    /// after falling behind.
    awaiting_keyframe: bool,
    /// When this subscriber last took an item, in hub milliseconds (the stall watchdog reads
    /// it).
    progress: Arc<AtomicU64>,
    /// Items lost by falling a whole ring behind.
    skipped: u64,
    /// The server's own subscriber, not a client's.
    internal: bool,
}

impl Subscriber {
    pub(super) fn new(
        hub: Arc<Hub>,
        stream: Arc<Stream>,
        backlog: Vec<Item>,
        rx: broadcast::Receiver<Item>,
        internal: bool,
    ) -> Self {
        let progress = Arc::new(AtomicU64::new(hub.now_ms()));
        Subscriber {
            hub,
            stream,
            backlog: backlog.into(),
            rx,
            awaiting_keyframe: true,
            progress,
            skipped: 0,
            internal,
        }
    }

    pub fn stream(&self) -> &Arc<Stream> {
        &self.stream
    }

    pub fn progress(&self) -> Arc<AtomicU64> {
        self.progress.clone()
    }

    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The next item; `None` when the stream is gone (which a live stream never is while a
    /// subscriber holds it).
    pub async fn recv(&mut self) -> Option<Item> {
        loop {
            let item = match self.backlog.pop_front() {
                Some(item) => item,
                None => match self.rx.recv().await {
                    Ok(item) => item,
                    Err(RecvError::Lagged(n)) => {
                        self.lagged(n);
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                },
            };
            if let Some(item) = self.admit(item) {
                return Some(item);
            }
        }
    }

    /// The next item if one is ready, without waiting: lets a sender batch what is already
    /// there into one write.
    pub fn try_recv(&mut self) -> Option<Item> {
        loop {
            let item = match self.backlog.pop_front() {
                Some(item) => item,
                None => match self.rx.try_recv() {
                    Ok(item) => item,
                    Err(TryRecvError::Lagged(n)) => {
                        self.lagged(n);
                        continue;
                    }
                    Err(_) => return None,
                },
            };
            if let Some(item) = self.admit(item) {
                return Some(item);
            }
        }
    }

    /// Hands `first` and the items already waiting behind it to `send`, up to one batch
    /// ([`MAX_BATCH_ITEMS`], [`MAX_BATCH_BYTES`]): what a sender writes at once.
    pub fn batch(&mut self, first: Item, mut send: impl FnMut(Item)) {
        let mut bytes = first.payload_len();
        send(first);
        for _ in 1..MAX_BATCH_ITEMS {
            if bytes >= MAX_BATCH_BYTES {
                break;
            }
            let Some(item) = self.try_recv() else { break };
            bytes += item.payload_len();
            send(item);
        }
    }

    /// With merged writes, waits for the items behind the one just taken; at once otherwise.
    /// (Call it after `recv`, never inside a `select!` branch's future: it is not cancel-safe
    /// together with the item taken before it.)
    pub async fn merge_wait(&self) {
        let wait = self.hub.limits().merged_write;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    fn lagged(&mut self, n: u64) {
        self.skipped += n;
        self.awaiting_keyframe = true;
        tracing::debug!(skipped = n, stream = %self.stream.key(), "subscriber fell behind; skipping to the next keyframe");
    }

    fn admit(&mut self, item: Item) -> Option<Item> {
        self.progress.store(self.hub.now_ms(), Relaxed);
        match &item {
            Item::Media(media) if media.is_video() && media.is_frame() => {
                if media.is_keyframe() {
                    self.awaiting_keyframe = false;
                } else if self.awaiting_keyframe {
                    return None;
                }
            }
            Item::Publisher(true) => self.awaiting_keyframe = true,
            _ => {}
        }
        Some(item)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.stream.leave(self.internal);
        self.hub.release(&self.stream);
    }
}
