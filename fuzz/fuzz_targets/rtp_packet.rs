//! RtpPacket::parse on arbitrary bytes: no panic; what parses writes back to the same bytes
//! (padding octets before the count written as zeros) and parses again to itself; its
//! extension's RFC 8285 elements read without panic, each as every typed kind, and write back
//! to elements that read the same. Then the same bytes as sequence numbers and timestamps
//! through the reception statistics, whose counts must stay consistent. And the bytes as a
//! captured datagram that may be an uncut GSO run: what `gso::split` cuts joins back to them,
//! each piece an RTP header at least.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};
use weir_rtp::RtpPacket;
use weir_rtp::extension::{Elements, Kind, write_in};
use weir_rtp::stats::Reception;

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);
    let known = [0x8080_8080, 0];
    if let Some(run) = weir_rtp::gso::split(&bytes, &known) {
        assert!(run.len() >= 2 && run.iter().all(|p| p.len() >= 12));
        assert_eq!(run.concat(), data);
    }
    if let Ok(packet) = RtpPacket::parse(&bytes) {
        let written = packet.to_bytes().expect("a parsed packet writes");
        let mut normalized = data.to_vec();
        let pad = usize::from(packet.padding);
        if pad > 1 {
            let end = normalized.len() - 1;
            normalized[end + 1 - pad..end].fill(0);
        }
        assert_eq!(&written[..], &normalized[..], "written back as read");
        assert_eq!(RtpPacket::parse(&written).as_ref(), Ok(&packet));
        if let Some(ext) = &packet.extension {
            let mut violations = Vec::new();
            if let Some(elements) = Elements::parse(ext, &mut violations) {
                for e in &elements.elements {
                    for kind in Kind::ALL {
                        if let Ok(value) = kind.read(&e.data) {
                            assert_eq!(kind.read(&value.to_bytes().expect("writes")), Ok(value));
                        }
                    }
                }
                if let Ok(again) = write_in(elements.form, &elements.elements) {
                    let read = Elements::parse(&again, &mut Vec::new()).expect("RFC 8285");
                    assert_eq!(read.elements, elements.elements);
                }
            }
        }
    }

    let start = Instant::now();
    let mut reception = Reception::new(90_000);
    for (i, chunk) in data.chunks_exact(4).enumerate() {
        let seq = u16::from_be_bytes([chunk[0], chunk[1]]);
        let ts = u32::from(u16::from_be_bytes([chunk[2], chunk[3]])) * 90;
        reception.on_packet(start + Duration::from_millis(i as u64), seq, ts);
        assert!(reception.expected() <= reception.extended_highest() + 1);
        let block = reception.report_block();
        assert!((-0x80_0000..=0x7f_ffff).contains(&block.cumulative_lost));
    }
});
