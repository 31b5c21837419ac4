//! One live stream: its publisher, the ring its subscribers read, what a late joiner needs
//! (metadata, sequence headers, the GOP in progress) and the counters the API shows.

use crate::fanout::{Direct, Fanout, Sink};
use crate::rate::Rate;
use crate::{Busy, Entry, HubLimits, Item, MAX_BATCH_ITEMS, StreamKey};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The ring is trimmed, down to what its slowest subscriber still needs, once it holds more
/// than this many items: an unwatched stream keeps at most this many and 16 more, not
/// `queue_frames`.
const TRIM_ABOVE: usize = 64;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;
use weir_media::config::{CodecConfig, ConfigSummary};
use weir_media::{MediaKind, MediaPacket, Track};

/// A stream as the API reports it.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    pub id: String,
    pub key: StreamKey,
    pub publisher: Option<String>,
    /// When the current publisher started, in hub milliseconds.
    pub publish_since_ms: Option<u64>,
    pub subscribers: usize,
    pub video: Option<TrackInfo>,
    pub audio: Option<TrackInfo>,
}

/// A track's configuration summary, from its sequence header.
pub type TrackInfo = ConfigSummary;

struct State {
    publisher: Option<String>,
    publish_since_ms: Option<u64>,
    subscribers: usize,
    /// The server's own subscribers (the HLS packager): they keep the stream but are no
    /// clients.
    internal: usize,
    metadata: Option<Item>,
    /// The latest configuration of each track.
    configs: Vec<(Track, Item)>,
    /// Everything since the last video keyframe; empty until the first one, or after it
    /// overflowed the cache's bounds (until the next keyframe).
    gop: VecDeque<Item>,
    gop_bytes: usize,
    video: Option<TrackInfo>,
    audio: Option<TrackInfo>,
    /// At most the last `queue_frames` items, each with its sequence number: what subscribers
    /// read. Items every subscriber has are let go (see [`TRIM_ABOVE`]).
    ring: VecDeque<Sequenced>,
    /// Each subscriber's place: the sequence number of the last item it has (moved on by the
    /// subscriber as it reads the ring, by the stream as it writes to its sink).
    cursors: Vec<Arc<AtomicU64>>,
    /// The sequence number of the next item.
    next_seq: u64,
    /// The caught-up players written to directly.
    fanout: Fanout,
}

/// Items taken from the batch for a direct write, and the sinks to write them to.
struct Flush {
    items: Vec<(u64, Item)>,
    sinks: Arc<[Direct]>,
}

/// The ring's entries: each item with its sequence number.
pub(crate) type Sequenced = (u64, Item);

pub struct Stream {
    id: String,
    key: StreamKey,
    limits: HubLimits,
    /// Wakes the subscribers waiting for the next item.
    arrived: Notify,
    state: Mutex<State>,
    /// Video frames received, as SRS counts `frames`.
    frames: AtomicU64,
    recv_bytes: AtomicU64,
    send_bytes: AtomicU64,
    /// When the publisher last pushed, in hub milliseconds (the stall watchdog compares
    /// subscribers' progress with it).
    last_push_ms: AtomicU64,
    recv_rate: Rate,
    send_rate: Rate,
    created: Instant,
    /// What delivery formats keep per stream (see [`Slot`](crate::Slot)).
    slots: crate::Slots,
}

