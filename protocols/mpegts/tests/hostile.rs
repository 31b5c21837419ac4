//! Hostile and broken input: no panic on arbitrary or mutated bytes, memory bounded by the
//! limits, the same outcome however broken input is split, and each broken rule reported
//! at its byte.

mod support;

use bytes::Bytes;
use proptest::prelude::*;
use std::time::Instant;
use support::{Demuxed, MuxInput, check_split, demux, demux_split, mux};
use weir_media::Machine;
use weir_media::{Codec, Frame, Timestamp, Track, TrackConfig};
use weir_mpegts::{DemuxEvent, Demuxer, Limits, Muxer, MuxerConfig, PACKET_LEN};
use weir_testkit::split;

fn avc_config() -> TrackConfig {
    TrackConfig {
        track: Track::VIDEO,
        codec: Codec::H264,
        data: Bytes::new(),
    }
}

fn aac_config() -> TrackConfig {
    TrackConfig {
        track: Track::AUDIO,
        codec: Codec::Aac,
        data: Bytes::from_static(&[0x12, 0x10]),
    }
}

fn video(i: i64, size: usize) -> Frame {
    let mut data = vec![0u8; 4];
    data.push(if i % 10 == 0 { 0x65 } else { 0x41 });
    data.extend((0..size).map(|k| (k % 200) as u8 + 4));
    let len = (data.len() - 4) as u32;
    data[..4].copy_from_slice(&len.to_be_bytes());
    Frame {
        track: Track::VIDEO,
        codec: Codec::H264,
        pts: Timestamp(i * 3000),
        dts: Timestamp(i * 3000),
        keyframe: i % 10 == 0,
        data: data.into(),
    }
}

fn audio(i: i64) -> Frame {
    Frame {
        track: Track::AUDIO,
        codec: Codec::Aac,
        pts: Timestamp(i * 2090),
        dts: Timestamp(i * 2090),
        keyframe: true,
        data: Bytes::from(vec![0x21; 100 + (i as usize % 50)]),
    }
}

/// A clean stream: 30 video frames of `size` bytes and the audio between them.
fn clean(size: usize) -> Vec<u8> {
    let mut inputs = vec![
        MuxInput::Config(avc_config()),
        MuxInput::Config(aac_config()),
    ];
    let mut a = 0;
    for i in 0..30 {
        while a * 2090 < i * 3000 {
            inputs.push(MuxInput::Frame(audio(a)));
            a += 1;
        }
        inputs.push(MuxInput::Frame(video(i, size)));
    }
    mux(&mut Muxer::default(), &inputs, true)
}

fn packet_offsets(ts: &[u8], pid: u16) -> Vec<usize> {
    ts.chunks(PACKET_LEN)
        .enumerate()
        .filter(|(_, p)| u16::from_be_bytes([p[1] & 0x1f, p[2]]) == pid)
        .map(|(i, _)| i * PACKET_LEN)
        .collect()
}

fn first(outcome: &support::Outcome, rule: &str) -> Option<u64> {
    outcome
        .violations
        .iter()
        .find(|v| v.rule.id == rule)
        .map(|v| v.offset)
}

