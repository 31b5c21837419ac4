//! A subscriber's view of a stream: the join snapshot, then the shared ring, starting and
//! resuming only at video keyframes — or, while it is caught up, the stream's direct writes to
//! its [`Sink`].

use crate::fanout::{Sink, same};
use crate::{Hub, Item, MAX_BATCH_BYTES, MAX_BATCH_ITEMS, Stream};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub struct Subscriber {
    hub: Arc<Hub>,
    stream: Arc<Stream>,
    backlog: VecDeque<Item>,
    /// The sequence number of the last item this subscriber has taken from the ring (while
    /// direct, the sink's own may be later): it reads the ring after it.
    last_seq: u64,
    /// The last item it has, for the stream, which keeps in its ring only what a subscriber
    /// still needs: `last_seq`, or what the stream last wrote to its sink.
    cursor: Arc<AtomicU64>,
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
    /// The sink the stream writes to while this subscriber is caught up.
    direct: Option<Arc<dyn Sink>>,
}

impl Subscriber {
    pub(super) fn new(
        hub: Arc<Hub>,
        stream: Arc<Stream>,
        backlog: Vec<Item>,
        last_seq: u64,
        cursor: Arc<AtomicU64>,
        internal: bool,
    ) -> Self {
        let progress = Arc::new(AtomicU64::new(hub.now_ms()));
        Subscriber {
            hub,
            stream,
            backlog: backlog.into(),
            last_seq,
            cursor,
            awaiting_keyframe: true,
            progress,
            skipped: 0,
            internal,
            direct: None,
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

    /// The sequence number of the last item taken: a sink made now starts after it.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The next item, waiting for it. (Cancel-safe: an item is taken only when returned.)
    pub async fn recv(&mut self) -> Option<Item> {
        let stream = self.stream.clone();
        loop {
            let mut arrived = std::pin::pin!(stream.arrived());
            arrived.as_mut().enable();
            if let Some(item) = self.try_recv() {
                return Some(item);
            }
            arrived.await;
        }
    }

    /// The next item if one is ready, without waiting: lets a sender batch what is already
    /// there into one write.
    pub fn try_recv(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.backlog.pop_front() {
                if self.backlog.is_empty() {
                    self.backlog = VecDeque::new(); // the join snapshot's capacity goes
                }
                if let Some(item) = self.admit(item) {
                    return Some(item);
                }
                continue;
            }
            let (seq, item) = self.stream.next_after(self.last_seq)?;
            if let Some(item) = self.sequenced(seq, item) {
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

    /// Hands the subscriber to the stream's direct writes through `sink` (made to start after
    /// [`last_seq`](Self::last_seq)): the join snapshot must have been taken and video must not
    /// wait for a keyframe; what the ring holds after its place is written to the sink first,
    /// so a player catches up at once rather than racing the stream. `false` when it cannot:
    /// it goes on from the ring (and, if the sink took part of what waited, takes over from
    /// the sink).
    pub fn go_direct(&mut self, sink: Arc<dyn Sink>) -> bool {
        if self.direct.is_some() || !self.backlog.is_empty() {
            return false;
        }
        if self.awaiting_keyframe && self.stream.has_video() {
            return false;
        }
        let direct = crate::fanout::Direct {
            sink: sink.clone(),
            cursor: self.cursor.clone(),
        };
        if !self
            .stream
            .add_sink(direct, self.last_seq, self.hub.now_ms())
        {
            return false;
        }
        self.direct = Some(sink);
        true
    }

    /// Whether the stream writes to this subscriber's sink.
    pub fn is_direct(&self) -> bool {
        self.direct.is_some()
    }

    /// Takes the subscriber back from the direct writes: the stream writes no more to its sink
    /// (the sink, detached by its owner, refuses any write under way), and the ring resumes
    /// after `last_seq`, the last item the sink took.
    pub fn resume_after(&mut self, last_seq: u64) {
        if let Some(sink) = self.direct.take() {
            self.stream.remove_sink(&sink);
        }
        // The sink wrote on without a gap (it starts at a keyframe, or before any video):
        // the ring goes on from there, with nothing to wait for. A player that went direct
        // before its stream had video would otherwise drop the rest of the GOP here.
        if last_seq > self.last_seq {
            self.awaiting_keyframe = false;
        }
        self.last_seq = self.last_seq.max(last_seq);
        self.cursor.store(self.last_seq, Relaxed);
        self.progress.store(self.hub.now_ms(), Relaxed);
    }

    /// Whether `sink` is this subscriber's.
    pub fn owns(&self, sink: &Arc<dyn Sink>) -> bool {
        self.direct.as_ref().is_some_and(|d| same(d, sink))
    }

    /// An item of the ring: a gap before it (items the ring dropped before this subscriber
    /// took them: it fell a whole ring behind) makes video wait for a keyframe.
    fn sequenced(&mut self, seq: u64, item: Item) -> Option<Item> {
        if seq <= self.last_seq {
            return None;
        }
        let lost = seq - self.last_seq - 1;
        self.last_seq = seq;
        self.cursor.store(seq, Relaxed);
        if lost > 0 {
            self.skipped += lost;
            self.hub.skipped.fetch_add(lost, Relaxed);
            self.awaiting_keyframe = true;
            tracing::debug!(skipped = lost, stream = %self.stream.key(), "subscriber fell behind; skipping to the next keyframe");
        }
        self.admit(item)
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
        if let Some(sink) = self.direct.take() {
            self.stream.remove_sink(&sink);
        }
        self.stream.leave(self.internal, &self.cursor);
        self.hub.release(&self.stream);
    }
}
