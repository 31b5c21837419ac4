//! `weir probe URL`: live test cases played against a server, the way h2spec tests HTTP/2
//! servers. Each case has a stable id, the rules it exercises (from the protocol catalogs and
//! from [`rtmp::rules`] and [`hls::rules`], the rules only a live peer can judge), a spec section and
//! a one-line description; it ends in an [`Outcome`], a verdict of the one vocabulary
//! ([`crate::verdict`]); [`crate::report`] renders the [`ProbeReport`].
//!
//! The [protocol table](crate::protocols) says which prober takes which URL:
//!
//! - `rtmp://host:port/app/stream`: the RTMP [`rtmp::cases`] run one after another, each on its own
//!   connections and its own stream names, so that one case's leftovers never decide
//!   another's verdict; each within its time limit.
//! - `http://host:port/path.m3u8`: the [`hls`] live checker polls the playlist for
//!   [`Options::duration`], fetches every segment, then judges its cases on what it saw.
//! - `http://host:port/app/stream.flv` or `.ts`: the [`http_live`] prober reads the body as one
//!   player for [`Options::duration`], asks for a stream nobody publishes, then judges its cases.
//! - `http://host:port/…/whip/…` or `…/whep/…`: the [`whip`] cases, signalling and a media
//!   round through our own WebRTC peers.
//! - `srt://host:port?streamid=…`: the [`srt`] cases, handshakes of several shapes, keep-alives
//!   and a media round (publish with losses made on purpose, play back, compare every TS packet).

pub mod hls;
pub mod http_live;
pub mod rtmp;
pub mod srt;
pub mod whip;

pub use crate::verdict::Outcome;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use weir_media::{Level, Rule};
use weir_rtmp::url::RtmpUrl as Target;

/// A prober's run: the cases `Options` select against the server its URL names; the callback
/// hears of each result as it comes.
pub type Run = fn(&Options, &mut dyn FnMut(&CaseResult)) -> Result<ProbeReport, String>;

/// A step of a case: `Err` ends the case with that outcome.
pub type Step<T> = Result<T, Outcome>;

/// One live test case.
pub struct Case {
    /// Stable id, e.g. `chunk.size-65536`.
    pub id: &'static str,
    /// The rules it exercises; the first decides its level and spec section.
    pub rules: &'static [&'static Rule],
    pub description: &'static str,
    pub run: fn(&Probe) -> Step<Outcome>,
}

impl Case {
    pub fn info(&self) -> CaseInfo {
        CaseInfo {
            id: self.id,
            rules: self.rules,
            description: self.description,
        }
    }
}

/// A case of a prober that hands its cases a context of its own making (WHIP/WHEP, SRT).
pub struct CaseWith<C> {
    pub info: CaseInfo,
    pub run: fn(&C) -> Step<Outcome>,
}

impl<C> CaseWith<C> {
    /// The cases' infos, as `weir probe --list` shows them.
    pub fn infos(cases: &[CaseWith<C>]) -> Vec<CaseInfo> {
        cases.iter().map(|c| c.info).collect()
    }
}

/// A [`CaseWith`]: id, rules, description, run.
macro_rules! case_with {
    ($id:expr, $rules:expr, $description:expr, $run:expr $(,)?) => {
        $crate::probe::CaseWith {
            info: $crate::probe::CaseInfo {
                id: $id,
                rules: $rules,
                description: $description,
            },
            run: $run,
        }
    };
}
pub(crate) use case_with;

/// The stream name suffix of case `id` in run `nonce`: the media cases share one.
pub(crate) fn suffix(id: &str, nonce: u64) -> String {
    if id.starts_with("media.") {
        format!("media-{nonce:x}")
    } else {
        format!("{}-{nonce:x}", id.replace('.', "-"))
    }
}

/// Plays `case` with `ctx` on its own thread ([`on_thread`]) and reports its result to
/// `progress` and `report`.
pub(crate) fn play<C: Send + 'static>(
    case: &CaseWith<C>,
    ctx: C,
    options: &Options,
    started: Instant,
    report: &mut ProbeReport,
    progress: &mut dyn FnMut(&CaseResult),
) {
    let run = case.run;
    let outcome = on_thread(case.info.id, options.timeout, move || {
        run(&ctx).unwrap_or_else(|outcome| outcome)
    });
    let result = CaseResult {
        case: case.info,
        outcome,
        elapsed: started.elapsed(),
        counts: case.info.level() == Level::Must || options.strict,
    };
    progress(&result);
    report.results.push(result);
}

/// What a report says of a case, whatever the protocol.
#[derive(Debug, Clone, Copy)]
pub struct CaseInfo {
    pub id: &'static str,
    /// The rules it exercises; the first decides its level and spec section.
    pub rules: &'static [&'static Rule],
    pub description: &'static str,
}

impl CaseInfo {
    pub fn level(&self) -> Level {
        self.rules[0].level
    }

    pub fn spec(&self) -> &'static str {
        self.rules[0].spec
    }
}

/// What a case is handed: where to connect, until when, and fresh names.
pub struct Probe {
    pub target: Target,
    /// Every wait of the case ends by then.
    pub deadline: Instant,
    pub case: &'static str,
    /// Makes stream names and handshake bytes differ between runs and cases.
    nonce: u64,
    seeds: AtomicU64,
}

