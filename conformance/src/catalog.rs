//! Every rule Weir checks, in one list for `weir rules` and for verdicts: the catalogs of the
//! formats protocols carry, then each protocol's own in the [protocol table](crate::protocols)'s
//! order; and the rules only a live probe can judge (listed by `weir rules`, left out of
//! `weir check`), from the table's probers.

use std::collections::HashSet;

use weir_media::Rule;

use crate::protocols::{Catalog, TABLE, probers};

/// The catalogs of what protocols carry rather than are: AMF values (RTMP commands), FLV tags
/// (RTMP, HTTP-FLV), codec configurations (every media protocol).
pub const CARRIED: [Catalog; 4] = [
    Catalog {
        rules: weir_amf0::rules::CATALOG,
        prefixes: &["amf0.", "amf3."],
    },
    Catalog {
        rules: weir_flv::rules::CATALOG,
        prefixes: &["flv."],
    },
    Catalog {
        rules: weir_media::rules::CATALOG,
        prefixes: &["media."],
    },
    // DTLS rides a WebRTC port with STUN and SRTP.
    Catalog {
        rules: weir_dtls::rules::CATALOG,
        prefixes: &["dtls."],
    },
];

/// Every catalog: the carried formats', then the protocols' in table order.
pub fn catalogs() -> impl Iterator<Item = Catalog> {
    CARRIED
        .into_iter()
        .chain(TABLE.iter().filter_map(|row| row.catalog))
}

/// All rules, grouped by catalog, in each catalog's order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    catalogs().flat_map(|catalog| catalog.rules).copied()
}

/// The rules `weir probe` judges on a live server and a capture cannot: what a server does
/// with what it receives.
pub fn live() -> impl Iterator<Item = &'static Rule> {
    probers().flat_map(|prober| prober.live_rules).copied()
}

/// Where a rule is judged, given the ids probe cases exercise: in captures (`weir check`),
/// on a live server (`weir probe`), or both (a catalog rule some probe case also exercises).
fn checked_in(rule: &Rule, probed: &HashSet<&str>) -> &'static str {
    let captured = all().any(|r| r.id == rule.id);
    match (captured, probed.contains(rule.id)) {
        (true, true) => "capture+live",
        (true, false) => "capture",
        (false, _) => "live",
    }
}

/// `rule_tests.tsv`: how many test files name each rule (rule id, tab, count), counted from
/// the workspace's test sources by `conformance/tests/rules_alive.rs`, which fails while the file is
/// stale and rewrites it with `WEIR_BLESS=1`.
pub const TEST_COUNTS: &str = include_str!("rule_tests.tsv");

/// How many test files name `id`, from [`TEST_COUNTS`].
pub fn tests_naming(id: &str) -> usize {
    TEST_COUNTS
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .find(|(rule, _)| *rule == id)
        .and_then(|(_, count)| count.parse().ok())
        .unwrap_or(0)
}

/// The rules whose id starts with `prefix`, one block per rule: id, level, spec, where it is
/// judged, how many test files name it; then its text.
pub fn render(prefix: &str) -> String {
    // Every probe case's rules, gathered once rather than per rule.
    let probed: HashSet<&str> = probers()
        .flat_map(|prober| (prober.cases)())
        .flat_map(|case| case.rules.iter().map(|r| r.id))
        .collect();
    let mut out = String::new();
    for rule in all().chain(live()).filter(|r| r.id.starts_with(prefix)) {
        let tests = tests_naming(rule.id);
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{tests} test file{}\n    {}\n",
            rule.id,
            rule.level,
            rule.spec,
            checked_in(rule, &probed),
            if tests == 1 { "" } else { "s" },
            rule.text
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_catalog_uses_its_own_prefixes() {
        for Catalog { rules, prefixes } in catalogs() {
            for rule in rules {
                assert!(
                    prefixes.iter().any(|p| rule.id.starts_with(p)),
                    "{} is not in {prefixes:?}",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn every_probe_case_names_known_rules_and_a_unique_id() {
        let known: HashSet<&str> = all().chain(live()).map(|r| r.id).collect();
        let cases = || {
            crate::protocols::probe_catalogs(&[])
                .into_iter()
                .flat_map(|(_, cases)| cases)
        };
        let mut ids = HashSet::new();
        for case in cases() {
            assert!(ids.insert(case.id), "duplicate case id {}", case.id);
            assert!(!case.rules.is_empty(), "{} names no rule", case.id);
            for rule in case.rules {
                assert!(
                    known.contains(rule.id),
                    "{}: unknown rule {}",
                    case.id,
                    rule.id
                );
            }
        }
        // Every live rule is exercised by some case.
        for rule in live() {
            assert!(
                cases().any(|c| c.rules.iter().any(|r| r.id == rule.id)),
                "no case exercises {}",
                rule.id
            );
        }
    }

    #[test]
    fn rule_ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for rule in all().chain(live()) {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            let parts: Vec<_> = rule.id.split('.').collect();
            assert!(
                parts.len() >= 3 && parts.iter().all(|p| !p.is_empty()),
                "bad id {}",
                rule.id
            );
            assert!(
                !rule.spec.is_empty() && !rule.text.is_empty(),
                "{} lacks spec or text",
                rule.id
            );
        }
    }
}
