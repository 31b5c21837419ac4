//! Broken program streams made on purpose from a good one (what the [`crate::Muxer`]
//! writes): each function breaks it the way some camera does, so that the demuxer's recovery
//! can be tested and a device simulator can send the same faults. They walk the packets of a
//! well-formed stream ([`packets`]); bytes they cannot walk are kept as they are.
//!
//! - [`start_code_cuts`]: where to cut the stream (into RTP payloads, reads) so that every
//!   pack start code is split;
//! - [`extra_zeros`]: zero bytes before every pack header;
//! - [`split_pes`]: every video PES split in several, with or without the PTS repeated;
//! - [`psm_length`], [`es_map_length`]: a map's lengths made wrong;
//! - [`without_psm`]: every map removed;
//! - [`clear_markers`]: the marker bits of pack and system headers cleared;
//! - [`junk_before_packs`]: junk bytes before some packs;
//! - [`drop_packs`]: some packs lost whole.

use crate::pack::PackHeader;

/// One packet of a stream: where it starts, its length and its start code's last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Offset of its start code.
    pub start: usize,
    /// Bytes, start code included.
    pub len: usize,
    /// The start code's last byte (0xBA pack, 0xBB system header, 0xBC map, PES stream id).
    pub code: u8,
}

impl Packet {
    /// Its bytes in `ps`.
    pub fn bytes<'a>(&self, ps: &'a [u8]) -> &'a [u8] {
        &ps[self.start..self.start + self.len]
    }
}

/// The packets of a well-formed stream, in order; the walk stops at the first bytes that are
/// not a whole packet.
pub fn packets(ps: &[u8]) -> Vec<Packet> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(b) = ps.get(at..at + 6) {
        if b[..3] != [0, 0, 1] {
            break;
        }
        let len = match b[3] {
            0xba => match PackHeader::len_needed(&ps[at..]) {
                Some(Ok(n)) => n,
                _ => break,
            },
            0xb9 => 4,
            code if code > 0xb9 => 6 + usize::from(u16::from_be_bytes([b[4], b[5]])),
            _ => break,
        };
        if at + len > ps.len() {
            break;
        }
        out.push(Packet {
            start: at,
            len,
            code: b[3],
        });
        at += len;
    }
    out
}

/// Rebuilds the stream from its packets, each mapped by `f` to the bytes to write in its
/// place; bytes after the last whole packet follow as they were.
fn rebuild(ps: &[u8], mut f: impl FnMut(usize, &Packet, &mut Vec<u8>)) -> Vec<u8> {
    let list = packets(ps);
    let mut out = Vec::with_capacity(ps.len() + ps.len() / 8);
    let mut end = 0;
    for (i, p) in list.iter().enumerate() {
        f(i, p, &mut out);
        end = p.start + p.len;
    }
    out.extend_from_slice(&ps[end..]);
    out
}

/// Cut points two bytes into every pack start code (`00 00 | 01 BA`): fed to the demuxer in
/// these pieces, or sent as RTP payloads cut there, no pack header arrives whole.
pub fn start_code_cuts(ps: &[u8]) -> Vec<usize> {
    packets(ps)
        .iter()
        .filter(|p| p.code == 0xba && p.start > 0)
        .map(|p| p.start + 2)
        .collect()
}

/// `n` zero bytes before every pack header but the first.
pub fn extra_zeros(ps: &[u8], n: usize) -> Vec<u8> {
    rebuild(ps, |i, p, out| {
        if p.code == 0xba && i > 0 {
            out.extend(std::iter::repeat_n(0, n));
        }
        out.extend_from_slice(p.bytes(ps));
    })
}

/// Every video PES (stream ids 0xE0-0xEF) split into `pieces` PES packets of about equal
/// payload; the later ones repeat the first's header (PTS included) when `repeat_pts`, or
/// carry an optional header without PTS otherwise. Cuts fall anywhere, start codes included.
pub fn split_pes(ps: &[u8], pieces: usize, repeat_pts: bool) -> Vec<u8> {
    let pieces = pieces.max(1);
    rebuild(ps, |_, p, out| {
        let b = p.bytes(ps);
        if !(0xe0..=0xef).contains(&p.code) || b.len() < 9 {
            out.extend_from_slice(b);
            return;
        }
        let header_len = 9 + usize::from(b[8]);
        let (header, payload) = b.split_at(header_len.min(b.len()));
        let size = payload.len().div_ceil(pieces).max(1);
        for (k, chunk) in payload.chunks(size).enumerate() {
            let h: &[u8] = if k == 0 || repeat_pts {
                header
            } else {
                &[0, 0, 1, 0, 0, 0, 0x80, 0, 0]
            };
            let len = (h.len() - 6 + chunk.len()) as u16;
            out.extend_from_slice(&[0, 0, 1, p.code]);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&h[6..]);
            out.extend_from_slice(chunk);
        }
    })
}

