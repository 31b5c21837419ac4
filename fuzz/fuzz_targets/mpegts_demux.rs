//! The MPEG-TS demuxer over arbitrary bytes (with small limits): no panic, memory bounded by
//! the limits, the same outputs whole and in pieces of a size the data chooses; then the
//! muxer over whatever configs and frames came out, and the demuxer over its output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use weir_media::Output;
use weir_mpegts::{DemuxEvent, Demuxer, Limits, Muxer, PACKET_LEN};
use weir_media::Machine;

const LIMITS: Limits = Limits {
    max_pes_size: 64 * 1024,
    max_buffered: 128 * 1024,
    max_programs: 4,
    max_streams: 8,
    max_held_packets: 64,
};

fn demux(pieces: &[&[u8]]) -> Vec<Output<DemuxEvent>> {
    let now = Instant::now();
    let mut d = Demuxer::new(LIMITS);
    let bound = LIMITS.max_buffered
        + LIMITS.max_pes_size
        + LIMITS.max_held_packets * PACKET_LEN
        + 4096
        + pieces.iter().map(|p| p.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for piece in pieces {
        d.handle_input(now, piece).expect("input before the end");
        out.extend(std::iter::from_fn(|| d.poll_output()));
        assert!(d.buffered() <= bound, "{} bytes held", d.buffered());
    }
    d.handle_end(now).expect("end");
    out.extend(std::iter::from_fn(|| d.poll_output()));
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, ts)) = data.split_first() else {
        return;
    };
    let whole = demux(&[ts]);
    let pieces: Vec<&[u8]> = ts.chunks(usize::from(size).max(1)).collect();
    assert_eq!(demux(&pieces), whole, "split invariance");

    let mut muxer = Muxer::default();
    let mut written = Vec::new();
    for out in &whole {
        let Output::Event(event) = out else { continue };
        let _ = match event {
            DemuxEvent::Config(c) => muxer.handle_config(c),
            DemuxEvent::Frame(f) => muxer.handle_frame(f),
            _ => Ok(()),
        };
        while let Some(Output::Transmit(bytes)) = muxer.poll_output() {
            written.extend_from_slice(&bytes);
        }
    }
    assert_eq!(written.len() % PACKET_LEN, 0);
    demux(&[&written]);
});
