//! Reports of a [`Report`]: the transcript (YAML), text (the default), JSON, JUnit XML and a
//! static HTML page per input. Each format is one file; the document tree they share is
//! built here.

pub mod html;
pub mod json;
pub mod junit;
pub mod text;

use crate::capture::Transport;
use crate::check::{Coverage, FlowReport, InputReport, Report};
use crate::doc::Node;
use crate::transcript::{dir_name, seconds};
use crate::verdict::{Failure, Status, Verdict};

/// The transcripts, one YAML document per input.
pub fn transcript(report: &Report) -> String {
    let mut out = String::new();
    for (i, input) in report.inputs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&input_transcript(input).to_yaml());
    }
    out
}

/// One input's transcript: its entries, then what was not opened.
pub fn input_transcript(input: &InputReport) -> Node {
    let entries: Vec<Node> = input.entries.iter().map(|e| e.to_node()).collect();
    let unopened = input
        .unopened
        .iter()
        .fold(Node::map(), |node, (kind, n)| node.with(kind, *n));
    Node::map()
        .with("input", input.name.as_str())
        .with_some("error", input.error.clone())
        .with("entries", entries)
        .with("unopened", unopened)
}

/// "client → server" address pair (or "file"), protocol and how it was found.
pub fn flow_title(flow: &FlowReport) -> String {
    match flow.transport {
        Transport::File => format!("flow {} file (the whole file): {}", flow.id, flow.protocol),
        transport => format!(
            "flow {} {} {} -> {}: {}",
            flow.id,
            transport_name(transport),
            flow.client,
            flow.server,
            flow.protocol
        ),
    }
}

pub fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
        Transport::File => "file",
    }
}

pub fn coverage_text(coverage: &Coverage) -> String {
    match coverage {
        Coverage::Full => "observed in full".into(),
        Coverage::Partial(why) => format!("observed in part: {why}"),
        Coverage::NotObserved(why) => format!("not observed: {why}"),
    }
}

pub fn failure_node(f: &Failure) -> Node {
    Node::map()
        .with("t", seconds(f.time))
        .with("dir", dir_name(f.dir))
        .with_some("offset", f.offset)
        .with("detail", f.detail.as_str())
}

pub fn verdict_node(v: &Verdict) -> Node {
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

/// One flow with its verdicts and media, for JSON.
pub fn flow_node(flow: &FlowReport) -> Node {
    let transport = transport_name(flow.transport);
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

/// What the check concluded, in one line.
pub fn conclusion(report: &Report) -> String {
    match report.exit_code() {
        2 => "ERROR: an input could not be read".into(),
        1 => format!(
            "FAIL: {} rule verdict(s) failed{}",
            report.counted_failures(),
            if report.strict { " (strict)" } else { "" }
        ),
        _ => {
            "PASS: no MUST rule failed".to_string()
                + if report.strict {
                    " and no SHOULD rule (strict)"
                } else {
                    ""
                }
        }
    }
}
