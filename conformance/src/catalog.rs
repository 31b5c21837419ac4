//! Every rule of every protocol crate, in one list for `weir rules` and for verdicts, and the
//! rules only a live probe can judge (listed by `weir rules`, left out of `weir check`).

use weir_media::Rule;

/// Each protocol crate's catalog (and the HTTP observer's), with the id prefixes its rules use.
const CATALOGS: [(&[&Rule], &[&str]); 7] = [
    (weir_amf0::rules::CATALOG, &["amf0.", "amf3."]),
    (weir_rtmp::rules::CATALOG, &["rtmp."]),
    (weir_flv::rules::CATALOG, &["flv."]),
    (weir_media::rules::CATALOG, &["media."]),
    (weir_hls::rules::CATALOG, &["hls."]),
    (weir_mpegts::rules::CATALOG, &["mpegts."]),
    (weir_http::rules::CATALOG, &["http."]),
];

/// All rules, grouped by protocol, in each catalog's order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    CATALOGS
        .into_iter()
        .flat_map(|(catalog, _)| catalog)
        .copied()
}

/// The rules `weir probe` judges on a live server and a capture cannot: what a server does
/// with what it receives.
pub fn live() -> impl Iterator<Item = &'static Rule> {
    crate::probe::rtmp::rules::CATALOG
        .iter()
        .chain(crate::probe::hls::rules::CATALOG)
        .copied()
}

/// The rules whose id starts with `prefix`, one block per rule: id, level, spec, text (live
/// rules marked so).
pub fn render(prefix: &str) -> String {
    let mut out = String::new();
    let checked = all().map(|rule| (rule, ""));
    let probed = live().map(|rule| (rule, "\t(live: weir probe)"));
    for (rule, note) in checked
        .chain(probed)
        .filter(|(r, _)| r.id.starts_with(prefix))
    {
        out.push_str(&format!(
            "{}\t{}\t{}{note}\n    {}\n",
            rule.id, rule.level, rule.spec, rule.text
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
        for (catalog, prefixes) in CATALOGS {
            for rule in catalog {
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
            crate::probe::catalogs(&[])
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
