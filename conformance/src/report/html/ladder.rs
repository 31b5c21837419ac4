//! A flow's message sequence chart (the ladder diagram engineers draw by hand, as in RFC 3261
//! §24's call flows): two lifelines, client and server, and one arrow per transcript entry in
//! the direction it went, labelled with what it said and when; violations in red; what
//! concerns the whole flow (opened, detected, closed) as a note across both lines. Every row
//! has an `id`, and violations the one the verdicts link to ([`violation_id`]).
//!
//! A capture of a hundred flows must stay readable: a flow draws its first [`HEAD`] rows, then
//! only each violation a verdict keeps with the row before it, and says how many were elided.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::escape;
use crate::check::MAX_FAILURES_KEPT;
use crate::transcript::{Entry, EntryKind, dir_name};

/// Rows drawn from a flow's start.
pub const HEAD: usize = 40;
/// The longest label drawn (the whole text is the arrow's tooltip).
const LABEL: usize = 90;
const WIDTH: f64 = 900.0;
const CLIENT: f64 = 180.0;
const SERVER: f64 = 860.0;
const ROW: f64 = 24.0;
const TOP: f64 = 34.0;

/// The anchor of the `k`th (from 0) violation of `rule` in flow `flow`'s transcript: the
/// tally keeps a rule's first failures in the transcript's order, so failure `k` of a verdict
/// is that row.
pub fn violation_id(flow: &str, rule: &str, k: usize) -> String {
    format!("{flow}-v-{rule}-{k}")
}

/// One row's anchor and whether a verdict links to it.
struct Row<'e> {
    entry: &'e Entry,
    id: String,
    linked: bool,
}

/// The chart of one flow's entries (in transcript order); `flow`: the flow's anchor, which
/// prefixes every row's. `link`: where a violation of a rule points (the rule's verdict).
pub fn ladder(flow: &str, entries: &[&Entry], link: impl Fn(&str) -> String, out: &mut String) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let rows: Vec<Row> = entries
        .iter()
        .filter(|e| !matches!(e.kind, EntryKind::Media(_)))
        .enumerate()
        .map(|(n, entry)| match &entry.kind {
            EntryKind::Violation { rule, .. } => {
                let k = seen.entry(rule.id).or_default();
                *k += 1;
                Row {
                    entry,
                    id: violation_id(flow, rule.id, *k - 1),
                    linked: *k <= MAX_FAILURES_KEPT,
                }
            }
            _ => Row {
                entry,
                id: format!("{flow}-m{n}"),
                linked: false,
            },
        })
        .collect();
    // The rows drawn: the head, then each linked violation and the row before it.
    let mut drawn: BTreeSet<usize> = (0..rows.len().min(HEAD)).collect();
    for (i, _) in rows.iter().enumerate().filter(|(_, r)| r.linked) {
        drawn.insert(i);
        drawn.insert(i.saturating_sub(1));
    }
    let mut lines = Vec::new();
    let mut last = None;
    for &i in &drawn {
        let skipped = i - last.map_or(0, |l: usize| l + 1);
        if skipped > 0 {
            lines.push(Line::Elided(skipped));
        }
        lines.push(Line::Row(&rows[i]));
        last = Some(i);
    }
    let after = rows.len() - last.map_or(0, |l| l + 1);
    if after > 0 {
        lines.push(Line::Elided(after));
    }
    let elided = rows.len() - drawn.len();
    let _ = writeln!(
        out,
        "<p class=\"ladder-note\">{} message(s); {} drawn{}</p>",
        rows.len(),
        drawn.len(),
        match elided {
            0 => String::new(),
            n => format!(
                ", {n} elided (the first {HEAD} and every violation a verdict keeps are drawn)"
            ),
        }
    );
    let height = TOP + ROW * lines.len() as f64 + 10.0;
    let _ = writeln!(
        out,
        "<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" \
         height=\"{height}\" font-size=\"11\">\n\
         <text x=\"{CLIENT}\" y=\"14\" text-anchor=\"middle\" font-weight=\"bold\">client</text>\
         <text x=\"{SERVER}\" y=\"14\" text-anchor=\"middle\" font-weight=\"bold\">server</text>\
         <line x1=\"{CLIENT}\" x2=\"{CLIENT}\" y1=\"20\" y2=\"{height}\" stroke=\"#888\"/>\
         <line x1=\"{SERVER}\" x2=\"{SERVER}\" y1=\"20\" y2=\"{height}\" stroke=\"#888\"/>"
    );
    for (n, line) in lines.iter().enumerate() {
        let y = TOP + ROW * n as f64 + ROW * 0.6;
        match line {
            Line::Elided(count) => {
                let _ = writeln!(
                    out,
                    "<text class=\"elided\" x=\"{}\" y=\"{y}\" text-anchor=\"middle\" \
                     fill=\"#888\">… {count} message(s) elided …</text>",
                    (CLIENT + SERVER) / 2.0
                );
            }
            Line::Row(row) => draw(row, y, &link, out),
        }
    }
    out.push_str("</svg>\n");
}

enum Line<'r, 'e> {
    Row(&'r Row<'e>),
    Elided(usize),
}

