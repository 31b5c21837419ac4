//! What the transcoding tests share: tones, their analysis, and FFmpeg.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// `seconds` of a `freq` Hz sine at `rate`, amplitude `amp`, interleaved over `channels`.
pub fn sine(freq: f64, rate: u32, seconds: f64, amp: f64, channels: usize) -> Vec<i16> {
    let n = (f64::from(rate) * seconds) as usize;
    (0..n)
        .flat_map(|i| {
            let s = (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                as i16;
            std::iter::repeat_n(s, channels)
        })
        .collect()
}

/// What a tone measured.
#[derive(Debug, Clone, Copy)]
pub struct Tone {
    /// The strongest frequency near 1 kHz, in Hz.
    pub peak_hz: f64,
    /// The sine fitted at that frequency against everything else, in dB.
    pub snr_db: f64,
    /// RMS level in dBFS.
    pub rms_dbfs: f64,
}

fn goertzel_power(x: &[f64], freq: f64, rate: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / rate;
    let (mut s1, mut s2) = (0.0, 0.0);
    let c = 2.0 * w.cos();
    for &v in x {
        let s = v + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - c * s1 * s2
}

/// Measures channel 0 of `pcm` (interleaved, `channels`) at `rate`, leaving out the first and
/// last 250 ms (codec start-up and flush).
pub fn measure(pcm: &[i16], channels: usize, rate: u32) -> Tone {
    let mono: Vec<f64> = pcm
        .chunks_exact(channels)
        .map(|f| f64::from(f[0]))
        .collect();
    let edge = rate as usize / 4;
    assert!(
        mono.len() > 4 * edge,
        "{} samples: too short to measure",
        mono.len()
    );
    let x = &mono[edge..mono.len() - edge];
    let fs = f64::from(rate);
    let mut peak = (0.0, 0.0);
    for i in 0..=400 {
        let f = 900.0 + f64::from(i) * 0.5;
        let p = goertzel_power(x, f, fs);
        if p > peak.1 {
            peak = (f, p);
        }
    }
    // Least squares of a*sin + b*cos + c at the peak frequency.
    let w = 2.0 * std::f64::consts::PI * peak.0 / fs;
    let (mut ss, mut cc, mut sc, mut sx, mut cx) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let (s, c) = (w * i as f64).sin_cos();
        ss += s * s;
        cc += c * c;
        sc += s * c;
        sx += s * v;
        cx += c * v;
    }
    let det = ss * cc - sc * sc;
    let a = (sx * cc - cx * sc) / det;
    let b = (cx * ss - sx * sc) / det;
    let (mut signal, mut noise, mut energy) = (0.0, 0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let (s, c) = (w * i as f64).sin_cos();
        let fit = a * s + b * c;
        signal += fit * fit;
        noise += (v - fit) * (v - fit);
        energy += v * v;
    }
    Tone {
        peak_hz: peak.0,
        snr_db: 10.0 * (signal / noise.max(1e-9)).log10(),
        rms_dbfs: 20.0 * ((energy / x.len() as f64).sqrt() / 32768.0).log10(),
    }
}

/// The FFmpeg binary (`FFMPEG` overrides).
pub fn ffmpeg() -> String {
    std::env::var("FFMPEG").unwrap_or_else(|_| "ffmpeg".into())
}

/// Runs FFmpeg with `args`, failing with the install hint when it is missing.
pub fn run_ffmpeg(args: &[&str]) {
    let out = Command::new(ffmpeg())
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "ffmpeg not runnable ({e}): install FFmpeg (apt-get install ffmpeg) or set FFMPEG"
            )
        });
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Decodes `file` with FFmpeg to mono 48 kHz 16-bit PCM.
pub fn decode_to_pcm(file: &Path) -> Vec<i16> {
    let raw = file.with_extension("pcm");
    run_ffmpeg(&[
        "-i",
        file.to_str().unwrap(),
        "-ac",
        "1",
        "-ar",
        "48000",
        "-f",
        "s16le",
        raw.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&raw).unwrap();
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("weir-transcode-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