impl Probe {
    pub(crate) fn new(target: Target, case: &'static Case, timeout: Duration, nonce: u64) -> Probe {
        Probe {
            target,
            deadline: Instant::now() + timeout,
            case: case.id,
            nonce,
            seeds: AtomicU64::new(nonce),
        }
    }

    /// A stream name of this case and run (the target's name, the case id, a nonce, `part`).
    pub fn stream(&self, part: &str) -> String {
        let base = self.target.stream.split('?').next().unwrap_or_default();
        let case = self.case.replace('.', "-");
        let name = format!("{base}-{case}-{:x}{part}", self.nonce & 0xffff_ffff);
        match self.target.stream.split_once('?') {
            Some((_, query)) => format!("{name}?{query}"),
            None => name,
        }
    }

    /// A seed for one connection's random bytes.
    pub fn seed(&self) -> u64 {
        self.seeds
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
    }
}

/// What `weir probe` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    pub url: String,
    /// How long one case may take.
    pub timeout: Duration,
    /// Case id prefixes; empty runs every case.
    pub prefixes: Vec<String>,
    /// SHOULD failures count too.
    pub strict: bool,
    /// How long the HLS checker polls a live playlist.
    pub duration: Duration,
    /// The WHEP endpoint, when not derived from the WHIP URL.
    pub whep: Option<String>,
    /// A WHIP/WHEP bearer token (RFC 9725 §4.5).
    pub token: Option<String>,
    /// The prober to use by name (`rtmp`, `hls`, `http`, `whip`, `srt`), when the URL does not say.
    pub prober: Option<String>,
    /// A PEM file of CA certificates that an `https://` WHIP/WHEP endpoint's certificate may
    /// chain to, beside the system's roots (a test CA, a private one).
    pub ca: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            url: String::new(),
            timeout: Duration::from_secs(15),
            prefixes: Vec::new(),
            strict: false,
            duration: Duration::from_secs(20),
            whep: None,
            token: None,
            prober: None,
            ca: None,
        }
    }
}

/// One case's verdict.
pub struct CaseResult {
    pub case: CaseInfo,
    pub outcome: Outcome,
    pub elapsed: Duration,
    /// Whether a failure makes the run fail: MUST cases, and SHOULD cases with `--strict`.
    pub counts: bool,
}

impl CaseResult {
    pub fn counted_failure(&self) -> bool {
        self.counts && matches!(self.outcome, Outcome::Fail { .. })
    }
}

/// A whole run.
pub struct ProbeReport {
    pub url: String,
    pub strict: bool,
    /// Set when the server could not be reached at all (then no case ran).
    pub unreachable: Option<String>,
    /// What the run saw beside the cases (the HLS checker's loads and segments).
    pub notes: Vec<String>,
    pub results: Vec<CaseResult>,
}

impl ProbeReport {
    /// A report of no case yet.
    pub fn new(options: &Options) -> ProbeReport {
        ProbeReport {
            url: options.url.clone(),
            strict: options.strict,
            unreachable: None,
            notes: Vec::new(),
            results: Vec::new(),
        }
    }

    pub fn counted_failures(&self) -> usize {
        self.results.iter().filter(|r| r.counted_failure()).count()
    }

    /// As `weir check`: 0 when no counted case failed, 1 when one did, 2 when the server could
    /// not be reached.
    pub fn exit_code(&self) -> i32 {
        if self.unreachable.is_some() {
            2
        } else if self.counted_failures() > 0 {
            1
        } else {
            0
        }
    }
}

/// Runs `f` on its own thread, so that a case stuck past its deadline (a blocking call the
/// deadline did not reach) cannot stop the run: it is abandoned and fails.
pub(crate) fn on_thread(
    name: &str,
    timeout: Duration,
    f: impl FnOnce() -> Outcome + Send + 'static,
) -> Outcome {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("probe {name}"))
        .spawn(move || {
            let _ = tx.send(f());
        });
    if let Err(e) = spawned {
        return Outcome::error(format!("cannot start the case: {e}"));
    }
    match rx.recv_timeout(timeout + Duration::from_secs(5)) {
        Ok(outcome) => outcome,
        Err(_) => Outcome::fail(
            format!("an end within {timeout:?}"),
            "the case was still waiting; abandoned",
        ),
    }
}

/// Judges the selected `cases` of a prober that first watches and then judges (HLS, HTTP
/// live): each case's outcome by `judge`, reported as it comes.
pub(crate) fn judge_each(
    cases: &[CaseInfo],
    options: &Options,
    report: &mut ProbeReport,
    progress: &mut dyn FnMut(&CaseResult),
    judge: impl Fn(&str) -> Outcome,
) {
    for case in cases.iter().filter(|c| selected(&options.prefixes, c.id)) {
        let result = CaseResult {
            case: *case,
            outcome: judge(case.id),
            elapsed: Duration::ZERO,
            counts: case.level() == Level::Must || options.strict,
        };
        progress(&result);
        report.results.push(result);
    }
}

/// Whether `prefixes` select case `id` (every case when empty).
pub fn selected(prefixes: &[String], id: &str) -> bool {
    prefixes.is_empty() || prefixes.iter().any(|p| id.starts_with(p.as_str()))
}
