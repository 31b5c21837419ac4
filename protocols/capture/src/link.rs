//! Link-layer framing: from a captured frame to the IP packet it carries.
//!
//! Link type numbers are tcpdump.org's LINKTYPE_ registry. Ethernet may carry 802.1Q and
//! 802.1ad (QinQ) tags; Linux "cooked" captures (`tcpdump -i any`) use SLL (v1, 16 bytes) or
//! SLL2 (20 bytes); BSD loopback (NULL) carries the address family in the capturing host's
//! byte order, LOOP in network byte order. Any other link type is reported, packet by packet.

use bytes::Bytes;

use super::{Header, Unopened};

/// A LINKTYPE_ value (tcpdump.org link-layer header types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP: the packet starts with an IPv4 or IPv6 header.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
/// 802.1Q customer tag, 802.1ad service tag, and the pre-standard QinQ tag.
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88A8, 0x9100];
/// Tags accepted in a row; real networks stack two.
const MAX_VLAN_TAGS: usize = 8;

/// The IP packet inside a link-layer frame (its first byte is the IP version nibble).
pub fn ip_payload(link_type: LinkType, frame: &Bytes) -> Result<Bytes, Unopened> {
    match link_type {
        LinkType::ETHERNET => ethernet(frame),
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => Ok(frame.clone()),
        LinkType::NULL | LinkType::LOOP => loopback(link_type, frame),
        LinkType::LINUX_SLL => {
            let mut h = Header::new(frame, "Linux SLL header");
            h.need(16)?;
            // Packet type, ARPHRD type, address length and address, then the protocol.
            h.skip(14)?;
            ip_by_ethertype(h.u16()?, frame.slice(16..))
        }
        LinkType::LINUX_SLL2 => {
            let mut h = Header::new(frame, "Linux SLL2 header");
            h.need(20)?;
            ip_by_ethertype(h.u16()?, frame.slice(20..))
        }
        other => Err(Unopened::LinkType(other)),
    }
}

/// Ethernet II (IEEE 802.3 §3.2.6) with any number of VLAN tags (802.1Q §9.5) up to a bound.
fn ethernet(frame: &Bytes) -> Result<Bytes, Unopened> {
    let mut h = Header::new(frame, "Ethernet header");
    h.need(14)?;
    // The destination and source addresses.
    h.skip(12)?;
    for _ in 0..=MAX_VLAN_TAGS {
        let ethertype = h.u16()?;
        if !VLAN_TAGS.contains(&ethertype) {
            if ethertype < 0x0600 {
                // A length, not a type: 802.3 with an LLC header (STP, CDP...).
                return Err(Unopened::EtherType(ethertype));
            }
            return ip_by_ethertype(ethertype, frame.slice(h.position()..));
        }
        // The tag's control information, then the type it tags.
        h.set_layer("802.1Q tag");
        h.need(4)?;
        h.skip(2)?;
    }
    Err(Unopened::Malformed {
        layer: "Ethernet",
        detail: format!("more than {MAX_VLAN_TAGS} VLAN tags"),
    })
}

fn ip_by_ethertype(ethertype: u16, payload: Bytes) -> Result<Bytes, Unopened> {
    match ethertype {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Ok(payload),
        other => Err(Unopened::EtherType(other)),
    }
}

/// BSD loopback: AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD),
/// 30 (macOS) or 10 (Linux).
fn loopback(link_type: LinkType, frame: &Bytes) -> Result<Bytes, Unopened> {
    let network_order = Header::new(frame, "loopback header").u32()?;
    let family = if link_type == LinkType::LOOP || network_order <= 0xFFFF {
        network_order
    } else {
        network_order.swap_bytes()
    };
    match family {
        2 | 10 | 24 | 28 | 30 => Ok(frame.slice(4..)),
        other => Err(Unopened::Malformed {
            layer: "loopback header",
            detail: format!("address family {other} is neither IPv4 nor IPv6"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: &[u8] = &[0x45, 0, 0, 20];

    fn frame(parts: &[&[u8]]) -> Bytes {
        Bytes::from(parts.concat())
    }

    #[test]
    fn ethernet_with_qinq_tags() {
        let macs = [0u8; 12];
        let f = frame(&[
            &macs,
            &[0x88, 0xA8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00],
            IP,
        ]);
        assert_eq!(ip_payload(LinkType::ETHERNET, &f).unwrap().as_ref(), IP);
        let arp = frame(&[&macs, &[0x08, 0x06], &[0; 28]]);
        assert_eq!(
            ip_payload(LinkType::ETHERNET, &arp),
            Err(Unopened::EtherType(0x0806))
        );
        let cut = frame(&[&macs, &[0x81, 0x00, 0]]);
        assert!(matches!(
            ip_payload(LinkType::ETHERNET, &cut),
            Err(Unopened::Truncated { .. })
        ));
        let mut deep = macs.to_vec();
        for _ in 0..20 {
            deep.extend_from_slice(&[0x81, 0x00, 0, 1]);
        }
        deep.extend_from_slice(&[0x08, 0x00]);
        assert!(matches!(
            ip_payload(LinkType::ETHERNET, &Bytes::from(deep)),
            Err(Unopened::Malformed { .. })
        ));
    }

    #[test]
    fn linux_cooked_v1_and_v2() {
        let sll = frame(&[&[0, 0, 0, 1, 0, 6], &[0; 8], &[0x86, 0xDD], IP]);
        assert_eq!(ip_payload(LinkType::LINUX_SLL, &sll).unwrap().as_ref(), IP);
        let sll2 = frame(&[&[0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6], &[0; 8], IP]);
        assert_eq!(
            ip_payload(LinkType::LINUX_SLL2, &sll2).unwrap().as_ref(),
            IP
        );
    }

    #[test]
    fn loopback_families_in_both_byte_orders() {
        for family in [2u32, 24, 28, 30] {
            let little = frame(&[&family.to_le_bytes(), IP]);
            assert_eq!(ip_payload(LinkType::NULL, &little).unwrap().as_ref(), IP);
            let big = frame(&[&family.to_be_bytes(), IP]);
            assert_eq!(ip_payload(LinkType::LOOP, &big).unwrap().as_ref(), IP);
        }
        let other = frame(&[&7u32.to_le_bytes(), IP]);
        assert!(ip_payload(LinkType::NULL, &other).is_err());
    }

    #[test]
    fn unknown_link_type_is_reported() {
        let f = frame(&[IP]);
        assert_eq!(
            ip_payload(LinkType(147), &f),
            Err(Unopened::LinkType(LinkType(147)))
        );
    }
}
