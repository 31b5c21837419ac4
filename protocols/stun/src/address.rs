//! The address attributes (RFC 8489 §14.1, §14.2, §14.15): MAPPED-ADDRESS and
//! ALTERNATE-SERVER in the clear, XOR-MAPPED-ADDRESS with the port XORed with the top 16
//! bits of the magic cookie and the address with the cookie (IPv4) or the cookie and the
//! transaction id (IPv6).
//!
//! ```text
//!  0x00 | family (1: IPv4, 2: IPv6) | port (16) | address (32 or 128 bits)
//! ```

use crate::header::{MAGIC_COOKIE, TransactionId};
use crate::rules;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use weir_media::{Error, Reader};

/// The family byte of an IPv4 address.
pub const FAMILY_IPV4: u8 = 0x01;
/// The family byte of an IPv6 address.
pub const FAMILY_IPV6: u8 = 0x02;

/// Reads an address attribute's value; `xor` with the transaction id for
/// XOR-MAPPED-ADDRESS. A family other than 1 or 2, or a value of the wrong size for its
/// family, breaks `stun.address.family`.
pub fn decode(value: &[u8], xor: Option<&TransactionId>) -> Result<SocketAddr, Error> {
    let mut r = Reader::new(value, &rules::ADDRESS_FAMILY);
    r.u8("reserved")?;
    let family = r.u8("family")?;
    let port = r.u16("port")?;
    let mask = xor.map(mask);
    let ip: IpAddr = match (family, r.remaining()) {
        (FAMILY_IPV4, 4) => {
            let mut a: [u8; 4] = r.array("IPv4 address")?;
            if let Some(mask) = &mask {
                a.iter_mut().zip(mask).for_each(|(b, m)| *b ^= m);
            }
            Ipv4Addr::from(a).into()
        }
        (FAMILY_IPV6, 16) => {
            let mut a: [u8; 16] = r.array("IPv6 address")?;
            if let Some(mask) = &mask {
                a.iter_mut().zip(mask).for_each(|(b, m)| *b ^= m);
            }
            Ipv6Addr::from(a).into()
        }
        (family, n) => {
            return Err(r.error_at(1, format!("family 0x{family:02x} with a {n}-byte address")));
        }
    };
    let port = if mask.is_some() {
        port ^ (MAGIC_COOKIE >> 16) as u16
    } else {
        port
    };
    Ok(SocketAddr::new(ip, port))
}

/// Appends an address attribute's value (8 or 20 bytes).
pub fn encode(addr: &SocketAddr, xor: Option<&TransactionId>, out: &mut Vec<u8>) {
    let mask = xor.map(mask);
    let port = if mask.is_some() {
        addr.port() ^ (MAGIC_COOKIE >> 16) as u16
    } else {
        addr.port()
    };
    let (family, mut bytes) = match addr.ip() {
        IpAddr::V4(v4) => (FAMILY_IPV4, v4.octets().to_vec()),
        IpAddr::V6(v6) => (FAMILY_IPV6, v6.octets().to_vec()),
    };
    if let Some(mask) = &mask {
        bytes.iter_mut().zip(mask).for_each(|(b, m)| *b ^= m);
    }
    out.extend_from_slice(&[0, family]);
    out.extend_from_slice(&port.to_be_bytes());
    out.extend_from_slice(&bytes);
}

/// The 16 bytes an address is XORed with: the magic cookie, then the transaction id.
fn mask(transaction_id: &TransactionId) -> [u8; 16] {
    let mut mask = [0; 16];
    mask[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    mask[4..].copy_from_slice(&transaction_id.0);
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_mapped_addresses_decode_as_rfc_5769_gives_them() {
        // RFC 5769 §2.2: XOR-MAPPED-ADDRESS 192.0.2.1 port 32853.
        let tid = TransactionId([
            0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
        ]);
        let value = [0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43];
        let addr = decode(&value, Some(&tid)).unwrap();
        assert_eq!(addr, "192.0.2.1:32853".parse().unwrap());
        let mut out = Vec::new();
        encode(&addr, Some(&tid), &mut out);
        assert_eq!(out, value);
    }

    #[test]
    fn a_bad_family_is_named() {
        let e = decode(&[0, 3, 0, 1, 1, 2, 3, 4], None).unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("stun.address.family", 1));
        let e = decode(&[0, 2, 0, 1, 1, 2, 3, 4], None).unwrap_err();
        assert_eq!(e.detail, "family 0x02 with a 4-byte address");
    }
}
