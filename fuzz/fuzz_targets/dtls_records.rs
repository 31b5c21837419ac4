//! DTLS from hostile bytes: the input as one datagram from each side of a `Flow`, then cut
//! into datagrams (each behind a byte whose top bit picks the side and whose rest, times 8,
//! gives the length), so that reassembly across datagrams is reached. Nothing panics, and
//! every plaintext record parsed writes back to bytes that parse to the same record.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use weir_dtls::record::{self, Unit};
use weir_dtls::{Flow, Limits, Side};
use weir_media::Machine;

const LIMITS: Limits = Limits {
    max_message: 4096,
    max_pending: 4,
};

fn drain(flow: &mut Flow) {
    while flow.poll_output().is_some() {}
}

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut violations = Vec::new();
    for unit in record::parse_datagram(&Bytes::copy_from_slice(data), &mut violations) {
        if let Unit::Record { record, .. } = unit {
            let mut bytes = Vec::new();
            record.write(&mut bytes);
            let again = record::parse_datagram(&Bytes::from(bytes), &mut Vec::new());
            assert_eq!(again, [Unit::Record { offset: 0, record }]);
        }
    }

    let mut flow = Flow::new(Side::Client, LIMITS);
    flow.handle_input(now, data).unwrap();
    flow.handle_datagram(now, Side::Server, data);
    drain(&mut flow);

    let mut flow = Flow::new(Side::Client, LIMITS);
    let mut rest = data;
    while let Some((&head, tail)) = rest.split_first() {
        let side = if head & 0x80 == 0 { Side::Client } else { Side::Server };
        let len = (usize::from(head & 0x7f) * 8).min(tail.len());
        let (datagram, next) = tail.split_at(len);
        flow.handle_datagram(now, side, datagram);
        drain(&mut flow);
        rest = next;
    }
    flow.handle_end(now).unwrap();
    drain(&mut flow);
});
