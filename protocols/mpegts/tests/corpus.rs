//! Every TS file of the corpus (`$WEIR_CORPUS/mpegts`) demuxed, with what each track holds
//! pinned: codec, configuration, frame and keyframe counts, first and last PTS, payload bytes
//! and a fingerprint of the payloads. The counts and timestamps agree with `ffprobe
//! -count_packets -show_packets` (FFmpeg 5.1) on the same files, and the H.264 NAL units and
//! AAC payloads were compared byte for byte with `ffmpeg -c copy` output when this was
//! written; the fingerprints keep them so. The violations each file really has are pinned
//! too.

mod support;

use std::collections::BTreeMap;
use support::{Demuxed, TrackSummary, check_split, demux, demux_split};
use weir_media::{Codec, Frame, MediaKind, Track};
use weir_mpegts::{DemuxEvent, Limits, PacketSize};
use weir_testkit::corpus::read as corpus;
use weir_testkit::{SeededRng, split};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 64-bit FNV-1a over the payloads of `frames`, a short fingerprint to pin.
fn fingerprint<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in frames {
        for &b in f.data.iter() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The same stream with each 188-byte packet padded to `stride` bytes: 204 adds 16 parity
/// bytes after the packet, 192 puts a 4-byte arrival timestamp before it.
fn restride(ts: &[u8], stride: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in ts.chunks(188).enumerate() {
        match stride {
            192 => {
                out.extend_from_slice(&(i as u32 * 1000).to_be_bytes());
                out.extend_from_slice(p);
            }
            204 => {
                out.extend_from_slice(p);
                out.extend_from_slice(&[0xa5; 16]);
            }
            _ => out.extend_from_slice(p),
        }
    }
    out
}

struct Expected {
    file: &'static str,
    /// (codec, frames, keyframes, first PTS, last PTS, payload bytes); None: declared, empty.
    video: Option<(Codec, usize, usize, i64, i64, usize)>,
    audio: Option<(Codec, usize, usize, i64, i64, usize)>,
    audio_declared: bool,
    configs: &'static [&'static str],
    fingerprint: u64,
    violations: &'static [(&'static str, usize)],
}

const AVC_MUXJS: &str =
    "0142c015ffe1001c6742c015ab40c84fcf7ff80768075880000003008000000f078b175001000468ce3c80";

const FILES: &[Expected] = &[
    // mux.js HLS segment: 388x300 H.264 Constrained Baseline + AAC-LC 44.1 kHz stereo; its PCRs
    // come every 200 ms (13818-1 §2.7.2 allows 100).
    Expected {
        file: "test-segment.ts",
        video: Some((Codec::H264, 134, 9, 126_000, 924_000, 87_732)),
        audio: Some((Codec::Aac, 369, 369, 126_000, 895_045, 65_603)),
        audio_declared: true,
        configs: &[AVC_MUXJS, "1210"],
        fingerprint: 0x9748_2f29_8882_e7f0,
        violations: &[("mpegts.pcr.interval", 44)],
    },
    // The same video with the audio PID declared in the PMT but never sent.
    Expected {
        file: "test-no-audio-segment.ts",
        video: Some((Codec::H264, 134, 9, 126_000, 924_000, 87_732)),
        audio: None,
        audio_declared: true,
        configs: &[AVC_MUXJS],
        fingerprint: 0x479e_68b8_b768_ea67,
        violations: &[("mpegts.pcr.interval", 44)],
    },
    // 41 packets of media before the first PAT/PMT: held, then read once the PMT names
    // their PIDs (ffprobe counts 15 and 28 too); timestamps past 2^32.
    Expected {
        file: "test-middle-pat-pmt.ts",
        video: Some((Codec::H264, 15, 1, 5_387_171_045, 5_387_213_087, 2_718)),
        audio: Some((Codec::Aac, 28, 28, 5_387_160_282, 5_387_216_710, 6_347)),
        audio_declared: true,
        configs: &[
            "0142c01fffe1001b6742c01fda0360f6ffc014001444000003019000005daa3c60ca8001000468ce3c80",
            "1210",
        ],
        fingerprint: 0xc40b_fcda_a236_a6ef,
        violations: &[],
    },
    // One packet on an unannounced PID whose adaptation field fills it while announcing a
    // payload (adaptation_field_length 183).
    Expected {
        file: "test-stuffed-pes.ts",
        video: None,
        audio: None,
        audio_declared: false,
        configs: &[],
        fingerprint: 0xcbf2_9ce4_8422_2325,
        violations: &[("mpegts.adaptation.length", 1)],
    },
    // 400x170 H.264 whose PES packets are not aligned to access units (a PES may begin with
    // the tail of the previous one) + AAC-LC 22.05 kHz; one PAT/PMT in 10 s, PCRs 41 ms apart
    // and a 2.9 s PCR gap.
    Expected {
        file: "sintel-captions.ts",
        video: Some((Codec::H264, 240, 2, 900_000, 1_796_250, 223_761)),
        audio: Some((Codec::Aac, 212, 212, 889_290, 1_771_184, 75_193)),
        audio_declared: true,
        configs: &[
            "0142c00dffe100176742c00dda0645fe4c0440000003004000000c23c50aa801000468ce3c80",
            "1390",
        ],
        fingerprint: 0x484a_b413_65a1_be2b,
        violations: &[
            ("mpegts.pat.repetition", 1),
            ("mpegts.pcr.interval", 1),
            ("mpegts.pcr.repetition", 170),
            ("mpegts.pmt.repetition", 1),
        ],
    },
    // The corpus holds a Git LFS pointer under this name, not a transport stream.
    Expected {
        file: "testsrc.ts",
        video: None,
        audio: None,
        audio_declared: false,
        configs: &[],
        fingerprint: 0xcbf2_9ce4_8422_2325,
        violations: &[("mpegts.packet.sync-loss", 1)],
    },
];

