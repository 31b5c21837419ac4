//! The RTMP observer: the client's bytes into a server-role [`ServerSession::observer`], the
//! server's bytes into a client-role [`ClientSession::observer`]. The server machine is told
//! to accept every connect, publish and play, so that it reads on (what the real server
//! answered is in the other direction). The handshake replies, which an observer cannot check
//! against packets of its own, are checked against each other with
//! [`check_c2`]/[`check_s2`] once both are in.
//!
//! A gap ends the observation of its direction: a chunk header's meaning depends on the
//! headers before it on the same chunk stream (RTMP 1.0 §5.3.1.2), so RTMP cannot resynchronise.

use std::fmt::Write as _;
use std::time::Instant;

use rand::SeedableRng;
use weir_media::MediaPacket;
use weir_media::Output;
use weir_rtmp::Error;
use weir_rtmp::handshake::{HandshakeInfo, HandshakeKind, Reply, check_c2, check_s2};
use weir_rtmp::message::{Command, Message, UserControl};
use weir_rtmp::session::{
    ClientEvent, ClientSession, ServerEvent, ServerSession, SessionConfig, StreamData,
};

use super::amf::short;
use super::{Observation, Observer, violation};
use crate::capture::Direction;
use crate::media_summary::track_name;
use crate::transcript::EntryKind;
use weir_media::Machine;

/// C0, C1 and C2 (or S0, S1, S2): 1 + 1536 + 1536 bytes (RTMP 1.0 §5.2).
const HANDSHAKE_LEN: usize = 1 + 2 * PACKET;
const PACKET: usize = 1536;

/// The two machines of one RTMP flow.
pub struct RtmpObserver {
    server_role: ServerSession,
    client_role: ClientSession,
    /// Per direction (c2s, s2c): why observation stopped, if it did.
    stopped: [bool; 2],
    /// The first [`HANDSHAKE_LEN`] bytes of each direction, for the reply checks.
    handshake: [Vec<u8>; 2],
    replies_checked: bool,
    /// Per direction: the last Window Acknowledgement Size the sender announced (what the
    /// other side acknowledges by), and the sender's last acknowledgement. Acknowledgements
    /// are worded against these, not against the other direction's bytes: a stream pair's
    /// two files say nothing of how the directions interleaved.
    window: [Option<u32>; 2],
    acked: [Option<u32>; 2],
    /// Whether events are worded (see [`Observer::unworded`]).
    worded: bool,
    /// The machines ignore time; one instant serves every call.
    now: Instant,
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl Default for RtmpObserver {
    fn default() -> Self {
        Self::new(SessionConfig::default())
    }
}

impl RtmpObserver {
    pub fn new(config: SessionConfig) -> Self {
        // The observers transmit nothing anyone reads: any fixed seed will do.
        let rng = || Box::new(rand::rngs::StdRng::seed_from_u64(0));
        RtmpObserver {
            server_role: ServerSession::observer(config.clone(), rng()),
            client_role: ClientSession::observer(config, rng()),
            stopped: [false; 2],
            handshake: [Vec::new(), Vec::new()],
            replies_checked: false,
            window: [None; 2],
            acked: [None; 2],
            worded: true,
            now: Instant::now(),
        }
    }

    fn feed(&mut self, dir: Direction, bytes: &[u8], out: &mut Vec<Observation>) {
        let result = match dir {
            Direction::ClientToServer => self.server_role.handle_input(self.now, bytes),
            Direction::ServerToClient => self.client_role.handle_input(self.now, bytes),
        };
        self.drain(dir, out);
        if let Err(error) = result {
            self.stop(dir, error, true, out);
        }
    }

    fn stop(&mut self, dir: Direction, error: Error, fatal: bool, out: &mut Vec<Observation>) {
        self.stopped[index(dir)] |= fatal;
        let kind = match error.rule {
            Some(rule) => EntryKind::Violation {
                rule,
                offset: Some(error.offset),
                detail: error.detail,
                fatal,
            },
            None if fatal => EntryKind::GaveUp(error.detail),
            None => EntryKind::Event(format!("closed: {}", error.detail)),
        };
        out.push(Observation::Entry(dir, kind));
    }

