//! `--html DIR`: one static, self-contained page (`index.html`, no script, no network) per
//! report. A check's page opens with a summary (its inputs, flows and protocols, and each
//! failed rule with its counts, linked to the flows' verdicts); then one section per flow:
//! its message sequence chart ([`ladder`]), each track's timestamps (frames per second as
//! bars, keyframes as ticks, timestamp gaps shaded) and bitrate (a line) and where bytes were
//! missing and the violations happened, as inline SVG, and a `<details>` per rule, open only when it failed or was inconclusive, whose
//! failures link to their arrows in the chart and show the bytes they are about (or say why
//! there are none). A probe's and a replay's pages hold a verdict table of one shape (what
//! was judged, level, spec section, its kind, what was seen); a replay's also each flow's
//! diff. Everything from the capture is escaped: it is the peer's, and hostile.

mod ladder;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use super::{
    conclusion, coverage_text, flow_title, hexdump, probe_conclusion, replay_conclusion,
    replay_error,
};
use crate::check::{self, FlowReport};
use crate::media_summary::track_name;
use crate::probe::ProbeReport;
use crate::replay::ReplayReport;
use crate::transcript::{Entry, EntryKind, dir_name};
use crate::verdict::{Kind, Outcome, Status};

const WIDTH: f64 = 900.0;
const LANE: f64 = 60.0;
const LEFT: f64 = 110.0;

/// A report the HTML renderer writes.
pub trait Html {
    /// The page's title (the command).
    fn title(&self) -> &'static str;
    /// What the page holds under its title.
    fn body(&self, out: &mut String);
}

/// Writes `dir/index.html`.
pub fn write(report: &impl Html, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("index.html"), render(report))
}