/// What the demuxer holds between inputs (`input` cut at `cuts`) is bounded by its limits,
/// whatever the input.
fn bounded(limits: &Limits, input: &[u8], cuts: &[usize]) {
    let pieces = split::pieces(input, cuts);
    let mut d = Demuxer::new(*limits);
    let bound = limits.max_buffered
        + limits.max_pes_size
        + limits.max_held_packets * PACKET_LEN
        + 64 * 1024
        + pieces.iter().map(|p| p.len()).max().unwrap_or(0);
    for p in pieces {
        d.handle_input(Instant::now(), p).unwrap();
        while d.poll_output().is_some() {}
        assert!(d.buffered() <= bound, "{} bytes held", d.buffered());
    }
    d.handle_end(Instant::now()).unwrap();
    while d.poll_output().is_some() {}
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4000), syncs: bool) {
        let mut data = data;
        if syncs {
            // Sync bytes at every stride so that the packets themselves get read.
            for i in (0..data.len()).step_by(188) {
                data[i] = 0x47;
            }
        }
        let limits = Limits { max_pes_size: 2000, max_buffered: 3000, max_held_packets: 4, ..Limits::default() };
        bounded(&limits, &data, &[]);
        check_split(limits, &data, &split::sizes(data.len(), &[61]));
    }

    #[test]
    fn mutated_streams_never_panic_and_stay_split_invariant(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..30),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut ts = clean(3000);
        for (at, byte, kind) in edits {
            let i = at.index(ts.len());
            match kind {
                0 => ts[i] = byte,
                1 => ts[i] ^= 1 << (byte % 8),
                2 => { ts.insert(i, byte); }
                _ => { ts.remove(i); }
            }
        }
        let limits = Limits { max_pes_size: 1 << 16, max_buffered: 1 << 17, ..Limits::default() };
        bounded(&limits, &ts, &[]);
        check_split(limits, &ts, &[cut.index(ts.len() + 1)]);
        check_split(limits, &ts, &split::sizes(ts.len(), &[97]));
    }
}

#[test]
fn a_clean_stream_has_no_violations() {
    let outcome = demux(&clean(3000));
    assert_eq!(outcome.violations.len(), 0);
    assert_eq!(
        outcome.frames().filter(|f| f.track == Track::VIDEO).count(),
        30
    );
}

#[test]
fn a_lost_packet_is_a_continuity_error_and_costs_its_frame() {
    let mut ts = clean(3000);
    let video = packet_offsets(&ts, 0x100);
    let lost = video[20];
    ts.drain(lost..lost + PACKET_LEN);
    let outcome = demux(&ts);
    let v: Vec<_> = outcome.violations.iter().collect();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].rule.id, v[0].offset),
        ("mpegts.packet.continuity", lost as u64)
    );
    assert_eq!(
        outcome.frames().filter(|f| f.track == Track::VIDEO).count(),
        29
    );
}

#[test]
fn a_repeated_packet_is_allowed_once() {
    let ts = clean(3000);
    let at = packet_offsets(&ts, 0x100)[7];
    let mut once = ts.clone();
    once.splice(at..at, ts[at..at + PACKET_LEN].to_vec());
    let outcome = demux(&once);
    assert_eq!(outcome.violations.len(), 0);
    assert_eq!(
        outcome.frames().collect::<Vec<_>>(),
        demux(&ts).frames().collect::<Vec<_>>()
    );
    let mut twice = once.clone();
    twice.splice(at..at, ts[at..at + PACKET_LEN].to_vec());
    assert_eq!(
        first(&demux(&twice), "mpegts.packet.continuity"),
        Some((at + 2 * PACKET_LEN) as u64)
    );
}

#[test]
fn corrupt_psi_transport_errors_scrambling_and_sync_are_reported_where_they_are() {
    let ts = clean(1000);
    // A flipped bit in the first PAT's CRC.
    let mut bad = ts.clone();
    bad[5 + 8 + 4 + 1] ^= 0x10;
    let outcome = demux(&bad);
    assert_eq!(first(&outcome, "mpegts.psi.crc"), Some(5 + 8 + 4));
    // transport_error_indicator on a video packet.
    let mut bad = ts.clone();
    let at = packet_offsets(&ts, 0x100)[3];
    bad[at + 1] |= 0x80;
    assert_eq!(
        first(&demux(&bad), "mpegts.packet.transport-error"),
        Some(at as u64)
    );
    // Scrambling on a PES start.
    let mut bad = ts.clone();
    bad[at + 3] |= 0x80;
    bad[at + 1] |= 0x40;
    assert!(first(&demux(&bad), "mpegts.packet.scrambled").is_some());
    // A broken sync byte: the packet is dropped, sync kept.
    let mut bad = ts.clone();
    bad[at] = 0x48;
    let outcome = demux(&bad);
    assert_eq!(first(&outcome, "mpegts.packet.sync-byte"), Some(at as u64));
    assert_eq!(first(&outcome, "mpegts.packet.sync-loss"), None);
    // Garbage inserted between packets: sync lost and found again, the media goes on.
    let mut bad = ts.clone();
    bad.splice(at..at, b"garbage".iter().copied());
    let outcome = demux(&bad);
    assert_eq!(first(&outcome, "mpegts.packet.sync-loss"), Some(at as u64));
    assert!(outcome.frames().count() >= demux(&ts).frames().count() - 2);
    // A stream cut inside a packet.
    let outcome = demux(&ts[..ts.len() - 100]);
    assert_eq!(
        first(&outcome, "mpegts.packet.truncated"),
        Some((ts.len() - PACKET_LEN) as u64)
    );
}

