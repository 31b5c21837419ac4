//! Reading captures (DESIGN.md, "Conformance harness"; issue 4, "Reading captures").
//!
//! The layers, one file each, outermost first:
//!
//! - [`pcap`]: pcap and pcapng files, streamed from any `Read`, as [`Packet`]s;
//! - [`link`]: Ethernet (802.1Q/QinQ), Linux cooked SLL/SLL2, raw IP and BSD loopback framing;
//! - [`ip`]: IPv4 and IPv6 (with extension headers) and fragment reassembly;
//! - [`tcp`], [`udp`] and [`gtp`]: transport headers, per-direction TCP reassembly, and the
//!   GTP-U tunnel, which is opened so that traffic from mobile networks is seen;
//! - [`dissect`]: one captured frame through all of the above;
//! - [`flow`]: the flow table, which turns packets into [`FlowEvent`]s in capture order, and
//!   [`StreamPair`], which turns two raw byte streams into the same events;
//! - [`file`](mod@file): a file read whole (a `.ts` file, a playlist) as one pseudo-flow's events.
//!
//! Everything below the reader is a pure state machine fed packets with their capture time:
//! no clock, no IO. Nothing is dropped silently: a packet the harness does not open becomes a
//! [`FlowEvent::Unopened`] naming what it is and why.

pub mod dissect;
pub mod file;
pub mod flow;
pub mod gtp;
pub mod ip;
pub mod link;
pub mod pcap;
pub mod tcp;
pub mod udp;

use std::fmt;

pub use file::FileEvents;
pub use flow::{
    CaptureEvents, CloseReason, Direction, Event, FlowEvent, FlowId, FlowTable, StreamPair,
    Transport,
};
pub use link::LinkType;
pub use pcap::{CaptureError, CaptureReader, Packet};

/// Bounds on what the harness keeps in memory for a hostile or very large capture. When one is
/// reached the harness reports it (a gap, or an unopened packet) and moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Flows tracked at once; a packet that would open one more is reported unopened.
    pub max_flows: usize,
    /// Out-of-order TCP bytes held per direction while waiting for a hole to fill; past it the
    /// hole is reported as a gap.
    pub max_buffered_per_direction: usize,
    /// Bytes of IP fragments held while waiting for the rest of their datagram.
    pub max_fragment_bytes: usize,
    /// Datagrams being reassembled from fragments at once.
    pub max_fragmented_datagrams: usize,
    /// Capture time after which an incomplete fragmented datagram is given up (RFC 791 and
    /// RFC 8200 §4.5 suggest 15 s to 60 s).
    pub fragment_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: 65_536,
            max_buffered_per_direction: 4 << 20,
            max_fragment_bytes: 4 << 20,
            max_fragmented_datagrams: 1_024,
            fragment_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// Why a packet (or part of one) was not opened down to a TCP or UDP flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unopened {
    /// The capture's link type is not one the harness decodes.
    LinkType(LinkType),
    /// A link-layer frame carries something other than IPv4 or IPv6 (ARP, LLDP, 802.3 LLC...).
    EtherType(u16),
    /// A header is cut short: it needs `needed` bytes where only `available` were captured.
    Truncated {
        layer: &'static str,
        needed: usize,
        available: usize,
    },
    /// A header field is impossible (e.g. an IPv4 header length under 20 bytes).
    Malformed { layer: &'static str, detail: String },
    /// An IP payload that is neither TCP nor UDP nor a tunnel we open (ICMP, SCTP...).
    IpProtocol(u8),
    /// A tunnel the harness recognises but does not open (GRE, IP-in-IP, ESP...).
    Encapsulation(&'static str),
    /// Fragments of one IP datagram that never became whole: the rest did not arrive in time,
    /// or the fragment buffer was full.
    Fragments(String),
    /// A packet that would open one flow more than [`Limits::max_flows`].
    FlowLimit,
    /// A TCP segment carrying data for a flow that already closed.
    AfterClose,
}

impl Unopened {
    /// A short stable label, to count unopened packets per kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Unopened::LinkType(_) => "link-type",
            Unopened::EtherType(_) => "ethertype",
            Unopened::Truncated { .. } => "truncated",
            Unopened::Malformed { .. } => "malformed",
            Unopened::IpProtocol(_) => "ip-protocol",
            Unopened::Encapsulation(_) => "encapsulation",
            Unopened::Fragments(_) => "fragments",
            Unopened::FlowLimit => "flow-limit",
            Unopened::AfterClose => "after-close",
        }
    }
}

impl fmt::Display for Unopened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unopened::LinkType(link) => write!(f, "link type {} is not decoded", link.0),
            Unopened::EtherType(t) => write!(f, "ethertype 0x{t:04x} is not IP"),
            Unopened::Truncated {
                layer,
                needed,
                available,
            } => write!(
                f,
                "{layer} truncated: needs {needed} bytes, {available} captured"
            ),
            Unopened::Malformed { layer, detail } => write!(f, "{layer} malformed: {detail}"),
            Unopened::IpProtocol(p) => {
                write!(
                    f,
                    "IP protocol {p} ({}) is not opened",
                    ip::protocol_name(*p)
                )
            }
            Unopened::Encapsulation(name) => write!(f, "encapsulation {name} not opened"),
            Unopened::Fragments(detail) => write!(f, "IP fragments dropped: {detail}"),
            Unopened::FlowLimit => write!(f, "flow table full: flow not tracked"),
            Unopened::AfterClose => write!(f, "TCP data after the flow closed"),
        }
    }
}

/// `len` bytes at `at`, or the [`Unopened::Truncated`] report for `layer`.
fn need(data: &[u8], at: usize, len: usize, layer: &'static str) -> Result<(), Unopened> {
    match at.checked_add(len) {
        Some(end) if end <= data.len() => Ok(()),
        _ => Err(Unopened::Truncated {
            layer,
            needed: at.saturating_add(len),
            available: data.len(),
        }),
    }
}

/// The big-endian u16 at `at` (0 past the end; callers check lengths with [`need`] first).
fn be16(data: &[u8], at: usize) -> u16 {
    match data.get(at..at.saturating_add(2)) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// The big-endian u32 at `at` (0 past the end; callers check lengths with [`need`] first).
fn be32(data: &[u8], at: usize) -> u32 {
    match data.get(at..at.saturating_add(4)) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// The byte at `at` (0 past the end; callers check lengths with [`need`] first).
fn byte(data: &[u8], at: usize) -> u8 {
    data.get(at).copied().unwrap_or(0)
}
