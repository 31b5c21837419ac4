//! FFmpeg's RTP muxer as the peer, through the whole harness: it sends a file's stream to a UDP
//! port while dumpcap records loopback, and `weir check` reads the capture with the SDP FFmpeg
//! wrote (`--sdp`): the frames it depacketizes are the frames `ffprobe` counts in the source
//! file, and the stream breaks no rule. (Sleeps here only wait for dumpcap; none judges.)

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use weir_conformance::capture::CaptureReader;
use weir_conformance::check::{self, Coverage, Input, Options};
use weir_conformance::protocols::Protocol;
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
    // A socket of our own whose datagrams show when dumpcap has begun to write what it sees.
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    let probe_port = probe.local_addr().unwrap().port();
    let capture = dir.path().join("rtp.pcapng");
    let filter = format!("udp port {port} or udp port {probe_port}");
    let mut dumpcap = Command::new("dumpcap")
        .args(["-i", "lo", "-f", &filter, "-w"])
        .arg(&capture)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dumpcap (apt-get install tshark)");
    // dumpcap says when it captures.
    let mut said = BufReader::new(dumpcap.stderr.take().unwrap());
    let mut line = String::new();
    while said.read_line(&mut line).unwrap() > 0 && !line.contains("Capturing on") {
        line.clear();
    }
    wait_for_capture(&capture, &probe, probe_port);
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
    // Once a probe sent after FFmpeg's last packet is in the file, so is that packet.
    wait_for_capture(&capture, &probe, probe_port);
    // SIGINT: dumpcap writes what it holds and ends the file.
    Command::new("kill")
        .args(["-INT", &dumpcap.id().to_string()])
        .status()
        .unwrap();
    dumpcap.wait().unwrap();
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

/// Sends probes until one is in the capture file: what was sent before it has been written.
fn wait_for_capture(capture: &Path, probe: &UdpSocket, probe_port: u16) {
    // The probes the file holds so far (a file being written reads up to its last whole block).
    let probes = || {
        let Ok(file) = std::fs::File::open(capture) else {
            return 0;
        };
        let Ok(packets) = CaptureReader::new(BufReader::new(file)) else {
            return 0;
        };
        packets
            .map_while(Result::ok)
            .filter(|p| p.data.ends_with(b"probe"))
            .count()
    };
    let before = probes();
    let deadline = Instant::now() + Duration::from_secs(20);
    while probes() <= before {
        assert!(Instant::now() < deadline, "dumpcap never wrote the probe");
        probe.send_to(b"probe", ("127.0.0.1", probe_port)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
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
