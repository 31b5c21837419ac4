//! Transcoding once per stream, shared by every player: the hub's cache slots keep, per
//! stream, one [`AudioTranscoder`] per direction (behind a mutex) and, per entry, the entries
//! it became. The first player of any delivery that wants the other codec feeds the entry to
//! the stream's transcoder; every later player (of that delivery or another wanting the same
//! codec) gets the cached entries, on which the delivery's own slots (FLV bodies, TS packets)
//! cache in turn.

use crate::{AudioTranscoder, Want};
use std::sync::{Arc, Mutex, OnceLock};
use tracing::debug;
use weir_hub::{Entry, Slot, Stream};
use weir_media::{MediaKind, MediaPacket, Timestamp};

/// An entry older than the last one fed by at most this much, and not transcoded yet, came
/// out of order (a late joiner's snapshot after players skipped it): it yields nothing. One
/// older still is a new timeline (a publisher that started its clock again) and is fed.
const OUT_OF_ORDER_WINDOW: Timestamp = Timestamp::from_millis(10_000);

/// What one entry became, per target codec.
#[derive(Default)]
struct Became {
    aac: OnceLock<Vec<Arc<Entry<MediaPacket>>>>,
    opus: OnceLock<Vec<Arc<Entry<MediaPacket>>>>,
}

/// The stream's transcoders, per target codec.
#[derive(Default)]
struct Transcoders {
    aac: Mutex<Fed>,
    opus: Mutex<Fed>,
}

/// A transcoder and the time of the last frame it was fed.
#[derive(Default)]
struct Fed {
    transcoder: Option<AudioTranscoder>,
    last: Option<Timestamp>,
}

static BECAME: Slot<Became> = Slot::new();
static TRANSCODERS: Slot<Transcoders> = Slot::new();

/// Whether `entry` must be transcoded for a delivery that carries `want`: an Opus audio entry
/// for an AAC world, an AAC one for an Opus world; false for everything else (video, data,
/// other codecs). A match on two fields: the media path of streams that need no transcoding
/// pays nothing else.
pub fn needs(entry: &Entry<MediaPacket>, want: Want) -> bool {
    entry.value.track().kind == MediaKind::Audio && entry.value.codec() == want.source()
}

/// The entries `entry` becomes in `want`, made once per stream and cached in the entry's slot,
/// so that every player of every delivery that wants the same codec shares them (an empty
/// slice for an entry that needs no transcoding, see [`needs`]). Each is an
/// `Arc<Entry<MediaPacket>>` on which the delivery's own slots cache.
///
/// An entry older than what the stream's transcoder was last fed, and not cached, yields
/// nothing rather than corrupt the encoder's state.
pub fn audio_as<'e>(
    stream: &Stream,
    entry: &'e Entry<MediaPacket>,
    want: Want,
) -> &'e [Arc<Entry<MediaPacket>>] {
    if !needs(entry, want) {
        return &[];
    }
    let became = BECAME.get_or_init(entry, Became::default);
    let cell = match want {
        Want::Aac => &became.aac,
        Want::Opus => &became.opus,
    };
    cell.get_or_init(|| {
        let transcoders = TRANSCODERS.get_or_init(stream, Transcoders::default);
        let fed = match want {
            Want::Aac => &transcoders.aac,
            Want::Opus => &transcoders.opus,
        };
        let mut fed = fed.lock().unwrap_or_else(|poisoned| {
            // A panic while transcoding left the state unknown: start afresh.
            let mut fed = poisoned.into_inner();
            *fed = Fed::default();
            fed
        });
        feed(&mut fed, entry, want)
    })
}

fn feed(fed: &mut Fed, entry: &Entry<MediaPacket>, want: Want) -> Vec<Arc<Entry<MediaPacket>>> {
    if entry.is_frame() {
        if let Some(last) = fed.last
            && entry.time < last
            && last.0 - entry.time.0 <= OUT_OF_ORDER_WINDOW.0
        {
            debug!(time = %entry.time, last = %last, "audio entry out of order: not transcoded");
            return Vec::new();
        }
        fed.last = Some(entry.time);
    }
    let transcoder = fed
        .transcoder
        .get_or_insert_with(|| AudioTranscoder::new(want));
    let mut out = Vec::new();
    if let Err(e) = transcoder.push(&entry.value, &mut out) {
        debug!(error = %e, dropped = transcoder.dropped(), "audio entry not transcoded");
    }
    out.into_iter()
        .map(|packet| {
            let time = packet.dts().unwrap_or(entry.time);
            Arc::new(Entry::new(time, packet))
        })
        .collect()
}

/// Calls `write` with each entry a delivery carrying `want` writes for `entry`: the entries it
/// becomes when it [`needs`] transcoding, else `entry` itself (no allocation, no lock).
pub fn each_as(
    stream: &Stream,
    entry: &Arc<Entry<MediaPacket>>,
    want: Want,
    mut write: impl FnMut(&Arc<Entry<MediaPacket>>),
) {
    if needs(entry, want) {
        audio_as(stream, entry, want).iter().for_each(write);
    } else {
        write(entry);
    }
}
