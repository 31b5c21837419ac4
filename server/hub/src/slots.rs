//! Cache slots: where each delivery format keeps its encoding of a hub entry (an FLV tag body
//! and its RTMP chunks, a TS packetisation...), made by the first player that needs it and
//! shared by all the others, and what it keeps per stream (the stream's TS muxer). The hub
//! holds the slots and never names what is in them: a delivery adapter owns its [`Slot`], a
//! `static` of its own module.

use std::any::Any;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many slots an entry or a stream has. Taken today: FLV tag body and FLV tag (server
/// `flv`), TS muxer and TS packets (server `http::ts`), ADTS frames (server `http::aac`),
/// transcoded entries and transcoders (`weir-transcode`), WebRTC payloads and keyframe
/// requests (server `rtc`): 9, with room for more (the server's `slots` test counts them).
pub const SLOTS: usize = 12;

/// The slots of one entry.
#[derive(Default)]
pub struct Slots([OnceLock<Box<dyn Any + Send + Sync>>; SLOTS]);

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let filled = self.0.iter().filter(|s| s.get().is_some()).count();
        write!(f, "Slots({filled} filled)")
    }
}

/// What holds slots: every entry, and every stream.
pub trait HasSlots {
    /// The slots.
    fn slots(&self) -> &Slots;
}

impl<T> HasSlots for crate::Entry<T> {
    fn slots(&self) -> &Slots {
        crate::Entry::slots(self)
    }
}

impl HasSlots for crate::Stream {
    fn slots(&self) -> &Slots {
        crate::Stream::slots(self)
    }
}

/// A delivery format's slot, declared once as a `static` and used on every entry:
///
/// ```
/// use weir_hub::{Entry, Slot};
/// use weir_media::{MediaPacket, Timestamp};
/// static LENGTH: Slot<usize> = Slot::new();
/// # let entry = Entry::new(Timestamp(0), 7usize);
/// assert_eq!(*LENGTH.get_or_init(&entry, || entry.value * 2), 14);
/// assert_eq!(*LENGTH.get_or_init(&entry, || unreachable!()), 14);
/// ```
pub struct Slot<T> {
    index: OnceLock<usize>,
    _value: std::marker::PhantomData<fn() -> T>,
}

/// Slots handed out so far, across all formats.
static TAKEN: AtomicUsize = AtomicUsize::new(0);

impl<T: Send + Sync + 'static> Slot<T> {
    /// A slot; it takes its index among the [`SLOTS`] on first use.
    pub const fn new() -> Self {
        Slot {
            index: OnceLock::new(),
            _value: std::marker::PhantomData,
        }
    }

    fn index(&self) -> usize {
        *self.index.get_or_init(|| {
            let index = TAKEN.fetch_add(1, Ordering::Relaxed);
            assert!(
                index < SLOTS,
                "more than {SLOTS} delivery formats cache entries: raise hub::slots::SLOTS"
            );
            index
        })
    }

    /// The value this format cached in `holder` (an entry or a stream), made by `init` the
    /// first time.
    pub fn get_or_init<'h>(&self, holder: &'h impl HasSlots, init: impl FnOnce() -> T) -> &'h T {
        holder.slots().0[self.index()]
            .get_or_init(|| Box::new(init()))
            .downcast_ref()
            .expect("a slot holds one type: its format's")
    }
}

impl<T: Send + Sync + 'static> Default for Slot<T> {
    fn default() -> Self {
        Self::new()
    }
}
