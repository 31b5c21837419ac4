//! Violations of one flow counted per rule, then turned into a verdict for every selected
//! rule (DESIGN.md, "Rules and violations"): failed where broken, not applicable where the
//! rule belongs to a protocol the flow does not carry, informational where the flow was not
//! read in full, passed otherwise.

use std::collections::HashMap;

use weir_media::{Level, Rule};

use crate::catalog;
use crate::protocols::Protocol;
use crate::verdict::{Failure, Selection, Status, Verdict};

/// Failures kept per rule per flow (the rest are counted).
pub const MAX_FAILURES_KEPT: usize = 5;

/// Violations of one flow, per rule id, as they are seen.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    failures: HashMap<&'static str, (u64, Vec<Failure>)>,
}

impl Tally {
    pub fn record(&mut self, rule: &'static Rule, failure: Failure) {
        let (count, first) = self.failures.entry(rule.id).or_default();
        *count += 1;
        if first.len() < MAX_FAILURES_KEPT {
            first.push(failure);
        }
    }

    /// A verdict for every rule `judged` holds. `incomplete`: why the flow was not observed
    /// in full.
    pub fn verdicts(&self, judged: &Judged, incomplete: Option<&str>) -> Vec<Verdict> {
        judged
            .rules
            .iter()
            .map(|&(rule, applicable, counts)| {
                let status = match (self.failures.get(rule.id), incomplete) {
                    (Some((count, first)), _) => Status::Fail {
                        count: *count,
                        first: first.clone(),
                    },
                    _ if !applicable => Status::NotApplicable,
                    (None, Some(why)) => Status::Informational(why.to_owned()),
                    (None, None) => Status::Pass,
                };
                Verdict {
                    rule,
                    status,
                    counts,
                }
            })
            .collect()
    }
}

/// The rules a flow of one protocol gets a verdict on: every selected rule, whether it applies
/// to the protocol, and whether its failure counts. Worked out once per protocol per input,
/// not per flow.
#[derive(Debug, Clone)]
pub struct Judged {
    pub protocol: Protocol,
    rules: Vec<(&'static Rule, bool, bool)>,
}

impl Judged {
    pub fn new(protocol: Protocol, selection: &Selection) -> Self {
        let prefixes = protocol.rule_prefixes();
        let rules = catalog::all()
            .filter(|rule| selection.selects(rule))
            .map(|rule| {
                let applicable = prefixes.iter().any(|p| rule.id.starts_with(p));
                (
                    rule,
                    applicable,
                    rule.level == Level::Must || selection.strict,
                )
            })
            .collect();
        Judged { protocol, rules }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Direction;
    use std::time::Duration;
    use weir_rtmp::rules::{CHUNK_CSID_RANGE, CONTROL_SET_CHUNK_SIZE};

    fn failure() -> Failure {
        Failure {
            time: Duration::ZERO,
            dir: Direction::ClientToServer,
            offset: Some(1),
            detail: "x".into(),
            excerpt: None,
        }
    }

    #[test]
    fn must_counts_should_only_when_strict() {
        let mut tally = Tally::default();
        tally.record(&CONTROL_SET_CHUNK_SIZE, failure());
        tally.record(&CHUNK_CSID_RANGE, failure());
        let lenient = Selection {
            prefixes: vec!["rtmp.".into()],
            strict: false,
        };
        let verdicts = tally.verdicts(&Judged::new(Protocol::Rtmp, &lenient), None);
        let of = |v: &[Verdict], id: &str| v.iter().find(|v| v.rule.id == id).cloned().unwrap();
        assert!(of(&verdicts, CONTROL_SET_CHUNK_SIZE.id).counted_failure());
        assert!(!of(&verdicts, CHUNK_CSID_RANGE.id).counted_failure());
        assert_eq!(of(&verdicts, "rtmp.handshake.version").status, Status::Pass);
        assert!(verdicts.iter().all(|v| v.rule.id.starts_with("rtmp.")));
        let strict = Selection {
            strict: true,
            ..lenient
        };
        let verdicts = tally.verdicts(&Judged::new(Protocol::Rtmp, &strict), None);
        assert!(of(&verdicts, CHUNK_CSID_RANGE.id).counted_failure());
    }

    #[test]
    fn other_protocols_rules_are_not_applicable_and_partial_flows_informational() {
        let tally = Tally::default();
        let all = Selection::default();
        let verdicts = tally.verdicts(&Judged::new(Protocol::Unknown, &all), None);
        assert!(verdicts.iter().all(|v| v.status == Status::NotApplicable));
        let verdicts = tally.verdicts(&Judged::new(Protocol::Rtmp, &all), Some("gap"));
        let rtmp = verdicts
            .iter()
            .find(|v| v.rule.id.starts_with("rtmp."))
            .unwrap();
        assert_eq!(rtmp.status, Status::Informational("gap".into()));
    }
}
