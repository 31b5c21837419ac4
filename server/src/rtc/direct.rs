//! A caught-up WebRTC player as its stream's [`Sink`] (see `weir_hub`'s fan-out, and
//! `crate::direct` for RTMP's): the stream's task hands each frame to every such player's
//! `Rtc` in one pass — the player's writes (shared RTP packets under its own headers, see
//! `egress`), str0m's output drained into the thread's outbox, sent for all the players at
//! the end of the pass (`outbox`: one `sendmmsg`, a GSO run per player) — so that no
//! player's task is woken per frame. nginx-rtmp and SRS serve their players from one loop in
//! the same way.
//!
//! The player's task keeps all the rest: the peer's datagrams (RTCP: NACKs answered by RTX,
//! PLIs, receiver reports), str0m's timers, the idle watchdog, `DELETE` and kicks. Both take
//! turns on the `Rtc` under one mutex ([`Shared`]). The writes hand the player back to its task
//! (which then reads the ring after the last item they took) when an item is not media (a
//! publisher's coming and going: a new publisher's video waits for a keyframe), when str0m
//! fails, or when the session is over; and they wake the task when a write brought str0m's
//! next timeout before the task's timer.

use super::egress::Write;
use super::peer::{Core, Shared};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use weir_hub::{Item, Sink};

/// The direct writes' side of a session (in its `Core`).
#[derive(Default)]
pub(super) struct State {
    /// Whether the stream's writes may drive the session (else they hand it back).
    pub on: bool,
    /// The last item taken, by the writes or (when they start) by the task.
    pub last_seq: u64,
    /// Why the writes handed the session back, when str0m failed: the task ends it.
    pub error: Option<String>,
    /// The subscriber's progress clock, which the stall watchdog reads.
    progress: Option<Arc<AtomicU64>>,
    /// The writes of one call, kept for their capacity.
    writes: Vec<Write>,
}

impl State {
    /// The writes may start after item `last_seq`.
    pub(super) fn start(&mut self, last_seq: u64, progress: Arc<AtomicU64>) {
        self.on = true;
        self.last_seq = last_seq;
        self.progress = Some(progress);
    }
}

impl Sink for Shared {
    fn write(&self, items: &[(u64, Item)], now_ms: u64) -> bool {
        let mut guard = self.core.lock().unwrap_or_else(|p| p.into_inner());
        let core = &mut *guard;
        if !core.direct.on {
            return false;
        }
        if let Some(progress) = &core.direct.progress {
            progress.store(now_ms, Relaxed);
        }
        // This runs on the stream's (its publisher's) task: a panic in one player's `Rtc` ends
        // that player's session, never the stream.
        let turn = core.gathering(|core| {
            std::panic::catch_unwind(AssertUnwindSafe(|| turn(core, items)))
                .unwrap_or_else(|_| Err("panicked in a direct write".into()))
        });
        let goes_on = match turn {
            Ok(goes_on) => goes_on && core.rtc.is_alive(),
            Err(error) => {
                core.direct.error = Some(error);
                false
            }
        };
        core.direct.on = goes_on;
        let wake = !goes_on || core.timeout < core.armed;
        drop(guard);
        if wake {
            self.wake.notify_one();
        }
        goes_on
    }

    /// The pass over the stream's players is over: what they were written goes out, all
    /// players' at once (see `outbox`).
    fn flush(&self) {
        super::outbox::flush();
    }
}

/// Hands `items` (those after the last taken) to the session and sends what they make;
/// `Ok(false)` at an item that needs the task, `Err` when str0m failed.
fn turn(core: &mut Core, items: &[(u64, Item)]) -> Result<bool, String> {
    let mut writes = std::mem::take(&mut core.direct.writes);
    let mut goes_on = true;
    for (seq, item) in items {
        if *seq <= core.direct.last_seq {
            continue;
        }
        if !matches!(item, Item::Media(_)) || !core.item(item.clone(), &mut writes) {
            goes_on = false;
            break;
        }
        core.direct.last_seq = *seq;
    }
    let sent = core.send(&mut writes);
    core.direct.writes = writes;
    sent.map_err(|e| format!("failed to send: {e}"))?;
    Ok(goes_on)
}
