//! Reading captures (DESIGN.md, "Conformance harness"; issue 4, "Reading captures"): the
//! harness reads every capture through this crate, and protocol crates read their corpus
//! captures through it in tests.
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
//! - [`file`](mod@file): a file read whole (a `.ts` file, a playlist) as one pseudo-flow's events;
//! - [`write`]: the other way, a pcap file of IPv4 UDP datagrams and TCP streams made on
//!   purpose (the GB28181 device simulator's captures).
//!
//! Everything below the reader is a pure state machine fed packets with their capture time:
//! no clock, no IO. Nothing is dropped silently: a packet the harness does not open becomes a
//! [`FlowEvent::Unopened`] naming what it is and why.

#![forbid(unsafe_code)]

pub mod dissect;
pub mod file;
pub mod flow;
pub mod gtp;
pub mod ip;
pub mod link;
pub mod pcap;
pub mod tcp;
pub mod udp;
pub mod write;

use std::fmt;

use weir_media::Reader;

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

/// A header read through the one bounded reader, [`Reader::unruled`] (no catalog rule covers
/// a capture's link, IP and transport layers): a short read is the [`Unopened::Truncated`]
/// of the layer being read, with the bytes it needed (from the header's start) and the bytes
/// captured.
struct Header<'a> {
    reader: Reader<'a>,
    layer: &'static str,
}

impl<'a> Header<'a> {
    fn new(data: &'a [u8], layer: &'static str) -> Self {
        Header {
            reader: Reader::unruled(data),
            layer,
        }
    }

    /// Short reads from here on are `layer`'s.
    fn set_layer(&mut self, layer: &'static str) {
        self.layer = layer;
    }

    /// Bytes read so far: where the next field starts.
    fn position(&self) -> usize {
        self.reader.position()
    }

    #[cold]
    fn truncated(&self, wanted: usize) -> Unopened {
        let at = self.reader.position();
        Unopened::Truncated {
            layer: self.layer,
            needed: at.saturating_add(wanted),
            available: at + self.reader.remaining(),
        }
    }

    /// Fails unless `n` more bytes were captured; takes none (a header's fixed part is
    /// checked whole before its fields are read).
    fn need(&self, n: usize) -> Result<(), Unopened> {
        match self.reader.remaining() >= n {
            true => Ok(()),
            false => Err(self.truncated(n)),
        }
    }

    /// A field of `n` bytes; checked here, so that the reader's own error (which a header
    /// does not report) is never built on the per-packet path.
    #[inline]
    fn read<T>(
        &mut self,
        n: usize,
        read: impl FnOnce(&mut Reader<'a>, &str) -> Result<T, weir_media::Error>,
    ) -> Result<T, Unopened> {
        if self.reader.remaining() < n {
            return Err(self.truncated(n));
        }
        read(&mut self.reader, self.layer).map_err(|_| self.truncated(n))
    }

    #[inline]
    fn u8(&mut self) -> Result<u8, Unopened> {
        self.read(1, |r, field| r.u8(field))
    }

    #[inline]
    fn u16(&mut self) -> Result<u16, Unopened> {
        self.read(2, |r, field| r.u16(field))
    }

    #[inline]
    fn u32(&mut self) -> Result<u32, Unopened> {
        self.read(4, |r, field| r.u32(field))
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Unopened> {
        self.read(N, |r, field| r.array(field))
    }

    #[inline]
    fn skip(&mut self, n: usize) -> Result<(), Unopened> {
        self.read(n, |r, field| r.skip(n, field))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn a_short_header_names_its_layer_what_it_needed_and_what_was_captured() {
        let said = |r: Result<(), Unopened>| r.unwrap_err().to_string();
        let ipv4 = Bytes::from_static(&[0x45, 0, 0, 40, 0, 0]);
        assert_eq!(
            said(ip::parse(&ipv4).map(drop)),
            "IPv4 header truncated: needs 20 bytes, 6 captured"
        );
        let udp = Bytes::from_static(&[0, 1, 0, 2, 0, 20, 0, 0, 9]);
        assert_eq!(
            said(udp::Datagram::parse(&udp).map(drop)),
            "UDP datagram truncated: needs 20 bytes, 9 captured"
        );
        let mut h = Header::new(&[1, 2, 3], "test header");
        assert_eq!(h.u16(), Ok(0x0102));
        assert_eq!(
            h.u32(),
            Err(Unopened::Truncated {
                layer: "test header",
                needed: 6,
                available: 3
            })
        );
    }
}
