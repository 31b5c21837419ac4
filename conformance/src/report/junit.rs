//! `--junit FILE`: JUnit XML for CI, one test case per verdict — a rule of a flow (check), a
//! case (probe), a flow's answers (replay) — whose kind decides its status alike for all: a
//! counted failure is a JUnit failure; a failure that does not count (SHOULD without
//! `--strict`) passes with its detail in system-out; not applicable is skipped;
//! informational passes with its note in system-out; not checked is skipped, or an error
//! when something went wrong. An input or server that could not be read is an error case.

use std::fmt::Write;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as JUnit, TestCase, TestCaseStatus, TestSuite};

use super::{coverage_text, flow_title, hexdump, replay_error};
use crate::check;
use crate::probe::ProbeReport;
use crate::replay::ReplayReport;
use crate::transcript::dir_name;
use crate::verdict::{Failure, Kind, Outcome, Status};

/// A report the JUnit renderer writes.
pub trait Junit {
    fn junit(&self) -> JUnit;
}

pub fn render(report: &impl Junit) -> Result<String, String> {
    report.junit().to_string().map_err(|e| e.to_string())
}

/// One verdict in its report's words.
struct Case {
    name: String,
    class: Option<String>,
    kind: Kind,
    /// A failure fails the run.
    counts: bool,
    /// Not checked because something went wrong (an error, not a skip).
    error: bool,
    /// A failure's, skip's or error's one line.
    message: Option<String>,
    /// A counted failure's type (the rule's level) and description.
    level: Option<String>,
    description: Option<String>,
    /// What system-out says of a verdict that passes the case.
    out: Option<String>,
    time: Option<Duration>,
}

impl Case {
    fn new(name: impl Into<String>, kind: Kind) -> Self {
        Case {
            name: name.into(),
            class: None,
            kind,
            counts: true,
            error: false,
            message: None,
            level: None,
            description: None,
            out: None,
            time: None,
        }
    }

    /// What could not be read or reached: an error case.
    fn error(name: &str, why: &str) -> TestCase {
        Case {
            error: true,
            message: Some(why.to_owned()),
            ..Case::new(name, Kind::NotChecked)
        }
        .into()
    }
}

impl From<Case> for TestCase {
    fn from(case: Case) -> TestCase {
        let mut status = match case.kind {
            Kind::Fail if case.counts => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                if let Some(level) = case.level {
                    status.set_type(level);
                }
                if let Some(description) = case.description {
                    status.set_description(description);
                }
                status
            }
            Kind::NotChecked if case.error => TestCaseStatus::non_success(NonSuccessKind::Error),
            Kind::NotApplicable | Kind::NotChecked => TestCaseStatus::skipped(),
            Kind::Fail | Kind::Informational | Kind::Pass => TestCaseStatus::success(),
        };
        if let Some(message) = case.message {
            status.set_message(message);
        }
        let mut test = TestCase::new(case.name, status);
        if let Some(class) = case.class {
            test.set_classname(class);
        }
        if let Some(time) = case.time {
            test.set_time(time);
        }
        if let Some(out) = case.out {
            test.set_system_out(out);
        }
        test
    }
}

