//! The receiving pipeline of one RTP stream (one SSRC, one payload format): packets in arrival
//! order are put back in sequence order within a bounded window, losses are found, and each
//! frame's packets reach the payload format whole or not at all (RFC 3550 §5.1: sequence
//! numbers "detect packet loss and restore packet sequence").
//!
//! ```text
//! let mut d = Depacketizer::new(&format, Limits::default())?;
//! d.push(now, datagram_index, packet);         // any order, duplicates, losses
//! while let Some(out) = d.poll_output() {
//!     // Output::Event(Event::Unit(Unit::Media(MediaPacket::{Config, Frame})))
//!     // Output::Event(Event::{Lost, Dropped}) or Output::Violation(v)
//! }
//! if let Some(at) = d.poll_timeout() { /* at `at`: d.handle_timeout(at) */ }
//! d.finish();                                  // the stream ended: give up on what is missing
//! ```

use crate::RtpPacket;
use crate::format::Format;
use crate::payload::{self, Clock, Depacketize, Grouping, Received, Unit, Units};
use crate::rules::{FRAME_LIMIT, MARKER};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};
use weir_media::{Error, Output, Timestamp, Unwrapper, Violation};

/// How long and how much a depacketizer waits and holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Packets held after a missing one before it is given up as lost.
    pub reorder_packets: usize,
    /// How long a missing packet is waited for.
    pub reorder_wait: Duration,
    /// Packets in one frame.
    pub frame_packets: usize,
    /// Payload bytes in one frame.
    pub frame_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            reorder_packets: 256,
            reorder_wait: Duration::from_millis(200),
            frame_packets: 8192,
            frame_bytes: 16 << 20,
        }
    }
}

/// What a depacketizer reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A decoder configuration, a frame, or multiplex bytes.
    Unit(Unit),
    /// Packets that never came: `count` from sequence number `first` on.
    Lost {
        /// The first missing sequence number.
        first: u16,
        /// How many are missing.
        count: u64,
    },
    /// A frame that could not be made whole, dropped.
    Dropped {
        /// Its time on the stream's timeline.
        time: Timestamp,
        /// The packets of it that arrived.
        packets: usize,
        /// Why.
        reason: String,
    },
}

/// Packets that settle a stream's start before its wait is over: the lowest of them is first.
const START_PACKETS: usize = 16;

#[derive(Debug)]
struct Held {
    at: Instant,
    received: Received,
}

/// One stream's depacketizer; see the [module docs](self).
#[derive(Debug)]
pub struct Depacketizer {
    format: Box<dyn Depacketize>,
    grouping: Grouping,
    clock: Clock,
    limits: Limits,
    sequence: Unwrapper,
    timestamp: Unwrapper,
    /// The unwrapped timestamp of the stream's first packet: the timeline's origin.
    first_ticks: Option<i64>,
    /// The next sequence number to release (none until the stream's start is settled).
    next: Option<i64>,
    /// When the stream's first packet arrived.
    first_arrival: Option<Instant>,
    held: BTreeMap<i64, Held>,
    /// The packets of the frame being gathered.
    group: Vec<Received>,
    group_bytes: usize,
    /// Why the frame being gathered cannot be whole.
    damaged: Option<String>,
    /// Packets were lost just before the next one released.
    after_loss: bool,
    /// The last group was closed by its marker; the timestamp it had.
    closed_by_marker: Option<i64>,
    late: u64,
    units: Units,
    out: VecDeque<Output<Event>>,
}

impl Depacketizer {
    /// A depacketizer for `format`.
    pub fn new(format: &Format, limits: Limits) -> Result<Self, Error> {
        let depacketize = payload::depacketizer(format)?;
        Ok(Depacketizer {
            grouping: depacketize.grouping(),
            format: depacketize,
            clock: Clock {
                rate: format.clock_rate,
            },
            limits,
            sequence: Unwrapper::new(16),
            timestamp: Unwrapper::new(32),
            first_ticks: None,
            next: None,
            first_arrival: None,
            held: BTreeMap::new(),
            group: Vec::new(),
            group_bytes: 0,
            damaged: None,
            // The first packet seen may not be its frame's first (a capture or a join starts
            // mid-frame).
            after_loss: true,
            closed_by_marker: None,
            late: 0,
            units: Units::default(),
            out: VecDeque::new(),
        })
    }

    /// Packets that came after their place had been given up, or twice.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// A packet of the stream, as it arrived; `index` is its datagram's index in the flow.
    pub fn push(&mut self, now: Instant, index: u64, packet: RtpPacket) {
        let sequence = self.sequence.unwrap(u64::from(packet.sequence));
        let ticks = self.timestamp.unwrap(u64::from(packet.timestamp));
        self.first_arrival.get_or_insert(now);
        if self.next.is_some_and(|next| sequence < next) || self.held.contains_key(&sequence) {
            self.late += 1;
            return;
        }
        let mut received = Received {
            index,
            sequence,
            ticks,
            packet,
        };
        if self.held.is_empty() && self.next == Some(sequence) {
            // The steady state: the packet expected, nothing waiting. What `release` would do
            // with it alone, without a trip through `held`.
            self.next = Some(sequence + 1);
            received.ticks -= self.first_ticks.unwrap_or(0);
            self.accept(received);
            return;
        }
        self.held.insert(sequence, Held { at: now, received });
        self.release(Some(now));
    }

