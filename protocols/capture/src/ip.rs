//! IPv4 (RFC 791) and IPv6 (RFC 8200) headers, and IP fragment reassembly.
//!
//! Checksums are not verified: captures taken on the sending host (loopback above all) carry
//! checksums the network card would have filled in. Fragments are held in a [`Defragmenter`]
//! with bounded memory, and given up after a timeout measured in capture time.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::{Header, Limits, Unopened};

pub const PROTO_IPV4_IN_IP: u8 = 4;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
pub const PROTO_IPV6_IN_IP: u8 = 41;
pub const PROTO_GRE: u8 = 47;
pub const PROTO_ESP: u8 = 50;
/// IPv6 extension headers walked past (RFC 8200 §4; AH is RFC 4302 §2.2).
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const AUTHENTICATION: u8 = 51;
const DESTINATION_OPTIONS: u8 = 60;
/// Extension headers walked in one packet before it is called malformed.
const MAX_EXTENSION_HEADERS: usize = 16;

/// A name for the IP protocols a capture commonly holds, for reports.
pub fn protocol_name(protocol: u8) -> &'static str {
    match protocol {
        1 => "ICMP",
        2 => "IGMP",
        PROTO_IPV4_IN_IP => "IPv4-in-IP",
        PROTO_TCP => "TCP",
        PROTO_UDP => "UDP",
        PROTO_IPV6_IN_IP => "IPv6-in-IP",
        PROTO_GRE => "GRE",
        PROTO_ESP => "ESP",
        58 => "ICMPv6",
        59 => "no next header",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        _ => "unknown",
    }
}

/// An IP packet whole: addresses, the upper-layer protocol and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPacket {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    pub payload: Bytes,
}

/// One fragment of an IP datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Identification (16 bits in IPv4, 32 in IPv6).
    pub id: u32,
    /// The protocol of the reassembled payload (for IPv6, the header after the fragment header).
    pub protocol: u8,
    /// Byte offset of this fragment in the reassembled payload.
    pub offset: usize,
    pub more: bool,
    pub payload: Bytes,
}

/// What one IP header holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Whole(IpPacket),
    Fragment(Fragment),
}

/// Parses the IPv4 or IPv6 packet at the start of `data` (trailing link padding is ignored).
pub fn parse(data: &Bytes) -> Result<Parsed, Unopened> {
    match Header::new(data, "IP header").u8()? >> 4 {
        4 => ipv4(data),
        6 => ipv6(data),
        version => Err(Unopened::Malformed {
            layer: "IP header",
            detail: format!("version {version}"),
        }),
    }
}

/// RFC 791 §3.1.
fn ipv4(data: &Bytes) -> Result<Parsed, Unopened> {
    let mut h = Header::new(data, "IPv4 header");
    h.need(20)?;
    let header_len = usize::from(h.u8()? & 0x0f) * 4;
    // DSCP and ECN.
    h.skip(1)?;
    let total_len = usize::from(h.u16()?);
    let id = h.u16()?;
    let flags_offset = h.u16()?;
    // Time to live.
    h.skip(1)?;
    let protocol = h.u8()?;
    // The header checksum.
    h.skip(2)?;
    let src = IpAddr::V4(Ipv4Addr::from(h.u32()?));
    let dst = IpAddr::V4(Ipv4Addr::from(h.u32()?));
    if header_len < 20 || total_len < header_len {
        return Err(Unopened::Malformed {
            layer: "IPv4 header",
            detail: format!("header length {header_len}, total length {total_len}"),
        });
    }
    h.set_layer("IPv4 packet");
    h.need(total_len - h.position())?;
    let offset = usize::from(flags_offset & 0x1fff) * 8;
    let more = flags_offset & 0x2000 != 0;
    let payload = data.slice(header_len..total_len);
    if offset == 0 && !more {
        return Ok(Parsed::Whole(IpPacket {
            src,
            dst,
            protocol,
            payload,
        }));
    }
    Ok(Parsed::Fragment(Fragment {
        src,
        dst,
        id: u32::from(id),
        protocol,
        offset,
        more,
        payload,
    }))
}