fn track_line(s: Option<&TrackSummary>) -> Option<(Codec, usize, usize, i64, i64, usize)> {
    let s = s?;
    Some((
        s.codec?,
        s.frames,
        s.keyframes,
        s.first_pts?,
        s.last_pts?,
        s.bytes,
    ))
}

#[test]
fn every_ts_file_of_the_corpus_is_pinned() {
    let on_disk = weir_testkit::corpus::names("mpegts", "ts");
    let mut pinned: Vec<String> = FILES.iter().map(|e| e.file.to_string()).collect();
    pinned.sort();
    assert_eq!(
        on_disk, pinned,
        "a TS file was added to or removed from the corpus"
    );
}

#[test]
fn corpus_files_decode_as_pinned() {
    for e in FILES {
        let outcome = demux(&corpus(&format!("mpegts/{}", e.file)));
        let summary = outcome.summary();
        let video = Track {
            kind: MediaKind::Video,
            index: 0,
        };
        assert_eq!(track_line(summary.get(&video)), e.video, "{} video", e.file);
        assert_eq!(
            track_line(summary.get(&Track::AUDIO)),
            e.audio,
            "{} audio",
            e.file
        );
        assert_eq!(
            summary.get(&Track::AUDIO).and_then(|s| s.codec).is_some(),
            e.audio_declared,
            "{} audio track",
            e.file
        );
        let configs: Vec<String> = outcome.configs().map(|c| hex(&c.data)).collect();
        assert_eq!(configs, e.configs, "{} configs", e.file);
        assert_eq!(
            fingerprint(outcome.frames()),
            e.fingerprint,
            "{} payloads",
            e.file
        );
        let expected: BTreeMap<&str, usize> = e.violations.iter().copied().collect();
        assert_eq!(outcome.rule_counts(), expected, "{} violations", e.file);
        // Every frame's timestamps are sane: DTS never after PTS, and in decoding order per
        // track.
        for f in outcome.frames() {
            assert!(f.dts <= f.pts, "{}: {f:?}", e.file);
        }
    }
}

#[test]
fn timestamps_past_2_to_the_32_and_programs_are_reported() {
    let outcome = demux(&corpus("mpegts/test-middle-pat-pmt.ts"));
    let programs: Vec<_> = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            DemuxEvent::Program { pmt_pid, pmt } => {
                Some((*pmt_pid, pmt.program_number, pmt.pcr_pid, pmt.streams.len()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(programs, [(0x1000, 1, 0x100, 2)]);
    let added: Vec<_> = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            DemuxEvent::TrackAdded(t) => Some((t.track, t.codec, t.pid, t.stream_type)),
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        [
            (Track::VIDEO, Codec::H264, 0x100, 0x1b),
            (Track::AUDIO, Codec::Aac, 0x101, 0x0f)
        ]
    );
}

#[test]
fn corpus_files_decode_the_same_however_split() {
    for e in FILES {
        let data = corpus(&format!("mpegts/{}", e.file));
        eprintln!("split invariance of {}", e.file);
        check_split(Limits::default(), &data, &split::every_byte(data.len()));
        for size in [7, 100, 187, 189, 1316, 4096] {
            check_split(Limits::default(), &data, &split::sizes(data.len(), &[size]));
        }
        // Seeded random cuts, so failures reproduce.
        let mut rng = SeededRng::new(0x2545_f491_4f6c_dd1d);
        let cuts: Vec<usize> = (0..data.len() / 500)
            .map(|_| rng.below(data.len() + 1))
            .collect();
        check_split(Limits::default(), &data, &cuts);
    }
}

#[test]
fn rs204_and_m2ts192_variants_give_the_same_media() {
    for file in ["test-segment.ts", "test-middle-pat-pmt.ts"] {
        let data = corpus(&format!("mpegts/{file}"));
        let plain = demux(&data);
        for (stride, size) in [(204, PacketSize::Rs204), (192, PacketSize::M2ts192)] {
            let other = restride(&data, stride);
            for outcome in [
                demux(&other),
                demux_split(
                    Limits::default(),
                    &other,
                    &split::sizes(other.len(), &[1000]),
                ),
            ] {
                let sizes: Vec<_> = outcome
                    .events
                    .iter()
                    .filter_map(|e| match e {
                        DemuxEvent::PacketSize(s) => Some(*s),
                        _ => None,
                    })
                    .collect();
                assert_eq!(sizes, [size], "{file} {stride}");
                assert_eq!(
                    outcome.frames().collect::<Vec<_>>(),
                    plain.frames().collect::<Vec<_>>(),
                    "{file} {stride}"
                );
                assert_eq!(
                    outcome.rule_counts(),
                    plain.rule_counts(),
                    "{file} {stride}"
                );
            }
        }
    }
}
