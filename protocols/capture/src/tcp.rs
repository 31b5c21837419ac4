//! TCP segments (RFC 9293 §3.1) and the reassembly of one direction of a connection.
//!
//! [`Reassembler`] turns segments, in whatever order the capture holds them, into the byte
//! stream the receiving application saw: retransmitted and overlapping bytes are given once
//! (the copy delivered first wins), segments that arrive early wait in a bounded buffer, and
//! bytes that never arrive become a [`StreamEvent::Gap`] with their exact offset and length.
//! Offsets count from the first byte after the SYN (ISN + 1), or from the first segment seen
//! when the capture picked the connection up mid-stream.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::{Header, Unopened};

/// The TCP flags the reassembly needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

/// One TCP segment: ports, sequence number, flags and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub flags: Flags,
    pub payload: Bytes,
}

impl Segment {
    /// Parses a TCP header and its payload (RFC 9293 §3.1); the checksum is not verified.
    pub fn parse(data: &Bytes) -> Result<Segment, Unopened> {
        let mut h = Header::new(data, "TCP header");
        h.need(20)?;
        let src_port = h.u16()?;
        let dst_port = h.u16()?;
        let seq = h.u32()?;
        // The acknowledgement number.
        h.skip(4)?;
        let header_len = usize::from(h.u8()? >> 4) * 4;
        if header_len < 20 {
            return Err(Unopened::Malformed {
                layer: "TCP header",
                detail: format!("data offset {header_len} bytes, under 20"),
            });
        }
        let bits = h.u8()?;
        // The options.
        h.need(header_len - h.position())?;
        Ok(Segment {
            src_port,
            dst_port,
            seq,
            flags: Flags {
                fin: bits & 0x01 != 0,
                syn: bits & 0x02 != 0,
                rst: bits & 0x04 != 0,
                ack: bits & 0x10 != 0,
            },
            payload: data.slice(header_len..),
        })
    }
}

/// What one direction's reassembly yields, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// Bytes at `offset` of the stream; each offset is delivered once, in order.
    Data { offset: u64, bytes: Bytes },
    /// `len` bytes at `offset` that the capture does not hold (lost, not captured, or given up
    /// on because the out-of-order buffer was full).
    Gap { offset: u64, len: u64 },
    /// The sender closed its side after `offset` bytes.
    Fin { offset: u64 },
}

/// Reassembles one direction of a TCP connection.
#[derive(Debug)]
pub struct Reassembler {
    /// The sequence number of stream offset 0; `None` until the first segment.
    base: Option<u32>,
    /// The stream offset delivered up to (everything before it was given as data or gap).
    next: u64,
    /// Early segments by stream offset.
    early: BTreeMap<u64, Bytes>,
    early_bytes: usize,
    max_early_bytes: usize,
    /// Stream offset of the FIN, once seen.
    fin: Option<u64>,
    fin_delivered: bool,
    /// The first segment seen was not a SYN.
    midstream: bool,
}

impl Reassembler {
    /// A reassembler that holds at most `max_early_bytes` of out-of-order data.
    pub fn new(max_early_bytes: usize) -> Self {
        Reassembler {
            base: None,
            next: 0,
            early: BTreeMap::new(),
            early_bytes: 0,
            max_early_bytes,
            fin: None,
            fin_delivered: false,
            midstream: false,
        }
    }

    /// True when the stream was picked up without its SYN (offsets count from the first
    /// segment seen).
    pub fn midstream(&self) -> bool {
        self.midstream
    }

    /// True once the FIN was reached in order.
    pub fn finished(&self) -> bool {
        self.fin_delivered
    }

    /// Feeds one segment; appends what it makes deliverable to `out`.
    pub fn push(&mut self, seq: u32, flags: Flags, payload: Bytes, out: &mut Vec<StreamEvent>) {
        let data_seq = if flags.syn { seq.wrapping_add(1) } else { seq };
        let base = match self.base {
            Some(base) => base,
            None => {
                if !flags.syn && payload.is_empty() && !flags.fin {
                    // A bare ACK or RST tells nothing about where the stream starts.
                    return;
                }
                self.midstream = !flags.syn;
                self.base = Some(data_seq);
                data_seq
            }
        };
        let offset = self.offset_of(base, data_seq);
        let end = offset + payload.len() as i64;
        if flags.fin && self.fin.is_none() && end >= self.next as i64 {
            self.set_fin(end as u64);
        }
        let payload = match self.fin {
            // Nothing follows a FIN: bytes past it are not part of the stream.
            Some(fin) => {
                payload.slice(..(fin as i64 - offset).clamp(0, payload.len() as i64) as usize)
            }
            None => payload,
        };
        if !payload.is_empty() {
            self.accept(offset, payload, out);
        }
        self.deliver_fin(out);
    }