    fn drain(&mut self, dir: Direction, out: &mut Vec<Observation>) {
        match dir {
            Direction::ClientToServer => {
                while let Some(output) = self.server_role.poll_output() {
                    match output {
                        Output::Transmit(_) => {}
                        Output::Violation(v) => out.push(violation(dir, v)),
                        Output::Event(ServerEvent::Control(m)) => {
                            if self.worded {
                                let text = self.control(dir, &m);
                                out.push(event(dir, text));
                            }
                        }
                        Output::Event(event) => {
                            accept(&mut self.server_role, &event);
                            server_event(event, self.worded, out);
                        }
                    }
                }
            }
            Direction::ServerToClient => {
                while let Some(output) = self.client_role.poll_output() {
                    match output {
                        Output::Transmit(_) => {}
                        Output::Violation(v) => out.push(violation(dir, v)),
                        Output::Event(ClientEvent::Control(m)) => {
                            if self.worded {
                                let text = self.control(dir, &m);
                                out.push(event(dir, text));
                            }
                        }
                        Output::Event(event) => client_event(event, self.worded, out),
                    }
                }
            }
        }
    }

    /// A control message of `dir`, in words; an acknowledgement with how far it moved since
    /// the last and the window it answers (RTMP 1.0 §5.4.3, §5.4.4).
    fn control(&mut self, dir: Direction, message: &Message) -> String {
        let other = 1 - index(dir);
        match message {
            Message::SetChunkSize(size) => format!("set chunk size {size}"),
            Message::Abort { csid } => format!("abort (chunk stream {csid})"),
            Message::Acknowledgement { sequence } => {
                // One string written in pieces: acknowledgements are most of a long session's
                // control messages.
                let mut text = String::with_capacity(80);
                let _ = write!(text, "acknowledgement {sequence} (");
                match self.acked[index(dir)].replace(*sequence) {
                    Some(last) => {
                        let _ = write!(text, "{} since the last", sequence.wrapping_sub(last));
                    }
                    None => text.push_str("the first"),
                }
                match self.window[other] {
                    Some(window) => {
                        let _ = write!(text, "; window {window})");
                    }
                    None => text.push_str("; no window seen before it)"),
                }
                text
            }
            Message::WindowAckSize(size) => {
                self.window[index(dir)] = Some(*size);
                format!("window acknowledgement size {size}")
            }
            Message::SetPeerBandwidth { size, limit } => {
                format!("set peer bandwidth {size} {limit:?}")
            }
            Message::UserControl(uc) => user_control(uc),
            Message::SharedObject { amf3, payload } => format!(
                "shared object message ({}, {} bytes, not read)",
                if *amf3 { "AMF3" } else { "AMF0" },
                payload.len()
            ),
            other => format!("{other:?}"),
        }
    }

    /// Keeps the first bytes of `dir` until its handshake is whole; checks both replies once
    /// both handshakes are.
    fn keep_handshake(&mut self, dir: Direction, bytes: &[u8], out: &mut Vec<Observation>) {
        let kept = &mut self.handshake[index(dir)];
        kept.extend_from_slice(bytes);
        if self.replies_checked || self.handshake.iter().any(|h| h.len() < HANDSHAKE_LEN) {
            return;
        }
        self.replies_checked = true;
        let [c, s] = &self.handshake;
        let (c1, c2) = (&c[1..1 + PACKET], &c[1 + PACKET..HANDSHAKE_LEN]);
        let (s1, s2) = (&s[1..1 + PACKET], &s[1 + PACKET..HANDSHAKE_LEN]);
        let checks = [
            (Direction::ClientToServer, "C2", check_c2(s1, c2)),
            (Direction::ServerToClient, "S2", check_s2(c1, s2)),
        ];
        for (dir, name, result) in checks {
            out.push(match result {
                Ok(Reply::Echo) => {
                    let text = format!("handshake: {name} echoes the peer's random bytes");
                    Observation::Entry(dir, EntryKind::Event(text))
                }
                Ok(Reply::Digest) => {
                    let text = format!("handshake: {name} carries the complex handshake digest");
                    Observation::Entry(dir, EntryKind::Event(text))
                }
                Err(mut v) => {
                    v.offset += (1 + PACKET) as u64;
                    violation(dir, v)
                }
            });
        }
    }
}

impl Observer for RtmpObserver {
    fn data(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        if self.stopped[index(dir)] {
            return;
        }
        // Cut at the end of the handshake, so that the reply checks land in the same place
        // among the machine's outputs however the stream was split.
        let in_handshake = (HANDSHAKE_LEN as u64).saturating_sub(offset);
        let split = usize::try_from(in_handshake).map_or(bytes.len(), |n| n.min(bytes.len()));
        let (head, tail) = bytes.split_at(split);
        if !head.is_empty() {
            self.feed(dir, head, out);
            self.keep_handshake(dir, head, out);
        }
        if !tail.is_empty() && !self.stopped[index(dir)] {
            self.feed(dir, tail, out);
        }
    }

    fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.stopped[index(dir)], true) {
            return;
        }
        let reason = format!(
            "{len} bytes missing at offset {offset}: RTMP cannot resynchronise inside a chunk \
             stream (each chunk header depends on the previous one, RTMP 1.0 §5.3.1.2)"
        );
        out.push(Observation::Entry(dir, EntryKind::GaveUp(reason)));
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        if self.stopped[index(dir)] {
            return;
        }
        let result = match dir {
            Direction::ClientToServer => self.server_role.handle_end(self.now),
            Direction::ServerToClient => self.client_role.handle_end(self.now),
        };
        self.drain(dir, out);
        if let Err(error) = result {
            self.stop(dir, error, false, out);
        }
    }

    /// Each direction's machine reads what it can as it comes; nothing waits for the end.
    fn closed(&mut self, _out: &mut Vec<Observation>) {}

    fn complete(&self) -> bool {
        !self.stopped.iter().any(|&s| s)
    }

    fn unworded(&mut self) {
        self.worded = false;
    }
}

/// The observer accepts every request, so that the server machine reads on.
fn accept(session: &mut ServerSession, event: &ServerEvent) {
    // An error here is the machine refusing an answer it no longer expects: nothing to report.
    let _ = match event {
        ServerEvent::Connect(req) => session.accept_connect(req.id),
        ServerEvent::Publish(req) => session.accept_publish(req.id),
        ServerEvent::Play(req) => session.accept_play(req.id),
        _ => Ok(()),
    };
}

fn event(dir: Direction, text: String) -> Observation {
    Observation::Entry(dir, EntryKind::Event(text))
}

fn handshake(info: HandshakeInfo) -> String {
    let kind = match info.kind {
        HandshakeKind::Simple => "simple".to_string(),
        HandshakeKind::Complex { scheme } => format!("complex ({scheme:?})"),
    };
    let [a, b, c, d] = info.peer_version;
    format!(
        "handshake {kind}, peer version {a}.{b}.{c}.{d}, peer time {}",
        info.peer_time
    )
}

fn command(stream_id: u32, command: &Command) -> String {
    let mut text = format!(
        "{} (stream {stream_id}, transaction {}) {}",
        command.name,
        command.transaction_id,
        short(&command.object)
    );
    for arg in &command.args {
        text.push(' ');
        text.push_str(&short(arg));
    }
    text
}

/// A server machine's event, worded (`worded`) or, for media and configurations, summarised.
fn server_event(e: ServerEvent, worded: bool, out: &mut Vec<Observation>) {
    const DIR: Direction = Direction::ClientToServer;
    let text = match e {
        ServerEvent::Data {
            stream_id,
            timestamp,
            data,
            ..
        } => return stream_data(DIR, stream_id, timestamp, data, worded, out),
        _ if !worded => return,
        ServerEvent::Handshake(info) => handshake(info),
        ServerEvent::Connect(req) => {
            let mut text = format!("connect {}", short(&req.object));
            for arg in &req.args {
                text.push(' ');
                text.push_str(&short(arg));
            }
            text
        }
        ServerEvent::Publish(req) => format!(
            "publish (stream {}) {:?} {}{}",
            req.stream_id,
            req.name,
            req.kind.as_str(),
            if req.query.is_empty() {
                String::new()
            } else {
                format!(" query {:?}", req.query)
            }
        ),
        ServerEvent::Play(req) => format!(
            "play (stream {}) {:?} start {} duration {} reset {}",
            req.stream_id, req.name, req.start, req.duration, req.reset
        ),
        ServerEvent::Unpublish { stream_id } => format!("unpublish (stream {stream_id})"),
        ServerEvent::PlayStop { stream_id } => format!("play stop (stream {stream_id})"),
        ServerEvent::Pause {
            stream_id,
            paused,
            position_ms,
        } => format!("pause {paused} (stream {stream_id}) at {position_ms} ms"),
        ServerEvent::Seek {
            stream_id,
            position_ms,
        } => format!("seek (stream {stream_id}) to {position_ms} ms"),
        ServerEvent::ReceiveAudio { stream_id, enabled } => {
            format!("receiveAudio {enabled} (stream {stream_id})")
        }
        ServerEvent::ReceiveVideo { stream_id, enabled } => {
            format!("receiveVideo {enabled} (stream {stream_id})")
        }
        ServerEvent::BufferLength { stream_id, millis } => {
            format!("buffer length {millis} ms (stream {stream_id})")
        }
        ServerEvent::Command {
            stream_id,
            command: c,
        }
        | ServerEvent::Handled {
            stream_id,
            command: c,
        } => command(stream_id, &c),
        // The observer words control messages itself, with what it tracks of both sides.
        ServerEvent::Control(_) => return,
    };
    out.push(event(DIR, text));
}

