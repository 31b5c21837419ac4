//! Observers (DESIGN.md, "Conformance harness"): one per flow, driving the same machines as the
//! server: client→server bytes into a server-role machine, server→client bytes into a
//! client-role machine. They say what they saw as [`Observation`]s, in input order.
//!
//! - [`rtmp`]: RTMP sessions (with [`amf`] values rendered short);
//! - [`mpegts`]: transport streams over TCP, UDP, RTP (RFC 2250) or
//!   from a file;
//! - [`mpegps`]: program streams (GB28181) over RTP over UDP or TCP (RFC 4571), or from a
//!   file;
//! - [`playlist`]: an HLS playlist file;
//! - [`mp4`]: an MP4 file (a recording, an init segment, a fragment), box by box;
//! - [`rtp`]: RTP and RTCP over UDP, or framed over TCP (RFC 4571), depacketized by the format
//!   an SDP or `--decode-as` gives;
//! - [`webrtc`]: STUN, DTLS and SRTP on one UDP port (RFC 7983), SRTP through [`rtp`];
//! - [`sdp`]: session descriptions — a file, an offer and its answer, an HTTP body;
//! - [`srt`]: SRT in live mode over UDP: handshake, keys, ACK/NAK accounting; its clear (or
//!   decrypted) payloads go through [`mpegts`];
//! - [`http`]: HTTP/1.x connections, whose response bodies (playlists, TS, FLV) go through the
//!   observers and machines above.

pub mod amf;
pub mod es;
pub mod flv;
pub mod http;
pub mod mp4;
pub mod mpegps;
pub mod mpegts;
pub mod playlist;
pub mod rtmp;
pub mod rtp;
pub mod sdp;
pub mod srt;
pub mod webrtc;

use std::time::Duration;

use bytes::Bytes;

use weir_media::{Frame, TrackConfig, Violation};

use crate::capture::Direction;
use crate::transcript::EntryKind;

/// What an observer saw, in the order it saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// A transcript entry of one direction.
    Entry(Direction, EntryKind),
    /// A decoder configuration (summarised per track).
    Config(Direction, TrackConfig),
    /// A media frame (summarised per track).
    Frame(Direction, Frame),
}

/// Reads both directions of one flow.
pub trait Observer {
    /// Stream bytes at `offset` of `dir`, contiguous with what came before.
    fn data(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Vec<Observation>);
    /// One UDP datagram of `dir`, captured `time` after the input's first packet (a view the
    /// observer may keep without a copy). Observers of stream protocols never get one.
    fn datagram(
        &mut self,
        dir: Direction,
        time: Duration,
        bytes: &Bytes,
        out: &mut Vec<Observation>,
    ) {
        let _ = (dir, time, bytes, out);
    }
    /// `len` bytes at `offset` are missing: the observer resynchronises or gives up on `dir`.
    fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>);
    /// The sender closed `dir` after `offset` bytes.
    fn finished(&mut self, dir: Direction, offset: u64, out: &mut Vec<Observation>);
    /// The flow ended (closed, or the input ended): what waits for more input is read now.
    fn closed(&mut self, out: &mut Vec<Observation>);
    /// Whether the observer read everything it was given in both directions.
    fn complete(&self) -> bool;
    /// Nothing will read the transcript: events need not be worded. Observers whose wording
    /// costs per message (RTMP's control messages, commands and data) skip their events;
    /// violations, frames and configurations still come out.
    fn unworded(&mut self) {}
    /// What it did not read, in words, when it is not [`complete`](Self::complete): the flow's
    /// coverage says it. Observers that know say which; the rest, that a direction stopped.
    fn unread(&self) -> Option<String> {
        (!self.complete()).then(|| "a direction could not be read to its end".to_owned())
    }
}

/// Events an observer lists, up to a bound, and how many more it only counted: a peer that
/// repeats itself keeps the transcript small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    max: u64,
    listed: u64,
    unlisted: u64,
}

impl Listing {
    /// Lists up to `max` events.
    pub const fn new(max: u64) -> Self {
        Listing {
            max,
            listed: 0,
            unlisted: 0,
        }
    }

    /// An event of `dir`: listed while there is room, else counted.
    pub fn note(&mut self, dir: Direction, text: String, out: &mut Vec<Observation>) {
        if self.listed < self.max {
            self.listed += 1;
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        } else {
            self.unlisted += 1;
        }
    }

    /// Events listed so far.
    pub fn listed(&self) -> u64 {
        self.listed
    }

    /// "N more WHAT events not listed", when some were not.
    pub fn close(&self, dir: Direction, what: &str, out: &mut Vec<Observation>) {
        if self.unlisted > 0 {
            let text = format!("{} more {what} events not listed", self.unlisted);
            out.push(Observation::Entry(dir, EntryKind::Event(text)));
        }
    }
}

/// A demuxer's decoder configuration: noted ("decoder configuration video0 h264") and
/// summarised per track.
pub fn config(
    notes: &mut Listing,
    dir: Direction,
    config: TrackConfig,
    out: &mut Vec<Observation>,
) {
    let text = format!(
        "decoder configuration {} {}",
        crate::media_summary::track_name(config.track),
        config.codec
    );
    notes.note(dir, text, out);
    out.push(Observation::Config(dir, config));
}

/// A rule the peer broke where observation goes on.
pub fn violation(dir: Direction, v: Violation) -> Observation {
    Observation::Entry(
        dir,
        EntryKind::Violation {
            rule: v.rule,
            offset: Some(v.offset),
            detail: v.detail,
            fatal: false,
        },
    )
}
