//! Reassembling handshake messages from fragments (RFC 6347 §4.2.3), bounded: at most
//! `max_message` bytes per message and `max_pending` messages in progress, so a peer that
//! announces huge messages or never finishes them costs no more than that.
//!
//! Fragments may come in any order, overlap, and repeat (retransmissions); a message is given
//! out once, when every byte of it has arrived. A message number already given out is not
//! given again.

use crate::handshake::{Fragment, type_name};
use crate::rules;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};
use weir_media::Violation;

/// A whole handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its type.
    pub msg_type: u8,
    /// Its number.
    pub message_seq: u16,
    /// Its body.
    pub body: Bytes,
}

/// What [`Reassembler::push`] did with a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// The message is whole.
    Complete(Message),
    /// More fragments are needed (or it repeats a message already given out).
    Pending,
    /// Over the limits: not reassembled (and not checked).
    OverLimit,
}

#[derive(Debug)]
struct Partial {
    msg_type: u8,
    data: Vec<u8>,
    /// Received byte ranges, merged, sorted.
    have: Vec<(usize, usize)>,
}

/// One sender's reassembly state.
#[derive(Debug)]
pub struct Reassembler {
    max_message: usize,
    max_pending: usize,
    pending: BTreeMap<u16, Partial>,
    done: BTreeSet<u16>,
}

impl Reassembler {
    /// A reassembler for messages of at most `max_message` bytes, `max_pending` at a time.
    pub fn new(max_message: usize, max_pending: usize) -> Self {
        Reassembler {
            max_message,
            max_pending: max_pending.max(1),
            pending: BTreeMap::new(),
            done: BTreeSet::new(),
        }
    }

    /// Whether message `seq` was given out already.
    pub fn is_done(&self, seq: u16) -> bool {
        self.done.contains(&seq)
    }

    /// Takes one fragment (already checked to lie within its message length); a fragment
    /// that disagrees with earlier ones of its message is reported at `offset` and dropped.
    pub fn push(
        &mut self,
        fragment: &Fragment,
        offset: u64,
        violations: &mut Vec<Violation>,
    ) -> Pushed {
        let seq = fragment.message_seq;
        if self.done.contains(&seq) {
            return Pushed::Pending;
        }
        let length = fragment.length as usize;
        if length > self.max_message {
            return Pushed::OverLimit;
        }
        if !self.pending.contains_key(&seq) {
            if self.pending.len() >= self.max_pending {
                return Pushed::OverLimit;
            }
            self.pending.insert(
                seq,
                Partial {
                    msg_type: fragment.msg_type,
                    data: vec![0; length],
                    have: Vec::new(),
                },
            );
        }
        let Some(partial) = self.pending.get_mut(&seq) else {
            return Pushed::Pending;
        };
        if partial.msg_type != fragment.msg_type || partial.data.len() != length {
            violations.push(Violation::new(
                &rules::HANDSHAKE_FRAGMENTS_AGREE,
                offset,
                format!(
                    "message {seq}: a fragment of a {}-byte {} after ones of a {}-byte {}",
                    length,
                    type_name(fragment.msg_type),
                    partial.data.len(),
                    type_name(partial.msg_type)
                ),
            ));
            return Pushed::Pending;
        }
        let start = fragment.offset as usize;
        let end = start + fragment.body.len();
        // Bytes already held must be the same bytes.
        let differs = partial.have.iter().any(|&(a, b)| {
            let (lo, hi) = (a.max(start), b.min(end));
            lo < hi && partial.data[lo..hi] != fragment.body[lo - start..hi - start]
        });
        if differs {
            violations.push(Violation::new(
                &rules::HANDSHAKE_FRAGMENTS_AGREE,
                offset,
                format!("message {seq}: overlapping fragments carry different bytes"),
            ));
            return Pushed::Pending;
        }
        partial.data[start..end].copy_from_slice(&fragment.body);
        add_range(&mut partial.have, start, end);
        let whole = length == 0 || partial.have == [(0, length)];
        if !whole {
            return Pushed::Pending;
        }
        let Some(partial) = self.pending.remove(&seq) else {
            return Pushed::Pending;
        };
        self.done.insert(seq);
        Pushed::Complete(Message {
            msg_type: partial.msg_type,
            message_seq: seq,
            body: partial.data.into(),
        })
    }
}

/// Adds `[start, end)` to sorted, merged `ranges`.
fn add_range(ranges: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    if start == end {
        return;
    }
    ranges.push((start, end));
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for &(a, b) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    *ranges = merged;
}
