//! The rule-table check (common rules: "every rule has a test input that makes it fire"):
//! a table of `(rule id, the rule ids an input made to break it broke)` must show each rule
//! firing on its input, and name every rule of the crate's catalog.

use weir_media::Rule;

/// Panics with the rules that did not fire on their inputs, or that no input breaks.
pub fn check(catalog: &[&Rule], table: &[(&str, Vec<&str>)]) {
    let failed: Vec<_> = table
        .iter()
        .filter(|(rule, fired)| !fired.contains(rule))
        .collect();
    assert!(failed.is_empty(), "rules that did not fire: {failed:?}");
    let untested: Vec<_> = catalog
        .iter()
        .map(|r| r.id)
        .filter(|id| !table.iter().any(|(t, _)| t == id))
        .collect();
    assert_eq!(untested, Vec::<&str>::new(), "rules no input breaks");
}

/// The rules of `catalog` whose ids start with one of `prefixes`: the part of a crate's
/// catalog one table covers, when the crate's areas are tested in files of their own.
pub fn area<'r>(catalog: &[&'r Rule], prefixes: &[&str]) -> Vec<&'r Rule> {
    catalog
        .iter()
        .copied()
        .filter(|r| prefixes.iter().any(|p| r.id.starts_with(p)))
        .collect()
}

/// [`check`], and also each input broke only the rule it was made for: a table whose inputs
/// each isolate one rule shows that no rule fires as a side effect of another.
pub fn check_exact(catalog: &[&Rule], table: &[(&str, Vec<&str>)]) {
    check(catalog, table);
    let stray: Vec<_> = table
        .iter()
        .filter(|(rule, fired)| fired != &[*rule])
        .collect();
    assert!(
        stray.is_empty(),
        "inputs that broke other rules: {stray:#?}"
    );
}
