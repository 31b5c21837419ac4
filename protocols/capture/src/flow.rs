//! The flow table: packets in, per-flow events out, in capture order.
//!
//! A flow is a 5-tuple (transport, two addresses, two ports), in both directions. Its client
//! is the sender of the SYN; with no SYN in the capture, the first sender, unless the ports
//! say otherwise (a well-known or streaming-server port on the sender's side only). TCP
//! directions are reassembled by [`Reassembler`]s; UDP datagrams pass through one by one.
//! [`StreamPair`] gives the same events for two raw byte streams, so that an observer never
//! cares where its bytes came from.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use foldhash::HashMap;

use super::dissect::{self, Dissector, Outcome};
use super::tcp::{Reassembler, Segment, StreamEvent};
use super::udp::Datagram;
use super::{CaptureError, CaptureReader, Limits, Packet, Unopened};

/// A flow's number, in the order flows were first seen (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    Tcp,
    Udp,
    /// A file read whole (a `.ts` file, a playlist): one pseudo-flow whose client→server
    /// direction holds the file's bytes; no addresses, no packets.
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

impl Direction {
    /// 0 for client→server, 1 for server→client: for per-direction arrays.
    pub fn index(self) -> usize {
        match self {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        }
    }
}

/// Why a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Both sides sent FIN and every byte before it was accounted for.
    Fin,
    /// One side reset the connection.
    Rst,
    /// The capture ended with the flow still open.
    EndOfCapture,
    /// A [`StreamPair`]'s bytes ended.
    EndOfStreams,
    /// A file's bytes ended.
    EndOfFile,
}

/// What happened on a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowEvent {
    /// A new flow. `midstream`: the capture does not hold a TCP flow's opening SYN, so stream
    /// offsets count from the first byte seen in each direction, not from the connection's
    /// start (never set for UDP, which has no opening to miss).
    Opened {
        flow: FlowId,
        client: SocketAddr,
        server: SocketAddr,
        transport: Transport,
        midstream: bool,
    },
    /// Stream bytes at `offset` (from the byte after the SYN, or the first byte seen).
    Data {
        flow: FlowId,
        direction: Direction,
        offset: u64,
        bytes: Bytes,
    },
    /// `len` stream bytes at `offset` that the capture does not hold.
    Gap {
        flow: FlowId,
        direction: Direction,
        offset: u64,
        len: u64,
    },
    /// One side closed its direction (FIN) after `offset` bytes.
    Finished {
        flow: FlowId,
        direction: Direction,
        offset: u64,
    },
    /// One UDP datagram.
    Datagram {
        flow: FlowId,
        direction: Direction,
        bytes: Bytes,
    },
    Closed {
        flow: FlowId,
        reason: CloseReason,
    },
    /// A packet (or part of one) not opened to a flow: `packet` is its index in the capture.
    Unopened {
        packet: u64,
        reason: Unopened,
    },
}

/// An event with the capture time and the index of the packet that caused it (0 for events
/// of a [`StreamPair`] or of the end of the capture).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub time: Duration,
    pub packet: u64,
    pub event: FlowEvent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    transport: Transport,
    low: SocketAddr,
    high: SocketAddr,
}

impl Key {
    fn new(transport: Transport, a: SocketAddr, b: SocketAddr) -> Self {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        Key {
            transport,
            low,
            high,
        }
    }
}

#[derive(Debug)]
struct Flow {
    id: FlowId,
    client: SocketAddr,
    /// Both directions for TCP; `None` for UDP.
    streams: Option<Box<[Reassembler; 2]>>,
    open: bool,
}

/// Ports that mark the server side when the capture holds no SYN: the well-known range and
/// the streaming servers' usual ports (RTMP, SRS API, HTTP alt, WebRTC, SRT, MPEG-TS, GB28181,
/// RTSP alt, STUN).
const SERVER_PORTS: [u16; 10] = [1935, 1985, 8080, 8000, 10080, 8935, 9000, 8554, 3478, 5060];

fn is_server_port(port: u16) -> bool {
    port < 1024 || SERVER_PORTS.contains(&port)
}

