//! One captured frame, opened layer by layer down to a TCP segment or a UDP datagram.
//!
//! The only state is the IP [`Defragmenter`]. Tunnels that cost one header to open are
//! opened once (GTP-U on UDP 2152, IPv4/IPv6-in-IP); a tunnel inside a tunnel, GRE and ESP
//! are reported as encapsulations not opened.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;

use super::ip::{self, Defragmenter, IpPacket, Parsed};
use super::tcp::Segment;
use super::udp::Datagram;
use super::{Limits, Packet, Unopened, gtp, link};

/// The transport layer of an opened packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Tcp(Segment),
    Udp(Datagram),
}

/// What one frame holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A TCP segment or UDP datagram between two addresses.
    Opened {
        src: IpAddr,
        dst: IpAddr,
        transport: Transport,
    },
    /// A fragment held until its datagram is whole.
    Held,
    /// Something the harness does not open, and why.
    Unopened(Unopened),
}

/// Opens frames; holds IP fragments between them.
#[derive(Debug)]
pub struct Dissector {
    defragmenter: Defragmenter,
}

impl Dissector {
    pub fn new(limits: Limits) -> Self {
        Dissector {
            defragmenter: Defragmenter::new(limits),
        }
    }

    /// Opens one frame.
    pub fn dissect(&mut self, packet: &Packet) -> Outcome {
        let opened = link::ip_payload(packet.link_type, &packet.data)
            .and_then(|ip| self.ip(packet.time, packet.index, &ip, false));
        match opened {
            Ok(Some((src, dst, transport))) => Outcome::Opened {
                src,
                dst,
                transport,
            },
            Ok(None) => Outcome::Held,
            Err(why) => Outcome::Unopened(why),
        }
    }

    /// Fragmented datagrams given up at capture time `now`: (first fragment's packet, why).
    pub fn expire(&mut self, now: Duration) -> Vec<(u64, Unopened)> {
        self.defragmenter.expire(now)
    }

    /// Every fragmented datagram still incomplete (end of capture).
    pub fn drain(&mut self) -> Vec<(u64, Unopened)> {
        self.defragmenter.drain()
    }

    fn ip(
        &mut self,
        time: Duration,
        index: u64,
        data: &Bytes,
        tunnelled: bool,
    ) -> Result<Option<(IpAddr, IpAddr, Transport)>, Unopened> {
        let packet = match ip::parse(data)? {
            Parsed::Whole(packet) => packet,
            Parsed::Fragment(fragment) => {
                let Some(mut packet) = self.defragmenter.push(time, index, fragment)? else {
                    return Ok(None);
                };
                if packet.src.is_ipv6() {
                    // The fragmentable part may open with more extension headers.
                    let (protocol, payload) = ip::ipv6_extensions(packet.protocol, packet.payload)?;
                    packet.protocol = protocol;
                    packet.payload = payload;
                }
                packet
            }
        };
        self.transport(time, index, packet, tunnelled)
    }

    fn transport(
        &mut self,
        time: Duration,
        index: u64,
        packet: IpPacket,
        tunnelled: bool,
    ) -> Result<Option<(IpAddr, IpAddr, Transport)>, Unopened> {
        let IpPacket {
            src,
            dst,
            protocol,
            payload,
        } = packet;
        let transport = match protocol {
            ip::PROTO_TCP => Transport::Tcp(Segment::parse(&payload)?),
            ip::PROTO_UDP => {
                let datagram = Datagram::parse(&payload)?;
                let gtp_port = datagram.src_port == gtp::PORT || datagram.dst_port == gtp::PORT;
                if gtp_port && !tunnelled {
                    // Not GTP-U after all (or signalling): keep it as a plain datagram.
                    if let Ok(inner) = gtp::inner_packet(&datagram.payload) {
                        return self.ip(time, index, &inner, true);
                    }
                }
                Transport::Udp(datagram)
            }
            ip::PROTO_IPV4_IN_IP | ip::PROTO_IPV6_IN_IP if !tunnelled => {
                return self.ip(time, index, &payload, true);
            }
            ip::PROTO_IPV4_IN_IP | ip::PROTO_IPV6_IN_IP => {
                return Err(Unopened::Encapsulation("IP-in-IP inside a tunnel"));
            }
            ip::PROTO_GRE => return Err(Unopened::Encapsulation("GRE")),
            ip::PROTO_ESP => return Err(Unopened::Encapsulation("ESP (encrypted)")),
            other => return Err(Unopened::IpProtocol(other)),
        };
        Ok(Some((src, dst, transport)))
    }
}