pub fn render(report: &impl Html) -> String {
    let title = report.title();
    let mut out = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>\
         body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:left}}\
         .fail{{color:#b00}}.warn{{color:#a60}}.inconclusive{{color:#06a}}\
         svg{{background:#fafafa;border:1px solid #ddd}}details.rule{{margin:2px 0}}\
         details.pass{{color:#444}}pre.hex{{color:#222;background:#f4f4f4;padding:4px}}\
         mark{{background:#fc6}}g.row:target text{{font-weight:bold}}\
         g.row:target line{{stroke-width:3}}section.flow{{border-top:1px solid #ccc}}\
         </style></head><body>\n<h1>{title}</h1>\n"
    );
    report.body(&mut out);
    out.push_str("</body></html>\n");
    out
}

/// A verdict table: one row per verdict shown.
struct Table<'a> {
    out: &'a mut String,
}

impl<'a> Table<'a> {
    /// `what`: the first column's heading (rule, case, flow); `seen`: the last's.
    fn new(out: &'a mut String, what: &str, seen: &str) -> Self {
        let _ = writeln!(
            out,
            "<table><tr><th>{what}</th><th>level</th><th>spec</th><th>status</th><th>{seen}</th></tr>"
        );
        Table { out }
    }

    /// A row: failures red when they count, amber when not; `title`: what the row's first
    /// cell says on hover.
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        kind: Kind,
        counts: bool,
        title: &str,
        what: &str,
        level: &str,
        spec: &str,
        status: &str,
        seen: &str,
    ) {
        let class = match (kind, counts) {
            (Kind::Fail, true) => " class=\"fail\"",
            (Kind::Fail, false) => " class=\"warn\"",
            _ => "",
        };
        let _ = writeln!(
            self.out,
            "<tr{class}><td title=\"{}\">{}</td><td>{level}</td><td>{}</td><td>{status}</td><td>{}</td></tr>",
            escape(title),
            escape(what),
            escape(spec),
            escape(seen)
        );
    }

    fn end(self) {
        self.out.push_str("</table>\n");
    }
}

impl Html for check::Report {
    fn title(&self) -> &'static str {
        "weir check"
    }

    /// The conclusion, the summary, then per input each flow's section.
    fn body(&self, out: &mut String) {
        let _ = writeln!(out, "<p><b>{}</b></p>", escape(&conclusion(self)));
        summary(self, out);
        for (i, input) in self.inputs.iter().enumerate() {
            let _ = writeln!(out, "<h2>{}</h2>", escape(&input.name));
            if let Some(error) = &input.error {
                let _ = writeln!(out, "<p class=\"fail\">error: {}</p>", escape(error));
            }
            for flow in &input.flows {
                flow_section(input, flow, &flow_id(i, flow), out);
            }
        }
    }
}

/// A flow's anchor: its input's index and its id.
fn flow_id(input: usize, flow: &FlowReport) -> String {
    format!("i{input}f{}", flow.id.0)
}

/// A verdict's anchor in its flow's section.
fn rule_id(flow: &str, rule: &str) -> String {
    format!("{flow}-r-{rule}")
}

/// What is at the top: the inputs, the flows and their protocols, and the rules that failed
/// with how often and where (each linked to its verdicts).
fn summary(report: &check::Report, out: &mut String) {
    out.push_str("<section id=\"summary\"><h2>Summary</h2>\n<table id=\"inputs\"><tr><th>input</th><th>flows</th><th>read</th></tr>\n");
    for input in &report.inputs {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&input.name),
            input.flows.len(),
            input
                .error
                .as_deref()
                .map_or("in full".to_owned(), |e| format!("error: {}", escape(e)))
        );
    }
    out.push_str("</table>\n");
    let mut protocols: BTreeMap<String, usize> = BTreeMap::new();
    for flow in report.flows() {
        *protocols.entry(flow.protocol.to_string()).or_default() += 1;
    }
    let listed: Vec<String> = protocols
        .iter()
        .map(|(p, n)| format!("{} ({n})", escape(p)))
        .collect();
    let _ = writeln!(
        out,
        "<p id=\"flows\">{} flow(s); protocols: {}; {} not judged in full.</p>",
        report.flows().count(),
        if listed.is_empty() {
            "none".to_owned()
        } else {
            listed.join(", ")
        },
        report.not_in_full().count()
    );
    // Every failed rule: its level, whether it counts, its violations and the flows'
    // verdicts that say so.
    struct Failed<'r> {
        rule: &'static weir_media::Rule,
        counts: bool,
        violations: u64,
        flows: Vec<(String, &'r FlowReport)>,
    }
    let mut failed: BTreeMap<&str, Failed> = BTreeMap::new();
    for (i, input) in report.inputs.iter().enumerate() {
        for flow in &input.flows {
            for v in &flow.verdicts {
                let Status::Fail { count, .. } = &v.status else {
                    continue;
                };
                let entry = failed.entry(v.rule.id).or_insert(Failed {
                    rule: v.rule,
                    counts: false,
                    violations: 0,
                    flows: Vec::new(),
                });
                entry.counts |= v.counts;
                entry.violations += count;
                entry.flows.push((flow_id(i, flow), flow));
            }
        }
    }
    let _ = writeln!(
        out,
        "<h3>Failures by rule</h3>\n<table id=\"failures\"><tr><th>rule</th><th>level</th><th>counts</th><th>flows</th><th>violations</th><th>where</th></tr>"
    );
    if failed.is_empty() {
        out.push_str("<tr><td colspan=\"6\">no rule failed</td></tr>\n");
    }
    for f in failed.values() {
        let mut links: Vec<String> = f
            .flows
            .iter()
            .take(MAX_LINKS)
            .map(|(id, flow)| {
                format!(
                    "<a href=\"#{}\">flow {}</a>",
                    rule_id(id, f.rule.id),
                    flow.id.0
                )
            })
            .collect();
        if f.flows.len() > MAX_LINKS {
            links.push(format!("and {} more", f.flows.len() - MAX_LINKS));
        }
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td><a class=\"rule\" href=\"#{}\" title=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if f.counts { "fail" } else { "warn" },
            rule_id(&f.flows[0].0, f.rule.id),
            escape(f.rule.text),
            f.rule.id,
            f.rule.level,
            if f.counts { "yes" } else { "no" },
            f.flows.len(),
            f.violations,
            links.join(", ")
        );
    }
    out.push_str("</table>\n<h3>Flows</h3>\n<table id=\"flow-list\"><tr><th>flow</th><th>protocol</th><th>read</th><th>failed rules</th></tr>\n");
    for (i, input) in report.inputs.iter().enumerate() {
        for flow in &input.flows {
            let failed = flow
                .verdicts
                .iter()
                .filter(|v| v.status.kind() == Kind::Fail)
                .count();
            let _ = writeln!(
                out,
                "<tr{}><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td>{failed}</td></tr>",
                if flow.counted_failures() > 0 {
                    " class=\"fail\""
                } else {
                    ""
                },
                flow_id(i, flow),
                escape(&flow_title(flow)),
                escape(&flow.protocol.to_string()),
                escape(&coverage_text(&flow.coverage)),
            );
        }
    }
    out.push_str("</table></section>\n");
}

/// Flows listed per failed rule in the summary (the rest are counted).
const MAX_LINKS: usize = 10;

/// One flow: what it is, its ladder, its tracks' timelines, then its verdicts.
fn flow_section(input: &check::InputReport, flow: &FlowReport, id: &str, out: &mut String) {
    let _ = writeln!(
        out,
        "<section class=\"flow\" id=\"{id}\"><h3>{}</h3>\n<p>{} (by {}); {} bytes c2s, {} bytes s2c</p>",
        escape(&flow_title(flow)),
        escape(&coverage_text(&flow.coverage)),
        escape(&flow.detected_by.to_string()),
        flow.bytes[0],
        flow.bytes[1]
    );
    let entries: Vec<_> = input
        .entries
        .iter()
        .filter(|e| e.flow == Some(flow.id))
        .collect();
    out.push_str("<h4>Messages</h4>\n");
    ladder::ladder(id, &entries, |rule| rule_id(id, rule), out);
    out.push_str("<h4>Media</h4>\n");
    out.push_str(&timeline(flow, id, &entries));
    out.push_str("<h4>Rules</h4>\n");
    verdicts(flow, id, out);
    out.push_str("</section>\n");
}

/// Every verdict that applies as a `<details>`, open when failed or inconclusive (and those
/// first); its failures linked to their arrows, each with the bytes it is about.
fn verdicts(flow: &FlowReport, id: &str, out: &mut String) {
    let mut not_applicable = 0;
    let mut passed = 0;
    // What needs reading first: counted failures, the others, the inconclusive, then passes
    // (in the catalog's order within each).
    let mut order: Vec<_> = flow.verdicts.iter().collect();
    order.sort_by_key(|v| match &v.status {
        Status::Fail { .. } if v.counts => 0,
        Status::Fail { .. } => 1,
        Status::Informational(_) => 2,
        Status::Pass | Status::NotApplicable => 3,
    });
    for v in order {
        let (class, open, status) = match &v.status {
            Status::NotApplicable => {
                not_applicable += 1;
                continue;
            }
            Status::Fail { count, .. } if v.counts => ("fail", " open", format!("FAIL ×{count}")),
            Status::Fail { count, .. } => ("warn", " open", format!("fail (not counted) ×{count}")),
            Status::Informational(_) => ("inconclusive", " open", "INCONCLUSIVE".to_owned()),
            Status::Pass => {
                passed += 1;
                ("pass", "", "pass".to_owned())
            }
        };
        let _ = writeln!(
            out,
            "<details class=\"rule {class}\" id=\"{}\"{open}><summary>{status} <b>{}</b> ({}, {})</summary>\n<p>{}</p>",
            rule_id(id, v.rule.id),
            v.rule.id,
            v.rule.level,
            escape(v.rule.spec),
            escape(v.rule.text)
        );
        match &v.status {
            Status::Fail { count, first } => {
                out.push_str("<ol>\n");
                for (k, f) in first.iter().enumerate() {
                    let at = f.offset.map_or(String::new(), |o| format!(" byte {o}"));
                    let _ = writeln!(
                        out,
                        "<li><a class=\"violation\" href=\"#{}\">{} {:.6} s{at}</a>: {}",
                        escape(&ladder::violation_id(id, v.rule.id, k)),
                        dir_name(f.dir),
                        f.time.as_secs_f64(),
                        escape(&f.detail)
                    );
                    match hexdump(f) {
                        Ok(lines) => {
                            out.push_str("<pre class=\"hex\">");
                            for line in lines {
                                out.push_str(&hex_line(&line));
                                out.push('\n');
                            }
                            out.push_str("</pre></li>\n");
                        }
                        Err(why) => {
                            let _ = writeln!(out, "<p class=\"nobytes\">({why})</p></li>");
                        }
                    }
                }
                out.push_str("</ol>\n");
                if *count > first.len() as u64 {
                    let _ = writeln!(
                        out,
                        "<p>{} more not kept (all are counted).</p>",
                        count - first.len() as u64
                    );
                }
            }
            Status::Informational(why) => {
                let _ = writeln!(out, "<p>not judged in full: {}</p>", escape(why));
            }
            Status::Pass | Status::NotApplicable => {}
        }
        out.push_str("</details>\n");
    }
    let _ = writeln!(
        out,
        "<p>{passed} rule(s) passed; {not_applicable} of other protocols not applicable.</p>"
    );
}

/// A hexdump line as HTML: escaped, the byte at the violation's offset marked.
fn hex_line(line: &str) -> String {
    let (hex, ascii) = line.split_once(" |").unwrap_or((line, ""));
    // As wide as the brackets it replaces, so that the columns stay aligned.
    let hex = escape(hex).replace('[', " <mark>").replace(']', "</mark> ");
    match ascii.is_empty() {
        true => hex,
        false => format!("{hex} |{}", escape(ascii)),
    }
}

impl Html for ProbeReport {
    fn title(&self) -> &'static str {
        "weir probe"
    }

    /// The conclusion, what the run saw beside the cases, then every case.
    fn body(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "<p><b>{}</b></p>\n<h2>{}</h2>",
            escape(&probe_conclusion(self)),
            escape(&self.url)
        );
        for note in &self.notes {
            let _ = writeln!(out, "<p>{}</p>", escape(note));
        }
        let mut table = Table::new(out, "case", "seen");
        for r in &self.results {
            let seen = match &r.outcome {
                Outcome::Pass(note) | Outcome::Informational(note) => note.clone(),
                Outcome::Fail { expected, actual } => {
                    format!("expected {expected}; actual {actual}")
                }
                Outcome::Skipped(why) | Outcome::Error(why) => why.clone(),
            };
            table.row(
                r.outcome.kind(),
                r.counts,
                r.case.description,
                r.case.id,
                &r.case.level().to_string(),
                r.case.spec(),
                r.outcome.name(),
                &seen,
            );
        }
        table.end();
    }
}

