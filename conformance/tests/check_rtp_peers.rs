//! FFmpeg's RTP muxer as the peer, through the whole harness: it sends a file's stream to a UDP
//! port while dumpcap records loopback, and `weir check` reads the capture with the SDP FFmpeg
//! wrote (`--sdp`): the frames it depacketizes are the frames `ffprobe` counts in the source
//! file, and the stream breaks no rule.

use std::net::UdpSocket;
use std::path::Path;
use std::process::Command;

use weir_conformance::check::{self, Coverage, Input, Options};
use weir_conformance::protocols::Protocol;
use weir_testkit::dumpcap::Dumpcap;
use weir_testkit::{TempPath, peer};

/// Packets (frames) of the source's first stream, as ffprobe counts them.
fn ffprobe_frames(path: &Path) -> u64 {
    let out = Command::new(peer::binary("FFPROBE", "ffprobe"))
        .args(["-v", "error", "-select_streams", "0", "-count_packets"])
        .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Makes `source` with FFmpeg (`encode`: input and encoder), sends it with `-c copy` as RTP
/// while dumpcap records, and checks the capture with FFmpeg's SDP. Returns the frames the
/// harness depacketized and the source's.
fn sent_and_checked(encode: &str, source_name: &str) -> (u64, u64) {
    let dir = TempPath::dir("rtp-peer");
    let source = dir.path().join(source_name);
    let ffmpeg = peer::binary("FFMPEG", "ffmpeg");
    let status = Command::new(&ffmpeg)
        .args(["-hide_banner", "-loglevel", "error"])
        .args(encode.split_whitespace())
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success(), "{encode}");
    // Held while FFmpeg sends, so that no other socket (the probe's) takes the port.
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = receiver.local_addr().unwrap().port();
    let capture = Dumpcap::start(&dir.path().join("rtp.pcapng"), &format!("udp port {port}"));
    let sdp = dir.path().join("ffmpeg.sdp");
    let status = Command::new(&ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-re", "-i"])
        .arg(&source)
        // VP9 over RTP is "experimental" to FFmpeg 5.1.
        .args(["-map", "0:0", "-c", "copy", "-strict", "experimental"])
        .args(["-f", "rtp", "-sdp_file"])
        .arg(&sdp)
        .arg(format!("rtp://127.0.0.1:{port}?pkt_size=1200"))
        .status()
        .unwrap();
    assert!(status.success());
    let capture = capture.stop();
    let mut options = Options::default();
    options.decode_as.add_sdp(&sdp).unwrap();
    let report = check::run(&[Input::Capture(capture)], &options)
        .inputs
        .remove(0);
    let flow = report
        .flows
        .iter()
        .find(|f| f.server.port() == port)
        .expect("the RTP flow");
    assert_eq!(flow.protocol, Protocol::Rtp);
    assert_eq!(flow.counted_failures(), 0, "{:?}", flow.verdicts);
    assert!(
        matches!(flow.coverage, Coverage::Full),
        "{:?}",
        flow.coverage
    );
    let frames = flow.tracks.iter().map(|(_, _, s)| s.frames).sum();
    (frames, ffprobe_frames(&source))
}

const VIDEO: &str = "-f lavfi -t 2 -i testsrc=size=320x240:rate=25 -pix_fmt yuv420p";

#[test]
fn h264_h265_vp8_and_vp9_from_ffmpeg_through_the_harness() {
    for (encode, name) in [
        (format!("{VIDEO} -c:v libx264 -g 25 -bf 0"), "h264.mp4"),
        (
            format!("{VIDEO} -c:v libx265 -x265-params log-level=none:keyint=25:bframes=0"),
            "h265.mp4",
        ),
        (format!("{VIDEO} -c:v libvpx -g 25 -b:v 300k"), "vp8.webm"),
        (
            format!("{VIDEO} -c:v libvpx-vp9 -g 25 -b:v 300k -deadline realtime"),
            "vp9.webm",
        ),
    ] {
        let (depacketized, source) = sent_and_checked(&encode, name);
        assert_eq!(depacketized, source, "{name}");
        assert_eq!(source, 50, "{name}");
    }
}

#[test]
fn opus_and_aac_from_ffmpeg_through_the_harness() {
    let audio = "-f lavfi -t 2 -i sine=frequency=440:sample_rate=48000";
    for (encode, name) in [
        (
            format!("{audio} -c:a libopus -frame_duration 20"),
            "opus.webm",
        ),
        (format!("{audio} -c:a aac -ac 2"), "aac.mp4"),
    ] {
        let (depacketized, source) = sent_and_checked(&encode, name);
        // FFmpeg's AAC packetizer keeps the AUs of its last, unfilled packet (see
        // protocols/rtp/tests/ffmpeg.rs): up to two of them never leave it.
        let held = if name.starts_with("aac") { 2 } else { 0 };
        assert!(
            depacketized <= source && depacketized + held >= source,
            "{name}: {depacketized} of {source}"
        );
    }
}
