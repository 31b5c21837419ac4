//! `--html DIR`: one static, self-contained page (`index.html`, no script, no network). Per
//! flow: each track's timestamps (frames per second as bars, keyframes as ticks) and bitrate
//! (a line), and where in the capture the violations happened, as inline SVG; then the
//! failed verdicts.

use std::fmt::Write;
use std::path::Path;

use super::{conclusion, coverage_text, flow_title};
use crate::check::{FlowReport, Report};
use crate::media_summary::track_name;
use crate::transcript::dir_name;
use crate::verdict::Status;

const WIDTH: f64 = 900.0;
const LANE: f64 = 60.0;
const LEFT: f64 = 110.0;

/// Writes `dir/index.html`.
pub fn write(report: &Report, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("index.html"), render(report))
}

pub fn render(report: &Report) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>weir check</title>\n<style>\
         body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left}\
         .fail{color:#b00}.warn{color:#a60}svg{background:#fafafa;border:1px solid #ddd}\
         </style></head><body>\n<h1>weir check</h1>\n",
    );
    let _ = writeln!(out, "<p><b>{}</b></p>", escape(&conclusion(report)));
    for input in &report.inputs {
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
            verdict_table(flow, &mut out);
        }
    }
    out.push_str("</body></html>\n");
    out
}

fn verdict_table(flow: &FlowReport, out: &mut String) {
    out.push_str("<table><tr><th>rule</th><th>level</th><th>spec</th><th>status</th><th>first seen</th></tr>\n");
    let mut shown = 0;
    for v in &flow.verdicts {
        let Status::Fail { count, first } = &v.status else {
            continue;
        };
        shown += 1;
        let class = if v.counts { "fail" } else { "warn" };
        let seen = first.first().map_or(String::new(), |f| {
            let at = f.offset.map_or(String::new(), |o| format!(" byte {o}"));
            format!(
                "{} {:.3} s{at}: {}",
                dir_name(f.dir),
                f.time.as_secs_f64(),
                f.detail
            )
        });
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td title=\"{}\">{}</td><td>{}</td><td>{}</td><td>fail ×{count}</td><td>{}</td></tr>",
            escape(v.rule.text),
            v.rule.id,
            v.rule.level,
            escape(v.rule.spec),
            escape(&seen)
        );
    }
    let passed = flow
        .verdicts
        .iter()
        .filter(|v| v.status == Status::Pass)
        .count();
    let _ = writeln!(
        out,
        "</table>\n<p>{shown} rule(s) failed, {passed} passed.</p>"
    );
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