impl Html for ReplayReport {
    fn title(&self) -> &'static str {
        "weir replay"
    }

    /// The conclusion, one row per flow, then each flow's diff.
    fn body(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "<p><b>{}</b></p>\n<h2>{} to {}</h2>",
            escape(replay_conclusion(self)),
            escape(&self.input),
            escape(&self.url)
        );
        if let Some(why) = replay_error(self) {
            let _ = writeln!(out, "<p class=\"fail\">error: {}</p>", escape(&why));
        }
        let mut table = Table::new(out, "flow", "seen");
        for flow in &self.flows {
            let seen = match &flow.error {
                Some(why) => why.clone(),
                None => format!(
                    "{} of {} client messages re-sent; {} answers",
                    flow.sent,
                    flow.captured_messages,
                    flow.live.lines.len()
                ),
            };
            table.row(
                flow.kind(),
                true,
                &format!("{} -> {}", flow.client, flow.server),
                &format!("flow {}", flow.flow),
                "",
                "",
                flow.kind().name(),
                &seen,
            );
        }
        table.end();
        for flow in self.flows.iter().filter(|f| f.differs()) {
            let _ = writeln!(
                out,
                "<h3>flow {}: the answers differ</h3>\n<pre>{}</pre>",
                flow.flow,
                escape(&flow.diff())
            );
        }
    }
}