    /// Records the end of the stream, and forgets held bytes past it.
    fn set_fin(&mut self, fin: u64) {
        self.fin = Some(fin);
        let past = self.early.split_off(&fin);
        self.early_bytes -= past.values().map(Bytes::len).sum::<usize>();
        for (&offset, held) in self.early.iter_mut() {
            let keep = (fin - offset) as usize;
            if held.len() > keep {
                self.early_bytes -= held.len() - keep;
                held.truncate(keep);
            }
        }
    }

    /// Gives up waiting: every hole before data still held becomes a gap, and a FIN seen
    /// beyond the delivered bytes closes the stream after a final gap. For a reset or the end
    /// of the capture.
    pub fn flush(&mut self, out: &mut Vec<StreamEvent>) {
        while let Some((&offset, _)) = self.early.first_key_value() {
            self.skip_to(offset, out);
            self.drain(out);
        }
        if let Some(fin) = self.fin {
            self.skip_to(fin, out);
        }
        self.deliver_fin(out);
    }

    /// The stream offset of `seq`: the 32-bit distance from the delivered point, taken as
    /// signed so that wrap-around and old retransmissions both land right (RFC 9293 §3.4).
    /// Negative for bytes before the first one seen (an old retransmission at a mid-stream
    /// pickup).
    fn offset_of(&self, base: u32, seq: u32) -> i64 {
        let next_seq = base.wrapping_add(self.next as u32);
        self.next as i64 + i64::from(seq.wrapping_sub(next_seq) as i32)
    }

    fn accept(&mut self, offset: i64, payload: Bytes, out: &mut Vec<StreamEvent>) {
        let next = self.next as i64;
        if offset + payload.len() as i64 <= next {
            return; // a retransmission of bytes already delivered
        }
        if offset <= next {
            // In order, the usual case, moves the segment on (no count taken and dropped).
            let fresh = match offset == next {
                true => payload,
                false => payload.slice((next - offset) as usize..),
            };
            self.emit(fresh, out);
            self.drain(out);
            return;
        }
        let offset = offset as u64;
        // Early: wait for the hole before it, within the buffer limit.
        while self.early_bytes + payload.len() > self.max_early_bytes {
            let Some((&first, _)) = self.early.first_key_value() else {
                break;
            };
            if first > offset {
                break;
            }
            self.skip_to(first, out);
            self.drain(out);
        }
        if offset <= self.next || self.early_bytes + payload.len() > self.max_early_bytes {
            // Either the hole is gone, or there is still no room and this segment is the
            // earliest one held: give up the hole before it.
            self.skip_to(offset, out);
            self.accept(offset as i64, payload, out);
        } else {
            let keep = match self.early.get(&offset) {
                Some(held) => held.len() < payload.len(),
                None => true,
            };
            if keep {
                if let Some(old) = self.early.insert(offset, payload.clone()) {
                    self.early_bytes -= old.len();
                }
                self.early_bytes += payload.len();
            }
        }
    }

    /// Delivers held segments that now start at or before the delivered point.
    fn drain(&mut self, out: &mut Vec<StreamEvent>) {
        while let Some(entry) = self.early.first_entry() {
            let offset = *entry.key();
            if offset > self.next {
                break;
            }
            let bytes = entry.remove();
            self.early_bytes -= bytes.len();
            let end = offset + bytes.len() as u64;
            if end > self.next {
                self.emit(bytes.slice((self.next - offset) as usize..), out);
            }
        }
    }

    fn emit(&mut self, bytes: Bytes, out: &mut Vec<StreamEvent>) {
        let offset = self.next;
        self.next += bytes.len() as u64;
        out.push(StreamEvent::Data { offset, bytes });
    }

    /// Reports the bytes from the delivered point to `offset` as missing.
    fn skip_to(&mut self, offset: u64, out: &mut Vec<StreamEvent>) {
        if offset > self.next {
            out.push(StreamEvent::Gap {
                offset: self.next,
                len: offset - self.next,
            });
            self.next = offset;
        }
    }