#[test]
fn dts_going_back_and_pes_lengths_that_lie_are_reported() {
    let mut inputs = vec![MuxInput::Config(aac_config())];
    for i in [0, 1, 2, 1, 3] {
        inputs.push(MuxInput::Frame(audio(i)));
    }
    let ts = mux(&mut Muxer::default(), &inputs, false);
    let outcome = demux(&ts);
    assert_eq!(
        outcome.rule_counts().get("mpegts.pes.dts-monotonic"),
        Some(&1)
    );
    // PES_packet_length one more than the payload: the PES is cut short by the next start.
    let mut bad = ts.clone();
    let at = packet_offsets(&ts, 0x100)[1];
    let pes = at
        + 4
        + if ts[at + 3] & 0x20 != 0 {
            1 + usize::from(ts[at + 4])
        } else {
            0
        };
    bad[pes + 5] += 1;
    let outcome = demux(&bad);
    assert_eq!(first(&outcome, "mpegts.pes.length"), Some(at as u64));
    assert_eq!(outcome.frames().count(), 4);
}

#[test]
fn oversized_pes_packets_and_endless_preambles_hit_the_limits() {
    let limits = Limits {
        max_pes_size: 20_000,
        max_held_packets: 16,
        ..Limits::default()
    };
    let ts = clean(50_000);
    let outcome = demux_split(limits, &ts, &[]);
    assert!(outcome.rule_counts()["mpegts.demux.limit"] >= 30);
    assert_eq!(
        outcome.frames().filter(|f| f.track == Track::VIDEO).count(),
        0
    );
    assert!(outcome.frames().any(|f| f.track == Track::AUDIO));
    bounded(&limits, &ts, &split::sizes(ts.len(), &[5000]));
    // Media with no PAT at all: held up to the bound, reported once.
    let no_psi: Vec<u8> = ts
        .chunks(PACKET_LEN)
        .filter(|p| !matches!(u16::from_be_bytes([p[1] & 0x1f, p[2]]), 0 | 0x1000))
        .flatten()
        .copied()
        .collect();
    let outcome = demux_split(limits, &no_psi, &[]);
    assert_eq!(outcome.rule_counts().get("mpegts.demux.limit"), Some(&1));
    assert_eq!(outcome.frames().count(), 0);
    bounded(&limits, &no_psi, &[]);
}

#[test]
fn program_changes_mid_stream_add_and_remove_tracks() {
    // A video-only stream gains an audio track (PMT version 0 -> 1), then a second muxer
    // with another program number takes over (a new PAT; its counters restart).
    let mut m = Muxer::default();
    let mut inputs = vec![MuxInput::Config(avc_config())];
    inputs.extend((0..10).map(|i| MuxInput::Frame(video(i, 500))));
    inputs.push(MuxInput::Config(aac_config()));
    inputs.extend((15..25).map(|i| MuxInput::Frame(audio(i))));
    let mut ts = mux(&mut m, &inputs, false);
    let mut other = Muxer::new(MuxerConfig {
        program_number: 7,
        pmt_pid: 0x1100,
        ..MuxerConfig::default()
    });
    let inputs = [MuxInput::Config(aac_config()), MuxInput::Frame(audio(30))];
    ts.extend(mux(&mut other, &inputs, false));
    let outcome = demux(&ts);
    let changes: Vec<String> = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            DemuxEvent::Program { pmt, .. } => Some(format!(
                "program {} v{} {} streams",
                pmt.program_number,
                pmt.version,
                pmt.streams.len()
            )),
            DemuxEvent::ProgramRemoved { program_number } => {
                Some(format!("program {program_number} removed"))
            }
            DemuxEvent::TrackAdded(t) => Some(format!("+{:?} {}", t.track.kind, t.pid)),
            DemuxEvent::TrackRemoved(t) => Some(format!("-{:?} {}", t.track.kind, t.pid)),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [
            "program 1 v0 1 streams",
            "+Video 256",
            "program 1 v1 2 streams",
            "+Audio 257",
            "-Video 256",
            "-Audio 257",
            "program 1 removed",
            "program 7 v0 1 streams",
            "+Audio 256",
        ]
    );
    let audio_frames: Vec<i64> = outcome
        .frames()
        .filter(|f| f.track == Track::AUDIO)
        .map(|f| f.pts.0)
        .collect();
    assert_eq!(audio_frames.len(), 11);
    assert_eq!(
        outcome.frames().filter(|f| f.track == Track::VIDEO).count(),
        10
    );
}

