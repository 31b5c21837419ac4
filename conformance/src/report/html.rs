//! `--html DIR`: one static, self-contained page (`index.html`, no script, no network) per
//! report, every verdict in a table of the same shape (what was judged, level, spec section,
//! its kind, what was seen). A check's page draws, per flow, each track's timestamps (frames
//! per second as bars, keyframes as ticks) and bitrate (a line), and where in the capture the
//! violations happened, as inline SVG, above its failed verdicts; a replay's shows each
//! flow's diff.

use std::fmt::Write;
use std::path::Path;

use super::{
    conclusion, coverage_text, flow_title, probe_conclusion, replay_conclusion, replay_error,
};
use crate::check::{self, FlowReport};
use crate::media_summary::track_name;
use crate::probe::ProbeReport;
use crate::replay::ReplayReport;
use crate::transcript::dir_name;
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
         .fail{{color:#b00}}.warn{{color:#a60}}svg{{background:#fafafa;border:1px solid #ddd}}\
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

    fn body(&self, out: &mut String) {
        let _ = writeln!(out, "<p><b>{}</b></p>", escape(&conclusion(self)));
        for input in &self.inputs {
            let _ = writeln!(out, "<h2>{}</h2>", escape(&input.name));
            if let Some(error) = &input.error {
                let _ = writeln!(out, "<p class=\"fail\">error: {}</p>", escape(error));
            }
            for flow in &input.flows {
                let _ = writeln!(
                    out,
                    "<h3>{}</h3>\n<p>{} (by {}); {} bytes c2s, {} bytes s2c</p>",
                    escape(&flow_title(flow)),
                    escape(&coverage_text(&flow.coverage)),
                    escape(&flow.detected_by.to_string()),
                    flow.bytes[0],
                    flow.bytes[1]
                );
                out.push_str(&timeline(flow));
                verdict_table(flow, out);
            }
        }
    }
}

/// The flow's failed verdicts, then how many passed.
fn verdict_table(flow: &FlowReport, out: &mut String) {
    let mut table = Table::new(out, "rule", "first seen");
    let mut shown = 0;
    for v in &flow.verdicts {
        let Status::Fail { count, first } = &v.status else {
            continue;
        };
        shown += 1;
        let seen = first.first().map_or(String::new(), |f| {
            let at = f.offset.map_or(String::new(), |o| format!(" byte {o}"));
            format!(
                "{} {:.3} s{at}: {}",
                dir_name(f.dir),
                f.time.as_secs_f64(),
                f.detail
            )
        });
        table.row(
            Kind::Fail,
            v.counts,
            v.rule.text,
            v.rule.id,
            &v.rule.level.to_string(),
            v.rule.spec,
            &format!("fail ×{count}"),
            &seen,
        );
    }
    table.end();
    let passed = flow
        .verdicts
        .iter()
        .filter(|v| v.status == Status::Pass)
        .count();
    let _ = writeln!(out, "<p>{shown} rule(s) failed, {passed} passed.</p>");
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

/// One lane per track over its media timestamps, then one lane of violations over capture time.
fn timeline(flow: &FlowReport) -> String {
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
    for v in &flow.verdicts {
        let Status::Fail { first, .. } = &v.status else {
            continue;
        };
        let colour = if v.counts { "#c00" } else { "#e90" };
        for f in first {
            let x = x_of(f.time.as_secs_f64(), t0, width_s);
            let _ = writeln!(
                svg,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{}\" stroke=\"{colour}\" \
                 stroke-width=\"2\"><title>{}: {}</title></line>",
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
