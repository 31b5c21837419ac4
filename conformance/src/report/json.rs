//! `--format json`: every input, flow, case and verdict, keys in a fixed order. A verdict's
//! `status` is its kind's name (a probe case's says `skipped` or `error` where the kind is
//! not checked).

use super::{conclusion, coverage_text};
use crate::check::{self, FlowReport};
use crate::doc::Node;
use crate::probe::ProbeReport;
use crate::replay::ReplayReport;
use crate::replay::answers::Answers;
use crate::transcript::{dir_name, seconds};
use crate::verdict::{Failure, Outcome, Status, Verdict};

/// A report the JSON renderer writes.
pub trait Json {
    fn json(&self) -> Node;
}

pub fn render(report: &impl Json) -> String {
    report.json().to_json()
}

/// Absent values are `null`.
fn or_null(value: &Option<String>) -> Node {
    value.clone().map_or(Node::Null, Node::from)
}

impl Json for check::Report {
    fn json(&self) -> Node {
        let inputs: Vec<Node> = self
            .inputs
            .iter()
            .map(|input| {
                Node::map()
                    .with("name", input.name.as_str())
                    .with("error", or_null(&input.error))
                    .with(
                        "flows",
                        input.flows.iter().map(flow_node).collect::<Vec<_>>(),
                    )
                    .with("unopened", input.unopened_node())
            })
            .collect();
        Node::map()
            .with("inputs", inputs)
            .with("strict", self.strict)
            .with("counted_failures", self.counted_failures())
            .with("exit_code", i64::from(self.exit_code()))
            .with("conclusion", conclusion(self))
    }
}

fn failure_node(f: &Failure) -> Node {
    Node::map()
        .with("t", seconds(f.time))
        .with("dir", dir_name(f.dir))
        .with_some("offset", f.offset)
        .with("detail", f.detail.as_str())
        .with_some(
            "excerpt",
            f.excerpt.as_ref().map(|e| {
                let hex: Vec<String> = e.bytes.iter().map(|b| format!("{b:02x}")).collect();
                Node::map()
                    .with("offset", e.offset)
                    .with("hex", hex.join(" "))
            }),
        )
}

fn verdict_node(v: &Verdict) -> Node {
    let node = Node::map()
        .with("rule", v.rule.id)
        .with("level", v.rule.level.to_string())
        .with("spec", v.rule.spec)
        .with("status", v.status.name())
        .with("counts", v.counts);
    match &v.status {
        Status::Fail { count, first } => node.with("count", *count).with(
            "failures",
            first.iter().map(failure_node).collect::<Vec<_>>(),
        ),
        Status::Informational(why) => node.with("note", why.as_str()),
        Status::Pass | Status::NotApplicable => node,
    }
}

/// One flow with its verdicts and media.
fn flow_node(flow: &FlowReport) -> Node {
    let transport = super::transport_name(flow.transport);
    let tracks: Vec<Node> = flow
        .tracks
        .iter()
        .map(|(dir, track, summary)| {
            let node = summary.to_node(*track);
            match node {
                Node::Map(mut entries) => {
                    entries.insert(0, ("dir", Node::from(dir_name(*dir))));
                    Node::Map(entries)
                }
                other => other,
            }
        })
        .collect();
    Node::map()
        .with("flow", flow.id.0)
        .with("client", flow.client.to_string())
        .with("server", flow.server.to_string())
        .with("transport", transport)
        .with("midstream", flow.midstream)
        .with("protocol", flow.protocol.name())
        .with("detected_by", flow.detected_by.to_string())
        .with("coverage", coverage_text(&flow.coverage))
        .with(
            "bytes",
            Node::map()
                .with("c2s", flow.bytes[0])
                .with("s2c", flow.bytes[1]),
        )
        .with("tracks", tracks)
        .with(
            "verdicts",
            flow.verdicts.iter().map(verdict_node).collect::<Vec<_>>(),
        )
}

fn outcome_node(outcome: &Outcome) -> Node {
    let node = Node::map().with("status", outcome.name());
    match outcome {
        Outcome::Pass(note) | Outcome::Informational(note) => node.with("note", note.as_str()),
        Outcome::Fail { expected, actual } => node
            .with("expected", expected.as_str())
            .with("actual", actual.as_str()),
        Outcome::Skipped(why) | Outcome::Error(why) => node.with("why", why.as_str()),
    }
}

impl Json for ProbeReport {
    fn json(&self) -> Node {
        let cases: Vec<Node> = self
            .results
            .iter()
            .map(|r| {
                let rules: Vec<Node> = r
                    .case
                    .rules
                    .iter()
                    .map(|rule| Node::from(rule.id))
                    .collect();
                Node::map()
                    .with("id", r.case.id)
                    .with("description", r.case.description)
                    .with("level", r.case.level().to_string())
                    .with("spec", r.case.spec())
                    .with("rules", rules)
                    .with("counts", r.counts)
                    .with(
                        "seconds",
                        Node::Number(format!("{:.3}", r.elapsed.as_secs_f64())),
                    )
                    .with("outcome", outcome_node(&r.outcome))
            })
            .collect();
        Node::map()
            .with("url", self.url.as_str())
            .with("unreachable", or_null(&self.unreachable))
            .with("strict", self.strict)
            .with(
                "notes",
                self.notes
                    .iter()
                    .map(|n| Node::from(n.as_str()))
                    .collect::<Vec<_>>(),
            )
            .with("cases", cases)
            .with("counted_failures", self.counted_failures() as i64)
            .with("exit_code", i64::from(self.exit_code()))
    }
}

impl Json for ReplayReport {
    fn json(&self) -> Node {
        let lines = |lines: &[String]| -> Vec<Node> {
            lines.iter().map(|l| Node::from(l.as_str())).collect()
        };
        let frames = |a: &Answers| -> Vec<Node> {
            a.frames
                .iter()
                .map(|(track, n)| Node::map().with("track", track.as_str()).with("frames", *n))
                .collect()
        };
        let flows: Vec<Node> = self
            .flows
            .iter()
            .map(|f| {
                Node::map()
                    .with("flow", f.flow.0 as i64)
                    .with("client", f.client.to_string())
                    .with("server", f.server.to_string())
                    .with("sent", f.sent as i64)
                    .with("captured_messages", f.captured_messages as i64)
                    .with("error", or_null(&f.error))
                    .with("truncated", or_null(&f.truncated))
                    .with("captured", lines(&f.captured.lines))
                    .with("live", lines(&f.live.lines))
                    .with("captured_frames", frames(&f.captured))
                    .with("live_frames", frames(&f.live))
                    .with("differs", f.differs())
                    .with("diff", f.diff())
            })
            .collect();
        Node::map()
            .with("input", self.input.as_str())
            .with("url", self.url.as_str())
            .with("error", or_null(&self.error))
            .with("flows", flows)
            .with("not_replayed", self.not_replayed)
            .with("exit_code", i64::from(self.exit_code()))
    }
}
