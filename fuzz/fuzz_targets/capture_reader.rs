//! The capture reader and the flow table on hostile bytes: pcap and pcapng files, corrupt or
//! truncated anywhere, with small limits so that the flow, buffer and fragment bounds are hit.
//! Nothing panics, every flow's data and gap offsets run on without a hole or an overlap, and
//! the file read in place (as `weir check` reads a mapped file) gives the packets and errors
//! the streamed reader gives.
#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use weir_capture::flow::CaptureEvents;
use weir_capture::CaptureReader;
use weir_capture::{FlowEvent, Limits};

fuzz_target!(|data: &[u8]| {
    let streamed: Vec<_> = match CaptureReader::new(data) {
        Ok(reader) => reader.collect(),
        Err(e) => vec![Err(e)],
    };
    let in_place: Vec<_> = match CaptureReader::from_bytes(Bytes::copy_from_slice(data)) {
        Ok(reader) => reader.collect(),
        Err(e) => vec![Err(e)],
    };
    assert_eq!(streamed, in_place, "read in place as streamed");
    let limits = Limits {
        max_flows: 4,
        max_buffered_per_direction: 2048,
        max_fragment_bytes: 4096,
        max_fragmented_datagrams: 4,
        fragment_timeout: Duration::from_secs(1),
    };
    let Ok(events) = CaptureEvents::new(data, limits) else {
        return;
    };
    let mut next = HashMap::new();
    for event in events {
        let Ok(event) = event else { break };
        let (key, offset, len) = match event.event {
            FlowEvent::Data {
                flow,
                direction,
                offset,
                bytes,
            } => ((flow, direction), offset, bytes.len() as u64),
            FlowEvent::Gap {
                flow,
                direction,
                offset,
                len,
            } => ((flow, direction), offset, len),
            _ => continue,
        };
        let expected = next.entry(key).or_insert(0u64);
        assert_eq!(offset, *expected, "stream offsets run on");
        assert!(len > 0, "no empty data or gap");
        *expected += len;
    }
});