    fn deliver_fin(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(fin) = self.fin
            && !self.fin_delivered
            && self.next >= fin
        {
            self.fin_delivered = true;
            out.push(StreamEvent::Fin { offset: fin });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN: Flags = Flags {
        syn: true,
        ack: false,
        fin: false,
        rst: false,
    };
    const ACK: Flags = Flags {
        syn: false,
        ack: true,
        fin: false,
        rst: false,
    };
    const FIN: Flags = Flags {
        syn: false,
        ack: true,
        fin: true,
        rst: false,
    };

    fn run(r: &mut Reassembler, segments: &[(u32, Flags, &[u8])]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for &(seq, flags, data) in segments {
            r.push(seq, flags, Bytes::copy_from_slice(data), &mut out);
        }
        out
    }

    fn data(offset: u64, bytes: &[u8]) -> StreamEvent {
        StreamEvent::Data {
            offset,
            bytes: Bytes::copy_from_slice(bytes),
        }
    }

    #[test]
    fn in_order_with_wrapping_sequence_numbers() {
        let mut r = Reassembler::new(1 << 20);
        let isn = u32::MAX - 2;
        let out = run(
            &mut r,
            &[
                (isn, SYN, b""),
                (isn.wrapping_add(1), ACK, b"abcd"),
                (isn.wrapping_add(5), FIN, b"ef"),
            ],
        );
        assert_eq!(
            out,
            vec![
                data(0, b"abcd"),
                data(4, b"ef"),
                StreamEvent::Fin { offset: 6 }
            ]
        );
        assert!(!r.midstream());
    }

    #[test]
    fn reordered_duplicated_and_overlapping() {
        let mut r = Reassembler::new(1 << 20);
        let out = run(
            &mut r,
            &[
                (100, SYN, b""),
                (106, ACK, b"fghij"),
                (101, ACK, b"abc"),
                (101, ACK, b"abc"),
                (104, ACK, b"dEFG"), // overlaps the held "fg": it is delivered first, and wins
                (111, ACK, b"klm"),
            ],
        );
        assert_eq!(
            out,
            vec![
                data(0, b"abc"),
                data(3, b"dEFG"),
                data(7, b"hij"),
                data(10, b"klm")
            ]
        );
    }

    #[test]
    fn lost_segment_is_a_gap_at_flush() {
        let mut r = Reassembler::new(1 << 20);
        let mut out = run(
            &mut r,
            &[
                (0, SYN, b""),
                (1, ACK, b"abc"),
                (7, ACK, b"ghi"),
                (10, FIN, b""),
            ],
        );
        assert_eq!(out, vec![data(0, b"abc")]);
        r.flush(&mut out);
        assert_eq!(
            out[1..],
            [
                StreamEvent::Gap { offset: 3, len: 3 },
                data(6, b"ghi"),
                StreamEvent::Fin { offset: 9 }
            ]
        );
    }

    #[test]
    fn nothing_past_the_fin() {
        let mut r = Reassembler::new(1 << 20);
        let mut out = run(
            &mut r,
            &[
                (0, SYN, b""),
                (5, ACK, b"efghij"),
                (3, FIN, b"cd"),
                (1, ACK, b"abcdefgh"),
            ],
        );
        r.flush(&mut out);
        assert_eq!(out, vec![data(0, b"abcd"), StreamEvent::Fin { offset: 4 }]);
    }

    #[test]
    fn full_buffer_gives_up_the_hole() {
        let mut r = Reassembler::new(8);
        let out = run(
            &mut r,
            &[
                (0, SYN, b""),
                (1, ACK, b"ab"),
                (5, ACK, b"efgh"),
                (9, ACK, b"ijkl"),
                (13, ACK, b"m"),
            ],
        );
        assert_eq!(
            out,
            vec![
                data(0, b"ab"),
                StreamEvent::Gap { offset: 2, len: 2 },
                data(4, b"efgh"),
                data(8, b"ijkl"),
                data(12, b"m"),
            ]
        );
    }

    #[test]
    fn segment_larger_than_the_buffer() {
        let mut r = Reassembler::new(4);
        let out = run(&mut r, &[(0, SYN, b""), (11, ACK, b"0123456789")]);
        assert_eq!(
            out,
            vec![
                StreamEvent::Gap { offset: 0, len: 10 },
                data(10, b"0123456789")
            ]
        );
    }

    #[test]
    fn midstream_pickup_starts_at_first_data() {
        let mut r = Reassembler::new(1 << 20);
        let out = run(
            &mut r,
            &[
                (5000, ACK, b""),
                (7000, ACK, b"xyz"),
                (6990, ACK, b"old"),
                (6998, ACK, b"abxyzw"),
            ],
        );
        assert_eq!(out, vec![data(0, b"xyz"), data(3, b"w")]);
        assert!(r.midstream());
    }

    #[test]
    fn parse_segment_header() {
        let mut raw = vec![0x07, 0x8f, 0xc2, 0x5d, 0, 0, 0, 9, 0, 0, 0, 0, 0x60, 0x12];
        raw.extend_from_slice(&[0; 6]);
        raw.extend_from_slice(&[2, 4, 5, 0xb4, b'h', b'i']);
        let seg = Segment::parse(&Bytes::from(raw)).unwrap();
        assert_eq!((seg.src_port, seg.dst_port, seg.seq), (1935, 49757, 9));
        assert!(seg.flags.syn && seg.flags.ack && !seg.flags.fin);
        assert_eq!(seg.payload.as_ref(), b"hi");
        let short = Bytes::from_static(&[0; 20]);
        assert!(matches!(
            Segment::parse(&short),
            Err(Unopened::Malformed { .. })
        ));
    }
}
