//! What `weir check` found (DESIGN.md, "Conformance harness"): per input its flows, each with
//! how it was detected and read, its media and a verdict per rule; and the transcript. The
//! renderers of [`report`](crate::report) write it as text, JSON, JUnit XML and HTML.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use weir_media::Track;

use crate::capture::{Direction, FlowId, Transport};
use crate::doc::Node;
use crate::media_summary::TrackSummary;
use crate::protocols::Protocol;
use crate::transcript::{Entry, Reason};
use crate::verdict::Verdict;

/// How much of a flow its observer read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Full,
    /// Observed until it could not go on: why.
    Partial(String),
    /// No observer read it: why.
    NotObserved(String),
}

/// One flow's result.
#[derive(Debug, Clone)]
pub struct FlowReport {
    pub id: FlowId,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub transport: Transport,
    pub midstream: bool,
    pub protocol: Protocol,
    pub detected_by: Reason,
    pub coverage: Coverage,
    /// Stream bytes (or datagram bytes) per direction: client→server, server→client.
    pub bytes: [u64; 2],
    pub tracks: Vec<(Direction, Track, TrackSummary)>,
    pub verdicts: Vec<Verdict>,
    /// Capture times (since the input's start) of the flow's first and last event.
    pub first_time: Duration,
    pub last_time: Duration,
}

impl FlowReport {
    pub fn counted_failures(&self) -> usize {
        self.verdicts.iter().filter(|v| v.counted_failure()).count()
    }
}

/// One input's result.
#[derive(Debug, Clone)]
pub struct InputReport {
    pub name: String,
    /// Why the input could not be read (in full): the check exits 2.
    pub error: Option<String>,
    pub flows: Vec<FlowReport>,
    pub entries: Vec<Entry>,
    /// Packets not opened to a flow, per kind.
    pub unopened: BTreeMap<&'static str, u64>,
}

impl InputReport {
    /// The input's transcript: its entries, then what was not opened.
    pub fn transcript(&self) -> Node {
        let entries: Vec<Node> = self.entries.iter().map(|e| e.to_node()).collect();
        Node::map()
            .with("input", self.name.as_str())
            .with_some("error", self.error.clone())
            .with("entries", entries)
            .with("unopened", self.unopened_node())
    }

    /// The packets not opened, counted per kind.
    pub fn unopened_node(&self) -> Node {
        self.unopened
            .iter()
            .fold(Node::map(), |node, (kind, n)| node.with(kind, *n))
    }
}

/// Everything `weir check` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub inputs: Vec<InputReport>,
    pub strict: bool,
    /// Flows not judged in full fail the check (`--require-full-coverage`).
    pub require_full_coverage: bool,
}

impl Report {
    /// Verdicts that make the check fail.
    pub fn counted_failures(&self) -> usize {
        self.flows().map(FlowReport::counted_failures).sum()
    }

    pub fn flows(&self) -> impl Iterator<Item = &FlowReport> {
        self.inputs.iter().flat_map(|i| &i.flows)
    }

    /// The flows not judged in full: observed in part, or not observed at all.
    pub fn not_in_full(&self) -> impl Iterator<Item = &FlowReport> {
        self.flows().filter(|f| f.coverage != Coverage::Full)
    }

    /// 2 when an input could not be read, 1 when a counted rule failed (or, with
    /// [`require_full_coverage`](Self::require_full_coverage), a flow was not judged in
    /// full), 0 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.inputs.iter().any(|i| i.error.is_some()) {
            2
        } else if self.counted_failures() > 0
            || (self.require_full_coverage && self.not_in_full().next().is_some())
        {
            1
        } else {
            0
        }
    }

    /// The transcripts as YAML, one document per input.
    pub fn transcript_yaml(&self) -> String {
        let mut out = String::new();
        for (i, input) in self.inputs.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&input.transcript().to_yaml());
        }
        out
    }
}