/// One row: its time at the left, an arrow (or a note across both lifelines) and its label.
fn draw(row: &Row, y: f64, link: &impl Fn(&str) -> String, out: &mut String) {
    let entry = row.entry;
    let (text, colour) = match &entry.kind {
        EntryKind::Violation {
            rule,
            offset,
            detail,
            fatal,
        } => {
            let at = offset.map_or(String::new(), |o| format!(" at byte {o}"));
            let fatal = if *fatal { " (fatal)" } else { "" };
            (format!("✗ {}{at}{fatal}: {detail}", rule.id), "#c00")
        }
        EntryKind::Gap { .. } => (event_text(entry), "#a60"),
        _ => (event_text(entry), "#222"),
    };
    let label: String = match text.chars().count() > LABEL {
        true => text.chars().take(LABEL - 1).chain(['…']).collect(),
        false => text.clone(),
    };
    let time = format!("{:.6} s", entry.time.as_secs_f64());
    let (open, close) = match &entry.kind {
        EntryKind::Violation { rule, .. } => {
            (format!("<a href=\"#{}\">", escape(&link(rule.id))), "</a>")
        }
        _ => (String::new(), ""),
    };
    let _ = write!(
        out,
        "<g id=\"{}\" class=\"row\">{open}<title>{} {}</title>\
         <text x=\"4\" y=\"{y}\" fill=\"#666\">{time}</text>",
        escape(&row.id),
        escape(&time),
        escape(&text)
    );
    let middle = (CLIENT + SERVER) / 2.0;
    match entry.dir {
        Some(dir) => {
            let (from, to) = match dir_name(dir) {
                "c2s" => (CLIENT, SERVER),
                _ => (SERVER, CLIENT),
            };
            let head = if to > from { -8.0 } else { 8.0 };
            let line_y = y + 4.0;
            let _ = write!(
                out,
                "<line x1=\"{from}\" x2=\"{to}\" y1=\"{line_y}\" y2=\"{line_y}\" \
                 stroke=\"{colour}\"/><polygon points=\"{to},{line_y} {},{} {},{}\" \
                 fill=\"{colour}\"/>",
                to + head,
                line_y - 4.0,
                to + head,
                line_y + 4.0
            );
        }
        None => {
            let _ = write!(
                out,
                "<line x1=\"{CLIENT}\" x2=\"{SERVER}\" y1=\"{}\" y2=\"{}\" stroke=\"#bbb\" \
                 stroke-dasharray=\"3 3\"/>",
                y + 4.0,
                y + 4.0
            );
        }
    }
    let _ = writeln!(
        out,
        "<text x=\"{middle}\" y=\"{}\" text-anchor=\"middle\" fill=\"{colour}\">{}</text>{close}</g>",
        y,
        escape(&label)
    );
}

/// What an entry that is not a violation says, as the transcript words it.
fn event_text(entry: &Entry) -> String {
    let node = entry.to_node();
    match node.get("event") {
        Some(crate::doc::Node::Str(text)) => text.clone(),
        _ => node.to_yaml().replace('\n', " "),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::capture::{Direction, FlowId};

    fn entry(n: u64, kind: EntryKind) -> Entry {
        Entry {
            time: Duration::from_millis(n),
            flow: Some(FlowId(1)),
            dir: Some(match n % 2 {
                0 => Direction::ClientToServer,
                _ => Direction::ServerToClient,
            }),
            proto: Some("rtmp"),
            kind,
        }
    }

    #[test]
    fn a_long_flow_draws_its_head_and_every_kept_violation_escaped() {
        let rule = &weir_rtmp::rules::CHUNK_CSID_RANGE;
        let entries: Vec<Entry> = (0..500u64)
            .map(|n| match n {
                100 | 300..=309 => entry(
                    n,
                    EntryKind::Violation {
                        rule,
                        offset: Some(n),
                        detail: "<script>alert(1)</script>".into(),
                        fatal: false,
                    },
                ),
                _ => entry(n, EntryKind::Event(format!("message {n} <b>\"&"))),
            })
            .collect();
        let refs: Vec<&Entry> = entries.iter().collect();
        let mut out = String::new();
        ladder("f", &refs, |r| format!("f-r-{r}"), &mut out);
        for k in 0..MAX_FAILURES_KEPT {
            let id = format!("id=\"{}\"", violation_id("f", rule.id, k));
            assert!(out.contains(&id), "{id}");
        }
        let unkept = violation_id("f", rule.id, MAX_FAILURES_KEPT);
        assert!(!out.contains(&unkept), "no verdict keeps it");
        // The first 40, the kept violations (rows 100 and 300 to 303) and the rows before
        // 100 and 300.
        assert!(
            out.contains("500 message(s); 47 drawn, 453 elided"),
            "{out}"
        );
        for elided in [59, 198, 196] {
            assert!(out.contains(&format!("… {elided} message(s) elided …")));
        }
        assert!(out.contains("href=\"#f-r-rtmp.chunk.csid-range\""));
        assert!(!out.contains("<script") && !out.contains("<b>") && !out.contains("\"&"));
    }
}
