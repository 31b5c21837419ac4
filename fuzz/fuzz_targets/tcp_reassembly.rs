//! One direction of TCP reassembly fed arbitrary segments: sequence numbers anywhere (around
//! the 32-bit wrap too), any flags, a small out-of-order buffer. Nothing panics; delivered
//! data and gaps run on from offset 0 without a hole or an overlap; FIN comes once, last; a
//! stream built from one source never delivers bytes that differ from the source.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_capture::tcp::{Flags, Reassembler, StreamEvent};

/// The bytes a segment at stream position `at` carries: a function of the position, so every
/// copy of a position is the same byte and delivered data can be checked.
fn source(at: u64) -> u8 {
    (at.wrapping_mul(31) >> 3) as u8
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let isn = u32::from(first).wrapping_mul(0x0101_0101).wrapping_sub(300);
    let mut r = Reassembler::new(256);
    let mut out = Vec::new();
    r.push(
        isn,
        Flags {
            syn: true,
            ..Flags::default()
        },
        Bytes::new(),
        &mut out,
    );
    for segment in rest.chunks(4) {
        let &[a, b, c, d] = segment else { break };
        // Positions within a few kilobytes of the start, some a little before it.
        let start = i64::from(u16::from_be_bytes([a, b]) % 6000) - 100;
        let len = u64::from(c % 200);
        let flags = Flags {
            syn: false,
            ack: true,
            fin: d & 1 != 0,
            rst: false,
        };
        let payload: Vec<u8> = (0..len)
            .map(|i| source((start + i as i64).rem_euclid(1 << 32) as u64))
            .collect();
        let seq = isn.wrapping_add(1).wrapping_add(start as u32);
        r.push(seq, flags, Bytes::from(payload), &mut out);
        if d & 2 != 0 {
            r.flush(&mut out);
        }
    }
    r.flush(&mut out);
    let mut next = 0u64;
    let mut fin = false;
    for event in out {
        assert!(!fin, "nothing after FIN");
        match event {
            StreamEvent::Data { offset, bytes } => {
                assert_eq!(offset, next);
                assert!(!bytes.is_empty());
                for (i, b) in bytes.iter().enumerate() {
                    assert_eq!(
                        *b,
                        source(offset + i as u64),
                        "byte at {}",
                        offset + i as u64
                    );
                }
                next += bytes.len() as u64;
            }
            StreamEvent::Gap { offset, len } => {
                assert_eq!(offset, next);
                assert!(len > 0);
                next += len;
            }
            StreamEvent::Fin { offset } => {
                assert_eq!(offset, next);
                fin = true;
            }
        }
    }
});