/// RFC 8200 §3 and §4: the fixed header, then extension headers up to the upper layer.
fn ipv6(data: &Bytes) -> Result<Parsed, Unopened> {
    let mut h = Header::new(data, "IPv6 header");
    h.need(40)?;
    // Version, traffic class and flow label.
    h.skip(4)?;
    let payload_len = usize::from(h.u16()?);
    let next = h.u8()?;
    // Hop limit.
    h.skip(1)?;
    let src = IpAddr::V6(Ipv6Addr::from(h.array::<16>()?));
    let dst = IpAddr::V6(Ipv6Addr::from(h.array::<16>()?));
    if payload_len == 0 {
        return Err(Unopened::Malformed {
            layer: "IPv6 header",
            detail: "payload length 0 (jumbogram or no payload)".into(),
        });
    }
    h.set_layer("IPv6 packet");
    h.need(payload_len)?;
    let (protocol, rest) = ipv6_extensions(next, data.slice(40..40 + payload_len))?;
    if protocol != FRAGMENT {
        return Ok(Parsed::Whole(IpPacket {
            src,
            dst,
            protocol,
            payload: rest,
        }));
    }
    // RFC 8200 §4.5: next header, reserved, offset (13 bits) | res | M, identification.
    let mut h = Header::new(&rest, "IPv6 fragment header");
    h.need(8)?;
    let protocol = h.u8()?;
    // Reserved.
    h.skip(1)?;
    let offset_flags = h.u16()?;
    let id = h.u32()?;
    Ok(Parsed::Fragment(Fragment {
        src,
        dst,
        id,
        protocol,
        offset: usize::from(offset_flags >> 3) * 8,
        more: offset_flags & 1 != 0,
        payload: rest.slice(8..),
    }))
}