    /// The next output; drain after every push, timeout and finish.
    pub fn poll_output(&mut self) -> Option<Output<Event>> {
        self.out.pop_front()
    }

    /// When a missing packet is given up (or the stream's start settled), if one is awaited.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let (_, held) = self.held.first_key_value()?;
        let since = match self.next {
            Some(_) => held.at,
            None => self.first_arrival.unwrap_or(held.at),
        };
        Some(since + self.limits.reorder_wait)
    }

    /// Time has come: missing packets waited for long enough are given up.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.release(Some(now));
    }

    /// The stream ended: what is missing is lost, and a frame without its last packet dropped.
    pub fn finish(&mut self) {
        self.release(None);
        if self.grouping == Grouping::Frame && !self.group.is_empty() {
            self.damaged
                .get_or_insert_with(|| "the stream ended before the frame's last packet".into());
            self.close_group();
        }
    }

    /// Releases held packets in sequence order; gives up on missing ones when the window is
    /// full or their wait is over at `now`; on all of them without a `now` (the end).
    fn release(&mut self, now: Option<Instant>) {
        while let Some((&sequence, held)) = self.held.first_key_value() {
            let next = match self.next {
                Some(next) => next,
                // The start: packets sent before the first one to arrive may still come.
                None => {
                    let first = self.first_arrival.unwrap_or(held.at);
                    let waiting = now.is_some_and(|now| now < first + self.limits.reorder_wait);
                    if waiting && self.held.len() < START_PACKETS {
                        return;
                    }
                    self.first_ticks = Some(held.received.ticks);
                    sequence
                }
            };
            if sequence != next {
                let waiting = now.is_some_and(|now| now < held.at + self.limits.reorder_wait);
                if waiting && self.held.len() <= self.limits.reorder_packets {
                    return;
                }
                self.out.push_back(Output::Event(Event::Lost {
                    first: next as u16,
                    count: (sequence - next) as u64,
                }));
                self.lost();
            }
            let Some((_, mut held)) = self.held.pop_first() else {
                return;
            };
            self.next = Some(sequence + 1);
            held.received.ticks -= self.first_ticks.unwrap_or(0);
            self.accept(held.received);
        }
    }

    fn lost(&mut self) {
        self.format.lost();
        self.after_loss = true;
        self.closed_by_marker = None;
        if !self.group.is_empty() {
            self.damaged
                .get_or_insert_with(|| "packets of the frame were lost".into());
        }
    }

    fn accept(&mut self, r: Received) {
        if self.grouping == Grouping::Packet {
            self.after_loss = false;
            self.group.push(r);
            self.close_group();
            return;
        }
        if let Some(ticks) = self.closed_by_marker.take()
            && ticks == r.ticks
        {
            self.out.push_back(Output::Violation(Violation::new(
                &MARKER,
                r.index,
                "the marker bit was set before the frame's last packet",
            )));
        }
        if let Some(last) = self.group.last()
            && last.ticks != r.ticks
        {
            if self.damaged.is_none() && !self.after_loss {
                self.out.push_back(Output::Violation(Violation::new(
                    &MARKER,
                    last.index,
                    format!(
                        "the frame of sequence numbers {}-{} ends without the marker bit",
                        self.group[0].packet.sequence, last.packet.sequence
                    ),
                )));
            }
            self.close_group();
        }
        if std::mem::take(&mut self.after_loss)
            && self.group.is_empty()
            && !self.format.starts_frame(&r.packet)
        {
            // The frame this packet belongs to may have lost its first packets.
            self.damaged = Some("the frame's first packets may have been lost".into());
        }
        self.group_bytes += r.packet.payload.len();
        let marker = r.packet.marker;
        let ticks = r.ticks;
        if self.group.len() >= self.limits.frame_packets
            || self.group_bytes > self.limits.frame_bytes
        {
            if self.damaged.is_none() {
                self.out.push_back(Output::Violation(Violation::new(
                    &FRAME_LIMIT,
                    r.index,
                    format!(
                        "a frame of more than {} packets or {} bytes",
                        self.limits.frame_packets, self.limits.frame_bytes
                    ),
                )));
                self.damaged = Some("the frame is over the receiver's limits".into());
            }
            // Keep the first packet only, for the frame's time and the drop's report.
            self.group.truncate(1);
        } else {
            self.group.push(r);
        }
        if marker {
            self.close_group();
            self.closed_by_marker = Some(ticks);
        }
    }

    fn close_group(&mut self) {
        let Some(first) = self.group.first() else {
            return;
        };
        let time = self.clock.time(first.ticks);
        let result = match self.damaged.take() {
            Some(reason) => Err(payload::Damaged(reason)),
            None => self.format.depacketize(&self.group, &mut self.units),
        };
        for v in self.units.violations.drain(..) {
            self.out.push_back(Output::Violation(v));
        }
        match result {
            Ok(()) => {
                for unit in self.units.units.drain(..) {
                    self.out.push_back(Output::Event(Event::Unit(unit)));
                }
            }
            Err(payload::Damaged(reason)) => {
                self.units.units.clear();
                self.out.push_back(Output::Event(Event::Dropped {
                    time,
                    packets: self.group.len(),
                    reason,
                }));
            }
        }
        self.group.clear();
        self.group_bytes = 0;
    }
}
