//! A caught-up player's socket as its stream's [`Sink`] (see `weir_hub`'s fan-out): the stream
//! writes each item (or merged batch) to it from the publisher's task with one non-blocking
//! `writev`; the player's own task sleeps until the socket would block, the player has
//! something else to say, or an item needs it (metadata, a publisher's coming and going).
//! Then the task takes over: it writes what the sink could not, and catches up from the ring.
//!
//! Only one writer touches the socket at a time: the sink until it is detached, the task after.
//! A delivery format supplies the framing ([`Framing`]): RTMP's shared chunked messages,
//! FLV tags.
//!
//! The write path touches as little memory per player as it can, since a server of thousands
//! of players spends its time in cache misses as much as in system calls (`perf annotate`, in
//! `benches/RESULTS.md`): the sink writes to the socket's descriptor itself, not through the
//! runtime's readiness state, and folds its byte counts into the shared counters now and then
//! rather than at every write.

use crate::Context;
use crate::clients::Client;
use bytes::{Buf, Bytes};
use std::cell::RefCell;
use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
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
    /// Bytes written but not yet added to the shared counters, and when they last were.
    uncounted: u64,
    counted_ms: u64,
}

/// See the [module docs](self). What each write touches comes first (`repr(C)` keeps it in
/// the first cache lines, which [`Sink::prefetch`] brings in).
#[repr(C)]
pub struct DirectSink<F: Framing> {
    /// The socket's descriptor, owned by `writer`, which the sink holds as long as it lives.
    fd: RawFd,
    state: Mutex<State>,
    framing: F,
    /// Keeps the socket (and so `fd`) open while the sink lives.
    _writer: Arc<OwnedWriteHalf>,
    counters: Counters,
    parked: Notify,
}

/// The shared counters hear of a sink's bytes at least this often (the API's rates sample
/// once a second; the stall watchdog waits seconds) ...
const COUNT_EVERY_MS: u64 = 250;
/// ... or once this many bytes wait.
const COUNT_EVERY_BYTES: u64 = 256 << 10;

/// The most pieces one `writev` takes.
const MAX_PIECES: usize = 16;

thread_local! {
    /// The pieces of one write: one allocation per thread, not per player per item.
    static PIECES: RefCell<Vec<Bytes>> = const { RefCell::new(Vec::new()) };
}

impl<F: Framing> DirectSink<F> {
    /// A sink whose first item comes after `last_seq` (the subscriber's).
    pub fn new(writer: Arc<OwnedWriteHalf>, framing: F, counters: Counters, last_seq: u64) -> Self {
        let stream: &tokio::net::TcpStream = (*writer).as_ref();
        let fd = stream.as_raw_fd();
        DirectSink {
            fd,
            state: Mutex::new(State {
                detached: false,
                last_seq,
                pending: Vec::new(),
                written: 0,
                uncounted: 0,
                counted_ms: 0,
            }),
            framing,
            _writer: writer,
            counters,
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
        self.count(&mut state, u64::MAX);
        Handover {
            pending: std::mem::take(&mut state.pending),
            last_seq: state.last_seq,
            written: std::mem::take(&mut state.written),
        }
    }

    /// Adds what was written to the shared counters, when enough has waited (always for
    /// `now_ms` of `u64::MAX`).
    fn count(&self, state: &mut State, now_ms: u64) {
        let due = now_ms >= state.counted_ms.saturating_add(COUNT_EVERY_MS);
        if state.uncounted == 0 || !(due || state.uncounted >= COUNT_EVERY_BYTES) {
            return;
        }
        let n = std::mem::take(&mut state.uncounted);
        let c = &self.counters;
        c.client.add_sent(n);
        c.stream.add_sent(n);
        c.ctx.metrics.add_sent(n);
        if now_ms != u64::MAX {
            state.counted_ms = now_ms;
            c.progress.store(now_ms, Relaxed);
        }
    }

    /// `write` (one slice, the common case: a frame as it arrives) or `writev` on the
    /// socket's descriptor.
    fn writev(&self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        // SAFETY: `self._writer` owns the descriptor and lives as long as `self`, so the
        // descriptor stays open (and is this socket's) for the borrow.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        match slices {
            [one] => rustix::io::write(fd, one),
            _ => rustix::io::writev(fd, slices),
        }
        .map_err(io::Error::from)
    }
}

impl<F: Framing> Sink for DirectSink<F> {
    fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let at = (self as *const Self).cast::<i8>();
            // SAFETY: a prefetch reads nothing a program can see and never faults, whatever
            // the address; this one is the sink's own first two cache lines.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(at);
                _mm_prefetch::<_MM_HINT_T0>(at.wrapping_add(64));
            }
        }
    }

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
            let written = write_now(|s| self.writev(s), pieces).unwrap_or(0);
            state.written += written;
            state.uncounted += written;
            self.count(&mut state, now_ms);
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

/// Writes as much of `pieces` as `writev` takes now, without waiting; advances them past what
/// was written and returns its length. An error is returned only when nothing was written (a
/// partial write first reports what it wrote; the error comes on the next call).
pub fn write_now(
    mut writev: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
    pieces: &mut [Bytes],
) -> io::Result<u64> {
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
            let mut slices = [IoSlice::new(&[]); MAX_PIECES];
            let count = pieces[first..].len().min(MAX_PIECES);
            for (slot, piece) in slices.iter_mut().zip(&pieces[first..]) {
                *slot = IoSlice::new(piece);
            }
            match writev(&slices[..count]) {
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
        total += write_now(|s| writer.try_write_vectored(s), pieces)?;
        if pieces.iter().all(Bytes::is_empty) {
            *pieces = Vec::new(); // an idle player keeps no capacity
            return Ok(total);
        }
        writer.writable().await?;
    }
}
