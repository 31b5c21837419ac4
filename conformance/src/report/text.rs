//! The default report: per input, per flow, failures first (with the spec section, the rule's
//! words and what was seen), passes summarised in one line.

use std::fmt::Write;

use super::{conclusion, coverage_text, flow_title};
use crate::check::Report;
use crate::transcript::dir_name;
use crate::verdict::Status;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for input in &report.inputs {
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
                .filter(|v| matches!(v.status, Status::Fail { .. }))
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
            let count = |name: &str| {
                flow.verdicts
                    .iter()
                    .filter(|v| v.status.name() == name)
                    .count()
            };
            let _ = writeln!(
                out,
                "    {} passed, {} informational, {} not applicable",
                count("pass"),
                count("informational"),
                count("not-applicable")
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
    let _ = writeln!(out, "{}", conclusion(report));
    out
}
