//! `weir probe srt://host:port?streamid=…&passphrase=…`: the SRT prober. Each case runs on its
//! own thread within `--timeout`, on its own UDP socket and its own stream id (the resource of
//! the URL's `streamid`, or `live/probe`, with the case id and a nonce appended).
//!
//! - [`conn`]: the blocking UDP side: our `weir_srt::Caller` to connect as libsrt callers do,
//!   hand-made handshakes for the cases that shape them on purpose, and a [`conn::Session`]
//!   driving `weir_srt::connection::Connection` that records what the server sent;
//! - [`media`]: the TS it publishes (our muxer on synthetic H.264 and AAC) and the comparison of
//!   what a player got with it;
//! - [`cases`]: the cases and their verdicts; [`rules`]: the rules only a live server shows.
//!
//! URL parameters besides `streamid`: `passphrase` (and `pbkeylen`, 16, 24 or 32) encrypts
//! every connection and enables the wrong-passphrase and no-passphrase cases; `play=host:port`
//! is where players connect when not to the same address (`srt-live-transmit` relays one
//! listener port to another), `play=none` says there is no player (a publish-only listener:
//! the relay case is not applicable).
//!
//! Driving loop: [`run`] → for each selected case, a [`Ctx`], then the case's function; the
//! media cases share one round ([`Ctx::round`]), run by the first of them.

pub mod cases;
pub mod conn;
pub mod media;
pub mod rules;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{CaseResult, CaseWith, Options, Outcome, ProbeReport, Step, play, selected, suffix};
use media::Round;

/// One SRT case.
pub type Case = CaseWith<Ctx>;

/// What the URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtTarget {
    /// Where publishers (and every case but the player) connect.
    pub addr: SocketAddr,
    /// Where players connect; `None` (`play=none`) for a publish-only listener.
    pub play: Option<SocketAddr>,
    /// The resource (`app/stream`) the stream ids name.
    pub resource: String,
    /// The passphrase, when the server encrypts.
    pub passphrase: Option<String>,
    /// The key length in bytes (16, 24 or 32).
    pub key_len: usize,
}

impl SrtTarget {
    /// From `srt://host:port?streamid=…&passphrase=…&pbkeylen=…&play=host:port`.
    pub fn parse(url: &str) -> Result<SrtTarget, String> {
        let bad = |why: &str| format!("{url}: {why} (expected srt://host:port[?streamid=…])");
        let rest = url
            .strip_prefix("srt://")
            .ok_or_else(|| bad("not an srt:// URL"))?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.trim_end_matches('/');
        let resolve = |a: &str| -> Result<SocketAddr, String> {
            a.to_socket_addrs()
                .map_err(|e| bad(&format!("cannot resolve {a}: {e}")))?
                .next()
                .ok_or_else(|| bad(&format!("{a} resolves to no address")))
        };
        let addr = resolve(authority)?;
        let mut target = SrtTarget {
            addr,
            play: Some(addr),
            resource: "live/probe".to_owned(),
            passphrase: None,
            key_len: 16,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            match key {
                "streamid" => target.resource = resource_of(&value),
                "passphrase" => target.passphrase = Some(value),
                "pbkeylen" => {
                    target.key_len = match value.as_str() {
                        "16" | "24" | "32" => value.parse().unwrap_or(16),
                        _ => return Err(bad("pbkeylen is 16, 24 or 32")),
                    }
                }
                "play" if value == "none" => target.play = None,
                "play" => target.play = Some(resolve(&value)?),
                _ => {}
            }
        }
        Ok(target)
    }
}

/// The resource a stream id names: `r=` of the `#!::` form, else the id itself
/// (`live/livestream` for an empty one, as SRS does).
fn resource_of(id: &str) -> String {
    match id.strip_prefix("#!::") {
        Some(pairs) => pairs
            .split(',')
            .find_map(|p| p.strip_prefix("r="))
            .unwrap_or("live/probe")
            .to_owned(),
        None if id.is_empty() => "live/livestream".to_owned(),
        None => id.split('?').next().unwrap_or(id).to_owned(),
    }
}

