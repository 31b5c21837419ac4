//! Every rule of every protocol crate, in one list for `weir rules` and for verdicts.

use weir_media::Rule;

/// Each protocol crate's catalog, with the id prefixes its rules use.
const CATALOGS: [(&[&Rule], &[&str]); 4] = [
    (weir_amf0::rules::CATALOG, &["amf0.", "amf3."]),
    (weir_rtmp::rules::CATALOG, &["rtmp."]),
    (weir_flv::rules::CATALOG, &["flv."]),
    (weir_media::rules::CATALOG, &["media."]),
];

/// All rules, grouped by protocol, in each catalog's order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    CATALOGS
        .into_iter()
        .flat_map(|(catalog, _)| catalog)
        .copied()
}

/// The rules whose id starts with `prefix`, one block per rule: id, level, spec, text.
pub fn render(prefix: &str) -> String {
    let mut out = String::new();
    for rule in all().filter(|r| r.id.starts_with(prefix)) {
        out.push_str(&format!(
            "{}\t{}\t{}\n    {}\n",
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
    fn rule_ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for rule in all() {
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
