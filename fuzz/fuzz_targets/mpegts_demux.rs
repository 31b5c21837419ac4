//! The MPEG-TS demuxer over arbitrary bytes (with small limits): no panic, no error, memory
//! bounded by the limits, the same outputs whole and in pieces of a size the data chooses;
//! then the muxer over whatever configs and frames came out, and the demuxer over its output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use weir_media::{Machine, Output};
use weir_mpegts::{DemuxEvent, Demuxer, Limits, Muxer, PACKET_LEN};
use weir_testkit::split;

const LIMITS: Limits = Limits {
    max_pes_size: 64 * 1024,
    max_buffered: 128 * 1024,
    max_programs: 4,
    max_streams: 8,
    max_held_packets: 64,
};

/// The demuxer over `input` cut at `cuts`: what it holds after each piece stays within its
/// limits (a check between inputs, so its own driver), and it never fails.
fn bounded(input: &[u8], cuts: &[usize]) {
    let pieces = split::pieces(input, cuts);
    let now = Instant::now();
    let mut d = Demuxer::new(LIMITS);
    let bound = LIMITS.max_buffered
        + LIMITS.max_pes_size
        + LIMITS.max_held_packets * PACKET_LEN
        + 4096
        + pieces.iter().map(|p| p.len()).max().unwrap_or(0);
    for piece in pieces {
        d.handle_input(now, piece).expect("input before the end");
        while d.poll_output().is_some() {}
        assert!(d.buffered() <= bound, "{} bytes held", d.buffered());
    }
    d.handle_end(now).expect("end");
    while d.poll_output().is_some() {}
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, ts)) = data.split_first() else {
        return;
    };
    let cuts = split::sizes(ts.len(), &[usize::from(size)]);
    let whole = split::check(|| Demuxer::new(LIMITS), ts, &cuts);
    assert_eq!(whole.error, None, "the demuxer never fails");
    bounded(ts, &[]);
    bounded(ts, &cuts);

    let mut muxer = Muxer::default();
    let mut written = Vec::new();
    for event in &whole.events {
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
    bounded(&written, &[]);
});