/// A client machine's event, as [`server_event`].
fn client_event(e: ClientEvent, worded: bool, out: &mut Vec<Observation>) {
    const DIR: Direction = Direction::ServerToClient;
    let text = match e {
        ClientEvent::Data {
            stream_id,
            timestamp,
            data,
            ..
        } => return stream_data(DIR, stream_id, timestamp, data, worded, out),
        _ if !worded => return,
        ClientEvent::Handshake(info) => handshake(info),
        ClientEvent::Connected { properties, status } => format!(
            "connected {} {} {:?}",
            short(&properties),
            status.code,
            status.description
        ),
        ClientEvent::ConnectRejected(status) => {
            format!("connect rejected {} {:?}", status.code, status.description)
        }
        ClientEvent::StreamCreated { stream_id } => format!("stream created (stream {stream_id})"),
        // Both repeat an onStatus, which comes out as its own event just after; the
        // observer words control messages itself.
        ClientEvent::Publishing { .. } | ClientEvent::Playing { .. } | ClientEvent::Control(_) => {
            return;
        }
        ClientEvent::Status { stream_id, status } => format!(
            "onStatus (stream {stream_id}) {} {} {:?}",
            status.level, status.code, status.description
        ),
        ClientEvent::UserControl(uc) => user_control(&uc),
        ClientEvent::Command {
            stream_id,
            command: c,
        } => command(stream_id, &c),
    };
    out.push(event(DIR, text));
}

fn user_control(uc: &UserControl) -> String {
    match uc {
        UserControl::StreamBegin(id) => format!("stream begin (stream {id})"),
        UserControl::StreamEof(id) => format!("stream eof (stream {id})"),
        UserControl::StreamDry(id) => format!("stream dry (stream {id})"),
        UserControl::SetBufferLength { stream_id, millis } => {
            format!("set buffer length {millis} ms (stream {stream_id})")
        }
        UserControl::StreamIsRecorded(id) => format!("stream is recorded (stream {id})"),
        UserControl::PingRequest(t) => format!("ping request {t}"),
        UserControl::PingResponse(t) => format!("ping response {t}"),
        UserControl::Other { event, data } => {
            format!("user control event {event} ({} bytes)", data.len())
        }
    }
}

