//! `weir probe` reports, RTMP and HLS alike: text (default), JSON and JUnit XML, in the shapes
//! `weir check` uses.

use super::{CaseResult, Outcome, ProbeReport};
use crate::doc::Node;
use quick_junit::{NonSuccessKind, Report as JUnit, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write;

/// One line per case as it finishes (the text report's body, printed as the run goes).
pub fn case_line(result: &CaseResult) -> String {
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

/// The closing summary of the text report.
pub fn summary(report: &ProbeReport) -> String {
    if let Some(why) = &report.unreachable {
        return format!("ERROR: {}: {why}\n", report.url);
    }
    let count = |name: &str| {
        report
            .results
            .iter()
            .filter(|r| r.outcome.name() == name)
            .count()
    };
    let mut out = format!(
        "\n{} cases: {} passed, {} failed ({} counted), {} informational, {} skipped, {} errors\n",
        report.results.len(),
        count("pass"),
        count("fail"),
        report.counted_failures(),
        count("informational"),
        count("skipped"),
        count("error"),
    );
    out.push_str(match report.exit_code() {
        0 => "PASS: no MUST case failed",
        _ => "FAIL: a counted case failed",
    });
    if report.strict {
        out.push_str(" (strict: SHOULD cases count)");
    }
    out.push('\n');
    out
}

/// What the run saw beside the cases, one line each (printed before the summary).
pub fn notes(report: &ProbeReport) -> String {
    report
        .notes
        .iter()
        .map(|n| format!("note: {n}\n"))
        .collect()
}

pub fn text(report: &ProbeReport) -> String {
    let mut out = format!("weir probe {}\n\n", report.url);
    out.push_str(&notes(report));
    for result in &report.results {
        out.push_str(&case_line(result));
    }
    out.push_str(&summary(report));
    out
}

fn outcome_node(outcome: &Outcome) -> Node {
    let node = Node::map().with("status", outcome.name());
    match outcome {
        Outcome::Pass(note) | Outcome::Informational(note) => node.with("note", note.as_str()),
        Outcome::Fail { expected, actual } => node
            .with("expected", expected.as_str())
            .with("actual", actual.as_str()),
        Outcome::Skipped(why) | Outcome::Error(why) => node.with("why", why.as_str()),
    }
}

pub fn json(report: &ProbeReport) -> String {
    let cases: Vec<Node> = report
        .results
        .iter()
        .map(|r| {
            let rules: Vec<Node> = r
                .case
                .rules
                .iter()
                .map(|rule| Node::from(rule.id))
                .collect();
            Node::map()
                .with("id", r.case.id)
                .with("description", r.case.description)
                .with("level", r.case.level().to_string())
                .with("spec", r.case.spec())
                .with("rules", rules)
                .with("counts", r.counts)
                .with(
                    "seconds",
                    Node::Number(format!("{:.3}", r.elapsed.as_secs_f64())),
                )
                .with("outcome", outcome_node(&r.outcome))
        })
        .collect();
    Node::map()
        .with("url", report.url.as_str())
        .with(
            "unreachable",
            report.unreachable.clone().map_or(Node::Null, Node::from),
        )
        .with("strict", report.strict)
        .with(
            "notes",
            report
                .notes
                .iter()
                .map(|n| Node::from(n.as_str()))
                .collect::<Vec<_>>(),
        )
        .with("cases", cases)
        .with("counted_failures", report.counted_failures() as i64)
        .with("exit_code", i64::from(report.exit_code()))
        .to_json()
}

/// One test suite for the server, one test case per probe case.
pub fn junit(report: &ProbeReport) -> Result<String, String> {
    let mut junit = JUnit::new("weir probe");
    let mut suite = TestSuite::new(report.url.as_str());
    if let Some(why) = &report.unreachable {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(why.as_str());
        suite.add_test_case(TestCase::new("connect", status));
    }
    for r in &report.results {
        let mut note = None;
        let status = match &r.outcome {
            Outcome::Fail { expected, actual } if r.counts => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(format!("expected {expected}; actual {actual}"));
                status.set_type(r.case.level().to_string());
                status
            }
            Outcome::Fail { expected, actual } => {
                note = Some(format!(
                    "not counted ({}): expected {expected}; actual {actual}",
                    r.case.level()
                ));
                TestCaseStatus::success()
            }
            Outcome::Error(why) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(why.as_str());
                status
            }
            Outcome::Skipped(why) => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(why.as_str());
                status
            }
            Outcome::Informational(note_text) => {
                note = Some(format!("informational: {note_text}"));
                TestCaseStatus::success()
            }
            Outcome::Pass(seen) => {
                note = (!seen.is_empty()).then(|| seen.clone());
                TestCaseStatus::success()
            }
        };
        let mut case = TestCase::new(r.case.id, status);
        case.set_classname(format!(
            "{} ({})",
            r.case.spec(),
            r.case
                .rules
                .iter()
                .map(|x| x.id)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        case.set_time(r.elapsed);
        if let Some(note) = note {
            case.set_system_out(note);
        }
        suite.add_test_case(case);
    }
    junit.add_test_suite(suite);
    junit.to_string().map_err(|e| e.to_string())
}

/// `weir probe --list`: the catalogs without running them, one heading each.
pub fn list(catalogs: &[(&str, Vec<super::CaseInfo>)]) -> String {
    let mut out = String::new();
    for (what, cases) in catalogs {
        if !cases.is_empty() {
            let _ = writeln!(out, "# {what}");
            list_cases(cases, &mut out);
        }
    }
    out
}

fn list_cases(cases: &[super::CaseInfo], out: &mut String) {
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