/// Tracks flows and turns packets into [`Event`]s.
#[derive(Debug)]
pub struct FlowTable {
    limits: Limits,
    dissector: Dissector,
    /// Keyed by addresses and ports the capture chose: foldhash's per-process seed keeps a
    /// crafted capture from choosing collisions, at a fraction of SipHash's cost per packet.
    flows: HashMap<Key, Flow>,
    /// Flows closed but remembered (so that late retransmissions are recognised), oldest
    /// first; forgotten first when the table is full.
    closed: VecDeque<(Key, FlowId)>,
    next_id: u64,
    events: VecDeque<Event>,
    unopened: BTreeMap<&'static str, u64>,
    scratch: Vec<StreamEvent>,
}

impl FlowTable {
    pub fn new(limits: Limits) -> Self {
        FlowTable {
            limits,
            dissector: Dissector::new(limits),
            flows: HashMap::default(),
            closed: VecDeque::new(),
            next_id: 1,
            events: VecDeque::new(),
            unopened: BTreeMap::new(),
            scratch: Vec::new(),
        }
    }

    /// The next event, in capture order; drain after every [`FlowTable::push`].
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// How many packets (or fragmented datagrams) were not opened, per [`Unopened::kind`].
    pub fn unopened_counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.unopened
    }

    /// Feeds one captured packet.
    pub fn push(&mut self, packet: &Packet) {
        for (first, reason) in self.dissector.expire(packet.time) {
            self.report(packet.time, packet.index, first, reason);
        }
        match self.dissector.dissect(packet) {
            Outcome::Opened {
                src,
                dst,
                transport: dissect::Transport::Tcp(segment),
            } => self.tcp(packet, src, dst, segment),
            Outcome::Opened {
                src,
                dst,
                transport: dissect::Transport::Udp(datagram),
            } => self.udp(packet, src, dst, datagram),
            Outcome::Held => {}
            Outcome::Unopened(reason) => {
                self.report(packet.time, packet.index, packet.index, reason)
            }
        }
    }

    /// Ends the capture at `time`: incomplete fragments are reported, every open flow flushes
    /// its gaps and closes with [`CloseReason::EndOfCapture`], in flow order.
    pub fn finish(&mut self, time: Duration) {
        for (first, reason) in self.dissector.drain() {
            self.report(time, 0, first, reason);
        }
        let mut open: Vec<Key> = self
            .flows
            .iter()
            .filter(|(_, f)| f.open)
            .map(|(k, _)| *k)
            .collect();
        open.sort_by_key(|k| self.flows.get(k).map(|f| f.id));
        for key in open {
            self.close(key, time, 0, CloseReason::EndOfCapture);
        }
    }

    fn report(&mut self, time: Duration, packet: u64, first: u64, reason: Unopened) {
        *self.unopened.entry(reason.kind()).or_default() += 1;
        self.emit(
            time,
            packet,
            FlowEvent::Unopened {
                packet: first,
                reason,
            },
        );
    }

    fn emit(&mut self, time: Duration, packet: u64, event: FlowEvent) {
        self.events.push_back(Event {
            time,
            packet,
            event,
        });
    }

    fn tcp(&mut self, packet: &Packet, src: IpAddr, dst: IpAddr, segment: Segment) {
        let from = SocketAddr::new(src, segment.src_port);
        let to = SocketAddr::new(dst, segment.dst_port);
        let key = Key::new(Transport::Tcp, from, to);
        let opening = segment.flags.syn && !segment.flags.ack;
        match self.flows.get(&key) {
            Some(flow) if flow.open => {}
            Some(_) if !opening => {
                if !segment.payload.is_empty() {
                    self.report(
                        packet.time,
                        packet.index,
                        packet.index,
                        Unopened::AfterClose,
                    );
                }
                return;
            }
            _ => {
                if segment.payload.is_empty() && !segment.flags.syn {
                    return; // a bare ACK, FIN or RST of a flow we never saw: nothing to tell
                }
                let client_sent = if segment.flags.syn {
                    !segment.flags.ack
                } else {
                    !is_server_port(segment.src_port) || is_server_port(segment.dst_port)
                };
                let (client, server) = if client_sent { (from, to) } else { (to, from) };
                let tcp = Some(Box::new([
                    Reassembler::new(self.limits.max_buffered_per_direction),
                    Reassembler::new(self.limits.max_buffered_per_direction),
                ]));
                let midstream = !segment.flags.syn;
                if !self.open(packet, key, client, server, tcp, midstream) {
                    return;
                }
            }
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let (id, direction) = (flow.id, direction_of(flow, from));
        let Some(streams) = flow.streams.as_mut() else {
            return;
        };
        let mut out = std::mem::take(&mut self.scratch);
        streams[direction.index()].push(segment.seq, segment.flags, segment.payload, &mut out);
        let both_finished = streams.iter().all(Reassembler::finished);
        self.stream_events(packet.time, packet.index, id, direction, &mut out);
        self.scratch = out;
        if segment.flags.rst {
            // Closing flushes both directions: what was held is given, the holes are gaps.
            self.close(key, packet.time, packet.index, CloseReason::Rst);
        } else if both_finished {
            self.close(key, packet.time, packet.index, CloseReason::Fin);
        }
    }

    fn udp(&mut self, packet: &Packet, src: IpAddr, dst: IpAddr, datagram: Datagram) {
        let from = SocketAddr::new(src, datagram.src_port);
        let to = SocketAddr::new(dst, datagram.dst_port);
        let key = Key::new(Transport::Udp, from, to);
        if !self.flows.contains_key(&key) {
            let client_sent =
                !is_server_port(datagram.src_port) || is_server_port(datagram.dst_port);
            let (client, server) = if client_sent { (from, to) } else { (to, from) };
            // A datagram flow has no opening a capture could miss.
            if !self.open(packet, key, client, server, None, false) {
                return;
            }
        }
        let Some(flow) = self.flows.get(&key) else {
            return;
        };
        let event = FlowEvent::Datagram {
            flow: flow.id,
            direction: direction_of(flow, from),
            bytes: datagram.payload,
        };
        self.emit(packet.time, packet.index, event);
    }

    /// Starts a flow (forgetting a closed one when the table is full); false when full of
    /// open flows.
    fn open(
        &mut self,
        packet: &Packet,
        key: Key,
        client: SocketAddr,
        server: SocketAddr,
        streams: Option<Box<[Reassembler; 2]>>,
        midstream: bool,
    ) -> bool {
        if self.flows.remove(&key).is_none() {
            while self.flows.len() >= self.limits.max_flows {
                let Some((old, id)) = self.closed.pop_front() else {
                    self.report(packet.time, packet.index, packet.index, Unopened::FlowLimit);
                    return false;
                };
                if self.flows.get(&old).is_some_and(|f| f.id == id && !f.open) {
                    self.flows.remove(&old);
                }
            }
        }
        let id = FlowId(self.next_id);
        self.next_id += 1;
        let transport = key.transport;
        self.flows.insert(
            key,
            Flow {
                id,
                client,
                streams,
                open: true,
            },
        );
        self.emit(
            packet.time,
            packet.index,
            FlowEvent::Opened {
                flow: id,
                client,
                server,
                transport,
                midstream,
            },
        );
        true
    }

    fn close(&mut self, key: Key, time: Duration, packet: u64, reason: CloseReason) {
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let id = flow.id;
        flow.open = false;
        if let Some(streams) = flow.streams.take() {
            let mut out = std::mem::take(&mut self.scratch);
            let [mut c2s, mut s2c] = *streams;
            c2s.flush(&mut out);
            self.stream_events(time, packet, id, Direction::ClientToServer, &mut out);
            s2c.flush(&mut out);
            self.stream_events(time, packet, id, Direction::ServerToClient, &mut out);
            self.scratch = out;
        }
        self.closed.push_back((key, id));
        self.emit(time, packet, FlowEvent::Closed { flow: id, reason });
    }

    fn stream_events(
        &mut self,
        time: Duration,
        packet: u64,
        flow: FlowId,
        direction: Direction,
        out: &mut Vec<StreamEvent>,
    ) {
        for event in out.drain(..) {
            let event = match event {
                StreamEvent::Data { offset, bytes } => FlowEvent::Data {
                    flow,
                    direction,
                    offset,
                    bytes,
                },
                StreamEvent::Gap { offset, len } => FlowEvent::Gap {
                    flow,
                    direction,
                    offset,
                    len,
                },
                StreamEvent::Fin { offset } => FlowEvent::Finished {
                    flow,
                    direction,
                    offset,
                },
            };
            self.emit(time, packet, event);
        }
    }
}

