//! RTCP compound parsing on arbitrary datagrams; whatever parses writes back to bytes that parse
//! to the same packets, and those bytes are then a fixed point of parse and write.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_rtp::rtcp::{self, Options};

fuzz_target!(|data: &[u8]| {
    let options = Options {
        // Odd lengths take the reduced-size path, so both run on every seed family.
        reduced_size: data.len() % 2 == 1,
        max_twcc_statuses: 4096,
    };
    let Ok(parsed) = rtcp::parse(&Bytes::copy_from_slice(data), &options) else {
        return;
    };
    let written = Bytes::from(parsed.to_bytes().expect("what parsed writes"));
    let again = rtcp::parse(&written, &options).expect("what was written parses");
    assert_eq!(again.packets, parsed.packets);
    assert_eq!(again.to_bytes().expect("writes again"), written.to_vec());
});
