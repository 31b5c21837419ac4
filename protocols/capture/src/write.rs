//! Writing captures: a classic pcap file (microsecond timestamps, little-endian) of Ethernet
//! frames carrying IPv4 UDP datagrams and TCP segments, for tools that make captures on
//! purpose (`weir load --gb28181 --pcap`, tests) and that the reader of this crate, tshark and
//! `weir check` read back.
//!
//! ```text
//! let mut pcap = PcapWriter::new();
//! pcap.udp(at, from, to, &datagram);
//! let mut tcp = pcap.tcp_open(at, client, server);   // SYN, SYN-ACK, ACK
//! pcap.tcp_send(at, &mut tcp, &bytes);                // MSS-sized segments, client to server
//! pcap.tcp_reply(at, &mut tcp, &answer);              // and server to client
//! pcap.tcp_close(at, &mut tcp);                        // FIN both ways
//! std::fs::write(path, pcap.bytes())?;
//! ```
//!
//! The IPv4 header checksum is computed; the UDP checksum is 0 ("none", RFC 768) and the TCP
//! checksum is left 0, which readers (this crate's, tshark's by default) do not check.

use std::net::SocketAddrV4;
use std::time::Duration;

/// LINKTYPE_ETHERNET (tcpdump.org's registry).
const LINKTYPE_ETHERNET: u32 = 1;
/// The most bytes of one TCP segment's payload (an Ethernet MTU less the IPv4 and TCP headers).
pub const TCP_MSS: usize = 1460;
/// The most bytes of one UDP datagram an IPv4 packet can carry.
pub const MAX_UDP_PAYLOAD: usize = 65_535 - 20 - 8;

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const PSH: u8 = 0x08;

/// A pcap file being written in memory.
#[derive(Debug, Clone)]
pub struct PcapWriter {
    out: Vec<u8>,
    ip_id: u16,
}

/// One TCP connection being written: its ends and the next sequence number each way.
#[derive(Debug, Clone)]
pub struct TcpConnection {
    client: SocketAddrV4,
    server: SocketAddrV4,
    client_seq: u32,
    server_seq: u32,
}

