//! The MPEG-PS demuxer over arbitrary bytes (with small limits): no panic, the one error is
//! giving up (`mpegps.stream.unrecoverable`), what it holds stays within one packet and the
//! piece fed, the same outputs whole and in pieces of a size the data chooses; then our
//! muxer over whatever configs and frames came out, and the demuxer over its output, which
//! must read without error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use weir_media::{Machine, Output};
use weir_mpegps::{Demuxer, Limits, Muxer, PsEvent};
use weir_testkit::split;

const LIMITS: Limits = Limits {
    max_unbounded_pes: 64 * 1024,
    max_access_unit: 256 * 1024,
    max_streams: 4,
    max_failures: 8,
    max_skip: 16 * 1024,
};

/// The demuxer over `input` cut at `cuts`: what it holds after each piece stays bounded
/// (a check between inputs, so its own driver).
fn bounded(input: &[u8], cuts: &[usize]) {
    let pieces = split::pieces(input, cuts);
    let now = Instant::now();
    let mut d = Demuxer::new(LIMITS);
    let bound = 6
        + 0xffff
        + LIMITS.max_unbounded_pes
        + 16
        + pieces.iter().map(|p| p.len()).max().unwrap_or(0);
    for piece in pieces {
        let result = d.handle_input(now, piece);
        while d.poll_output().is_some() {}
        if result.is_err() {
            return;
        }
        assert!(d.buffered() <= bound, "{} bytes held", d.buffered());
    }
    let _ = d.handle_end(now);
    while d.poll_output().is_some() {}
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, ps)) = data.split_first() else {
        return;
    };
    let cuts = split::sizes(ps.len(), &[usize::from(size)]);
    let whole = split::check(|| Demuxer::new(LIMITS), ps, &cuts);
    if let Some(e) = &whole.error {
        assert_eq!(e.rule_id(), "mpegps.stream.unrecoverable");
    }
    bounded(ps, &[]);
    bounded(ps, &cuts);

    let mut muxer = Muxer::default();
    let mut written = Vec::new();
    for event in &whole.events {
        let _ = match event {
            PsEvent::Config(c) => muxer.handle_config(c),
            PsEvent::Frame(f) => muxer.handle_frame(f),
            _ => Ok(()),
        };
        while let Some(Output::Transmit(bytes)) = muxer.poll_output() {
            written.extend_from_slice(&bytes);
        }
    }
    let again = weir_testkit::run(&mut Demuxer::new(LIMITS), [&written], true);
    assert_eq!(again.error, None, "our own stream reads");
});
