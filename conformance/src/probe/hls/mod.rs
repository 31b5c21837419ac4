//! `weir probe http://host:port/path.m3u8`: the HLS live checker. It plays the stream as a
//! client would for `--duration` seconds ([`session`]: playlist reloads per RFC 8216 §6.3.4,
//! every new segment fetched and read as TS with [`segment`]), then judges each of its
//! [`cases`] on what it saw, with the same outcomes and reports as the RTMP cases.
//!
//! - [`fetch`]: the HTTP client (plain HTTP; `https://` needs a TLS build of it).

pub mod cases;
pub mod fetch;
pub mod rules;
pub mod segment;
pub mod session;

use std::time::Duration;

use reqwest::Url;

use super::{CaseResult, Options, ProbeReport, judge_each};

/// Time one HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Polls the playlist, then judges the selected cases. `Err`: the URL is not one to poll.
/// Whether `url` names an HLS playlist by its path (`.m3u8`): an HTTP-FLV or HTTP-TS URL is
/// an endless body, not a playlist to poll.
pub fn takes(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.path().to_ascii_lowercase().ends_with(".m3u8")
    })
}

pub fn run(
    options: &Options,
    progress: &mut dyn FnMut(&CaseResult),
) -> Result<ProbeReport, String> {
    let url = fetch::plain_http_url(&options.url)?;
    let mut report = ProbeReport::new(options);
    let http = fetch::Http::new(REQUEST_TIMEOUT.min(options.timeout))?;
    let session = match session::poll(&http, url, options.duration) {
        Ok(session) => session,
        Err(e) => {
            report.unreachable = Some(e);
            return Ok(report);
        }
    };
    report.notes.extend(session.notes.iter().cloned());
    report.notes.push(summary(&session));
    judge_each(cases::CASES, options, &mut report, progress, |id| {
        cases::judge(id, &session)
    });
    Ok(report)
}

/// One line: what the session loaded and fetched.
fn summary(session: &session::Session) -> String {
    let changed = session.loads.iter().filter(|l| l.changed).count();
    let sequences = match (session.segments.first(), session.segments.last()) {
        (Some(a), Some(b)) => format!(
            " (media sequence {} to {})",
            a.media_sequence, b.media_sequence
        ),
        _ => String::new(),
    };
    format!(
        "polled {:.1} s: {} loads ({changed} changed), {} segments fetched{sequences}",
        session.elapsed.as_secs_f64(),
        session.loads.len(),
        session.segments.len()
    )
}