fn map_field(ps: &[u8], field: impl Fn(&[u8]) -> Option<usize>, delta: i16) -> Vec<u8> {
    rebuild(ps, |_, p, out| {
        let at = out.len();
        out.extend_from_slice(p.bytes(ps));
        if p.code == 0xbc
            && let Some(f) = field(p.bytes(ps))
        {
            let v = u16::from_be_bytes([out[at + f], out[at + f + 1]]).wrapping_add_signed(delta);
            out[at + f..at + f + 2].copy_from_slice(&v.to_be_bytes());
        }
    })
}

/// Every map's `program_stream_map_length` off by `delta` (the map's bytes and CRC as they
/// were): the demuxer must find where the map really ends.
pub fn psm_length(ps: &[u8], delta: i16) -> Vec<u8> {
    map_field(ps, |_| Some(4), delta)
}

/// Every map's `elementary_stream_map_length` off by `delta` (the CRC as it was).
pub fn es_map_length(ps: &[u8], delta: i16) -> Vec<u8> {
    map_field(
        ps,
        |b| {
            let info = usize::from(u16::from_be_bytes([*b.get(8)?, *b.get(9)?]));
            (10 + info + 2 <= b.len()).then_some(10 + info)
        },
        delta,
    )
}

/// The stream without its program stream maps: the demuxer must sniff the codecs.
pub fn without_psm(ps: &[u8]) -> Vec<u8> {
    rebuild(ps, |_, p, out| {
        if p.code != 0xbc {
            out.extend_from_slice(p.bytes(ps));
        }
    })
}

/// The marker bits of every pack header (MPEG-2) and system header cleared.
pub fn clear_markers(ps: &[u8]) -> Vec<u8> {
    rebuild(ps, |_, p, out| {
        let at = out.len();
        out.extend_from_slice(p.bytes(ps));
        let b = &mut out[at..];
        match p.code {
            0xba if b.len() >= 14 && b[4] >> 6 == 1 => {
                b[4] &= !0x04;
                b[6] &= !0x04;
                b[8] &= !0x04;
                b[9] &= !0x01;
                b[12] &= !0x03;
            }
            0xbb if b.len() >= 12 => {
                b[6] &= !0x80;
                b[8] &= !0x01;
                b[10] &= !0x20;
            }
            _ => {}
        }
    })
}

/// `junk` before every pack whose index (among packs, from 0) `pick` chooses.
pub fn junk_before_packs(ps: &[u8], junk: &[u8], pick: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut pack = None::<usize>;
    rebuild(ps, |_, p, out| {
        if p.code == 0xba {
            let n = pack.map_or(0, |n| n + 1);
            pack = Some(n);
            if pick(n) {
                out.extend_from_slice(junk);
            }
        }
        out.extend_from_slice(p.bytes(ps));
    })
}

/// The stream without the packs (pack header and every packet up to the next one) whose
/// index (among packs, from 0) `pick` chooses: packets lost whole.
pub fn drop_packs(ps: &[u8], pick: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut pack = None::<usize>;
    rebuild(ps, |_, p, out| {
        if p.code == 0xba {
            pack = Some(pack.map_or(0, |n| n + 1));
        }
        if !pack.is_some_and(&pick) {
            out.extend_from_slice(p.bytes(ps));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two packs: a pack header, a map-less system header, a video PES of 8 payload bytes.
    fn stream() -> Vec<u8> {
        let mut ps = Vec::new();
        for k in 0..2u8 {
            PackHeader {
                scr_base: u64::from(k),
                scr_ext: 0,
                mux_rate: 1,
                stuffing: 0,
                mpeg1: false,
            }
            .write(&mut ps);
            ps.extend_from_slice(&[0, 0, 1, 0xe0, 0, 16, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1]);
            ps.extend_from_slice(&[0, 0, 0, 1, 0x09, 0xf0, 0, k]);
        }
        ps
    }

    #[test]
    fn the_walk_finds_every_packet_and_the_rebuild_keeps_them() {
        let ps = stream();
        let list = packets(&ps);
        assert_eq!(
            list.iter().map(|p| p.code).collect::<Vec<_>>(),
            [0xba, 0xe0, 0xba, 0xe0]
        );
        assert_eq!(
            rebuild(&ps, |_, p, out| out.extend_from_slice(p.bytes(&ps))),
            ps
        );
        assert_eq!(start_code_cuts(&ps), [list[2].start + 2]);
    }

    #[test]
    fn a_split_pes_keeps_the_payload_in_order() {
        let ps = stream();
        let split = split_pes(&ps, 3, false);
        let list = packets(&split);
        assert_eq!(list.len(), 8);
        let payload: Vec<u8> = list
            .iter()
            .filter(|p| p.code == 0xe0)
            .flat_map(|p| p.bytes(&split)[9 + usize::from(split[p.start + 8])..].to_vec())
            .collect();
        assert_eq!(
            payload,
            [0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 0, 0, 1, 9, 0xf0, 0, 1]
        );
        assert_eq!(drop_packs(&ps, |i| i == 1), ps[..list[0].len + 22].to_vec());
        assert_eq!(extra_zeros(&ps, 3).len(), ps.len() + 3);
    }
}