/// `%XX` escapes decoded (stream ids hold `#`, `!`, `:`, `,` and `=`).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `url` is an SRT URL.
pub fn takes(url: &str) -> bool {
    url.starts_with("srt://")
}

/// The media round the media cases share: run once, by the first that asks.
type SharedRound = Arc<Mutex<Option<Result<Arc<Round>, Outcome>>>>;

/// What a case is handed.
pub struct Ctx {
    pub target: SrtTarget,
    pub deadline: Instant,
    /// Appended to the resource: the case and the run.
    suffix: String,
    /// Seeds the case's random numbers (socket ids, sequence numbers, keys).
    pub seed: u64,
    shared: SharedRound,
}

impl Ctx {
    /// The `#!::` stream id of this case's stream in `mode` (`publish` or `request`).
    pub fn stream_id(&self, mode: &str) -> String {
        format!("#!::r={}-{},m={mode}", self.target.resource, self.suffix)
    }

    /// The media round, run now if no case ran it yet.
    pub fn round(&self) -> Step<Arc<Round>> {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if shared.is_none() {
            *shared = Some(media::round(self).map(Arc::new));
        }
        match shared.as_ref() {
            Some(Ok(round)) => Ok(round.clone()),
            Some(Err(outcome)) => Err(outcome.clone()),
            None => Err(Outcome::error("no media round")),
        }
    }
}

/// Runs the selected cases one after another; `progress` hears of each as it ends.
pub fn run(
    options: &Options,
    progress: &mut dyn FnMut(&CaseResult),
) -> Result<ProbeReport, String> {
    let target = SrtTarget::parse(&options.url)?;
    let mut report = ProbeReport::new(options);
    if let Err(e) = conn::reachable(&target, options.timeout.min(Duration::from_secs(5))) {
        report.unreachable = Some(e);
        return Ok(report);
    }
    report.notes.push(format!(
        "publishers to {}, players to {}, resource {}{}",
        target.addr,
        target.play.map_or("none".to_owned(), |a| a.to_string()),
        target.resource,
        if target.passphrase.is_some() {
            format!(", encrypted (AES-{})", target.key_len * 8)
        } else {
            String::new()
        }
    ));
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default();
    let shared: SharedRound = Arc::new(Mutex::new(None));
    for (i, case) in cases::CASES
        .iter()
        .filter(|c| selected(&options.prefixes, c.info.id))
        .enumerate()
    {
        let started = Instant::now();
        let ctx = Ctx {
            target: target.clone(),
            deadline: started + options.timeout,
            suffix: suffix(case.info.id.trim_start_matches("srt."), nonce & 0xff_ffff),
            seed: nonce
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(i as u64),
            shared: shared.clone(),
        };
        play(case, ctx, options, started, &mut report, progress);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_gives_addresses_resource_and_passphrase() {
        let t = SrtTarget::parse(
            "srt://127.0.0.1:10080?streamid=%23!::r=live/cam,m=publish&passphrase=secret1234&pbkeylen=32&play=127.0.0.1:10081",
        )
        .unwrap();
        assert_eq!(t.addr, "127.0.0.1:10080".parse().unwrap());
        assert_eq!(t.play, Some("127.0.0.1:10081".parse().unwrap()));
        assert_eq!(t.resource, "live/cam");
        assert_eq!(t.passphrase.as_deref(), Some("secret1234"));
        assert_eq!(t.key_len, 32);
        let plain = SrtTarget::parse("srt://127.0.0.1:9000").unwrap();
        assert_eq!(plain.play, Some(plain.addr));
        let alone = SrtTarget::parse("srt://127.0.0.1:9000?play=none").unwrap();
        assert_eq!(alone.play, None);
        assert_eq!(plain.resource, "live/probe");
        assert!(SrtTarget::parse("rtmp://h/a/b").is_err());
        assert!(SrtTarget::parse("srt://127.0.0.1:9000?pbkeylen=7").is_err());
    }

    #[test]
    fn legacy_stream_ids_name_their_resource() {
        assert_eq!(resource_of("live/x?secret=1"), "live/x");
        assert_eq!(resource_of(""), "live/livestream");
        assert_eq!(resource_of("#!::m=publish"), "live/probe");
    }
}
