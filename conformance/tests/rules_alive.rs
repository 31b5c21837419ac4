//! Every rule alive (issue 15): each catalog `weir rules` lists, and each prober's live rules,
//! has a rule table — a test that feeds one input made to break each rule and fails unless the
//! rule fires and the table names the whole catalog (`weir_testkit::rule_table::check`) — so a
//! rule added without its failing input fails the build, and so does a catalog added without a
//! table. And `src/rule_tests.tsv`, the per-rule counts of test files `weir rules` shows, is current.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use weir_conformance::catalog;
use weir_conformance::protocols::probers;
use weir_media::Rule;

/// Where each catalog's rules are made to fire (by its first prefix), and each prober's live
/// rules (by the prober's URL): the files of its rule tables, each with the id prefixes of the
/// area it covers (none: the whole catalog).
type Tables = &'static [(
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
)];

const TABLES: Tables = &[
    ("amf0.", &[("protocols/amf0/tests/rules.rs", &[])]),
    ("flv.", &[("protocols/flv/tests/rules.rs", &[])]),
    ("media.", &[("protocols/media/tests/rules.rs", &[])]),
    ("dtls.", &[("protocols/dtls/tests/rules.rs", &[])]),
    ("rtmp.", &[("protocols/rtmp/tests/rules.rs", &[])]),
    ("mpegts.", &[("protocols/mpegts/tests/rules.rs", &[])]),
    ("hls.", &[("protocols/hls/tests/rules.rs", &[])]),
    ("http.", &[("protocols/http/tests/rules.rs", &[])]),
    ("mp4.", &[("protocols/mp4/tests/hostile.rs", &[])]),
    (
        "rtp.",
        &[
            (
                "protocols/rtp/tests/rules.rs",
                &["rtp.extension.", "rtp.stream.", "rtp.tcp."],
            ),
            ("protocols/rtp/tests/behaviour.rs", &["rtp.behaviour."]),
            ("protocols/rtp/tests/rtcp_rules.rs", &["rtp.rtcp."]),
            ("protocols/rtp/src/srtp/tests.rs", &["rtp.srtp."]),
            ("protocols/rtp/src/packet.rs", &["rtp.header."]),
            (
                "protocols/rtp/tests/h264.rs",
                &["rtp.h264.", "rtp.payload."],
            ),
            ("protocols/rtp/tests/h265.rs", &["rtp.h265."]),
            (
                "protocols/rtp/tests/vpx.rs",
                &["rtp.vp8.", "rtp.vp9.", "rtp.av1."],
            ),
            ("protocols/rtp/tests/audio.rs", &["rtp.aac.", "rtp.opus."]),
            ("protocols/rtp/tests/mux.rs", &["rtp.mp2t.", "rtp.ps."]),
        ],
    ),
    ("sdp.", &[("protocols/sdp/tests/rules.rs", &[])]),
    ("stun.", &[("protocols/stun/tests/rules.rs", &[])]),
    (
        "srt.",
        &[
            // Every area but the three below.
            ("protocols/srt/tests/rules.rs", &[]),
            ("protocols/srt/tests/km.rs", &["srt.km.", "srt.crypto."]),
            ("protocols/srt/tests/connection.rs", &["srt.connection."]),
            ("protocols/srt/tests/streamid.rs", &["srt.streamid."]),
        ],
    ),
    ("mpegps.", &[("protocols/mpegps/tests/hostile.rs", &[])]),
    ("rtmp://", &[("tests/probe.rs", &[])]),
    (
        "http://host[:port]/app/stream.flv",
        &[("tests/probe_http.rs", &[])],
    ),
    (
        "http://host[:port]/path.m3u8",
        &[("tests/probe_hls.rs", &[])],
    ),
    (
        "http://host[:port]/…/whip/",
        &[("tests/probe_whip.rs", &[])],
    ),
    ("srt://", &[("tests/probe_srt.rs", &[])]),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Each rule of `rules` lies in the area of a listed table file, which calls
/// `rule_table::check` and names its area's prefixes.
fn assert_tables(key: &str, rules: &[&Rule]) {
    let (_, files) = TABLES
        .iter()
        .find(|(k, _)| key.starts_with(k))
        .unwrap_or_else(|| panic!("{key}: no rule table listed in TABLES"));
    for (file, areas) in *files {
        let text = std::fs::read_to_string(workspace().join(file))
            .unwrap_or_else(|e| panic!("{key}: rule table {file}: {e}"));
        // `check_live_rules` (the root package's tests/support) is rule_table::check over a
        // prober's runs against its fakes.
        assert!(
            text.contains("rule_table::check") || text.contains("check_live_rules("),
            "{key}: {file} calls no rule_table::check"
        );
        for area in *areas {
            assert!(text.contains(area), "{file} does not name its area {area}");
        }
    }
    for rule in rules {
        assert!(
            files
                .iter()
                .any(|(_, areas)| areas.is_empty() || areas.iter().any(|a| rule.id.starts_with(a))),
            "{}: in no rule table's area",
            rule.id
        );
    }
}

#[test]
fn every_catalog_and_every_probers_live_rules_have_a_rule_table() {
    for cat in catalog::catalogs() {
        assert_tables(cat.prefixes[0], cat.rules);
    }
    for prober in probers().filter(|p| !p.live_rules.is_empty()) {
        assert_tables(prober.url, prober.live_rules);
    }
}

/// The string literals of `text` that are rule ids, once each.
fn named(text: &str, ids: &HashSet<&'static str>) -> HashSet<&'static str> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter_map(|literal| ids.get(literal).copied())
        .collect()
}

/// Adds one to each rule id `text` names, a test file's text: all of it in a `tests/` directory,
/// only what follows `#[cfg(test)]` elsewhere. Files, not test functions, because tables often
/// name their rules in a helper or a const the tests share.
fn count(text: &str, in_tests_dir: bool, ids: &HashSet<&'static str>, out: &mut Counts) {
    let text = if in_tests_dir {
        text
    } else {
        match text.find("#[cfg(test)]") {
            Some(at) => &text[at..],
            None => return,
        }
    };
    for id in named(text, ids) {
        *out.entry(id).or_default() += 1;
    }
}

type Counts = BTreeMap<&'static str, usize>;

fn walk(dir: &Path, in_tests_dir: bool, ids: &HashSet<&'static str>, out: &mut Counts) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | "node_modules" | "fuzz" | ".git") {
                walk(&path, in_tests_dir || name == "tests", ids, out);
            }
        } else if name.ends_with(".rs") {
            // A `tests.rs` is a unit-test module of its own.
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            count(&text, in_tests_dir || name == "tests.rs", ids, out);
        }
    }
}

