//! Reloading the configuration without dropping a stream: on `SIGHUP` (`weir serve` wires it)
//! or SRS's `GET /api/v1/raw?rpc=reload`.
//!
//! A reload reads the configuration again from where it came from (file, `WEIR_*` variables,
//! flags: the [`Source`] `weir serve` installs), and swaps it in whole. Sessions read the
//! configuration once as they start ([`Context::config`]), so the new one reaches new sessions
//! and never changes one under way: no stream is dropped, no player misses a frame.
//!
//! What can change this way is the sections `hooks`, `security`, `forward`, `dvr`, `hls`, `log`
//! and `vhosts` ([`merge`] lists them), and the TLS listeners' certificates, read again from their
//! files (`crate::tls`). The other sections are bound when the server starts — its
//! listening sockets, the SRT, WebRTC and GB28181 endpoints, the hub's bounds — so a change to
//! one of them is reported as needing a restart and the running value is kept, as SRS does for
//! `listen`. A configuration that does not load is reported and changes nothing.

use crate::Context;
use crate::config::Config;
use std::sync::{Arc, Mutex, OnceLock};
use tracing::{info, warn};

/// Reads the configuration again, as at start-up.
pub type Load = Box<dyn Fn() -> Result<Config, String> + Send + Sync>;
/// Sets the log filter from `[log] level`.
pub type SetLogLevel = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Where the configuration comes from, and what applies its log level: installed by
/// `weir serve`, which owns both.
pub struct Source {
    pub load: Load,
    pub log_level: SetLogLevel,
}

/// What a reload did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Sections that changed and now apply to new sessions.
    pub applied: Vec<&'static str>,
    /// Sections that changed but are bound at start: the running values are kept until a
    /// restart.
    pub kept: Vec<&'static str>,
}

/// The state of reloading a [`Context`].
#[derive(Default)]
pub(crate) struct Reloader {
    source: OnceLock<Source>,
    /// One reload at a time, so that two never interleave their read and their swap.
    running: Mutex<()>,
}

impl Context {
    /// Installs where a reload reads the configuration from (once; later calls are ignored).
    pub fn set_config_source(&self, source: Source) {
        let _ = self.reloader.source.set(source);
    }

    /// Reads the configuration again from its [`Source`] and applies it (see the module docs).
    pub fn reload(&self) -> Result<Outcome, String> {
        let reloaded = self.reload_once();
        if let Err(e) = &reloaded {
            warn!(error = %e, "reload refused: nothing changed");
        }
        reloaded
    }

    fn reload_once(&self) -> Result<Outcome, String> {
        let _one = self.reloader.running.lock().unwrap();
        let source = self
            .reloader
            .source
            .get()
            .ok_or("this server has no configuration source to reload from")?;
        let next = (source.load)()?;
        // The TLS listeners' certificates, from the files they were read from: a pair that no
        // longer loads keeps its old certificate and fails the reload, as a bad file does.
        self.tls
            .reload()
            .map_err(|e| format!("certificate not reloaded (the old one stays): {e}"))?;
        let (next, outcome) = merge(&self.config(), next);
        if outcome.applied.contains(&"log") {
            (source.log_level)(&next.log.level)?;
        }
        *self.config.write().unwrap() = Arc::new(next);
        match outcome.kept.is_empty() {
            true => info!(applied = ?outcome.applied, "configuration reloaded"),
            false => warn!(
                applied = ?outcome.applied,
                kept = ?outcome.kept,
                "configuration reloaded; the sections in `kept` changed but take a restart: their running values stay"
            ),
        }
        Ok(outcome)
    }
}

/// `next` with the sections bound at start taken from `running`, and what changed.
pub fn merge(running: &Config, next: Config) -> (Config, Outcome) {
    // Every field by name, so that a section added to `Config` must be placed here.
    let Config {
        rtmp,
        rtmps,
        http,
        https,
        api,
        hub,
        hls,
        mpegts,
        rtc,
        srt,
        gb28181,
        hooks,
        security,
        forward,
        dvr,
        cluster,
        log,
        vhosts,
    } = next;
    // The callbacks' HTTPS client is made at start with `hooks.ca`: the rest of `[hooks]`
    // applies, the CA file takes a restart.
    let mut hooks = hooks;
    let ca_changed = hooks.ca != running.hooks.ca;
    hooks.ca.clone_from(&running.hooks.ca);
    let changed = |sections: &[(&'static str, bool)]| -> Vec<&'static str> {
        sections
            .iter()
            .filter(|(_, c)| *c)
            .map(|(name, _)| *name)
            .collect()
    };
    let outcome = Outcome {
        applied: changed(&[
            ("hooks", hooks != running.hooks),
            ("security", security != running.security),
            ("forward", forward != running.forward),
            ("dvr", dvr != running.dvr),
            ("hls", hls != running.hls),
            ("log", log != running.log),
            ("vhosts", vhosts != running.vhosts),
        ]),
        kept: changed(&[
            ("rtmp", rtmp != running.rtmp),
            ("rtmps", rtmps != running.rtmps),
            ("http", http != running.http),
            ("https", https != running.https),
            ("api", api != running.api),
            ("hub", hub != running.hub),
            ("mpegts", mpegts != running.mpegts),
            ("rtc", rtc != running.rtc),
            ("srt", srt != running.srt),
            ("gb28181", gb28181 != running.gb28181),
            ("cluster", cluster != running.cluster),
            ("hooks.ca", ca_changed),
        ]),
    };
    let merged = Config {
        hooks,
        security,
        forward,
        dvr,
        hls,
        log,
        vhosts,
        ..running.clone()
    };
    (merged, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Config {
        let file = weir_testkit::TempPath::new("reload.toml");
        std::fs::write(&file, text).unwrap();
        Config::load(Some(file.path()), std::iter::empty(), &[]).unwrap()
    }

    #[test]
    fn live_sections_apply_and_bound_ones_are_kept() {
        let running = load("[rtmp]\nlisten = \"127.0.0.1:1935\"\n");
        let next = load(
            "[rtmp]\nlisten = \"127.0.0.1:1936\"\n[security]\nrules = [\"deny play all\"]\n[log]\nlevel = \"debug\"\n",
        );
        let (merged, outcome) = merge(&running, next.clone());
        assert_eq!(outcome.applied, ["security", "log"]);
        assert_eq!(outcome.kept, ["rtmp"]);
        assert_eq!(merged.rtmp, running.rtmp);
        assert_eq!(merged.security, next.security);
        assert_eq!(merged.log.level, "debug");
    }

    #[test]
    fn the_callbacks_ca_file_takes_a_restart() {
        let running = load("[hooks]\ntimeout = 5\n");
        let next = load("[hooks]\ntimeout = 2\nca = \"/etc/ssl/other.pem\"\n");
        let (merged, outcome) = merge(&running, next);
        assert_eq!(outcome.applied, ["hooks"]);
        assert_eq!(outcome.kept, ["hooks.ca"]);
        assert_eq!(merged.hooks.timeout, std::time::Duration::from_secs(2));
        assert_eq!(merged.hooks.ca, running.hooks.ca);
    }

    #[test]
    fn the_same_configuration_changes_nothing() {
        let running = load("[hls]\nenabled = false\n");
        let (merged, outcome) = merge(&running, running.clone());
        assert_eq!(outcome, Outcome::default());
        assert_eq!(merged, running);
    }
}