/// One test suite per flow, one test case per rule.
impl Junit for check::Report {
    fn junit(&self) -> JUnit {
        let mut junit = JUnit::new("weir check");
        for input in &self.inputs {
            if let Some(error) = &input.error {
                let mut suite = TestSuite::new(input.name.as_str());
                suite.add_test_case(Case::error("read", error));
                junit.add_test_suite(suite);
            }
            for flow in &input.flows {
                let mut suite = TestSuite::new(format!("{}: {}", input.name, flow_title(flow)));
                for verdict in &flow.verdicts {
                    let mut case = Case {
                        class: Some(format!("{} flow {}", input.name, flow.id)),
                        counts: verdict.counts,
                        ..Case::new(verdict.rule.id, verdict.status.kind())
                    };
                    match &verdict.status {
                        Status::Fail { count, first } if verdict.counts => {
                            case.message =
                                Some(first.first().map(failure_line).unwrap_or_default());
                            case.level = Some(verdict.rule.level.to_string());
                            case.description = Some(describe(verdict.rule.text, *count, first));
                        }
                        Status::Fail { count, first } => {
                            case.out = Some(describe(verdict.rule.text, *count, first));
                        }
                        Status::NotApplicable => {
                            case.message = Some(format!("not applicable to {}", flow.protocol));
                        }
                        Status::Informational(why) => {
                            case.out = Some(format!("informational: {why}"));
                        }
                        Status::Pass => {}
                    }
                    suite.add_test_case(TestCase::from(case));
                }
                // A flow not judged in full says so: skipped, or a failure under
                // --require-full-coverage.
                if flow.coverage != check::Coverage::Full {
                    let gate = self.require_full_coverage;
                    let case = Case {
                        class: Some(format!("{} flow {}", input.name, flow.id)),
                        message: Some(coverage_text(&flow.coverage)),
                        level: gate.then(|| "--require-full-coverage".to_owned()),
                        description: gate.then(|| coverage_text(&flow.coverage)),
                        ..Case::new("coverage", if gate { Kind::Fail } else { Kind::NotChecked })
                    };
                    suite.add_test_case(TestCase::from(case));
                }
                junit.add_test_suite(suite);
            }
        }
        junit
    }
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
        match hexdump(f) {
            Ok(lines) => lines.iter().for_each(|l| {
                let _ = writeln!(out, "  {l}");
            }),
            Err(why) => {
                let _ = writeln!(out, "  ({why})");
            }
        }
    }
    out
}

/// One test suite for the server, one test case per probe case.
impl Junit for ProbeReport {
    fn junit(&self) -> JUnit {
        let mut junit = JUnit::new("weir probe");
        let mut suite = TestSuite::new(self.url.as_str());
        if let Some(why) = &self.unreachable {
            suite.add_test_case(Case::error("connect", why));
        }
        for r in &self.results {
            let rules: Vec<&str> = r.case.rules.iter().map(|rule| rule.id).collect();
            let mut case = Case {
                class: Some(format!("{} ({})", r.case.spec(), rules.join(", "))),
                counts: r.counts,
                time: Some(r.elapsed),
                ..Case::new(r.case.id, r.outcome.kind())
            };
            match &r.outcome {
                Outcome::Fail { expected, actual } if r.counts => {
                    case.message = Some(format!("expected {expected}; actual {actual}"));
                    case.level = Some(r.case.level().to_string());
                }
                Outcome::Fail { expected, actual } => {
                    case.out = Some(format!(
                        "not counted ({}): expected {expected}; actual {actual}",
                        r.case.level()
                    ));
                }
                Outcome::Error(why) => {
                    case.error = true;
                    case.message = Some(why.clone());
                }
                Outcome::Skipped(why) => case.message = Some(why.clone()),
                Outcome::Informational(note) => case.out = Some(format!("informational: {note}")),
                Outcome::Pass(seen) => case.out = (!seen.is_empty()).then(|| seen.clone()),
            }
            suite.add_test_case(TestCase::from(case));
        }
        junit.add_test_suite(suite);
        junit
    }
}

/// One test suite for the input, one test case per replayed flow: the same answers pass,
/// other answers fail (the diff is the description), a replay that did not complete is an
/// error.
impl Junit for ReplayReport {
    fn junit(&self) -> JUnit {
        let mut junit = JUnit::new("weir replay");
        let mut suite = TestSuite::new(format!("{} --to {}", self.input, self.url));
        if let Some(why) = replay_error(self) {
            suite.add_test_case(Case::error("read", &why));
        }
        for flow in &self.flows {
            let mut case = Case {
                class: Some(format!("{} -> {}", flow.client, flow.server)),
                time: Some(flow.elapsed),
                ..Case::new(format!("flow {}", flow.flow), flow.kind())
            };
            match (&flow.error, flow.differs()) {
                (Some(why), _) => {
                    case.error = true;
                    case.message = Some(why.clone());
                }
                (None, true) => {
                    case.message = Some("the live server answered otherwise".into());
                    case.description = Some(flow.diff());
                }
                (None, false) => {
                    case.out = Some(format!("the same {} answers", flow.live.lines.len()));
                }
            }
            suite.add_test_case(TestCase::from(case));
        }
        junit.add_test_suite(suite);
        junit
    }
}
