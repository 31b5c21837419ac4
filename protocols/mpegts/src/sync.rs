//! Telling transport packets by their sync bytes (13818-1 §2.4.3.3: every packet starts with
//! 0x47; §2.4.3.2 and [`PacketSize`]: 188, 192 or 204 bytes from one to the next). The
//! [`framer`](crate::framer) acquires sync with these anywhere in a stream; a harness asks
//! them of the first bytes of a flow, a datagram or a file to say whether they are TS at all.
//!
//! Each function looks only at the sync positions: bytes that pass may still hold broken
//! packets, which the demuxer reports.

use crate::packet::{PacketSize, SYNC_BYTE};

/// Whether every position `first`, `first + stride`, … that `data` holds is a sync byte (true
/// when it holds none).
pub fn in_step(data: &[u8], first: usize, stride: usize) -> bool {
    data.iter()
        .skip(first)
        .step_by(stride)
        .all(|&b| b == SYNC_BYTE)
}

/// How many sync positions of `size` bytes that start at a packet hold: its prefix, then one
/// per stride.
fn positions(len: usize, size: PacketSize) -> usize {
    len.saturating_sub(size.prefix()).div_ceil(size.stride())
}

/// The first packet size (in [`PacketSize::ALL`]'s order) whose sync bytes are all in place
/// in `data`, which starts at a packet, with at least `min` of them there.
pub fn packet_size(data: &[u8], min: usize) -> Option<PacketSize> {
    PacketSize::ALL.into_iter().find(|&size| {
        positions(data.len(), size) >= min && in_step(data, size.prefix(), size.stride())
    })
}

/// Whether `data`, the start of a stream, can still become packets of one size: it does
/// not reach past the first packet's next sync position, and every sync position it holds
/// holds 0x47. Past that, [`packet_size`] decides.
pub fn may_become_packets(data: &[u8]) -> bool {
    !data.is_empty()
        && PacketSize::ALL.into_iter().any(|size| {
            data.len() <= size.prefix() + size.stride()
                && in_step(data, size.prefix(), size.stride())
        })
}

/// The packet size of which `data` (a datagram) is a whole number of packets, their sync
/// bytes in place (seven 188-byte packets, 1316 bytes, is usual over UDP).
pub fn whole_packets(data: &[u8]) -> Option<PacketSize> {
    PacketSize::ALL.into_iter().find(|&size| {
        data.len() >= size.stride()
            && data.len().is_multiple_of(size.stride())
            && in_step(data, size.prefix(), size.stride())
    })
}

/// The packet size of which `data` is exactly one packet (a file of one packet).
pub fn one_packet(data: &[u8]) -> Option<PacketSize> {
    PacketSize::ALL
        .into_iter()
        .find(|&size| data.len() == size.stride() && data[size.prefix()] == SYNC_BYTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` packets of `size` bytes with their sync bytes in place.
    fn packets(n: usize, size: PacketSize) -> Vec<u8> {
        let mut data = vec![0u8; n * size.stride()];
        for i in 0..n {
            data[i * size.stride() + size.prefix()] = SYNC_BYTE;
        }
        data
    }

    #[test]
    fn every_size_is_told_from_its_sync_bytes() {
        for size in PacketSize::ALL {
            assert_eq!(packet_size(&packets(3, size), 2), Some(size));
            assert_eq!(whole_packets(&packets(7, size)), Some(size));
            assert_eq!(one_packet(&packets(1, size)), Some(size));
        }
        // One sync byte is not yet two.
        assert_eq!(packet_size(&packets(1, PacketSize::Ts188), 2), None);
        // A datagram that is not a whole number of packets.
        assert_eq!(whole_packets(&packets(2, PacketSize::Ts188)[..300]), None);
    }

    #[test]
    fn the_start_of_a_stream_may_still_become_packets() {
        let ts = packets(2, PacketSize::Ts188);
        for cut in [1, 100, 188] {
            assert!(may_become_packets(&ts[..cut]), "{cut}");
        }
        assert!(
            !may_become_packets(&ts[..300]),
            "past the next sync position"
        );
        assert!(!may_become_packets(b""));
        // Any four bytes may be the timestamp before an M2TS packet's sync byte.
        assert!(may_become_packets(b"xxxx"));
        assert!(!may_become_packets(b"xxxxx"));
        assert!(in_step(b"", 0, 188));
    }
}
