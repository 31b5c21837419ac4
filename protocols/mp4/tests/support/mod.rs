//! What the MP4 tests share: media from FLV and MPEG-TS files as packets, the two writers
//! run over them, and ffprobe/ffmpeg on the results.

#![allow(dead_code)]

use bytes::Bytes;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use weir_media::{Frame, Machine, MediaKind, MediaPacket, Output, Track, TrackConfig};
use weir_mp4::{Fragmenter, Mp4Writer};
use weir_testkit::peer;

/// The configs and frames of an FLV file, in order.
pub fn flv_packets(file: &[u8]) -> Vec<MediaPacket> {
    let mut packets = Vec::new();
    for (video, ms, body) in weir_testkit::flv::media_tags(file) {
        let time = weir_media::Timestamp::from_millis(i64::from(ms));
        let mut take = |p| packets.push(p);
        let read = if video {
            weir_flv::media::read_video(time, body, &mut take)
        } else {
            weir_flv::media::read_audio(time, body, &mut take)
        };
        read.expect("an FLV tag reads");
    }
    packets
}

/// The configs and frames of an MPEG-TS file, in order.
pub fn ts_packets(file: &[u8]) -> Vec<MediaPacket> {
    use weir_mpegts::{DemuxEvent, Demuxer, Limits};
    let mut demuxer = Demuxer::new(Limits::default());
    let now = Instant::now();
    let mut packets = Vec::new();
    let mut drain = |d: &mut Demuxer| {
        while let Some(out) = d.poll_output() {
            match out {
                Output::Event(DemuxEvent::Config(c)) => packets.push(MediaPacket::Config(c)),
                Output::Event(DemuxEvent::Frame(f)) => packets.push(MediaPacket::Frame(f)),
                _ => {}
            }
        }
    };
    demuxer.handle_input(now, file).expect("TS reads");
    drain(&mut demuxer);
    demuxer.handle_end(now).expect("TS ends");
    drain(&mut demuxer);
    packets
}

