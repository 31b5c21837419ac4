//! demux(mux(frames)) == frames, and the demuxer's split invariance, over generated streams:
//! H.264 (the SPS/PPS of a real High-profile stream) with AAC-LC, timelines anywhere in the
//! 33-bit range (crossing the wrap included), frames large enough for unbounded video PES.
//! The muxer's output must also break no rule.

mod support;

use bytes::Bytes;
use proptest::prelude::*;
use support::{Demuxed, MuxInput, check_split, demux, frames_by_track, mux};
use weir_media::avc::AvcDecoderConfig;
use weir_media::{Codec, Frame, Timestamp, Track, TrackConfig};
use weir_mpegts::{Limits, Muxer, MuxerConfig};
use weir_testkit::split;

/// The AVC record of the SRS sample avatar.flv (768x320 High, level 3.2).
const AVC_RECORD: &str =
    "01640020ffe1001967640020acd940c029b011000003000100000300320f18319601000568ebecb22c";
/// AAC-LC, 44.1 kHz, stereo.
const ASC: [u8; 2] = [0x12, 0x10];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn configs() -> Vec<TrackConfig> {
    vec![
        TrackConfig {
            track: Track::VIDEO,
            codec: Codec::H264,
            data: unhex(AVC_RECORD).into(),
        },
        TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Aac,
            data: Bytes::from_static(&ASC),
        },
    ]
}

/// A NAL unit body as Annex B can carry it: no start-code emulation, not ending in zero.
fn nal_body(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(|mut body| {
        let mut zeros = 0;
        for b in body.iter_mut() {
            if zeros >= 2 && *b <= 3 {
                *b = 0x80;
            }
            zeros = if *b == 0 { zeros + 1 } else { 0 };
        }
        if body.last() == Some(&0) {
            body.push(0x80);
        }
        body
    })
}

/// One video access unit: an optional SEI, then one or two slices (IDR for keyframes).
fn video_frame() -> impl Strategy<Value = (bool, Vec<u8>)> {
    (
        any::<bool>(),
        proptest::option::of(nal_body(40)),
        prop_oneof![9 => nal_body(3000), 1 => nal_body(90_000)],
        proptest::option::of(nal_body(500)),
    )
        .prop_map(|(key, sei, slice, second)| {
            let mut data = Vec::new();
            let mut put = |header: u8, body: &[u8]| {
                data.extend_from_slice(&(body.len() as u32 + 1).to_be_bytes());
                data.push(header);
                data.extend_from_slice(body);
            };
            if let Some(sei) = sei {
                put(0x06, &sei);
            }
            let slice_header = if key { 0x65 } else { 0x41 };
            put(slice_header, &slice);
            if let Some(second) = second {
                put(slice_header, &second);
            }
            (key, data)
        })
}

#[derive(Debug, Clone)]
struct Stream {
    inputs: Vec<MuxInput>,
    frames: Vec<Frame>,
}

