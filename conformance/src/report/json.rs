//! `--format json`: every input, flow and verdict, keys in a fixed order.

use super::{conclusion, flow_node};
use crate::check::Report;
use crate::doc::Node;

pub fn render(report: &Report) -> String {
    let inputs: Vec<Node> = report
        .inputs
        .iter()
        .map(|input| {
            let unopened = input
                .unopened
                .iter()
                .fold(Node::map(), |node, (kind, n)| node.with(kind, *n));
            Node::map()
                .with("name", input.name.as_str())
                .with("error", input.error.clone().map_or(Node::Null, Node::from))
                .with(
                    "flows",
                    input.flows.iter().map(flow_node).collect::<Vec<_>>(),
                )
                .with("unopened", unopened)
        })
        .collect();
    Node::map()
        .with("inputs", inputs)
        .with("strict", report.strict)
        .with("counted_failures", report.counted_failures())
        .with("exit_code", i64::from(report.exit_code()))
        .with("conclusion", conclusion(report))
        .to_json()
}
