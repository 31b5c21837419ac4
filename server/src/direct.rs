//! A caught-up player's socket as its stream's [`Sink`] (see `weir_hub`'s fan-out): the stream
//! writes each item (or merged batch) to it from the publisher's task with one non-blocking
//! `writev`; the player's own task sleeps until the socket would block, the player has
//! something else to say, or an item needs it (metadata, a publisher's coming and going).
//! Then the task takes over: it writes what the sink could not, and catches up from the ring.
//!
//! Only one writer touches the socket at a time: the sink until it is detached, the task after.
//! A delivery format supplies the framing ([`Framing`]): RTMP's shared chunked messages,
//! FLV tags.

use crate::Context;
use crate::clients::Client;
use bytes::{Buf, Bytes};
use std::cell::RefCell;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Notify;
use weir_hub::{Item, Sink, Stream};

/// How a format frames the items a sink writes.
pub trait Framing: Send + Sync + 'static {
    /// Appends `item`'s bytes to `out`; `false` when the item needs the player's task instead.
    fn frame(&self, item: &Item, out: &mut Vec<Bytes>) -> bool;
}

/// Where the sink's bytes are counted.
pub struct Counters {
    pub ctx: Arc<Context>,
    pub client: Arc<Client>,
    pub stream: Arc<Stream>,
    /// The subscriber's progress clock (the stall watchdog reads it).
    pub progress: Arc<AtomicU64>,
}

/// What the task takes back when the sink detaches.
pub struct Handover {
    /// Bytes of items the sink took but could not write: they go first.
    pub pending: Vec<Bytes>,
    /// The last item the sink took: the ring resumes after it.
    pub last_seq: u64,
    /// Bytes the sink wrote since the task last took over.
    pub written: u64,
}

struct State {
    detached: bool,
    last_seq: u64,
    pending: Vec<Bytes>,
    written: u64,
}

/// See the [module docs](self).
pub struct DirectSink<F: Framing> {
    writer: Arc<OwnedWriteHalf>,
    framing: F,
    counters: Counters,
    state: Mutex<State>,
    parked: Notify,
}

/// The most pieces one `writev` takes.
const MAX_PIECES: usize = 64;

thread_local! {
    /// The pieces of one write: one allocation per thread, not per player per item.
    static PIECES: RefCell<Vec<Bytes>> = const { RefCell::new(Vec::new()) };
}

impl<F: Framing> DirectSink<F> {
    /// A sink whose first item comes after `last_seq` (the subscriber's).
    pub fn new(writer: Arc<OwnedWriteHalf>, framing: F, counters: Counters, last_seq: u64) -> Self {
        DirectSink {
            writer,
            framing,
            counters,
            state: Mutex::new(State {
                detached: false,
                last_seq,
                pending: Vec::new(),
                written: 0,
            }),
            parked: Notify::new(),
        }
    }

    /// Ready once the sink has handed the player back to its task.
    pub async fn parked(&self) {
        self.parked.notified().await
    }

    /// Detaches the sink (no write of the stream touches the socket after this returns) and
    /// hands back what the task needs to go on.
    pub fn take_over(&self) -> Handover {
        let mut state = self.state.lock().unwrap();
        state.detached = true;
        Handover {
            pending: std::mem::take(&mut state.pending),
            last_seq: state.last_seq,
            written: std::mem::take(&mut state.written),
        }
    }

    fn count(&self, n: u64, now_ms: u64) {
        let c = &self.counters;
        c.client.add_sent(n);
        c.stream.add_sent(n);
        c.ctx.metrics.add_sent(n);
        c.progress.store(now_ms, Relaxed);
    }
}

impl<F: Framing> Sink for DirectSink<F> {
    fn write(&self, items: &[(u64, Item)], now_ms: u64) -> bool {
        let mut state = self.state.lock().unwrap();
        if state.detached {
            return false;
        }
        PIECES.with_borrow_mut(|pieces| {
            pieces.clear();
            let mut needs_task = false;
            for (seq, item) in items {
                if *seq <= state.last_seq {
                    continue;
                }
                if !self.framing.frame(item, pieces) {
                    needs_task = true;
                    break;
                }
                state.last_seq = *seq;
            }
            let written = write_now(&self.writer, pieces).unwrap_or(0);
            if written > 0 {
                state.written += written;
                self.count(written, now_ms);
            }
            if !needs_task && pieces.iter().all(Bytes::is_empty) {
                pieces.clear();
                return true;
            }
            // The socket is full or failed, or an item needs the task: it takes over here.
            state.pending = pieces.drain(..).filter(|p| !p.is_empty()).collect();
            state.detached = true;
            self.parked.notify_one();
            false
        })
    }
}

/// Writes as much of `pieces` as the socket takes now, without waiting; advances them past
/// what was written and returns its length. An error is returned only when nothing was
/// written (a partial write first reports what it wrote; the error comes on the next call).
pub fn write_now(writer: &OwnedWriteHalf, pieces: &mut [Bytes]) -> io::Result<u64> {
    let mut written = 0;
    let mut first = 0;
    loop {
        while pieces.get(first).is_some_and(Bytes::is_empty) {
            first += 1;
        }
        if first == pieces.len() {
            return Ok(written);
        }
        let n = {
            let mut slices = [io::IoSlice::new(&[]); MAX_PIECES];
            let count = pieces[first..].len().min(MAX_PIECES);
            for (slot, piece) in slices.iter_mut().zip(&pieces[first..]) {
                *slot = io::IoSlice::new(piece);
            }
            match writer.try_write_vectored(&slices[..count]) {
                Ok(0) if written == 0 => return Err(io::ErrorKind::WriteZero.into()),
                Err(e) if written == 0 && e.kind() != io::ErrorKind::WouldBlock => return Err(e),
                Ok(0) | Err(_) => return Ok(written),
                Ok(n) => n,
            }
        };
        written += n as u64;
        let mut left = n;
        for piece in &mut pieces[first..] {
            let step = left.min(piece.len());
            piece.advance(step);
            left -= step;
            if left == 0 {
                break;
            }
        }
    }
}

/// Writes every piece, in order, waiting for the socket as needed, with as few system calls as
/// it allows; empties `pieces` and returns the bytes written.
pub async fn write_all(writer: &OwnedWriteHalf, pieces: &mut Vec<Bytes>) -> io::Result<u64> {
    let mut total = 0;
    loop {
        total += write_now(writer, pieces)?;
        if pieces.iter().all(Bytes::is_empty) {
            pieces.clear();
            if pieces.capacity() > 64 {
                *pieces = Vec::new(); // a burst's capacity is not kept by an idle player
            }
            return Ok(total);
        }
        writer.writable().await?;
    }
}
