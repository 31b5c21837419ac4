//! The default report, as people read it: failures first, with the rule's level, spec section
//! and words and what was seen; what passed summarised; the conclusion last. A probe's case
//! lines can be printed as the run goes ([`probe_case`]).

use std::fmt::Write;

use super::{conclusion, coverage_text, flow_title, probe_conclusion, replay_conclusion};
use crate::check;
use crate::probe::{CaseInfo, CaseResult, ProbeReport};
use crate::replay::ReplayReport;
use crate::replay::answers::Answers;
use crate::transcript::dir_name;
use crate::verdict::{Kind, Outcome, Status};

/// A report the text renderer writes.
pub trait Text {
    fn text(&self) -> String;
}

pub fn render(report: &impl Text) -> String {
    report.text()
}

/// Per input, per flow: failures (counted ones first), then the passes in one line.
impl Text for check::Report {
    fn text(&self) -> String {
        let mut out = String::new();
        for input in &self.inputs {
            let _ = writeln!(out, "{}", input.name);
            if let Some(error) = &input.error {
                let _ = writeln!(out, "  error: {error}");
            }
            if input.flows.is_empty() {
                let _ = writeln!(out, "  no flows");
            }
            for flow in &input.flows {
                let _ = writeln!(
                    out,
                    "  {} (by {}), {}; {} bytes c2s, {} bytes s2c",
                    flow_title(flow),
                    flow.detected_by,
                    coverage_text(&flow.coverage),
                    flow.bytes[0],
                    flow.bytes[1]
                );
                let mut failures: Vec<_> = flow
                    .verdicts
                    .iter()
                    .filter(|v| v.status.kind() == Kind::Fail)
                    .collect();
                // Counted failures first, then the SHOULD ones that do not count.
                failures.sort_by_key(|v| !v.counts);
                for v in failures {
                    let Status::Fail { count, first } = &v.status else {
                        continue;
                    };
                    let label = if v.counts { "FAIL" } else { "warn" };
                    let _ = writeln!(
                        out,
                        "    {label} {} ({}, {}): {} time(s)",
                        v.rule.id, v.rule.level, v.rule.spec, count
                    );
                    let _ = writeln!(out, "         {}", v.rule.text);
                    for f in first {
                        let at = f.offset.map_or(String::new(), |o| format!(" byte {o}"));
                        let _ = writeln!(
                            out,
                            "         at {:.6} s, {}{at}: {}",
                            f.time.as_secs_f64(),
                            dir_name(f.dir),
                            f.detail
                        );
                    }
                    if *count > first.len() as u64 {
                        let _ = writeln!(out, "         … {} more", count - first.len() as u64);
                    }
                }
                let count = |kind| {
                    flow.verdicts
                        .iter()
                        .filter(|v| v.status.kind() == kind)
                        .count()
                };
                let _ = writeln!(
                    out,
                    "    {} passed, {} informational, {} not applicable",
                    count(Kind::Pass),
                    count(Kind::Informational),
                    count(Kind::NotApplicable)
                );
            }
            let unopened: Vec<String> = input
                .unopened
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect();
            if !unopened.is_empty() {
                let _ = writeln!(out, "  packets not opened: {}", unopened.join(", "));
            }
        }
        let _ = writeln!(out, "{}", conclusion(self));
        out
    }
}

/// The heading, what the run saw beside the cases, one line per case, the summary.
impl Text for ProbeReport {
    fn text(&self) -> String {
        let mut out = probe_head(&self.url);
        out.push_str(&probe_notes(self));
        for result in &self.results {
            out.push_str(&probe_case(result));
        }
        out.push_str(&probe_summary(self));
        out
    }
}

/// The first lines of a probe's text report.
pub fn probe_head(url: &str) -> String {
    format!("weir probe {url}\n\n")
}

/// One case's line as it finishes, and what was seen under it.
pub fn probe_case(result: &CaseResult) -> String {
    let case = result.case;
    let status = match (&result.outcome, result.counts) {
        (Outcome::Fail { .. }, false) => "FAIL (not counted)".to_owned(),
        (outcome, _) => outcome.name().to_uppercase(),
    };
    let mut line = format!(
        "{status:<13} {:<32} {:>6.2} s  {} ({}, {})\n",
        case.id,
        result.elapsed.as_secs_f64(),
        case.description,
        case.level(),
        case.spec()
    );
    let detail = match &result.outcome {
        Outcome::Pass(note) if !note.is_empty() => Some(format!("seen: {note}")),
        Outcome::Fail { expected, actual } => Some(format!(
            "expected: {expected}\n              actual: {actual}"
        )),
        Outcome::Informational(note) => Some(format!("seen: {note}")),
        Outcome::Skipped(why) | Outcome::Error(why) => Some(why.clone()),
        Outcome::Pass(_) => None,
    };
    if let Some(detail) = detail {
        let _ = writeln!(line, "              {detail}");
    }
    line
}

