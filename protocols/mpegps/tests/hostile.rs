//! Hostile and broken input: every rule of the catalog fires on an input made to break it
//! (a table), arbitrary bytes never panic and stay bounded, huge lengths and endless PES
//! packets are cut off, and outputs do not depend on how the input is split.

mod support;

use proptest::prelude::*;
use support::corpus_stream;
use weir_media::Machine;
use weir_mpegps::mangle::{self, packets};
use weir_mpegps::rules::CATALOG;
use weir_mpegps::system_header::StreamBound;
use weir_mpegps::{Demuxer, Limits, PackHeader, Psm, PsmStream, SystemHeader};
use weir_testkit::{Outputs, rule_table, split};

/// A clean stream of our muxer: the corpus's H.264 + AAC.
fn clean() -> Vec<u8> {
    corpus_stream("flv/avc_aac.flv")
}

fn run(data: &[u8], limits: Limits) -> Outputs<weir_mpegps::PsEvent> {
    weir_testkit::run(&mut Demuxer::new(limits), [data], true)
}

/// The rule ids `data` breaks (violations and the error).
fn fired(data: &[u8], limits: Limits) -> Vec<&'static str> {
    let out = run(data, limits);
    let mut ids: Vec<_> = out.violations.iter().map(|v| v.rule.id).collect();
    ids.extend(out.error.as_ref().map(|e| e.rule_id()));
    ids
}

fn pack(scr_base: u64) -> PackHeader {
    PackHeader {
        scr_base,
        scr_ext: 0,
        mux_rate: 100,
        stuffing: 0,
        mpeg1: false,
    }
}

fn bytes_of(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out);
    out
}

/// `extra` before pack 2 of the clean stream.
fn before_pack_2(ps: &[u8], extra: &[u8]) -> Vec<u8> {
    mangle::junk_before_packs(ps, extra, |i| i == 2)
}

/// A pack header of SCR 0 and then `rest`, before pack 2.
fn packed(ps: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut extra = bytes_of(|o| {
        pack(0).write(o);
    });
    extra.extend_from_slice(rest);
    before_pack_2(ps, &extra)
}

/// The clean stream with the first packet of start code `code` changed by `f`.
fn change_first(ps: &[u8], code: u8, f: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let mut ps = ps.to_vec();
    let p = *packets(&ps)
        .iter()
        .find(|p| p.code == code)
        .expect("the packet");
    f(&mut ps[p.start..p.start + p.len]);
    ps
}

fn system_header(streams: Vec<StreamBound>) -> SystemHeader {
    SystemHeader {
        rate_bound: 100,
        audio_bound: 1,
        fixed: false,
        csps: false,
        audio_lock: true,
        video_lock: true,
        video_bound: 1,
        packet_rate_restriction: false,
        streams,
    }
}