impl Stream {
    pub(super) fn new(key: StreamKey, limits: &HubLimits, epoch: Instant) -> Self {
        Stream {
            id: crate::random_id("vid-", 7),
            key,
            limits: limits.clone(),
            arrived: Notify::new(),
            state: Mutex::new(State {
                publisher: None,
                publish_since_ms: None,
                subscribers: 0,
                internal: 0,
                metadata: None,
                configs: Vec::new(),
                gop: VecDeque::new(),
                gop_bytes: 0,
                video: None,
                audio: None,
                ring: VecDeque::with_capacity(limits.queue_frames.clamp(16, TRIM_ABOVE * 2)),
                cursors: Vec::new(),
                next_seq: 1,
                fanout: Fanout::default(),
            }),
            frames: AtomicU64::new(0),
            recv_bytes: AtomicU64::new(0),
            send_bytes: AtomicU64::new(0),
            last_push_ms: AtomicU64::new(0),
            recv_rate: Rate::default(),
            send_rate: Rate::default(),
            created: epoch,
            slots: crate::Slots::default(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn key(&self) -> &StreamKey {
        &self.key
    }

    /// What delivery formats keep for this stream.
    pub fn slots(&self) -> &crate::Slots {
        &self.slots
    }

    pub fn info(&self) -> StreamInfo {
        let state = self.state.lock().unwrap();
        StreamInfo {
            id: self.id.clone(),
            key: self.key.clone(),
            publisher: state.publisher.clone(),
            publish_since_ms: state.publish_since_ms,
            subscribers: state.subscribers,
            video: state.video.clone(),
            audio: state.audio.clone(),
        }
    }

    pub fn frames(&self) -> u64 {
        self.frames.load(Relaxed)
    }

    pub fn recv_bytes(&self) -> u64 {
        self.recv_bytes.load(Relaxed)
    }

    pub fn send_bytes(&self) -> u64 {
        self.send_bytes.load(Relaxed)
    }

    /// Receive and send rates over the last 30 s, in kbit/s.
    pub fn kbps(&self, now_ms: u64) -> (u64, u64) {
        (
            self.recv_rate.kbps(now_ms, self.recv_bytes()),
            self.send_rate.kbps(now_ms, self.send_bytes()),
        )
    }

    /// Records the byte counters for the rate window; the server calls it once a second.
    pub fn sample(&self, now_ms: u64) {
        self.recv_rate.sample(now_ms, self.recv_bytes());
        self.send_rate.sample(now_ms, self.send_bytes());
    }

    pub fn add_sent(&self, bytes: u64) {
        self.send_bytes.fetch_add(bytes, Relaxed);
    }

    pub fn last_push_ms(&self) -> u64 {
        self.last_push_ms.load(Relaxed)
    }

    pub fn has_publisher(&self) -> bool {
        self.state.lock().unwrap().publisher.is_some()
    }

    pub(super) fn is_unused(&self) -> bool {
        let state = self.state.lock().unwrap();
        state.publisher.is_none() && state.subscribers == 0 && state.internal == 0
    }

    pub(super) fn start_publish(&self, client_id: &str) -> Result<(), Busy> {
        let mut state = self.state.lock().unwrap();
        if let Some(publisher) = &state.publisher {
            return Err(Busy {
                publisher: publisher.clone(),
            });
        }
        state.publisher = Some(client_id.to_owned());
        state.publish_since_ms = Some(self.created.elapsed().as_millis() as u64);
        let now_ms = state.publish_since_ms.unwrap_or(0);
        let flush = self.emit(&mut state, Item::Publisher(true), now_ms);
        drop(state);
        self.flush(flush, now_ms);
        Ok(())
    }

    /// Forgets the publisher and everything a late joiner would have got from it; players
    /// stay and wait for the next publisher.
    pub(super) fn stop_publish(&self, now_ms: u64) {
        let mut state = self.state.lock().unwrap();
        state.publisher = None;
        state.publish_since_ms = None;
        state.metadata = None;
        state.configs.clear();
        state.gop.clear();
        state.gop_bytes = 0;
        state.video = None;
        state.audio = None;
        let flush = self.emit(&mut state, Item::Publisher(false), now_ms);
        drop(state);
        self.flush(flush, now_ms);
    }

    /// A new subscriber's starting point and its place in the ring, taken under the lock the
    /// publisher pushes under, so that nothing is missed and nothing comes twice. `cursor` is
    /// set to that place, and the ring keeps what comes after it until the subscriber moves
    /// it on or leaves.
    pub(super) fn join(&self, internal: bool, cursor: &Arc<AtomicU64>) -> (Vec<Item>, u64) {
        let mut state = self.state.lock().unwrap();
        match internal {
            true => state.internal += 1,
            false => state.subscribers += 1,
        }
        cursor.store(state.next_seq - 1, Relaxed);
        state.cursors.push(cursor.clone());
        let mut backlog = Vec::with_capacity(2 + state.configs.len() + state.gop.len());
        backlog.extend(state.metadata.clone());
        backlog.extend(state.configs.iter().map(|(_, c)| c.clone()));
        backlog.extend(state.gop.iter().cloned());
        (backlog, state.next_seq - 1)
    }

    /// The first item after `last_seq` in the ring, with its sequence number (later than
    /// `last_seq + 1` when the ring dropped what came between).
    pub(super) fn next_after(&self, last_seq: u64) -> Option<Sequenced> {
        let state = self.state.lock().unwrap();
        let first = state.ring.front()?.0;
        let index = (last_seq + 1).saturating_sub(first) as usize;
        state.ring.get(index).cloned()
    }

    /// A future ready once an item arrives after it was made: make it, then look in the ring,
    /// then wait, so that no item slips between the two.
    pub(super) fn arrived(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrived.notified()
    }

    /// Makes `sink` a player written to directly, starting after `last_seq`: what the ring
    /// holds after it is written to the sink first, under the lock items arrive under, so that
    /// none is missed or comes out of order. `false`, and the sink is not added, when the ring
    /// dropped some of it (the player fell behind) or the sink could not take it all (it
    /// keeps the rest for its task).
    pub(super) fn add_sink(&self, direct: Direct, last_seq: u64, now_ms: u64) -> bool {
        let mut state = self.state.lock().unwrap();
        let first = state.ring.front().map_or(state.next_seq, |(seq, _)| *seq);
        if last_seq + 1 < first {
            return false;
        }
        let skip = (last_seq + 1 - first) as usize;
        let missed: Vec<Sequenced> = state.ring.iter().skip(skip).cloned().collect();
        if let Some((last, _)) = missed.last() {
            let taken = direct.sink.write(&missed, now_ms);
            direct.sink.flush();
            if !taken {
                return false;
            }
            direct.cursor.store(*last, Relaxed);
        }
        state.fanout.add(direct);
        true
    }

    /// Whether the stream has a video track (a player that waits for a keyframe cannot be
    /// written to directly then).
    pub(super) fn has_video(&self) -> bool {
        let state = self.state.lock().unwrap();
        state
            .configs
            .iter()
            .any(|(track, _)| track.kind == MediaKind::Video)
    }

    pub(super) fn remove_sink(&self, sink: &Arc<dyn Sink>) {
        self.state
            .lock()
            .unwrap()
            .fanout
            .remove(std::slice::from_ref(sink));
    }

    /// How many items the ring holds: what the slowest subscriber has still to read (or up
    /// to [`TRIM_ABOVE`] and 16 more, when it has read everything), at most `queue_frames`.
    pub fn ring_len(&self) -> usize {
        self.state.lock().unwrap().ring.len()
    }

    /// How many players are written to directly.
    pub fn direct_players(&self) -> usize {
        self.state.lock().unwrap().fanout.sinks.len()
    }

    pub(super) fn leave(&self, internal: bool, cursor: &Arc<AtomicU64>) {
        let mut state = self.state.lock().unwrap();
        state.cursors.retain(|c| !Arc::ptr_eq(c, cursor));
        let count = match internal {
            true => &mut state.internal,
            false => &mut state.subscribers,
        };
        *count = count.saturating_sub(1);
    }

    pub(super) fn push(&self, item: Item, now_ms: u64) {
        self.last_push_ms.store(now_ms, Relaxed);
        let mut state = self.state.lock().unwrap();
        match &item {
            Item::Metadata(_) => state.metadata = Some(item.clone()),
            Item::Media(media) => {
                self.recv_bytes.fetch_add(media.value.len() as u64, Relaxed);
                self.remember(&mut state, media, &item);
            }
            Item::Publisher(_) => {}
        }
        let flush = self.emit(&mut state, item, now_ms);
        drop(state);
        self.flush(flush, now_ms);
    }

    /// Puts `item` in the ring and, when players are written to directly, in the batch; returns
    /// the batch when it is due: at once, or with merged writes once its first item has waited
    /// the merge time (notices of the publisher go at once).
    fn emit(&self, state: &mut State, item: Item, now_ms: u64) -> Option<Flush> {
        let seq = state.next_seq;
        state.next_seq += 1;
        if state.ring.len() >= self.limits.queue_frames.max(16) {
            state.ring.pop_front();
        }
        // Every 16th item, so that the look at every subscriber's place is paid once per 16.
        if state.ring.len() > TRIM_ABOVE && seq.is_multiple_of(16) {
            // What every subscriber has goes; with none, everything before this item does.
            let had = state.cursors.iter().map(|c| c.load(Relaxed)).min();
            let had = had.unwrap_or(seq - 1);
            while state.ring.front().is_some_and(|(s, _)| *s <= had) {
                state.ring.pop_front();
            }
        }
        state.ring.push_back((seq, item.clone()));
        self.arrived.notify_waiters();
        let fanout = &mut state.fanout;
        if fanout.sinks.is_empty() {
            fanout.batch.clear();
            return None;
        }
        if fanout.batch.is_empty() {
            fanout.batch_since = now_ms;
        }
        let urgent = !matches!(item, Item::Media(_));
        fanout.batch.push((seq, item));
        let merge = self.limits.merged_write.as_millis() as u64;
        let waiting = now_ms < fanout.batch_since.saturating_add(merge);
        if merge > 0 && waiting && !urgent && fanout.batch.len() < MAX_BATCH_ITEMS {
            return None;
        }
        Some(Flush {
            items: std::mem::take(&mut fanout.batch),
            sinks: fanout.sinks.clone(),
        })
    }

    /// Writes a batch to every direct player, outside the lock (joiners need not wait for the
    /// writes); forgets those that could not take it.
    fn flush(&self, flush: Option<Flush>, now_ms: u64) {
        let Some(Flush { items, sinks }) = flush else {
            return;
        };
        let mut full = Vec::new();
        let last = items.last().map_or(0, |(seq, _)| *seq);
        for (i, direct) in sinks.iter().enumerate() {
            if let Some(next) = sinks.get(i + 1) {
                next.sink.prefetch();
            }
            match direct.sink.write(&items, now_ms) {
                true => direct.cursor.store(last, Relaxed),
                // Its cursor stays before this batch: the ring keeps what its task resumes at.
                false => full.push(direct.sink.clone()),
            }
        }
        for direct in sinks.iter() {
            direct.sink.flush();
        }
        if !full.is_empty() {
            self.state.lock().unwrap().fanout.remove(&full);
        }
    }

    fn remember(&self, state: &mut State, media: &Arc<Entry<MediaPacket>>, item: &Item) {
        match &media.value {
            MediaPacket::Config(config) => {
                let summary = CodecConfig::parse(config).map(|c| c.summary()).ok();
                match config.track.kind {
                    MediaKind::Video => state.video = summary,
                    MediaKind::Audio => state.audio = summary,
                    _ => {}
                }
                state.configs.retain(|(t, _)| *t != config.track);
                state.configs.push((config.track, item.clone()));
            }
            MediaPacket::Frame(frame) => {
                if media.is_video() {
                    self.frames.fetch_add(1, Relaxed);
                }
                // A codec without a configuration record (VP8...): its frames say what it is.
                let known = match frame.track.kind {
                    MediaKind::Video => Some(&mut state.video),
                    MediaKind::Audio => Some(&mut state.audio),
                    MediaKind::Data => None,
                };
                if let Some(known) = known {
                    let stale = known.as_ref().is_none_or(|k| {
                        k.codec != frame.codec || (frame.keyframe && k.width.is_none())
                    });
                    if let Some(summary) = ConfigSummary::of_frame(frame).filter(|_| stale) {
                        *known = Some(summary);
                    }
                }
                if !self.limits.gop_cache {
                    return;
                }
                if media.is_keyframe() {
                    state.gop.clear();
                    state.gop_bytes = 0;
                } else if state.gop.is_empty() {
                    return; // no keyframe yet, or the GOP overflowed: wait for the next one
                }
                state.gop_bytes += frame.data.len();
                state.gop.push_back(item.clone());
                if state.gop.len() > self.limits.gop_cache_max_frames
                    || state.gop_bytes > self.limits.gop_cache_max_bytes
                {
                    state.gop.clear();
                    state.gop_bytes = 0;
                }
            }
            MediaPacket::EndOfSequence { .. } => {}
        }
    }
}
