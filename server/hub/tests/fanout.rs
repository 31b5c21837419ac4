//! The stream's direct writes to caught-up players: every item reaches a player once and in
//! order, whether the stream wrote it to the player's sink or the player's task took it from
//! the ring after the sink gave up; merged writes batch items; notices go at once.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use weir_hub::{Hub, HubLimits, Item, Sink, StreamKey};
use weir_media::{Codec, Frame, MediaPacket, Timestamp, Track};

/// A sink that takes up to `room` items, then refuses (as a full socket does).
struct FakeSink {
    after: u64,
    room: Mutex<usize>,
    got: Mutex<Vec<u64>>,
    writes: Mutex<usize>,
}

impl FakeSink {
    fn new(after: u64, room: usize) -> Arc<FakeSink> {
        Arc::new(FakeSink {
            after,
            room: Mutex::new(room),
            got: Mutex::new(Vec::new()),
            writes: Mutex::new(0),
        })
    }

    fn last(&self) -> u64 {
        self.got
            .lock()
            .unwrap()
            .last()
            .copied()
            .unwrap_or(self.after)
    }
}

impl Sink for FakeSink {
    fn write(&self, items: &[(u64, Item)], _now_ms: u64) -> bool {
        *self.writes.lock().unwrap() += 1;
        let mut room = self.room.lock().unwrap();
        for (seq, _) in items {
            if *seq <= self.after || *seq <= self.last() {
                continue;
            }
            if *room == 0 {
                return false;
            }
            *room -= 1;
            self.got.lock().unwrap().push(*seq);
        }
        true
    }
}

fn frame(n: i64, keyframe: bool) -> Item {
    Item::media(
        Timestamp(n * 3600),
        MediaPacket::Frame(Frame {
            track: Track::VIDEO,
            codec: Codec::H264,
            pts: Timestamp(n * 3600),
            dts: Timestamp(n * 3600),
            keyframe,
            data: vec![0; 100].into(),
        }),
    )
}

/// A stream with a publisher and one player that has read its first keyframe (the hub is
/// kept alive by the caller).
fn caught_up() -> (Arc<Hub>, weir_hub::Publisher, weir_hub::Subscriber) {
    let hub = Arc::new(Hub::new(HubLimits::default()));
    let key = StreamKey::new("v", "live", "s");
    let publisher = hub.publish(&key, "pub").unwrap();
    let mut player = hub.subscribe(&key);
    publisher.push(frame(0, true));
    while player.try_recv().is_some() {}
    (hub, publisher, player)
}

