//! Every report's renderers (DESIGN.md, "Conformance harness"): `weir check`'s
//! ([`check::Report`]), `weir probe`'s ([`ProbeReport`]) and
//! `weir replay`'s ([`ReplayReport`]), each as text (the
//! default), JSON (`--format json`), JUnit XML (`--junit FILE`) and a static HTML page
//! (`--html DIR`). One file per format; each takes any of the three ([`Rendered`]) and shows
//! every verdict in the one vocabulary of [`Kind`](crate::verdict::Kind). What the formats
//! say alike of a check's flows is here.

pub mod html;
pub mod json;
pub mod junit;
pub mod text;

use crate::capture::Transport;
use crate::check::{self, Coverage, FlowReport};
use crate::probe::ProbeReport;
use crate::replay::ReplayReport;
use crate::verdict::{Excerpt, Failure};

/// A report every renderer writes.
pub trait Rendered: text::Text + json::Json + junit::Junit + html::Html {}

impl<T: text::Text + json::Json + junit::Junit + html::Html> Rendered for T {}

/// "client → server" address pair (or "file"), protocol and how it was found.
pub fn flow_title(flow: &FlowReport) -> String {
    match flow.transport {
        Transport::File => format!("flow {} file (the whole file): {}", flow.id, flow.protocol),
        transport => format!(
            "flow {} {} {} -> {}: {}",
            flow.id,
            transport_name(transport),
            flow.client,
            flow.server,
            flow.protocol
        ),
    }
}

pub fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
        Transport::File => "file",
    }
}

pub fn coverage_text(coverage: &Coverage) -> String {
    match coverage {
        Coverage::Full => "observed in full".into(),
        Coverage::Partial(why) => format!("observed in part: {why}"),
        Coverage::NotObserved(why) => format!("not observed: {why}"),
    }
}

/// What the check concluded, in one line. PASS only when every flow was judged in full:
/// otherwise INCONCLUSIVE, naming the flows (and FAIL with `--require-full-coverage`).
pub fn conclusion(report: &check::Report) -> String {
    let strict = if report.strict { " (strict)" } else { "" };
    let unjudged: Vec<&FlowReport> = report.not_in_full().collect();
    let flows = report.flows().count();
    let listed = || {
        let mut list: Vec<String> = unjudged
            .iter()
            .take(5)
            .map(|f| format!("flow {} ({})", f.id, coverage_text(&f.coverage)))
            .collect();
        if unjudged.len() > 5 {
            list.push(format!("and {} more", unjudged.len() - 5));
        }
        list.join("; ")
    };
    match report.exit_code() {
        2 => "ERROR: an input could not be read".into(),
        1 if report.counted_failures() > 0 => format!(
            "FAIL: {} rule verdict(s) failed{strict}",
            report.counted_failures(),
        ),
        1 => format!(
            "FAIL: {} of {flows} flow(s) not judged in full (--require-full-coverage): {}",
            unjudged.len(),
            listed()
        ),
        _ if !unjudged.is_empty() => format!(
            "INCONCLUSIVE: no MUST rule failed{} in what was judged, but {} of {flows} flow(s) were not judged in full: {}",
            if report.strict {
                " nor SHOULD rule"
            } else {
                ""
            },
            unjudged.len(),
            listed()
        ),
        _ => {
            "PASS: no MUST rule failed".to_string()
                + if report.strict {
                    " and no SHOULD rule (strict)"
                } else {
                    ""
                }
        }
    }
}

/// What the probe concluded, in one line.
pub fn probe_conclusion(report: &ProbeReport) -> String {
    let mut out = match (&report.unreachable, report.exit_code()) {
        (Some(why), _) => return format!("ERROR: {}: {why}", report.url),
        (None, 0) => "PASS: no MUST case failed".to_owned(),
        (None, _) => "FAIL: a counted case failed".to_owned(),
    };
    if report.strict {
        out.push_str(" (strict: SHOULD cases count)");
    }
    out
}

/// What the replay concluded, in one line.
pub fn replay_conclusion(report: &ReplayReport) -> &'static str {
    match report.exit_code() {
        0 => "SAME: the live server answered as the captured one",
        1 => "DIFFERENT: the live server answered otherwise",
        _ => "ERROR: the replay did not complete",
    }
}

/// Why a replay judged no flow, if it judged none.
pub fn replay_error(report: &ReplayReport) -> Option<String> {
    match (&report.error, report.flows.is_empty()) {
        (Some(e), _) => Some(e.clone()),
        (None, true) => Some(format!("no {} flow in the input", report.protocol())),
        (None, false) => None,
    }
}

/// A failure's bytes as hexdump lines (`offset  16 bytes in hex  |ASCII|`), the byte at the
/// failure's offset in brackets; or why there are none: the one form every report shows.
pub fn hexdump(f: &Failure) -> Result<Vec<String>, &'static str> {
    let Some(Excerpt { offset, bytes }) = &f.excerpt else {
        return Err(match f.offset {
            None => "no bytes: the violation names no offset",
            Some(_) => "no bytes: those at the offset were no longer held",
        });
    };
    Ok(bytes
        .chunks(16)
        .enumerate()
        .map(|(row, chunk)| {
            let start = offset + row as u64 * 16;
            let mut line = format!("{start:>8}  ");
            for (i, b) in chunk.iter().enumerate() {
                let at = start + i as u64;
                let (open, close) = match Some(at) == f.offset {
                    true => ('[', ']'),
                    false => (' ', ' '),
                };
                line.push(open);
                line.push_str(&format!("{b:02x}"));
                line.push(close);
            }
            line.push_str(&"    ".repeat(16 - chunk.len()));
            line.push_str(" |");
            line.extend(chunk.iter().map(|&b| match b {
                0x20..=0x7e => b as char,
                _ => '.',
            }));
            line.push('|');
            line
        })
        .collect())
}
