//! `weir serve` with GStreamer (rtmp2sink publishes, rtmp2src plays), rtmpdump (plays) and
//! OBS Studio (publishes, headless under Xvfb).

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;
use support::{Weir, ffmpeg_publish, finish, run};
use weir_testkit::TempPath;
use weir_testkit::peer;

/// `gst-launch-1.0 -e` with a pipeline.
fn gst(pipeline: &str) -> Command {
    let mut command = Command::new(peer::binary("GST_LAUNCH", "gst-launch-1.0"));
    command.arg("-e").args(pipeline.split_whitespace());
    command
}

#[test]
fn gstreamer_rtmp2sink_publishes_and_rtmp2src_plays() {
    let weir = Weir::start(&[]);
    let url = weir.rtmp_url("gst");
    let publish = format!(
        "videotestsrc is-live=true num-buffers=500 ! video/x-raw,width=640,height=360,framerate=25/1 \
         ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=25 ! video/x-h264,profile=main \
         ! h264parse ! flvmux name=mux streamable=true ! rtmp2sink location={url} \
         audiotestsrc is-live=true num-buffers=860 ! audioconvert ! avenc_aac ! aacparse ! mux."
    );
    let publisher = gst(&publish)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gst-launch-1.0 starts");

    let api = weir.wait_for_stream("gst", Duration::from_secs(20));
    assert_eq!(api["video"]["codec"], "H264");
    assert_eq!(api["video"]["profile"], "Main");
    assert_eq!(api["video"]["width"], 640);
    assert_eq!(api["video"]["height"], 360);
    assert_eq!(api["audio"]["codec"], "AAC");

    // rtmp2src plays: 50 decoded frames, then identity ends the stream.
    let play = format!(
        "rtmp2src location={url} ! flvdemux name=d d.video ! queue ! h264parse ! avdec_h264 \
         ! identity eos-after=50 ! fakesink"
    );
    let (ok, stdout, stderr) = run(&mut gst(&play), Duration::from_secs(30));
    assert!(ok, "rtmp2src failed: {stdout}{stderr}\n{}", weir.log());
    assert!(stdout.contains("EOS"), "{stdout}");

    let (ok, stdout, stderr) = finish(publisher, Duration::from_secs(30));
    assert!(ok, "rtmp2sink failed: {stdout}{stderr}");
    assert!(
        !weir.log().contains("peer broke a rule"),
        "GStreamer broke no rule:\n{}",
        weir.log()
    );
}

#[test]
fn rtmpdump_plays() {
    let weir = Weir::start(&[]);
    let mut publisher = ffmpeg_publish(&weir.rtmp_url("dump"), 30);
    weir.wait_for_stream("dump", Duration::from_secs(15));
    let file = TempPath::new("rtmpdump.flv");
    let (_, _, stderr) = run(
        Command::new(peer::binary("RTMPDUMP", "rtmpdump"))
            .args([
                "-q",
                "--live",
                "--stop",
                "4",
                "-r",
                &weir.rtmp_url("dump"),
                "-o",
            ])
            .arg(&file),
        Duration::from_secs(30),
    );
    let (ok, stdout, probe_err) = run(
        Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
            .args([
                "-show_entries",
                "stream=codec_name,width,height,nb_read_frames",
            ])
            .args(["-of", "csv=p=0"])
            .arg(&file),
        Duration::from_secs(30),
    );
    let _ = std::fs::remove_file(&file);
    assert!(
        ok,
        "ffprobe of rtmpdump's file: {probe_err}\nrtmpdump: {stderr}"
    );
    let fields: Vec<&str> = stdout.trim().split(',').collect();
    assert_eq!(&fields[..3], ["h264", "640", "360"], "{stdout}");
    let frames: u32 = fields[3].parse().unwrap();
    assert!(frames >= 75, "rtmpdump got {frames} frames in 4 s");
    let _ = publisher.kill();
    let _ = publisher.wait();
}

#[test]
fn obs_publishes() {
    assert!(
        Command::new("obs").arg("--version").output().is_ok(),
        "OBS is missing: run ci/install-peers (apt-get install obs-studio xvfb)"
    );
    let weir = Weir::start(&[]);
    let server = format!("rtmp://127.0.0.1:{}/live", weir.rtmp);
    let session = concat!(env!("CARGO_MANIFEST_DIR"), "/ci/obs-session");
    let mut obs = Command::new(session)
        .args([&server, "obs", "12"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ci/obs-session runs");
    let api = weir.wait_for_stream("obs", Duration::from_secs(12));
    assert_eq!(api["video"]["codec"], "H264");
    assert_eq!(api["video"]["width"], 320);
    assert_eq!(api["video"]["height"], 180);
    assert_eq!(api["audio"]["codec"], "AAC");
    // What OBS publishes plays: ffprobe reads it over HTTP-FLV.
    let (ok, stdout, stderr) = run(
        Command::new(peer::binary("FFPROBE", "ffprobe"))
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name,width,height",
            ])
            .args(["-of", "csv=p=0", &weir.flv_url("obs")]),
        Duration::from_secs(20),
    );
    assert!(ok, "ffprobe: {stderr}");
    assert!(stdout.contains("h264,320,180"), "{stdout}");
    let _ = obs.wait();
}