/// Walks extension headers from `next`; stops at the upper layer or at a fragment header
/// (returned as protocol 44 with `data` starting at it).
pub fn ipv6_extensions(mut next: u8, mut data: Bytes) -> Result<(u8, Bytes), Unopened> {
    for _ in 0..MAX_EXTENSION_HEADERS {
        // Each starts with the next header's type and its own length.
        let (layer, len_of): (_, fn(u8) -> usize) = match next {
            HOP_BY_HOP | ROUTING | DESTINATION_OPTIONS => {
                ("IPv6 extension header", |n| (usize::from(n) + 1) * 8)
            }
            AUTHENTICATION => ("IPv6 authentication header", |n| (usize::from(n) + 2) * 4),
            _ => return Ok((next, data)),
        };
        let mut h = Header::new(&data, layer);
        h.need(2)?;
        let following = h.u8()?;
        let len = len_of(h.u8()?);
        h.set_layer("IPv6 extension header");
        h.need(len - h.position())?;
        next = following;
        data = data.slice(len..);
    }
    Err(Unopened::Malformed {
        layer: "IPv6 header",
        detail: format!("more than {MAX_EXTENSION_HEADERS} extension headers"),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct DatagramKey {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    protocol: u8,
}

/// The fragments of one datagram received so far.
#[derive(Debug)]
struct Pending {
    first_time: Duration,
    first_packet: u64,
    /// Fragments by offset; an overlapping later fragment never replaces bytes already held.
    pieces: BTreeMap<usize, Bytes>,
    bytes: usize,
    /// Known once the last fragment (more = false) arrives.
    total: Option<usize>,
}

/// Reassembles IP datagrams (RFC 791 §3.2, RFC 8200 §4.5) within [`Limits`].
#[derive(Debug)]
pub struct Defragmenter {
    limits: Limits,
    pending: HashMap<DatagramKey, Pending>,
    bytes: usize,
}

/// The largest reassembled IP payload: the 16-bit total length bounds every datagram.
const MAX_DATAGRAM: usize = 65_535;

impl Defragmenter {
    pub fn new(limits: Limits) -> Self {
        Defragmenter {
            limits,
            pending: HashMap::new(),
            bytes: 0,
        }
    }

    /// Adds a fragment seen at `time` in packet `packet`; returns the datagram once whole.
    pub fn push(
        &mut self,
        time: Duration,
        packet: u64,
        fragment: Fragment,
    ) -> Result<Option<IpPacket>, Unopened> {
        let end = fragment.offset + fragment.payload.len();
        if end > MAX_DATAGRAM {
            return Err(Unopened::Fragments(format!(
                "fragment ends at byte {end}, past the largest datagram"
            )));
        }
        let key = DatagramKey {
            src: fragment.src,
            dst: fragment.dst,
            id: fragment.id,
            protocol: fragment.protocol,
        };
        if !self.pending.contains_key(&key)
            && self.pending.len() >= self.limits.max_fragmented_datagrams
        {
            return Err(Unopened::Fragments(format!(
                "{} datagrams already being reassembled",
                self.pending.len()
            )));
        }
        if self.bytes + fragment.payload.len() > self.limits.max_fragment_bytes {
            return Err(Unopened::Fragments(format!(
                "fragment buffer full ({} bytes)",
                self.bytes
            )));
        }
        let pending = self.pending.entry(key).or_insert_with(|| Pending {
            first_time: time,
            first_packet: packet,
            pieces: BTreeMap::new(),
            bytes: 0,
            total: None,
        });
        if !fragment.more {
            pending.total = Some(end);
        }
        if !pending.pieces.contains_key(&fragment.offset) {
            pending.bytes += fragment.payload.len();
            self.bytes += fragment.payload.len();
            pending.pieces.insert(fragment.offset, fragment.payload);
        }
        let Some(whole) = assemble(pending) else {
            return Ok(None);
        };
        if let Some(done) = self.pending.remove(&key) {
            self.bytes -= done.bytes;
        }
        Ok(Some(IpPacket {
            src: key.src,
            dst: key.dst,
            protocol: key.protocol,
            payload: whole,
        }))
    }

    /// Gives up the datagrams whose first fragment is older than the timeout at `now`:
    /// returns, per datagram, the packet that brought its first fragment and why.
    pub fn expire(&mut self, now: Duration) -> Vec<(u64, Unopened)> {
        let timeout = self.limits.fragment_timeout;
        let mut expired = Vec::new();
        self.pending.retain(|key, p| {
            let keep = now.saturating_sub(p.first_time) <= timeout;
            if !keep {
                expired.push((p.first_packet, expired_reason(key, p, "timed out")));
            }
            keep
        });
        self.recount();
        expired.sort_by_key(|(packet, _)| *packet);
        expired
    }

    /// Gives up every incomplete datagram (end of capture).
    pub fn drain(&mut self) -> Vec<(u64, Unopened)> {
        let mut all: Vec<_> = self
            .pending
            .drain()
            .map(|(key, p)| (p.first_packet, expired_reason(&key, &p, "capture ended")))
            .collect();
        self.bytes = 0;
        all.sort_by_key(|(packet, _)| *packet);
        all
    }

    fn recount(&mut self) {
        self.bytes = self.pending.values().map(|p| p.bytes).sum();
    }
}

fn expired_reason(key: &DatagramKey, p: &Pending, why: &str) -> Unopened {
    Unopened::Fragments(format!(
        "datagram {} -> {} id {} incomplete ({} fragments, {} bytes): {why}",
        key.src,
        key.dst,
        key.id,
        p.pieces.len(),
        p.bytes
    ))
}

/// The reassembled payload, when the fragments cover 0..total without a hole.
fn assemble(p: &Pending) -> Option<Bytes> {
    let total = p.total?;
    let mut covered = 0;
    for (&offset, piece) in &p.pieces {
        if offset > covered {
            return None;
        }
        covered = covered.max(offset + piece.len());
    }
    if covered < total {
        return None;
    }
    let mut out = BytesMut::with_capacity(total);
    for (&offset, piece) in &p.pieces {
        let from = out.len().saturating_sub(offset);
        let to = piece.len().min(total.saturating_sub(offset));
        if let Some(new) = piece.get(from..to) {
            out.extend_from_slice(new);
        }
    }
    Some(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header (no options) around `payload`.
    pub(crate) fn ipv4_packet(
        id: u16,
        protocol: u8,
        offset: usize,
        more: bool,
        payload: &[u8],
    ) -> Bytes {
        let mut out = vec![0x45, 0];
        out.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        out.extend_from_slice(&id.to_be_bytes());
        let flags = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        out.extend_from_slice(payload);
        Bytes::from(out)
    }

    fn fragment(data: &Bytes) -> Fragment {
        match parse(data).unwrap() {
            Parsed::Fragment(f) => f,
            whole => panic!("not a fragment: {whole:?}"),
        }
    }

    #[test]
    fn ipv4_fragments_reassemble_in_any_order() {
        let payload: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let pieces = [
            ipv4_packet(7, PROTO_UDP, 0, true, &payload[..1480]),
            ipv4_packet(7, PROTO_UDP, 1480, true, &payload[1480..2960]),
            ipv4_packet(7, PROTO_UDP, 2960, false, &payload[2960..]),
        ];
        for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
            let mut defrag = Defragmenter::new(Limits::default());
            let mut out = None;
            for (n, &i) in order.iter().enumerate() {
                let result = defrag.push(Duration::ZERO, n as u64, fragment(&pieces[i]));
                let got = result.unwrap();
                assert_eq!(got.is_some(), n == 2, "order {order:?}");
                out = out.or(got);
            }
            let whole = out.unwrap();
            assert_eq!(whole.protocol, PROTO_UDP);
            assert_eq!(whole.payload.as_ref(), &payload[..]);
            assert_eq!(defrag.bytes, 0);
        }
    }

    #[test]
    fn overlapping_and_duplicate_fragments() {
        let payload: Vec<u8> = (0..100u8).collect();
        let mut defrag = Defragmenter::new(Limits::default());
        let a = ipv4_packet(1, PROTO_TCP, 0, true, &payload[..48]);
        let b = ipv4_packet(1, PROTO_TCP, 40, false, &payload[40..]);
        assert_eq!(defrag.push(Duration::ZERO, 1, fragment(&a)), Ok(None));
        assert_eq!(defrag.push(Duration::ZERO, 2, fragment(&a)), Ok(None));
        let whole = defrag
            .push(Duration::ZERO, 3, fragment(&b))
            .unwrap()
            .unwrap();
        assert_eq!(whole.payload.as_ref(), &payload[..]);
    }

    #[test]
    fn incomplete_datagram_times_out_in_capture_time() {
        let mut defrag = Defragmenter::new(Limits::default());
        let a = ipv4_packet(9, PROTO_UDP, 0, true, &[0; 16]);
        defrag
            .push(Duration::from_secs(100), 5, fragment(&a))
            .unwrap();
        assert!(defrag.expire(Duration::from_secs(130)).is_empty());
        let expired = defrag.expire(Duration::from_secs(131));
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].0, 5);
        assert_eq!(expired[0].1.kind(), "fragments");
        assert_eq!(defrag.bytes, 0);
    }

    #[test]
    fn fragment_memory_is_bounded() {
        let limits = Limits {
            max_fragment_bytes: 100,
            max_fragmented_datagrams: 2,
            ..Limits::default()
        };
        let mut defrag = Defragmenter::new(limits);
        let big = ipv4_packet(1, PROTO_UDP, 0, true, &[0; 96]);
        defrag.push(Duration::ZERO, 1, fragment(&big)).unwrap();
        let more = ipv4_packet(2, PROTO_UDP, 0, true, &[0; 8]);
        assert!(defrag.push(Duration::ZERO, 2, fragment(&more)).is_err());
        let small = ipv4_packet(3, PROTO_UDP, 0, true, &[0; 0]);
        defrag.push(Duration::ZERO, 3, fragment(&small)).unwrap();
        let third = ipv4_packet(4, PROTO_UDP, 0, true, &[0; 0]);
        assert!(defrag.push(Duration::ZERO, 4, fragment(&third)).is_err());
        let past = ipv4_packet(5, PROTO_UDP, 65528, false, &[0; 16]);
        assert!(defrag.push(Duration::ZERO, 5, fragment(&past)).is_err());
    }

    #[test]
    fn ipv6_with_extension_headers_and_fragment() {
        let udp = [0u8, 1, 0, 2, 0, 12, 0, 0, 1, 2, 3, 4];
        // Hop-by-hop (8 bytes), destination options (16 bytes), then a fragment header.
        let mut ext = vec![60, 0, 1, 4, 0, 0, 0, 0];
        ext.extend_from_slice(&[44, 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let first = [&ext[..], &[17, 0, 0, 1, 0, 0, 0, 42], &udp[..8]].concat();
        let last = [&ext[..], &[17, 0, 0, 8, 0, 0, 0, 42], &udp[8..]].concat();
        let mut defrag = Defragmenter::new(Limits::default());
        let mut out = None;
        for (n, body) in [first, last].iter().enumerate() {
            let packet = ipv6_packet(0, body);
            let got = defrag.push(Duration::ZERO, n as u64, fragment(&packet));
            out = got.unwrap();
        }
        let whole = out.unwrap();
        assert_eq!(whole.protocol, PROTO_UDP);
        assert_eq!(whole.payload.as_ref(), &udp);
        assert_eq!(whole.src, "2001:db8::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn bad_headers_are_reported() {
        let short = Bytes::from_static(&[0x45, 0, 0, 40, 0, 0, 0, 0]);
        assert!(matches!(parse(&short), Err(Unopened::Truncated { .. })));
        let mut bad_ihl = ipv4_packet(1, PROTO_TCP, 0, false, &[0; 20]).to_vec();
        bad_ihl[0] = 0x44;
        assert!(matches!(
            parse(&Bytes::from(bad_ihl)),
            Err(Unopened::Malformed { .. })
        ));
        let v5 = Bytes::from_static(&[0x50; 40]);
        assert!(matches!(parse(&v5), Err(Unopened::Malformed { .. })));
        let mut chain = Vec::new();
        for _ in 0..20 {
            chain.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
        }
        assert!(parse(&ipv6_packet(60, &chain)).is_err());
    }

    /// An IPv6 header 2001:db8::1 -> 2001:db8::2 whose first next header is `next`.
    pub(crate) fn ipv6_packet(next: u8, payload: &[u8]) -> Bytes {
        let mut out = vec![0x60, 0, 0, 0];
        out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        out.extend_from_slice(&[next, 64]);
        let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let dst: Ipv6Addr = "2001:db8::2".parse().unwrap();
        out.extend_from_slice(&src.octets());
        out.extend_from_slice(&dst.octets());
        out.extend_from_slice(payload);
        Bytes::from(out)
    }
}
