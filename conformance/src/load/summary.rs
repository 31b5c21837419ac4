//! What a load run found: printed for people, or as JSON for scripts (`benches/fanout`).

use std::fmt;
use std::time::Duration;

/// The publisher's part of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// Audio and video tags sent, and their bytes (tag bodies).
    pub tags: u64,
    pub bytes: u64,
    /// Times the whole file was sent.
    pub loops: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub url: String,
    pub players: u32,
    /// Players playing at the end.
    pub connected: usize,
    /// Players stalled at the end (silent for 2 s while others received).
    pub stalled: usize,
    /// Players connected at the end that never received an audio or video message.
    pub silent: usize,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Rule violations our client machines saw in the server's bytes.
    pub violations: u64,
    pub first_violation: Option<String>,
    pub elapsed: Duration,
    /// The part of the run the rate covers: after the warm-up.
    pub measured: Duration,
    /// Bytes all players received, in the whole run and in the measured part.
    pub bytes: u64,
    pub measured_bytes: u64,
    /// Audio and video packets players received (one per message but for multitrack).
    pub media: u64,
    /// The delay the server added to video frames after the warm-up, as the measuring
    /// players saw it: median and 99th percentile in milliseconds, and frames measured.
    pub delay_ms: Option<(f64, f64, u64)>,
    pub published: Option<Published>,
}

impl Summary {
    /// Every player connected, and none stalled or without media at the end: a run whose
    /// players got only the handshake and the commands has not served a stream.
    pub fn passed(&self) -> bool {
        self.connected == self.players as usize && self.stalled == 0 && self.silent == 0
    }

    /// The aggregate rate players received at in the measured part, in Mbit/s.
    pub fn mbps(&self) -> f64 {
        mbps(self.measured_bytes, self.measured)
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "url": self.url,
            "players": self.players,
            "connected": self.connected,
            "stalled": self.stalled,
            "silent": self.silent,
            "passed": self.passed(),
            "errors": self.errors,
            "first_error": self.first_error,
            "violations": self.violations,
            "first_violation": self.first_violation,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "measured_s": self.measured.as_secs_f64(),
            "bytes": self.bytes,
            "measured_bytes": self.measured_bytes,
            "mbps": self.mbps(),
            "media_packets": self.media,
            "delay_ms": self.delay_ms.map(|(p50, p99, frames)| serde_json::json!({
                "p50": p50,
                "p99": p99,
                "frames": frames,
            })),
            "published": self.published.as_ref().map(|p| serde_json::json!({
                "tags": p.tags,
                "bytes": p.bytes,
                "loops": p.loops,
            })),
        })
    }
}

/// `bytes` over `time` in Mbit/s (0 for no time).
pub(super) fn mbps(bytes: u64, time: Duration) -> f64 {
    match time.as_secs_f64() {
        secs if secs > 0.0 => bytes as f64 * 8.0 / secs / 1e6,
        _ => 0.0,
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        writeln!(
            f,
            "{verdict}: {}/{} players connected, {} stalled, {} without media, {} connection errors ({})",
            self.connected, self.players, self.stalled, self.silent, self.errors, self.url
        )?;
        writeln!(
            f,
            "received {:.2} Mbit/s over {:.1} s after warm-up; {} bytes and {} audio/video \
             packets in {:.1} s",
            self.mbps(),
            self.measured.as_secs_f64(),
            self.bytes,
            self.media,
            self.elapsed.as_secs_f64()
        )?;
        if let Some((p50, p99, frames)) = self.delay_ms {
            writeln!(
                f,
                "delay the server added to video frames: p50 {p50} ms, p99 {p99} ms ({frames} frames)"
            )?;
        }
        if let Some(p) = &self.published {
            writeln!(
                f,
                "published {} tags ({} bytes), {} whole loops of the file",
                p.tags, p.bytes, p.loops
            )?;
        }
        if let Some(e) = &self.first_error {
            writeln!(f, "first error: {e}")?;
        }
        if let Some(v) = &self.first_violation {
            writeln!(f, "{} rule violations, the first: {v}", self.violations)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        Summary {
            url: "rtmp://h/live/s".into(),
            players: 2,
            connected: 2,
            stalled: 0,
            silent: 0,
            errors: 0,
            first_error: None,
            violations: 0,
            first_violation: None,
            elapsed: Duration::from_secs(12),
            measured: Duration::from_secs(10),
            bytes: 20_000_000,
            measured_bytes: 15_000_000,
            media: 1000,
            delay_ms: Some((3.0, 9.0, 400)),
            published: None,
        }
    }

    #[test]
    fn passes_only_with_every_player_connected_and_none_stalled_or_silent() {
        assert!(summary().passed());
        assert!(
            !Summary {
                connected: 1,
                ..summary()
            }
            .passed()
        );
        assert!(
            !Summary {
                stalled: 1,
                ..summary()
            }
            .passed()
        );
        assert!(
            !Summary {
                silent: 1,
                ..summary()
            }
            .passed()
        );
    }

    #[test]
    fn the_rate_covers_the_measured_part_and_json_carries_it() {
        let s = summary();
        assert_eq!(s.mbps(), 12.0);
        let json = s.to_json();
        assert_eq!(json["mbps"], 12.0);
        assert_eq!(json["passed"], true);
        assert_eq!(json["measured_s"], 10.0);
        assert_eq!(json["first_error"], serde_json::Value::Null);
        assert_eq!(mbps(1, Duration::ZERO), 0.0);
        let text = Summary {
            errors: 1,
            first_error: Some("player 1: refused".into()),
            ..s
        }
        .to_string();
        assert!(text.starts_with("passed: 2/2 players connected"), "{text}");
        assert!(text.contains("12.00 Mbit/s") && text.contains("first error: player 1: refused"));
    }
}