/// The frame numbers (dts / 3600) of items.
fn numbers(items: &[Item]) -> Vec<i64> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Media(m) => m.value.dts().map(|t| t.0 / 3600),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_caught_up_player_gets_every_item_once_whether_written_directly_or_from_the_ring() {
    let hub = Arc::new(Hub::new(HubLimits::default()));
    let key = StreamKey::new("v", "live", "s");
    let publisher = hub.publish(&key, "pub").unwrap();
    let mut player = hub.subscribe(&key);
    publisher.push(frame(0, true));
    // The join notice and the first frame come from the ring.
    let mut seen = Vec::new();
    while let Some(item) = player.try_recv() {
        seen.push(item);
    }
    // Caught up: the stream writes to its sink, which takes three frames and then is full.
    let sink = FakeSink::new(player.last_seq(), 3);
    assert!(player.go_direct(sink.clone()));
    assert_eq!(player.stream().direct_players(), 1);
    for n in 1..=6 {
        publisher.push(frame(n, n == 4));
    }
    assert_eq!(sink.got.lock().unwrap().len(), 3);
    assert_eq!(
        player.stream().direct_players(),
        0,
        "a full sink is forgotten"
    );
    // The task takes over after the sink's last item: the rest comes from the ring.
    player.resume_after(sink.last());
    while let Some(item) = player.try_recv() {
        seen.push(item);
    }
    let direct = sink.got.lock().unwrap().len() as i64;
    let mut all = numbers(&seen);
    all.splice(1..1, 1..=direct);
    assert_eq!(all, [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(player.skipped(), 0);
}

#[tokio::test]
async fn a_player_with_items_waiting_goes_direct_once_its_sink_took_them() {
    let (_hub, publisher, mut player) = caught_up();
    publisher.push(frame(1, false));
    publisher.push(frame(2, false));
    // Two items wait: the sink takes them, in order, before anything newer.
    let sink = FakeSink::new(player.last_seq(), 100);
    assert!(player.go_direct(sink.clone()));
    publisher.push(frame(3, false));
    let got = sink.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
}

#[tokio::test]
async fn a_sink_that_cannot_take_what_waits_is_not_added() {
    let (_hub, publisher, mut player) = caught_up();
    for n in 1..=3 {
        publisher.push(frame(n, false));
    }
    let sink = FakeSink::new(player.last_seq(), 1);
    assert!(!player.go_direct(sink.clone()));
    assert_eq!(player.stream().direct_players(), 0);
    // The task goes on after what the sink took.
    player.resume_after(sink.last());
    let rest: Vec<_> = std::iter::from_fn(|| player.try_recv()).collect();
    assert_eq!(numbers(&rest), [2, 3]);
}

#[tokio::test]
async fn a_player_waiting_for_a_keyframe_is_not_written_to_directly() {
    let limits = HubLimits {
        gop_cache: false,
        ..HubLimits::default()
    };
    let hub = Arc::new(Hub::new(limits));
    let key = StreamKey::new("v", "live", "s");
    let publisher = hub.publish(&key, "pub").unwrap();
    publisher.push(Item::media(
        Timestamp(0),
        MediaPacket::Config(weir_media::TrackConfig {
            track: Track::VIDEO,
            codec: Codec::H264,
            data: vec![1].into(),
        }),
    ));
    publisher.push(frame(0, true));
    let mut player = hub.subscribe(&key);
    publisher.push(frame(1, false));
    while player.try_recv().is_some() {}
    assert!(!player.go_direct(FakeSink::new(player.last_seq(), 100)));
    publisher.push(frame(2, true));
    while player.try_recv().is_some() {}
    assert!(player.go_direct(FakeSink::new(player.last_seq(), 100)));
}

#[tokio::test]
async fn merged_writes_batch_media_and_send_notices_at_once() {
    let limits = HubLimits {
        merged_write: Duration::from_millis(60_000),
        ..HubLimits::default()
    };
    let hub = Arc::new(Hub::new(limits));
    let key = StreamKey::new("v", "live", "s");
    let publisher = hub.publish(&key, "pub").unwrap();
    let mut player = hub.subscribe(&key);
    while player.try_recv().is_some() {}
    let sink = FakeSink::new(player.last_seq(), 100);
    assert!(player.go_direct(sink.clone()));
    for n in 0..5 {
        publisher.push(frame(n, n == 0));
    }
    assert_eq!(
        *sink.writes.lock().unwrap(),
        0,
        "media waits for the merge time"
    );
    drop(publisher); // the publisher leaves: its notice goes at once, with the batch
    assert_eq!(*sink.writes.lock().unwrap(), 1);
    assert_eq!(sink.got.lock().unwrap().len(), 6);
}

#[tokio::test]
async fn a_player_that_left_is_written_to_no_more() {
    let hub = Arc::new(Hub::new(HubLimits::default()));
    let key = StreamKey::new("v", "live", "s");
    let publisher = hub.publish(&key, "pub").unwrap();
    let mut player = hub.subscribe(&key);
    while player.try_recv().is_some() {}
    let sink = FakeSink::new(player.last_seq(), 100);
    assert!(player.go_direct(sink.clone()));
    publisher.push(frame(0, true));
    drop(player);
    publisher.push(frame(1, false));
    assert_eq!(sink.got.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unwatched_stream_keeps_only_its_last_items_and_a_slow_reader_keeps_what_it_lacks() {
    let hub = Arc::new(Hub::new(HubLimits::default()));
    let key = StreamKey::new("v", "live", "s");
    let publisher = hub.publish(&key, "pub").unwrap();
    let stream = publisher.stream().clone();
    for n in 0..2000 {
        publisher.push(frame(n, n % 50 == 0));
    }
    // Nobody reads: a camera nobody watches holds a few items, not `queue_frames` (1024).
    assert!(stream.ring_len() <= 80, "{}", stream.ring_len());
    // A player that reads nothing keeps all it has not read (up to queue_frames)...
    let mut player = hub.subscribe(&key);
    for n in 2000..2500 {
        publisher.push(frame(n, n % 50 == 0));
    }
    assert!(stream.ring_len() >= 500, "{}", stream.ring_len());
    let read: Vec<_> = std::iter::from_fn(|| player.try_recv()).collect();
    let numbers = numbers(&read);
    // ...and gets it whole: the cached GOP (from 1950), then every frame pushed since.
    assert_eq!(numbers, (1950..2500).collect::<Vec<_>>());
    assert_eq!(player.skipped(), 0);
    // Once it has read everything, the ring lets go of it.
    for n in 2500..2600 {
        publisher.push(frame(n, n % 50 == 0));
        while player.try_recv().is_some() {}
    }
    assert!(stream.ring_len() <= 80, "{}", stream.ring_len());
}

#[tokio::test]
async fn a_full_sink_resumes_from_the_ring_without_a_gap_though_the_ring_was_trimmed() {
    let (_hub, publisher, mut player) = caught_up();
    // A direct player whose sink takes 200 frames, then fills; 300 more come before its task
    // takes over, and the ring is trimmed meanwhile (every other reader, none, has all).
    let sink = FakeSink::new(player.last_seq(), 200);
    assert!(player.go_direct(sink.clone()));
    for n in 1..=500 {
        publisher.push(frame(n, false));
    }
    assert_eq!(player.stream().direct_players(), 0);
    player.resume_after(sink.last());
    let rest: Vec<_> = std::iter::from_fn(|| player.try_recv()).collect();
    assert_eq!(numbers(&rest), (201..=500).collect::<Vec<_>>());
    assert_eq!(player.skipped(), 0);
}
