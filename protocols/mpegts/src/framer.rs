//! Packet framing (13818-1 §2.4.3.2; TR 101 290 1.1 and 1.2): finds the sync byte, the
//! packet size (188, 192 or 204 bytes from one sync byte to the next) and cuts the byte
//! stream into transport packets, whatever pieces the bytes arrive in.
//!
//! Sync is acquired on five sync bytes at one stride (TR 101 290's acquisition count), tried
//! for 188, then 192, then 204 bytes. Once locked, a packet whose sync byte is wrong loses
//! sync: the framer searches again from the byte after it, and reports one violation for the
//! bytes it skipped (`sync-byte` when exactly that one packet was lost in step, `sync-loss`
//! otherwise). At the end of input a candidate needs only the sync bytes that fit.

use crate::packet::{PACKET_LEN, PacketSize, SYNC_BYTE};
use crate::rules::{SYNC_BYTE as SYNC_BYTE_RULE, SYNC_LOSS, TRUNCATED};
use crate::sync::in_step;
use weir_media::Violation;

/// Sync bytes in a row that acquire sync.
const ACQUIRE: usize = 5;

/// What the framer hands its caller, in stream order.
#[derive(Debug)]
pub enum Framed<'a> {
    /// One transport packet and the stream offset of its sync byte.
    Packet(u64, &'a [u8; PACKET_LEN]),
    /// The packet size found when sync was (re)acquired.
    Locked(PacketSize),
    /// A framing problem: sync lost and bytes skipped, or a packet cut short by the end of the stream.
    Violation(Violation),
}

/// Why the framer is searching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lost {
    /// At the start of the stream.
    Start,
    /// At the packet at this offset, whose sync byte was this value, with this stride.
    At {
        offset: u64,
        byte: u8,
        stride: usize,
    },
}

/// The framing machine.
#[derive(Debug)]
pub struct Framer {
    size: Option<PacketSize>,
    /// Bytes not yet consumed: a partial packet while locked, the search window otherwise.
    pending: Vec<u8>,
    /// Stream offset of `pending[0]` (or of the next byte, when `pending` is empty).
    offset: u64,
    /// Set while searching.
    lost: Option<Lost>,
    /// Stream offset where the bytes skipped by the current search began.
    skipped_from: u64,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// A framer searching for sync from the first byte.
    pub fn new() -> Self {
        Framer {
            size: None,
            pending: Vec::new(),
            offset: 0,
            lost: Some(Lost::Start),
            skipped_from: 0,
        }
    }

    /// The packet size in use, once sync is acquired.
    pub fn packet_size(&self) -> Option<PacketSize> {
        self.size.filter(|_| self.lost.is_none())
    }

    /// Stream offset of the next byte to be pushed.
    pub fn position(&self) -> u64 {
        self.offset + self.pending.len() as u64
    }

    /// Bytes held between calls (at most a packet while locked, a search window otherwise).
    pub fn buffered(&self) -> usize {
        self.pending.len()
    }

