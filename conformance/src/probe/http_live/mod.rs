//! `weir probe http://host:port/app/stream.flv` (or `.ts`): the HTTP live prober. It plays
//! the stream as one player for `--duration` seconds ([`session`]: the body read by the
//! harness's own HTTP body reader, FLV or TS), asks for a stream nobody publishes, then judges
//! each of its [`cases`] on what it saw, with the same outcomes and reports as the other
//! probers.

pub mod cases;
pub mod rules;
pub mod session;

use std::time::Duration;

use reqwest::Url;

use super::{CaseResult, Options, ProbeReport, judge_each};

/// The longest the body is read, whatever `--duration` says: the cases need a few seconds.
const MAX_READ: Duration = Duration::from_secs(60);

/// Whether `url` names an HTTP-FLV or HTTP-TS stream by its path (`.flv`, `.ts`).
pub fn takes(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && session::container_of(&u).is_some()
    })
}

pub fn run(
    options: &Options,
    progress: &mut dyn FnMut(&CaseResult),
) -> Result<ProbeReport, String> {
    let url = crate::probe::hls::fetch::plain_http_url(&options.url)?;
    let mut report = ProbeReport::new(options);
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let session = match session::play(&url, options.duration.min(MAX_READ), nonce) {
        Ok(session) => session,
        Err(e) => {
            report.unreachable = Some(e);
            return Ok(report);
        }
    };
    report.notes.push(format!(
        "read {} bytes for {:.1} s: {}",
        session.bytes,
        session.read_for.as_secs_f64(),
        if session.read_as.is_empty() {
            "no body"
        } else {
            &session.read_as
        }
    ));
    judge_each(cases::CASES, options, &mut report, progress, |id| {
        cases::judge(id, &session)
    });
    Ok(report)
}