/// Configs, then video and audio frames interleaved by DTS.
fn stream() -> impl Strategy<Value = Stream> {
    (
        prop_oneof![0i64..1 << 33, (1i64 << 33) - 900_000..1 << 33],
        proptest::collection::vec((video_frame(), 1500i64..6000, 0i64..3), 1..25),
        proptest::collection::vec(
            (
                proptest::collection::vec(any::<u8>(), 1..700),
                1800i64..2300,
            ),
            0..60,
        ),
        -20_000i64..20_000,
    )
        .prop_map(|(base, video, audio, audio_offset)| {
            let mut frames = Vec::new();
            let mut dts = base;
            for (i, ((key, data), step, delay)) in video.into_iter().enumerate() {
                frames.push(Frame {
                    track: Track::VIDEO,
                    codec: Codec::H264,
                    pts: Timestamp(dts + delay * step),
                    dts: Timestamp(dts),
                    keyframe: key || i == 0,
                    data: data.into(),
                });
                dts += step;
            }
            // The first frame is a keyframe: give it an IDR slice.
            if let Some(first) = frames.first_mut() {
                let mut data = first.data.to_vec();
                data[4] = if data[4] == 0x06 { 0x06 } else { 0x65 };
                let mut at = 0;
                while at < data.len() {
                    let len = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
                    if data[at + 4] == 0x41 {
                        data[at + 4] = 0x65;
                    }
                    at += 4 + len;
                }
                first.data = data.into();
            }
            let mut t = (base + audio_offset).max(0);
            for (data, step) in audio {
                frames.push(Frame {
                    track: Track::AUDIO,
                    codec: Codec::Aac,
                    pts: Timestamp(t),
                    dts: Timestamp(t),
                    keyframe: true,
                    data: data.into(),
                });
                t += step;
            }
            frames.sort_by_key(|f| f.dts);
            let mut inputs: Vec<MuxInput> = configs().into_iter().map(MuxInput::Config).collect();
            inputs.extend(frames.iter().cloned().map(MuxInput::Frame));
            Stream { inputs, frames }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn demux_of_mux_gives_back_the_frames(s in stream(), segments: bool) {
        let ts = mux(&mut Muxer::default(), &s.inputs, segments);
        prop_assert_eq!(ts.len() % 188, 0);
        let outcome = demux(&ts);
        let violations: Vec<_> = outcome.violations.iter().collect();
        prop_assert!(violations.is_empty(), "{:?}", violations);
        prop_assert_eq!(frames_by_track(outcome.frames()), frames_by_track(&s.frames));
        // Configs: the AAC config as given; the AVC record rebuilt from the same SPS/PPS.
        let input = AvcDecoderConfig::parse(&unhex(AVC_RECORD)).unwrap();
        for c in outcome.configs() {
            match c.codec {
                Codec::Aac => prop_assert_eq!(&c.data[..], &ASC[..]),
                Codec::H264 => {
                    let got = AvcDecoderConfig::parse(&c.data).unwrap();
                    prop_assert_eq!((&got.sps, &got.pps), (&input.sps, &input.pps));
                    prop_assert_eq!(got.profile_indication, input.profile_indication);
                }
                other => prop_assert!(false, "config for {other}"),
            }
        }
    }

    #[test]
    fn the_demuxer_is_split_invariant(s in stream(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40)) {
        let ts = mux(&mut Muxer::default(), &s.inputs, true);
        let cuts: Vec<usize> = cuts.iter().map(|c| c.index(ts.len() + 1)).collect();
        check_split(Limits::default(), &ts, &cuts);
        check_split(Limits::default(), &ts, &split::every_byte(ts.len()));
    }
}

#[test]
fn psi_and_pcr_spacing_follow_the_config() {
    // 10 fps video only: frames 100 ms apart, so PCR-only packets fill the gaps.
    let frames: Vec<MuxInput> = (0..50)
        .map(|i| {
            MuxInput::Frame(Frame {
                track: Track::VIDEO,
                codec: Codec::H264,
                pts: Timestamp(i * 9000),
                dts: Timestamp(i * 9000),
                keyframe: i % 10 == 0,
                data: if i % 10 == 0 {
                    Bytes::from_static(&[0, 0, 0, 3, 0x65, 1, 2])
                } else {
                    Bytes::from_static(&[0, 0, 0, 3, 0x41, 1, 2])
                },
            })
        })
        .collect();
    let mut inputs = vec![MuxInput::Config(configs()[0].clone())];
    inputs.extend(frames);
    let ts = mux(&mut Muxer::new(MuxerConfig::default()), &inputs, false);
    let outcome = demux(&ts);
    assert_eq!(outcome.violations.len(), 0);
    // PCRs at most 40 ms apart, PAT at least every 100 ms of DTS.
    let mut pcrs = Vec::new();
    let mut pats = 0;
    for p in ts.chunks(188) {
        let pid = u16::from_be_bytes([p[1] & 0x1f, p[2]]);
        pats += usize::from(pid == 0);
        if p[3] & 0x20 != 0 && p[4] > 0 && p[5] & 0x10 != 0 {
            let v = u64::from_be_bytes([0, 0, p[6], p[7], p[8], p[9], p[10], p[11]]) >> 15;
            pcrs.push(v as i64);
        }
    }
    assert!(
        pcrs.windows(2).all(|w| (0..=3600).contains(&(w[1] - w[0]))),
        "{pcrs:?}"
    );
    assert_eq!(pats, 50);
    assert_eq!(outcome.frames().filter(|f| f.keyframe).count(), 5);
    assert_eq!(outcome.frames().count(), 50);
    // Every keyframe access unit carries AUD, SPS and PPS before its slice; others only AUD.
    let video_pes_starts: Vec<&[u8]> = ts
        .chunks(188)
        .filter(|p| u16::from_be_bytes([p[1] & 0x1f, p[2]]) == 0x100 && p[1] & 0x40 != 0)
        .map(|p| {
            let start = if p[3] & 0x20 != 0 {
                5 + usize::from(p[4])
            } else {
                4
            };
            &p[start..]
        })
        .collect();
    assert_eq!(video_pes_starts.len(), 50);
    for (i, pes) in video_pes_starts.iter().enumerate() {
        let es = &pes[9 + usize::from(pes[8])..];
        assert_eq!(&es[..6], &[0, 0, 0, 1, 0x09, 0xf0]);
        assert_eq!(es[10] == 0x67, i % 10 == 0, "frame {i}");
    }
}

#[test]
fn the_2_to_the_33_wrap_is_unwrapped_for_pcr_pts_and_dts() {
    // One second of video and audio starting half a second before the 33-bit clocks wrap.
    let start = (1i64 << 33) - 45_000;
    let mut inputs: Vec<MuxInput> = configs().into_iter().map(MuxInput::Config).collect();
    for i in 0..30i64 {
        let key = i % 15 == 0;
        inputs.push(MuxInput::Frame(Frame {
            track: Track::VIDEO,
            codec: Codec::H264,
            pts: Timestamp(start + i * 3000 + 6000),
            dts: Timestamp(start + i * 3000),
            keyframe: key,
            data: Bytes::from(vec![0, 0, 0, 2, if key { 0x65 } else { 0x41 }, i as u8 + 1]),
        }));
        inputs.push(MuxInput::Frame(Frame {
            track: Track::AUDIO,
            codec: Codec::Aac,
            pts: Timestamp(start + i * 3000 + 100),
            dts: Timestamp(start + i * 3000 + 100),
            keyframe: true,
            data: Bytes::from(vec![0x21; 10]),
        }));
    }
    let expected: Vec<Frame> = inputs
        .iter()
        .filter_map(|i| match i {
            MuxInput::Frame(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    let ts = mux(&mut Muxer::default(), &inputs, true);
    let outcome = demux(&ts);
    assert_eq!(
        outcome.violations.len(),
        0,
        "{:?}",
        outcome.violations.iter().collect::<Vec<_>>()
    );
    let got = frames_by_track(outcome.frames());
    assert_eq!(got, frames_by_track(&expected));
    let last = got[&Track::VIDEO].last().unwrap();
    assert!(last.dts.0 > 1 << 33, "monotonic past the wrap: {last:?}");
}
