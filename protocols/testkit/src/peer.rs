//! Real peers (FFmpeg, GStreamer, nginx...) that tests drive: the binary named by an
//! environment variable, else on `PATH`, else in `/usr/sbin` (where Debian puts nginx). A
//! missing peer fails the test with how to install it; `ci/install-peers` installs them all.

use std::process::{Command, Stdio};

/// The binary of peer `name`: `$var`, else `name` on `PATH`, else `/usr/sbin/{name}`. Panics
/// with the install hint when none of them runs (`{bin} -version` must start).
pub fn binary(var: &str, name: &str) -> String {
    find(var, name).unwrap_or_else(|| {
        panic!("{name} is missing: run ci/install-peers (apt-get install {name}) or set {var}")
    })
}

/// The binary of peer `name` as [`binary`] finds it, or `None` when none runs: for the tests
/// that skip without it.
pub fn find(var: &str, name: &str) -> Option<String> {
    let runs = |bin: &str| {
        Command::new(bin)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    let candidates = match std::env::var(var) {
        Ok(bin) => vec![bin],
        Err(_) => vec![name.to_owned(), format!("/usr/sbin/{name}")],
    };
    candidates.into_iter().find(|bin| runs(bin))
}

/// libsrt's own tool (Debian's srt-tools), which the SRT interop tests drive as caller and
/// listener: `$SRT_LIVE_TRANSMIT`, else `srt-live-transmit` as [`find`] looks it up; `None`
/// when none runs.
pub fn srt_live_transmit() -> Option<String> {
    find("SRT_LIVE_TRANSMIT", "srt-live-transmit")
}

/// ffprobe's view of a media file: per stream, (`codec_name`, packets read, frames decoded),
/// and what it printed at level error. The count every demuxer test compares with.
pub fn ffprobe_counts(path: &std::path::Path) -> (Vec<(String, usize, usize)>, String) {
    let out = Command::new(binary("FFPROBE", "ffprobe"))
        .args([
            "-v",
            "error",
            "-count_frames",
            "-count_packets",
            "-show_entries",
        ])
        .arg("stream=codec_name,nb_read_packets,nb_read_frames")
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let streams = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_string(),
                f.get(2).and_then(|n| n.parse().ok()).unwrap_or(0),
                f.get(1).and_then(|n| n.parse().ok()).unwrap_or(0),
            )
        })
        .collect();
    (streams, String::from_utf8_lossy(&out.stderr).into_owned())
}
