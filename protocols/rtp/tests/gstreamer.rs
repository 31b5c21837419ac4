//! GStreamer (1.22) as the peer: what its RTP payloaders send comes out of our depacketizers
//! as whole frames, in the format its caps announce; and what our packetizers send, its
//! depayloaders take and its decoders decode, frame for frame.
//!
//! `rtpav1pay` is not tested: GStreamer 1.22 has no AV1 payloader in its C plugins (it came
//! with the Rust plugins' `rtpav1pay`), and `gst-inspect-1.0 rtpav1pay` finds none here.

mod support;

use std::process::{Command, Stdio};
use support::peer::{
    Received, assert_same, assert_video, caps_of, decoded, depacketized, format_of_caps, free_port,
    listen, made, receive, send, ts_media, wait_listening,
};
use weir_media::{CodecConfig, MediaPacket};
use weir_rtp::Format;
use weir_testkit::TempPath;
use weir_testkit::peer;

/// What GStreamer did and said: its RTP stream, depacketized by the format its payloader's
/// caps gave, and the `-v` log it printed.
struct FromGst {
    got: Received,
    format: Format,
    log: String,
}

impl FromGst {
    /// The buffers that went through the `identity` in the pipeline.
    fn buffers(&self) -> Vec<Buffer> {
        buffers(&self.log)
    }
}

/// A buffer an `identity silent=false` saw: its size and presentation time in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Buffer {
    size: usize,
    pts: Option<u64>,
}

/// The buffers an `identity silent=false` saw, from `gst-launch-1.0 -v`'s log (`last-message
/// = chain ******* (identity0:sink) (1316 bytes, dts: ..., pts: 0:00:00.013500000, ...`).
fn buffers(log: &str) -> Vec<Buffer> {
    log.lines()
        .filter_map(|l| {
            l.split_once("last-message = chain")?
                .1
                .split_once(") (")?
                .1
                .split_once(')')
        })
        .map(|(fields, _)| {
            let (size, _) = fields.split_once(' ').unwrap();
            let pts = fields
                .split(", ")
                .find_map(|f| f.strip_prefix("pts: "))
                .and_then(|t| {
                    let (hms, ns) = t.split_once('.')?;
                    let secs = hms
                        .split(':')
                        .try_fold(0u64, |acc, p| Some(acc * 60 + p.parse::<u64>().ok()?))?;
                    Some(secs * 1_000_000_000 + ns.parse::<u64>().ok()?)
                });
            Buffer {
                size: size.parse().unwrap(),
                pts,
            }
        })
        .collect()
}