/// What the run saw beside the cases, one line each.
pub fn probe_notes(report: &ProbeReport) -> String {
    report
        .notes
        .iter()
        .map(|n| format!("note: {n}\n"))
        .collect()
}

/// The closing summary: the cases counted by outcome, then the conclusion.
pub fn probe_summary(report: &ProbeReport) -> String {
    if report.unreachable.is_some() {
        return format!("{}\n", probe_conclusion(report));
    }
    let count = |name: &str| {
        report
            .results
            .iter()
            .filter(|r| r.outcome.name() == name)
            .count()
    };
    format!(
        "\n{} cases: {} passed, {} failed ({} counted), {} informational, {} skipped, {} errors\n{}\n",
        report.results.len(),
        count("pass"),
        count("fail"),
        report.counted_failures(),
        count("informational"),
        count("skipped"),
        count("error"),
        probe_conclusion(report),
    )
}

/// `weir probe --list`: the probers' cases without running them, one heading each.
pub fn probe_list(catalogs: &[(&str, Vec<CaseInfo>)]) -> String {
    let mut out = String::new();
    for (what, cases) in catalogs {
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# {what}");
        for case in cases {
            let rules: Vec<&str> = case.rules.iter().map(|r| r.id).collect();
            let _ = writeln!(
                out,
                "{}\t{}\t{}\n    {}\n    rules: {}",
                case.id,
                case.level(),
                case.spec(),
                case.description,
                rules.join(", ")
            );
        }
    }
    out
}

/// Per flow: what was re-sent, the frames each server sent, and the answers' diff.
impl Text for ReplayReport {
    fn text(&self) -> String {
        let mut out = format!("weir replay {} --to {}\n", self.input, self.url);
        if let Some(e) = &self.error {
            let _ = writeln!(out, "ERROR: {e}");
            return out;
        }
        if self.flows.is_empty() {
            out.push_str(&format!(
                "ERROR: no {} flow in the input\n",
                self.protocol()
            ));
        }
        if self.not_replayed > 0 {
            let _ = writeln!(
                out,
                "{} more {} flows not replayed (at most {} from one input)",
                self.not_replayed,
                self.protocol(),
                crate::replay::MAX_FLOWS
            );
        }
        for flow in &self.flows {
            let _ = writeln!(
                out,
                "\nflow {} {} -> {}: {} of {} client {} re-sent in {:.1} s",
                flow.flow,
                flow.client,
                flow.server,
                flow.sent,
                flow.captured_messages,
                match self.protocol() {
                    "HTTP" => "requests",
                    "SRT" => "data packets",
                    _ => "messages",
                },
                flow.elapsed.as_secs_f64()
            );
            if let Some(why) = &flow.truncated {
                let _ = writeln!(out, "  captured client read in part: {why}");
            }
            if let Some(e) = &flow.error {
                let _ = writeln!(out, "  ERROR: {e}");
            }
            let _ = writeln!(
                out,
                "  {}: captured server sent [{}], live server sent [{}]",
                // SRT's counts are of control packets (ACKs, NAKs).
                if self.protocol() == "SRT" {
                    "packets"
                } else {
                    "frames"
                },
                frames(&flow.captured),
                frames(&flow.live)
            );
            if flow.differs() {
                out.push_str("  the answers differ:\n");
                for line in flow.diff().lines() {
                    let _ = writeln!(out, "    {line}");
                }
            } else {
                let _ = writeln!(out, "  the same {} answers", flow.live.lines.len());
            }
        }
        let _ = writeln!(out, "\n{}", replay_conclusion(self));
        out
    }
}

/// Frames per track: `3 video h264, 5 audio aac`.
pub fn frames(answers: &Answers) -> String {
    answers
        .frames
        .iter()
        .map(|(track, n)| format!("{n} {track}"))
        .collect::<Vec<_>>()
        .join(", ")
}