    /// Takes the next bytes of the stream; packets and violations go to `out` in order.
    pub fn push(&mut self, mut data: &[u8], out: &mut impl FnMut(Framed<'_>)) {
        if self.lost.is_none() && !self.pending.is_empty() {
            // Complete the packet begun in an earlier piece.
            let stride = self.stride();
            let take = (stride - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < stride {
                return;
            }
            let unit = std::mem::take(&mut self.pending);
            let at = self.offset;
            self.offset += stride as u64;
            if !self.unit(at, &unit, out) {
                // Sync lost: search from the byte after the bad sync byte.
                self.offset = at + 1;
                self.pending.extend_from_slice(&unit[1..]);
                self.pending.extend_from_slice(data);
                self.search(false, out);
                return;
            }
            self.pending = unit;
            self.pending.clear();
        }
        if self.lost.is_none() {
            let consumed = self.run(data, out);
            if self.lost.is_none() {
                self.pending.extend_from_slice(&data[consumed..]);
                return;
            }
            self.pending.extend_from_slice(&data[consumed + 1..]);
        } else {
            self.pending.extend_from_slice(data);
        }
        self.search(false, out);
    }

    /// Declares the end of the stream: a last packet without its trailing bytes (M2TS, RS)
    /// is read, a partial one is reported, and bytes that never synced are reported.
    pub fn finish(&mut self, out: &mut impl FnMut(Framed<'_>)) {
        if self.lost.is_some() {
            self.search(true, out);
        }
        if self.pending.is_empty() {
            return;
        }
        if self.lost.is_none() {
            if self.pending.len() >= PACKET_LEN && self.pending[0] == SYNC_BYTE {
                let unit = std::mem::take(&mut self.pending);
                out(Framed::Packet(
                    self.offset,
                    unit[..PACKET_LEN].try_into().expect("188"),
                ));
            } else {
                out(Framed::Violation(Violation::new(
                    &TRUNCATED,
                    self.offset,
                    format!(
                        "the stream ends {} bytes into a {}-byte packet",
                        self.pending.len(),
                        self.stride()
                    ),
                )));
            }
        }
        self.offset += self.pending.len() as u64;
        self.pending.clear();
    }

    fn stride(&self) -> usize {
        self.size.map_or(PACKET_LEN, PacketSize::stride)
    }

    /// Reads one locked unit; false (and nothing emitted) if its sync byte is wrong.
    fn unit(&mut self, at: u64, unit: &[u8], out: &mut impl FnMut(Framed<'_>)) -> bool {
        if unit[0] != SYNC_BYTE {
            self.lost = Some(Lost::At {
                offset: at,
                byte: unit[0],
                stride: unit.len(),
            });
            self.skipped_from = at;
            return false;
        }
        out(Framed::Packet(
            at,
            unit[..PACKET_LEN].try_into().expect("188"),
        ));
        true
    }

    /// Emits the whole units of `data` while locked; returns the bytes consumed. On a bad
    /// sync byte it stops there (the bad unit not consumed) with `lost` set.
    fn run(&mut self, data: &[u8], out: &mut impl FnMut(Framed<'_>)) -> usize {
        let stride = self.stride();
        let mut at = 0;
        while data.len() - at >= stride {
            let unit = &data[at..at + stride];
            if unit[0] != SYNC_BYTE {
                self.lost = Some(Lost::At {
                    offset: self.offset,
                    byte: unit[0],
                    stride,
                });
                self.skipped_from = self.offset;
                // The search restarts after this byte.
                self.offset += 1;
                return at;
            }
            out(Framed::Packet(
                self.offset,
                unit[..PACKET_LEN].try_into().expect("188"),
            ));
            self.offset += stride as u64;
            at += stride;
        }
        at
    }

    /// Searches `pending` for sync. On success reports what was skipped, locks, and frames
    /// the rest of `pending` (searching again if sync is lost there).
    fn search(&mut self, end: bool, out: &mut impl FnMut(Framed<'_>)) {
        let mut pending = std::mem::take(&mut self.pending);
        // `pending[from]` is at stream offset `self.offset`.
        let mut from = 0;
        loop {
            let (keep, found) = find_sync(&pending[from..], end);
            from += keep;
            self.offset += keep as u64;
            let Some(size) = found else {
                if end {
                    let rest = (pending.len() - from) as u64;
                    let skipped = self.offset + rest - self.skipped_from;
                    self.report_skip(skipped, None, out);
                    self.offset += rest;
                    from = pending.len();
                    self.skipped_from = self.offset;
                }
                break;
            };
            let skipped = self.offset - self.skipped_from;
            self.report_skip(skipped, Some(size), out);
            self.lost = None;
            if self.size != Some(size) {
                out(Framed::Locked(size));
            }
            self.size = Some(size);
            from += self.run(&pending[from..], out);
            if self.lost.is_none() {
                break;
            }
            // `run` stopped on a bad sync byte; the search resumes after it.
            from += 1;
        }
        pending.drain(..from);
        self.pending = pending;
    }

    /// Reports the `skipped` bytes before the packet now synced (`size`), or before the end
    /// of the stream (`None`).
    fn report_skip(
        &mut self,
        skipped: u64,
        size: Option<PacketSize>,
        out: &mut impl FnMut(Framed<'_>),
    ) {
        let from = self.skipped_from;
        let v = match self.lost {
            Some(Lost::Start) if skipped == 0 => return,
            // An M2TS file begins with the 4-byte timestamp of its first packet.
            Some(Lost::Start) if skipped == 4 && size == Some(PacketSize::M2ts192) => return,
            Some(Lost::Start) => Violation::new(
                &SYNC_LOSS,
                from,
                match size {
                    Some(_) => format!("{skipped} bytes before the first transport packet"),
                    None => format!("no transport packet in {skipped} bytes"),
                },
            ),
            Some(Lost::At { byte, stride, .. })
                if size.is_some_and(|s| s.stride() == stride) && skipped == stride as u64 =>
            {
                Violation::new(
                    &SYNC_BYTE_RULE,
                    from,
                    format!("sync byte {byte:#04x} instead of 0x47; the packet is dropped"),
                )
            }
            Some(Lost::At { byte, .. }) => Violation::new(
                &SYNC_LOSS,
                from,
                match size {
                    Some(_) => format!(
                        "sync lost (byte {byte:#04x} where a sync byte was due): {skipped} bytes skipped before the next packet"
                    ),
                    None => format!(
                        "sync lost (byte {byte:#04x} where a sync byte was due): no packet in the {skipped} bytes before the end"
                    ),
                },
            ),
            None => return,
        };
        out(Framed::Violation(v));
    }
}

/// Looks for a sync position in `data`: returns where to keep bytes from, and the packet size
/// if sync is found there. Without a find, bytes before the returned index can never start a
/// packet. At the `end` a candidate needs only the sync bytes that fit and one whole packet.
fn find_sync(data: &[u8], end: bool) -> (usize, Option<PacketSize>) {
    for p in memchr::memchr_iter(SYNC_BYTE, data) {
        let mut undecided = false;
        for size in PacketSize::ALL {
            let s = size.stride();
            let needed = p + (ACQUIRE - 1) * s + 1;
            if data.len() >= needed {
                if in_step(&data[p..needed], 0, s) {
                    return (p, Some(size));
                }
            } else if !end {
                undecided = true;
            } else if data.len() >= p + PACKET_LEN && in_step(&data[p..], 0, s) {
                return (p, Some(size));
            }
        }
        if undecided {
            return (p, None);
        }
    }
    (data.len(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(n: usize, stride: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            let mut unit = vec![i as u8; stride];
            unit[0] = SYNC_BYTE;
            out.extend_from_slice(&unit);
        }
        out
    }

    #[derive(Debug, PartialEq)]
    enum Item {
        Packet(u64, u8),
        Locked(PacketSize),
        Violation(&'static str, u64),
    }

    fn frame(pieces: &[&[u8]]) -> Vec<Item> {
        let mut items = Vec::new();
        let mut framer = Framer::new();
        let mut out = |f: Framed<'_>| {
            items.push(match f {
                Framed::Packet(at, p) => Item::Packet(at, p[1]),
                Framed::Locked(size) => Item::Locked(size),
                Framed::Violation(v) => Item::Violation(v.rule.id, v.offset),
            })
        };
        for piece in pieces {
            framer.push(piece, &mut out);
        }
        framer.finish(&mut out);
        items
    }

    fn all_splits(data: &[u8]) -> Vec<Item> {
        let whole = frame(&[data]);
        let bytes: Vec<&[u8]> = data.chunks(1).collect();
        assert_eq!(frame(&bytes), whole, "byte by byte");
        for cut in [1, 7, 188, 200, 500] {
            if cut < data.len() {
                assert_eq!(frame(&[&data[..cut], &data[cut..]]), whole, "cut at {cut}");
            }
        }
        whole
    }

    #[test]
    fn plain_m2ts_and_rs_streams() {
        for (size, stride) in [(PacketSize::Ts188, 188), (PacketSize::Rs204, 204)] {
            let items = all_splits(&packets(7, stride));
            assert_eq!(items[0], Item::Locked(size));
            assert_eq!(items.len(), 8);
            assert_eq!(items[7], Item::Packet(6 * stride as u64, 6));
        }
        // M2TS: a 4-byte timestamp before each packet; the last packet has no trailing one.
        let mut m2ts = Vec::new();
        for i in 0..6u8 {
            m2ts.extend_from_slice(&[0, 0, 0, i]);
            let mut p = vec![i; 188];
            p[0] = SYNC_BYTE;
            m2ts.extend_from_slice(&p);
        }
        let items = all_splits(&m2ts);
        assert_eq!(items[0], Item::Locked(PacketSize::M2ts192));
        assert_eq!(items.len(), 7);
        assert_eq!(items[6], Item::Packet(4 + 5 * 192, 5));
    }

    #[test]
    fn garbage_before_between_and_after() {
        let mut data = b"junk".repeat(10);
        data.extend_from_slice(&packets(6, 188));
        data.extend_from_slice(&[1, 2, 3]); // inserted bytes: sync lost
        data.extend_from_slice(&packets(6, 188));
        data.extend_from_slice(&[SYNC_BYTE, 9, 9]); // a partial packet at the end
        let items = all_splits(&data);
        assert_eq!(items[0], Item::Violation("mpegts.packet.sync-loss", 0));
        assert_eq!(items[1], Item::Locked(PacketSize::Ts188));
        assert_eq!(items[2], Item::Packet(40, 0));
        assert_eq!(
            items[8],
            Item::Violation("mpegts.packet.sync-loss", 40 + 6 * 188)
        );
        assert_eq!(items[9], Item::Packet(40 + 6 * 188 + 3, 0));
        assert_eq!(
            items.last(),
            Some(&Item::Violation(
                "mpegts.packet.truncated",
                40 + 12 * 188 + 3
            ))
        );
    }

    #[test]
    fn one_bad_sync_byte_drops_one_packet() {
        let mut data = packets(12, 188);
        data[5 * 188] = 0x48;
        let items = all_splits(&data);
        assert_eq!(
            items[6],
            Item::Violation("mpegts.packet.sync-byte", 5 * 188)
        );
        assert_eq!(items[7], Item::Packet(6 * 188, 6));
        assert_eq!(items.len(), 1 + 11 + 1);
    }

    #[test]
    fn short_streams_and_no_stream() {
        assert_eq!(
            all_splits(&packets(1, 188)),
            [Item::Locked(PacketSize::Ts188), Item::Packet(0, 0)]
        );
        assert_eq!(
            all_splits(b"version https://git-lfs.github.com/spec/v1"),
            [Item::Violation("mpegts.packet.sync-loss", 0)]
        );
        assert_eq!(frame(&[]), []);
    }
}