/// `rule_tests.tsv` as the sources are now.
fn current() -> String {
    let rules: Vec<_> = catalog::all().chain(catalog::live()).collect();
    let ids: HashSet<&'static str> = rules.iter().map(|r| r.id).collect();
    let mut counts = Counts::new();
    for root in [
        "tests",
        "src",
        "conformance",
        "protocols",
        "server",
        "benches",
    ] {
        walk(&workspace().join(root), root == "tests", &ids, &mut counts);
    }
    rules
        .iter()
        .map(|r| format!("{}\t{}\n", r.id, counts.get(r.id).copied().unwrap_or(0)))
        .collect()
}

#[test]
fn the_test_counts_weir_rules_shows_are_current_and_no_rule_is_untested() {
    let now = current();
    let path = workspace().join("conformance/src/rule_tests.tsv");
    if std::env::var_os("WEIR_BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
    } else {
        assert!(
            now == catalog::TEST_COUNTS,
            "conformance/src/rule_tests.tsv is stale: rerun this test with WEIR_BLESS=1"
        );
    }
    let untested: Vec<_> = now
        .lines()
        .filter(|line| line.ends_with("\t0"))
        .map(|line| line.split('\t').next().unwrap())
        .collect();
    assert!(untested.is_empty(), "rules no test names: {untested:?}");
}

#[test]
fn the_counter_counts_test_files_once_each_and_only_test_code() {
    let ids: HashSet<&'static str> = ["a.b.c", "a.b.d"].into_iter().collect();
    let mut counts = Counts::new();
    count(
        "#[test]\nfn one() { (\"a.b.c\", \"a.b.c\") }",
        true,
        &ids,
        &mut counts,
    );
    count("const A: &str = \"a.b.c\";", true, &ids, &mut counts);
    assert_eq!(counts.get("a.b.c"), Some(&2));
    assert_eq!(counts.get("a.b.d"), None);
    let mut counts = Counts::new();
    count(
        "const R: &str = \"a.b.d\";\n#[cfg(test)]\nmod t {\n#[test]\nfn f() { \"a.b.d\" }\n}",
        false,
        &ids,
        &mut counts,
    );
    assert_eq!(counts.get("a.b.d"), Some(&1));
}
