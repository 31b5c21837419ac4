//! `weir probe http://host:port/…/whip/…`: the WHIP (RFC 9725) and WHEP
//! (draft-ietf-wish-whep) prober, over `http://` or `https://` (verified against the system's
//! roots and `--ca FILE`). The URL names either endpoint; the other is derived by
//! swapping `/whip/` and `/whep/` in its path (or given with `--whep`). Each case runs on its
//! own thread within `--timeout`, on its own stream name (the `stream=` query parameter, as
//! SRS's `/rtc/v1/whip/?app=live&stream=x`, gets the case id and a nonce appended).
//!
//! - [`offer`]: the offers the signalling cases send (Chromium-like, Firefox-like, narrower);
//! - [`http`]: the HTTP client (POST, DELETE, PATCH, OPTIONS; bounded bodies);
//! - [`cases`]: the cases and their verdicts; [`rules`]: the rules only a live server shows;
//! - [`media`]: the media round, our str0m peers publishing by WHIP and playing by WHEP;
//! - [`h264`]: the generated H.264 and Opus it sends.
//!
//! Driving loop: [`run`] → for each selected case, a [`Ctx`] with the endpoints, then the
//! case's function; the media cases share one round ([`Ctx::round`]), run by the first of
//! them.

pub mod cases;
pub mod h264;
pub mod http;
pub mod media;
pub mod offer;
pub mod rules;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use reqwest::Url;

use super::{
    CaseInfo, CaseResult, CaseWith, Options, Outcome, ProbeReport, Step, play, selected, suffix,
};
use media::Round;
use offer::Side;

/// One WHIP/WHEP case.
pub type Case = CaseWith<Ctx>;

/// The cases as `weir probe --list` shows them.
pub fn infos() -> Vec<CaseInfo> {
    cases::CASES.iter().map(|c| c.info).collect()
}

/// The two endpoints and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub whip: Url,
    pub whep: Url,
    pub token: Option<String>,
}

impl Endpoints {
    /// From the probed URL (either endpoint), `--whep` and `--token`.
    pub fn new(url: &str, whep: Option<&str>, token: Option<&str>) -> Result<Endpoints, String> {
        let parse = |u: &str| Url::parse(u).map_err(|e| format!("{u}: {e}"));
        let given = parse(url)?;
        if !matches!(given.scheme(), "http" | "https") {
            return Err(format!(
                "{url}: WHIP and WHEP endpoints are http:// or https:// URLs"
            ));
        }
        let swapped = |from: &str, to: &str| {
            let mut other = given.clone();
            other.set_path(&given.path().replacen(from, to, 1));
            other
        };
        let (whip, derived_whep) = if is_whep(&given) {
            (swapped("/whep", "/whip"), given.clone())
        } else {
            (given.clone(), swapped("/whip", "/whep"))
        };
        let whep = match whep {
            Some(w) => parse(w)?,
            None => derived_whep,
        };
        Ok(Endpoints {
            whip,
            whep,
            token: token.map(str::to_owned),
        })
    }
}

fn is_whep(url: &Url) -> bool {
    url.path().contains("/whep")
}

/// Whether `url` names a WHIP or WHEP endpoint by its path.
pub fn takes(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && (u.path().contains("/whip") || u.path().contains("/whep"))
    })
}

/// The media round the media cases share: run once, by the first that asks.
type SharedRound = Arc<Mutex<Option<Result<Arc<Round>, Outcome>>>>;

/// What a case is handed.
pub struct Ctx {
    endpoints: Endpoints,
    pub http: http::Http,
    pub deadline: Instant,
    /// Appended to the stream name: the case and the run.
    suffix: String,
    shared: SharedRound,
}

impl Ctx {
    pub fn token(&self) -> Option<&str> {
        self.endpoints.token.as_deref()
    }

    /// The endpoint of `side`, on this case's stream.
    pub fn endpoint(&self, side: Side) -> Url {
        let url = match side {
            Side::Whip => &self.endpoints.whip,
            Side::Whep => &self.endpoints.whep,
        };
        with_stream_suffix(url, &self.suffix)
    }

