//! The RFC 4571 deframer over arbitrary bytes: no panic, no error, the same outputs whole and
//! cut where the data's first bytes say, at most one violation (a stream cut short), and the
//! packets it gives framed again are the bytes it read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_rtp::framing::{Deframer, Framed, write_frame};
use weir_testkit::split;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (seed, input) = rest.split_at((usize::from(n) % 32 * 2).min(rest.len()));
    let out = split::check(Deframer::new, input, &split::cuts(seed, input.len()));
    assert_eq!(out.error, None, "the deframer never fails");
    assert!(out.violations.len() <= 1);
    let mut again = Vec::new();
    for event in &out.events {
        let packet = match event {
            Framed::Packet { data, .. } => &data[..],
            Framed::Null { .. } => &[],
        };
        write_frame(packet, &mut again).expect("a read packet frames");
    }
    assert!(input.starts_with(&again), "framed again, the bytes read");
    assert_eq!(again.len() < input.len(), !out.violations.is_empty());
});