fn direction_of(flow: &Flow, from: SocketAddr) -> Direction {
    if from == flow.client {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    }
}

/// Two raw byte streams of one connection (client→server and server→client), as the same
/// events a captured flow gives: opened, all client bytes, all server bytes, both finished,
/// closed with [`CloseReason::EndOfStreams`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPair {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub client_to_server: Bytes,
    pub server_to_client: Bytes,
}

impl StreamPair {
    pub fn events(&self) -> Vec<Event> {
        let flow = FlowId(1);
        let mut events = vec![FlowEvent::Opened {
            flow,
            client: self.client,
            server: self.server,
            transport: Transport::Tcp,
            midstream: false,
        }];
        let directions = [
            (Direction::ClientToServer, &self.client_to_server),
            (Direction::ServerToClient, &self.server_to_client),
        ];
        for (direction, bytes) in directions {
            if !bytes.is_empty() {
                events.push(FlowEvent::Data {
                    flow,
                    direction,
                    offset: 0,
                    bytes: bytes.clone(),
                });
            }
        }
        for (direction, bytes) in directions {
            events.push(FlowEvent::Finished {
                flow,
                direction,
                offset: bytes.len() as u64,
            });
        }
        events.push(FlowEvent::Closed {
            flow,
            reason: CloseReason::EndOfStreams,
        });
        events
            .into_iter()
            .map(|event| Event {
                time: Duration::ZERO,
                packet: 0,
                event,
            })
            .collect()
    }
}