/// PAT and PMT for one H.264 stream on PID 0x100, then `pes` packets on it.
fn handmade(pes: &[Vec<u8>]) -> Vec<u8> {
    use weir_mpegts::pat::{Pat, PatEntry};
    use weir_mpegts::pmt::{Pmt, PmtStream};
    use weir_mpegts::psi::packetize_section;
    let mut out = Vec::new();
    let pat = Pat {
        transport_stream_id: 1,
        version: 0,
        programs: vec![PatEntry {
            program_number: 1,
            pmt_pid: 0x1000,
        }],
        network_pid: None,
    };
    let pmt = Pmt {
        program_number: 1,
        version: 0,
        pcr_pid: 0x1fff,
        program_info: vec![],
        streams: vec![PmtStream {
            stream_type: 0x1b,
            pid: 0x100,
            es_info: vec![],
        }],
    };
    let (mut a, mut b, mut cc) = (0, 0, 0u8);
    packetize_section(&pat.to_section(), 0, &mut a, &mut out);
    packetize_section(&pmt.to_section(), 0x1000, &mut b, &mut out);
    for p in pes {
        let mut first = true;
        let mut rest = &p[..];
        while !rest.is_empty() {
            let header = weir_mpegts::PacketHeader {
                pid: 0x100,
                payload_unit_start: first,
                continuity_counter: cc,
                ..Default::default()
            };
            let used = weir_mpegts::packet::write_packet(&mut out, header, None, rest);
            rest = &rest[used..];
            cc = (cc + 1) & 15;
            first = false;
        }
    }
    out
}

#[test]
fn an_access_unit_spread_over_many_pes_packets_is_gathered_whole() {
    // A 600 kB IDR slice: its first PES has the PTS and the AUD, then 3000 PES packets of
    // 200 bytes with no PTS carry the rest; a second access unit ends it.
    let slice: Vec<u8> = (0..600_000u32).map(|i| (i % 250) as u8 + 4).collect();
    let mut es = vec![0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65];
    es.extend_from_slice(&slice);
    let timed = |pts: u64, payload: &[u8]| {
        let mut p = Vec::new();
        weir_mpegts::pes::PesHeader::write(0xe0, pts, None, None, &mut p);
        p.extend_from_slice(payload);
        p
    };
    let untimed = |payload: &[u8]| {
        let mut p = vec![0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0];
        p.extend_from_slice(payload);
        p
    };
    let mut pes = vec![timed(9000, &es[..200])];
    pes.extend(es[200..].chunks(200).map(untimed));
    pes.push(timed(12000, &[0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x41, 7]));
    let outcome = demux(&handmade(&pes));
    assert_eq!(outcome.violations.len(), 0);
    let frames: Vec<_> = outcome.frames().collect();
    assert_eq!(frames.len(), 2);
    assert_eq!((frames[0].pts.0, frames[0].keyframe), (9000, true));
    assert_eq!(&frames[0].data[..5], &[0, 9, 0x27, 0xc1, 0x65]);
    assert_eq!(&frames[0].data[5..], &slice[..]);
    assert_eq!(&frames[1].data[..], &[0, 0, 0, 2, 0x41, 7]);
}