/// One lane per track over its media timestamps (timestamp gaps shaded), then one lane over
/// capture time of the bytes the capture misses (amber bands) and the violations, each linked
/// to its arrow in the flow's ladder (`id`: the flow's anchor).
fn timeline(flow: &FlowReport, id: &str, entries: &[&Entry]) -> String {
    let tracks: Vec<_> = flow
        .tracks
        .iter()
        .filter(|(_, _, t)| t.frames > 0)
        .collect();
    let (start, end) = tracks
        .iter()
        .filter_map(|(_, _, t)| Some((t.first_ms?, t.last_ms?)))
        .fold((i64::MAX, i64::MIN), |(a, b), (f, l)| (a.min(f), b.max(l)));
    let height = LANE * (tracks.len() as f64 + 1.0) + 20.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         font-size=\"11\">\n"
    );
    let span = |a: i64, b: i64| ((b - a).max(1)) as f64;
    let x_of = |v: f64, a: f64, width: f64| LEFT + (v - a) / width * (WIDTH - LEFT - 10.0);
    for (lane, (dir, track, summary)) in tracks.iter().enumerate() {
        let top = lane as f64 * LANE + 10.0;
        let _ = writeln!(
            svg,
            "<text x=\"4\" y=\"{}\">{} {} {}</text>",
            top + 14.0,
            dir_name(*dir),
            track_name(*track),
            summary.codec.map_or("".into(), |c| c.to_string())
        );
        let peak = summary
            .timeline
            .values()
            .map(|b| b.bytes)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let width_ms = span(start, end);
        // Timestamp gaps first, as grey bands under the line.
        for (from, to) in summary.gaps() {
            let (x1, x2) = (
                x_of(*from as f64, start as f64, width_ms),
                x_of(*to as f64, start as f64, width_ms),
            );
            let _ = writeln!(
                svg,
                "<rect class=\"gap\" x=\"{x1:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{}\" \
                 fill=\"#ddd\"><title>timestamp gap: {from}–{to} ms</title></rect>",
                (x2 - x1).max(1.0),
                LANE - 10.0
            );
        }
        let mut line = String::new();
        for (second, bucket) in &summary.timeline {
            let x = x_of((second * 1000) as f64, start as f64, width_ms);
            let y = top + LANE - 10.0 - bucket.bytes as f64 / peak * (LANE - 20.0);
            let _ = write!(line, "{x:.1},{y:.1} ");
            if bucket.keyframes > 0 {
                let _ = writeln!(
                    svg,
                    "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#36c\"/>",
                    top + LANE - 10.0,
                    top + LANE - 4.0
                );
            }
        }
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"#393\" points=\"{line}\"/>\n<text x=\"4\" y=\"{}\" \
             fill=\"#666\">{} frames, {}–{} ms, peak {:.0} kbit/s</text>",
            top + 28.0,
            summary.frames,
            summary.first_ms.unwrap_or(0),
            summary.last_ms.unwrap_or(0),
            peak * 8.0 / 1000.0
        );
    }
    let top = tracks.len() as f64 * LANE + 10.0;
    let _ = writeln!(svg, "<text x=\"4\" y=\"{}\">violations</text>", top + 14.0);
    let (t0, t1) = (flow.first_time.as_secs_f64(), flow.last_time.as_secs_f64());
    let width_s = (t1 - t0).max(1e-6);
    for entry in entries {
        if let EntryKind::Gap { offset, len } = entry.kind {
            let x = x_of(entry.time.as_secs_f64(), t0, width_s);
            let _ = writeln!(
                svg,
                "<rect class=\"gap\" x=\"{:.1}\" y=\"{top}\" width=\"6\" height=\"{}\" \
                 fill=\"#fc6\"><title>{} bytes missing at offset {offset}</title></rect>",
                x - 3.0,
                LANE - 10.0,
                len
            );
        }
    }
    for v in &flow.verdicts {
        let Status::Fail { first, .. } = &v.status else {
            continue;
        };
        let colour = if v.counts { "#c00" } else { "#e90" };
        for (k, f) in first.iter().enumerate() {
            let x = x_of(f.time.as_secs_f64(), t0, width_s);
            let _ = writeln!(
                svg,
                "<a href=\"#{}\"><line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{}\" \
                 stroke=\"{colour}\" stroke-width=\"2\"><title>{}: {}</title></line></a>",
                escape(&ladder::violation_id(id, v.rule.id, k)),
                top + LANE - 10.0,
                v.rule.id,
                escape(&f.detail)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