impl Default for PcapWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl PcapWriter {
    /// An empty capture: the file header (pcap §4: magic, version 2.4, snaplen, Ethernet).
    pub fn new() -> Self {
        let mut out = Vec::new();
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&65535u32.to_le_bytes());
        out.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        PcapWriter { out, ip_id: 0 }
    }

    /// The file so far.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    /// The file, taken.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// One UDP datagram from `from` to `to` at `at` (time since the epoch). Payloads longer
    /// than [`MAX_UDP_PAYLOAD`] are cut to it.
    pub fn udp(&mut self, at: Duration, from: SocketAddrV4, to: SocketAddrV4, payload: &[u8]) {
        let payload = &payload[..payload.len().min(MAX_UDP_PAYLOAD)];
        let mut udp = Vec::with_capacity(8 + payload.len());
        udp.extend_from_slice(&from.port().to_be_bytes());
        udp.extend_from_slice(&to.port().to_be_bytes());
        udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(payload);
        self.ipv4(at, 17, from, to, &udp);
    }

    /// Opens a TCP connection from `client` to `server`: SYN, SYN-ACK and ACK.
    pub fn tcp_open(
        &mut self,
        at: Duration,
        client: SocketAddrV4,
        server: SocketAddrV4,
    ) -> TcpConnection {
        let mut c = TcpConnection {
            client,
            server,
            client_seq: 1_000,
            server_seq: 50_000,
        };
        self.segment(at, &c, true, SYN, &[]);
        self.segment(at, &c, false, SYN | ACK, &[]);
        c.client_seq += 1;
        c.server_seq += 1;
        self.segment(at, &c, true, ACK, &[]);
        c
    }

    /// `bytes` from the client to the server, in segments of at most [`TCP_MSS`] bytes.
    pub fn tcp_send(&mut self, at: Duration, c: &mut TcpConnection, bytes: &[u8]) {
        for piece in bytes.chunks(TCP_MSS) {
            self.segment(at, c, true, ACK | PSH, piece);
            c.client_seq = c.client_seq.wrapping_add(piece.len() as u32);
        }
    }

    /// `bytes` from the server to the client, in segments of at most [`TCP_MSS`] bytes.
    pub fn tcp_reply(&mut self, at: Duration, c: &mut TcpConnection, bytes: &[u8]) {
        for piece in bytes.chunks(TCP_MSS) {
            self.segment(at, c, false, ACK | PSH, piece);
            c.server_seq = c.server_seq.wrapping_add(piece.len() as u32);
        }
    }

    /// `len` bytes from the server that the capture misses (a lost segment): no packet, but
    /// the next reply's sequence numbers skip them, as a reader sees a gap.
    pub fn tcp_reply_lost(&mut self, c: &mut TcpConnection, len: usize) {
        c.server_seq = c.server_seq.wrapping_add(len as u32);
    }

    /// Closes the connection: FIN from each end, each acknowledged.
    pub fn tcp_close(&mut self, at: Duration, c: &mut TcpConnection) {
        self.segment(at, c, true, FIN | ACK, &[]);
        c.client_seq = c.client_seq.wrapping_add(1);
        self.segment(at, c, false, FIN | ACK, &[]);
        c.server_seq = c.server_seq.wrapping_add(1);
        self.segment(at, c, true, ACK, &[]);
    }

    fn segment(&mut self, at: Duration, c: &TcpConnection, client: bool, flags: u8, data: &[u8]) {
        let (from, to, seq, ack) = match client {
            true => (c.client, c.server, c.client_seq, c.server_seq),
            false => (c.server, c.client, c.server_seq, c.client_seq),
        };
        let ack = if flags & ACK != 0 { ack } else { 0 };
        let mut tcp = Vec::with_capacity(20 + data.len());
        tcp.extend_from_slice(&from.port().to_be_bytes());
        tcp.extend_from_slice(&to.port().to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        tcp.extend_from_slice(data);
        self.ipv4(at, 6, from, to, &tcp);
    }

    /// An Ethernet frame with an IPv4 packet (RFC 791 §3.1) of `protocol` carrying `payload`.
    fn ipv4(
        &mut self,
        at: Duration,
        protocol: u8,
        from: SocketAddrV4,
        to: SocketAddrV4,
        payload: &[u8],
    ) {
        self.ip_id = self.ip_id.wrapping_add(1);
        let mut ip = [0u8; 20];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&self.ip_id.to_be_bytes());
        ip[6] = 0x40; // don't fragment
        ip[8] = 64;
        ip[9] = protocol;
        ip[12..16].copy_from_slice(&from.ip().octets());
        ip[16..20].copy_from_slice(&to.ip().octets());
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = (sum & 0xffff) + (sum >> 16);
        let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let len = (14 + 20 + payload.len()) as u32;
        let out = &mut self.out;
        out.extend_from_slice(&(at.as_secs() as u32).to_le_bytes());
        out.extend_from_slice(&at.subsec_micros().to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        // Locally administered MACs, then EtherType IPv4.
        out.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
        out.extend_from_slice(&ip);
        out.extend_from_slice(payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CaptureEvents, FlowEvent, Limits};

    fn addr(s: &str) -> SocketAddrV4 {
        s.parse().unwrap()
    }

    #[test]
    fn datagrams_and_a_tcp_stream_read_back_through_the_flow_table() {
        let mut pcap = PcapWriter::new();
        let t = Duration::from_secs(1_700_000_000);
        let (a, b) = (addr("10.0.0.1:5000"), addr("10.0.0.2:9000"));
        pcap.udp(t, a, b, b"one");
        pcap.udp(t + Duration::from_millis(1), a, b, b"two");
        let mut c = pcap.tcp_open(t, addr("10.0.0.1:40000"), b);
        let stream: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        pcap.tcp_send(t, &mut c, &stream);
        pcap.tcp_reply(t, &mut c, &stream[..3000]);
        pcap.tcp_close(t, &mut c);
        let file = pcap.into_bytes();
        let mut datagrams = Vec::new();
        let mut received = [Vec::new(), Vec::new()];
        for event in CaptureEvents::new(&file[..], Limits::default()).unwrap() {
            match event.unwrap().event {
                FlowEvent::Datagram { bytes, .. } => datagrams.push(bytes.to_vec()),
                FlowEvent::Data {
                    direction, bytes, ..
                } => received[direction.index()].extend_from_slice(&bytes),
                _ => {}
            }
        }
        assert_eq!(datagrams, [b"one".to_vec(), b"two".to_vec()]);
        assert_eq!(received, [stream.clone(), stream[..3000].to_vec()]);
    }
}