/// `gst-launch-1.0 -v` with `pipeline` (a source, encoder and payloader), whose packets go
/// to a socket of ours; what it sent, depacketized by the format the payloader's src caps name.
fn from_gstreamer(pipeline: &str) -> FromGst {
    let (socket, port) = listen();
    let log = TempPath::new("gst.log");
    let mut child = Command::new(peer::binary("GST_LAUNCH", "gst-launch-1.0"))
        .arg("-v")
        .args(pipeline.split_whitespace())
        .args(["!", "udpsink", "host=127.0.0.1"])
        .arg(format!("port={port}"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(log.path()).unwrap())
        .spawn()
        .unwrap();
    let datagrams = receive(&socket, &mut child);
    let log = std::fs::read_to_string(log.path()).unwrap();
    // The payloader's src pad is the first to carry RTP; its last caps are its final word.
    let caps = log
        .lines()
        .filter_map(|l| l.split_once(".GstPad:src: caps = application/x-rtp"))
        .map(|(_, fields)| format!("application/x-rtp{fields}"))
        .next_back()
        .unwrap_or_else(|| panic!("the payloader's caps, in gst-launch-1.0's log:\n{log}"));
    let format = format_of_caps(&caps);
    FromGst {
        got: depacketized(&format, datagrams),
        format,
        log,
    }
}

/// 25 frames of 320x240 test video at 25 fps, in `I420` (4:2:0, what the encoders pick
/// otherwise may be 4:4:4).
const VIDEO: &str =
    "videotestsrc num-buffers=25 ! video/x-raw,format=I420,width=320,height=240,framerate=25/1";

/// GStreamer's `encoder` and payloader (`pay`, with its options) sent one second of video,
/// a keyframe every ten frames, that came out of our depacketizer whole (see [`assert_video`]),
/// of the size when one is given.
fn video_from_gstreamer(encoder: &str, pay: &str, size: Option<(u32, u32)>) -> FromGst {
    let gst = from_gstreamer(&format!("{VIDEO} ! {encoder} ! {pay} mtu=1200"));
    assert_video(&gst.got, size);
    assert_eq!(gst.got.frames.iter().filter(|f| f.keyframe).count(), 3);
    gst
}

const X264: &str = "x264enc key-int-max=10 bframes=0";

#[test]
fn h264_from_gstreamer_zero_latency() {
    let pay = "rtph264pay config-interval=-1 aggregate-mode=zero-latency";
    let gst = video_from_gstreamer(X264, pay, Some((320, 240)));
    assert_eq!(gst.format.param("packetization-mode"), Some("1"));
}

/// With `max-stap` the payloader aggregates the parameter sets with the slice after them.
#[test]
fn h264_from_gstreamer_max_stap() {
    let pay = "rtph264pay config-interval=-1 aggregate-mode=max-stap";
    let gst = video_from_gstreamer(X264, pay, Some((320, 240)));
    // STAP-A is NAL unit type 24 (RFC 6184 §5.7.1).
    assert!(gst.got.payloads.iter().any(|p| p[0] & 0x1f == 24));
}

#[test]
fn h265_from_gstreamer() {
    video_from_gstreamer(
        "x265enc key-int-max=10 option-string=bframes=0",
        "rtph265pay config-interval=-1",
        Some((320, 240)),
    );
}

#[test]
fn vp8_from_gstreamer() {
    video_from_gstreamer("vp8enc keyframe-max-dist=10", "rtpvp8pay", None);
}

#[test]
fn vp9_from_gstreamer() {
    video_from_gstreamer("vp9enc keyframe-max-dist=10", "rtpvp9pay", None);
}

/// One second of stereo test tone at 48 kHz, in 50 buffers.
const AUDIO: &str =
    "audiotestsrc num-buffers=50 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2";

/// Every packet GStreamer's encoder made came out of our depacketizer as a frame, nothing
/// lost or broken, each at the time GStreamer gave the packet: its RTP timestamp is that time
/// on the format's clock, rounded down (as `GstRTPBasePayload` makes it), which we put on the
/// 90 kHz timeline, rounded down again.
fn assert_audio(gst: &FromGst) {
    let got = &gst.got;
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    let rate = u64::from(gst.format.clock_rate);
    let sent: Vec<(usize, i64)> = gst
        .buffers()
        .iter()
        .map(|b| {
            let ticks = b.pts.unwrap() * rate / 1_000_000_000;
            (b.size, (ticks * 90_000 / rate) as i64)
        })
        .collect();
    let frames: Vec<(usize, i64)> = got.frames.iter().map(|f| (f.data.len(), f.pts.0)).collect();
    assert_eq!(frames, sent);
}

#[test]
fn opus_from_gstreamer() {
    let gst = from_gstreamer(&format!(
        "{AUDIO} ! opusenc frame-size=20 ! identity silent=false ! rtpopuspay mtu=1200"
    ));
    assert_audio(&gst);
    assert!(matches!(gst.got.configs[..], [CodecConfig::Opus(_)]));
}

#[test]
fn aac_from_gstreamer() {
    let gst = from_gstreamer(&format!(
        "{AUDIO} ! avenc_aac ! identity silent=false ! rtpmp4gpay mtu=1200"
    ));
    assert_audio(&gst);
    assert!(gst.format.param("config").is_some());
    let s = gst.got.configs[0].summary();
    assert_eq!((s.sample_rate, s.channels), (Some(48_000), Some(2)));
}

#[test]
fn pcmu_from_gstreamer() {
    let gst = from_gstreamer(
        "audiotestsrc num-buffers=25 samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! identity silent=false ! rtppcmupay mtu=1200",
    );
    assert!(gst.got.problems.is_empty(), "{:?}", gst.got.problems);
    // The payloader may regroup samples into packets of its own ptime: count samples.
    let samples: usize = gst.got.frames.iter().map(|f| f.data.len()).sum();
    assert_eq!(samples, gst.buffers().iter().map(|b| b.size).sum::<usize>());
    assert_eq!(samples, 25 * 160);
}

/// The transport stream GStreamer's muxer made (kept by a `tee` into a file) is what came out
/// of our depacketizer, but for its end: GStreamer 1.22's `rtpmp2tpay` sends its TS packets
/// only when a packet's worth (six at this MTU) is waiting and the next buffer comes, and
/// drops what it still holds at the end of the stream.
#[test]
fn mpegts_from_gstreamer() {
    let muxed = TempPath::new("gst.ts");
    let gst = from_gstreamer(&format!(
        "{VIDEO} ! {X264} ! mpegtsmux ! tee name=t t. ! queue ! filesink location={} t. ! queue ! rtpmp2tpay mtu=1200",
        muxed.path().display()
    ));
    assert!(gst.got.problems.is_empty(), "{:?}", gst.got.problems);
    let muxed = std::fs::read(muxed.path()).unwrap();
    let held = muxed.len() - gst.got.mux.len();
    assert!(held <= 6 * 188, "{held} bytes missing");
    assert_eq!(gst.got.mux, muxed[..gst.got.mux.len()]);
    // Our demuxer finds the 25 frames in the muxer's stream, and in what we depacketized the
    // same ones, but for the last when its end is among what the payloader kept.
    let frames = |ts: &[u8]| -> Vec<MediaPacket> {
        ts_media(ts)
            .into_iter()
            .filter(|m| matches!(m, MediaPacket::Frame(_)))
            .collect()
    };
    let (all, ours) = (frames(&muxed), frames(&gst.got.mux));
    assert_eq!(all.len(), 25);
    assert!(
        ours.len() + usize::from(held > 0) >= 25,
        "{} frames",
        ours.len()
    );
    assert_eq!(ours, all[..ours.len()]);
}

/// What GStreamer decoded of `media` sent as `format`: `depay` is its chain from the
/// depayloader to the decoder. Returns the log (an `identity` counts the decoded buffers) and
/// the decoded bytes.
fn to_gstreamer(
    media: &[MediaPacket],
    format: &Format,
    kind: &str,
    depay: &str,
) -> (Vec<Buffer>, Vec<u8>) {
    let port = free_port();
    let (log, raw) = (TempPath::new("gst.log"), TempPath::new("decoded.raw"));
    let mut child = Command::new(peer::binary("GST_LAUNCH", "gst-launch-1.0"))
        // -e: interrupted, the pipeline ends with an EOS, which drains the depayloader,
        // parser and decoder of what they hold.
        .args(["-v", "-e", "udpsrc", "address=127.0.0.1"])
        .arg(format!("port={port}"))
        .arg(format!("caps={}", caps_of(format, kind)))
        .arg("!")
        .args(depay.split_whitespace())
        .args(["!", "identity", "silent=false", "!", "filesink"])
        .arg(format!("location={}", raw.path().display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(log.path()).unwrap())
        .spawn()
        .unwrap();
    wait_listening(port);
    // `send` returns when udpsrc has read every datagram, and its one streaming thread has
    // pushed all of them but the last down the pipeline: the EOS follows that one.
    send(media, format, port);
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "gst-launch-1.0: {status}");
    let log = std::fs::read_to_string(log.path()).unwrap();
    (buffers(&log), std::fs::read(raw.path()).unwrap())
}

/// The frames of `raw` 4:2:0 320x240 video as FFmpeg's framecrc gives them.
fn raw_video_crcs(raw: &[u8]) -> Vec<String> {
    let file = TempPath::new("decoded.yuv");
    std::fs::write(file.path(), raw).unwrap();
    let input = format!(
        "-f rawvideo -pix_fmt yuv420p -s 320x240 -i {}",
        file.path().display()
    );
    let args: Vec<&std::ffi::OsStr> = input.split_whitespace().map(|a| a.as_ref()).collect();
    decoded(&args, "0:v")
}

/// GStreamer's decoder made of what we sent what FFmpeg's makes of the source file, byte for
/// byte, every frame: the EOS drains what GStreamer holds.
fn gstreamer_decodes_video(args: &str, container: &str, format: Format, depay: &str) {
    let (media, source) = made(args, container, true);
    let (buffers, raw) = to_gstreamer(&media, &format, "video", depay);
    assert_eq!(buffers.len(), source.len());
    assert_same(&raw_video_crcs(&raw), &source, 0);
}

const SOURCE: &str = "-f lavfi -t 2 -i testsrc=size=320x240:rate=25 -pix_fmt yuv420p";

#[test]
fn gstreamer_decodes_our_h264() {
    gstreamer_decodes_video(
        &format!("{SOURCE} -c:v libx264 -g 20 -bf 0"),
        "flv",
        Format::new("H264", 90_000).with_fmtp("packetization-mode=1"),
        "rtph264depay ! h264parse ! avdec_h264",
    );
}

/// FFmpeg 5.1 writes no HEVC into FLV: the source is MPEG-TS, read by weir-mpegts.
#[test]
fn gstreamer_decodes_our_h265() {
    gstreamer_decodes_video(
        &format!("{SOURCE} -c:v libx265 -x265-params log-level=none:keyint=20:bframes=0"),
        "mpegts",
        Format::new("H265", 90_000),
        "rtph265depay ! h265parse ! avdec_h265",
    );
}

/// FLV carries no VP8: the source is IVF.
#[test]
fn gstreamer_decodes_our_vp8() {
    gstreamer_decodes_video(
        &format!("{SOURCE} -c:v libvpx -g 20 -b:v 500k"),
        "ivf",
        Format::new("VP8", 90_000),
        "rtpvp8depay ! vp8dec",
    );
}

/// Every audio frame we sent was decoded: `decoder` outputs one buffer per frame.
fn gstreamer_decodes_audio(media: &[MediaPacket], format: Format, depay: &str) {
    let sent = media
        .iter()
        .filter(|m| matches!(m, MediaPacket::Frame(_)))
        .count();
    let (buffers, _) = to_gstreamer(media, &format, "audio", depay);
    assert_eq!(buffers.len(), sent);
}

/// FLV (before Enhanced RTMP, which FFmpeg 5.1 does not write) carries no Opus: the source is
/// MPEG-TS.
#[test]
fn gstreamer_decodes_our_opus() {
    let (media, _) = made(
        "-f lavfi -t 2 -i sine=sample_rate=48000 -c:a libopus -ac 2",
        "mpegts",
        false,
    );
    gstreamer_decodes_audio(
        &media,
        Format::new("OPUS", 48_000).with_channels(2),
        "rtpopusdepay ! opusdec",
    );
}

#[test]
fn gstreamer_decodes_our_aac() {
    let (media, _) = made(
        "-f lavfi -t 2 -i sine=sample_rate=48000 -c:a aac -ac 2",
        "flv",
        false,
    );
    let config: String = media
        .iter()
        .find_map(|m| match m {
            MediaPacket::Config(c) => Some(c.data.iter().map(|b| format!("{b:02x}")).collect()),
            _ => None,
        })
        .unwrap();
    let format = Format::new("MPEG4-GENERIC", 48_000)
        .with_channels(2)
        .with_fmtp(&format!(
            "streamtype=5;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config={config}"
        ));
    gstreamer_decodes_audio(&media, format, "rtpmp4gdepay ! aacparse ! avdec_aac");
}