/// The events of a whole capture, streamed: the reader's packets through a [`FlowTable`].
/// A capture that turns unreadable part-way gives the events up to that point, the flows'
/// closing events, then the error.
pub struct CaptureEvents<'r> {
    reader: CaptureReader<'r>,
    table: FlowTable,
    last_time: Duration,
    error: Option<CaptureError>,
    finished: bool,
}

impl<'r> CaptureEvents<'r> {
    pub fn new(reader: impl Read + 'r, limits: Limits) -> Result<Self, CaptureError> {
        Ok(Self::from_reader(CaptureReader::new(reader)?, limits))
    }

    /// The events of a capture held whole in memory, its packets views of `bytes`
    /// ([`CaptureReader::from_bytes`]).
    pub fn from_bytes(bytes: Bytes, limits: Limits) -> Result<Self, CaptureError> {
        Ok(Self::from_reader(CaptureReader::from_bytes(bytes)?, limits))
    }

    fn from_reader(reader: CaptureReader<'r>, limits: Limits) -> Self {
        CaptureEvents {
            reader,
            table: FlowTable::new(limits),
            last_time: Duration::ZERO,
            error: None,
            finished: false,
        }
    }

    /// Bytes of the capture read so far.
    pub fn offset(&self) -> u64 {
        self.reader.offset()
    }

    /// Unopened packets per kind so far.
    pub fn unopened_counts(&self) -> &BTreeMap<&'static str, u64> {
        self.table.unopened_counts()
    }
}

impl Iterator for CaptureEvents<'_> {
    type Item = Result<Event, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.table.poll_event() {
                return Some(Ok(event));
            }
            if self.finished {
                return self.error.take().map(Err);
            }
            match self.reader.next() {
                Some(Ok(packet)) => {
                    self.last_time = packet.time;
                    self.table.push(&packet);
                }
                Some(Err(error)) => {
                    self.error = Some(error);
                    self.finished = true;
                    self.table.finish(self.last_time);
                }
                None => {
                    self.finished = true;
                    self.table.finish(self.last_time);
                }
            }
        }
    }
}
