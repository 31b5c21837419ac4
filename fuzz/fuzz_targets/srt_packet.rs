//! SRT datagrams from hostile bytes: a parse that, when it succeeds, writes back to bytes that
//! parse to the same packet, and never panics or allocates past the datagram's size.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_srt::{Packet, packet};

fuzz_target!(|data: &[u8]| {
    let _ = packet::peek(data);
    let _ = packet::is_srt_packet(data);
    let datagram = Bytes::copy_from_slice(data);
    let mut violations = Vec::new();
    if let Ok(packet) = Packet::parse(&datagram, &mut violations) {
        let bytes = packet.to_bytes();
        let again = Packet::parse(&bytes, &mut Vec::new());
        assert_eq!(again.as_ref(), Ok(&packet));
        assert_eq!(again.unwrap().to_bytes(), bytes, "our writing is canonical");
    }
});