/// The frames of `packets`.
pub fn frames(packets: &[MediaPacket]) -> Vec<&Frame> {
    packets
        .iter()
        .filter_map(|p| match p {
            MediaPacket::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// A progressive MP4 file of `packets`, assembled as a DVR writes it: the bytes as they come,
/// the moov at the end, the mdat size written back.
pub fn progressive(packets: &[MediaPacket]) -> Vec<u8> {
    let mut mp4 = Mp4Writer::new();
    let mut file = Vec::new();
    for p in packets {
        match p {
            MediaPacket::Config(c) => mp4.handle_config(c).expect("config"),
            MediaPacket::Frame(f) => mp4.handle_frame(f).expect("frame"),
            MediaPacket::EndOfSequence { .. } => {}
        }
        while let Some(bytes) = mp4.poll_output() {
            file.extend_from_slice(&bytes);
        }
    }
    let end = mp4.finish();
    while let Some(bytes) = mp4.poll_output() {
        file.extend_from_slice(&bytes);
    }
    file.extend_from_slice(&end.moov);
    let at = end.mdat_size_offset as usize;
    file[at..at + 8].copy_from_slice(&end.mdat_size);
    file
}

/// An init segment and fragments cut before each video keyframe, concatenated. A track
/// without a configuration takes the one its first frame implies (MP3).
pub fn fragmented(packets: &[MediaPacket]) -> (Vec<u8>, usize) {
    let mut configs: Vec<TrackConfig> = Vec::new();
    for p in packets {
        let config = match p {
            MediaPacket::Config(c) => Some(c.clone()),
            MediaPacket::Frame(f) => TrackConfig::of_frame(f),
            MediaPacket::EndOfSequence { .. } => None,
        };
        if let Some(c) = config
            && !configs.iter().any(|k| k.track == c.track)
        {
            configs.push(c);
        }
    }
    let mut f = Fragmenter::new(&configs).expect("fragmenter");
    let mut file = f.init_segment().to_vec();
    let mut run: Vec<Frame> = Vec::new();
    let mut fragments = 0;
    for frame in frames(packets) {
        if frame.keyframe && frame.track.kind == MediaKind::Video && !run.is_empty() {
            file.extend_from_slice(&f.fragment(&run).expect("fragment"));
            fragments += 1;
            run.clear();
        }
        run.push(frame.clone());
    }
    file.extend_from_slice(&f.fragment(&run).expect("fragment"));
    (file, fragments + 1)
}

/// What ffprobe says of a file.
#[derive(Debug, Default)]
pub struct Probe {
    /// `(codec_name, nb_read_packets)` per stream, in order.
    pub streams: Vec<(String, usize)>,
    /// The format's duration in seconds.
    pub duration: f64,
}

/// ffprobe on `path`: codecs, packets counted, duration.
pub fn probe(path: &Path) -> Probe {
    let out = Command::new(peer::binary("FFPROBE", "ffprobe"))
        .args(["-v", "error", "-count_packets", "-show_entries"])
        .arg("stream=codec_name,nb_read_packets:format=duration")
        .args(["-of", "default=nw=1"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut probe = Probe::default();
    for line in text.lines() {
        match line.split_once('=') {
            Some(("codec_name", c)) => probe.streams.push((c.to_string(), 0)),
            Some(("nb_read_packets", n)) => {
                probe.streams.last_mut().expect("a stream").1 = n.parse().unwrap_or(0)
            }
            Some(("duration", d)) => probe.duration = d.parse().unwrap_or(0.0),
            _ => {}
        }
    }
    probe
}

/// Each stream's packet presentation times in seconds, in decode order, by codec name, as
/// ffprobe reads them.
pub fn packet_pts(path: &Path) -> BTreeMap<String, Vec<f64>> {
    let out = Command::new(peer::binary("FFPROBE", "ffprobe"))
        .args(["-v", "error", "-show_entries"])
        .arg("stream=index,codec_name,time_base:packet=stream_index,pts")
        .args(["-of", "compact"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut streams: BTreeMap<String, (String, f64)> = BTreeMap::new();
    let mut packets: Vec<(String, i64)> = Vec::new();
    for line in text.lines() {
        let fields: BTreeMap<&str, &str> =
            line.split('|').filter_map(|f| f.split_once('=')).collect();
        if line.starts_with("stream|") {
            let (num, den) = fields["time_base"].split_once('/').expect("a time base");
            let tb = num.parse::<f64>().unwrap() / den.parse::<f64>().unwrap();
            streams.insert(fields["index"].into(), (fields["codec_name"].into(), tb));
        } else if line.starts_with("packet|") {
            packets.push((
                fields["stream_index"].into(),
                fields["pts"].parse().unwrap(),
            ));
        }
    }
    let mut by_codec: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (index, pts) in packets {
        let (codec, tb) = &streams[&index];
        by_codec
            .entry(codec.clone())
            .or_default()
            .push(pts as f64 * tb);
    }
    by_codec
}

/// Asserts that every frame of `packets` is presented when the source says, `shift` seconds
/// earlier, within a millisecond (and that every frame is there, in the source's order).
pub fn assert_same_pts(what: &str, path: &Path, packets: &[MediaPacket], shift: f64) {
    let got = packet_pts(path);
    let mut want: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for f in frames(packets) {
        want.entry(f.codec.name().into())
            .or_default()
            .push(f.pts.as_secs_f64() - shift);
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (codec, want) in &want {
        let got = &got[codec];
        assert_eq!(got.len(), want.len(), "{what} {codec}: packets");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 0.0011,
                "{what} {codec} packet {i}: pts {g} s, source {w} s"
            );
        }
    }
}

/// ffmpeg decodes the whole file: the error output, empty when every frame decoded.
pub fn decode_errors(path: &Path) -> String {
    let out = Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let mut errors = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        errors.push_str(&format!("(exit {})", out.status));
    }
    errors
}

/// Frames per codec name, and the stream's duration in seconds as ffprobe computes it for a
/// progressive file (the `mvhd` duration: from the earliest presentation time to the latest
/// presentation end) and for a fragmented one, which declares none: there each track ends at
/// its start time (first presentation time) plus its last decode end counted from 0, as
/// `tfdt` counts. A frame ends one frame step (the track's last decode step) after it starts.
pub fn expected(packets: &[MediaPacket]) -> (BTreeMap<&'static str, usize>, f64, f64) {
    let mut counts = BTreeMap::new();
    let mut times: BTreeMap<Track, Vec<(i64, i64)>> = BTreeMap::new();
    for f in frames(packets) {
        *counts.entry(f.codec.name()).or_insert(0) += 1;
        times
            .entry(f.track)
            .or_default()
            .push((f.dts.ticks(), f.pts.ticks()));
    }
    let step = |t: &Vec<(i64, i64)>| {
        let n = t.len();
        if n > 1 { t[n - 1].0 - t[n - 2].0 } else { 0 }
    };
    let pts_start = times.values().map(|t| t[0].1).min().unwrap_or(0);
    let presentation_start = times
        .values()
        .flat_map(|t| t.iter().map(|x| x.1))
        .min()
        .unwrap_or(0);
    let presentation_end = times
        .values()
        .map(|t| t.iter().map(|x| x.1).max().unwrap_or(0) + step(t))
        .max()
        .unwrap_or(0);
    let fragmented_end = times
        .values()
        .map(|t| t[0].1 + t[t.len() - 1].0 + step(t))
        .max()
        .unwrap_or(0);
    let seconds = |ticks: i64| ticks as f64 / 90_000.0;
    (
        counts,
        seconds(presentation_end - presentation_start),
        seconds(fragmented_end - pts_start),
    )
}

/// Two seconds of a lavfi `source` encoded by ffmpeg with the output options `args`.
pub fn generate(name: &str, source: &str, args: &[&str]) -> Bytes {
    let path = weir_testkit::TempPath::new(name);
    let status = Command::new(peer::binary("FFMPEG", "ffmpeg"))
        .args([
            "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t", "2",
        ])
        .args(args)
        .arg(&*path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
    std::fs::read(&path).expect("ffmpeg's output").into()
}

/// The box tree of the progressive file of `packets`.
pub fn progressive_boxes(packets: &[MediaPacket]) -> Vec<weir_mp4::Mp4Box> {
    weir_mp4::parse(&progressive(packets).into()).expect("the file reads")
}

/// The earliest presentation time of `packets`, in seconds.
pub fn first_pts(packets: &[MediaPacket]) -> f64 {
    frames(packets)
        .iter()
        .map(|f| f.pts.as_secs_f64())
        .fold(f64::INFINITY, f64::min)
}