#[test]
fn every_rule_fires_on_an_input_that_breaks_it() {
    let ps = clean();
    let d = Limits::default();
    let mpeg1_pack = [0, 0, 1, 0xba, 0x21, 0, 1, 0, 1, 0x80, 0x1b, 0x83];
    let ps_no_system_headers: Vec<u8> = packets(&ps)
        .iter()
        .filter(|p| p.code != 0xbb)
        .flat_map(|p| p.bytes(&ps).to_vec())
        .collect();
    let other_map = bytes_of(|o| {
        Psm {
            current_next: true,
            version: 0,
            info: vec![],
            streams: vec![PsmStream {
                stream_type: 0x1b,
                stream_id: 0xe7,
                info: vec![],
            }],
        }
        .write(o);
    });
    let svac_map = bytes_of(|o| {
        Psm {
            current_next: true,
            version: 9,
            info: vec![],
            streams: vec![PsmStream {
                stream_type: 0x80,
                stream_id: 0xe1,
                info: vec![],
            }],
        }
        .write(o);
    });
    let table = vec![
        (
            "mpegps.stream.garbage",
            fired(&before_pack_2(&ps, b"garbage"), d),
        ),
        (
            "mpegps.stream.zero-stuffing",
            fired(&mangle::extra_zeros(&ps, 3), d),
        ),
        (
            "mpegps.stream.start-code",
            fired(&before_pack_2(&ps, &[0, 0, 1, 0x05, 1, 2]), d),
        ),
        ("mpegps.stream.truncated", fired(&ps[..ps.len() - 5], d)),
        (
            "mpegps.stream.unrecoverable",
            fired(&[0, 0, 1, 0xba, 0xc0, 0, 0, 0].repeat(40), d),
        ),
        ("mpegps.pack.marker", fired(&mangle::clear_markers(&ps), d)),
        (
            "mpegps.pack.mpeg1",
            fired(&before_pack_2(&ps, &mpeg1_pack), d),
        ),
        (
            "mpegps.pes.mpeg1",
            fired(&before_pack_2(&ps, &[0, 0, 1, 0xe0, 0, 1, 0x0f]), d),
        ),
        (
            "mpegps.pack.mux-rate",
            fired(
                &before_pack_2(
                    &ps,
                    &bytes_of(|o| {
                        PackHeader {
                            mux_rate: 0,
                            ..pack(0)
                        }
                        .write(o);
                    }),
                ),
                d,
            ),
        ),
        (
            "mpegps.pack.scr-extension",
            fired(
                &before_pack_2(
                    &ps,
                    &bytes_of(|o| {
                        PackHeader {
                            scr_ext: 400,
                            ..pack(0)
                        }
                        .write(o);
                    }),
                ),
                d,
            ),
        ),
        (
            "mpegps.pack.stuffing",
            fired(
                &before_pack_2(
                    &ps,
                    &bytes_of(|o| {
                        PackHeader {
                            stuffing: 2,
                            ..pack(0)
                        }
                        .write(o);
                        *o.last_mut().unwrap() = 0;
                    }),
                ),
                d,
            ),
        ),
        (
            "mpegps.pack.scr-monotonic",
            fired(
                &before_pack_2(
                    &ps,
                    &bytes_of(|o| {
                        pack(1 << 31).write(o);
                    }),
                ),
                d,
            ),
        ),
        (
            "mpegps.system-header.length",
            fired(
                &packed(
                    &ps,
                    &bytes_of(|o| {
                        system_header(vec![]).write(o);
                        o.push(0xff);
                        o[5] += 1;
                    }),
                ),
                d,
            ),
        ),
        (
            "mpegps.system-header.marker",
            fired(&mangle::clear_markers(&ps), d),
        ),
        (
            "mpegps.system-header.position",
            fired(
                &before_pack_2(
                    &ps,
                    &bytes_of(|o| {
                        system_header(vec![]).write(o);
                    }),
                ),
                d,
            ),
        ),
        (
            "mpegps.system-header.stream-id",
            fired(
                &packed(
                    &ps,
                    &bytes_of(|o| {
                        system_header(vec![StreamBound {
                            stream_id: 0x20,
                            scale_1024: true,
                            size_bound: 1,
                        }])
                        .write(o);
                    }),
                ),
                d,
            ),
        ),
        ("mpegps.psm.length", fired(&mangle::psm_length(&ps, 6), d)),
        (
            "mpegps.psm.map-length",
            fired(&mangle::es_map_length(&ps, 4), d),
        ),
        (
            "mpegps.psm.crc",
            fired(&change_first(&ps, 0xbc, |p| *p.last_mut().unwrap() ^= 1), d),
        ),
        (
            "mpegps.psm.marker",
            fired(&change_first(&ps, 0xbc, |p| p[7] &= 0xfe), d),
        ),
        ("mpegps.psm.version", fired(&packed(&ps, &other_map), d)),
        ("mpegps.psm.stream-type", fired(&packed(&ps, &svac_map), d)),
        ("mpegps.keyframe.psm", fired(&mangle::without_psm(&ps), d)),
        (
            "mpegps.keyframe.system-header",
            fired(&ps_no_system_headers, d),
        ),
        (
            "mpegps.pes.length-zero",
            fired(
                &change_first(&ps, 0xc0, |p| p[4..6].copy_from_slice(&[0, 0])),
                d,
            ),
        ),
        (
            "mpegps.pes.unmapped",
            fired(
                &packed(
                    &ps,
                    &[
                        0, 0, 1, 0xe5, 0, 14, 0x80, 0, 0, 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65,
                        0x88,
                    ],
                ),
                d,
            ),
        ),
        (
            "mpegps.pes.unknown-stream",
            fired(
                &packed(
                    &ps,
                    &[
                        0, 0, 1, 0xc5, 0, 8, 0x80, 0, 0, b'h', b'e', b'l', b'l', b'o',
                    ],
                ),
                d,
            ),
        ),
        ("mpegps.es.sniffed", fired(&mangle::without_psm(&ps), d)),
        (
            "mpegps.demux.limit",
            fired(
                &ps,
                Limits {
                    max_streams: 1,
                    ..d
                },
            ),
        ),
    ];
    rule_table::check(CATALOG, &table);
    assert!(CATALOG.len() >= 25);
}

#[test]
fn a_clean_stream_breaks_no_rule() {
    let out = run(&clean(), Limits::default());
    assert_eq!(out.error, None);
    assert!(out.violations.is_empty(), "{:?}", out.violations);
}

