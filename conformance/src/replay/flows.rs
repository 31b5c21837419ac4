//! The RTMP flows of a capture (or a raw stream pair), each direction's bytes with the capture
//! time they arrived at: what `weir replay` re-sends and compares against.

use crate::capture::{CaptureEvents, Direction, FlowEvent, FlowId, Limits, StreamPair, Transport};
use crate::detect;
use crate::protocols::Protocol;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Bytes of one direction, as they arrived.
#[derive(Debug, Clone, Default)]
pub struct Timed {
    /// Capture time (since the capture's first packet) and the bytes, in stream order.
    pub pieces: Vec<(Duration, Bytes)>,
    /// A piece of the stream is missing (a gap): replay stops there.
    pub gap: Option<u64>,
    /// When this side closed (FIN, or the connection's end), if the capture holds it.
    pub closed: Option<Duration>,
    len: u64,
}

impl Timed {
    fn push(&mut self, time: Duration, offset: u64, bytes: Bytes) {
        if self.gap.is_some() || offset != self.len {
            self.gap.get_or_insert(self.len);
            return;
        }
        self.len += bytes.len() as u64;
        self.pieces.push((time, bytes));
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One captured connection (RTMP, HTTP), or UDP flow (MPEG-TS: its datagrams are the pieces).
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: FlowId,
    pub transport: Transport,
    /// What it was detected as.
    pub protocol: Protocol,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Client to server, server to client.
    pub bytes: [Timed; 2],
}

/// Past this much captured RTMP, replay refuses the input (it holds the flows in memory).
const MAX_BYTES: u64 = 512 << 20;

/// The flows detected as one of `protocols` (as `weir check` detects them: a TCP flow by its
/// first bytes, a UDP flow by its first datagram), in the order they opened.
pub fn read(
    path: &Path,
    client_file: Option<&Path>,
    protocols: &[Protocol],
) -> Result<Vec<Flow>, String> {
    let events: Vec<crate::capture::Event> = match client_file {
        Some(server_file) => {
            let pair: StreamPair = crate::check::read_pair(path, server_file)?;
            pair.events()
        }
        None => {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let reader = std::io::BufReader::new(file);
            let events = CaptureEvents::new(reader, Limits::default())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            events
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    let mut flows: BTreeMap<FlowId, Flow> = BTreeMap::new();
    let mut start = None;
    let mut total = 0u64;
    for event in events {
        let time = event.time - *start.get_or_insert(event.time);
        if let FlowEvent::Data { bytes, .. } | FlowEvent::Datagram { bytes, .. } = &event.event {
            total += bytes.len() as u64;
            if total > MAX_BYTES {
                return Err(format!(
                    "{}: more than {} MB of flow data; replay holds flows in memory",
                    path.display(),
                    MAX_BYTES >> 20
                ));
            }
        }
        match event.event {
            FlowEvent::Opened {
                flow,
                client,
                server,
                transport,
                ..
            } => {
                flows.insert(
                    flow,
                    Flow {
                        id: flow,
                        transport,
                        protocol: Protocol::Unknown,
                        client,
                        server,
                        bytes: Default::default(),
                    },
                );
            }
            FlowEvent::Data {
                flow,
                direction,
                offset,
                bytes,
            } => {
                if let Some(f) = flows.get_mut(&flow) {
                    f.bytes[direction.index()].push(time, offset, bytes);
                }
            }
            FlowEvent::Datagram {
                flow,
                direction,
                bytes,
            } => {
                if let Some(f) = flows.get_mut(&flow) {
                    let timed = &mut f.bytes[direction.index()];
                    let at = timed.len;
                    timed.push(time, at, bytes);
                }
            }
            FlowEvent::Finished {
                flow, direction, ..
            } => {
                if let Some(f) = flows.get_mut(&flow) {
                    f.bytes[direction.index()].closed.get_or_insert(time);
                }
            }
            FlowEvent::Closed { flow, .. } => {
                if let Some(f) = flows.get_mut(&flow) {
                    for timed in &mut f.bytes {
                        timed.closed.get_or_insert(time);
                    }
                }
            }
            FlowEvent::Gap {
                flow, direction, ..
            } => {
                if let Some(f) = flows.get_mut(&flow) {
                    let timed = &mut f.bytes[direction.index()];
                    let at = timed.len;
                    timed.gap.get_or_insert(at);
                }
            }
            _ => {}
        }
    }
    Ok(flows
        .into_values()
        .filter_map(|mut flow| {
            flow.protocol = detected(&flow)?;
            protocols.contains(&flow.protocol).then_some(flow)
        })
        .collect())
}

/// What a flow is: a UDP flow by its first datagram, a TCP flow by the first bytes of each
/// direction.
fn detected(flow: &Flow) -> Option<Protocol> {
    if flow.transport != Transport::Tcp {
        let (_, first) = flow.bytes[Direction::ClientToServer.index()]
            .pieces
            .first()?;
        return detect::sniff_datagram(first).map(|(p, _)| p);
    }
    let head = |d: Direction| -> Vec<u8> {
        let mut out = Vec::new();
        for (_, piece) in &flow.bytes[d.index()].pieces {
            out.extend_from_slice(&piece[..piece.len().min(detect::MAX_SNIFF - out.len())]);
            if out.len() >= detect::MAX_SNIFF {
                break;
            }
        }
        out
    };
    let client = head(Direction::ClientToServer);
    let server = head(Direction::ServerToClient);
    detect::sniff_stream(&client, &server, true).map(|(p, _)| p)
}
