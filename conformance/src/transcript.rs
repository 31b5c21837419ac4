//! The transcript (DESIGN.md, "Conformance harness"): what the observers saw, in capture order,
//! as entries `{t, flow, dir, proto, event}`. Violations are entries too (rule, offset,
//! detail); media is summarised per track when a flow ends, so that snapshots stay small.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use weir_media::Rule;

use crate::capture::{CloseReason, Direction, FlowId, Transport, Unopened};
use crate::doc::Node;

/// How a flow's protocol was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The bytes say so: what was seen.
    Content(&'static str),
    /// The bytes say so, but only at this datagram of the flow (counted from 1): the ones
    /// before it were held, as they could not tell (PS over RTP whose capture began inside a
    /// frame).
    ContentAt(&'static str, u64),
    /// What the first datagram says, once this many were held for a later one to say more
    /// and none did.
    ContentAfterHolding(&'static str, u64),
    /// The content was too short to tell; the server port is the protocol's usual one.
    Port(u16),
    /// `--decode-as PORT=PROTO`.
    DecodeAs(u16),
    /// Nothing matched.
    Nothing,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Content(what) => write!(f, "content: {what}"),
            Reason::ContentAt(what, n) => write!(
                f,
                "content: {what}, at datagram {n} (the {} before it held: a frame's tail)",
                n - 1
            ),
            Reason::ContentAfterHolding(what, n) => write!(
                f,
                "content: {what} ({n} datagrams of a dynamic payload type held: none began \
                 with an MPEG-PS pack header)"
            ),
            Reason::Port(port) => write!(f, "port {port} (content too short to tell)"),
            Reason::DecodeAs(port) => write!(f, "--decode-as {port}"),
            Reason::Nothing => f.write_str("no protocol matched the content"),
        }
    }
}

/// What happened, for one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    Opened {
        client: SocketAddr,
        server: SocketAddr,
        transport: Transport,
        midstream: bool,
    },
    Detected(Reason),
    /// A protocol event, rendered on one line (`connect app=live ...`).
    Event(String),
    /// The peer broke `rule`. `offset`: in the direction's byte stream, when known. `fatal`:
    /// the machine could not go on, and observation of this direction stopped.
    Violation {
        rule: &'static Rule,
        offset: Option<u64>,
        detail: String,
        fatal: bool,
    },
    /// Bytes the capture does not hold.
    Gap {
        offset: u64,
        len: u64,
    },
    /// The observer stopped reading this direction (or the whole flow) and why.
    GaveUp(String),
    /// The sender closed its direction (FIN) after `offset` bytes.
    Finished {
        offset: u64,
    },
    Closed(CloseReason),
    /// Per-track summaries of one direction, at the end of the flow.
    Media(Vec<Node>),
    /// A packet not opened to a flow.
    Unopened {
        packet: u64,
        reason: Unopened,
    },
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Since the input's first packet.
    pub time: Duration,
    pub flow: Option<FlowId>,
    pub dir: Option<Direction>,
    /// The flow's protocol, by its name in the protocol table.
    pub proto: Option<&'static str>,
    pub kind: EntryKind,
}

/// "c2s" or "s2c".
pub fn dir_name(dir: Direction) -> &'static str {
    match dir {
        Direction::ClientToServer => "c2s",
        Direction::ServerToClient => "s2c",
    }
}

pub fn close_reason_name(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Fin => "fin",
        CloseReason::Rst => "rst",
        CloseReason::EndOfCapture => "end of capture",
        CloseReason::EndOfStreams => "end of streams",
        CloseReason::EndOfFile => "end of file",
    }
}

/// Seconds with microseconds, as a YAML/JSON number.
pub fn seconds(time: Duration) -> Node {
    Node::Number(format!("{}.{:06}", time.as_secs(), time.subsec_micros()))
}

impl Entry {
    pub fn to_node(&self) -> Node {
        let node = Node::map()
            .with("t", seconds(self.time))
            .with_some("flow", self.flow.map(|f| f.0))
            .with_some("dir", self.dir.map(dir_name))
            .with_some("proto", self.proto);
        match &self.kind {
            EntryKind::Opened {
                client,
                server,
                transport,
                midstream,
            } => {
                let transport = match transport {
                    Transport::Tcp => "tcp",
                    Transport::Udp => "udp",
                    Transport::File => {
                        return node.with("event", "opened file: its bytes as one stream (c2s)");
                    }
                };
                let mut event = format!("opened {transport} {client} -> {server}");
                if *midstream {
                    event.push_str(" (mid-stream: no SYN in the capture)");
                }
                node.with("event", event)
            }
            EntryKind::Detected(reason) => node.with("event", format!("detected by {reason}")),
            EntryKind::Event(text) => node.with("event", text.as_str()),
            EntryKind::Violation {
                rule,
                offset,
                detail,
                fatal,
            } => {
                let violation = Node::map()
                    .with("rule", rule.id)
                    .with("level", rule.level.to_string())
                    .with_some("offset", *offset)
                    .with("detail", detail.as_str());
                let violation = if *fatal {
                    violation.with("fatal", true)
                } else {
                    violation
                };
                node.with("violation", violation)
            }
            EntryKind::Gap { offset, len } => node.with(
                "event",
                format!("gap: {len} bytes missing at offset {offset}"),
            ),
            EntryKind::GaveUp(reason) => {
                node.with("event", format!("not observed further: {reason}"))
            }
            EntryKind::Finished { offset } => {
                node.with("event", format!("finished after {offset} bytes"))
            }
            EntryKind::Closed(reason) => {
                node.with("event", format!("closed ({})", close_reason_name(*reason)))
            }
            EntryKind::Media(tracks) => node.with("media", tracks.clone()),
            EntryKind::Unopened { packet, reason } => {
                node.with("event", format!("packet {packet} not opened: {reason}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violation_entry_renders_rule_level_offset() {
        let entry = Entry {
            time: Duration::from_micros(1_500_002),
            flow: Some(FlowId(2)),
            dir: Some(Direction::ClientToServer),
            proto: Some("rtmp"),
            kind: EntryKind::Violation {
                rule: &weir_rtmp::rules::CONTROL_SET_CHUNK_SIZE,
                offset: Some(3073),
                detail: "chunk size 0".into(),
                fatal: false,
            },
        };
        assert_eq!(
            entry.to_node().to_yaml(),
            "t: 1.500002\nflow: 2\ndir: c2s\nproto: rtmp\nviolation:\n  rule: rtmp.control.set-chunk-size\n  \
             level: MUST\n  offset: 3073\n  detail: chunk size 0\n"
        );
    }
}