    /// The media round, run now if no case ran it yet.
    pub fn round(&self) -> Step<Arc<Round>> {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if shared.is_none() {
            let round = media::round(
                &self.http,
                &self.endpoint(Side::Whip),
                &self.endpoint(Side::Whep),
                self.token(),
                self.deadline,
            )
            .map(Arc::new);
            *shared = Some(round);
        }
        match shared.as_ref() {
            Some(Ok(round)) => Ok(round.clone()),
            Some(Err(outcome)) => Err(outcome.clone()),
            None => Err(Outcome::error("no media round")),
        }
    }
}

/// `url` with `-suffix` appended to its `stream` query parameter (when it has one).
pub fn with_stream_suffix(url: &Url, suffix: &str) -> Url {
    if !url.query_pairs().any(|(k, _)| k == "stream") {
        return url.clone();
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "stream" {
                format!("{v}-{suffix}")
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

/// Runs the selected cases one after another; `progress` hears of each as it ends.
pub fn run(
    options: &Options,
    progress: &mut dyn FnMut(&CaseResult),
) -> Result<ProbeReport, String> {
    let endpoints = Endpoints::new(
        &options.url,
        options.whep.as_deref(),
        options.token.as_deref(),
    )?;
    let mut report = ProbeReport::new(options);
    // https:// endpoints: verified against the system's roots and `--ca`.
    let roots = http::roots(options.ca.as_deref())?;
    let probe_http = http::Http::new(options.timeout, &roots)?;
    if let Err(e) = probe_http.send(http::Request::new(
        reqwest::Method::OPTIONS,
        &endpoints.whip,
    )) {
        report.unreachable = Some(e);
        return Ok(report);
    }
    report
        .notes
        .push(format!("WHIP {} / WHEP {}", endpoints.whip, endpoints.whep));
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default()
        & 0xff_ffff;
    // The media cases share one round, on one stream name.
    let shared: SharedRound = Arc::new(Mutex::new(None));
    for case in cases::CASES
        .iter()
        .filter(|c| selected(&options.prefixes, c.info.id))
    {
        let started = Instant::now();
        let ctx = Ctx {
            endpoints: endpoints.clone(),
            http: http::Http::new(options.timeout, &roots)?,
            deadline: started + options.timeout,
            suffix: suffix(case.info.id, nonce),
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
    fn either_endpoint_gives_the_other_by_its_path() {
        let e = Endpoints::new("http://h:1985/rtc/v1/whip/?app=live&stream=x", None, None).unwrap();
        assert_eq!(
            e.whep.as_str(),
            "http://h:1985/rtc/v1/whep/?app=live&stream=x"
        );
        let e = Endpoints::new("http://h/whep/cam", None, Some("t")).unwrap();
        assert_eq!(e.whip.as_str(), "http://h/whip/cam");
        assert_eq!(e.token.as_deref(), Some("t"));
        let e = Endpoints::new("http://h/whip/cam", Some("http://o/play/cam"), None).unwrap();
        assert_eq!(e.whep.as_str(), "http://o/play/cam");
        assert!(Endpoints::new("rtmp://h/whip", None, None).is_err());
    }

    #[test]
    fn only_whip_and_whep_paths_are_taken() {
        assert!(takes("http://h:1985/rtc/v1/whip/?app=live&stream=x"));
        assert!(takes("https://h/whep/x"));
        assert!(!takes("http://h/live/x.m3u8"));
        assert!(!takes("rtmp://h/whip/x"));
    }

    #[test]
    fn the_stream_parameter_gets_the_suffix() {
        let url = Url::parse("http://h/rtc/v1/whip/?app=live&stream=x").unwrap();
        assert_eq!(
            with_stream_suffix(&url, "c-1").as_str(),
            "http://h/rtc/v1/whip/?app=live&stream=x-c-1"
        );
        let plain = Url::parse("http://h/whip/x").unwrap();
        assert_eq!(with_stream_suffix(&plain, "c-1"), plain);
    }
}