#[test]
fn an_endless_pes_is_cut_off_at_its_bound() {
    let limits = Limits {
        max_unbounded_pes: 4096,
        ..Limits::default()
    };
    let mut data = bytes_of(|o| {
        pack(0).write(o);
    });
    data.extend_from_slice(&[0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0]);
    data.extend(std::iter::repeat_n(0x42, 100_000));
    let mut d = Demuxer::new(limits);
    let now = std::time::Instant::now();
    let mut out = Outputs::default();
    for piece in data.chunks(1000) {
        d.handle_input(now, piece).unwrap();
        out.drain(&mut d);
        assert!(d.buffered() <= 4096 + 1000 + 16, "{}", d.buffered());
    }
    assert!(
        out.violations
            .iter()
            .any(|v| v.rule.id == "mpegps.demux.limit")
    );
}

#[test]
fn a_huge_declared_length_waits_for_at_most_one_packet() {
    let mut data = bytes_of(|o| {
        pack(0).write(o);
    });
    data.extend_from_slice(&[0, 0, 1, 0xe0, 0xff, 0xff, 0x80, 0, 0]);
    data.extend(std::iter::repeat_n(0x42, 50_000));
    let mut d = Demuxer::default();
    d.handle_input(std::time::Instant::now(), &data).unwrap();
    while d.poll_output().is_some() {}
    assert!(d.buffered() <= 6 + 0xffff);
    d.handle_end(std::time::Instant::now()).unwrap();
    let mut ids = Vec::new();
    while let Some(o) = d.poll_output() {
        if let weir_media::Output::Violation(v) = o {
            ids.push(v.rule.id);
        }
    }
    assert!(ids.contains(&"mpegps.stream.truncated"), "{ids:?}");
}

#[test]
fn garbage_alone_gives_up_after_the_bounded_failures() {
    let limits = Limits {
        max_skip: 10_000,
        max_failures: 3,
        ..Limits::default()
    };
    let out = run(&[0x5a; 100_000], limits);
    assert_eq!(
        out.error.map(|e| e.rule_id()),
        Some("mpegps.stream.unrecoverable")
    );
}

#[test]
fn the_clean_stream_gives_the_same_outputs_byte_by_byte() {
    let ps = clean();
    let ps = &ps[..ps.len().min(60_000)];
    split::check(Demuxer::default, ps, &split::every_byte(ps.len()));
}

#[test]
fn a_map_entry_of_a_type_weir_does_not_read_falls_back_to_sniffing() {
    let ps = clean();
    // Every map's first entry's stream_type (no program descriptors): H.264 called MPEG-4
    // video.
    let mut bad = ps.clone();
    for p in packets(&ps).iter().filter(|p| p.code == 0xbc) {
        bad[p.start + 12] = 0x10;
    }
    let (good, out) = (run(&ps, Limits::default()), run(&bad, Limits::default()));
    assert_eq!(support::frames(&out), support::frames(&good));
    let ids: Vec<_> = out.violations.iter().map(|v| v.rule.id).collect();
    for id in [
        "mpegps.psm.stream-type",
        "mpegps.es.sniffed",
        "mpegps.psm.crc",
    ] {
        assert!(ids.contains(&id), "{ids:?}");
    }
}

#[test]
fn zero_runs_and_garbage_read_the_same_however_split() {
    // The fuzzer's first find: a zero run or garbage reported with what happened to be
    // buffered.
    let ps = clean();
    let bad = mangle::junk_before_packs(&mangle::extra_zeros(&ps[..30_000], 7), b"\x38\x83", |i| {
        i % 3 == 1
    });
    split::check(Demuxer::default, &bad, &split::every_byte(bad.len()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn outputs_do_not_depend_on_the_split(cuts in proptest::collection::vec(0usize..200_000, 0..40)) {
        let ps = clean();
        split::check(Demuxer::default, &ps, &cuts);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(
        data in proptest::collection::vec(any::<u8>(), 0..4000), size in 1usize..300,
    ) {
        // Start codes where they are likeliest to confuse: a pack header first.
        let mut input = vec![0, 0, 1, 0xba];
        input.extend_from_slice(&data);
        let out = split::check(Demuxer::default, &input, &split::sizes(input.len(), &[size]));
        prop_assert!(out.error.is_none_or(|e| e.rule_id() == "mpegps.stream.unrecoverable"));
    }

    #[test]
    fn mutated_streams_never_panic(flips in proptest::collection::vec((0usize..150_000, any::<u8>()), 1..30)) {
        let mut ps = clean();
        for (at, b) in flips {
            let n = ps.len();
            ps[at % n] = b;
        }
        let out = split::check(Demuxer::default, &ps, &split::sizes(ps.len(), &[1400]));
        prop_assert!(out.error.is_none());
    }
}
