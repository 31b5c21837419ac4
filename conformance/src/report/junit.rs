//! `--junit FILE`: one test suite per flow, one test case per rule. A counted failure is a
//! JUnit failure carrying what was seen; a rule of another protocol is skipped; a SHOULD
//! failure without `--strict` passes with its detail in system-out.

use std::fmt::Write;

use quick_junit::{NonSuccessKind, Report as JUnit, TestCase, TestCaseStatus, TestSuite};

use super::flow_title;
use crate::check::Report;
use crate::transcript::dir_name;
use crate::verdict::{Failure, Status};

pub fn render(report: &Report) -> Result<String, String> {
    let mut junit = JUnit::new("weir check");
    for input in &report.inputs {
        if let Some(error) = &input.error {
            let mut suite = TestSuite::new(input.name.as_str());
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(error.as_str());
            suite.add_test_case(TestCase::new("read", status));
            junit.add_test_suite(suite);
        }
        for flow in &input.flows {
            let mut suite = TestSuite::new(format!("{}: {}", input.name, flow_title(flow)));
            for verdict in &flow.verdicts {
                let mut note = None;
                let status = match &verdict.status {
                    Status::Fail { count, first } if verdict.counts => {
                        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        status.set_message(first.first().map(failure_line).unwrap_or_default());
                        status.set_type(verdict.rule.level.to_string());
                        status.set_description(describe(verdict.rule.text, *count, first));
                        status
                    }
                    Status::Fail { count, first } => {
                        note = Some(describe(verdict.rule.text, *count, first));
                        TestCaseStatus::success()
                    }
                    Status::NotApplicable => {
                        let mut status = TestCaseStatus::skipped();
                        status.set_message(format!("not applicable to {}", flow.protocol));
                        status
                    }
                    Status::Informational(why) => {
                        note = Some(format!("informational: {why}"));
                        TestCaseStatus::success()
                    }
                    Status::Pass => TestCaseStatus::success(),
                };
                let mut case = TestCase::new(verdict.rule.id, status);
                case.set_classname(format!("{} flow {}", input.name, flow.id));
                if let Some(note) = note {
                    case.set_system_out(note);
                }
                suite.add_test_case(case);
            }
            junit.add_test_suite(suite);
        }
    }
    junit.to_string().map_err(|e| e.to_string())
}

fn failure_line(f: &Failure) -> String {
    let at = f.offset.map_or(String::new(), |o| format!(" byte {o}"));
    format!(
        "{} at {:.6} s{at}: {}",
        dir_name(f.dir),
        f.time.as_secs_f64(),
        f.detail
    )
}

fn describe(text: &str, count: u64, first: &[Failure]) -> String {
    let mut out = format!("{text}\nbroken {count} time(s):\n");
    for f in first {
        let _ = writeln!(out, "{}", failure_line(f));
    }
    out
}