/// Media goes to the track summaries; configurations, metadata and data are entries too
/// (when `worded`).
fn stream_data(
    dir: Direction,
    stream_id: u32,
    timestamp: u32,
    data: StreamData,
    worded: bool,
    out: &mut Vec<Observation>,
) {
    let text = match data {
        StreamData::Media(MediaPacket::Frame(frame)) => {
            out.push(Observation::Frame(dir, frame));
            return;
        }
        StreamData::Media(MediaPacket::Config(config)) => {
            if worded {
                let text = format!(
                    "sequence header {} {} at {timestamp} ms (stream {stream_id})",
                    track_name(config.track),
                    config.codec
                );
                out.push(event(dir, text));
            }
            out.push(Observation::Config(dir, config));
            return;
        }
        _ if !worded => return,
        StreamData::Media(MediaPacket::EndOfSequence { track, codec }) => format!(
            "end of sequence {} {codec} at {timestamp} ms (stream {stream_id})",
            track_name(track)
        ),
        StreamData::Metadata(value) => {
            format!(
                "metadata at {timestamp} ms (stream {stream_id}) {}",
                short(&value)
            )
        }
        StreamData::Data { handler, values } => {
            let mut text = format!("data {handler:?} at {timestamp} ms (stream {stream_id})");
            for value in values.iter().take(4) {
                text.push(' ');
                text.push_str(&short(value));
            }
            text
        }
        // Its violation was reported already.
        StreamData::Unreadable { .. } => return,
    };
    out.push(event(dir, text));
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use weir_rtmp::chunk::ChunkEncoder;

    /// A simple handshake's bytes: version 3, then two 1536-byte packets.
    fn handshake_bytes() -> Vec<u8> {
        let mut bytes = vec![3];
        bytes.resize(HANDSHAKE_LEN, 0);
        bytes
    }

    fn chunks(messages: &[Message]) -> Vec<u8> {
        let mut encoder = ChunkEncoder::new();
        let mut out = BytesMut::new();
        for m in messages {
            encoder.encode(&m.to_raw(2, 0, 0), &mut out).unwrap();
        }
        out.to_vec()
    }

    fn events(out: &[Observation]) -> Vec<String> {
        out.iter()
            .filter_map(|o| match o {
                Observation::Entry(_, EntryKind::Event(text)) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    /// The transcript words every control message, and an acknowledgement against what had
    /// arrived and the window the other side announced.
    #[test]
    fn control_messages_of_both_sides_are_in_the_transcript() {
        let mut observer = RtmpObserver::default();
        let mut out = Vec::new();
        let (c2s, s2c) = (Direction::ClientToServer, Direction::ServerToClient);
        let hs = handshake_bytes();
        observer.data(c2s, 0, &hs, &mut out);
        observer.data(s2c, 0, &hs, &mut out);
        let server = chunks(&[
            Message::WindowAckSize(4096),
            Message::SetPeerBandwidth {
                size: 4096,
                limit: weir_rtmp::message::BandwidthLimit::Dynamic,
            },
            Message::SetChunkSize(8192),
        ]);
        observer.data(s2c, hs.len() as u64, &server, &mut out);
        let client = chunks(&[
            Message::WindowAckSize(5000),
            Message::Abort { csid: 7 },
            Message::Acknowledgement { sequence: 3100 },
            Message::Acknowledgement { sequence: 7196 },
            Message::UserControl(UserControl::PingResponse(9)),
        ]);
        out.clear();
        observer.data(c2s, hs.len() as u64, &client, &mut out);
        assert_eq!(
            events(&out),
            [
                "window acknowledgement size 5000",
                "abort (chunk stream 7)",
                "acknowledgement 3100 (the first; window 4096)",
                "acknowledgement 7196 (4096 since the last; window 4096)",
                "ping response 9",
            ]
        );
        // The server's, before any window from the client.
        let mut observer = RtmpObserver::default();
        observer.data(c2s, 0, &hs, &mut out);
        observer.data(s2c, 0, &hs, &mut out);
        out.clear();
        let ack = chunks(&[Message::Acknowledgement { sequence: 10 }]);
        observer.data(s2c, hs.len() as u64, &ack, &mut out);
        assert_eq!(
            events(&out),
            ["acknowledgement 10 (the first; no window seen before it)"]
        );
    }

    /// What a media message's FLV tag body breaks is judged, as in an FLV file.
    #[test]
    fn the_flv_tag_rules_judge_media_messages() {
        let mut observer = RtmpObserver::default();
        let mut out = Vec::new();
        let s2c = Direction::ServerToClient;
        let hs = handshake_bytes();
        observer.data(Direction::ClientToServer, 0, &hs, &mut out);
        observer.data(s2c, 0, &hs, &mut out);
        out.clear();
        // AAC raw data with SoundRate 0 and mono: FLV 10.1 §E.4.2.1 asks for 3 and stereo.
        let audio = Message::Audio(bytes::Bytes::from_static(&[0xa2, 1, 0x21, 0x10]));
        let mut encoder = ChunkEncoder::new();
        let mut bytes = BytesMut::new();
        encoder.encode(&audio.to_raw(4, 0, 1), &mut bytes).unwrap();
        observer.data(s2c, hs.len() as u64, &bytes, &mut out);
        let rules: Vec<_> = out
            .iter()
            .filter_map(|o| match o {
                Observation::Entry(_, EntryKind::Violation { rule, offset, .. }) => {
                    Some((rule.id, *offset))
                }
                _ => None,
            })
            .collect();
        // (The client role also notes the media came on a stream nobody played.)
        assert!(
            rules.contains(&("flv.audio.aac-flags", Some(hs.len() as u64))),
            "{rules:?}"
        );
    }
}
